// The kubelets of every lab node, with containerd behind them: sandbox and pod IP (host-local IPAM from the
// node's podCIDR), image pulls, init containers, container statuses, restarts with CrashLoopBackOff, probes
// (readiness by the LAB.md rule, liveness, startup), the lab fault annotations (image-pull, crash-after, flap),
// container logs, helper commands (src/lab/runtime/commands.ts; real sockets through runtime/realnet.ts when the
// lab has a data plane), ephemeral containers (started in the pod's sandbox, never restarted), the container's
// privileges (runtime/security.ts: raw sockets, NET_ADMIN, runAsNonRoot), images that cannot be pulled (`.invalid`
// registries, namespaces annotated lab.netpath.dev/image-pull: fail), activeDeadlineSeconds, and graceful deletion.
//
// Time: the pod lifecycle uses ctx.settings.containerStartMs and maxGraceMs; probes run on their real
// periods; restart and image-pull back-offs run 10x faster than upstream (10 s → 1 s, capped at 30 s instead
// of 5 min; see backoffScale in job.ts) while the messages keep the upstream durations.
import { createHash, randomBytes } from 'node:crypto';
import type { KObject } from '../types.ts';
import { deepEqual } from '../store/equal.ts';
import { flat } from '../store/store.ts';
import { isKnownCommand, labNetModel, runCommand } from '../runtime/commands.ts';
import { realNet } from '../runtime/realnet.ts';
import { nodeView } from '../runtime/nodeview.ts';
import { imagePullFailure, netAdmin, rawSockets, runsAsRoot } from '../runtime/security.ts';
import { backoffScale } from './job.ts';
import { type Controller, type ControllerContext, keyOf, nowIso, splitKey, WorkQueue } from './runtime.ts';

const COMPONENT = 'kubelet';
const ANN_PULL = 'lab.netpath.dev/image-pull';
const ANN_CRASH = 'lab.netpath.dev/crash-after';
const ANN_FLAP = 'lab.netpath.dev/flap';
const ANN_RESPONSES = 'lab.netpath.dev/responses';
const MAX_BACKOFF_MS = 300_000;

// ─── small helpers ──────────────────────────────────────────────────────────────────────────────────────

/** Go's time.ParseDuration for the lab annotations ("4s", "1m30s", "500ms", "1.5h"); undefined if invalid. */
export function parseDuration(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s.trim()))) {
    const v = parseFloat(m[1]!);
    total += v * ({ h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 } as Record<string, number>)[m[2]!]!;
    consumed += m[0].length;
  }
  if (!consumed || consumed !== s.trim().length) return /^\d+$/.test(s.trim()) ? parseInt(s.trim(), 10) * 1000 : undefined;
  return total;
}

/** Go's Duration.String, truncated to milliseconds: 583ms, 1.234s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  ms = Math.max(0, Math.floor(ms));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${trimZeros((ms / 1000).toFixed(3))}s`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = trimZeros(((ms % 60_000) / 1000).toFixed(3));
  return `${h ? `${h}h` : ''}${m}m${s}s`;
}

function trimZeros(x: string): string {
  return x.includes('.') ? x.replace(/0+$/, '').replace(/\.$/, '') : x;
}

function hex(input: string, len = 64): string {
  return createHash('sha256').update(input).digest('hex').slice(0, len);
}

/** containerd's normalized reference: nginx:1.27 → docker.io/library/nginx:1.27 */
export function normalizeImage(image: string): string {
  let ref = image;
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at) : '';
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.indexOf('/');
  const first = slash >= 0 ? ref.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) ref = slash >= 0 ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const lastPart = ref.slice(ref.lastIndexOf('/') + 1);
  if (!digest && !lastPart.includes(':')) ref += ':latest';
  return ref + digest;
}

function imageRepo(normalized: string): string {
  const at = normalized.indexOf('@');
  const base = at >= 0 ? normalized.slice(0, at) : normalized;
  const lastSlash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > lastSlash ? base.slice(0, colon) : base;
}

function imageTag(image: string): string {
  const base = image.split('@')[0]!;
  const lastSlash = base.lastIndexOf('/');
  const colon = base.lastIndexOf(':');
  return colon > lastSlash ? base.slice(colon + 1) : 'latest';
}

/** imageID: repo@sha256:<64 hex derived from the image reference> */
function imageIDOf(image: string): string {
  const n = normalizeImage(image);
  if (n.includes('@sha256:')) return flat(n);
  return flat(`${imageRepo(n)}@sha256:${hex(n)}`);
}

function imageSize(image: string): number {
  return 8_000_000 + (parseInt(hex(`size:${normalizeImage(image)}`, 8), 16) % 140_000_000);
}

const TOOLBOX = /(^|\/)(busybox|alpine|netshoot|dnsutils|jessie-dnsutils|ubuntu|debian|network-multitool|curl|toolbox|agnhost)(:|@|$)/;

function klogTime(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}${p(Math.floor(Math.random() * 1000), 3)}`;
}

function nginxTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

// ─── runtime state ──────────────────────────────────────────────────────────────────────────────────────

interface Terminated {
  containerID?: string;
  exitCode: number;
  finishedAt: string;
  reason: string;
  startedAt?: string;
  message?: string;
}

interface ProbeState {
  ok: boolean;
  lastResult?: boolean;
  run: number;
}

type Kind = 'helper' | 'server' | 'batch';

interface Ctr {
  name: string;
  init: boolean;
  sidecar: boolean;
  spec: any;
  kind: Kind;
  argv: string[];
  state: 'waiting' | 'running' | 'terminated';
  waiting?: { reason: string; message?: string };
  startedAt?: string;
  terminated?: Terminated;
  lastTerminated?: Terminated;
  restartCount: number;
  containerID?: string;
  imageID?: string;
  ready: boolean;
  started: boolean;
  /** instance generation: timers of an old instance are ignored */
  gen: number;
  abort?: AbortController;
  crashBackoffMs: number;
  crashBackoffAt: number;
  pullBackoffMs: number;
  readiness: ProbeState;
  liveness: ProbeState;
  startupRun: number;
  everStarted: boolean;
  done: boolean;
  /** An ephemeral container (kubectl debug): never restarted, never ready, outside the pod's phase. */
  ephemeral?: boolean;
}

interface PodRT {
  uid: string;
  ns: string;
  name: string;
  node: string;
  pod: KObject;
  init: Ctr[];
  app: Ctr[];
  /** Ephemeral containers, in the order they were added to spec.ephemeralContainers. */
  eph: Ctr[];
  hostIP: string;
  podIP?: string;
  sandbox: boolean;
  startTime: string;
  startMs: number;
  initDone: boolean;
  terminating: boolean;
  terminal?: { phase: 'Succeeded' | 'Failed'; reason?: string; message?: string };
  /** Pending timers; created with the first one (an adopted pod without probes has none). */
  timers?: Set<NodeJS.Timeout>;
  flapMs?: number;
  flapOffset: number;
  flapTimer?: NodeJS.Timeout;
  gone: boolean;
}

/** Offsets in use within a node's pod CIDR, one bit each (a /24 is 32 bytes, however many pods it holds). */
class Offsets {
  private bits: Uint8Array;
  constructor(size: number) {
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }
  has(off: number): boolean {
    return (this.bits[off >> 3]! & (1 << (off & 7))) !== 0;
  }
  add(off: number): void {
    this.bits[off >> 3]! |= 1 << (off & 7);
  }
  delete(off: number): void {
    if (off >= 0 && off >> 3 < this.bits.length) this.bits[off >> 3]! &= ~(1 << (off & 7));
  }
}

interface Ipam {
  base: number;
  size: number;
  used: Offsets;
  last: number;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + parseInt(o, 10), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

// ─── the kubelet ────────────────────────────────────────────────────────────────────────────────────────

export function kubelet(): Controller {
  let ctx: ControllerContext;
  const pods = new Map<string, PodRT>();
  const ipam = new Map<string, Ipam>();
  const nodeImages = new Map<string, Set<string>>();
  /**
   * Adopted pods with nothing to run (no probes, fault annotations, deadline or helper command): uid → pod. They
   * hold no runtime state (at 50k pods that matters); any change to one goes through sync, which adopts it again.
   */
  const quiet = new Map<string, KObject>();
  const queue = new WorkQueue((k) => sync(k), (k, e) => console.error(`lab: kubelet ${k}:`, e));

  const podDef = () => ctx.type('', 'pods');
  const S = () => Math.max(1, ctx.settings.containerStartMs);

  function after(rt: PodRT, ms: number, fn: () => void): NodeJS.Timeout {
    const t = ctx.setTimeout(() => {
      rt.timers?.delete(t);
      if (!rt.gone) fn();
    }, Math.max(0, ms));
    (rt.timers ??= new Set()).add(t);
    return t;
  }

  /** A timer bound to one container instance. */
  function afterC(rt: PodRT, c: Ctr, ms: number, fn: () => void): void {
    const gen = c.gen;
    after(rt, ms, () => {
      if (c.gen === gen && !rt.terminal) fn();
    });
  }

  function event(rt: PodRT, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const cur = ctx.store.get(podDef(), rt.ns, rt.name);
    if (!cur || cur.metadata.uid !== rt.uid) return;
    ctx.event(cur, type, reason, message, COMPONENT);
  }

  function formatPod(rt: PodRT): string {
    return `${rt.name}_${rt.ns}(${rt.uid})`;
  }

  // ── IPAM ──

  function ipamFor(node: KObject): Ipam | undefined {
    const name = node.metadata.name!;
    let a = ipam.get(name);
    if (a) return a;
    const cidr: string | undefined = node.spec?.podCIDR ?? node.spec?.podCIDRs?.[0];
    const m = cidr && /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
    if (!m) return undefined;
    const bits = parseInt(m[2]!, 10);
    const size = 2 ** (32 - bits);
    const base = (ipToInt(m[1]!) & ~(size - 1)) >>> 0;
    a = { base, size, used: new Offsets(size), last: 1 };
    for (const p of ctx.store.list(podDef(), undefined, { fieldSelector: [{ field: 'spec.nodeName', op: '=', value: name }] })) {
      if (p.spec?.hostNetwork || !p.status?.podIP) continue;
      if (p.status.phase === 'Succeeded' || p.status.phase === 'Failed') continue;
      const off = ipToInt(p.status.podIP) - base;
      if (off > 0 && off < size) a.used.add(off);
    }
    ipam.set(name, a);
    return a;
  }

  function allocateIP(node: KObject): string | undefined {
    const a = ipamFor(node);
    if (!a) return undefined;
    const hosts = a.size - 3; // .0 network, .1 gateway, broadcast
    for (let i = 1; i <= hosts; i++) {
      const off = ((a.last - 2 + i) % hosts) + 2;
      if (!a.used.has(off)) {
        a.used.add(off);
        a.last = off;
        return intToIp(a.base + off);
      }
    }
    return undefined;
  }

  /** Marks an address in use: an adopted pod keeps the IP its sandbox already has. */
  function reserveIP(node: KObject, ip: string | undefined): void {
    const a = ipamFor(node);
    if (!a || !ip) return;
    const off = ipToInt(ip) - a.base;
    if (off > 0 && off < a.size) a.used.add(off);
  }

  function releaseIP(rt: PodRT): void {
    if (!rt.pod.spec?.hostNetwork) releaseAddress(rt.node, rt.podIP);
  }

  function releaseAddress(node: string | undefined, ip: string | undefined): void {
    const a = node ? ipam.get(node) : undefined;
    if (!a || !ip) return;
    a.used.delete(ipToInt(ip) - a.base);
  }

  // ── classification ──

  function envVars(rt: PodRT, c: any): Record<string, string> {
    const out: Record<string, string> = {};
    const pod = rt.pod;
    for (const e of c.env ?? []) {
      if (e.value !== undefined) out[e.name] = expandRefs(String(e.value), out);
      else if (e.valueFrom?.fieldRef) {
        const f = e.valueFrom.fieldRef.fieldPath as string;
        const v: Record<string, string | undefined> = {
          'metadata.name': pod.metadata.name,
          'metadata.namespace': pod.metadata.namespace,
          'metadata.uid': pod.metadata.uid,
          'spec.nodeName': pod.spec?.nodeName,
          'spec.serviceAccountName': pod.spec?.serviceAccountName,
          'status.podIP': rt.podIP,
          'status.hostIP': rt.hostIP,
        };
        const ann = /^metadata\.annotations\['(.+)'\]$/.exec(f);
        const lab = /^metadata\.labels\['(.+)'\]$/.exec(f);
        out[e.name] = (ann ? pod.metadata.annotations?.[ann[1]!] : lab ? pod.metadata.labels?.[lab[1]!] : v[f]) ?? '';
      }
    }
    return out;
  }

  /** The kubelet's $(VAR) expansion in command/args/env. */
  function expandRefs(s: string, vars: Record<string, string>): string {
    return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name?: string) => (m === '$$' ? '$' : name !== undefined && name in vars ? vars[name]! : m));
  }

  function classify(rt: PodRT, spec: any, init: boolean, sidecar: boolean): { kind: Kind; argv: string[] } {
    const vars = envVars(rt, spec);
    const command: string[] | undefined = spec.command?.map((s: string) => expandRefs(String(s), vars));
    const args: string[] = (spec.args ?? []).map((s: string) => expandRefs(String(s), vars));
    const image: string = spec.image ?? '';
    const toolbox = TOOLBOX.test(image);
    const curlImage = /(^|\/)curlimages\/curl(:|@|$)/.test(image);
    let argv: string[] = [];
    if (command?.length) argv = [...command, ...args];
    else if (curlImage) argv = ['curl', ...args];
    else if (toolbox) argv = args;
    if (argv.length && (isKnownCommand(argv) || toolbox)) return { kind: 'helper', argv };
    if (toolbox && !argv.length) return { kind: 'helper', argv: ['sh'] };
    if ((init && !sidecar) || ((rt.pod.spec?.restartPolicy ?? 'Always') !== 'Always' && command?.length)) return { kind: 'batch', argv };
    return { kind: 'server', argv };
  }

  // ── status ──

  function ctrStatus(c: Ctr): any {
    const state =
      c.state === 'running'
        ? { running: { startedAt: c.startedAt } }
        : c.state === 'terminated' && c.terminated
          ? { terminated: { ...c.terminated } }
          : { waiting: { ...(c.waiting?.message ? { message: c.waiting.message } : {}), reason: c.waiting?.reason ?? 'ContainerCreating' } };
    const s: any = {};
    if (c.containerID) s.containerID = c.containerID;
    s.image = c.imageID ? flat(normalizeImage(c.spec.image ?? '')) : c.spec.image;
    s.imageID = c.imageID ?? '';
    s.lastState = c.lastTerminated ? { terminated: { ...c.lastTerminated } } : {};
    s.name = c.name;
    s.ready = c.ready;
    s.restartCount = c.restartCount;
    s.started = c.started;
    s.state = state;
    return s;
  }

  /** kubelet getPhase */
  function phaseOf(rt: PodRT): string {
    if (rt.terminal) return rt.terminal.phase;
    const policy = rt.pod.spec?.restartPolicy ?? 'Always';
    if (!rt.initDone) {
      const failedInit = rt.init.some((c) => !c.sidecar && c.state === 'terminated' && (c.terminated?.exitCode ?? 0) !== 0);
      if (failedInit && policy === 'Never') return 'Failed';
      return 'Pending';
    }
    let running = 0;
    let waiting = 0;
    let stopped = 0;
    let succeeded = 0;
    for (const c of rt.app) {
      if (c.state === 'running') running++;
      else if (c.state === 'terminated') {
        stopped++;
        if (c.terminated?.exitCode === 0) succeeded++;
      } else if (c.lastTerminated) stopped++;
      else waiting++;
    }
    if (waiting > 0) return 'Pending';
    if (running > 0) return 'Running';
    if (stopped > 0) {
      if (policy === 'Always') return 'Running';
      if (stopped === succeeded) return 'Succeeded';
      if (policy === 'Never') return 'Failed';
      return 'Running';
    }
    return 'Pending';
  }

  function buildStatus(rt: PodRT, current: KObject): any {
    const old: any[] = current.status?.conditions ?? [];
    const phase = phaseOf(rt);
    const now = nowIso();
    const cond = (type: string, status: string, reason?: string, message?: string) => {
      const prev = old.find((c) => c.type === type);
      const c: any = { lastProbeTime: null, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now, status, type };
      if (message) c.message = message;
      if (reason) c.reason = reason;
      return c;
    };
    const list = (names: string[]) => `[${names.join(' ')}]`;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    const conditions: any[] = [];
    conditions.push(cond('PodReadyToStartContainers', rt.sandbox && !terminal ? 'True' : 'False'));
    const anyAppStarted = rt.app.some((c) => c.everStarted);
    const incomplete = rt.init.filter((c) => (c.sidecar ? !c.started : !c.done)).map((c) => c.name);
    if (phase === 'Succeeded') conditions.push(cond('Initialized', 'True', 'PodCompleted'));
    else if (rt.initDone || anyAppStarted || !incomplete.length) conditions.push(cond('Initialized', 'True'));
    else conditions.push(cond('Initialized', 'False', 'ContainersNotInitialized', `containers with incomplete status: ${list(incomplete)}`));
    let ready: any;
    let cready: any;
    if (terminal) {
      const reason = phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed';
      ready = cond('Ready', 'False', reason);
      cready = cond('ContainersReady', 'False', reason);
    } else {
      const unready = [...rt.init.filter((c) => c.sidecar), ...rt.app].filter((c) => !c.ready).map((c) => c.name);
      if (unready.length) {
        const msg = `containers with unready status: ${list(unready)}`;
        ready = cond('Ready', 'False', 'ContainersNotReady', msg);
        cready = cond('ContainersReady', 'False', 'ContainersNotReady', msg);
      } else {
        cready = cond('ContainersReady', 'True');
        const gates: string[] = [];
        for (const g of rt.pod.spec?.readinessGates ?? []) {
          const c = old.find((x) => x.type === g.conditionType);
          if (!c) gates.push(`corresponding condition of pod readiness gate "${g.conditionType}" does not exist.`);
          else if (c.status !== 'True') gates.push(`the status of pod readiness gate "${g.conditionType}" is not "True", but ${c.status}`);
        }
        ready = gates.length ? cond('Ready', 'False', 'ReadinessGatesNotReady', gates.join(', ')) : cond('Ready', 'True');
      }
    }
    conditions.push(ready, cready);
    const sched = old.find((c) => c.type === 'PodScheduled');
    conditions.push(sched && sched.status === 'True' ? sched : cond('PodScheduled', 'True'));
    const known = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    for (const c of old) if (!known.has(c.type)) conditions.push(c);

    const status: any = { ...(current.status ?? {}) };
    status.conditions = conditions;
    status.containerStatuses = rt.app.map(ctrStatus);
    if (rt.eph.length) status.ephemeralContainerStatuses = rt.eph.map(ctrStatus);
    if (rt.init.length) status.initContainerStatuses = rt.init.map(ctrStatus);
    else delete status.initContainerStatuses;
    status.hostIP = rt.hostIP;
    status.hostIPs = [{ ip: rt.hostIP }];
    status.phase = phase;
    if (rt.podIP) {
      status.podIP = rt.podIP;
      status.podIPs = [{ ip: rt.podIP }];
    }
    status.startTime = rt.startTime;
    if (rt.terminal?.reason) status.reason = rt.terminal.reason;
    if (rt.terminal?.message) status.message = rt.terminal.message;
    return status;
  }

  function flush(rt: PodRT): void {
    if (rt.gone) return;
    const cur = ctx.store.get(podDef(), rt.ns, rt.name);
    if (!cur || cur.metadata.uid !== rt.uid) return;
    const status = buildStatus(rt, cur);
    if (deepEqual(cur.status, status)) {
      rt.pod = cur;
      return;
    }
    // a new object with the new status; spec and the rest are shared with the stored (immutable) version
    rt.pod = ctx.store.update(podDef(), { ...cur, metadata: { ...cur.metadata }, status }, { owned: true });
  }

  // ── logs ──

  function log(rt: PodRT, c: Ctr, line: string): void {
    ctx.logs.current(rt.uid, c.name).write(line);
  }

  function startupLogs(rt: PodRT, c: Ctr): void {
    for (const l of startupLines(rt, c, new Date())) log(rt, c, l);
  }

  /** What a server container prints when it starts (at `when`), by image. */
  function startupLines(rt: PodRT, c: Ctr, when: Date): string[] {
    const image: string = c.spec.image ?? '';
    const tag = imageTag(image);
    const ports: number[] = (c.spec.ports ?? []).map((p: any) => p.containerPort);
    const port = ports[0] ?? 8080;
    const lines: string[] = [];
    if (/ingress-nginx\/controller|nginx-ingress-controller/.test(image)) {
      const args: string[] = [...(c.spec.command ?? []), ...(c.spec.args ?? [])];
      const vars = envVars(rt, c.spec);
      const arg = (n: string) => {
        const a = args.find((x) => x.startsWith(`--${n}=`));
        return a ? expandRefs(a.slice(n.length + 3), vars) : undefined;
      };
      const election = arg('election-id') ?? 'ingress-controller-leader';
      const cm = arg('configmap') ?? `${rt.ns}/ingress-nginx-controller`;
      const kl = (lvl: string, file: string, msg: string) => `${lvl}${klogTime(when)}       7 ${file}] ${msg}`;
      lines.push(
        '-------------------------------------------------------------------------------',
        'NGINX Ingress controller',
        `  Release:       ${tag}`,
        `  Build:         ${hex(`ingress-nginx ${tag}`, 40)}`,
        '  Repository:    https://github.com/kubernetes/ingress-nginx',
        `  nginx version: nginx/${/^v1\.(1[3-9]|[2-9]\d)/.test(tag) ? '1.27.1' : '1.25.5'}`,
        '',
        '-------------------------------------------------------------------------------',
        '',
        kl('W', 'client_config.go:667', 'Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work.'),
        kl('I', 'main.go:205', '"Creating API client" host="https://127.2.0.1:443"'),
        kl('I', 'main.go:248', '"Running in Kubernetes cluster" major="1" minor="32" git="v1.32.0" state="clean" commit="70d3cc986aa8221cd1dfb1121852688902d3bf53" platform="linux/amd64"'),
        kl('I', 'main.go:101', '"SSL fake certificate created" file="/etc/ingress-controller/ssl/default-fake-certificate.pem"'),
        kl('I', 'ssl.go:535', '"loading tls certificate" path="/usr/local/certificates/cert" key="/usr/local/certificates/key"'),
        kl('I', 'nginx.go:271', '"Starting NGINX Ingress controller"'),
      );
      const cmObj = ctx.store.get(ctx.type('', 'configmaps'), cm.split('/')[0], cm.split('/')[1] ?? '');
      if (cmObj)
        lines.push(kl('I', 'event.go:377', `Event(v1.ObjectReference{Kind:"ConfigMap", Namespace:"${cmObj.metadata.namespace}", Name:"${cmObj.metadata.name}", UID:"${cmObj.metadata.uid}", APIVersion:"v1", ResourceVersion:"${cmObj.metadata.resourceVersion}", FieldPath:""}): type: 'Normal' reason: 'CREATE' ConfigMap ${cm}`));
      const ingressClass = arg('ingress-class') ?? 'nginx';
      for (const ing of ctx.store.list(ctx.type('networking.k8s.io', 'ingresses'))) {
        const cls = ing.spec?.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
        if (cls !== ingressClass) continue;
        lines.push(kl('I', 'store.go:440', `"Found valid IngressClass" ingress="${ing.metadata.namespace}/${ing.metadata.name}" ingressclass="${cls}"`));
        lines.push(kl('I', 'event.go:377', `Event(v1.ObjectReference{Kind:"Ingress", Namespace:"${ing.metadata.namespace}", Name:"${ing.metadata.name}", UID:"${ing.metadata.uid}", APIVersion:"networking.k8s.io/v1", ResourceVersion:"${ing.metadata.resourceVersion}", FieldPath:""}): type: 'Normal' reason: 'Sync' Scheduled for sync`));
        for (const t of ing.spec?.tls ?? []) if (t.secretName) lines.push(kl('I', 'backend_ssl.go:67', `"Adding secret to local store" name="${ing.metadata.namespace}/${t.secretName}"`));
      }
      lines.push(
        kl('I', 'nginx.go:317', '"Starting NGINX process"'),
        kl('I', 'leaderelection.go:254', `attempting to acquire leader lease ${rt.ns}/${election}...`),
        kl('I', 'nginx.go:337', '"Starting validation webhook" address=":8443" certPath="/usr/local/certificates/cert" keyPath="/usr/local/certificates/key"'),
        kl('I', 'controller.go:196', '"Configuration changes detected, backend reload required"'),
        kl('I', 'leaderelection.go:268', `successfully acquired lease ${rt.ns}/${election}`),
        kl('I', 'status.go:85', `"New leader elected" identity="${rt.name}"`),
        kl('I', 'controller.go:216', '"Backend successfully reloaded"'),
        kl('I', 'controller.go:227', '"Initial sync, sleeping for 1 second"'),
        kl('I', 'event.go:377', `Event(v1.ObjectReference{Kind:"Pod", Namespace:"${rt.ns}", Name:"${rt.name}", UID:"${rt.uid}", APIVersion:"v1", ResourceVersion:"${rt.pod.metadata.resourceVersion}", FieldPath:""}): type: 'Normal' reason: 'RELOAD' NGINX reload triggered due to a change in configuration`),
      );
    } else if (/(^|\/)coredns(:|@|$)/.test(image)) {
      const v = tag.replace(/^v/, '');
      lines.push('.:53', `[INFO] plugin/reload: Running configuration SHA512 = ${hex(`Corefile ${rt.ns}`, 64)}${hex(`Corefile2 ${rt.ns}`, 64)}`, `CoreDNS-${v}`, `linux/amd64, go1.21.11, ${hex(v, 7)}`);
    } else if (/(^|\/)nginx(:|@|$)/.test(image) || /(^|\/)nginx-unprivileged(:|@|$)/.test(image)) {
      const ver = /^\d+\.\d+\.\d+/.exec(tag)?.[0] ?? (/^1\.2[0-6]/.test(tag) ? `${tag}.0` : '1.27.3');
      const t = nginxTime(when);
      lines.push(
        '/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
        '/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/',
        '/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
        '10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf',
        '10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf',
        '/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh',
        '/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
        '/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh',
        '/docker-entrypoint.sh: Configuration complete; ready for start up',
        `${t} [notice] 1#1: using the "epoll" event method`,
        `${t} [notice] 1#1: nginx/${ver}`,
        `${t} [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) `,
        `${t} [notice] 1#1: OS: Linux 6.8.0-51-generic`,
        `${t} [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576`,
        `${t} [notice] 1#1: start worker processes`,
        `${t} [notice] 1#1: start worker process 29`,
        `${t} [notice] 1#1: start worker process 30`,
      );
    } else if (/podinfo/.test(image)) {
      const ts = () => when.toISOString();
      const p = (c.spec.command ?? []).concat(c.spec.args ?? []).find((a: string) => a.startsWith('--port='))?.slice(7) ?? String(port);
      lines.push(
        JSON.stringify({ level: 'info', ts: ts(), caller: 'podinfo/main.go:153', msg: 'Starting podinfo', version: tag, revision: hex(`podinfo ${tag}`, 40), port: p }),
        JSON.stringify({ level: 'info', ts: ts(), caller: 'api/server.go:275', msg: 'Starting HTTP Server.', addr: `:${p}` }),
      );
    } else if (/kube-proxy/.test(image)) {
      const kl = (file: string, msg: string) => `I${klogTime(when)}       1 ${file}] ${msg}`;
      lines.push(
        kl('server_linux.go:66', '"Using iptables proxy"'),
        kl('server.go:698', `"Successfully retrieved node IP(s)" IPs=["${rt.hostIP}"]`),
        kl('server_linux.go:170', '"Using iptables Proxier"'),
        kl('server.go:483', `"Version info" version="${tag}"`),
        kl('config.go:199', '"Starting service config controller"'),
        kl('config.go:105', '"Starting endpoint slice config controller"'),
        kl('shared_informer.go:320', 'Caches are synced for service config'),
        kl('shared_informer.go:320', 'Caches are synced for endpoint slice config'),
      );
    } else {
      const t = when.toISOString();
      const app = imageRepo(normalizeImage(image)).split('/').pop();
      lines.push(`${t} INFO starting ${app} ${tag}`, `${t} INFO listening on :${port}`);
    }
    return lines;
  }

  // ── container lifecycle ──

  function newCtr(rt: PodRT, spec: any, init: boolean): Ctr {
    const sidecar = init && spec.restartPolicy === 'Always';
    const { kind, argv } = classify(rt, spec, init, sidecar);
    return {
      name: spec.name,
      init,
      sidecar,
      spec,
      kind,
      argv,
      state: 'waiting',
      waiting: { reason: init || rt.pod.spec?.initContainers?.length ? 'PodInitializing' : 'ContainerCreating' },
      restartCount: 0,
      ready: false,
      started: false,
      gen: 0,
      crashBackoffMs: 0,
      crashBackoffAt: 0,
      pullBackoffMs: 0,
      readiness: { ok: false, run: 0 },
      liveness: { ok: true, run: 0 },
      startupRun: 0,
      everStarted: false,
      done: false,
    };
  }

  // ── adoption ──

  /**
   * Whether a pod this kubelet holds no runtime state for is already running (a restored cluster, a kubelet
   * restart): Running with a sandbox IP, every app container and sidecar running, every init container done.
   */
  function adoptable(pod: KObject): boolean {
    const st = pod.status;
    if (st?.phase !== 'Running') return false;
    if (!pod.spec?.hostNetwork && !st.podIP) return false;
    const statuses = (list: any[] | undefined) => new Map<string, any>((list ?? []).map((x: any) => [x?.name, x]));
    const app: any[] = pod.spec?.containers ?? [];
    const cs = statuses(st.containerStatuses);
    if (!app.length || !app.every((c) => cs.get(c.name)?.state?.running)) return false;
    const ics = statuses(st.initContainerStatuses);
    for (const c of pod.spec?.initContainers ?? []) {
      const x = ics.get(c.name);
      if (c.restartPolicy === 'Always' ? !x?.state?.running : x?.state?.terminated?.exitCode !== 0) return false;
    }
    return true;
  }

  /**
   * Takes over running containers as a restarted kubelet does when it finds them in the container runtime: the
   * pod keeps its IP, start time, restart counts and readiness; probes start on their normal schedule; no events,
   * and no status write unless something actually differs (a flapping pod's readiness).
   */
  function adopt(rt: PodRT, node: KObject): boolean {
    const pod = rt.pod;
    const st = pod.status;
    rt.sandbox = true;
    rt.initDone = true;
    rt.podIP = pod.spec?.hostNetwork ? rt.hostIP : st.podIP;
    if (!pod.spec?.hostNetwork) reserveIP(node, st.podIP);
    if (st.startTime) {
      rt.startTime = st.startTime;
      rt.startMs = Date.parse(st.startTime) || rt.startMs;
    }
    const images = nodeImages.get(rt.node) ?? new Set<string>();
    nodeImages.set(rt.node, images);
    const statuses = new Map<string, any>([...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])].map((x: any) => [x?.name, x]));
    const crash = parseDuration(pod.metadata.annotations?.[ANN_CRASH]);
    let changed = false;
    for (const c of [...rt.init, ...rt.app]) {
      const x = statuses.get(c.name) ?? {};
      images.add(normalizeImage(c.spec.image ?? ''));
      c.containerID = x.containerID || undefined;
      c.imageID = x.imageID || undefined;
      c.restartCount = x.restartCount ?? 0;
      c.lastTerminated = x.lastState?.terminated ? { ...x.lastState.terminated } : undefined;
      c.everStarted = true;
      c.waiting = undefined;
      c.gen = 1;
      if (x.state?.terminated) {
        // an init container that completed before
        c.state = 'terminated';
        c.terminated = { ...x.state.terminated };
        c.done = true;
        c.ready = !!x.ready;
        continue;
      }
      c.state = 'running';
      c.startedAt = x.state?.running?.startedAt ?? rt.startTime;
      c.started = x.started ?? true;
      c.ready = !!x.ready;
      if (c.kind === 'helper') c.abort = new AbortController();
      c.readiness = { ok: c.ready, lastResult: c.ready, run: 1 };
      if (rt.flapMs && !c.init && !c.spec.readinessProbe && c.ready === flapDown(rt)) {
        c.ready = !c.ready;
        changed = true;
      }
      if (c.spec.startupProbe && !c.started) scheduleProbe(rt, c, 'startup');
      else startProbes(rt, c);
      const startedMs = Date.parse(c.startedAt ?? '') || Date.now();
      if (c.kind === 'helper') runHelper(rt, c, c.gen);
      else if (c.kind === 'batch') afterC(rt, c, S(), () => exited(rt, c, 0));
      else {
        if (crash !== undefined && !c.init) {
          afterC(rt, c, crash - (Date.now() - startedMs), () => {
            log(rt, c, `${new Date().toISOString()} ERROR fatal error, shutting down`);
            exited(rt, c, 1);
          });
        }
      }
    }
    if (rt.flapMs && rt.app.some((c) => !c.spec.readinessProbe)) scheduleFlap(rt);
    if (pod.spec?.activeDeadlineSeconds !== undefined) {
      after(rt, rt.startMs + pod.spec.activeDeadlineSeconds * 1000 - Date.now(), () => deadlineExceeded(rt));
    }
    if (changed) flush(rt);
    const busy =
      !!rt.timers?.size || !!pod.metadata.deletionTimestamp || [...rt.init, ...rt.app].some((c) => c.state === 'running' && c.kind === 'helper');
    // a busy pod keeps its runtime state, so its logs come from it; a quiet pod's come from quietLog
    if (busy) {
      for (const c of [...rt.init, ...rt.app]) {
        if (c.state !== 'running' || c.kind !== 'server') continue;
        const at = Date.parse(c.startedAt ?? '') || Date.now();
        ctx.logs.lazyCurrent(rt.uid, c.name, at, () => startupLines(rt, c, new Date(at)));
      }
    }
    return busy;
  }

  function begin(rt: PodRT, node: KObject): void {
    flush(rt);
    after(rt, S() * 0.3, () => {
      if (rt.terminating) return;
      rt.podIP = rt.pod.spec?.hostNetwork ? rt.hostIP : allocateIP(node);
      rt.sandbox = true;
      flush(rt);
      if (rt.pod.spec?.activeDeadlineSeconds !== undefined) {
        after(rt, rt.startMs + rt.pod.spec.activeDeadlineSeconds * 1000 - Date.now(), () => deadlineExceeded(rt));
      }
      advance(rt);
    });
  }

  /** Starts the next init container, or every app container once init is done. */
  function advance(rt: PodRT): void {
    if (rt.terminating || rt.terminal) return;
    if (!rt.initDone) {
      for (const c of rt.init) {
        if (c.sidecar ? c.started : c.done) continue;
        if (c.state === 'waiting' && !c.everStarted && c.gen === 0 && !c.abort) startContainer(rt, c);
        return;
      }
      rt.initDone = true;
    }
    for (const c of rt.app) {
      if (c.gen === 0 && !c.everStarted) {
        c.waiting = { reason: 'ContainerCreating' };
        startContainer(rt, c);
      }
    }
    flush(rt);
  }

  function startContainer(rt: PodRT, c: Ctr): void {
    c.gen++;
    c.abort = new AbortController();
    const image: string = c.spec.image ?? '';
    const nsObj = ctx.store.get(ctx.type('', 'namespaces'), undefined, rt.ns);
    const fail = rt.pod.metadata.annotations?.[ANN_PULL] === 'fail' || imagePullFailure(image, nsObj) !== undefined;
    const policy: string = c.spec.imagePullPolicy ?? 'IfNotPresent';
    const images = nodeImages.get(rt.node) ?? new Set<string>();
    nodeImages.set(rt.node, images);
    const present = images.has(normalizeImage(image));
    // imagePullPolicy Never: the lab's nodes are taken to have every image preloaded (as `kind load` does)
    if (!fail && ((present && policy !== 'Always') || policy === 'Never')) {
      event(rt, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      afterC(rt, c, S() * 0.2, () => create(rt, c));
      return;
    }
    event(rt, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const t0 = Date.now();
    afterC(rt, c, S() * 0.5, () => {
      if (fail) return pullFailed(rt, c);
      images.add(normalizeImage(image));
      const took = goDuration(Date.now() - t0);
      event(rt, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${imageSize(image)} bytes.`);
      afterC(rt, c, S() * 0.2, () => create(rt, c));
    });
  }

  function pullFailed(rt: PodRT, c: Ctr): void {
    const image: string = c.spec.image ?? '';
    const n = normalizeImage(image);
    const nsObj = ctx.store.get(ctx.type('', 'namespaces'), undefined, rt.ns);
    const err = imagePullFailure(image, nsObj) ?? `rpc error: code = NotFound desc = failed to pull and unpack image "${n}": failed to resolve reference "${n}": ${n}: not found`;
    event(rt, 'Warning', 'Failed', `Failed to pull image "${image}": ${err}`);
    event(rt, 'Warning', 'Failed', 'Error: ErrImagePull');
    c.waiting = { reason: 'ErrImagePull', message: err };
    flush(rt);
    c.pullBackoffMs = c.pullBackoffMs ? Math.min(c.pullBackoffMs * 2, MAX_BACKOFF_MS) : 10_000;
    const wait = c.pullBackoffMs * backoffScale(ctx);
    afterC(rt, c, Math.min(S(), wait / 4), () => {
      const msg = `Back-off pulling image "${image}"`;
      event(rt, 'Normal', 'BackOff', msg);
      event(rt, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      c.waiting = { reason: 'ImagePullBackOff', message: msg };
      flush(rt);
      afterC(rt, c, wait, () => {
        c.gen++;
        startContainer(rt, c);
      });
    });
  }

  function create(rt: PodRT, c: Ctr): void {
    if (rt.terminating) return;
    const image: string = c.spec.image ?? '';
    const nonRoot = c.spec.securityContext?.runAsNonRoot ?? rt.pod.spec?.securityContext?.runAsNonRoot;
    if (nonRoot === true && runsAsRoot(rt.pod, c.spec)) {
      // kubelet verifyRunAsNonRoot: the image's user is root and no runAsUser overrides it
      const msg = `container has runAsNonRoot and image will run as root (pod: "${formatPod(rt)}", container: ${c.name})`;
      event(rt, 'Warning', 'Failed', `Error: ${msg}`);
      c.waiting = { reason: 'CreateContainerConfigError', message: msg };
      flush(rt);
      return;
    }
    c.containerID = flat(`containerd://${randomBytes(32).toString('hex')}`);
    c.imageID = imageIDOf(image);
    event(rt, 'Normal', 'Created', `Created container: ${c.name}`);
    event(rt, 'Normal', 'Started', `Started container ${c.name}`);
    c.state = 'running';
    c.waiting = undefined;
    c.startedAt = nowIso();
    c.everStarted = true;
    c.started = !c.spec.startupProbe;
    c.readiness = { ok: false, run: 0 };
    c.liveness = { ok: true, run: 0 };
    c.startupRun = 0;
    c.ready = c.ephemeral || (c.init && !c.sidecar) ? false : !c.spec.readinessProbe && !flapDown(rt);
    const gen = c.gen;
    if (c.kind === 'server') startupLogs(rt, c);
    if (c.spec.startupProbe) scheduleProbe(rt, c, 'startup');
    else startProbes(rt, c);
    if (rt.flapMs && !c.spec.readinessProbe && !c.init && !rt.flapTimer) scheduleFlap(rt);
    const crash = parseDuration(rt.pod.metadata.annotations?.[ANN_CRASH]);
    if (c.kind === 'helper') runHelper(rt, c, gen);
    else if (c.kind === 'batch') {
      afterC(rt, c, S(), () => exited(rt, c, 0));
    } else if (crash !== undefined && !c.init) {
      afterC(rt, c, crash, () => {
        log(rt, c, `${new Date().toISOString()} ERROR fatal error, shutting down`);
        exited(rt, c, 1);
      });
    }
    flush(rt);
    if (c.sidecar) advance(rt);
  }

  function runHelper(rt: PodRT, c: Ctr, gen: number): void {
    const ac = c.abort!;
    const net = labNetModel(ctx.store, ctx.registry, {
      name: rt.name,
      namespace: rt.ns,
      ip: rt.podIP,
      nodeName: rt.node,
      hostNetwork: !!rt.pod.spec?.hostNetwork,
      dnsPolicy: rt.pod.spec?.dnsPolicy,
    });
    const dp = ctx.dataplane;
    const sourceIP = rt.podIP ?? rt.hostIP;
    const useReal = !!dp?.info().enabled && !!sourceIP;
    const logRef = ctx.logs.current(rt.uid, c.name);
    runCommand(c.argv, {
      write: (line) => logRef.write(line),
      signal: ac.signal,
      net: useReal ? realNet({ ctx, dataplane: dp!, model: net, sourceIP: sourceIP!, self: rt.pod }) : net,
      rawSockets: rawSockets(rt.pod, c.spec),
      node: nodeView(ctx, { pod: rt.pod, nodeName: rt.node, hostIP: rt.hostIP, hostNetwork: !!rt.pod.spec?.hostNetwork, netAdmin: netAdmin(rt.pod, c.spec) }),
      vars: envVars(rt, c.spec),
      image: c.spec.image,
      hostname: rt.pod.spec?.hostname ?? rt.name,
    }).then(
      ({ exitCode }) => {
        if (ac.signal.aborted || c.gen !== gen || rt.gone || rt.terminal) return;
        exited(rt, c, exitCode);
      },
      (e) => {
        if (ac.signal.aborted || c.gen !== gen || rt.gone) return;
        logRef.write(String(e instanceof Error ? e.message : e));
        exited(rt, c, 1);
      },
    );
  }

  function stopProbes(c: Ctr): void {
    c.gen++;
  }

  /** A container's process ended (on its own, or killed by a failed liveness/startup probe). */
  function exited(rt: PodRT, c: Ctr, exitCode: number, reason?: string): void {
    if (rt.terminating || rt.terminal || c.state !== 'running') return;
    const finishedAt = nowIso();
    c.terminated = { containerID: c.containerID, exitCode, finishedAt, reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'), startedAt: c.startedAt };
    c.state = 'terminated';
    c.ready = false;
    c.started = false;
    c.abort?.abort();
    c.abort = undefined;
    stopProbes(c);
    ctx.logs.current(rt.uid, c.name).end();
    if (c.ephemeral) {
      // ephemeral containers are never restarted and do not count towards the pod's phase
      c.done = true;
      flush(rt);
      return;
    }
    const policy = rt.pod.spec?.restartPolicy ?? 'Always';
    let restart: boolean;
    if (c.sidecar) restart = true;
    else if (c.init) restart = exitCode !== 0 && policy !== 'Never';
    else restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
    if (!restart) {
      if (c.init && exitCode === 0) {
        c.done = true;
        c.ready = true;
        flush(rt);
        advance(rt);
        return;
      }
      c.done = true;
      if (c.init) return finish(rt, 'Failed');
      if (rt.app.every((x) => x.state === 'terminated' && x.done)) {
        return finish(rt, rt.app.every((x) => x.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed');
      }
      flush(rt);
      return;
    }
    // restart, with the kubelet's back-off: the first restart is immediate, then 10s, 20s, … capped at 5m
    const now = Date.now();
    if (c.crashBackoffMs && now - c.crashBackoffAt > 2 * MAX_BACKOFF_MS) c.crashBackoffMs = 0;
    if (!c.crashBackoffMs) {
      c.crashBackoffMs = 10_000;
      c.crashBackoffAt = now;
      flush(rt);
      afterC(rt, c, S() * 0.1, () => restartContainer(rt, c));
      return;
    }
    const dur = c.crashBackoffMs;
    const msg = `back-off ${goDuration(dur)} restarting failed container=${c.name} pod=${formatPod(rt)}`;
    flush(rt);
    afterC(rt, c, S() * 0.1, () => {
      event(rt, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${formatPod(rt)}`);
      c.lastTerminated = c.terminated;
      c.terminated = undefined;
      c.state = 'waiting';
      c.waiting = { reason: 'CrashLoopBackOff', message: msg };
      flush(rt);
      afterC(rt, c, dur * backoffScale(ctx), () => {
        c.crashBackoffMs = Math.min(dur * 2, MAX_BACKOFF_MS);
        c.crashBackoffAt = Date.now();
        restartContainer(rt, c);
      });
    });
  }

  function restartContainer(rt: PodRT, c: Ctr): void {
    if (rt.terminating || rt.terminal) return;
    if (c.terminated) c.lastTerminated = c.terminated;
    c.terminated = undefined;
    c.restartCount++;
    c.state = 'waiting';
    c.waiting = c.waiting?.reason === 'CrashLoopBackOff' ? c.waiting : { reason: 'ContainerCreating' };
    ctx.logs.rotate(rt.uid, c.name);
    startContainer(rt, c);
  }

  function finish(rt: PodRT, phase: 'Succeeded' | 'Failed', reason?: string, message?: string): void {
    rt.terminal = { phase, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
    for (const c of [...rt.init, ...rt.app, ...rt.eph]) {
      c.abort?.abort();
      stopProbes(c);
    }
    releaseIP(rt);
    flush(rt);
  }

  function deadlineExceeded(rt: PodRT): void {
    if (rt.terminating || rt.terminal) return;
    const message = 'Pod was active on the node longer than the specified deadline';
    event(rt, 'Warning', 'DeadlineExceeded', message);
    for (const c of [...rt.init, ...rt.app, ...rt.eph]) {
      if (c.state !== 'running') continue;
      event(rt, 'Normal', 'Killing', `Stopping container ${c.name}`);
      c.terminated = { containerID: c.containerID, exitCode: 137, finishedAt: nowIso(), reason: 'Error', startedAt: c.startedAt };
      c.state = 'terminated';
      c.ready = false;
      c.started = false;
      c.abort?.abort();
      ctx.logs.current(rt.uid, c.name).end();
    }
    finish(rt, 'Failed', 'DeadlineExceeded', message);
  }

  // ── probes ──

  function flapDown(rt: PodRT): boolean {
    if (!rt.flapMs) return false;
    return Math.floor((Date.now() + rt.flapOffset) / rt.flapMs) % 2 === 1;
  }

  function scheduleFlap(rt: PodRT): void {
    const ms = rt.flapMs!;
    const next = ms - ((Date.now() + rt.flapOffset) % ms) + 1;
    rt.flapTimer = after(rt, next, () => {
      rt.flapTimer = undefined;
      if (rt.terminating || rt.terminal) return;
      const down = flapDown(rt);
      let changed = false;
      for (const c of rt.app) {
        if (c.state !== 'running' || c.spec.readinessProbe) continue;
        if (c.ready === down) {
          c.ready = !down;
          changed = true;
        }
      }
      if (changed) flush(rt);
      if (rt.app.some((c) => !c.spec.readinessProbe)) scheduleFlap(rt);
    });
  }

  function startProbes(rt: PodRT, c: Ctr): void {
    if (c.spec.readinessProbe && !(c.init && !c.sidecar)) scheduleProbe(rt, c, 'readiness');
    if (c.spec.livenessProbe && !(c.init && !c.sidecar)) scheduleProbe(rt, c, 'liveness');
  }

  function scheduleProbe(rt: PodRT, c: Ctr, type: 'readiness' | 'liveness' | 'startup', first = true): void {
    const probe = c.spec[`${type}Probe`];
    const period = Math.max(1, probe.periodSeconds ?? 10) * 1000;
    const initial = (probe.initialDelaySeconds ?? 0) * 1000;
    // the first run: after initialDelaySeconds, with a little jitter as the probe workers start
    const startedMs = Date.parse(c.startedAt ?? '') || Date.now();
    const delay = first ? Math.max(initial - (Date.now() - startedMs), Math.min(period, S() * 0.5)) : period;
    afterC(rt, c, delay, () => {
      if (rt.terminating || c.state !== 'running') return;
      const gen = c.gen;
      void Promise.resolve(runProbe(rt, c, type)).then(() => {
        if (c.gen !== gen || rt.gone || rt.terminating) return;
        if (c.state === 'running' && (type !== 'startup' || !c.started)) scheduleProbe(rt, c, type, false);
      });
    });
  }

  /** LAB.md "Readiness before the data plane": the answers a real probe would get from the pod's simulated server. */
  function evaluate(rt: PodRT, c: Ctr, probe: any, type: string): { ok: true } | { ok: false; output: string } | { error: string } {
    if (probe.exec) return type === 'readiness' && flapDown(rt) ? { ok: false, output: '' } : { ok: true };
    const raw = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
    const ports: any[] = c.spec.ports ?? [];
    let port: number;
    if (typeof raw === 'string' && !/^\d+$/.test(raw)) {
      const p = ports.find((x) => x.name === raw);
      if (!p) return { error: `port ${raw} not found` };
      port = p.containerPort;
    } else port = typeof raw === 'number' ? raw : parseInt(String(raw), 10);
    const declared = ports.some((x) => x.containerPort === port);
    const host = probe.httpGet?.host ?? rt.podIP ?? rt.hostIP;
    const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
    if (probe.httpGet) {
      const path: string = probe.httpGet.path ?? '/';
      const url = `${String(probe.httpGet.scheme ?? 'HTTP').toLowerCase()}://${host}:${port}${path}`;
      const refused = `Get "${url}": dial tcp ${host}:${port}: connect: connection refused`;
      const timeout = `Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`;
      if (!declared) return { ok: false, output: refused };
      if (type === 'readiness' && flapDown(rt)) return { ok: false, output: timeout };
      let map: Record<string, unknown> = {};
      try {
        map = JSON.parse(rt.pod.metadata.annotations?.[ANN_RESPONSES] ?? '{}');
      } catch {
        map = {};
      }
      let best: string | undefined;
      for (const k of Object.keys(map)) if (path.startsWith(k) && (best === undefined || k.length > best.length)) best = k;
      const v = best === undefined ? undefined : map[best];
      if (v === undefined) return { ok: true };
      if (typeof v === 'number' || /^\d+$/.test(String(v))) {
        const code = Number(v);
        return code >= 200 && code < 400 ? { ok: true } : { ok: false, output: `HTTP probe failed with statuscode: ${code}` };
      }
      if (v === 'hang') return { ok: false, output: timeout };
      if (v === 'refuse') return { ok: false, output: refused };
      if (v === 'reset') return { ok: false, output: `Get "${url}": read tcp ${rt.hostIP}:${40000 + Math.floor(Math.random() * 20000)}->${host}:${port}: read: connection reset by peer` };
      const slow = /^slow:(\d+)$/.exec(String(v));
      if (slow && parseInt(slow[1]!, 10) >= timeoutMs) return { ok: false, output: timeout };
      return { ok: true };
    }
    if (probe.tcpSocket) {
      if (!declared) return { ok: false, output: `dial tcp ${host}:${port}: connect: connection refused` };
      if (type === 'readiness' && flapDown(rt)) return { ok: false, output: `dial tcp ${host}:${port}: i/o timeout` };
      return { ok: true };
    }
    if (probe.grpc) {
      if (!declared || (type === 'readiness' && flapDown(rt))) return { ok: false, output: `timeout: failed to connect service "${host}:${port}" within ${probe.timeoutSeconds ?? 1}s: context deadline exceeded` };
      return { ok: true };
    }
    return { ok: true };
  }

  /**
   * Runs a probe: against the data plane's real listeners when the lab has one (ctx.prober), else by the lab rule.
   * Exec probes and the flap fault keep the rule.
   */
  function runProbe(rt: PodRT, c: Ctr, type: 'readiness' | 'liveness' | 'startup'): Promise<void> | void {
    const probe = c.spec[`${type}Probe`];
    const prober = ctx.prober;
    if (!prober || probe.exec || (type === 'readiness' && flapDown(rt))) return applyProbe(rt, c, type, evaluate(rt, c, probe, type));
    const gen = c.gen;
    return prober(rt.pod, c.spec, probe, type).then(
      (r) => {
        if (c.gen !== gen || rt.gone || rt.terminating || c.state !== 'running') return;
        const errored = (r as { errored?: boolean }).errored;
        applyProbe(rt, c, type, errored ? { error: r.message ?? '' } : r.ok ? { ok: true } : { ok: false, output: r.message ?? '' });
      },
      (e) => {
        if (c.gen === gen && !rt.gone) applyProbe(rt, c, type, { error: String((e as Error)?.message ?? e) });
      },
    );
  }

  function applyProbe(rt: PodRT, c: Ctr, type: 'readiness' | 'liveness' | 'startup', r: { ok: true } | { ok: false; output: string } | { error: string }): void {
    const probe = c.spec[`${type}Probe`];
    const label = type === 'readiness' ? 'Readiness' : type === 'liveness' ? 'Liveness' : 'Startup';
    if ('error' in r) {
      event(rt, 'Warning', 'Unhealthy', `${label} probe errored and resulted in unknown state: ${r.error}`);
      return;
    }
    if (!r.ok) event(rt, 'Warning', 'Unhealthy', `${label} probe failed: ${r.output}`);
    const failureThreshold = probe.failureThreshold ?? 3;
    const successThreshold = probe.successThreshold ?? 1;
    if (type === 'startup') {
      if (r.ok) {
        c.started = true;
        c.ready = !c.spec.readinessProbe;
        flush(rt);
        startProbes(rt, c);
        return;
      }
      c.startupRun++;
      if (c.startupRun >= failureThreshold) {
        event(rt, 'Normal', 'Killing', `Container ${c.name} failed startup probe, will be restarted`);
        exited(rt, c, 137);
      }
      return;
    }
    const st = type === 'readiness' ? c.readiness : c.liveness;
    if (st.lastResult === r.ok) st.run++;
    else {
      st.lastResult = r.ok;
      st.run = 1;
    }
    if ((!r.ok && st.run < failureThreshold) || (r.ok && st.run < successThreshold)) return;
    if (type === 'readiness') {
      if (c.ready !== r.ok) {
        c.ready = r.ok;
        flush(rt);
      }
      return;
    }
    if (!r.ok) {
      event(rt, 'Normal', 'Killing', `Container ${c.name} failed liveness probe, will be restarted`);
      exited(rt, c, 137);
    }
  }

  // ── deletion ──

  function terminate(rt: PodRT): void {
    rt.terminating = true;
    const pod = rt.pod;
    const graceS = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    const graceMs = Math.min(graceS * 1000, ctx.settings.maxGraceMs);
    const running = [...rt.init, ...rt.app, ...rt.eph].filter((c) => c.state === 'running');
    for (const c of running) event(rt, 'Normal', 'Killing', `Stopping container ${c.name}`);
    for (const c of [...rt.init, ...rt.app]) stopProbes(c);
    const stop = (c: Ctr, exitCode: number) => {
      if (c.state !== 'running') return;
      c.abort?.abort();
      c.terminated = { containerID: c.containerID, exitCode, finishedAt: nowIso(), reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: c.startedAt };
      c.state = 'terminated';
      c.ready = false;
      c.started = false;
      ctx.logs.current(rt.uid, c.name).end();
    };
    // servers exit on SIGTERM; a shell or sleep as PID 1 ignores it and is killed when the grace period ends
    after(rt, graceMs / 2, () => {
      let changed = false;
      for (const c of running) if (c.kind !== 'helper' && c.state === 'running') {
        stop(c, 0);
        changed = true;
      }
      if (changed) flush(rt);
    });
    after(rt, graceMs, () => {
      for (const c of running) stop(c, 137);
      if (!rt.terminal) {
        const all = [...rt.app];
        const ok = all.every((c) => c.state === 'terminated' && c.terminated?.exitCode === 0);
        rt.terminal = { phase: ok ? 'Succeeded' : 'Failed' };
      }
      releaseIP(rt);
      flush(rt);
      const cur = ctx.store.get(podDef(), rt.ns, rt.name);
      if (!cur || cur.metadata.uid !== rt.uid) return;
      if (cur.metadata.finalizers?.length) return; // whoever owns the finalizer finishes the deletion
      ctx.store.remove(podDef(), rt.ns, rt.name);
    });
  }

  function cleanup(key: string, rt: PodRT): void {
    rt.gone = true;
    for (const t of rt.timers ?? []) ctx.clearTimer(t);
    rt.timers = undefined;
    for (const c of [...rt.init, ...rt.app, ...rt.eph]) c.abort?.abort();
    if (!rt.terminal) releaseIP(rt);
    ctx.logs.drop(rt.uid);
    pods.delete(key);
  }

  // ── reconcile ──

  function newRuntime(pod: KObject, node: KObject): PodRT {
    const hostIP = (node.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address ?? '';
    const rt: PodRT = {
      uid: pod.metadata.uid!,
      ns: pod.metadata.namespace!,
      name: pod.metadata.name!,
      node: node.metadata.name!,
      pod,
      init: [],
      app: [],
      eph: [],
      hostIP,
      sandbox: false,
      startTime: nowIso(),
      startMs: Date.now(),
      initDone: !(pod.spec.initContainers ?? []).length,
      terminating: false,
      flapMs: parseDuration(pod.metadata.annotations?.[ANN_FLAP]),
      flapOffset: 0,
      gone: false,
    };
    if (rt.flapMs) rt.flapOffset = parseInt(hex(rt.uid, 8), 16) % rt.flapMs;
    rt.init = (pod.spec.initContainers ?? []).map((c: any) => newCtr(rt, c, true));
    rt.app = (pod.spec.containers ?? []).map((c: any) => newCtr(rt, c, false));
    return rt;
  }

  /** The startup lines of a quiet adopted pod's container, when its log is first read (LogStore provider). */
  function quietLog(uid: string, container: string): { at: number; lines: string[] } | undefined {
    const seen = quiet.get(uid);
    if (!seen) return undefined;
    const pod = ctx.store.get(podDef(), seen.metadata.namespace, seen.metadata.name!);
    const node = pod?.spec?.nodeName ? ctx.store.get(ctx.type('', 'nodes'), undefined, pod.spec.nodeName) : undefined;
    if (!pod || !node || pod.metadata.uid !== uid) return undefined;
    const rt = newRuntime(pod, node);
    rt.podIP = pod.spec?.hostNetwork ? rt.hostIP : pod.status?.podIP;
    const c = [...rt.init, ...rt.app].find((x) => x.name === container);
    if (!c || c.kind !== 'server') return undefined;
    const st = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].find((x: any) => x?.name === container);
    const at = Date.parse(st?.state?.running?.startedAt ?? '') || Date.now();
    return { at, lines: startupLines(rt, c, new Date(at)) };
  }

  function sync(key: string): void {
    const [ns, name] = splitKey(key);
    const pod = ctx.store.get(podDef(), ns, name);
    let rt = pods.get(key);
    if (rt && (!pod || pod.metadata.uid !== rt.uid)) {
      cleanup(key, rt);
      rt = undefined;
    }
    if (!pod || !pod.spec?.nodeName) return;
    const held = quiet.get(pod.metadata.uid!);
    if (!rt && held && !adoptable(pod)) {
      // someone else rewrote a quiet pod's status (no longer running): what it held goes back
      quiet.delete(pod.metadata.uid!);
      if (!held.spec?.hostNetwork) releaseAddress(held.spec?.nodeName, held.status?.podIP);
    }
    if (!rt) {
      const node = ctx.store.get(ctx.type('', 'nodes'), undefined, pod.spec.nodeName);
      if (!node) return; // no kubelet there
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') {
        // finished before this kubelet saw it; only a deletion is left to do
        if (pod.metadata.deletionTimestamp && !pod.metadata.finalizers?.length) ctx.store.remove(podDef(), ns, name);
        return;
      }
      rt = newRuntime(pod, node);
      quiet.delete(rt.uid);
      if (adoptable(pod)) {
        if (!adopt(rt, node) && !pod.spec?.ephemeralContainers?.length) {
          // nothing to run for it until the pod changes: keep no runtime state (the next event re-adopts it)
          quiet.set(rt.uid, pod);
          return;
        }
        pods.set(key, rt);
        if (pod.metadata.deletionTimestamp) terminate(rt);
        startEphemeral(rt);
        return;
      }
      pods.set(key, rt);
      if (pod.metadata.deletionTimestamp) {
        terminate(rt);
        return;
      }
      begin(rt, node);
      return;
    }
    rt.pod = pod;
    if (pod.metadata.deletionTimestamp && !rt.terminating) terminate(rt);
    startEphemeral(rt);
    // the flap fault (and a person) may change lab.netpath.dev/flap on a running pod
    const flapMs = parseDuration(pod.metadata.annotations?.[ANN_FLAP]);
    if (flapMs !== rt.flapMs) setFlap(rt, flapMs);
  }

  /**
   * Starts the ephemeral containers added since the last sync (PATCH pods/ephemeralcontainers): in the pod's
   * sandbox, so they share its network namespace (its IP). Ones a previous kubelet already ran keep their status.
   */
  function startEphemeral(rt: PodRT): void {
    if (rt.terminating || rt.terminal || !rt.sandbox) return;
    const specs: any[] = rt.pod.spec?.ephemeralContainers ?? [];
    if (rt.eph.length === specs.length) return;
    const known: any[] = rt.pod.status?.ephemeralContainerStatuses ?? [];
    for (const spec of specs) {
      if (rt.eph.some((c) => c.name === spec.name)) continue;
      const c = newCtr(rt, spec, false);
      c.ephemeral = true;
      rt.eph.push(c);
      const st = known.find((x) => x?.name === spec.name);
      if (st?.state?.terminated || st?.state?.running) {
        // already ran before this kubelet saw the pod: reported as it was (a restarted process would not be the same)
        c.state = 'terminated';
        c.terminated = st.state.terminated ? { ...st.state.terminated } : { exitCode: 137, finishedAt: nowIso(), reason: 'Error', startedAt: st.state.running.startedAt };
        c.containerID = st.containerID;
        c.imageID = st.imageID;
        c.everStarted = true;
        c.done = true;
        c.waiting = undefined;
        continue;
      }
      c.waiting = { reason: 'ContainerCreating' };
      startContainer(rt, c);
    }
    flush(rt);
  }

  function setFlap(rt: PodRT, ms: number | undefined): void {
    if (rt.flapTimer) {
      ctx.clearTimer(rt.flapTimer);
      rt.timers?.delete(rt.flapTimer);
      rt.flapTimer = undefined;
    }
    rt.flapMs = ms;
    rt.flapOffset = ms ? parseInt(hex(rt.uid, 8), 16) % ms : 0;
    if (rt.terminating || rt.terminal) return;
    let changed = false;
    for (const c of rt.app) {
      if (c.state !== 'running' || c.spec.readinessProbe || !c.started) continue;
      const ready = !flapDown(rt);
      if (c.ready !== ready) {
        c.ready = ready;
        changed = true;
      }
    }
    if (changed) flush(rt);
    if (ms && rt.app.some((c) => c.state === 'running' && !c.spec.readinessProbe)) scheduleFlap(rt);
  }

  return {
    name: 'kubelet',
    start(c) {
      ctx = c;
      c.logs.setProvider(quietLog);
      for (const p of c.store.list(c.type('', 'pods'))) if (p.spec?.nodeName) queue.add(keyOf(p));
    },
    onEvent(ev, def) {
      if (def.group !== '') return;
      if (def.plural === 'pods') {
        const p = ev.object;
        if (ev.type === 'DELETED' && quiet.has(p.metadata.uid!)) {
          // removed without a graceful deletion this kubelet saw (force delete, podgc): free what it held
          quiet.delete(p.metadata.uid!);
          if (!p.spec?.hostNetwork) releaseAddress(p.spec?.nodeName, p.status?.podIP);
          ctx.logs.drop(p.metadata.uid!);
        }
        if (ev.type === 'DELETED' || p.spec?.nodeName || pods.has(keyOf(p))) queue.add(keyOf(p));
        return;
      }
      if (def.plural === 'nodes' && ev.type === 'ADDED') {
        for (const p of ctx.store.list(ctx.type('', 'pods'), undefined, { fieldSelector: [{ field: 'spec.nodeName', op: '=', value: ev.object.metadata.name! }] })) queue.add(keyOf(p));
      }
      if (def.plural === 'nodes' && ev.type === 'DELETED') ipam.delete(ev.object.metadata.name!);
    },
    stop() {
      queue.stop();
      quiet.clear();
      for (const [k, rt] of [...pods]) {
        rt.gone = true;
        for (const c of [...rt.init, ...rt.app]) c.abort?.abort();
        pods.delete(k);
      }
    },
  };
}

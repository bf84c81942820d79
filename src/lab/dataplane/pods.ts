// The pods' own servers. For every pod with a podIP, each running container listens on each of its declared TCP
// containerPorts (init sidecars included) with a small HTTP server that answers `200` with the pod's name
// (`<pod name>\n`, headers `x-pod`, `x-pod-namespace`, `x-pod-ip`, `x-container`). Containers that are not
// running (waiting, crash-looping, terminated, or stopped during graceful deletion) have no listeners, so
// connections are refused, as they are when a real process is gone.
//
// Pod annotations (lab-only, see docs/LAB.md):
// - `lab.netpath.dev/responses`: JSON map path prefix → what the server does; the longest prefix of the request
//   target wins:
//     a status code (500)   answer with that status
//     "slow:MS"             answer 200 after MS milliseconds
//     "hang"                read the request, never answer
//     "reset"               send the status line, headers and part of the body, then reset the connection (RST)
//     "refuse"              refuse: for the prefix "/" (or ""), which covers every path, the port is not bound at
//                           all (a real ECONNREFUSED); for a narrower prefix the request is read and the
//                           connection reset without an answer (a listener cannot refuse per path)
// - `lab.netpath.dev/tls: "true"`: the servers speak TLS (certificate issued by the lab CA for the pod's name,
//   `<pod>.<namespace>.pod`, and its IP) instead of plain HTTP. A connection whose first bytes are not a TLS
//   handshake record (plain HTTP to the HTTPS port) gets a fatal TLS alert record and is closed (TLS_ALERT_RECORD).
//
// UDP containerPorts listen too (udp.ts): a cluster DNS container (isDnsServer) answers DNS on its DNS ports,
// over UDP and TCP; other UDP ports answer each datagram with `<pod name>\n`. NetworkPolicy applies per datagram.
//
// Pods claimed by a PodServerProvider (ingress controllers, gateway proxies) get the same listeners but every
// admitted connection goes to the provider as a raw socket. hostNetwork pods are skipped (their ports would sit
// on the node IP, where NodePorts live) unless a provider claims them.
//
// Every accepted connection is first checked against the NetworkPolicies (policy.ts). A denied connection is
// dropped silently, as CNIs drop the SYN: the lab holds it without reading or answering and destroys it after
// 120 s or when the lab stops. On loopback the TCP handshake itself succeeds (the kernel completes it before the
// lab sees the connection), so clients see a connection that never answers, not a connect timeout.
import * as http from 'node:http';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { ResourceDef } from '../resources.ts';
import type { KObject, StoreEvent } from '../types.ts';
import { issue } from '../pki.ts';
import { type Controller, type ControllerContext, keyOf, splitKey, WorkQueue } from '../controllers/runtime.ts';
import type { PodServerProvider, PolicyCheck } from './types.ts';
import { type Blackhole, type ListenerManager, type ListenerSpec, plainIP } from './net.ts';
import type { UdpListenerSpec, UdpListeners, UdpPeer } from './udp.ts';
import { type DnsAnswerer, serveDnsOverTcp } from './dns.ts';

export const ANN_RESPONSES = 'lab.netpath.dev/responses';
export const ANN_TLS = 'lab.netpath.dev/tls';
/** How long a connection dropped by NetworkPolicy is held before the lab closes it. */
export const POLICY_DROP_MS = 120_000;
/**
 * A TLS server's answer to bytes that are not a TLS record (plain HTTP on an HTTPS port): a fatal alert record
 * (TLS 1.2 framing, alert protocol_version), as rustls-, GnuTLS- and JSSE-based servers send. (OpenSSL servers
 * close without an alert; Go's and nginx's answer an HTTP 400 — the lab models the alert, the case behind
 * ingress-nginx's "upstream sent no valid HTTP/1.0 header".)
 */
export const TLS_ALERT_RECORD = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]);

// ─── lab.netpath.dev/responses ──────────────────────────────────────────────────────────────────────────

export type ResponseAction =
  | { kind: 'status'; code: number }
  | { kind: 'slow'; ms: number }
  | { kind: 'hang' }
  | { kind: 'refuse' }
  | { kind: 'reset' };

export interface ResponseRules {
  /** Longest prefix first. */
  rules: [prefix: string, action: ResponseAction][];
  /** Entries that could not be understood (ignored), for a one-line report. */
  errors: string[];
}

/** Parses one value of the responses map. */
export function parseAction(v: unknown): ResponseAction | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 100 && v <= 599 ? { kind: 'status', code: v } : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (/^\d{3}$/.test(s)) {
    const code = Number(s);
    return code >= 100 && code <= 599 ? { kind: 'status', code } : undefined;
  }
  const slow = /^slow:(\d+)(ms)?$/.exec(s);
  if (slow) return { kind: 'slow', ms: Number(slow[1]) };
  if (s === 'hang' || s === 'refuse' || s === 'reset') return { kind: s };
  return undefined;
}

/** Parses `lab.netpath.dev/responses`. Invalid JSON or entries are reported in `errors` and ignored. */
export function parseResponses(raw: string | undefined): ResponseRules {
  if (!raw || !raw.trim()) return { rules: [], errors: [] };
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (e) {
    return { rules: [], errors: [`not JSON: ${(e as Error).message}`] };
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { rules: [], errors: ['not a JSON object'] };
  const rules: [string, ResponseAction][] = [];
  const errors: string[] = [];
  for (const [prefix, v] of Object.entries(obj as Record<string, unknown>)) {
    const a = parseAction(v);
    if (a) rules.push([prefix, a]);
    else errors.push(`${JSON.stringify(prefix)}: ${JSON.stringify(v)} is not a status code, "slow:MS", "hang", "refuse" or "reset"`);
  }
  rules.sort((a, b) => b[0].length - a[0].length);
  return { rules, errors };
}

/** The action for a request target (path and query), longest prefix first; undefined: the default 200. */
export function responseFor(rules: ResponseRules, target: string): ResponseAction | undefined {
  for (const [prefix, a] of rules.rules) if (target.startsWith(prefix)) return a;
  return undefined;
}

/** True when "refuse" covers every path: the listener is not bound at all. */
export function refusesEverything(rules: ResponseRules): boolean {
  return rules.rules.some(([prefix, a]) => a.kind === 'refuse' && (prefix === '' || prefix === '/'));
}

// ─── which ports a pod serves ───────────────────────────────────────────────────────────────────────────

export interface ServedPort {
  port: number;
  container: string;
}

function running(statuses: any[] | undefined, name: string): boolean {
  return !!(statuses ?? []).find((s) => s?.name === name)?.state?.running;
}

/** The TCP containerPorts of the pod's running containers (and running init sidecars), first declaration wins. */
export function servedPorts(pod: KObject): ServedPort[] {
  return servedPortsOf(pod, 'TCP');
}

/** The UDP containerPorts of the pod's running containers (and running init sidecars), first declaration wins. */
export function servedUdpPorts(pod: KObject): ServedPort[] {
  return servedPortsOf(pod, 'UDP');
}

function servedPortsOf(pod: KObject, protocol: 'TCP' | 'UDP'): ServedPort[] {
  const out: ServedPort[] = [];
  const seen = new Set<number>();
  const add = (c: any, statuses: any[] | undefined) => {
    if (!c?.name || !running(statuses, c.name)) return;
    for (const p of c.ports ?? []) {
      const n = Number(p?.containerPort);
      if ((p?.protocol ?? 'TCP') !== protocol || !Number.isInteger(n) || n < 1 || n > 65535 || seen.has(n)) continue;
      seen.add(n);
      out.push({ port: n, container: c.name });
    }
  };
  for (const c of pod.spec?.initContainers ?? []) if (c?.restartPolicy === 'Always') add(c, pod.status?.initContainerStatuses);
  for (const c of pod.spec?.containers ?? []) add(c, pod.status?.containerStatuses);
  return out;
}

/**
 * Whether a container is a cluster DNS server (CoreDNS or kube-dns' dnsmasq), recognised as a person would: by
 * its image. Its DNS ports answer DNS (UDP and TCP) from the lab's records, as CoreDNS does (cluster names from
 * the API, other names forwarded to the node's resolver, here the lab's primary resolver).
 */
export function isDnsServer(container: any): boolean {
  const image = String(container?.image ?? '');
  return /(^|\/)(coredns|k8s-dns-dnsmasq-nanny|k8s-dns-kube-dns)(:|@|$)/.test(image);
}

function dnsContainerPorts(pod: KObject): Set<number> {
  const out = new Set<number>();
  for (const c of pod.spec?.containers ?? []) {
    if (!isDnsServer(c)) continue;
    for (const p of c.ports ?? []) if (p?.protocol === 'UDP' || p?.name === 'dns-tcp' || Number(p?.containerPort) === 53) out.add(Number(p.containerPort));
  }
  return out;
}

// ─── the controller ─────────────────────────────────────────────────────────────────────────────────────

interface PodState {
  key: string;
  pod: KObject;
  ip: string;
  rules: ResponseRules;
  provider?: PodServerProvider;
  tls: boolean;
  tlsContext?: Promise<tls.SecureContext | undefined>;
  tlsReady?: tls.SecureContext;
  tlsFor?: string;
}

const CONN = Symbol('lab.pod-connection');

interface ConnInfo {
  state: PodState;
  port: number;
  container: string;
  /** The TCP socket (under the TLSSocket when the pod serves TLS), for resets. */
  raw: net.Socket;
}

export interface PodServersDeps {
  listeners: ListenerManager;
  /** UDP listeners for UDP containerPorts (none bound without it). */
  udp?: UdpListeners;
  /** Answers one DNS query (a cluster DNS pod's ports); without it DNS pods answer like any other pod. */
  dns?: DnsAnswerer;
  policy: PolicyCheck;
  providers: PodServerProvider[];
  blackhole: Blackhole;
  log?: (line: string) => void;
}

export interface PodServers extends Controller {
  /** The pod served on ip (tests, diagnostics). */
  podAt(ip: string): KObject | undefined;
}

export function podServers(deps: PodServersDeps): PodServers {
  let ctx: ControllerContext;
  let podDef: ResourceDef;
  const pods = new Map<string, PodState>();
  const byIP = new Map<string, string>();
  const reported = new Set<string>();
  const log = deps.log ?? ((l: string) => console.error(`lab: data plane: ${l}`));
  const queue = new WorkQueue(
    (k) => sync(k),
    (k, e) => log(`pod servers ${k}: ${(e as Error)?.stack ?? e}`),
  );

  const server = http.createServer({ keepAliveTimeout: 5000, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => answer(req, res));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (socket.writable && !(socket as any).encrypted && /^HPE_/.test(err.code ?? '')) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  function owner(key: string): string {
    return `pod:${key}`;
  }

  function sync(key: string): void {
    const [ns, name] = splitKey(key);
    const pod = ctx.store.get(podDef, ns, name);
    const prev = pods.get(key);
    const ip: string | undefined = pod?.status?.podIP;
    const terminal = pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed';
    const provider = pod && ip ? deps.providers.find((p) => safeClaims(p, pod)) : undefined;
    const skip = !pod || !ip || terminal || (pod.spec?.hostNetwork && !provider);
    if (skip) {
      if (prev) {
        pods.delete(key);
        if (byIP.get(prev.ip) === key) byIP.delete(prev.ip);
      }
      deps.listeners.release(owner(key));
      deps.udp?.release(owner(key));
      return;
    }
    const rules = parseResponses(pod.metadata.annotations?.[ANN_RESPONSES]);
    if (rules.errors.length) {
      const id = `${key}:${pod.metadata.annotations?.[ANN_RESPONSES]}`;
      if (!reported.has(id)) {
        reported.add(id);
        log(`pod ${key}: ${ANN_RESPONSES}: ${rules.errors.join('; ')} (ignored)`);
      }
    }
    const wantTLS = !provider && pod.metadata.annotations?.[ANN_TLS] === 'true';
    const st: PodState = prev && prev.pod.metadata.uid === pod.metadata.uid ? prev : { key, pod, ip: ip!, rules, tls: false };
    if (prev && prev !== st && byIP.get(prev.ip) === key) byIP.delete(prev.ip);
    if (st.ip !== ip && byIP.get(st.ip) === key) byIP.delete(st.ip);
    st.pod = pod;
    st.ip = ip!;
    st.rules = rules;
    st.provider = provider;
    st.tls = wantTLS;
    if (wantTLS && st.tlsFor !== ip) {
      st.tlsFor = ip;
      st.tlsReady = undefined;
      const pending = (st.tlsContext = tlsContextFor(pod, ip!));
      pending.then((c) => {
        if (st.tlsContext === pending) st.tlsReady = c;
      });
    }
    pods.set(key, st);
    byIP.set(ip!, key);
    // A provider's pod gets every declared TCP port of its running containers (hostNetwork ones on the node IP).
    const ports = provider ? servedPorts(pod) : refusesEverything(rules) ? [] : servedPorts(pod);
    const wanted: ListenerSpec[] = ports.map((p) => ({
      address: ip!,
      port: p.port,
      handler: (socket) => accepted(st, p, socket),
    }));
    deps.listeners.sync(owner(key), wanted);
    if (deps.udp) {
      const udpPorts = refusesEverything(rules) ? [] : servedUdpPorts(pod);
      const dnsPorts = dnsContainerPorts(pod);
      const udpWanted: UdpListenerSpec[] = udpPorts.map((p) => ({
        address: ip!,
        port: p.port,
        handler: (msg, from, reply) => datagram(st, p, dnsPorts.has(p.port), msg, from, reply),
      }));
      deps.udp.sync(owner(key), udpWanted);
    }
  }

  /**
   * One datagram to a pod's UDP port: NetworkPolicy first (denied: dropped, no answer), then DNS for a cluster
   * DNS server's ports, else the pod's name (`<pod>\n`), as its TCP server answers.
   */
  function datagram(st: PodState, p: ServedPort, dns: boolean, msg: Buffer, from: UdpPeer, reply: (buf: Buffer) => void): void {
    if (!deps.policy(st.pod, p.port, 'UDP', from.address)) return;
    if (dns && deps.dns) {
      const out = deps.dns(msg, 512);
      if (out) reply(out);
      return;
    }
    reply(Buffer.from(`${st.pod.metadata.name}\n`));
  }

  function safeClaims(p: PodServerProvider, pod: KObject): boolean {
    try {
      return p.claims(pod);
    } catch (e) {
      const id = `claims:${p.name}`;
      if (!reported.has(id)) {
        reported.add(id);
        log(`provider ${p.name}: claims() failed: ${(e as Error)?.message ?? e}`);
      }
      return false;
    }
  }

  async function tlsContextFor(pod: KObject, ip: string): Promise<tls.SecureContext | undefined> {
    try {
      const name = pod.metadata.name!;
      const ns = pod.metadata.namespace ?? 'default';
      const kp = await issue({
        commonName: name,
        dnsNames: [name, `${ip.replace(/\./g, '-')}.${ns}.pod`, `${ip.replace(/\./g, '-')}.${ns}.pod.cluster.local`],
        ipAddresses: [ip],
        issuer: ctx.ca,
      });
      return tls.createSecureContext({ cert: kp.certPem + ctx.ca.certPem, key: kp.keyPem });
    } catch (e) {
      log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: cannot issue its TLS certificate: ${(e as Error)?.message ?? e}`);
      return undefined;
    }
  }

  function accepted(st: PodState, p: ServedPort, socket: net.Socket): void {
    const source = plainIP(socket.remoteAddress);
    const pod = st.pod;
    if (!deps.policy(pod, p.port, 'TCP', source)) {
      deps.blackhole.hold(socket, POLICY_DROP_MS);
      return;
    }
    if (!st.provider && deps.dns && dnsContainerPorts(pod).has(p.port)) {
      serveDnsOverTcp(socket, deps.dns);
      return;
    }
    if (st.provider) {
      try {
        st.provider.connection(pod, p.port, socket);
      } catch (e) {
        log(`provider ${st.provider.name} on ${st.key}:${p.port}: ${(e as Error)?.message ?? e}`);
        socket.destroy();
      }
      return;
    }
    const info: ConnInfo = { state: st, port: p.port, container: p.container, raw: socket };
    if (st.tls && st.tlsContext) {
      // Peek at the first bytes: a TLS ClientHello (a handshake record, 0x16) goes to the TLS server; anything
      // else (plain HTTP sent to the HTTPS port) gets what a TLS server answers a record it cannot parse: a fatal
      // alert record, then the connection closes. A plain-HTTP client (ingress-nginx without backend-protocol
      // HTTPS) reads those 7 bytes as a response that is not HTTP.
      socket.once('data', (chunk: Buffer) => {
        socket.pause();
        if (chunk[0] !== 0x16) {
          socket.end(TLS_ALERT_RECORD);
          return;
        }
        socket.unshift(chunk);
        if (st.tlsReady) wrap(st.tlsReady);
        else st.tlsContext!.then(wrap);
      });
      const wrap = (secureContext: tls.SecureContext | undefined) => {
        if (socket.destroyed) return;
        if (!secureContext) return socket.destroy();
        const t = new tls.TLSSocket(socket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
        t.on('error', () => t.destroy());
        (t as any)[CONN] = info;
        server.emit('connection', t);
      };
      return;
    }
    (socket as any)[CONN] = info;
    server.emit('connection', socket);
  }

  function answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const info: ConnInfo | undefined = (req.socket as any)[CONN];
    if (!info) {
      res.statusCode = 500;
      res.end();
      return;
    }
    const { state: st } = info;
    const pod = st.pod;
    const name = pod.metadata.name!;
    const body = `${name}\n`;
    const headers: Record<string, string | number> = {
      'content-type': 'text/plain; charset=utf-8',
      'x-pod': name,
      'x-pod-namespace': pod.metadata.namespace ?? 'default',
      'x-pod-ip': st.ip,
      'x-container': info.container,
    };
    const action = responseFor(st.rules, req.url ?? '/');
    const send = (code: number) => {
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(code, { ...headers, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // Drain the request body so keep-alive connections stay usable.
    req.resume();
    switch (action?.kind) {
      case undefined:
        return send(200);
      case 'status':
        return send(action.code);
      case 'slow': {
        const t = setTimeout(() => send(200), action.ms);
        res.once('close', () => clearTimeout(t));
        return;
      }
      case 'hang':
        return; // never answered; the connection stays open until the client or the lab closes it
      case 'refuse':
        info.raw.resetAndDestroy();
        return;
      case 'reset': {
        const full = `${name}\n`.repeat(64);
        res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(full) });
        res.write(full.slice(0, Math.floor(full.length / 3)), () => {
          setTimeout(() => {
            if (!info.raw.destroyed) info.raw.resetAndDestroy();
            req.socket.destroy();
          }, 5);
        });
        return;
      }
    }
  }

  return {
    name: 'dataplane-pods',
    start(c) {
      ctx = c;
      podDef = c.type('', 'pods');
      for (const p of c.store.list(podDef)) queue.add(keyOf(p));
    },
    onEvent(ev: StoreEvent, def: ResourceDef) {
      if (def.group === '' && def.plural === 'pods') queue.add(keyOf(ev.object));
    },
    stop() {
      queue.stop();
      for (const key of pods.keys()) {
        deps.listeners.release(owner(key));
        deps.udp?.release(owner(key));
      }
      pods.clear();
      byIP.clear();
      server.close();
    },
    podAt(ip) {
      const key = byIP.get(ip);
      return key ? pods.get(key)?.pod : undefined;
    },
  };
}

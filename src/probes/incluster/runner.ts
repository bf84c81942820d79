// The one runner for every in-cluster command: a `restartPolicy: Never` pod named `kubectl-netpath-<id>` with the
// tool's labels, a deadline and limits, created after a PodSecurity-aware choice of securityContext and a
// server-side dry run; its log streams live; its exit code is read; it is deleted on completion, abort, signals
// and uncaught errors (cleanup.ts). Nothing here renders: events go to the caller as an AsyncIterable.
import { ForbiddenError, NotFoundError } from '../../kube/errors.ts';
import { type PodTransport, createPod, followLog, getNamespace, readLog, watchPod } from '../../kube/pods.ts';
import type { KObject } from '../../kube/types.ts';
import { Channel } from './channel.ts';
import { RUN_ID, forget, remember, startSweep } from './cleanup.ts';
import { type Profile, type ProfileNeeds, type PsaLevel, chooseProfile, enforceLevel, refusalMessage, refusedLevel, securityFor, stepDown } from './security.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGER = 'kubectl-netpath';
export const RUN_LABEL = 'netpath.dev/run';
export const PURPOSE_LABEL = 'netpath.dev/purpose';
export const HELPER_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGER}`;
/** nicolaka/netshoot, pinned: bind-tools, curl, traceroute/tcptraceroute, mtr, ipvsadm, iptables, conntrack, ss. */
export const DEFAULT_IMAGE = 'nicolaka/netshoot:v0.14';
export const DEFAULT_DEADLINE_SECONDS = 300;
export const CONTAINER = 'netpath';

export { RUN_ID };
let counter = 0;

export interface HelperOptions {
  /** Where helper pods run (--probe-namespace; default the target's namespace). */
  namespace: string;
  image?: string;
  imagePullSecrets?: string[];
  /** Pin to a node (--node). */
  node?: string;
  /** activeDeadlineSeconds (--helper-deadline). */
  deadlineSeconds?: number;
  /** --no-helpers or read-only: never create anything. */
  noHelpers?: boolean;
}

export interface HelperSpec {
  /** What the pod is for (`ladder`, `traceroute`, `dig`, `curl`, `node`): a label and the wording of messages. */
  purpose: string;
  needs?: ProfileNeeds;
  /** The container's argv for the profile that was admitted (a restricted pod has no raw sockets). */
  command: (profile: Profile) => string[];
}

export type HelperEvent =
  | { type: 'status'; message: string }
  | { type: 'profile'; profile: Profile; level: PsaLevel | 'unknown'; pod: string; namespace: string; note?: string }
  | { type: 'line'; line: string }
  | { type: 'exit'; code: number; reason?: string };

export type HelperErrorKind = 'disabled' | 'forbidden' | 'podsecurity' | 'image' | 'node' | 'failed';

/** A helper that could not run, explained in one line with the option that works. */
export class HelperError extends Error {
  readonly kind: HelperErrorKind;
  constructor(kind: HelperErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

export function nextPodName(): string {
  return `kubectl-netpath-${RUN_ID}-${++counter}`;
}

/** The helper pod manifest for a profile. */
export function helperPod(o: HelperOptions & { name: string; purpose: string; profile: Profile; command: string[] }): KObject {
  const sec = securityFor(o.profile);
  const pinned = o.node ?? undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGER, [RUN_LABEL]: RUN_ID, [PURPOSE_LABEL]: o.purpose },
      annotations: { 'netpath.dev/profile': o.profile },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: o.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS,
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      ...(sec.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      ...(pinned ? { nodeName: pinned } : {}),
      ...(pinned || sec.hostNetwork ? { tolerations: [{ operator: 'Exists' }] } : {}),
      ...(Object.keys(sec.pod).length ? { securityContext: sec.pod } : {}),
      ...(o.imagePullSecrets?.length ? { imagePullSecrets: o.imagePullSecrets.map((name) => ({ name })) } : {}),
      containers: [
        {
          name: CONTAINER,
          image: o.image ?? DEFAULT_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: o.command,
          resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          ...(Object.keys(sec.container).length ? { securityContext: sec.container } : {}),
        },
      ],
    },
  };
}

const IMAGE_REASONS = /^(ErrImagePull|ImagePullBackOff|InvalidImageName|ErrImageNeverPull|ErrImageInspect|RegistryUnavailable)$/;

export function imagePullMessage(image: string, reason: string, message?: string): string {
  return (
    `the helper image "${image}" cannot be pulled (${reason}${message ? `: ${message.replace(/\s+/g, ' ').slice(0, 200)}` : ''}); ` +
    `in an air-gapped cluster mirror it and pass --image REGISTRY/PATH:TAG (with --image-pull-secret NAME for a private registry)`
  );
}

/** What the pod's status says, as one status line (changes only are emitted by the runner). */
export function describePodState(pod: KObject): string {
  const st = pod.status ?? {};
  const cs = st.containerStatuses?.[0];
  const w = cs?.state?.waiting;
  if (w?.reason) return `${pod.metadata.name}: ${w.reason}${w.message ? ` (${String(w.message).slice(0, 160)})` : ''}`;
  const sched = (st.conditions ?? []).find((c: any) => c.type === 'PodScheduled' && c.status === 'False');
  if (sched) return `${pod.metadata.name}: not scheduled (${sched.reason ?? 'Pending'}${sched.message ? `: ${String(sched.message).slice(0, 160)}` : ''})`;
  if (cs?.state?.running) return `${pod.metadata.name}: running on ${pod.spec?.nodeName ?? '?'} (${st.podIP ?? 'no IP yet'})`;
  if (cs?.state?.terminated) return `${pod.metadata.name}: exited ${cs.state.terminated.exitCode} (${cs.state.terminated.reason ?? ''})`;
  return `${pod.metadata.name}: ${st.phase ?? 'Pending'}${st.reason ? ` (${st.reason})` : ''}`;
}

/**
 * Runs one helper pod and yields its events: `profile` once admitted, `status` lines while it starts, every log
 * `line` as it arrives, then `exit`. Throws HelperError with a one-line explanation when it cannot run. The pod is
 * deleted when the iteration ends for any reason (completion, `signal`, the consumer breaking out, an error).
 */
export async function* runHelper(c: PodTransport, spec: HelperSpec, o: HelperOptions, signal: AbortSignal): AsyncGenerator<HelperEvent> {
  if (o.noHelpers) throw new HelperError('disabled', `helper pods are off (--no-helpers): the ${spec.purpose} probe needs one, nothing was created`);
  const ns = o.namespace;
  startSweep(c, ns);
  const image = o.image ?? DEFAULT_IMAGE;

  // 1. The namespace's PodSecurity level (unreadable → learn it from the dry run).
  let level: PsaLevel | undefined;
  try {
    const nsObj = await getNamespace(c, ns, signal);
    if (!nsObj) throw new HelperError('failed', `namespace "${ns}" not found (pass --probe-namespace NS for helper pods)`);
    level = enforceLevel(nsObj.metadata.labels);
  } catch (e) {
    if (!(e instanceof ForbiddenError)) throw e;
  }
  if (o.node) {
    try {
      await c.send('GET', `/api/v1/nodes/${encodeURIComponent(o.node)}`, { signal });
    } catch (e) {
      if (e instanceof NotFoundError) throw new HelperError('node', `node "${o.node}" not found (--node)`);
      if (!(e instanceof ForbiddenError)) throw e;
    }
  }
  const chosen = chooseProfile(level ?? 'privileged', spec.needs);
  if (!chosen) throw new HelperError('podsecurity', refusalMessage({ namespace: ns, level: level!, what: spec.needs?.node ? 'node' : spec.purpose }));

  // 2. Pre-flight: a server-side dry run runs admission (PodSecurity, quotas, webhooks) and persists nothing.
  const name = nextPodName();
  let pod: KObject;
  let note: string | undefined;
  let profile: Profile = chosen;
  const firstProfile = profile;
  for (;;) {
    pod = helperPod({ ...o, name, purpose: spec.purpose, profile, command: spec.command(profile) });
    try {
      await createPod(c, pod, { dryRun: true, signal });
      break;
    } catch (e) {
      if (!(e instanceof ForbiddenError)) throw e;
      const refused = refusedLevel(e.message);
      if (!refused) throw new HelperError('forbidden', `cannot create helper pods in namespace "${ns}": ${e.message.slice(0, 240)} — pass --probe-namespace NS where you may, or --no-helpers`);
      const next: Profile | undefined = spec.needs?.node ? undefined : stepDown(profile, refused);
      if (!next) throw new HelperError('podsecurity', refusalMessage({ namespace: ns, level: refused, what: spec.needs?.node ? 'node' : spec.purpose, serverMessage: e.message }));
      level = refused;
      profile = next;
    }
  }
  if (profile !== firstProfile || (spec.needs?.raw && profile !== 'netraw' && profile !== 'node'))
    note = profile === 'restricted'
      ? `PodSecurity "${level}" in namespace "${ns}": the helper runs non-root with every capability dropped, so raw-socket probes (TCP traceroute, ping) are replaced by ones that need no privilege`
      : `PodSecurity "${level}" in namespace "${ns}" forbids adding NET_RAW: raw-socket probes work only where the runtime grants it by default (containerd does, CRI-O does not)`;
  yield { type: 'profile', profile, level: level ?? 'unknown', pod: name, namespace: ns, ...(note ? { note } : {}) };

  // 3. Create for real, watch, follow the log; delete whatever happens.
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  if (signal.aborted) inner.abort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const creating = createPod(c, pod, { signal: inner.signal });
  remember(c, ns, name, creating);
  const ch = new Channel<HelperEvent>();
  try {
    try {
      await creating;
    } catch (e) {
      if (e instanceof ForbiddenError) throw new HelperError('forbidden', `cannot create helper pods in namespace "${ns}": ${e.message.slice(0, 240)} — pass --probe-namespace NS where you may, or --no-helpers`);
      throw e;
    }
    let logTask: Promise<void> | undefined;
    let seen = 0;
    let logBroken = false;
    const startLog = () => {
      logTask ??= (async () => {
        try {
          for await (const line of followLog(c, ns, name, CONTAINER, inner.signal)) {
            seen++;
            ch.push({ type: 'line', line });
          }
        } catch (e) {
          if (!inner.signal.aborted) logBroken = true;
        }
      })();
    };
    (async () => {
      let last = '';
      let final: { code: number; reason?: string } | undefined;
      for await (const p of watchPod(c, ns, name, inner.signal)) {
        const st = p.status ?? {};
        const cs = st.containerStatuses?.[0];
        const w = cs?.state?.waiting;
        if (w?.reason && IMAGE_REASONS.test(w.reason)) throw new HelperError('image', imagePullMessage(image, w.reason, w.message));
        const line = describePodState(p);
        if (line !== last) ch.push({ type: 'status', message: (last = line) });
        if (cs?.state?.running || cs?.state?.terminated) startLog();
        if (st.phase === 'Succeeded' || st.phase === 'Failed') {
          const t = cs?.state?.terminated;
          final = { code: t?.exitCode ?? (st.phase === 'Succeeded' ? 0 : 137), ...(st.reason || t?.reason ? { reason: st.reason ?? t?.reason } : {}) };
          break;
        }
      }
      if (logTask) await logTask;
      // A follow stream the server cut: read the whole log once the container has ended, and send what was missed.
      if (final && (logBroken || !logTask)) {
        try {
          const all = (await readLog(c, ns, name, CONTAINER, inner.signal)).split('\n');
          if (all.at(-1) === '') all.pop();
          for (const line of all.slice(seen)) ch.push({ type: 'line', line });
        } catch (e) {
          ch.push({ type: 'status', message: `the log of ${name} could not be read: ${(e as Error).message}` });
        }
      }
      if (final) ch.push({ type: 'exit', ...final });
      else if (!inner.signal.aborted) throw new HelperError('failed', `helper pod ${ns}/${name} was deleted before it finished`);
      ch.end();
    })().catch((e) => ch.fail(e));
    for await (const ev of ch) yield ev;
  } finally {
    signal.removeEventListener('abort', onAbort);
    inner.abort();
    await forget(c, ns, name);
  }
}

/** Runs a helper to the end and returns its output lines and exit code (for one-shot probes and tests). */
export async function runHelperToEnd(c: PodTransport, spec: HelperSpec, o: HelperOptions, signal: AbortSignal, onEvent?: (e: HelperEvent) => void): Promise<{ lines: string[]; code: number; reason?: string; profile?: Profile; note?: string }> {
  const lines: string[] = [];
  let code = -1;
  let reason: string | undefined;
  let profile: Profile | undefined;
  let note: string | undefined;
  for await (const ev of runHelper(c, spec, o, signal)) {
    onEvent?.(ev);
    if (ev.type === 'line') lines.push(ev.line);
    else if (ev.type === 'exit') (code = ev.code), (reason = ev.reason);
    else if (ev.type === 'profile') (profile = ev.profile), (note = ev.note);
  }
  return { lines, code, ...(reason ? { reason } : {}), ...(profile ? { profile } : {}), ...(note ? { note } : {}) };
}


// Following the logs of a changing set of pods, like stern: a pod watch per label selector decides which pods
// are followed (pods joining and leaving, containers restarting), one follower per container streams
// `pods/log?follow=true&timestamps=true`, and a stream that ends or fails is re-opened with `sinceTime` and the
// ResumeCursor's no-duplicate rule (src/kube/logs.ts), showing `reconnecting` meanwhile.
import { KubeError, NotFoundError } from '../kube/errors.ts';
import { type LogRecord, ResumeCursor, followLogBatches } from '../kube/logs.ts';
import { R } from '../kube/resources.ts';
import type { KObject } from '../kube/types.ts';
import { type KubeTransport, abortableSleep, watchList } from '../kube/watch.ts';
import type { LogSource, StreamState } from '../state/types.ts';
import { Channel, childController } from './channel.ts';

export type LogEvent =
  | { type: 'lines'; source: LogSource; records: LogRecord[] }
  | { type: 'stream'; source: LogSource; state: StreamState; reason?: string }
  | { type: 'member'; change: 'joined' | 'left' | 'restarted'; namespace: string; pod: string; container?: string; reason?: string }
  /** A followed pod changed (readiness, restarts, deletion): a reason to re-diagnose. Not sent for (re)lists. */
  | { type: 'pod-changed'; namespace: string; pod: string; change: 'ADDED' | 'MODIFIED' | 'DELETED' }
  /** The pod watch's own health (a lost pod watch means joins/leaves are not seen). */
  | { type: 'pods'; state: 'live' | 'reconnecting'; reason?: string };

export interface PodSet {
  /** Undefined: all namespaces. */
  namespace?: string;
  labelSelector: string;
}

export interface FollowPodsOptions {
  sets: PodSet[];
  signal: AbortSignal;
  /** The containers of a pod to follow (default `defaultContainers`). */
  containers?: (pod: KObject) => string[];
  /** History lines on a container's first open (default 20). */
  tailLines?: number;
  /** Delay before re-opening after a clean end, and the failure back-off (first, max). */
  backoffMs?: [number, number];
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const PROXY_CONTAINERS = ['controller', 'envoy', 'istio-proxy', 'traefik', 'proxy'];

/** A proxy's main container when it has a well-known one; otherwise every container. */
export function defaultContainers(pod: KObject): string[] {
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => String(c?.name ?? '')).filter(Boolean);
  const main = names.find((n) => PROXY_CONTAINERS.includes(n));
  return main ? [main] : names;
}

/** A pod whose containers have started at least once (its log can be read). */
function loggable(pod: KObject): boolean {
  const st: any[] = pod.status?.containerStatuses ?? [];
  return st.some((s) => s?.state?.running || s?.state?.terminated || s?.lastState?.terminated) || pod.status?.phase === 'Running';
}

const podKey = (p: { metadata: { namespace?: string; name: string } }) => `${p.metadata.namespace ?? ''}/${p.metadata.name}`;

function restartReason(s: any): string | undefined {
  const t = s?.lastState?.terminated;
  if (!t) return undefined;
  return [t.reason, t.exitCode !== undefined ? `exit ${t.exitCode}` : undefined].filter(Boolean).join(', ') || undefined;
}

interface Followed {
  ctl: AbortController;
  restarts: Map<string, number>;
}

/** Follows every container of every pod the sets select, until `signal` aborts. */
export function followPods(c: KubeTransport, o: FollowPodsOptions): AsyncIterable<LogEvent> {
  const out = new Channel<LogEvent>();
  const sleep = o.sleep ?? abortableSleep;
  const [first, max] = o.backoffMs ?? [250, 5000];
  const pick = o.containers ?? defaultContainers;
  const bySet = o.sets.map(() => new Map<string, KObject>());
  const followed = new Map<string, Followed>();

  const followContainer = async (ns: string, pod: string, container: string, signal: AbortSignal) => {
    const source: LogSource = { namespace: ns, pod, container };
    const cursor = new ResumeCursor();
    let opened = false;
    let openedAt = '';
    let delay = first;
    while (!signal.aborted) {
      try {
        const resume = opened ? (cursor.sinceTime() ?? openedAt) : undefined;
        if (opened) cursor.resumed();
        const startAt = new Date().toISOString();
        let announced = false;
        for await (const records of followLogBatches(c, { namespace: ns, pod, container, signal, ...(resume ? { sinceTime: resume } : { tailLines: o.tailLines ?? 20 }) })) {
          if (!announced) {
            announced = true;
            if (!opened) openedAt = startAt;
            opened = true;
            delay = first;
            out.push({ type: 'stream', source, state: 'live' });
          }
          const batch = records.filter((r) => cursor.accept(r));
          if (batch.length) out.push({ type: 'lines', source, records: batch });
        }
        if (signal.aborted) return;
        // A clean end: the server timed the stream out, the connection was cut, or the container stopped.
        let p: KObject | undefined;
        try {
          p = await c.send('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}`, { signal });
        } catch (e) {
          if (e instanceof NotFoundError) {
            out.push({ type: 'stream', source, state: 'ended', reason: 'pod deleted' });
            return;
          }
        }
        const phase = p?.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') {
          out.push({ type: 'stream', source, state: 'ended', reason: `pod ${String(phase).toLowerCase()}` });
          return;
        }
        out.push({ type: 'stream', source, state: 'reconnecting', reason: 'stream lost, reconnecting' });
        await sleep(first, signal);
      } catch (e) {
        if (signal.aborted) return;
        if (e instanceof NotFoundError) {
          out.push({ type: 'stream', source, state: 'ended', reason: 'pod deleted' });
          return;
        }
        if (e instanceof KubeError && (e.reason === 'Forbidden' || e.reason === 'Unauthorized' || e.reason === 'Config')) {
          out.push({ type: 'stream', source, state: 'ended', reason: (e as Error).message.split('\n')[0]! });
          return;
        }
        out.push({ type: 'stream', source, state: 'reconnecting', reason: `stream lost, reconnecting: ${String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 200)}` });
        await sleep(delay, signal);
        delay = Math.min(max, delay * 2);
      }
    }
  };

  const reconcile = () => {
    const desired = new Map<string, KObject>();
    for (const m of bySet) for (const [k, p] of m) if (loggable(p)) desired.set(k, p);
    for (const [k, f] of followed) {
      if (desired.has(k)) continue;
      f.ctl.abort();
      followed.delete(k);
      const [ns, name] = k.split('/') as [string, string];
      out.push({ type: 'member', change: 'left', namespace: ns, pod: name });
    }
    for (const [k, p] of desired) {
      const ns = p.metadata.namespace ?? '';
      const name = p.metadata.name;
      const statuses = new Map<string, any>((p.status?.containerStatuses ?? []).map((s: any) => [s?.name, s]));
      let f = followed.get(k);
      if (!f) {
        f = { ctl: childController(o.signal), restarts: new Map() };
        followed.set(k, f);
        out.push({ type: 'member', change: 'joined', namespace: ns, pod: name });
        for (const container of pick(p)) {
          f.restarts.set(container, Number(statuses.get(container)?.restartCount ?? 0));
          void followContainer(ns, name, container, f.ctl.signal);
        }
        continue;
      }
      for (const [container, seen] of f.restarts) {
        const s = statuses.get(container);
        const now = Number(s?.restartCount ?? 0);
        if (now > seen) {
          f.restarts.set(container, now);
          out.push({ type: 'member', change: 'restarted', namespace: ns, pod: name, container, ...(restartReason(s) ? { reason: restartReason(s)! } : {}) });
        }
      }
    }
  };

  const watchSet = async (i: number) => {
    const set = o.sets[i]!;
    const map = bySet[i]!;
    try {
      for await (const item of watchList(c, R.pods, { ...(set.namespace ? { namespace: set.namespace } : {}), labelSelector: set.labelSelector, signal: o.signal, backoffMs: [first, max], sleep })) {
        if (item.type === 'STATE') {
          out.push({ type: 'pods', state: item.state, ...(item.reason ? { reason: item.reason } : {}) });
          continue;
        }
        if (item.type === 'SYNC') {
          map.clear();
          for (const p of item.objects) map.set(podKey(p), p);
        } else {
          if (item.type === 'DELETED') map.delete(podKey(item.object));
          else map.set(podKey(item.object), item.object);
          out.push({ type: 'pod-changed', namespace: item.object.metadata.namespace ?? '', pod: item.object.metadata.name, change: item.type });
        }
        reconcile();
      }
    } catch (e) {
      if (!o.signal.aborted) out.push({ type: 'pods', state: 'reconnecting', reason: `cannot watch pods (${set.labelSelector}): ${String((e as Error)?.message ?? e).split('\n')[0]}` });
    }
  };

  void Promise.all(o.sets.map((_, i) => watchSet(i))).then(() => undefined);
  if (o.signal.aborted) out.close();
  else o.signal.addEventListener('abort', () => out.close(), { once: true });
  return out;
}

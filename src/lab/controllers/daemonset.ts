// The DaemonSet controller: one pod per node that should run it (nodeSelector, required node affinity, taints
// against the template's tolerations plus the ones the controller adds), pinned with a required node affinity
// `matchFields metadata.name In [node]` as the real controller does; ControllerRevisions and the
// controller-revision-hash label; RollingUpdate (maxUnavailable) and OnDelete; status counters.
import type { KObject } from '../types.ts';
import { clone } from '../store/store.ts';
import { computeHash, scaledValue } from './deployment.ts';
import { deleteObject } from './gc.ts';
import { namespaceTerminating } from './namespace.ts';
import { createPodFromTemplate, isPodAvailable, isPodReady, ownedBy, availableAt } from './replicaset.ts';
import { nodeMatchesPod, untoleratedTaint } from './scheduler.ts';
import { type Controller, type ControllerContext, controllerRef, keyOf, splitKey, WorkQueue } from './runtime.ts';

const COMPONENT = 'daemonset-controller';
const REVISION_LABEL = 'controller-revision-hash';
const GENERATION_LABEL = 'pod-template-generation';

/** util.AddOrUpdateDaemonPodTolerations */
function daemonTolerations(spec: any): any[] {
  const out: any[] = [...(spec?.tolerations ?? [])];
  const add = (key: string, effect: string) => {
    if (!out.some((t) => t.key === key && t.effect === effect && (t.operator ?? 'Equal') === 'Exists')) out.push({ key, operator: 'Exists', effect });
  };
  add('node.kubernetes.io/not-ready', 'NoExecute');
  add('node.kubernetes.io/unreachable', 'NoExecute');
  add('node.kubernetes.io/disk-pressure', 'NoSchedule');
  add('node.kubernetes.io/memory-pressure', 'NoSchedule');
  add('node.kubernetes.io/pid-pressure', 'NoSchedule');
  add('node.kubernetes.io/unschedulable', 'NoSchedule');
  if (spec?.hostNetwork) add('node.kubernetes.io/network-unavailable', 'NoSchedule');
  return out;
}

/** util.ReplaceDaemonSetPodNodeNameNodeAffinity */
function pinToNode(affinity: any, node: string): any {
  const a = clone(affinity ?? {});
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
  a.nodeAffinity ??= {};
  const req = a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  if (!req?.nodeSelectorTerms?.length) {
    a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
    return a;
  }
  req.nodeSelectorTerms = req.nodeSelectorTerms.map((t: any) => ({ ...t, matchFields: term.matchFields }));
  return a;
}

/** The node a daemon pod is for: its nodeName, or the matchFields pin while it is unscheduled. */
function podNode(p: KObject): string | undefined {
  if (p.spec?.nodeName) return p.spec.nodeName;
  for (const t of p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [])
    for (const f of t.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  return undefined;
}

export function daemonSetController(): Controller {
  let ctx: ControllerContext;
  const timers = new Map<string, NodeJS.Timeout>();
  /** `<ds uid>/<node>` → earliest time a replacement for a failed pod may be created */
  const backoff = new Map<string, { until: number; delay: number }>();
  const queue = new WorkQueue((k) => sync(k), (k, e) => console.error(`lab: daemonset controller ${k}:`, e));

  const dsDef = () => ctx.type('apps', 'daemonsets');
  const podDef = () => ctx.type('', 'pods');

  function requeueAt(key: string, at: number): void {
    const t = timers.get(key);
    ctx.clearTimer(t);
    timers.set(key, ctx.setTimeout(() => {
      timers.delete(key);
      queue.add(key);
    }, Math.max(0, at - Date.now()) + 5));
  }

  function shouldRun(ds: KObject, node: KObject): { run: boolean; keep: boolean } {
    const spec = { ...(ds.spec?.template?.spec ?? {}), tolerations: daemonTolerations(ds.spec?.template?.spec) };
    if (!nodeMatchesPod(spec, node)) return { run: false, keep: false };
    if (untoleratedTaint(spec, node, ['NoExecute'])) return { run: false, keep: false };
    if (untoleratedTaint(spec, node, ['NoSchedule'])) return { run: false, keep: true };
    return { run: true, keep: true };
  }

  function ensureRevision(ds: KObject, hash: string): void {
    const crDef = ctx.type('apps', 'controllerrevisions');
    const ns = ds.metadata.namespace;
    const name = `${ds.metadata.name}-${hash}`;
    const existing = ctx.store.get(crDef, ns, name);
    const mine = ctx.store.list(crDef, ns).filter((r) => ownedBy(r, ds));
    const max = mine.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);
    if (existing) {
      if (ownedBy(existing, ds) && (existing.revision ?? 0) < max) {
        ctx.store.mutate(crDef, ns, name, (r) => {
          r.revision = max + 1;
        });
      }
      return;
    }
    if (namespaceTerminating(ctx, ns)) return;
    const tpl = clone(ds.spec?.template ?? {});
    ctx.store.create(crDef, {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name,
        namespace: ns,
        labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_LABEL]: hash },
        annotations: {},
        ownerReferences: [controllerRef(ds)],
      },
      data: { spec: { template: { $patch: 'replace', ...tpl } } },
      revision: max + 1,
    });
  }

  function createDaemonPod(ds: KObject, node: string, hash: string): void {
    const pod = createPodFromTemplate(ctx, ds, ds.spec?.template, {
      labels: { [REVISION_LABEL]: hash, [GENERATION_LABEL]: String(ds.metadata.generation ?? 1) },
      mutateSpec: (spec) => {
        spec.affinity = pinToNode(spec.affinity, node);
        spec.tolerations = daemonTolerations(spec);
      },
    });
    ctx.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
  }

  function deletePod(ds: KObject, p: KObject): void {
    if (p.metadata.deletionTimestamp) return;
    deleteObject(ctx, podDef(), p);
    ctx.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
  }

  function sync(key: string): void {
    const [ns, name] = splitKey(key);
    const ds = ctx.store.get(dsDef(), ns, name);
    if (!ds) {
      ctx.clearTimer(timers.get(key));
      timers.delete(key);
      return;
    }
    const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
    const nodes = ctx.store.list(ctx.type('', 'nodes'));
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const frozen = !!ds.metadata.deletionTimestamp || namespaceTerminating(ctx, ns);
    if (!frozen) ensureRevision(ds, hash);
    const pods = () => ctx.store.list(podDef(), ns).filter((p) => ownedBy(p, ds));
    const isCurrent = (p: KObject) => p.metadata.labels?.[REVISION_LABEL] === hash;
    let nextWake: number | undefined;
    const wake = (t: number) => {
      if (nextWake === undefined || t < nextWake) nextWake = t;
    };

    if (!frozen) {
      const byNode = new Map<string, KObject[]>();
      for (const p of pods()) {
        const n = podNode(p);
        if (!n) continue;
        const l = byNode.get(n) ?? [];
        l.push(p);
        byNode.set(n, l);
      }
      const nodeNames = new Set(nodes.map((n) => n.metadata.name!));
      for (const [n, ps] of byNode) if (!nodeNames.has(n)) for (const p of ps) deletePod(ds, p);
      for (const node of nodes) {
        const nn = node.metadata.name!;
        const { run, keep } = shouldRun(ds, node);
        const live = (byNode.get(nn) ?? []).filter((p) => !p.metadata.deletionTimestamp);
        if (!run) {
          if (!keep) for (const p of live) deletePod(ds, p);
          continue;
        }
        const failed = live.filter((p) => p.status?.phase === 'Failed');
        for (const p of failed) {
          ctx.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${ns}/${p.metadata.name} on node ${nn}, will try to kill it`, COMPONENT);
          deletePod(ds, p);
          const bk = `${ds.metadata.uid}/${nn}`;
          const prev = backoff.get(bk);
          const delay = Math.min(prev ? prev.delay * 2 : 1000, 15 * 60_000);
          backoff.set(bk, { until: Date.now() + delay, delay });
        }
        const healthy = live.filter((p) => p.status?.phase !== 'Failed');
        if (healthy.length === 0) {
          if ((byNode.get(nn) ?? []).some((p) => p.metadata.deletionTimestamp)) continue; // wait for the old one to go
          const bk = backoff.get(`${ds.metadata.uid}/${nn}`);
          if (bk && bk.until > Date.now()) {
            wake(bk.until);
            continue;
          }
          createDaemonPod(ds, nn, hash);
        } else if (healthy.length > 1) {
          // keep the oldest (current revision first), delete the rest
          const sorted = [...healthy].sort((a, b) => Number(isCurrent(b)) - Number(isCurrent(a)) || Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!));
          for (const p of sorted.slice(1)) deletePod(ds, p);
        }
      }
      // rolling update
      if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const desired = nodes.filter((n) => shouldRun(ds, n).run);
        const now = Date.now();
        const maxUnavail = Math.max(0, scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, desired.length, true));
        const current = pods();
        let unavailable = 0;
        const oldAvailable: KObject[] = [];
        for (const n of desired) {
          const ps = current.filter((p) => podNode(p) === n.metadata.name && !p.metadata.deletionTimestamp);
          const avail = ps.some((p) => isPodAvailable(p, minReady, now));
          if (!avail) unavailable++;
          for (const p of ps) {
            if (isCurrent(p)) continue;
            if (!isPodAvailable(p, minReady, now)) deletePod(ds, p);
            else oldAvailable.push(p);
          }
          if (ps.some((p) => p.metadata.deletionTimestamp)) unavailable++;
        }
        for (const p of oldAvailable) {
          if (unavailable >= maxUnavail) break;
          deletePod(ds, p);
          unavailable++;
        }
      }
    }

    // status
    const now = Date.now();
    const all = pods().filter((p) => !p.metadata.deletionTimestamp);
    let desired = 0;
    let current = 0;
    let mis = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const nn = node.metadata.name!;
      const { run } = shouldRun(ds, node);
      const ps = all.filter((p) => podNode(p) === nn && p.spec?.nodeName === nn);
      if (run) {
        desired++;
        if (ps.length) {
          current++;
          const newest = ps.sort((a, b) => Date.parse(b.metadata.creationTimestamp!) - Date.parse(a.metadata.creationTimestamp!))[0]!;
          if (isPodReady(newest)) {
            ready++;
            if (isPodAvailable(newest, minReady, now)) available++;
            else {
              const at = availableAt(newest, minReady);
              if (at) wake(at);
            }
          }
          if (ps.some(isCurrent)) updated++;
        }
      } else if (ps.length) mis++;
    }
    const status: any = {
      currentNumberScheduled: current,
      numberMisscheduled: mis,
      desiredNumberScheduled: desired,
      numberReady: ready,
    };
    if (ds.metadata.generation) status.observedGeneration = ds.metadata.generation;
    if (updated) status.updatedNumberScheduled = updated;
    if (available) status.numberAvailable = available;
    if (desired - available > 0) status.numberUnavailable = desired - available;
    if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
    ctx.store.mutate(dsDef(), ns, name, (x) => {
      x.status = status;
    });
    if (nextWake !== undefined) requeueAt(key, nextWake);
  }

  function enqueueAll(): void {
    for (const ds of ctx.store.list(dsDef())) queue.add(keyOf(ds));
  }

  return {
    name: 'daemonset',
    start(c) {
      ctx = c;
      enqueueAll();
    },
    onEvent(ev, def) {
      if (def.group === 'apps' && def.plural === 'daemonsets') {
        if (ev.type !== 'DELETED') queue.add(keyOf(ev.object));
        return;
      }
      if (def.group !== '') return;
      if (def.plural === 'nodes') {
        enqueueAll();
        return;
      }
      if (def.plural !== 'pods') return;
      for (const o of [ev.object, ev.old]) {
        const ref = o?.metadata.ownerReferences?.find((r) => r.controller);
        if (ref?.kind === 'DaemonSet') queue.add(`${ev.object.metadata.namespace}/${ref.name}`);
      }
    },
    stop() {
      queue.stop();
    },
  };
}

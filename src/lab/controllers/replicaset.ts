// The ReplicaSet controller: keeps `spec.replicas` active pods named `<rs>-<5 random chars>`, adopts matching
// orphans, deletes surplus pods in the upstream order (unscheduled, pending, not ready, doubled-up, newest) and
// reports replicas/fullyLabeledReplicas/readyReplicas/availableReplicas/observedGeneration.
import { admit } from '../apiserver/admission.ts';
import type { KObject } from '../types.ts';
import { clone } from '../store/store.ts';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors.ts';
import { deleteObject } from './gc.ts';
import { namespaceTerminating } from './namespace.ts';
import { type Controller, type ControllerContext, controllerRef, keyOf, splitKey, WorkQueue } from './runtime.ts';

// ─── pod helpers shared by the workload controllers ─────────────────────────────────────────────────────────

export function podCondition(pod: KObject, type: string): any {
  return (pod.status?.conditions ?? []).find((c: any) => c.type === type);
}

export function isPodReady(pod: KObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: KObject, minReadySeconds: number | undefined, now = Date.now()): boolean {
  if (!isPodReady(pod)) return false;
  if (!minReadySeconds) return true;
  const t = Date.parse(podCondition(pod, 'Ready')?.lastTransitionTime ?? '');
  return !Number.isNaN(t) && t + minReadySeconds * 1000 <= now;
}

/** When a ready pod becomes available (ms epoch), for requeueing. */
export function availableAt(pod: KObject, minReadySeconds: number | undefined): number | undefined {
  if (!isPodReady(pod) || !minReadySeconds) return undefined;
  const t = Date.parse(podCondition(pod, 'Ready')?.lastTransitionTime ?? '');
  return Number.isNaN(t) ? undefined : t + minReadySeconds * 1000;
}

/** Not finished and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function controllerOf(o: KObject): { kind: string; name: string; uid: string } | undefined {
  const r = o.metadata.ownerReferences?.find((x) => x.controller);
  return r ? { kind: r.kind, name: r.name, uid: r.uid } : undefined;
}

export function ownedBy(o: KObject, owner: KObject): boolean {
  return controllerOf(o)?.uid === owner.metadata.uid;
}

/** The apiserver's generateName: the prefix is cut to 58 characters before the 5 random ones are appended. */
export function generateNamePrefix(base: string): string {
  const p = `${base}-`;
  return p.length > 58 ? p.slice(0, 58) : p;
}

/**
 * Creates a pod from a pod template the way controller.PodControl does: labels, annotations and finalizers from
 * the template, a controller ownerReference, generateName `<owner>-`; then admission defaults.
 */
export function createPodFromTemplate(
  ctx: ControllerContext,
  owner: KObject,
  template: any,
  opts: { generateName?: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; mutateSpec?: (spec: any) => void } = {},
): KObject {
  const def = ctx.type('', 'pods');
  const tpl = clone(template ?? {});
  const meta = tpl.metadata ?? {};
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: opts.generateName ?? generateNamePrefix(owner.metadata.name!),
      namespace: owner.metadata.namespace,
      labels: { ...(meta.labels ?? {}), ...(opts.labels ?? {}) },
      ...(meta.annotations || opts.annotations ? { annotations: { ...(meta.annotations ?? {}), ...(opts.annotations ?? {}) } } : {}),
      ...(meta.finalizers || opts.finalizers ? { finalizers: [...(meta.finalizers ?? []), ...(opts.finalizers ?? [])] } : {}),
      ownerReferences: [controllerRef(owner)],
    },
    spec: tpl.spec ?? {},
  };
  opts.mutateSpec?.(pod.spec);
  admit(def, pod);
  return ctx.store.create(def, pod);
}

// ─── the controller ────────────────────────────────────────────────────────────────────────────────────────

const COMPONENT = 'replicaset-controller';

/** controller.ActivePodsWithRanks ordering: the pod to delete first sorts first. */
function deletionOrder(ranks: Map<string, number>) {
  const phaseRank = (p: KObject) => ({ Pending: 0, Unknown: 1, Running: 2 } as Record<string, number>)[p.status?.phase ?? 'Pending'] ?? 0;
  const restarts = (p: KObject) => Math.max(0, ...((p.status?.containerStatuses ?? []) as any[]).map((c) => c.restartCount ?? 0));
  return (a: KObject, b: KObject): number => {
    const sa = !!a.spec?.nodeName;
    const sb = !!b.spec?.nodeName;
    if (sa !== sb) return sa ? 1 : -1;
    if (phaseRank(a) !== phaseRank(b)) return phaseRank(a) - phaseRank(b);
    const ra = isPodReady(a);
    const rb = isPodReady(b);
    if (ra !== rb) return ra ? 1 : -1;
    const rka = ranks.get(a.metadata.uid!) ?? 0;
    const rkb = ranks.get(b.metadata.uid!) ?? 0;
    if (rka !== rkb) return rkb - rka;
    if (ra && rb) {
      const ta = Date.parse(podCondition(a, 'Ready')?.lastTransitionTime ?? '') || 0;
      const tb = Date.parse(podCondition(b, 'Ready')?.lastTransitionTime ?? '') || 0;
      if (ta !== tb) return tb - ta;
    }
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    const ca = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const cb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ca !== cb) return cb - ca;
    return (b.metadata.name ?? '') < (a.metadata.name ?? '') ? -1 : 1;
  };
}

export function replicaSetController(): Controller {
  let ctx: ControllerContext;
  const timers = new Map<string, NodeJS.Timeout>();
  const queue = new WorkQueue((k) => sync(k), (k, e) => console.error(`lab: replicaset controller ${k}:`, e));

  function requeueAt(key: string, at: number): void {
    ctx.clearTimer(timers.get(key));
    timers.set(key, ctx.setTimeout(() => {
      timers.delete(key);
      queue.add(key);
    }, Math.max(0, at - Date.now()) + 5));
  }

  function sync(key: string): void {
    const [ns, name] = splitKey(key);
    const rsDef = ctx.type('apps', 'replicasets');
    const podDef = ctx.type('', 'pods');
    let rs = ctx.store.get(rsDef, ns, name);
    if (!rs) {
      ctx.clearTimer(timers.get(key));
      timers.delete(key);
      return;
    }
    const selector = fromLabelSelectorObject(rs.spec?.selector);
    const terminating = namespaceTerminating(ctx, ns);
    // claim: adopt orphans that match (not while the RS itself is being deleted)
    if (!rs.metadata.deletionTimestamp && !terminating && selector.length) {
      for (const p of ctx.store.list(podDef, ns, { labelSelector: selector })) {
        if (controllerOf(p) || !isPodActive(p)) continue;
        const owner = rs;
        ctx.store.mutate(podDef, ns, p.metadata.name!, (x) => {
          x.metadata.ownerReferences = [...(x.metadata.ownerReferences ?? []), controllerRef(owner)];
        });
      }
    }
    const owned = () => ctx.store.list(podDef, ns, selector.length ? { labelSelector: selector } : {}).filter((p) => ownedBy(p, rs!));
    let active = owned().filter(isPodActive);
    const want = rs.spec?.replicas ?? 1;
    if (!rs.metadata.deletionTimestamp && !terminating) {
      const diff = active.length - want;
      if (diff < 0) {
        for (let i = 0; i < -diff; i++) {
          const pod = createPodFromTemplate(ctx, rs, rs.spec?.template);
          ctx.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
        }
      } else if (diff > 0) {
        const perNode = new Map<string, number>();
        for (const p of active) if (p.spec?.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
        const ranks = new Map(active.map((p) => [p.metadata.uid!, p.spec?.nodeName ? perNode.get(p.spec.nodeName)! : 0]));
        const victims = [...active].sort(deletionOrder(ranks)).slice(0, diff);
        for (const v of victims) {
          deleteObject(ctx, podDef, v);
          ctx.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${v.metadata.name}`, COMPONENT);
        }
      }
      active = owned().filter(isPodActive);
    }
    rs = ctx.store.get(rsDef, ns, name)!;
    const tplLabels = rs.spec?.template?.metadata?.labels ?? {};
    const tplSel = Object.entries(tplLabels).map(([k, v]) => ({ key: k, op: 'in' as const, values: [v as string] }));
    const minReady = rs.spec?.minReadySeconds ?? 0;
    const now = Date.now();
    let ready = 0;
    let available = 0;
    let fully = 0;
    let nextAvail: number | undefined;
    for (const p of active) {
      if (matchesLabels(tplSel, p.metadata.labels)) fully++;
      if (isPodReady(p)) {
        ready++;
        if (isPodAvailable(p, minReady, now)) available++;
        else {
          const at = availableAt(p, minReady);
          if (at !== undefined && (nextAvail === undefined || at < nextAvail)) nextAvail = at;
        }
      }
    }
    const status: any = { replicas: active.length };
    if (fully) status.fullyLabeledReplicas = fully;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    if (rs.metadata.generation) status.observedGeneration = rs.metadata.generation;
    if (rs.status?.conditions?.length) status.conditions = rs.status.conditions;
    ctx.store.mutate(rsDef, ns, name, (x) => {
      x.status = status;
    });
    if (nextAvail !== undefined) requeueAt(key, nextAvail);
  }

  return {
    name: 'replicaset',
    start(c) {
      ctx = c;
      for (const rs of c.store.list(c.type('apps', 'replicasets'))) queue.add(keyOf(rs));
    },
    onEvent(ev, def) {
      if (def.group === 'apps' && def.plural === 'replicasets') {
        if (ev.type !== 'DELETED') queue.add(keyOf(ev.object));
        return;
      }
      if (def.group !== '' || def.plural !== 'pods') return;
      const ns = ev.object.metadata.namespace;
      for (const o of [ev.object, ev.old]) {
        const ref = o && controllerOf(o);
        if (ref?.kind === 'ReplicaSet') queue.add(`${ns}/${ref.name}`);
      }
      if (ev.type === 'ADDED' && !controllerOf(ev.object)) {
        // a possible orphan to adopt
        const rsDef = ctx.type('apps', 'replicasets');
        for (const rs of ctx.store.list(rsDef, ns)) {
          const sel = fromLabelSelectorObject(rs.spec?.selector);
          if (sel.length && matchesLabels(sel, ev.object.metadata.labels)) queue.add(keyOf(rs));
        }
      }
    },
    stop() {
      queue.stop();
    },
  };
}

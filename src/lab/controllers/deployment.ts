// The Deployment controller, following pkg/controller/deployment: a ReplicaSet per pod template named
// `<deploy>-<pod-template-hash>`, revisions, rolling updates bounded by maxSurge/maxUnavailable, Recreate,
// proportional scaling, revisionHistoryLimit cleanup, and the status/conditions/events the real one writes.
import { admit } from '../apiserver/admission.ts';
import type { KObject } from '../types.ts';
import { clone } from '../store/store.ts';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors.ts';
import { deepEqual } from '../store/equal.ts';
import { deleteObject } from './gc.ts';
import { namespaceTerminating } from './namespace.ts';
import { controllerOf, isPodActive, ownedBy } from './replicaset.ts';
import { type Controller, type ControllerContext, controllerRef, keyOf, nowIso, splitKey, WorkQueue } from './runtime.ts';

const COMPONENT = 'deployment-controller';
export const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
const ROLLBACK_TO = 'deprecated.deployment.rollback.to';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const HASH_LABEL = 'pod-template-hash';
const SKIP_ANNOTATIONS = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED, MAX, ROLLBACK_TO]);

// ─── hashing (controller.ComputeHash) ───────────────────────────────────────────────────────────────────

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString: maps every byte onto the vowel-free alphabet. */
export function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const keys = Object.keys(v as object).filter((k) => (v as any)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((v as any)[k])}`).join(',')}}`;
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The pod-template-hash: FNV-32a over the template (the lab hashes a canonical JSON rendering where Go hashes a
 * spew dump, so values differ from a real cluster's but are just as stable) plus the collision count as 8
 * little-endian bytes, printed in decimal and safe-encoded — hence the 9–10 characters from "bcdf456789".
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(stableStringify(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}

// ─── intstr / fenceposts ────────────────────────────────────────────────────────────────────────────────

export function scaledValue(v: unknown, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const s = String(v);
  if (s.endsWith('%')) {
    const p = parseInt(s.slice(0, -1), 10);
    if (Number.isNaN(p)) return 0;
    const x = (p * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  const n = parseInt(s, 10);
  return Number.isNaN(n) ? 0 : n;
}

const replicasOf = (o: KObject | undefined): number => (o?.spec?.replicas ?? 1) as number;
const rsReplicas = (rs: KObject | undefined): number => (rs?.spec?.replicas ?? 0) as number;
const isRolling = (d: KObject) => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

function resolveFenceposts(d: KObject): [number, number] {
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const desired = replicasOf(d);
  const surge = scaledValue(ru.maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

export function maxSurge(d: KObject): number {
  return isRolling(d) ? resolveFenceposts(d)[0] : 0;
}

export function maxUnavailable(d: KObject): number {
  if (!isRolling(d) || replicasOf(d) === 0) return 0;
  return Math.min(resolveFenceposts(d)[1], replicasOf(d));
}

// ─── RS helpers ─────────────────────────────────────────────────────────────────────────────────────────

const sum = (rss: (KObject | undefined)[], f: (rs: KObject) => number) => rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
const specReplicas = (rss: (KObject | undefined)[]) => sum(rss, rsReplicas);
const actualReplicas = (rss: (KObject | undefined)[]) => sum(rss, (rs) => rs.status?.replicas ?? 0);
const readyReplicas = (rss: (KObject | undefined)[]) => sum(rss, (rs) => rs.status?.readyReplicas ?? 0);
const availableReplicas = (rss: (KObject | undefined)[]) => sum(rss, (rs) => rs.status?.availableReplicas ?? 0);
const activeRSs = (rss: (KObject | undefined)[]) => rss.filter((rs): rs is KObject => !!rs && rsReplicas(rs) > 0);

function byCreation(a: KObject, b: KObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

function revisionOf(rs: KObject): number {
  const n = parseInt(rs.metadata.annotations?.[REVISION] ?? '', 10);
  return Number.isNaN(n) ? 0 : n;
}

function intAnnotation(rs: KObject, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined) return undefined;
  const n = parseInt(v, 10);
  return Number.isNaN(n) ? undefined : n;
}

function templateWithoutHash(t: any): any {
  const c = clone(t ?? {});
  if (c.metadata?.labels) {
    delete c.metadata.labels[HASH_LABEL];
  }
  return c;
}

/** deploymentutil.EqualIgnoreHash */
function equalIgnoreHash(a: any, b: any): boolean {
  const ca = templateWithoutHash(a);
  const cb = templateWithoutHash(b);
  if (ca.metadata?.labels && Object.keys(ca.metadata.labels).length === 0) delete ca.metadata.labels;
  if (cb.metadata?.labels && Object.keys(cb.metadata.labels).length === 0) delete cb.metadata.labels;
  return deepEqual(ca, cb);
}

// ─── conditions ─────────────────────────────────────────────────────────────────────────────────────────

interface DeploymentCondition {
  type: string;
  status: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

function newCondition(type: string, status: string, reason: string, message: string): DeploymentCondition {
  const now = nowIso();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

function getCondition(status: any, type: string): DeploymentCondition | undefined {
  return (status?.conditions ?? []).find((c: DeploymentCondition) => c.type === type);
}

/** deploymentutil.SetDeploymentCondition */
function setCondition(status: any, cond: DeploymentCondition): void {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return;
  if (cur && cur.status === cond.status) cond.lastTransitionTime = cur.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c: DeploymentCondition) => c.type !== cond.type), cond];
}

function removeCondition(status: any, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c: DeploymentCondition) => c.type !== type);
}

// ─── the controller ─────────────────────────────────────────────────────────────────────────────────────

export function deploymentController(): Controller {
  let ctx: ControllerContext;
  const timers = new Map<string, NodeJS.Timeout>();
  const queue = new WorkQueue((k) => sync(k), (k, e) => console.error(`lab: deployment controller ${k}:`, e));

  const dDef = () => ctx.type('apps', 'deployments');
  const rsDef = () => ctx.type('apps', 'replicasets');

  function requeueAfter(key: string, ms: number): void {
    ctx.clearTimer(timers.get(key));
    timers.set(key, ctx.setTimeout(() => {
      timers.delete(key);
      queue.add(key);
    }, Math.max(0, ms)));
  }

  /** getReplicaSetsForDeployment: owned ReplicaSets, adopting orphans the selector matches. */
  function replicaSetsFor(d: KObject): KObject[] {
    const ns = d.metadata.namespace;
    const sel = fromLabelSelectorObject(d.spec?.selector);
    const out: KObject[] = [];
    for (const rs of ctx.store.list(rsDef(), ns)) {
      if (ownedBy(rs, d)) {
        out.push(rs);
        continue;
      }
      if (!controllerOf(rs) && sel.length && matchesLabels(sel, rs.metadata.labels) && !rs.metadata.deletionTimestamp && !d.metadata.deletionTimestamp) {
        const adopted = ctx.store.mutate(rsDef(), ns, rs.metadata.name!, (x) => {
          x.metadata.ownerReferences = [...(x.metadata.ownerReferences ?? []), controllerRef(d)];
        });
        if (adopted) out.push(adopted);
      }
    }
    return out;
  }

  function findNewRS(d: KObject, rsList: KObject[]): KObject | undefined {
    return [...rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
  }

  function maxRevision(rss: KObject[]): number {
    return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
  }

  function setReplicasAnnotations(rs: KObject, desired: number, max: number): boolean {
    const a = (rs.metadata.annotations ??= {});
    let changed = false;
    if (a[DESIRED] !== String(desired)) {
      a[DESIRED] = String(desired);
      changed = true;
    }
    if (a[MAX] !== String(max)) {
      a[MAX] = String(max);
      changed = true;
    }
    return changed;
  }

  /** deploymentutil.SetNewReplicaSetAnnotations (minus the revision-history length cap). */
  function setNewRSAnnotations(d: KObject, rs: KObject, newRevision: string, exists: boolean): boolean {
    let changed = false;
    const a = (rs.metadata.annotations ??= {});
    for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
      if (SKIP_ANNOTATIONS.has(k)) continue;
      if (a[k] !== v) {
        a[k] = v;
        changed = true;
      }
    }
    const old = a[REVISION];
    const oldN = parseInt(old ?? '', 10);
    const newN = parseInt(newRevision, 10);
    if (old === undefined || Number.isNaN(oldN) || oldN < newN) {
      a[REVISION] = newRevision;
      changed = true;
      if (old !== undefined && old !== '' && exists) {
        a[REVISION_HISTORY] = a[REVISION_HISTORY] ? `${a[REVISION_HISTORY]},${old}` : old;
      }
    }
    if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
    return changed;
  }

  /** deploymentutil.NewRSNewReplicas */
  function newRSNewReplicas(d: KObject, allRSs: (KObject | undefined)[], newRS: KObject): number {
    if (!isRolling(d)) return replicasOf(d);
    const surge = maxSurge(d);
    const current = specReplicas(allRSs);
    const maxTotal = replicasOf(d) + surge;
    if (current >= maxTotal) return rsReplicas(newRS);
    const up = Math.min(maxTotal - current, replicasOf(d) - rsReplicas(newRS));
    return rsReplicas(newRS) + up;
  }

  function refresh(d: KObject): KObject {
    return ctx.store.get(dDef(), d.metadata.namespace, d.metadata.name!) ?? d;
  }

  /**
   * getNewReplicaSet: the RS matching the template (revision bumped when it is re-used), or a new one when
   * `create` is set. Returns [newRS, d] with `d` refreshed after any write.
   */
  function getNewReplicaSet(d: KObject, rsList: KObject[], oldRSs: KObject[], create: boolean): [KObject | undefined, KObject] {
    const ns = d.metadata.namespace;
    const existing = findNewRS(d, rsList);
    const newRevision = String(maxRevision(oldRSs) + 1);
    if (existing) {
      const draft = clone(existing);
      let changed = setNewRSAnnotations(d, draft, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if ((draft.spec.minReadySeconds ?? 0) !== minReady) {
        draft.spec.minReadySeconds = minReady;
        changed = true;
      }
      const rs = changed ? ctx.store.update(rsDef(), draft) : existing;
      let needsUpdate = false;
      const dd = clone(d);
      if (dd.metadata.annotations?.[REVISION] !== rs.metadata.annotations?.[REVISION]) {
        (dd.metadata.annotations ??= {})[REVISION] = rs.metadata.annotations![REVISION]!;
        needsUpdate = true;
      }
      const cond = getCondition(dd.status, 'Progressing');
      if (d.spec?.progressDeadlineSeconds !== undefined && !cond) {
        dd.status ??= {};
        setCondition(dd.status, newCondition('Progressing', 'True', 'FoundNewReplicaSet', `Found new replica set "${rs.metadata.name}"`));
        needsUpdate = true;
      }
      if (needsUpdate) {
        ctx.store.mutate(dDef(), ns, d.metadata.name!, (x) => {
          x.metadata.annotations = dd.metadata.annotations;
          x.status = dd.status;
        });
        d = refresh(d);
      }
      return [rs, d];
    }
    if (!create) return [undefined, d];
    if (namespaceTerminating(ctx, ns)) return [undefined, d];

    const collision = d.status?.collisionCount;
    const hash = computeHash(d.spec?.template, collision);
    const template = clone(d.spec?.template ?? {});
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [HASH_LABEL]: hash };
    const selector = clone(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const rs: KObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: ns,
        labels: { ...template.metadata.labels },
        ownerReferences: [controllerRef(d)],
      },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds ?? 0, selector, template },
    };
    rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    setNewRSAnnotations(d, rs, newRevision, false);
    const clash = ctx.store.get(rsDef(), ns, rs.metadata.name!);
    if (clash) {
      // A ReplicaSet with this name exists but is not ours or has another template: hash collision.
      if (ownedBy(clash, d) && equalIgnoreHash(clash.spec?.template, d.spec?.template)) return [clash, d];
      ctx.store.mutate(dDef(), ns, d.metadata.name!, (x) => {
        x.status = { ...(x.status ?? {}), collisionCount: (x.status?.collisionCount ?? 0) + 1 };
      });
      queue.add(keyOf(d));
      return [undefined, refresh(d)];
    }
    admit(rsDef(), rs);
    const created = ctx.store.create(rsDef(), rs);
    if (rsReplicas(created) > 0)
      ctx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${rsReplicas(created)}`, COMPONENT);
    ctx.store.mutate(dDef(), ns, d.metadata.name!, (x) => {
      (x.metadata.annotations ??= {})[REVISION] = newRevision;
      if (x.spec?.progressDeadlineSeconds !== undefined) {
        x.status ??= {};
        setCondition(x.status, newCondition('Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "${created.metadata.name}"`));
      }
    });
    return [created, refresh(d)];
  }

  /** getAllReplicaSetsAndSyncRevision → [newRS, oldRSs, d] */
  function allRSs(d: KObject, rsList: KObject[], create: boolean): [KObject | undefined, KObject[], KObject] {
    const found = findNewRS(d, rsList);
    const oldRSs = rsList.filter((rs) => rs !== found);
    const [newRS, d2] = getNewReplicaSet(d, rsList, oldRSs, create);
    return [newRS, oldRSs.map((rs) => ctx.store.get(rsDef(), rs.metadata.namespace, rs.metadata.name!) ?? rs), d2];
  }

  /** scaleReplicaSet: returns the (possibly updated) RS and whether its size changed. */
  function scaleRS(rs: KObject, newScale: number, d: KObject, op?: string): [KObject, boolean] {
    const current = ctx.store.get(rsDef(), rs.metadata.namespace, rs.metadata.name!) ?? rs;
    const from = rsReplicas(current);
    const sizeChange = from !== newScale;
    const draft = clone(current);
    const annChange = setReplicasAnnotations(draft, replicasOf(d), replicasOf(d) + maxSurge(d));
    if (!sizeChange && !annChange) return [current, false];
    draft.spec.replicas = newScale;
    const updated = ctx.store.update(rsDef(), draft);
    if (sizeChange) {
      const operation = op ?? (from < newScale ? 'up' : 'down');
      ctx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${operation} replica set ${current.metadata.name} from ${from} to ${newScale}`, COMPONENT);
    }
    return [updated, sizeChange];
  }

  function scaleAndRecord(rs: KObject, newScale: number, d: KObject): boolean {
    if (rsReplicas(rs) === newScale) return false;
    return scaleRS(rs, newScale, d)[1];
  }

  /** deploymentutil.FindActiveOrLatest */
  function activeOrLatest(newRS: KObject | undefined, oldRSs: KObject[]): KObject | undefined {
    if (!newRS && oldRSs.length === 0) return undefined;
    const olds = [...oldRSs].sort(byCreation).reverse();
    const all = activeRSs([...olds, newRS]);
    if (all.length === 0) return newRS ?? olds[0];
    if (all.length === 1) return all[0];
    return undefined;
  }

  function isSaturated(d: KObject, rs: KObject | undefined): boolean {
    if (!rs) return false;
    return rsReplicas(rs) === replicasOf(d) && intAnnotation(rs, DESIRED) === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
  }

  /** getReplicaSetFraction / GetProportion */
  function proportion(rs: KObject, d: KObject, toAdd: number, added: number): number {
    if (rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
    let fraction: number;
    if (replicasOf(d) === 0) fraction = -rsReplicas(rs);
    else {
      const deploymentReplicas = replicasOf(d) + maxSurge(d);
      const annotated = intAnnotation(rs, MAX) ?? d.status?.replicas ?? 0;
      const size = annotated ? (rsReplicas(rs) * deploymentReplicas) / annotated : 0;
      fraction = Math.round(size) - rsReplicas(rs);
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  /** DeploymentController.scale */
  function scale(d: KObject, newRS: KObject | undefined, oldRSs: KObject[]): void {
    const one = activeOrLatest(newRS, oldRSs);
    if (one) {
      if (rsReplicas(one) !== replicasOf(d)) scaleAndRecord(one, replicasOf(d), d);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeRSs(oldRSs)) scaleAndRecord(old, 0, d);
      return;
    }
    if (!isRolling(d)) return;
    const all = activeRSs([...oldRSs, newRS]);
    const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(all);
    let op: string | undefined;
    if (toAdd > 0) {
      // ReplicaSetsBySizeNewer
      all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || -byCreation(a, b));
      op = 'up';
    } else if (toAdd < 0) {
      // ReplicaSetsBySizeOlder
      all.sort((a, b) => rsReplicas(b) - rsReplicas(a) || byCreation(a, b));
      op = 'down';
    }
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const p = proportion(rs, d, toAdd, added);
        sizes.set(rs.metadata.name!, rsReplicas(rs) + p);
        added += p;
      } else sizes.set(rs.metadata.name!, rsReplicas(rs));
    }
    all.forEach((rs, i) => {
      if (i === 0 && toAdd !== 0) sizes.set(rs.metadata.name!, Math.max(0, sizes.get(rs.metadata.name!)! + (toAdd - added)));
      scaleRS(rs, sizes.get(rs.metadata.name!)!, d, op);
    });
  }

  function calculateStatus(allRSList: (KObject | undefined)[], newRS: KObject | undefined, d: KObject): any {
    const available = availableReplicas(allRSList);
    const total = specReplicas(allRSList);
    const unavailable = Math.max(0, total - available);
    const status: any = {};
    if (d.metadata.generation) status.observedGeneration = d.metadata.generation;
    const put = (k: string, v: number) => {
      if (v) status[k] = v;
    };
    put('replicas', actualReplicas(allRSList));
    put('updatedReplicas', actualReplicas([newRS]));
    put('readyReplicas', readyReplicas(allRSList));
    put('availableReplicas', available);
    put('unavailableReplicas', unavailable);
    if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
    status.conditions = [...(d.status?.conditions ?? [])].map((c: any) => ({ ...c }));
    if (available >= replicasOf(d) - maxUnavailable(d))
      setCondition(status, newCondition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'));
    else setCondition(status, newCondition('Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'));
    return status;
  }

  function writeStatus(d: KObject, status: any): void {
    if (!status.conditions?.length) delete status.conditions;
    if (deepEqual(d.status ?? {}, status)) return;
    ctx.store.mutate(dDef(), d.metadata.namespace, d.metadata.name!, (x) => {
      x.status = status;
    });
  }

  function deploymentComplete(d: KObject, s: any): boolean {
    return (
      (s.updatedReplicas ?? 0) === replicasOf(d) &&
      (s.replicas ?? 0) === replicasOf(d) &&
      (s.availableReplicas ?? 0) === replicasOf(d) &&
      (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
    );
  }

  function deploymentProgressing(d: KObject, s: any): boolean {
    const old = d.status ?? {};
    const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
    const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
    return (
      (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
      newOld < oldOld ||
      (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
      (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
    );
  }

  function syncRolloutStatus(allRSList: (KObject | undefined)[], newRS: KObject | undefined, d: KObject): void {
    d = refresh(d);
    const s = calculateStatus(allRSList, newRS, d);
    const hasDeadline = d.spec?.progressDeadlineSeconds !== undefined && d.spec?.progressDeadlineSeconds !== null;
    if (!hasDeadline) removeCondition(s, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const isComplete = (s.replicas ?? 0) === (s.updatedReplicas ?? 0) && current?.reason === 'NewReplicaSetAvailable';
    if (hasDeadline && !isComplete) {
      const rsName = newRS?.metadata.name;
      if (deploymentComplete(d, s)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata.name}" has successfully progressed.`;
        setCondition(s, newCondition('Progressing', 'True', 'NewReplicaSetAvailable', msg));
      } else if (deploymentProgressing(d, s)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata.name}" is progressing.`;
        const cond = newCondition('Progressing', 'True', 'ReplicaSetUpdated', msg);
        if (current) {
          if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(s, 'Progressing');
        }
        setCondition(s, cond);
      } else if (current && current.reason !== 'ProgressDeadlineExceeded') {
        const last = Date.parse(current.lastUpdateTime);
        const deadline = last + d.spec.progressDeadlineSeconds * 1000;
        if (Date.now() > deadline) {
          const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata.name}" has timed out progressing.`;
          setCondition(s, newCondition('Progressing', 'False', 'ProgressDeadlineExceeded', msg));
        } else requeueAfter(keyOf(d), deadline - Date.now() + 1000);
      }
    }
    writeStatus(d, s);
  }

  /** cleanupDeployment: revisionHistoryLimit */
  function cleanup(oldRSs: KObject[], d: KObject): void {
    const limit = d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const alive = oldRSs
      .map((rs) => ctx.store.get(rsDef(), rs.metadata.namespace, rs.metadata.name!))
      .filter((rs): rs is KObject => !!rs && !rs.metadata.deletionTimestamp);
    const diff = alive.length - limit;
    if (diff <= 0) return;
    alive.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (let i = 0; i < diff; i++) {
      const rs = alive[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      deleteObject(ctx, rsDef(), rs);
    }
  }

  function rolloutRolling(d: KObject, rsList: KObject[]): void {
    let [newRS, oldRSs, dd] = allRSs(d, rsList, true);
    d = dd;
    const all = () => [...oldRSs, newRS];
    // reconcileNewReplicaSet
    if (newRS) {
      let scaled = false;
      if (rsReplicas(newRS) > replicasOf(d)) scaled = scaleAndRecord(newRS, replicasOf(d), d);
      else if (rsReplicas(newRS) < replicasOf(d)) {
        const n = newRSNewReplicas(d, all(), newRS);
        scaled = scaleAndRecord(newRS, n, d);
      }
      if (scaled) {
        newRS = ctx.store.get(rsDef(), newRS.metadata.namespace, newRS.metadata.name!) ?? newRS;
        syncRolloutStatus(all(), newRS, d);
        return;
      }
    }
    // reconcileOldReplicaSets
    if (reconcileOld(d, oldRSs, newRS)) {
      oldRSs = oldRSs.map((rs) => ctx.store.get(rsDef(), rs.metadata.namespace, rs.metadata.name!) ?? rs);
      syncRolloutStatus(all(), newRS, d);
      return;
    }
    const s = calculateStatus(all(), newRS, d);
    if (deploymentComplete(d, s)) cleanup(oldRSs, d);
    syncRolloutStatus(all(), newRS, d);
  }

  function reconcileOld(d: KObject, oldRSs: KObject[], newRS: KObject | undefined): boolean {
    const oldPods = specReplicas(oldRSs);
    if (oldPods === 0) return false;
    const allPods = specReplicas([...oldRSs, newRS]);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = newRS ? rsReplicas(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // cleanupUnhealthyReplicas
    let cleaned = 0;
    const olds = [...oldRSs].sort(byCreation);
    for (let i = 0; i < olds.length; i++) {
      const rs = olds[i]!;
      if (cleaned >= maxScaledDown) break;
      if (rsReplicas(rs) === 0) continue;
      const avail = rs.status?.availableReplicas ?? 0;
      if (avail === rsReplicas(rs)) continue;
      const down = Math.min(maxScaledDown - cleaned, rsReplicas(rs) - avail);
      const [updated] = scaleRS(rs, rsReplicas(rs) - down, d);
      olds[i] = updated;
      cleaned += down;
    }
    // scaleDownOldReplicaSetsForRollingUpdate
    const availableNow = availableReplicas([...olds, newRS]);
    let scaledDown = 0;
    if (availableNow > minAvailable) {
      const total = availableNow - minAvailable;
      for (const rs of olds.sort(byCreation)) {
        if (scaledDown >= total) break;
        if (rsReplicas(rs) === 0) continue;
        const down = Math.min(rsReplicas(rs), total - scaledDown);
        scaleRS(rs, rsReplicas(rs) - down, d);
        scaledDown += down;
      }
    }
    return cleaned + scaledDown > 0;
  }

  function oldPodsRunning(newRS: KObject | undefined, oldRSs: KObject[]): boolean {
    const podDef = ctx.type('', 'pods');
    for (const rs of oldRSs) {
      if ((rs.status?.replicas ?? 0) > 0) return true;
      const sel = fromLabelSelectorObject(rs.spec?.selector);
      for (const p of ctx.store.list(podDef, rs.metadata.namespace, sel.length ? { labelSelector: sel } : {})) {
        if (newRS && ownedBy(p, newRS)) continue;
        if (!ownedBy(p, rs)) continue;
        const phase = p.status?.phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }

  function rolloutRecreate(d: KObject, rsList: KObject[]): void {
    let [newRS, oldRSs, dd] = allRSs(d, rsList, false);
    d = dd;
    let scaledDown = false;
    for (const rs of activeRSs(oldRSs)) if (scaleAndRecord(rs, 0, d)) scaledDown = true;
    oldRSs = oldRSs.map((rs) => ctx.store.get(rsDef(), rs.metadata.namespace, rs.metadata.name!) ?? rs);
    if (scaledDown) {
      syncRolloutStatus([...oldRSs, newRS], newRS, d);
      return;
    }
    if (oldPodsRunning(newRS, oldRSs)) {
      syncRolloutStatus([...oldRSs, newRS], newRS, d);
      return;
    }
    if (!newRS) {
      [newRS, oldRSs, dd] = allRSs(d, ctx.store.list(rsDef(), d.metadata.namespace).filter((rs) => ownedBy(rs, d)), true);
      d = dd;
    }
    if (newRS && rsReplicas(newRS) !== replicasOf(d)) {
      scaleAndRecord(newRS, replicasOf(d), d);
      newRS = ctx.store.get(rsDef(), newRS.metadata.namespace, newRS.metadata.name!) ?? newRS;
    }
    const s = calculateStatus([...oldRSs, newRS], newRS, d);
    if (deploymentComplete(d, s)) cleanup(oldRSs, d);
    syncRolloutStatus([...oldRSs, newRS], newRS, d);
  }

  function syncOnly(d: KObject, rsList: KObject[]): void {
    let [newRS, oldRSs, dd] = allRSs(d, rsList, false);
    d = dd;
    scale(d, newRS, oldRSs);
    const fresh = (rs: KObject | undefined) => (rs ? ctx.store.get(rsDef(), rs.metadata.namespace, rs.metadata.name!) ?? rs : undefined);
    newRS = fresh(newRS);
    oldRSs = oldRSs.map((rs) => fresh(rs)!);
    if (d.spec?.paused) cleanup(oldRSs, d);
    writeStatus(refresh(d), calculateStatus([...oldRSs, newRS], newRS, refresh(d)));
  }

  function isScalingEvent(d: KObject, rsList: KObject[]): boolean {
    const newRS = findNewRS(d, rsList);
    const olds = rsList.filter((rs) => rs !== newRS);
    for (const rs of activeRSs([...olds, newRS])) {
      const desired = intAnnotation(rs, DESIRED);
      if (desired === undefined) continue;
      if (desired !== replicasOf(d)) return true;
    }
    return false;
  }

  function sync(key: string): void {
    const [ns, name] = splitKey(key);
    const d = ctx.store.get(dDef(), ns, name);
    if (!d) {
      ctx.clearTimer(timers.get(key));
      timers.delete(key);
      return;
    }
    const sel = fromLabelSelectorObject(d.spec?.selector);
    if (!sel.length) {
      if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        ctx.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.', COMPONENT);
        ctx.store.mutate(dDef(), ns, name, (x) => {
          x.status = { ...(x.status ?? {}), observedGeneration: x.metadata.generation };
        });
      }
      return;
    }
    const rsList = replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) {
      const [newRS, oldRSs] = [findNewRS(d, rsList), rsList];
      writeStatus(d, calculateStatus(oldRSs, newRS, d));
      return;
    }
    if (d.spec?.paused || isScalingEvent(d, rsList)) return syncOnly(d, rsList);
    if (d.spec?.strategy?.type === 'Recreate') return rolloutRecreate(d, rsList);
    return rolloutRolling(d, rsList);
  }

  function enqueueForRS(rs: KObject | undefined): void {
    if (!rs) return;
    const ref = controllerOf(rs);
    if (ref?.kind === 'Deployment') {
      queue.add(`${rs.metadata.namespace}/${ref.name}`);
      return;
    }
    if (!ref) {
      for (const d of ctx.store.list(dDef(), rs.metadata.namespace)) {
        const sel = fromLabelSelectorObject(d.spec?.selector);
        if (sel.length && matchesLabels(sel, rs.metadata.labels)) queue.add(keyOf(d));
      }
    }
  }

  return {
    name: 'deployment',
    start(c) {
      ctx = c;
      for (const d of c.store.list(c.type('apps', 'deployments'))) queue.add(keyOf(d));
    },
    onEvent(ev, def) {
      if (def.group !== 'apps' && !(def.group === '' && def.plural === 'pods')) return;
      if (def.plural === 'deployments') {
        if (ev.type !== 'DELETED') queue.add(keyOf(ev.object));
        return;
      }
      if (def.plural === 'replicasets') {
        enqueueForRS(ev.object);
        if (ev.old && controllerOf(ev.old)?.uid !== controllerOf(ev.object)?.uid) enqueueForRS(ev.old);
        return;
      }
      if (def.plural === 'pods' && (ev.type === 'DELETED' || (ev.old && isPodActive(ev.old) && !isPodActive(ev.object)))) {
        // Recreate waits for old pods to be gone
        const ref = controllerOf(ev.object);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = ctx.store.get(ctx.type('apps', 'replicasets'), ev.object.metadata.namespace, ref.name);
        const dref = rs && controllerOf(rs);
        if (dref?.kind === 'Deployment') queue.add(`${ev.object.metadata.namespace}/${dref.name}`);
      }
    },
    stop() {
      queue.stop();
    },
  };
}

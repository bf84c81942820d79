// The garbage collector (kube-controller-manager's garbagecollector + podgc, background propagation): when an
// owner goes away its dependents (objects whose ownerReferences name its uid) are deleted, which cascades through
// further DELETED events. Dependents that still have another live owner only lose the dangling reference. Objects
// created with references to owners that no longer exist are collected too, as the real GC does.
// `propagationPolicy: Orphan` is the apiserver's business: it strips the references before deleting the owner.
import type { ResourceDef } from '../resources.ts';
import { typeKey } from '../resources.ts';
import type { KObject, OwnerReference } from '../types.ts';
import { type Controller, type ControllerContext, WorkQueue } from './runtime.ts';

/**
 * Deletes an object the way the apiserver's DELETE does with default options: scheduled, still running pods get a
 * graceful deletion (deletionTimestamp; the kubelet removes them), objects with finalizers are marked, namespaces
 * go Terminating, everything else is removed at once.
 */
export function deleteObject(ctx: ControllerContext, def: ResourceDef, obj: KObject, opts: { graceSeconds?: number } = {}): void {
  const { store } = ctx;
  const ns = def.namespaced ? obj.metadata.namespace : undefined;
  const name = obj.metadata.name!;
  const cur = store.get(def, ns, name);
  if (!cur || (obj.metadata.uid && cur.metadata.uid !== obj.metadata.uid)) return;
  if (cur.metadata.deletionTimestamp) return;
  if (def.kind === 'Namespace') {
    store.markDeleting(def, undefined, name);
    store.mutate(def, undefined, name, (n) => {
      n.status = { ...n.status, phase: 'Terminating' };
    });
    return;
  }
  if (def.kind === 'Pod') {
    const grace = opts.graceSeconds ?? cur.spec?.terminationGracePeriodSeconds ?? 30;
    const running = !!cur.spec?.nodeName && !['Succeeded', 'Failed'].includes(cur.status?.phase);
    if (grace > 0 && running) {
      store.markDeleting(def, ns, name, grace);
      return;
    }
  }
  if (cur.metadata.finalizers?.length) {
    store.markDeleting(def, ns, name);
    return;
  }
  store.remove(def, ns, name);
}

interface DepRef {
  def: ResourceDef;
  ns: string | undefined;
  name: string;
}

export function garbageCollector(): Controller {
  let ctx: ControllerContext;
  /** owner uid → the keys (`group/plural|ns|name`) of its dependents: one key, or a set of them */
  const dependents = new Map<string, string | Set<string>>();
  /** dependent key → the owner uid (or uids) it was indexed under */
  const indexed = new Map<string, string | string[]>();

  const depKey = (def: ResourceDef, ns: string | undefined, name: string) => `${typeKey(def)}|${ns ?? ''}|${name}`;
  const uidsOf = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

  function depRef(k: string): DepRef | undefined {
    const [tk, ns, name] = k.split('|') as [string, string, string];
    const slash = tk.indexOf('/');
    const def = ctx.registry.forType(tk.slice(0, slash), tk.slice(slash + 1));
    return def ? { def, ns: ns || undefined, name } : undefined;
  }

  function addDependent(uid: string, k: string): void {
    const cur = dependents.get(uid);
    if (cur === undefined) dependents.set(uid, k);
    else if (typeof cur === 'string') {
      if (cur !== k) dependents.set(uid, new Set([cur, k]));
    } else cur.add(k);
  }

  function dropDependent(uid: string, k: string): void {
    const cur = dependents.get(uid);
    if (cur === k) dependents.delete(uid);
    else if (cur instanceof Set) {
      cur.delete(k);
      if (cur.size === 0) dependents.delete(uid);
    }
  }

  function unindex(k: string): void {
    for (const uid of uidsOf(indexed.get(k))) dropDependent(uid, k);
    indexed.delete(k);
  }

  function index(def: ResourceDef, o: KObject): void {
    const ns = def.namespaced ? o.metadata.namespace : undefined;
    const k = depKey(def, ns, o.metadata.name!);
    const uids = (o.metadata.ownerReferences ?? []).map((r) => r.uid).filter(Boolean);
    const before = uidsOf(indexed.get(k));
    if (before.length === uids.length && before.every((u, i) => u === uids[i])) return; // owners unchanged
    unindex(k);
    if (!uids.length) return;
    indexed.set(k, uids.length === 1 ? uids[0]! : uids);
    for (const uid of uids) addDependent(uid, k);
  }

  /** Whether the owner a reference names still exists (unknown kinds are assumed to exist). */
  function ownerExists(ref: OwnerReference, depNs: string | undefined): boolean {
    const def = ctx.registry.forKind(ref.apiVersion, ref.kind);
    if (!def) return true;
    const o = ctx.store.get(def, def.namespaced ? depNs : undefined, ref.name);
    return !!o && o.metadata.uid === ref.uid;
  }

  /** Processes one dependent whose owner `goneUid` no longer exists. */
  function collectOne(dep: DepRef, goneUid: string): void {
    const o = ctx.store.get(dep.def, dep.ns, dep.name);
    if (!o) return;
    const refs = o.metadata.ownerReferences ?? [];
    if (!refs.some((r) => r.uid === goneUid)) return;
    const others = refs.filter((r) => r.uid !== goneUid && ownerExists(r, dep.ns));
    if (others.length) {
      // another owner is alive: only drop the dangling reference
      ctx.store.mutate(dep.def, dep.ns, dep.name, (x) => {
        x.metadata.ownerReferences = (x.metadata.ownerReferences ?? []).filter((r) => r.uid !== goneUid);
        if (!x.metadata.ownerReferences.length) delete x.metadata.ownerReferences;
      });
      return;
    }
    deleteObject(ctx, dep.def, o);
  }

  function handle(key: string): void {
    if (key.startsWith('owner:')) {
      const uid = key.slice(6);
      const deps = dependents.get(uid);
      if (deps === undefined) return;
      for (const k of typeof deps === 'string' ? [deps] : [...deps]) {
        const dep = depRef(k);
        if (dep) collectOne(dep, uid);
      }
      return;
    }
    if (key.startsWith('node:')) {
      // podgc: pods bound to a node that no longer exists are force-deleted
      const node = key.slice(5);
      if (ctx.store.get(ctx.type('', 'nodes'), undefined, node)) return;
      const podDef = ctx.type('', 'pods');
      for (const p of ctx.store.list(podDef, undefined, { fieldSelector: [{ field: 'spec.nodeName', op: '=', value: node }] })) {
        if (ctx.store.get(podDef, p.metadata.namespace, p.metadata.name!)) ctx.store.remove(podDef, p.metadata.namespace, p.metadata.name!);
      }
      return;
    }
    if (key.startsWith('dangling:')) {
      // dangling:<typeKey>|<ns>|<name>
      const [tk, ns, name] = key.slice(9).split('|') as [string, string, string];
      const slash = tk.indexOf('/');
      const def = ctx.registry.forType(tk.slice(0, slash), tk.slice(slash + 1));
      if (!def) return;
      const o = ctx.store.get(def, ns || undefined, name);
      if (!o || o.metadata.deletionTimestamp) return;
      const refs = o.metadata.ownerReferences ?? [];
      if (!refs.length) return;
      const alive = refs.filter((r) => ownerExists(r, ns || undefined));
      if (alive.length === refs.length) return;
      if (alive.length === 0) {
        deleteObject(ctx, def, o);
        return;
      }
      ctx.store.mutate(def, ns || undefined, name, (x) => {
        x.metadata.ownerReferences = (x.metadata.ownerReferences ?? []).filter((r) => alive.some((a) => a.uid === r.uid));
      });
    }
  }

  const queue = new WorkQueue(handle, (k, e) => console.error(`lab: garbage collector ${k}:`, e));

  return {
    name: 'garbage-collector',
    start(c) {
      ctx = c;
      for (const def of c.registry.all) for (const o of c.store.list(def)) if (o.metadata.ownerReferences?.length) index(def, o);
    },
    onEvent(ev, def) {
      const o = ev.object;
      const ns = def.namespaced ? o.metadata.namespace : undefined;
      if (ev.type === 'DELETED') {
        unindex(depKey(def, ns, o.metadata.name!));
        if (o.metadata.uid) queue.add(`owner:${o.metadata.uid}`);
        if (def.kind === 'Node') queue.add(`node:${o.metadata.name}`);
        return;
      }
      if (o.metadata.ownerReferences?.length || indexed.has(depKey(def, ns, o.metadata.name!))) index(def, o);
      if (ev.type === 'ADDED' && o.metadata.ownerReferences?.length) queue.add(`dangling:${depKey(def, ns, o.metadata.name!)}`);
    },
    stop() {
      queue.stop();
    },
  };
}

// The namespace lifecycle: the namespaces kube-apiserver's bootstrap controller keeps, and the namespace
// controller's deletion: every object in a Terminating namespace is deleted (pods gracefully), the status
// conditions report what remains, and once nothing is left the `kubernetes` finalizer is dropped and the
// namespace goes away.
import { admit } from '../apiserver/admission.ts';
import type { KObject } from '../types.ts';
import { deleteObject } from './gc.ts';
import { type Controller, type ControllerContext, nowIso, WorkQueue } from './runtime.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Whether `ns` is being deleted (the apiserver refuses new content there; controllers must not create any). */
export function namespaceTerminating(ctx: ControllerContext, ns: string | undefined): boolean {
  if (!ns) return false;
  const o = ctx.store.get(ctx.type('', 'namespaces'), undefined, ns);
  return !o || !!o.metadata.deletionTimestamp;
}

/**
 * The real controller discovers every deletable resource before its first sweep, so clients that delete a
 * namespace and then its objects (`kubectl delete -f` in file order) still find them. The lab waits as long.
 */
export const FIRST_SWEEP_DELAY_MS = 300;

export function namespaceController(): Controller {
  let ctx: ControllerContext;
  const terminatingSince = new Map<string, number>();
  const queue = new WorkQueue((name) => sync(name), (k, e) => console.error(`lab: namespace controller ${k}:`, e));

  function ensure(name: string): void {
    const def = ctx.type('', 'namespaces');
    if (ctx.store.get(def, undefined, name)) return;
    const o: KObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    admit(def, o);
    ctx.store.create(def, o);
  }

  function sync(name: string): void {
    const nsDef = ctx.type('', 'namespaces');
    const ns = ctx.store.get(nsDef, undefined, name);
    if (!ns || !ns.metadata.deletionTimestamp) {
      terminatingSince.delete(name);
      return;
    }
    const since = terminatingSince.get(name) ?? terminatingSince.set(name, Date.now()).get(name)!;
    const wait = since + FIRST_SWEEP_DELAY_MS - Date.now();
    if (wait > 0) {
      ctx.setTimeout(() => queue.add(name), wait);
      return;
    }
    const evDef = ctx.type('', 'events');
    const remaining = new Map<string, number>();
    const withFinalizers = new Map<string, number>();
    for (const def of ctx.registry.all) {
      if (!def.namespaced || def === evDef) continue;
      for (const o of ctx.store.list(def, name)) {
        deleteObject(ctx, def, o);
        const still = ctx.store.get(def, name, o.metadata.name!);
        if (!still) continue;
        const res = def.group ? `${def.plural}.${def.group}` : def.plural;
        remaining.set(res, (remaining.get(res) ?? 0) + 1);
        if (still.metadata.finalizers?.length)
          for (const f of still.metadata.finalizers) withFinalizers.set(f, (withFinalizers.get(f) ?? 0) + 1);
      }
    }
    if (remaining.size === 0) {
      // Events go last: the kubelet's Killing events belong to the pods deleted above.
      for (const e of ctx.store.list(evDef, name)) ctx.store.remove(evDef, name, e.metadata.name!);
      if (ctx.store.get(nsDef, undefined, name)) ctx.store.remove(nsDef, undefined, name);
      return;
    }
    const now = nowIso();
    const contentMsg = [...remaining].sort().map(([r, n]) => `${r} has ${n} resource instances`).join(', ');
    const finMsg = [...withFinalizers].sort().map(([f, n]) => `${f} in ${n} resource instances`).join(', ');
    const want = [
      { type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
      { type: 'NamespaceDeletionGroupVersionParsingFailure', status: 'False', reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
      { type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
      { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${contentMsg}` },
      withFinalizers.size
        ? { type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${finMsg}` }
        : { type: 'NamespaceFinalizersRemaining', status: 'False', reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
    ];
    ctx.store.mutate(nsDef, undefined, name, (n) => {
      const old: any[] = n.status?.conditions ?? [];
      n.status = {
        ...n.status,
        phase: 'Terminating',
        conditions: want.map((c) => {
          const prev = old.find((o) => o.type === c.type);
          const same = prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message;
          return same ? prev : { ...c, lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now };
        }),
      };
    });
  }

  return {
    name: 'namespace',
    start(c) {
      ctx = c;
      for (const n of SYSTEM_NAMESPACES) ensure(n);
      for (const n of c.store.list(c.type('', 'namespaces'))) if (n.metadata.deletionTimestamp) queue.add(n.metadata.name!);
    },
    onEvent(ev, def) {
      if (def.kind === 'Namespace') {
        if (ev.type !== 'DELETED' && ev.object.metadata.deletionTimestamp) queue.add(ev.object.metadata.name!);
        return;
      }
      if (!def.namespaced || def.kind === 'Event') return;
      const ns = ev.object.metadata.namespace;
      if (!ns || ev.type === 'ADDED') {
        if (ns && namespaceTerminating(ctx, ns)) queue.add(ns);
        return;
      }
      const nsObj = ctx.store.get(ctx.type('', 'namespaces'), undefined, ns);
      if (nsObj?.metadata.deletionTimestamp) queue.add(ns);
    },
    stop() {
      queue.stop();
    },
  };
}

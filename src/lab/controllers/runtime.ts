// The lab's controller runtime: controllers react to Store changes through de-duplicating work queues, as
// client-go's informer + workqueue pattern does, and write back through the Store.
import type { ResourceDef, ResourceRegistry } from '../resources.ts';
import type { KObject, StoreEvent } from '../types.ts';
import { flat, randomSuffix, type Store } from '../store/store.ts';
import type { LogStore } from '../runtime/logs.ts';
import type { CertificateAuthority } from '../pki.ts';
import type { Prober } from '../dataplane/types.ts';

/** What every controller gets. */
export interface ControllerContext {
  store: Store;
  registry: ResourceRegistry;
  logs: LogStore;
  /** Shortcut: `ctx.type('apps', 'deployments')`. */
  type(group: string, plural: string): ResourceDef;
  /** Posts a core/v1 Event about an object, aggregating repeats (count, lastTimestamp) as the event recorder does. */
  event(obj: KObject, type: 'Normal' | 'Warning', reason: string, message: string, component?: string): void;
  /** Timers the lab cancels on stop. */
  setTimeout(fn: () => void, ms: number): NodeJS.Timeout;
  setInterval(fn: () => void, ms: number): NodeJS.Timeout;
  clearTimer(t: NodeJS.Timeout | undefined): void;
  /** Lab-wide settings controllers read (time scale, address pools, …). */
  settings: LabSettings;
  /** The lab CA, which also issues TLS secrets (lab issuer). */
  ca: CertificateAuthority;
  /** Real probes against the data plane's listeners; without it the kubelet decides readiness by the lab rule. */
  prober?: Prober;
}

export interface LabSettings {
  /** Upper bound on graceful pod termination, in ms (the lab does not wait 30 s). */
  maxGraceMs: number;
  /** Delay between pod scheduling and its containers running, in ms. */
  containerStartMs: number;
  /** Multiplier on kubelet/job back-off delays (CrashLoopBackOff, ImagePullBackOff, job retries); see job.ts. */
  backoffScale?: number;
}

export interface Controller {
  readonly name: string;
  /** Called once at start. */
  start?(ctx: ControllerContext): void;
  /** Called for every Store change, synchronously: enqueue work, don't do it here. */
  onEvent?(ev: StoreEvent, def: ResourceDef, ctx: ControllerContext): void;
  stop?(): void;
}

/**
 * A de-duplicating queue of keys processed on the next macrotask, so a burst of changes to one object is
 * reconciled once and controllers never re-enter the Store from inside its notification.
 */
export class WorkQueue {
  /** Queues (of every lab in the process) with a drain scheduled: 0 when every controller has caught up. */
  private static busyQueues = 0;

  /** True when no queue has work scheduled (the controllers have processed every change so far). */
  static idle(): boolean {
    return WorkQueue.busyQueues === 0;
  }

  private pending = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly handle: (key: string) => void;
  private readonly onError: (key: string, err: unknown) => void;

  constructor(handle: (key: string) => void, onError: (key: string, err: unknown) => void = () => {}) {
    this.handle = handle;
    this.onError = onError;
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      WorkQueue.busyQueues++;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    WorkQueue.busyQueues--;
    const keys = [...this.pending];
    this.pending.clear();
    for (const k of keys) {
      if (this.stopped) return;
      try {
        this.handle(k);
      } catch (e) {
        this.onError(k, e);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }
}

/** `namespace/name` (or `name` for cluster-scoped objects), as cache.MetaNamespaceKeyFunc. */
export function keyOf(o: KObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}

export function splitKey(key: string): [string | undefined, string] {
  const i = key.indexOf('/');
  return i < 0 ? [undefined, key] : [key.slice(0, i), key.slice(i + 1)];
}

/** The controller ownerReference for `owner`. */
export function controllerRef(owner: KObject): NonNullable<KObject['metadata']['ownerReferences']>[number] {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function ownerUid(o: KObject): string | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

let isoSecond = NaN;
let isoString = '';

/** Now, RFC 3339 to the second (status timestamps); calls within one second share the string. */
export function nowIso(): string {
  const sec = Math.floor(Date.now() / 1000);
  if (sec !== isoSecond) {
    isoSecond = sec;
    isoString = flat(new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
  }
  return isoString;
}

export function microIso(): string {
  return new Date().toISOString().replace(/Z$/, '000Z');
}

export class ControllerManager {
  readonly ctx: ControllerContext;
  private controllers: Controller[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private unsubscribe?: () => void;
  private stopped = false;

  constructor(store: Store, registry: ResourceRegistry, logs: LogStore, ca: CertificateAuthority, settings: Partial<LabSettings> = {}) {
    const timers = this.timers;
    const self = this;
    this.ctx = {
      store,
      registry,
      logs,
      ca,
      settings: { maxGraceMs: 2000, containerStartMs: 300, ...settings },
      type: (g, p) => registry.type(g, p),
      event: (obj, type, reason, message, component) => recordEvent(store, registry, obj, type, reason, message, component),
      setTimeout(fn, ms) {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!self.stopped) fn();
        }, ms);
        timers.add(t);
        return t;
      },
      setInterval(fn, ms) {
        const t = setInterval(() => {
          if (!self.stopped) fn();
        }, ms);
        timers.add(t);
        return t;
      },
      clearTimer(t) {
        if (!t) return;
        clearTimeout(t);
        clearInterval(t);
        timers.delete(t);
      },
    };
  }

  add(...cs: Controller[]): this {
    this.controllers.push(...cs);
    return this;
  }

  start(): void {
    for (const c of this.controllers) c.start?.(this.ctx);
    this.unsubscribe = this.ctx.store.subscribe((ev, def) => {
      for (const c of this.controllers) c.onEvent?.(ev, def, this.ctx);
    });
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const c of this.controllers) c.stop?.();
    for (const t of this.timers) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.timers.clear();
  }
}

/** Events are aggregated per (object, reason, message, source) like client-go's EventCorrelator. */
function recordEvent(
  store: Store,
  registry: ResourceRegistry,
  obj: KObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component = 'lab',
): void {
  const evDef = registry.type('', 'events');
  const ns = obj.metadata.namespace ?? 'default';
  const nsDef = registry.type('', 'namespaces');
  const nsObj = store.get(nsDef, undefined, ns);
  if (!nsObj || nsObj.metadata.deletionTimestamp) return;
  const now = nowIso();
  // the Store indexes Events by involvedObject.uid, so this reads the object's own events only
  const existing = store
    .list(evDef, ns, { fieldSelector: [{ field: 'involvedObject.uid', op: '=', value: obj.metadata.uid ?? '' }] })
    .find((e) => e.reason === reason && e.message === message && e.source?.component === component);
  if (existing) {
    store.mutate(evDef, ns, existing.metadata.name!, (e) => {
      e.count = (e.count ?? 1) + 1;
      e.lastTimestamp = now;
    });
    return;
  }
  store.create(evDef, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: flat(`${obj.metadata.name}.${Date.now().toString(16)}${randomSuffix(3)}`), namespace: ns },
    involvedObject: {
      kind: obj.kind,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      uid: obj.metadata.uid,
      apiVersion: obj.apiVersion,
      resourceVersion: obj.metadata.resourceVersion,
      ...(obj.kind === 'Pod' && reason !== 'Scheduled' ? { fieldPath: `spec.containers{${obj.spec?.containers?.[0]?.name ?? ''}}` } : {}),
    },
    reason,
    message,
    source: { component, ...(obj.spec?.nodeName ? { host: obj.spec.nodeName } : {}) },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    type,
    eventTime: null,
    reportingComponent: component,
    reportingInstance: obj.spec?.nodeName ?? '',
  }, { owned: true });
}

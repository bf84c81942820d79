// The lab's object store: one global integer resourceVersion, per-type event history for watch resume, and
// synchronous change notifications for the simulated controllers.
import { randomUUID } from 'node:crypto';
import { apiVersionOf, type ResourceDef, typeKey } from '../resources.ts';
import type { KObject, StoreEvent, WatchEventType } from '../types.ts';
import { alreadyExists, conflict, expired, invalid, notFound } from './errors.ts';
import { type FieldRequirement, type LabelSelector, matchesFields, matchesLabels } from './selectors.ts';
import { deepEqual } from './equal.ts';

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldRequirement[];
}

export interface WatchOptions extends ListOptions {
  namespace?: string;
  /** Resume after this resourceVersion; undefined means "from now" (callers send synthetic ADDEDs themselves). */
  fromRV?: number;
}

export type WatchCallback = (type: WatchEventType, object: KObject) => void;
export type Listener = (ev: StoreEvent, def: ResourceDef) => void;

export interface StoreOptions {
  /** How long events stay resumable. Default 10 minutes. */
  historyMs?: number;
  /** At most this many events kept per resource type. */
  historyMax?: number;
  now?: () => number;
}

interface Watcher {
  namespace?: string;
  opts: ListOptions;
  cb: WatchCallback;
}

interface TypeState {
  def: ResourceDef;
  /** namespace ('' for cluster-scoped) → name → object */
  byNs: Map<string, Map<string, KObject>>;
  count: number;
  history: { ev: StoreEvent; at: number }[];
  historyStart: number; // index of the oldest live entry in history
  /** Every event with rv <= compactedRV has been dropped from history. */
  compactedRV: number;
  watchers: Set<Watcher>;
}

const RANDOM_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += RANDOM_CHARS[Math.floor(Math.random() * RANDOM_CHARS.length)];
  return s;
}

export function clone<T>(o: T): T {
  return structuredClone(o);
}

export class Store {
  private types = new Map<string, TypeState>();
  private listeners = new Set<Listener>();
  private rvCounter = 1;
  private readonly historyMs: number;
  private readonly historyMax: number;
  readonly now: () => number;

  constructor(opts: StoreOptions = {}) {
    this.historyMs = opts.historyMs ?? 10 * 60_000;
    this.historyMax = opts.historyMax ?? 20_000;
    this.now = opts.now ?? Date.now;
  }

  /** The current global resourceVersion. */
  get rv(): number {
    return this.rvCounter;
  }

  private state(def: ResourceDef): TypeState {
    const key = typeKey(def);
    let s = this.types.get(key);
    if (!s) {
      s = { def, byNs: new Map(), count: 0, history: [], historyStart: 0, compactedRV: 0, watchers: new Set() };
      this.types.set(key, s);
    }
    return s;
  }

  private nsKey(def: ResourceDef, ns: string | undefined): string {
    return def.namespaced ? (ns ?? '') : '';
  }

  get(def: ResourceDef, ns: string | undefined, name: string): KObject | undefined {
    return this.state(def).byNs.get(this.nsKey(def, ns))?.get(name);
  }

  mustGet(def: ResourceDef, ns: string | undefined, name: string): KObject {
    const o = this.get(def, ns, name);
    if (!o) throw notFound(def.plural, def.group, name);
    return o;
  }

  /** Objects of a type, optionally in one namespace, sorted by namespace then name (as etcd's key order). */
  list(def: ResourceDef, ns?: string, opts: ListOptions = {}): KObject[] {
    const s = this.state(def);
    const out: KObject[] = [];
    const scan = (m: Map<string, KObject>) => {
      for (const o of m.values()) if (this.matches(o, opts)) out.push(o);
    };
    if (def.namespaced && ns !== undefined) {
      const m = s.byNs.get(ns);
      if (m) scan(m);
    } else {
      for (const m of s.byNs.values()) scan(m);
    }
    return out.sort(compareObjects);
  }

  count(def: ResourceDef): number {
    return this.state(def).count;
  }

  private matches(o: KObject, opts: ListOptions): boolean {
    if (opts.labelSelector?.length && !matchesLabels(opts.labelSelector, o.metadata.labels)) return false;
    if (opts.fieldSelector?.length && !matchesFields(opts.fieldSelector, o)) return false;
    return true;
  }

  /** Stores a new object. Fills uid, resourceVersion, creationTimestamp, generation and a generated name. */
  create(def: ResourceDef, input: KObject): KObject {
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const meta = (obj.metadata ??= {});
    if (!def.namespaced) delete meta.namespace;
    const ns = this.nsKey(def, meta.namespace);
    const s = this.state(def);
    let bucket = s.byNs.get(ns);
    if (!meta.name && meta.generateName) {
      do meta.name = meta.generateName + randomSuffix();
      while (bucket?.has(meta.name));
    }
    if (!meta.name) throw invalid(def.kind, def.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    if (bucket?.has(meta.name)) throw alreadyExists(def.plural, def.group, meta.name);
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date(this.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    if ('spec' in obj || def.kind === 'Deployment') meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.resourceVersion;
    meta.resourceVersion = String(++this.rvCounter);
    if (!bucket) s.byNs.set(ns, (bucket = new Map()));
    bucket.set(meta.name, obj);
    s.count++;
    this.emit(s, { type: 'ADDED', object: obj, rv: this.rvCounter });
    return obj;
  }

  /**
   * Replaces an existing object. With `checkRV`, a resourceVersion in the input must equal the stored one
   * (Conflict otherwise), as on a real PUT. Keeps uid and creationTimestamp; bumps generation when spec changes.
   * An object being deleted whose last finalizer goes away is removed.
   * Returns the stored object (unchanged and not re-written when nothing changed).
   */
  update(def: ResourceDef, input: KObject, opts: { checkRV?: boolean } = {}): KObject {
    const ns = this.nsKey(def, input.metadata?.namespace);
    const name = input.metadata?.name ?? '';
    const s = this.state(def);
    const current = s.byNs.get(ns)?.get(name);
    if (!current) throw notFound(def.plural, def.group, name);
    if (opts.checkRV && input.metadata.resourceVersion && input.metadata.resourceVersion !== current.metadata.resourceVersion)
      throw conflict(def.plural, def.group, name);
    const obj = clone(input);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const meta = obj.metadata;
    if (!def.namespaced) delete meta.namespace;
    meta.uid = current.metadata.uid;
    meta.creationTimestamp = current.metadata.creationTimestamp;
    meta.resourceVersion = current.metadata.resourceVersion;
    if (current.metadata.deletionTimestamp) {
      meta.deletionTimestamp = current.metadata.deletionTimestamp;
      if (current.metadata.deletionGracePeriodSeconds !== undefined)
        meta.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
    }
    meta.generation = current.metadata.generation;
    if (meta.generation !== undefined && !deepEqual(current.spec, obj.spec)) meta.generation++;
    if (deepEqual(current, obj)) return current;
    if (meta.deletionTimestamp && !(meta.finalizers?.length) && current.metadata.finalizers?.length) {
      return this.remove(def, ns, name, obj);
    }
    meta.resourceVersion = String(++this.rvCounter);
    s.byNs.get(ns)!.set(name, obj);
    this.emit(s, { type: 'MODIFIED', object: obj, old: current, rv: this.rvCounter });
    return obj;
  }

  /**
   * Read-modify-write for the lab's own controllers: `fn` edits a copy; nothing is written if nothing changed.
   * Returns undefined when the object does not exist.
   */
  mutate(def: ResourceDef, ns: string | undefined, name: string, fn: (draft: KObject) => void): KObject | undefined {
    const current = this.get(def, ns, name);
    if (!current) return undefined;
    const draft = clone(current);
    fn(draft);
    return this.update(def, draft);
  }

  /** Marks an object as being deleted (deletionTimestamp) without removing it: finalizers or graceful pod termination. */
  markDeleting(def: ResourceDef, ns: string | undefined, name: string, graceSeconds?: number): KObject {
    const current = this.mustGet(def, ns, name);
    if (current.metadata.deletionTimestamp) return current;
    const obj = clone(current);
    obj.metadata.deletionTimestamp = new Date(this.now() + (graceSeconds ?? 0) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    if (graceSeconds !== undefined) obj.metadata.deletionGracePeriodSeconds = graceSeconds;
    if (obj.metadata.generation !== undefined) obj.metadata.generation++;
    obj.metadata.resourceVersion = String(++this.rvCounter);
    const s = this.state(def);
    s.byNs.get(this.nsKey(def, ns))!.set(name, obj);
    this.emit(s, { type: 'MODIFIED', object: obj, old: current, rv: this.rvCounter });
    return obj;
  }

  /** Removes an object for good and emits DELETED with the deletion resourceVersion. */
  remove(def: ResourceDef, ns: string | undefined, name: string, last?: KObject): KObject {
    const s = this.state(def);
    const key = this.nsKey(def, ns);
    const bucket = s.byNs.get(key);
    const current = bucket?.get(name);
    if (!bucket || !current) throw notFound(def.plural, def.group, name);
    bucket.delete(name);
    if (bucket.size === 0) s.byNs.delete(key);
    s.count--;
    const obj = clone(last ?? current);
    obj.metadata.resourceVersion = String(++this.rvCounter);
    this.emit(s, { type: 'DELETED', object: obj, old: current, rv: this.rvCounter });
    return obj;
  }

  /** Synchronous notification of every change, for controllers. Returns an unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Watches a type. Replays history after `fromRV` (410 Expired when that part of history is gone), then delivers
   * live events. Objects moving into or out of a selector arrive as ADDED/DELETED, as the apiserver's watch
   * filter does. Returns a function that stops the watch.
   */
  watch(def: ResourceDef, opts: WatchOptions, cb: WatchCallback): () => void {
    const s = this.state(def);
    this.trim(s);
    const w: Watcher = { namespace: def.namespaced ? opts.namespace : undefined, opts, cb };
    if (opts.fromRV !== undefined) {
      if (opts.fromRV < s.compactedRV) throw expired(`too old resource version: ${opts.fromRV} (${s.compactedRV + 1})`);
      for (let i = s.historyStart; i < s.history.length; i++) {
        const { ev } = s.history[i]!;
        if (ev.rv > opts.fromRV) this.deliver(w, ev);
      }
    }
    s.watchers.add(w);
    return () => s.watchers.delete(w);
  }

  /** The oldest resourceVersion a watch of this type can still resume from. */
  oldestResumableRV(def: ResourceDef): number {
    const s = this.state(def);
    this.trim(s);
    return s.compactedRV;
  }

  private deliver(w: Watcher, ev: StoreEvent): void {
    const obj = ev.object;
    if (w.namespace !== undefined && (obj.metadata.namespace ?? '') !== w.namespace) return;
    const nowMatches = this.matches(obj, w.opts);
    if (ev.type === 'MODIFIED' && ev.old) {
      const wasMatching = this.matches(ev.old, w.opts);
      if (nowMatches && !wasMatching) return w.cb('ADDED', obj);
      if (!nowMatches && wasMatching) return w.cb('DELETED', obj);
      if (!nowMatches) return;
      return w.cb('MODIFIED', obj);
    }
    if (ev.type === 'DELETED' && ev.old && !nowMatches && this.matches(ev.old, w.opts)) return w.cb('DELETED', obj);
    if (nowMatches) w.cb(ev.type, obj);
  }

  private emit(s: TypeState, ev: StoreEvent): void {
    s.history.push({ ev, at: this.now() });
    this.trim(s);
    for (const w of s.watchers) {
      try {
        this.deliver(w, ev);
      } catch {
        s.watchers.delete(w);
      }
    }
    for (const l of this.listeners) l(ev, s.def);
  }

  private trim(s: TypeState): void {
    const cutoff = this.now() - this.historyMs;
    while (
      s.historyStart < s.history.length &&
      (s.history.length - s.historyStart > this.historyMax || s.history[s.historyStart]!.at < cutoff)
    ) {
      s.compactedRV = s.history[s.historyStart]!.ev.rv;
      s.historyStart++;
    }
    if (s.historyStart > 1024 && s.historyStart * 2 > s.history.length) {
      s.history = s.history.slice(s.historyStart);
      s.historyStart = 0;
    }
  }

  /** Drops all history (tests and the `expire` fault): every resume older than now gets 410. */
  compact(): void {
    for (const s of this.types.values()) {
      s.historyStart = s.history.length;
      s.compactedRV = this.rvCounter;
    }
  }
}

function compareObjects(a: KObject, b: KObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  const xa = a.metadata.name ?? '';
  const xb = b.metadata.name ?? '';
  return xa < xb ? -1 : xa > xb ? 1 : 0;
}

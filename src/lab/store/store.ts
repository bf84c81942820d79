// The lab's object store: one global integer resourceVersion, per-type event history for watch resume, and
// synchronous change notifications for the simulated controllers.
import { randomBytes } from 'node:crypto';
import { apiVersionOf, type ResourceDef, typeKey } from '../resources.ts';
import type { KObject, StoreEvent, WatchEventType } from '../types.ts';
import { alreadyExists, conflict, expired, invalid, notFound } from './errors.ts';
import { type FieldRequirement, fieldValue, type LabelSelector, matchesFields, matchesLabels, selectorView } from './selectors.ts';
import { deepEqual } from './equal.ts';

export interface ListOptions {
  labelSelector?: LabelSelector;
  fieldSelector?: FieldRequirement[];
  /**
   * Order by namespace, then name, as etcd's keys sort: what an API LIST (and a watch's initial ADDEDs) returns.
   * Without it the order is unspecified (insertion order), as an informer's lister gives; controllers that need
   * an order sort themselves.
   */
  sorted?: boolean;
}

export interface WriteOptions {
  /**
   * The caller hands `input` over: the store keeps it instead of a copy and sets its top-level kind/apiVersion and
   * its `metadata` fields. Everything below may be shared with other stored objects (stored objects are never
   * modified), but the caller must not modify `input` afterwards.
   */
  owned?: boolean;
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

interface Bucket {
  objects: Map<string, KObject>;
  /** The names in order, built when a sorted list asks and dropped when an object comes or goes. */
  sorted?: string[];
  /**
   * Label index, label key → value → names. A key is indexed the first time an equality selector on it reads a
   * large bucket (`app` when a Service's selector lists a namespace's pods) and kept up to date from then on.
   */
  labels?: Map<string, Map<string, Set<string>>>;
}

/** Buckets smaller than this are scanned; larger ones get a label index when a selector reads them. */
const LABEL_INDEX_MIN = 128;

/** A field index (client-go's Indexer): field value → uid → object. */
interface FieldIndex {
  field: string;
  values: Map<string, Map<string, KObject>>;
}

/** Fields indexed from the start: what the kubelet, podgc, `kubectl describe node` and the event recorder select on. */
const DEFAULT_FIELD_INDEXES: Record<string, string[]> = {
  Pod: ['spec.nodeName'],
  Event: ['involvedObject.uid'],
};

interface TypeState {
  def: ResourceDef;
  /** namespace ('' for cluster-scoped) → its objects */
  byNs: Map<string, Bucket>;
  /** The namespaces in etcd key order, built when a sorted list asks. */
  nsSorted?: string[];
  indexes: Map<string, FieldIndex>;
  count: number;
  /** Watch history. MODIFIED/DELETED entries keep only a selector view of the previous version (selectorView). */
  history: StoreEvent[];
  /** When each history entry was written (parallel to history). */
  historyAt: number[];
  historyStart: number; // index of the oldest live entry in history
  /** Every event with rv <= compactedRV has been dropped from history. */
  compactedRV: number;
  watchers: Set<Watcher>;
}

const RANDOM_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

const HEX = Buffer.from('0123456789abcdef');
const uidScratch = Buffer.alloc(36);
let uidPool = Buffer.alloc(0);
let uidOffset = 0;

/**
 * A random (version 4) UUID as one flat string. crypto.randomUUID() builds its result by concatenation, a tree
 * of some twenty string pieces (~500 bytes) that every stored object would keep; this one is ~60 bytes.
 */
export function newUid(): string {
  if (uidOffset + 16 > uidPool.length) {
    uidPool = randomBytes(4096);
    uidOffset = 0;
  }
  let j = 0;
  for (let i = 0; i < 16; i++) {
    let b = uidPool[uidOffset + i]!;
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) uidScratch[j++] = 45; // '-'
    uidScratch[j++] = HEX[b >> 4]!;
    uidScratch[j++] = HEX[b & 15]!;
  }
  uidOffset += 16;
  return uidScratch.toString('latin1', 0, 36);
}

/**
 * The same (ASCII) string as one flat piece. A string built by concatenation or replace() is a tree of pieces,
 * and V8's fast JSON.stringify path gives up on those: stored objects whose names, timestamps and IDs are flat
 * serialize about twice as fast (a 10k-pod LIST). For values the lab builds itself: names, timestamps, IDs.
 */
export function flat(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'latin1').toString('latin1');
}

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += RANDOM_CHARS[Math.floor(Math.random() * RANDOM_CHARS.length)];
  return s;
}

/**
 * A deep copy of a JSON value. Strings are shared (they are immutable), which keeps copies of stored objects small;
 * anything that is not plain JSON (Dates, typed arrays) goes through structuredClone.
 */
export function clone<T>(o: T): T {
  return cloneValue(o) as T;
}

function cloneValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneValue(v[i]);
    return out;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = cloneValue((v as Record<string, unknown>)[k]);
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

/** A copy of a stored object with its own metadata (the rest shared), for writes that only touch metadata. */
function withOwnMeta(o: KObject): KObject {
  return { ...o, metadata: { ...o.metadata } };
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

  private lastSecond = NaN;
  private lastStamp = '';

  /** RFC 3339 to the second; objects written in the same second share the string. */
  private timestamp(ms: number): string {
    const sec = Math.floor(ms / 1000);
    if (sec !== this.lastSecond) {
      this.lastSecond = sec;
      this.lastStamp = flat(new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z'));
    }
    return this.lastStamp;
  }

  private state(def: ResourceDef): TypeState {
    const key = typeKey(def);
    let s = this.types.get(key);
    if (!s) {
      s = { def, byNs: new Map(), indexes: new Map(), count: 0, history: [], historyAt: [], historyStart: 0, compactedRV: 0, watchers: new Set() };
      for (const f of DEFAULT_FIELD_INDEXES[def.kind] ?? []) s.indexes.set(f, { field: f, values: new Map() });
      this.types.set(key, s);
    }
    return s;
  }

  /**
   * Indexes a type by a field-selectable field (see selectors.ts), so that lists selecting `field=value` read the
   * index instead of scanning. Pods by spec.nodeName and Events by involvedObject.uid are indexed from the start.
   */
  addFieldIndex(def: ResourceDef, field: string): void {
    const s = this.state(def);
    if (s.indexes.has(field)) return;
    const ix: FieldIndex = { field, values: new Map() };
    s.indexes.set(field, ix);
    for (const b of s.byNs.values()) for (const o of b.objects.values()) this.indexOne(ix, o.metadata.uid!, undefined, o);
  }

  private indexOne(ix: FieldIndex, key: string, prev: KObject | undefined, next: KObject | undefined): void {
    const a = prev ? (fieldValue(ix.field, prev) ?? '') : undefined;
    const b = next ? (fieldValue(ix.field, next) ?? '') : undefined;
    if (a !== undefined && a !== b) {
      const m = ix.values.get(a);
      m?.delete(key);
      if (m && m.size === 0) ix.values.delete(a);
    }
    if (b !== undefined) {
      let m = ix.values.get(b);
      if (!m) ix.values.set(b, (m = new Map()));
      m.set(key, next!);
    }
  }

  private reindex(s: TypeState, b: Bucket, prev: KObject | undefined, next: KObject | undefined): void {
    if (b.labels) relabel(b.labels, (next ?? prev)!.metadata.name!, prev?.metadata.labels, next?.metadata.labels);
    if (s.indexes.size === 0) return;
    // uid: stable for the object's life, and a string the object already holds
    const key = (next ?? prev)!.metadata.uid!;
    for (const ix of s.indexes.values()) this.indexOne(ix, key, prev, next);
  }

  /** Names in a bucket that can match the selector: the smallest label-index entry among its `key=value` terms. */
  private labelCandidates(b: Bucket, sel: LabelSelector | undefined): Set<string> | undefined {
    if (!sel?.length || b.objects.size < LABEL_INDEX_MIN) return undefined;
    let best: Set<string> | undefined;
    for (const r of sel) {
      if (r.op !== 'in' || r.values.length !== 1) continue;
      const index = (b.labels ??= new Map());
      let byValue = index.get(r.key);
      if (!byValue) {
        index.set(r.key, (byValue = new Map()));
        for (const o of b.objects.values()) {
          const labels = o.metadata.labels;
          if (labels && Object.hasOwn(labels, r.key)) addName(byValue, labels[r.key]!, o.metadata.name!);
        }
      }
      const set = byValue.get(r.values[0]!) ?? EMPTY;
      if (!best || set.size < best.size) best = set;
    }
    return best;
  }

  /** The index that can answer a field selector: one of its `=` requirements is on an indexed field. */
  private indexFor(s: TypeState, reqs: FieldRequirement[] | undefined): { ix: FieldIndex; value: string } | undefined {
    if (!reqs?.length || s.indexes.size === 0) return undefined;
    for (const r of reqs) {
      if (r.op !== '=') continue;
      const ix = s.indexes.get(r.field);
      if (ix) return { ix, value: r.value };
    }
    return undefined;
  }

  private nsKey(def: ResourceDef, ns: string | undefined): string {
    return def.namespaced ? (ns ?? '') : '';
  }

  get(def: ResourceDef, ns: string | undefined, name: string): KObject | undefined {
    return this.state(def).byNs.get(this.nsKey(def, ns))?.objects.get(name);
  }

  mustGet(def: ResourceDef, ns: string | undefined, name: string): KObject {
    const o = this.get(def, ns, name);
    if (!o) throw notFound(def.plural, def.group, name);
    return o;
  }

  /**
   * Objects of a type, optionally in one namespace, matching the selectors. Sorted by namespace then name (etcd's
   * key order) only with `sorted`. A field selector on an indexed field reads the index.
   */
  list(def: ResourceDef, ns?: string, opts: ListOptions = {}): KObject[] {
    const s = this.state(def);
    const out: KObject[] = [];
    const oneNs = def.namespaced && ns !== undefined;
    const filtered = !!(opts.labelSelector?.length || opts.fieldSelector?.length);
    const indexed = this.indexFor(s, opts.fieldSelector);
    if (indexed) {
      const m = indexed.ix.values.get(indexed.value);
      if (m) for (const o of m.values()) if ((!oneNs || (o.metadata.namespace ?? '') === ns) && this.matches(o, opts)) out.push(o);
      return opts.sorted ? out.sort(compareObjects) : out;
    }
    const scan = (b: Bucket) => {
      const candidates = this.labelCandidates(b, opts.labelSelector);
      if (candidates) {
        const names = opts.sorted ? [...candidates].sort(compareStrings) : candidates;
        for (const name of names) {
          const o = b.objects.get(name)!;
          if (this.matches(o, opts)) out.push(o);
        }
        return;
      }
      if (opts.sorted) {
        for (const name of (b.sorted ??= [...b.objects.keys()].sort(compareStrings))) {
          const o = b.objects.get(name)!;
          if (!filtered || this.matches(o, opts)) out.push(o);
        }
      } else if (!filtered) for (const o of b.objects.values()) out.push(o);
      else for (const o of b.objects.values()) if (this.matches(o, opts)) out.push(o);
    };
    if (oneNs) {
      const b = s.byNs.get(ns);
      if (b) scan(b);
    } else if (opts.sorted) {
      // etcd keys are <prefix>/<namespace>/<name>: namespaces compare with their trailing slash
      s.nsSorted ??= [...s.byNs.keys()].sort((a, b) => compareStrings(`${a}/`, `${b}/`));
      for (const k of s.nsSorted) scan(s.byNs.get(k)!);
    } else {
      for (const b of s.byNs.values()) scan(b);
    }
    return out;
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
  create(def: ResourceDef, input: KObject, opts: WriteOptions = {}): KObject {
    const obj = opts.owned ? input : clone(input);
    obj.apiVersion = apiVersionOf(def);
    obj.kind = def.kind;
    const meta = (obj.metadata ??= {});
    if (!def.namespaced) delete meta.namespace;
    const ns = this.nsKey(def, meta.namespace);
    const s = this.state(def);
    let bucket = s.byNs.get(ns);
    if (!meta.name && meta.generateName) {
      do meta.name = flat(meta.generateName + randomSuffix());
      while (bucket?.objects.has(meta.name));
    }
    if (!meta.name) throw invalid(def.kind, def.group, '', [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    if (bucket?.objects.has(meta.name)) throw alreadyExists(def.plural, def.group, meta.name);
    meta.uid = newUid();
    meta.creationTimestamp = this.timestamp(this.now());
    if ('spec' in obj || def.kind === 'Deployment') meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.resourceVersion;
    meta.resourceVersion = String(++this.rvCounter);
    if (!bucket) {
      s.byNs.set(ns, (bucket = { objects: new Map() }));
      s.nsSorted = undefined;
    }
    bucket.objects.set(meta.name, obj);
    bucket.sorted = undefined;
    s.count++;
    this.reindex(s, bucket, undefined, obj);
    this.emit(s, { type: 'ADDED', object: obj, rv: this.rvCounter });
    return obj;
  }

  /**
   * Replaces an existing object. With `checkRV`, a resourceVersion in the input must equal the stored one
   * (Conflict otherwise), as on a real PUT. Keeps uid and creationTimestamp; bumps generation when spec changes.
   * An object being deleted whose last finalizer goes away is removed.
   * Returns the stored object (unchanged and not re-written when nothing changed).
   */
  update(def: ResourceDef, input: KObject, opts: WriteOptions & { checkRV?: boolean } = {}): KObject {
    const ns = this.nsKey(def, input.metadata?.namespace);
    const name = input.metadata?.name ?? '';
    const s = this.state(def);
    const current = s.byNs.get(ns)?.objects.get(name);
    if (!current) throw notFound(def.plural, def.group, name);
    if (opts.checkRV && input.metadata.resourceVersion && input.metadata.resourceVersion !== current.metadata.resourceVersion)
      throw conflict(def.plural, def.group, name);
    const obj = opts.owned ? input : clone(input);
    // the stored version's metadata is about to be edited below: an owned input must not share it
    if (obj.metadata === current.metadata) obj.metadata = { ...current.metadata };
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
    const bucket = s.byNs.get(ns)!;
    bucket.objects.set(name, obj);
    this.reindex(s, bucket, current, obj);
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
    return this.update(def, draft, { owned: true });
  }

  /** Marks an object as being deleted (deletionTimestamp) without removing it: finalizers or graceful pod termination. */
  markDeleting(def: ResourceDef, ns: string | undefined, name: string, graceSeconds?: number): KObject {
    const current = this.mustGet(def, ns, name);
    if (current.metadata.deletionTimestamp) return current;
    const obj = withOwnMeta(current);
    obj.metadata.deletionTimestamp = this.timestamp(this.now() + (graceSeconds ?? 0) * 1000);
    if (graceSeconds !== undefined) obj.metadata.deletionGracePeriodSeconds = graceSeconds;
    if (obj.metadata.generation !== undefined) obj.metadata.generation++;
    obj.metadata.resourceVersion = String(++this.rvCounter);
    const s = this.state(def);
    const bucket = s.byNs.get(this.nsKey(def, ns))!;
    bucket.objects.set(name, obj);
    this.reindex(s, bucket, current, obj);
    this.emit(s, { type: 'MODIFIED', object: obj, old: current, rv: this.rvCounter });
    return obj;
  }

  /** Removes an object for good and emits DELETED with the deletion resourceVersion. */
  remove(def: ResourceDef, ns: string | undefined, name: string, last?: KObject): KObject {
    const s = this.state(def);
    const key = this.nsKey(def, ns);
    const bucket = s.byNs.get(key);
    const current = bucket?.objects.get(name);
    if (!bucket || !current) throw notFound(def.plural, def.group, name);
    bucket.objects.delete(name);
    bucket.sorted = undefined;
    if (bucket.objects.size === 0) {
      s.byNs.delete(key);
      s.nsSorted = undefined;
    }
    s.count--;
    this.reindex(s, bucket, current, undefined);
    const obj = withOwnMeta(last ?? current);
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
        const ev = s.history[i]!;
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
    // History keeps the new version whole (watchers replay it) but only what selectors see of the old one.
    s.history.push(ev.old ? { type: ev.type, object: ev.object, old: selectorView(ev.old), rv: ev.rv } : ev);
    s.historyAt.push(this.now());
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
      (s.history.length - s.historyStart > this.historyMax || s.historyAt[s.historyStart]! < cutoff)
    ) {
      s.compactedRV = s.history[s.historyStart]!.rv;
      s.historyStart++;
    }
    if (s.historyStart > 1024 && s.historyStart * 2 > s.history.length) {
      s.history = s.history.slice(s.historyStart);
      s.historyAt = s.historyAt.slice(s.historyStart);
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

const EMPTY: Set<string> = new Set();

function addName(byValue: Map<string, Set<string>>, value: string, name: string): void {
  let set = byValue.get(value);
  if (!set) byValue.set(value, (set = new Set()));
  set.add(name);
}

/** Moves `name` between label-index entries (of the indexed keys) as its labels go from `prev` to `next`. */
function relabel(
  index: Map<string, Map<string, Set<string>>>,
  name: string,
  prev: Record<string, string> | undefined,
  next: Record<string, string> | undefined,
): void {
  if (prev === next) return;
  for (const [key, byValue] of index) {
    const a = prev && Object.hasOwn(prev, key) ? prev[key] : undefined;
    const b = next && Object.hasOwn(next, key) ? next[key] : undefined;
    if (a === b) continue;
    if (a !== undefined) {
      const set = byValue.get(a);
      set?.delete(name);
      if (set?.size === 0) byValue.delete(a);
    }
    if (b !== undefined) addName(byValue, b, name);
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** etcd key order: `<namespace>/<name>`. */
function compareObjects(a: KObject, b: KObject): number {
  const na = a.metadata.namespace ?? '';
  const nb = b.metadata.namespace ?? '';
  if (na !== nb) return compareStrings(`${na}/`, `${nb}/`);
  return compareStrings(a.metadata.name ?? '', b.metadata.name ?? '');
}

import { describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../../../src/lab/resources.ts';
import { clone, newUid, Store } from '../../../src/lab/store/store.ts';
import { ApiError } from '../../../src/lab/store/errors.ts';
import { parseLabelSelector } from '../../../src/lab/store/selectors.ts';
import type { KObject, WatchEventType } from '../../../src/lab/types.ts';

const reg = new ResourceRegistry();
const pods = reg.type('', 'pods');
const nodes = reg.type('', 'nodes');

function pod(name: string, labels: Record<string, string> = {}, ns = 'default'): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'c', image: 'x' }] } };
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('Store', () => {
  it('assigns one increasing global resourceVersion across types, uid and creationTimestamp', () => {
    const s = new Store();
    const a = s.create(pods, pod('a'));
    const n = s.create(nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    const b = s.create(pods, pod('b'));
    expect(Number(n.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(Number(b.metadata.resourceVersion)).toBe(Number(n.metadata.resourceVersion) + 1);
    expect(s.rv).toBe(Number(b.metadata.resourceVersion));
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.uid).not.toBe(b.metadata.uid);
    expect(a.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(n.metadata.namespace).toBeUndefined();
  });

  it('rejects duplicates with AlreadyExists and missing objects with NotFound', () => {
    const s = new Store();
    s.create(pods, pod('a'));
    const dup = apiError(() => s.create(pods, pod('a')));
    expect(dup.code).toBe(409);
    expect(dup.reason).toBe('AlreadyExists');
    expect(dup.message).toBe('pods "a" already exists');
    const nf = apiError(() => s.mustGet(pods, 'default', 'zzz'));
    expect(nf.toStatus()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "zzz" not found', details: { name: 'zzz', kind: 'pods' } });
    // same name in another namespace is fine
    expect(s.create(pods, pod('a', {}, 'other')).metadata.namespace).toBe('other');
  });

  it('generates names from generateName', () => {
    const s = new Store();
    const o = s.create(pods, { ...pod(''), metadata: { generateName: 'web-', namespace: 'default' } });
    expect(o.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('detects stale updates with Conflict and bumps generation only on spec changes', () => {
    const s = new Store();
    const a = s.create(pods, pod('a'));
    expect(a.metadata.generation).toBe(1);
    const labelled = s.update(pods, { ...a, metadata: { ...a.metadata, labels: { x: 'y' } } }, { checkRV: true });
    expect(labelled.metadata.generation).toBe(1);
    const c = apiError(() => s.update(pods, { ...a, spec: { containers: [] } }, { checkRV: true }));
    expect(c.code).toBe(409);
    expect(c.reason).toBe('Conflict');
    expect(c.message).toContain('the object has been modified');
    const respec = s.update(pods, { ...labelled, spec: { containers: [{ name: 'd', image: 'y' }] } }, { checkRV: true });
    expect(respec.metadata.generation).toBe(2);
    expect(respec.metadata.uid).toBe(a.metadata.uid);
  });

  it('does not write (nor bump resourceVersion) when nothing changed', () => {
    const s = new Store();
    const a = s.create(pods, pod('a'));
    const rv = s.rv;
    const same = s.mutate(pods, 'default', 'a', () => {});
    expect(same).toBe(a);
    expect(s.rv).toBe(rv);
  });

  it('lists by namespace, label and field selector, in name order when asked', () => {
    const s = new Store();
    s.create(pods, pod('b', { app: 'web', tier: 'fe' }));
    s.create(pods, pod('a', { app: 'web' }));
    s.create(pods, pod('c', { app: 'db' }, 'data'));
    const sorted = { sorted: true };
    expect(s.list(pods, undefined, sorted).map((p) => p.metadata.name)).toEqual(['c', 'a', 'b']);
    expect(s.list(pods, 'default', sorted).map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(s.list(pods, undefined, { ...sorted, labelSelector: parseLabelSelector('app=web,tier') }).map((p) => p.metadata.name)).toEqual(['b']);
    expect(s.list(pods, undefined, { ...sorted, fieldSelector: [{ field: 'metadata.name', op: '!=', value: 'a' }] }).map((p) => p.metadata.name)).toEqual(['c', 'b']);
    // unsorted (what controllers use): the same objects, in no promised order
    expect(s.list(pods).map((p) => p.metadata.name).sort()).toEqual(['a', 'b', 'c']);
    expect(s.list(pods, 'default').map((p) => p.metadata.name).sort()).toEqual(['a', 'b']);
  });

  it('replays history after a resourceVersion, then delivers live events', () => {
    const s = new Store();
    const a = s.create(pods, pod('a'));
    const from = Number(a.metadata.resourceVersion);
    s.create(pods, pod('b'));
    s.mutate(pods, 'default', 'a', (p) => (p.metadata.labels = { v: '2' }));
    const got: [WatchEventType, string, string][] = [];
    const stop = s.watch(pods, { fromRV: from }, (t, o) => got.push([t, o.metadata.name!, o.metadata.resourceVersion!]));
    s.remove(pods, 'default', 'b');
    stop();
    s.create(pods, pod('after-stop'));
    expect(got.map(([t, n]) => `${t} ${n}`)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']);
    const rvs = got.map((g) => Number(g[2]));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  it('answers 410 Expired for a resourceVersion older than the kept history', () => {
    const s = new Store({ historyMax: 3 });
    const first = s.create(pods, pod('p0'));
    for (let i = 1; i < 6; i++) s.create(pods, pod(`p${i}`));
    const e = apiError(() => s.watch(pods, { fromRV: Number(first.metadata.resourceVersion) }, () => {}));
    expect(e.code).toBe(410);
    expect(e.reason).toBe('Expired');
    expect(e.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    // the most recent events are still resumable
    const got: string[] = [];
    s.watch(pods, { fromRV: s.rv - 2 }, (_t, o) => got.push(o.metadata.name!));
    expect(got).toEqual(['p4', 'p5']);
  });

  it('expires history by age', () => {
    let now = 1_000_000;
    const s = new Store({ historyMs: 1000, now: () => now });
    const a = s.create(pods, pod('a'));
    now += 5000;
    s.create(pods, pod('b'));
    expect(() => s.watch(pods, { fromRV: Number(a.metadata.resourceVersion) - 1 }, () => {})).toThrow(/too old resource version/);
  });

  it('turns selector transitions into ADDED/DELETED for a filtered watch', () => {
    const s = new Store();
    s.create(pods, pod('a', { app: 'web' }));
    const got: string[] = [];
    s.watch(pods, { fromRV: s.rv, labelSelector: parseLabelSelector('app=web') }, (t, o) => got.push(`${t} ${o.metadata.name}`));
    s.mutate(pods, 'default', 'a', (p) => (p.metadata.labels = { app: 'db' }));
    s.mutate(pods, 'default', 'a', (p) => (p.metadata.labels = { app: 'db', x: '1' }));
    s.mutate(pods, 'default', 'a', (p) => (p.metadata.labels = { app: 'web' }));
    s.create(pods, pod('other', { app: 'db' }));
    expect(got).toEqual(['DELETED a', 'ADDED a']);
  });

  it('marks objects deleting, and removes them when the last finalizer goes', () => {
    const s = new Store();
    s.create(pods, { ...pod('f'), metadata: { ...pod('f').metadata, finalizers: ['example.com/hold'] } });
    const marked = s.markDeleting(pods, 'default', 'f');
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    const events: string[] = [];
    s.watch(pods, { fromRV: s.rv }, (t) => events.push(t));
    s.mutate(pods, 'default', 'f', (p) => (p.metadata.finalizers = []));
    expect(s.get(pods, 'default', 'f')).toBeUndefined();
    expect(events).toEqual(['DELETED']);
  });

  it('stamps DELETED objects with the deletion resourceVersion', () => {
    const s = new Store();
    s.create(pods, pod('a'));
    const d = s.remove(pods, 'default', 'a');
    expect(Number(d.metadata.resourceVersion)).toBe(s.rv);
  });
});

describe('Store (write ownership, indexes, history)', () => {
  it('keeps an owned input instead of copying it, and never modifies a stored version', () => {
    const s = new Store();
    const input = pod('o', { app: 'web' });
    const stored = s.create(pods, input, { owned: true });
    expect(stored).toBe(input);
    const copied = s.create(pods, pod('c', { app: 'web' }));
    const mine = pod('c2');
    const c2 = s.create(pods, mine);
    expect(c2).not.toBe(mine);
    mine.metadata.labels = { changed: 'yes' };
    expect(s.get(pods, 'default', 'c2')!.metadata.labels).toEqual({});
    // mutate edits a copy: the version readers hold stays as it was
    const before = s.get(pods, 'default', 'c')!;
    const after = s.mutate(pods, 'default', 'c', (p) => (p.metadata.labels = { app: 'db' }))!;
    expect(before).toBe(copied);
    expect(before.metadata.labels).toEqual({ app: 'web' });
    expect(after.metadata.labels).toEqual({ app: 'db' });
    // an owned update is stored as given
    const next = { ...after, metadata: { ...after.metadata, annotations: { a: '1' } } };
    expect(s.update(pods, next, { owned: true })).toBe(next);
    expect(after.metadata.annotations).toBeUndefined();
  });

  it('lists by spec.nodeName and involvedObject.uid from field indexes that follow every write', () => {
    const s = new Store();
    const onNode = (node: string) => s.list(pods, undefined, { fieldSelector: [{ field: 'spec.nodeName', op: '=', value: node }], sorted: true }).map((p) => p.metadata.name);
    for (let i = 0; i < 6; i++) s.create(pods, { ...pod(`p${i}`, {}, i % 2 ? 'a' : 'b'), spec: { nodeName: i < 3 ? 'n1' : 'n2', containers: [] } });
    expect(onNode('n1')).toEqual(['p1', 'p0', 'p2']);
    expect(s.list(pods, 'b', { fieldSelector: [{ field: 'spec.nodeName', op: '=', value: 'n1' }] }).map((p) => p.metadata.name).sort()).toEqual(['p0', 'p2']);
    s.mutate(pods, 'b', 'p0', (p) => (p.spec.nodeName = 'n2'));
    s.remove(pods, 'a', 'p1');
    s.markDeleting(pods, 'b', 'p2', 30);
    expect(onNode('n1')).toEqual(['p2']);
    expect(onNode('n2')).toEqual(['p3', 'p5', 'p0', 'p4']);
    // != and other fields still filter by scanning
    expect(s.list(pods, undefined, { fieldSelector: [{ field: 'spec.nodeName', op: '!=', value: 'n2' }] }).map((p) => p.metadata.name)).toEqual(['p2']);
    // an index added later covers what is already stored
    s.addFieldIndex(pods, 'metadata.name');
    expect(s.list(pods, undefined, { fieldSelector: [{ field: 'metadata.name', op: '=', value: 'p3' }] }).map((p) => p.metadata.namespace)).toEqual(['a']);
    const events = reg.type('', 'events');
    const ev = (name: string, uid: string) => ({ apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, involvedObject: { uid } });
    s.create(events, ev('e1', 'u1'));
    s.create(events, ev('e2', 'u2'));
    s.create(events, ev('e3', 'u1'));
    expect(s.list(events, 'default', { fieldSelector: [{ field: 'involvedObject.uid', op: '=', value: 'u1' }], sorted: true }).map((e) => e.metadata.name)).toEqual(['e1', 'e3']);
  });

  it('answers label selectors on a large namespace from a label index kept current', () => {
    const s = new Store();
    for (let i = 0; i < 300; i++) s.create(pods, pod(`p${String(i).padStart(3, '0')}`, { app: `a${i % 3}`, tier: i % 2 ? 'fe' : 'be' }));
    const names = (sel: string, ns?: string) => s.list(pods, ns, { labelSelector: parseLabelSelector(sel), sorted: true }).map((p) => p.metadata.name!);
    const brute = (pred: (i: number) => boolean) => Array.from({ length: 300 }, (_, i) => i).filter(pred).map((i) => `p${String(i).padStart(3, '0')}`);
    expect(names('app=a1')).toEqual(brute((i) => i % 3 === 1));
    expect(names('app=a1,tier=fe', 'default')).toEqual(brute((i) => i % 3 === 1 && i % 2 === 1));
    expect(names('app=a1,tier!=fe')).toEqual(brute((i) => i % 3 === 1 && i % 2 === 0));
    expect(names('app=nope')).toEqual([]);
    // relabel, remove and add: the index follows
    s.mutate(pods, 'default', 'p001', (p) => (p.metadata.labels = { app: 'a2', tier: 'fe' }));
    s.mutate(pods, 'default', 'p002', (p) => delete p.metadata.labels!.app);
    s.remove(pods, 'default', 'p004');
    s.create(pods, pod('p999', { app: 'a1' }));
    const want = [...brute((i) => i % 3 === 1 && i !== 1 && i !== 4), 'p999'];
    expect(names('app=a1')).toEqual(want);
    expect(names('app=a2')).toContain('p001');
    expect(names('app=a2')).not.toContain('p002');
    expect(s.list(pods, 'default', { labelSelector: parseLabelSelector('app=a1') }).map((p) => p.metadata.name).sort()).toEqual(want);
  });

  it('keeps only what selectors need of previous versions in the watch history, and replays transitions', () => {
    const s = new Store();
    const from = s.rv;
    s.create(pods, pod('a', { app: 'web' }));
    s.mutate(pods, 'default', 'a', (p) => (p.metadata.labels = { app: 'db' }));
    s.mutate(pods, 'default', 'a', (p) => (p.metadata.labels = { app: 'web' }));
    s.remove(pods, 'default', 'a');
    const got: string[] = [];
    s.watch(pods, { fromRV: from, labelSelector: parseLabelSelector('app=web') }, (t, o) => got.push(`${t} ${o.metadata.labels?.app}`));
    expect(got).toEqual(['ADDED web', 'DELETED db', 'ADDED web', 'DELETED web']);
    // listeners still get whole previous versions
    const olds: KObject[] = [];
    s.subscribe((ev) => ev.old && olds.push(ev.old));
    s.create(pods, pod('b', { app: 'web' }));
    s.mutate(pods, 'default', 'b', (p) => (p.metadata.labels = { app: 'db' }));
    expect(olds[0]!.spec.containers).toHaveLength(1);
  });

  it('copies JSON (own __proto__ keys stay data) and makes v4 uids', () => {
    const src = JSON.parse('{"a":[1,{"b":null}],"__proto__":{"x":1}}');
    const c = clone(src);
    expect(c).toEqual(src);
    expect(c.a).not.toBe(src.a);
    expect(Object.getPrototypeOf(c)).toBe(Object.prototype);
    expect(Object.keys(c)).toEqual(['a', '__proto__']);
    const ids = new Set(Array.from({ length: 2000 }, () => newUid()));
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

import { describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../../../src/lab/resources.ts';
import { Store } from '../../../src/lab/store/store.ts';
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

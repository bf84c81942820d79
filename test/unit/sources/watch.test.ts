import { describe, expect, it } from 'vitest';
import { ForbiddenError, UnreachableError } from '../../../src/kube/errors.ts';
import { R } from '../../../src/kube/resources.ts';
import { WatchCache, bodyLines, watchList, type WatchItem } from '../../../src/kube/watch.ts';
import { watchEndpointSlices } from '../../../src/sources/endpoints.ts';
import { FakeKube, collect, noSleep } from './fake-kube.ts';

const slice = (name: string, rv: string, ready = true) => ({ metadata: { name, namespace: 'shop', resourceVersion: rv }, endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready } }] });
const ev = (type: string, object: unknown) => JSON.stringify({ type, object });

describe('watchList', () => {
  it('resumes from the last resourceVersion (events and bookmarks), relists after 410, and reports reconnects', async () => {
    const k = new FakeKube();
    let lists = 0;
    let watches = 0;
    k.on((r) => {
      if (r.query.watch) return undefined;
      lists++;
      return { json: { metadata: { resourceVersion: lists === 1 ? '10' : '50' }, items: lists === 1 ? [slice('a', '9')] : [slice('a', '49'), slice('b', '50')] } };
    });
    k.on((r) => {
      if (!r.query.watch) return undefined;
      watches++;
      if (watches === 1) return { lines: [ev('ADDED', slice('b', '11')), '', 'not json', ev('BOOKMARK', { metadata: { resourceVersion: '15' } })] };
      if (watches === 2) return { lines: [ev('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 15 (40)' })] };
      if (watches === 3) return { error: new UnreachableError('the connection to the server was refused') };
      if (watches === 4) return { lines: [ev('DELETED', slice('a', '51'))], hang: true };
      return { hang: true };
    });
    const ctl = new AbortController();
    const items = await collect(watchList(k, R.endpointslices, { namespace: 'shop', labelSelector: 'kubernetes.io/service-name=web', signal: ctl.signal, sleep: noSleep }), ctl, (s) => s.some((i) => i.type === 'DELETED'));
    expect(items.map((i) => i.type + (i.type === 'STATE' ? `:${i.state}` : ''))).toEqual(['SYNC', 'ADDED', 'SYNC', 'STATE:reconnecting', 'STATE:live', 'DELETED']);
    const watchReqs = k.requests.filter((r) => r.query.watch);
    expect(watchReqs.map((r) => r.query.resourceVersion)).toEqual(['10', '15', '50', '50']);
    expect(watchReqs.every((r) => r.query.allowWatchBookmarks === 'true' && r.query.labelSelector === 'kubernetes.io/service-name=web')).toBe(true);
    expect(k.requests[0]!.path).toBe('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices');
    const cache = new WatchCache();
    for (const i of items) cache.apply(i as WatchItem);
    expect(cache.objects().map((o) => o.metadata.name)).toEqual(['b']);
  });

  it('throws on errors retrying cannot fix', async () => {
    const k = new FakeKube().on(() => ({ error: new ForbiddenError('endpointslices is forbidden') }));
    const ctl = new AbortController();
    await expect(collect(watchList(k, R.endpointslices, { signal: ctl.signal, sleep: noSleep }), ctl, () => false)).rejects.toThrow(/forbidden/);
  });

  it('splits bodies into lines across chunk boundaries, multi-byte characters included', async () => {
    const euro = Buffer.from('€');
    async function* chunks() {
      yield Buffer.from('a\r\nb');
      yield Buffer.concat([Buffer.from('c'), euro.subarray(0, 1)]);
      yield Buffer.concat([euro.subarray(1), Buffer.from('\nlast')]);
    }
    const out: string[] = [];
    for await (const l of bodyLines(chunks())) out.push(l);
    expect(out).toEqual(['a', 'bc€', 'last']);
  });
});

describe('watchEndpointSlices', () => {
  it('yields the complete set after every change', async () => {
    const k = new FakeKube()
      .on((r) => (r.query.watch ? undefined : { json: { metadata: { resourceVersion: '1' }, items: [slice('a', '1')] } }))
      .on(() => ({ lines: [ev('MODIFIED', slice('a', '2', false)), ev('ADDED', slice('b', '3'))], hang: true }));
    const ctl = new AbortController();
    const evs = await collect(watchEndpointSlices(k, { namespace: 'shop', service: 'web', signal: ctl.signal }), ctl, (s) => s.filter((e) => e.type === 'slices').length === 3);
    const sets = evs.filter((e) => e.type === 'slices').map((e) => (e as any).slices.map((s: any) => `${s.metadata.name}:${s.endpoints[0].conditions.ready}`));
    expect(sets).toEqual([['a:true'], ['a:false'], ['a:false', 'b:true']]);
    expect(evs[0]).toEqual({ type: 'state', state: 'live' });
  });
});

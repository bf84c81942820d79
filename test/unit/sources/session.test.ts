import { describe, expect, it } from 'vitest';
import type { DiagnoseOptions } from '../../../src/path/diagnose.ts';
import type { Path, Report } from '../../../src/path/model.ts';
import { parseTarget } from '../../../src/path/target.ts';
import { runLiveSession, scopeOf } from '../../../src/sources/session.ts';
import { SessionStore } from '../../../src/state/store.ts';
import { FakeKube } from './fake-kube.ts';

const path: Path = {
  id: 'shop.test/',
  host: 'shop.test',
  path: '/',
  via: 'ingress',
  ingress: { kind: 'Ingress', name: 'shop', namespace: 'shop', controller: 'ingress-nginx' },
  loadBalancer: { service: { kind: 'Service', name: 'lb', namespace: 'ingress-nginx' }, addresses: ['127.0.10.10'], pending: false },
  service: { kind: 'Service', name: 'web', namespace: 'shop', port: 80 },
  endpoints: [{ address: '10.0.0.1', ready: true, serving: true, terminating: false, pod: 'web-1' }],
  pods: [],
  nodes: [],
  layers: [],
};
const probes = { dns: [{ resolver: 'system', name: 'shop.test', chain: [], addresses: ['127.0.10.10'], ms: 1 }], tcp: [], http: [] };
const report = (n: number, withProbes: boolean): Report => ({
  target: `run ${n}`, generatedAt: new Date().toISOString(), verdict: { status: 'ok', layer: null, summary: '' }, layers: [],
  probes: withProbes ? probes : { dns: [], tcp: [], http: [] }, paths: [path],
});

const slices = (ready: boolean) => [{ metadata: { name: 'web-x', namespace: 'shop', resourceVersion: '2' }, endpoints: [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-1' }, conditions: { ready } }] }];

function fakeCluster() {
  const k = new FakeKube();
  let sliceWatch = 0;
  k.on((r) => (r.path.endsWith('/endpointslices') && !r.query.watch ? { json: { metadata: { resourceVersion: '1' }, items: slices(true) } } : undefined));
  k.on((r) => {
    if (!r.path.endsWith('/endpointslices')) return undefined;
    sliceWatch++;
    return sliceWatch === 1 ? { lines: [JSON.stringify({ type: 'MODIFIED', object: slices(false)[0] })], hang: true } : { hang: true };
  });
  k.on((r) => (!r.query.watch && r.path.includes('/services') ? { json: { metadata: { resourceVersion: '1' }, items: [] } } : undefined));
  k.on((r) => (!r.query.watch && (r.path.includes('/pods') || r.path.includes('/ingresses')) ? { json: { metadata: { resourceVersion: '1' }, items: [] } } : undefined));
  k.on((r) => (r.query.watch ? { hang: true } : undefined));
  return k;
}

describe('runLiveSession', () => {
  it('probes first, re-diagnoses without probes (reusing them) on watch events, and probes again on refresh', async () => {
    const k = fakeCluster();
    const store = new SessionStore();
    const calls: DiagnoseOptions[] = [];
    const ctl = new AbortController();
    const session = runLiveSession({
      client: k, store, signal: ctl.signal, debounceMs: 10,
      diagnose: { target: parseTarget('https://shop.test/'), namespace: 'default', probe: { resolvers: [], timeoutMs: 1000 } },
      diagnoseFn: async (_c, o) => {
        calls.push(o);
        return report(calls.length, o.probe !== false);
      },
    });
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(f()).toBe(true);
    };
    // 1: the initial run with probes; 2: the slice turning not-ready triggers a probe-less re-diagnosis
    await until(() => calls.length >= 2);
    expect(calls[0]!.probe).not.toBe(false);
    expect(calls[1]!.probe).toBe(false);
    expect(calls[1]!.reuseProbes).toEqual(probes);
    store.flush();
    let s = store.getSnapshot();
    expect(s.endpoints.timeline.map((e) => e.change)).toEqual(['not-ready']);
    expect(s.probes.runs.map((r) => r.trigger)).toEqual(['initial']);
    expect(s.report?.target).toBe('run 2');
    expect(s.selectedPath).toBe('shop.test/');
    // the actions reach the session
    store.requestRefresh();
    await until(() => calls.length >= 3);
    expect(calls[2]!.probe).not.toBe(false);
    await until(() => (store.flush(), store.getSnapshot().probes.runs.length === 2));
    s = store.getSnapshot();
    expect(s.probes.runs.map((r) => r.trigger)).toEqual(['initial', 'refresh']);
    store.setProbeInterval(60_000);
    store.flush();
    expect(store.getSnapshot().probes.nextAt).toBeGreaterThan(Date.now() + 50_000);
    await expect(store.objectYaml({ kind: 'Secret', name: 'tls', namespace: 'shop' })).rejects.toThrow(/not shown/);
    // the endpoints watch asked for the path's Service, the log followers for the LB's selector
    expect(k.requests.some((r) => r.path === '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices' && r.query.labelSelector === 'kubernetes.io/service-name=web')).toBe(true);
    ctl.abort();
    await session;
    expect(store.getSnapshot().report).toBeDefined();
  });

  it('scopes the controller log to the path', () => {
    const s = scopeOf(path);
    expect(s.hosts).toEqual(['shop.test']);
    expect(s.upstreamPrefixes).toEqual(['shop-web-']);
    expect([...s.addresses!]).toEqual(['10.0.0.1']);
  });
});

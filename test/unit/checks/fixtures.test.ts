// Checks over real objects from ../shared/fixtures: Verrazzano cluster snapshots, Envoy Gateway status outputs and a
// kind EndpointSlice.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { endpointsOf } from '../../../src/checks/util.ts';
import { MemoryReader } from '../../../src/kube/memory.ts';
import type { KObject } from '../../../src/kube/types.ts';
import { diagnose } from '../../../src/path/diagnose.ts';
import type { Report } from '../../../src/path/model.ts';
import { parseTarget } from '../../../src/path/target.ts';
import { HAVE_SHARED, SHARED_FIXTURES, app, ingress, loadFixture, node, pod, rule, service } from '../path/fixtures.ts';

const json = (rel: string): KObject[] => {
  const d = JSON.parse(readFileSync(join(SHARED_FIXTURES, rel), 'utf8'));
  return (Array.isArray(d) ? d : d.items).map((o: KObject) => ({ apiVersion: o.apiVersion ?? 'v1', kind: o.kind ?? (rel.includes('events') ? 'Event' : rel.includes('services') ? 'Service' : 'Pod'), ...o }));
};
const check = (r: Report, id: string) => r.layers.flatMap((l) => l.checks).find((c) => c.id === id);
const run = (objs: KObject[], target: string, namespace = 'default') => diagnose(new MemoryReader(objs), { target: parseTarget(target), namespace, probe: false });

describe.skipIf(!HAVE_SHARED)('Verrazzano snapshots', () => {
  it('an ingress-nginx LoadBalancer stuck <pending> with SyncLoadBalancerFailed (LimitExceeded) fails the load balancer', async () => {
    const services = json('objects/verrazzano-cluster-snapshots/ingress-lb-limit/services.json');
    const events = json('objects/verrazzano-cluster-snapshots/ingress-lb-limit/events.json');
    const ctrlSvc = services.find((s) => s.spec?.type === 'LoadBalancer')!;
    const ns = ctrlSvc.metadata.namespace!;
    const objs = [
      ...services,
      ...events,
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
      pod('ingress-controller-ingress-nginx-controller-x', ns, { labels: ctrlSvc.spec.selector, ip: '10.244.0.9' }),
      ...app('shop'),
      ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 80]])] }),
      node('node-1'),
    ];
    const r = await run(objs, 'shop.example.com');
    expect(r.verdict.layer).toBe('loadbalancer');
    const c = check(r, 'lb.pending')!;
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/LimitExceeded/);
    expect(c.evidence.join('\n')).toMatch(/SyncLoadBalancerFailed/);
    expect(check(r, 'ing.no-address')?.status).toBe('warn');
  });

  it('a pod held back by a readiness gate fails the pods layer with the condition as evidence', async () => {
    const [p] = json('objects/verrazzano-cluster-snapshots/pod-waiting-for-readiness-gates/pods.json');
    const ns = p!.metadata.namespace!;
    const svc = service('mysql', ns, { selector: p!.metadata.labels, ports: [{ name: 'mysql', port: 3306, targetPort: 3306 }] }, { annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'db.example.com' } });
    svc.spec.type = 'LoadBalancer';
    svc.status = { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } };
    const r = await run([p!, svc, node('node-1')], 'svc/mysql', ns);
    const c = check(r, 'pod.not-ready')!;
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(/ReadinessGatesNotReady/);
    expect(c.evidence.join('\n')).toMatch(/readiness gate "mysql\.oracle\.com\/ready"/);
  });
});

describe.skipIf(!HAVE_SHARED)('Envoy Gateway status outputs', () => {
  const load = (f: string) => yaml.load(readFileSync(join(SHARED_FIXTURES, 'objects/gateway-api-status-envoy-gateway', f), 'utf8')) as { gateways: KObject[]; httpRoutes: KObject[] };
  const base = (d: { gateways: KObject[]; httpRoutes: KObject[] }): KObject[] => [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: d.gateways[0]!.spec.gatewayClassName }, spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' }, status: { conditions: [{ type: 'Accepted', status: 'True' }] } },
    ...d.gateways.map((g) => ({ ...g, kind: 'Gateway' })),
    ...d.httpRoutes.map((r) => ({ ...r, kind: 'HTTPRoute' })),
    pod('envoy-gateway-1', 'envoy-gateway-system', { labels: { 'control-plane': 'envoy-gateway', 'app.kubernetes.io/name': 'gateway-helm' } }),
    pod('envoy-proxy-1', 'envoy-gateway-system', { labels: { 'app.kubernetes.io/name': 'envoy', 'gateway.envoyproxy.io/owning-gateway-name': 'gateway-1', 'gateway.envoyproxy.io/owning-gateway-namespace': 'envoy-gateway' } }),
    node('node-1'),
  ];

  it('RefNotPermitted: a backend in another namespace without a ReferenceGrant', async () => {
    const d = load('httproute-with-invalid-backendref-in-other-namespace.out.yaml');
    const r = await run([...base(d), service('service-1', 'backends', { selector: { app: 'x' }, ports: [{ port: 8080 }] })], 'httproute/httproute-1');
    expect(r.verdict.layer).toBe('ingress');
    expect(check(r, 'route.ref-not-permitted')).toMatchObject({ status: 'fail' });
    expect(check(r, 'route.ref-not-permitted')!.evidence.join('\n')).toMatch(/RefNotPermitted/);
  });

  it('PortNotFound: ResolvedRefs=False fails the backend reference', async () => {
    const d = load('httproute-with-invalid-backend-ref-bad-port.out.yaml');
    const r = await run([...base(d), service('service-1', 'default', { selector: { app: 'x' }, ports: [{ port: 8080 }] })], 'httproute/httproute-1');
    expect(check(r, 'route.backend-unresolved')).toMatchObject({ status: 'fail', message: expect.stringMatching(/PortNotFound/) });
  });

  it('EndpointsNotFound: the route resolves, the Service has no endpoints', async () => {
    const d = load('httproute-with-backendref-no-endpoints.out.yaml');
    const r = await run([...base(d), service('service-with-no-endpoints', 'default', { selector: { app: 'none' }, ports: [{ port: 8080 }] })], 'httproute/httproute-1');
    expect(check(r, 'route.backend-unresolved')?.status).toBe('ok');
    expect(check(r, 'svc.selector-no-pods')?.status).toBe('fail');
    expect(r.verdict.layer).toBe('service');
  });
});

describe.skipIf(!HAVE_SHARED)('a kind EndpointSlice', () => {
  it('reads addresses, conditions, nodes and pods', () => {
    const s = loadFixture('objects/endpointslice/kind-kube-dns-endpointslice.yaml');
    const eps = endpointsOf(s, undefined);
    expect(eps.length).toBeGreaterThanOrEqual(2);
    expect(eps[0]).toMatchObject({ address: '10.244.0.2', ready: true, serving: true, terminating: false, pod: 'coredns-565d847f94-lgsrp', node: 'kind-control-plane' });
  });
});

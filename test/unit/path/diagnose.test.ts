// The engine over in-memory clusters: resolution, the checks that decide each lab-like failure, RBAC gaps, and
// the shape of the reads (targeted, parallel, at most four sequential round trips).
import { describe, expect, it } from 'vitest';
import { MemoryReader, type MemoryReaderOptions } from '../../../src/kube/memory.ts';
import type { ClusterReader, KObject, ListOptions, ResourceType } from '../../../src/kube/types.ts';
import { diagnose } from '../../../src/path/diagnose.ts';
import type { Report } from '../../../src/path/model.ts';
import { TargetNotFoundError, TargetUnreadableError } from '../../../src/path/resolve.ts';
import { parseTarget } from '../../../src/path/target.ts';
import { app, event, ingress, ingressNginx, namespace, node, pod, rule, service } from './fixtures.ts';

const NOW = Date.parse('2026-01-01T00:10:00Z');

async function run(objects: KObject[], target: string, o: MemoryReaderOptions & { namespace?: string } = {}): Promise<Report & { reader: MemoryReader }> {
  const reader = new MemoryReader(objects, o);
  const r = await diagnose(reader, { target: parseTarget(target), namespace: o.namespace ?? 'shop', probe: false, probeSkipped: 'probes disabled (--no-probe)', now: () => NOW });
  return Object.assign(r, { reader });
}

const check = (r: Report, id: string) => r.layers.flatMap((l) => l.checks).find((c) => c.id === id);
const webIngress = (ns = 'shop', extra: any = {}) =>
  ingress('web', ns, { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 80]])], ...extra }, { status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } });

describe('a healthy Ingress path', () => {
  it('resolves host → load balancer → Ingress → Service → endpoints → pods, with nothing failing', async () => {
    const r = await run([...ingressNginx(), ...app('shop'), webIngress()], 'shop.example.com');
    expect(r.verdict).toMatchObject({ status: 'unknown', layer: null });
    expect(r.layers.map((l) => `${l.id}:${l.status}`)).toEqual(['dns:unknown', 'loadbalancer:unknown', 'ingress:ok', 'service:ok', 'endpoints:ok', 'pods:unknown']);
    const p = r.paths[0]!;
    expect(p).toMatchObject({ host: 'shop.example.com', path: '/', via: 'ingress', service: { name: 'web', namespace: 'shop', port: 80, targetPort: 'http' } });
    expect(p.ingress).toMatchObject({ name: 'web', className: 'nginx', controller: 'ingress-nginx' });
    expect(p.loadBalancer).toMatchObject({ addresses: ['203.0.113.10'], pending: false, service: { name: 'ingress-nginx-controller' } });
    expect(p.endpoints).toHaveLength(2);
    expect(p.pods.map((x) => x.name)).toEqual(['web-0', 'web-1']);
    expect(check(r, 'lb.etp-local-no-endpoints')?.status).toBe('ok');
    expect(check(r, 'pod.netpol-blocks-controller')?.status).toBe('ok');
    // API checks all pass; only probe checks are unknown.
    expect(r.layers.flatMap((l) => l.checks).filter((c) => c.status !== 'ok' && c.status !== 'skipped').every((c) => /probes disabled/.test(c.message))).toBe(true);
  });

  it('reads only what it needs: no cluster-wide pod list, selectors on every pod list', async () => {
    const r = await run([...ingressNginx(), ...app('shop'), webIngress()], 'shop.example.com');
    const podLists = r.reader.calls.filter((c) => c.startsWith('list pods'));
    expect(podLists.length).toBeGreaterThan(0);
    for (const c of podLists) expect(c).toMatch(/ -l /);
    expect(r.reader.calls).not.toContain('list pods -A');
    expect(r.reader.calls.filter((c) => c.startsWith('list services -A')).every((c) => c.includes(' -l '))).toBe(true);
  });
});

describe('the failures the lab stages', () => {
  it('selector mismatch blames the Service and names the pods that nearly match', async () => {
    const r = await run([...ingressNginx(), ...app('shop', { selector: { app: 'web-v2' } }), webIngress()], 'shop.example.com');
    expect(r.verdict).toMatchObject({ status: 'fail', layer: 'service' });
    expect(check(r, 'svc.selector-no-pods')).toMatchObject({ status: 'fail', message: expect.stringMatching(/app=web-v2.*matches no pods.*app=web/) });
    expect(check(r, 'ep.none')?.status).toBe('warn');
    expect(check(r, 'pod.none')?.status).toBe('warn');
  });

  it('a numeric targetPort no container declares blames the Service', async () => {
    const r = await run([...ingressNginx(), ...app('shop', { targetPort: 8081 }), webIngress()], 'shop.example.com');
    expect(r.verdict.layer).toBe('service');
    expect(check(r, 'svc.targetport-unresolved')).toMatchObject({ status: 'fail', message: expect.stringMatching(/no container declares port 8081/) });
  });

  it('a named targetPort resolves by containerPort name', async () => {
    const r = await run([...ingressNginx(), ...app('shop', { targetPort: 'http', containerPort: 9090 }), webIngress()], 'shop.example.com');
    expect(check(r, 'svc.targetport-unresolved')).toMatchObject({ status: 'ok', message: expect.stringMatching(/containerPort 9090 \(http\)/) });
  });

  it('failing readiness blames the pods, with the Unhealthy events, and only warns on endpoints', async () => {
    const objs = [...ingressNginx(), ...app('shop', { ready: false }), webIngress(), event('shop', 'web-0', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { count: 60, first: '2026-01-01T00:00:05Z', last: '2026-01-01T00:09:55Z' })];
    const r = await run(objs, 'shop.example.com');
    expect(r.verdict.layer).toBe('pods');
    expect(check(r, 'pod.not-ready')).toMatchObject({ status: 'fail', message: expect.stringMatching(/statuscode: 503/) });
    expect(check(r, 'ep.none-ready')?.status).toBe('warn');
    expect(check(r, 'ep.flapping')?.status).toBe('ok');
  });

  it('flapping readiness blames the endpoints', async () => {
    const objs = [...ingressNginx(), ...app('shop', { pods: 2 }), webIngress()];
    // web-0 lost readiness long after it started; web-1 is ready but its failures came in bursts.
    const p0 = objs.find((o) => o.metadata.name === 'web-0')!;
    p0.status.conditions[0] = { type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:09:58Z' };
    objs.push(event('shop', 'web-0', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { count: 4, first: '2026-01-01T00:05:00Z', last: '2026-01-01T00:09:58Z' }));
    objs.push(event('shop', 'web-1', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', { count: 6, first: '2026-01-01T00:08:00Z', last: '2026-01-01T00:09:40Z' }));
    const r = await run(objs, 'shop.example.com');
    expect(r.verdict.layer).toBe('endpoints');
    expect(check(r, 'ep.flapping')).toMatchObject({ status: 'fail' });
    expect(check(r, 'ep.flapping')!.evidence.join('\n')).toMatch(/recovered in between/);
  });

  it('one loss of readiness after a long healthy run is not flapping', async () => {
    const objs = [...ingressNginx(), ...app('shop', { ready: false }), webIngress()];
    for (const p of objs.filter((o) => o.kind === 'Pod' && o.metadata.namespace === 'shop')) {
      p.status.conditions[0] = { type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:09:00Z' };
      objs.push(event('shop', p.metadata.name, 'Unhealthy', 'Readiness probe failed: 503', { count: 7, first: '2026-01-01T00:08:40Z', last: '2026-01-01T00:09:40Z' }));
    }
    const r = await run(objs, 'shop.example.com');
    expect(check(r, 'ep.flapping')?.status).toBe('ok');
    expect(r.verdict.layer).toBe('pods');
  });

  it('readiness lost again after earlier failures is flapping', async () => {
    const objs = [...ingressNginx(), ...app('shop', { pods: 1 }), webIngress()];
    const p0 = objs.find((o) => o.metadata.name === 'web-0')!;
    p0.status.conditions[0] = { type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:09:58Z' };
    objs.push(event('shop', 'web-0', 'Unhealthy', 'Readiness probe failed: 503', { count: 2, first: '2026-01-01T00:01:00Z', last: '2026-01-01T00:09:58Z' }));
    const r = await run(objs, 'shop.example.com');
    expect(check(r, 'ep.flapping')?.status).toBe('fail');
  });

  it('a slow start (consecutive failures, then ready) is not flapping', async () => {
    const objs = [...ingressNginx(), ...app('shop'), webIngress(), event('shop', 'web-0', 'Unhealthy', 'Readiness probe failed: connection refused', { count: 3, first: '2026-01-01T00:00:03Z', last: '2026-01-01T00:00:23Z' })];
    const r = await run(objs, 'shop.example.com');
    expect(check(r, 'ep.flapping')?.status).toBe('ok');
    expect(check(r, 'pod.probe-failing')?.status).toBe('warn');
  });

  it('a NetworkPolicy that forgets the controller blames the pods', async () => {
    const np = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web-allow-frontend', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }] } };
    const r = await run([...ingressNginx(), ...app('shop'), webIngress(), np], 'shop.example.com');
    expect(r.verdict.layer).toBe('pods');
    expect(check(r, 'pod.netpol-blocks-controller')).toMatchObject({ status: 'fail', message: expect.stringMatching(/block ingress-nginx/) });
    const open = { ...np, spec: { ...np.spec, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }] } };
    expect(check(await run([...ingressNginx(), ...app('shop'), webIngress(), open], 'shop.example.com'), 'pod.netpol-blocks-controller')?.status).toBe('ok');
  });

  it('a missing IngressClass blames the Ingress', async () => {
    const ing = webIngress('shop', { ingressClassName: 'nginx-internal' });
    ing.status = {};
    const r = await run([...ingressNginx(), ...app('shop'), ing], 'shop.example.com');
    expect(r.verdict.layer).toBe('ingress');
    expect(check(r, 'ing.class-missing')).toMatchObject({ status: 'fail', message: expect.stringMatching(/"nginx-internal" does not exist/) });
    expect(check(r, 'lb.pending')?.status).toBe('unknown');
  });

  it('no controller pods claim the class', async () => {
    const objs = ingressNginx().filter((o) => o.kind !== 'Pod');
    const r = await run([...objs, ...app('shop'), webIngress()], 'shop.example.com');
    expect(check(r, 'ing.class-unclaimed')?.status).toBe('fail');
    const notReady = await run([...ingressNginx({ ready: false }), ...app('shop'), webIngress()], 'shop.example.com');
    expect(check(notReady, 'ing.controller-not-ready')?.status).toBe('fail');
    // With externalTrafficPolicy Local the load balancer has no healthy node either, but the cause is the controller.
    expect(check(notReady, 'lb.etp-local-no-endpoints')).toMatchObject({ status: 'warn', message: expect.stringMatching(/see ingress/) });
    expect(notReady.verdict.layer).toBe('ingress');
  });

  it('a backend Service that does not exist blames the Ingress', async () => {
    const ing = ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web-svc', 80]])] });
    const r = await run([...ingressNginx(), ...app('shop'), ing], 'shop.example.com');
    expect(r.verdict.layer).toBe('ingress');
    expect(check(r, 'ing.backend-not-found')).toMatchObject({ status: 'fail', message: expect.stringMatching(/web-svc does not exist/) });
    const badPort = ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 'grpc']])] });
    expect(check(await run([...ingressNginx(), ...app('shop'), badPort], 'shop.example.com'), 'ing.backend-port-not-found')?.status).toBe('fail');
  });

  it('an HTTPS backend without backend-protocol blames the Ingress', async () => {
    const objs = [...ingressNginx(), ...app('shop', { containerPort: 8443 }), webIngress()];
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === 'web')!;
    svc.spec.ports = [{ name: 'https', port: 443, targetPort: 'http' }];
    const ing = ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 443]])] });
    const r = await run([...objs.filter((o) => o.kind !== 'Ingress'), ing], 'shop.example.com');
    expect(check(r, 'ing.backend-https-no-protocol')).toMatchObject({ status: 'fail', next: expect.stringMatching(/backend-protocol=HTTPS/) });
    ing.metadata.annotations = { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' };
    expect(check(await run([...objs.filter((o) => o.kind !== 'Ingress'), ing], 'shop.example.com'), 'ing.backend-https-no-protocol')?.status).toBe('ok');
  });

  it('no rule for the path is a 404 at the Ingress', async () => {
    const ing = ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/api', 'Exact', 'web', 80]])] });
    const r = await run([...ingressNginx(), ...app('shop'), ing], 'https://shop.example.com/other');
    expect(check(r, 'ing.no-rule')).toMatchObject({ status: 'fail', message: expect.stringMatching(/no Ingress rule.*404/) });
    expect(check(r, 'svc.exists')?.status).toBe('skipped');
  });

  it('a pending LoadBalancer Service blames the load balancer (svc/NAME target)', async () => {
    const objs = app('lb');
    const svc = objs.find((o) => o.kind === 'Service')!;
    svc.spec.type = 'LoadBalancer';
    svc.metadata.annotations = { 'external-dns.alpha.kubernetes.io/hostname': 'lb.example.com' };
    const r = await run([...objs, node('node-1'), node('node-2')], 'svc/web', { namespace: 'lb' });
    expect(r.verdict.layer).toBe('loadbalancer');
    expect(check(r, 'lb.pending')).toMatchObject({ status: 'fail', message: expect.stringMatching(/<pending>/) });
    expect(r.paths[0]).toMatchObject({ via: 'service', host: 'lb.example.com' });
    // The host finds the same Service through its external-dns annotation.
    const byHost = await run([...objs, node('node-1'), node('node-2')], 'lb.example.com');
    expect(byHost.verdict.layer).toBe('loadbalancer');
  });

  it('externalTrafficPolicy Local with endpoints only on nodes the load balancer skips', async () => {
    const objs = app('etp', { pods: 1 });
    const svc = objs.find((o) => o.kind === 'Service')!;
    Object.assign(svc.spec, { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 });
    svc.metadata.annotations = { 'lab.netpath.dev/lb-nodes': 'node-2' };
    svc.status = { loadBalancer: { ingress: [{ ip: '203.0.113.20' }] } };
    const r = await run([...objs, node('node-1'), node('node-2')], 'svc/web', { namespace: 'etp' });
    expect(r.verdict.layer).toBe('loadbalancer');
    expect(check(r, 'lb.etp-local-no-endpoints')).toMatchObject({ status: 'fail', message: expect.stringMatching(/node-2.*node-1/) });
    svc.metadata.annotations = {};
    expect(check(await run([...objs, node('node-1'), node('node-2')], 'svc/web', { namespace: 'etp' }), 'lb.etp-local-no-endpoints')?.status).toBe('ok');
    // A node excluded by label does not count as a target.
    const excluded = [...objs, node('node-1', { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } }), node('node-2')];
    expect(check(await run(excluded, 'svc/web', { namespace: 'etp' }), 'lb.etp-local-no-endpoints')?.status).toBe('fail');
  });

  it('a TCP health check with externalTrafficPolicy Local is flagged (AWS annotations)', async () => {
    const objs = app('etp', { pods: 1 });
    const svc = objs.find((o) => o.kind === 'Service')!;
    Object.assign(svc.spec, { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 });
    svc.metadata.annotations = { 'service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol': 'tcp' };
    svc.status = { loadBalancer: { ingress: [{ hostname: 'a1.elb.amazonaws.com' }] } };
    const r = await run([...objs, node('node-1'), node('node-2')], 'svc/web', { namespace: 'etp' });
    expect(check(r, 'lb.health-check')).toMatchObject({ status: 'warn', message: expect.stringMatching(/TCP with externalTrafficPolicy Local/) });
  });
});

describe('Gateway API paths', () => {
  const gwObjs = (): KObject[] => [
    { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass', metadata: { name: 'eg' }, spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' }, status: { conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }] } },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'public', namespace: 'gw' },
      spec: { gatewayClassName: 'eg', listeners: [{ name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } }] },
      status: { addresses: [{ type: 'IPAddress', value: '203.0.113.30' }], conditions: [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'True' }], listeners: [{ name: 'http', attachedRoutes: 1, conditions: [{ type: 'Programmed', status: 'True' }] }] },
    },
    pod('envoy-gateway-1', 'envoy-gateway-system', { labels: { 'control-plane': 'envoy-gateway', 'app.kubernetes.io/name': 'gateway-helm' } }),
    pod('envoy-gw-public-1', 'envoy-gateway-system', { labels: { 'app.kubernetes.io/name': 'envoy', 'gateway.envoyproxy.io/owning-gateway-name': 'public', 'gateway.envoyproxy.io/owning-gateway-namespace': 'gw' } }),
    service('envoy-gw-public', 'envoy-gateway-system', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 10080 }] }, { labels: { 'app.kubernetes.io/name': 'envoy', 'gateway.envoyproxy.io/owning-gateway-name': 'public', 'gateway.envoyproxy.io/owning-gateway-namespace': 'gw' }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.30' }] } } }),
    namespace('envoy-gateway-system'),
    node('node-1'),
    node('node-2'),
  ];
  const route = (backendNs?: string, status?: any): KObject => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'storefront', namespace: 'front' },
    spec: { parentRefs: [{ name: 'public', namespace: 'gw' }], hostnames: ['store.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: 'web', port: 80, ...(backendNs ? { namespace: backendNs } : {}) }] }] },
    ...(status ? { status } : {}),
  });

  it('a cross-namespace backend without a ReferenceGrant blames the route', async () => {
    const status = { parents: [{ parentRef: { name: 'public', namespace: 'gw' }, controllerName: 'gateway.envoyproxy.io/gatewayclass-controller', conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }, { type: 'ResolvedRefs', status: 'False', reason: 'RefNotPermitted', message: 'Backend ref to Service catalog/web not permitted by any ReferenceGrant.' }] }] };
    const r = await run([...gwObjs(), ...app('catalog'), route('catalog', status)], 'store.example.com');
    expect(r.verdict).toMatchObject({ status: 'fail', layer: 'ingress' });
    expect(check(r, 'route.ref-not-permitted')).toMatchObject({ status: 'fail', message: expect.stringMatching(/no ReferenceGrant in catalog/) });
    expect(r.paths[0]).toMatchObject({ via: 'httproute', service: { name: 'web', namespace: 'catalog' }, loadBalancer: { addresses: ['203.0.113.30'] } });
    expect(check(r, 'svc.selector-no-pods')?.status).toBe('ok');
    const grant = { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'allow', namespace: 'catalog' }, spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'front' }], to: [{ group: '', kind: 'Service' }] } };
    const ok = await run([...gwObjs(), ...app('catalog'), route('catalog'), grant], 'store.example.com');
    expect(check(ok, 'route.ref-not-permitted')?.status).toBe('ok');
  });

  it('svc/NAME finds HTTPRoutes in other namespaces that point at it', async () => {
    const r = await run([...gwObjs(), ...app('catalog'), route('catalog')], 'svc/web', { namespace: 'catalog' });
    expect(r.paths.map((p) => `${p.via} ${p.host}${p.path}`)).toEqual(['httproute store.example.com/']);
  });

  it('a not-accepted route and a missing GatewayClass fail', async () => {
    const status = { parents: [{ parentRef: { name: 'public', namespace: 'gw' }, controllerName: 'gateway.envoyproxy.io/gatewayclass-controller', conditions: [{ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'No listeners included by this parent ref allowed this attachment.' }] }] };
    const r = await run([...gwObjs(), ...app('front'), route(undefined, status)], 'store.example.com');
    expect(check(r, 'route.not-accepted')).toMatchObject({ status: 'fail', message: expect.stringMatching(/NotAllowedByListeners/) });
    const noClass = await run([...gwObjs().filter((o) => o.kind !== 'GatewayClass'), ...app('front'), route()], 'store.example.com');
    expect(check(noClass, 'gw.class-missing')?.status).toBe('fail');
  });
});

describe('targets and RBAC', () => {
  it('svc/NAME shows every Ingress that routes to it, and a ClusterIP nothing exposes', async () => {
    const two = ingress('two', 'shop', { ingressClassName: 'nginx', rules: [rule('a.example.com', [['/', 'Prefix', 'web', 80]]), rule('b.example.com', [['/x', 'Prefix', 'web', 80]])] });
    const r = await run([...ingressNginx(), ...app('shop'), two], 'svc/web');
    expect(r.paths.map((p) => p.id)).toEqual(['a.example.com/', 'b.example.com/x']);
    const lonely = await run([...app('shop'), node('node-1')], 'svc/web');
    expect(check(lonely, 'lb.not-exposed')?.status).toBe('warn');
    expect(lonely.verdict.layer).toBeNull();
  });

  it('a missing target is TargetNotFound; -A finds it by name', async () => {
    await expect(run(app('shop'), 'svc/nope')).rejects.toBeInstanceOf(TargetNotFoundError);
    await expect(run([...ingressNginx(), ...app('shop')], 'nobody.example.com')).rejects.toThrow(/no Ingress, HTTPRoute or LoadBalancer Service/);
    const reader = new MemoryReader([...ingressNginx(), ...app('shop')]);
    const r = await diagnose(reader, { target: parseTarget('svc/web'), namespace: 'default', allNamespaces: true, probe: false });
    expect(r.namespace).toBe('shop');
  });

  it('a forbidden read of the target itself is TargetUnreadable', async () => {
    await expect(run(app('shop'), 'svc/web', { forbidden: ['services'] })).rejects.toBeInstanceOf(TargetUnreadableError);
    await expect(run([...ingressNginx(), ...app('shop'), webIngress()], 'shop.example.com', { forbidden: ['ingresses'] })).rejects.toBeInstanceOf(TargetUnreadableError);
  });

  const denials: [string, string[]][] = [
    ['secrets', ['ing.tls-secret-missing']],
    ['endpointslices', ['ep.none']],
    ['pods', ['svc.selector-no-pods', 'ing.class-unclaimed']],
    ['networkpolicies', ['pod.netpol-blocks-controller']],
    ['nodes', ['lb.etp-local-no-endpoints']],
    ['ingressclasses', ['ing.class-missing']],
    ['events', []],
    ['daemonsets', []],
    ['httproutes', []],
    ['namespaces', []],
  ];
  for (const [resource, unknownIds] of denials) {
    it(`completes with ${resource} forbidden, the affected checks unknown with the reason`, async () => {
      const ing = webIngress('shop', { tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }] });
      const r = await run([...ingressNginx(), ...app('shop'), ing], 'shop.example.com', { forbidden: [resource] });
      expect(r.paths).toHaveLength(1);
      for (const id of unknownIds) {
        const c = check(r, id);
        expect(c, id).toBeDefined();
        expect(c!.status, id).toBe('unknown');
        expect(c!.evidence.join('\n'), id).toMatch(/forbidden/);
      }
      // Nothing unchecked is shown as healthy: a layer with an unknown check is not ok.
      for (const l of r.layers) if (l.checks.some((c) => c.status === 'unknown')) expect(l.status).not.toBe('ok');
    });
  }

  it('Gateway API not installed is not an error', async () => {
    const r = await run([...ingressNginx(), ...app('shop'), webIngress()], 'svc/web', { missing: ['httproutes', 'gateways', 'gatewayclasses', 'referencegrants'] });
    expect(r.paths).toHaveLength(1);
  });
});

/** A reader with latency that measures sequential round trips the way KubeClient does. */
class LatencyReader implements ClusterReader {
  depth = 0;
  roundTrips = 0;
  requests = 0;
  private readonly inner: ClusterReader;
  private readonly latency: () => number;
  /** Random latencies by default; a fixed one makes the temporal round-trip count exact (no read overtakes another). */
  constructor(inner: ClusterReader, latency: () => number = () => 5 + Math.random() * 10) {
    this.inner = inner;
    this.latency = latency;
  }
  private async time<T>(fn: () => Promise<T>): Promise<T> {
    const d = this.depth + 1;
    this.requests++;
    await new Promise((r) => setTimeout(r, this.latency()));
    try {
      return await fn();
    } finally {
      this.depth = Math.max(this.depth, d);
      this.roundTrips = Math.max(this.roundTrips, d);
    }
  }
  get(t: ResourceType, name: string, ns?: string) {
    return this.time(() => this.inner.get(t, name, ns));
  }
  list(t: ResourceType, o?: ListOptions) {
    return this.time(() => this.inner.list(t, o));
  }
}

describe('efficiency', () => {
  for (const target of ['shop.example.com', 'svc/web', 'ingress/web']) {
    it(`${target}: at most 4 sequential round trips`, async () => {
      const reader = new LatencyReader(new MemoryReader([...ingressNginx(), ...app('shop'), webIngress()]));
      await diagnose(reader, { target: parseTarget(target), namespace: 'shop', probe: false });
      expect(reader.roundTrips).toBeLessThanOrEqual(4);
    });
  }
});

/** Copies each Service's labels onto its EndpointSlices, as the EndpointSlice controller does. */
function mirrorSliceLabels(objs: KObject[]): KObject[] {
  const svcs = new Map(objs.filter((o) => o.kind === 'Service').map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  return objs.map((o) => {
    if (o.kind !== 'EndpointSlice') return o;
    const svc = svcs.get(`${o.metadata.namespace}/${o.metadata.labels?.['kubernetes.io/service-name']}`);
    return { ...o, metadata: { ...o.metadata, labels: { ...svc?.metadata.labels, ...o.metadata.labels } } };
  });
}

/** Moves the ingress-nginx controller, its Service and slices to another namespace than its install's usual one. */
function moveController(objs: KObject[], ns: string): KObject[] {
  return objs.map((o) => (o.metadata.namespace === 'ingress-nginx' ? { ...o, metadata: { ...o.metadata, namespace: ns } } : o.kind === 'Namespace' && o.metadata.name === 'ingress-nginx' ? { ...o, metadata: { ...o.metadata, name: ns } } : o));
}

describe('reading ahead (svc/NAME)', () => {
  const cluster = (selector: Record<string, string>) => [...ingressNginx(), ...app('shop', { selector }), webIngress()];
  const strip = (r: Report & { reader?: unknown }) => {
    const { reader: _r, api: _a, ...rest } = r as any;
    return rest;
  };
  const diag = async (objs: KObject[], target = 'svc/web') => {
    const reader = new LatencyReader(new MemoryReader(objs), () => 20);
    const report = await diagnose(reader, { target: parseTarget(target), namespace: 'shop', probe: false, probeSkipped: 'probes disabled (--no-probe)', now: () => NOW });
    return { reader, report };
  };

  for (const [name, selector] of [['healthy', { app: 'web' }], ['selector mismatch', { app: 'web-v2' }]] as const) {
    it(`${name}: two sequential round trips when the slices carry the Service's labels and the controller is in its usual namespace`, async () => {
      const { reader, report } = await diag(mirrorSliceLabels(cluster(selector)));
      expect(reader.roundTrips).toBe(2);
      expect(report.verdict.layer).toBe(name === 'healthy' ? null : 'service');
    });

    it(`${name}: the read-ahead does not change the report when it misses (unlabelled slices, controller elsewhere)`, async () => {
      const hit = await diag(mirrorSliceLabels(cluster(selector)));
      const unlabelled = await diag(cluster(selector));
      expect(strip(unlabelled.report)).toEqual(strip(hit.report));
      // the load balancer's slices, read by name after the labelled read found none: one more round trip
      expect(unlabelled.reader.roundTrips).toBe(3);
      const elsewhere = await diag(moveController(mirrorSliceLabels(cluster(selector)), 'edge'));
      expect(elsewhere.reader.roundTrips).toBe(3);
      expect(JSON.stringify(strip(elsewhere.report))).toEqual(JSON.stringify(strip(hit.report)).replaceAll('-n ingress-nginx', '-n edge').replaceAll('"namespace":"ingress-nginx"', '"namespace":"edge"'));
    });
  }

  it('reads the pods with the selector keys ahead only when the slices name no pod', async () => {
    const healthy = await diag(mirrorSliceLabels(cluster({ app: 'web' })));
    const mismatch = await diag(mirrorSliceLabels(cluster({ app: 'web-v2' })));
    expect(healthy.reader.requests).toBe(mismatch.reader.requests - 1);
    expect(check(mismatch.report, 'svc.selector-no-pods')?.status).toBe('fail');
  });
});

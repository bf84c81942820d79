// The Envoy Gateway proxy: HTTPRoute matching precedence, the JSON access log against Envoy Gateway's default
// format, and local replies (500 direct_response, 503 UH/UF, 504 UT) over real sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ResourceRegistry } from '../../../../src/lab/resources.ts';
import type { Store } from '../../../../src/lab/store/store.ts';
import { type CertificateAuthority, createCA, issue } from '../../../../src/lab/pki.ts';
import type { ControllerManager } from '../../../../src/lab/controllers/runtime.ts';
import { GATEWAY_CONTROLLER_NAME } from '../../../../src/lab/controllers/gateway.ts';
import type { KObject } from '../../../../src/lab/types.ts';
import { buildGatewayTable, envoyProxyProvider, formatEnvoyAccessLine, pickListener, selectRoute } from '../../../../src/lab/dataplane/proxies/envoy.ts';
import { gatewayHostMatches, intersectHostnames, pathPrefixMatches } from '../../../../src/lab/dataplane/proxies/common.ts';
import { controlPlane } from './control-plane.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'fixtures', 'logs', 'envoy');
const GW = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw', namespace: 'infra' };

let ca: CertificateAuthority;
let store: Store;
let registry: ResourceRegistry;
let mgr: ControllerManager;
let proxyPod: KObject;
const closers: (() => void)[] = [];

function create(o: KObject): KObject {
  return store.create(registry.forKind(o.apiVersion, o.kind)!, structuredClone(o));
}

let tick = 0;
function route(name: string, spec: any, accepted = true, parentRef: any = GW): KObject {
  return create({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'app' },
    spec: { parentRefs: [parentRef], ...spec },
    status: {
      parents: [
        {
          parentRef,
          controllerName: GATEWAY_CONTROLLER_NAME,
          conditions: [{ type: 'Accepted', status: accepted ? 'True' : 'False', reason: accepted ? 'Accepted' : 'NotAllowedByListeners', message: '', lastTransitionTime: `2026-01-01T00:00:0${tick++ % 10}Z` }],
        },
      ],
    },
  });
}

const ref = (name: string, extra: any = {}) => ({ group: '', kind: 'Service', name, port: 80, ...extra });
const rule = (match: any, backend = 'root') => ({ matches: [match], backendRefs: [ref(backend)] });
const prefix = (value: string, more: any = {}) => ({ path: { type: 'PathPrefix', value }, ...more });

function service(name: string, ns: string, endpoints: { ip: string; port: number }[]): void {
  create({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { clusterIP: '127.2.1.1', ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
  create({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${name}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: endpoints.length ? [{ name: 'http', port: endpoints[0]!.port, protocol: 'TCP' }] : [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: true } })),
  });
}

function listenOn(srv: net.Server, ip = '127.0.0.1'): Promise<number> {
  return new Promise((resolve) =>
    srv.listen(0, ip, () => {
      closers.push(() => srv.close());
      resolve((srv.address() as net.AddressInfo).port);
    }),
  );
}

let upPort = 0;
let hangPort = 0;
let closedPort = 0;

beforeAll(async () => {
  ca = await createCA();
  // one second per object, so creation order is visible in creationTimestamp (the age tie-break)
  let clock = Date.UTC(2026, 0, 1);
  ({ store, registry, mgr } = controlPlane(ca, { now: () => (clock += 1000) }));
  for (const n of ['infra', 'app', 'other']) create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n, labels: { 'kubernetes.io/metadata.name': n } } });
  const kp = await issue({ commonName: '*.gw.test', dnsNames: ['*.gw.test'], issuer: ca });
  create({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'gw-tls', namespace: 'infra' }, data: { 'tls.crt': Buffer.from(kp.certPem).toString('base64'), 'tls.key': Buffer.from(kp.keyPem).toString('base64') } });
  create({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'infra' },
    spec: {
      gatewayClassName: 'eg',
      listeners: [
        { name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } },
        { name: 'https', protocol: 'HTTPS', port: 443, hostname: '*.gw.test', allowedRoutes: { namespaces: { from: 'All' } }, tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'gw-tls' }] } },
        { name: 'same-only', protocol: 'HTTP', port: 8080, allowedRoutes: { namespaces: { from: 'Same' } } },
      ],
    },
  });

  // upstreams
  upPort = await listenOn(http.createServer((req, res) => res.end(`${req.headers.host} ${req.url} xff=${req.headers['x-forwarded-for']} proto=${req.headers['x-forwarded-proto']}`)));
  hangPort = await listenOn(http.createServer(() => {}));
  const closed = net.createServer();
  closedPort = await listenOn(closed);
  closed.close();
  for (const s of ['root', 'api', 'exact', 'regex', 'post', 'canary', 'query', 'newer', 'wild', 'catch', 'section', 'unaccepted']) service(s, 'app', [{ ip: '127.0.0.1', port: upPort }]);
  service('nobody', 'app', []);
  service('refused', 'app', [{ ip: '127.0.0.1', port: closedPort }]);
  service('slow', 'app', [{ ip: '127.0.0.1', port: hangPort }]);
  service('remote', 'other', [{ ip: '127.0.0.1', port: upPort }]);

  route('r-old', {
    hostnames: ['a.gw.test'],
    rules: [
      rule(prefix('/')),
      rule(prefix('/api'), 'api'),
      rule({ path: { type: 'Exact', value: '/api/exact' } }, 'exact'),
      rule({ path: { type: 'RegularExpression', value: '/api/v[0-9]+/.*' } }, 'regex'),
      rule(prefix('/api', { method: 'POST' }), 'post'),
      rule(prefix('/api', { headers: [{ name: 'X-Canary', value: 'yes' }] }), 'canary'),
      rule(prefix('/api', { queryParams: [{ name: 'v', value: '2' }] }), 'query'),
    ],
  });
  route('r-new', { hostnames: ['a.gw.test'], rules: [rule(prefix('/api'), 'newer')] });
  route('r-wild', { hostnames: ['*.gw.test'], rules: [rule(prefix('/'), 'wild')] });
  route('r-none', { rules: [rule(prefix('/'), 'catch')] });
  route('r-unaccepted', { hostnames: ['a.gw.test'], rules: [rule({ path: { type: 'Exact', value: '/api' } }, 'unaccepted')] }, false);
  route('r-section', { hostnames: ['s.gw.test'], rules: [rule(prefix('/'), 'section')] }, true, { ...GW, sectionName: 'https' });
  route('r-faults', {
    hostnames: ['faults.test'],
    rules: [
      { matches: [prefix('/unresolved')], backendRefs: [ref('remote', { namespace: 'other' })] },
      { matches: [prefix('/missing')], backendRefs: [ref('does-not-exist')] },
      { matches: [prefix('/empty')], backendRefs: [ref('nobody')] },
      { matches: [prefix('/refused')], backendRefs: [ref('refused')] },
      { matches: [prefix('/slow')], backendRefs: [ref('slow')], timeouts: { request: '300ms' } },
      { matches: [prefix('/weights')], backendRefs: [ref('api', { weight: 1 }), ref('wild', { weight: 0 })] },
      { matches: [prefix('/redirect')], filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
      { matches: [prefix('/rewrite')], filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } } }], backendRefs: [ref('api')] },
    ],
  });

  proxyPod = create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'envoy-infra-gw-12345678-abcde-fghij',
      namespace: 'envoy-gateway-system',
      labels: { 'app.kubernetes.io/name': 'envoy', 'gateway.envoyproxy.io/owning-gateway-name': 'gw', 'gateway.envoyproxy.io/owning-gateway-namespace': 'infra' },
    },
    spec: { containers: [{ name: 'envoy', image: 'envoy', ports: [{ containerPort: 10080 }, { containerPort: 10443 }] }] },
    status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] },
  });
});

afterAll(() => {
  while (closers.length) closers.pop()!();
  mgr?.stop();
});

describe('Gateway API host and path helpers', () => {
  it('matches hostnames with Gateway API wildcards and intersects listener and route hostnames', () => {
    expect(gatewayHostMatches('*.gw.test', 'a.gw.test')).toBe(true);
    expect(gatewayHostMatches('*.gw.test', 'a.b.gw.test')).toBe(true);
    expect(gatewayHostMatches('*.gw.test', 'gw.test')).toBe(false);
    expect(intersectHostnames('*.gw.test', 'a.gw.test')).toBe('a.gw.test');
    expect(intersectHostnames('a.gw.test', '*.gw.test')).toBe('a.gw.test');
    expect(intersectHostnames('*.gw.test', '*.a.gw.test')).toBe('*.a.gw.test');
    expect(intersectHostnames('*.gw.test', 'other.test')).toBeUndefined();
    expect(intersectHostnames(undefined, undefined)).toBe('*');
  });

  it('matches PathPrefix element-wise', () => {
    expect(pathPrefixMatches('/api', '/api')).toBe(true);
    expect(pathPrefixMatches('/api/', '/api/x')).toBe(true);
    expect(pathPrefixMatches('/api', '/apix')).toBe(false);
    expect(pathPrefixMatches('/', '/anything')).toBe(true);
  });
});

describe('HTTPRoute precedence', () => {
  const pick = (host: string, method: string, target: string, headers: Record<string, string> = {}, port = 10080) => {
    const table = buildGatewayTable(mgr.ctx, 'infra', 'gw');
    const [p, q] = target.split('?');
    const e = selectRoute(pickListener(table, port, host, port === 10443 ? 'HTTPS' : 'HTTP'), host, { method, path: p!, query: q ?? '', headers });
    return e?.backends[0]?.service?.name ?? (e ? 'invalid' : 'none');
  };

  it('orders Exact, RegularExpression, longest PathPrefix, then method, headers and query matches', () => {
    expect(pick('a.gw.test', 'GET', '/api/exact')).toBe('exact');
    expect(pick('a.gw.test', 'GET', '/api/v2/items')).toBe('regex');
    expect(pick('a.gw.test', 'POST', '/api/items')).toBe('post');
    expect(pick('a.gw.test', 'GET', '/api/items', { 'x-canary': 'yes' })).toBe('canary');
    expect(pick('a.gw.test', 'GET', '/api/items?v=2')).toBe('query');
    expect(pick('a.gw.test', 'GET', '/api/items')).toBe('api');
    expect(pick('a.gw.test', 'GET', '/apix')).toBe('root');
  });

  it('breaks ties by route age and attaches only routes Accepted for this parent', () => {
    expect(pick('a.gw.test', 'GET', '/api')).toBe('api'); // not the newer route, not the unaccepted Exact
  });

  it('prefers the exact hostname, then the wildcard, then routes without hostnames', () => {
    expect(pick('b.gw.test', 'GET', '/')).toBe('wild');
    expect(pick('elsewhere.test', 'GET', '/')).toBe('catch');
    expect(pick('s.gw.test', 'GET', '/')).toBe('wild');
    expect(pick('s.gw.test', 'GET', '/', {}, 10443)).toBe('section');
  });

  it('names routes and clusters as Envoy Gateway does', () => {
    const table = buildGatewayTable(mgr.ctx, 'infra', 'gw');
    const e = selectRoute(pickListener(table, 10080, 'a.gw.test', 'HTTP'), 'a.gw.test', { method: 'GET', path: '/api/x', query: '', headers: {} })!;
    expect(e.routeName).toBe('httproute/app/r-old/rule/1/match/0/a_gw_test');
    expect(e.cluster).toBe('httproute/app/r-old/rule/1');
    // a Same-namespace listener does not take routes from app
    expect(table.listeners.find((l) => l.listener.name === 'same-only')!.vhosts).toEqual([]);
  });

  it('leaves cross-namespace backendRefs unresolved until a ReferenceGrant permits them', () => {
    expect(pick('faults.test', 'GET', '/unresolved')).toBe('invalid');
    expect(pick('faults.test', 'GET', '/missing')).toBe('invalid');
    create({
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'allow-app', namespace: 'other' },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'app' }], to: [{ group: '', kind: 'Service' }] },
    });
    expect(pick('faults.test', 'GET', '/unresolved')).toBe('remote');
    store.remove(registry.type('gateway.networking.k8s.io', 'referencegrants'), 'other', 'allow-app');
  });
});

describe('Envoy access log', () => {
  const doc = join(FIXTURES, 'envoy-gateway-proxy-accesslog.md');
  it.skipIf(!existsSync(doc))("has exactly the default format's fields, sorted, with Envoy's value types", () => {
    const text = readFileSync(doc, 'utf8');
    const block = /## Default Access Log[\s\S]*?```json\n([\s\S]*?)```/.exec(text)![1]!;
    const keys = Object.keys(JSON.parse(block)).sort();
    const line = formatEnvoyAccessLine({
      start: new Date('2025-03-08T02:25:32.588Z'),
      method: 'GET',
      path: '/get',
      protocol: 'HTTP/1.1',
      responseCode: 500,
      responseFlags: '-',
      responseCodeDetails: 'direct_response',
      bytesReceived: 0,
      bytesSent: 0,
      durationMs: 0,
      xForwardedFor: '192.168.65.4',
      userAgent: 'curl/8.7.1',
      requestId: '54c4c2f9-d209-4aa0-8870-342bc6622d1a',
      authority: 'www.example.com',
      downstreamLocalAddress: '10.1.21.65:10080',
      downstreamRemoteAddress: '192.168.65.4:45050',
      routeName: 'httproute/default/backend/rule/0/match/0/www_example_com',
    });
    const j = JSON.parse(line);
    expect(Object.keys(j)).toEqual(keys);
    // the troubleshooting guide's sample of this very request
    const sample = /grep start_time \| jq\n```\n\n```console\n([\s\S]*?)```/.exec(readFileSync(join(FIXTURES, 'envoy-gateway-troubleshooting-configuration.md'), 'utf8'))![1]!;
    expect(j).toEqual(JSON.parse(sample));
  });
});

describe('Envoy proxy over real sockets', () => {
  let port10080 = 0;
  let port10443 = 0;
  const log = () => mgr.ctx.logs.current(proxyPod.metadata.uid!, 'envoy').snapshot().map((l) => JSON.parse(l.text));

  beforeAll(async () => {
    const provider = envoyProxyProvider(mgr.ctx, { policy: () => true, connectFrom: (local, host, p) => net.connect({ host, port: p, localAddress: local }) });
    closers.push(() => provider.close());
    expect(provider.claims(proxyPod)).toBe(true);
    port10080 = await listenOn(net.createServer((s) => provider.connection(proxyPod, 10080, s)));
    port10443 = await listenOn(net.createServer((s) => provider.connection(proxyPod, 10443, s)));
  });

  const get = (host: string, target: string) =>
    new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: port10080, path: target, headers: { host, 'user-agent': 'curl/8.5.0' }, agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: b, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });

  it('proxies with x-forwarded-for and logs via_upstream', async () => {
    const r = await get('a.gw.test', '/api/orders?id=1');
    expect(r.status).toBe(200);
    expect(r.body).toBe('a.gw.test /api/orders?id=1 xff=127.0.0.1 proto=http');
    expect(log().at(-1)).toMatchObject({
      response_code: 200,
      response_flags: '-',
      response_code_details: 'via_upstream',
      upstream_host: `127.0.0.1:${upPort}`,
      upstream_cluster: 'httproute/app/r-old/rule/1',
      route_name: 'httproute/app/r-old/rule/1/match/0/a_gw_test',
      'x-envoy-origin-path': '/api/orders?id=1',
      ':authority': 'a.gw.test',
      bytes_sent: Buffer.byteLength(r.body),
      requested_server_name: null,
    });
  });

  it('answers 500 direct_response for an unresolved backendRef', async () => {
    const r = await get('faults.test', '/unresolved');
    expect(r.status).toBe(500);
    expect(r.headers['content-length']).toBe('0');
    expect(log().at(-1)).toMatchObject({ response_code: 500, response_code_details: 'direct_response', response_flags: '-', upstream_cluster: null, upstream_host: null });
  });

  it('answers 503 no healthy upstream (UH) without ready endpoints', async () => {
    const r = await get('faults.test', '/empty');
    expect(r.status).toBe(503);
    expect(r.body).toBe('no healthy upstream');
    expect(log().at(-1)).toMatchObject({ response_code: 503, response_flags: 'UH', response_code_details: 'no_healthy_upstream', upstream_cluster: 'httproute/app/r-faults/rule/2' });
  });

  it('answers 503 upstream connect error (UF) on connection refused', async () => {
    const r = await get('faults.test', '/refused');
    expect(r.status).toBe(503);
    expect(r.body).toBe('upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused');
    expect(log().at(-1)).toMatchObject({
      response_code: 503,
      response_flags: 'UF',
      response_code_details: 'upstream_reset_before_response_started{remote_connection_failure|delayed_connect_error:_Connection_refused}',
      upstream_transport_failure_reason: 'delayed connect error: Connection refused',
      upstream_host: `127.0.0.1:${closedPort}`,
    });
  });

  it('answers 504 upstream request timeout (UT) after the route timeout', async () => {
    const t0 = Date.now();
    const r = await get('faults.test', '/slow');
    expect(r.status).toBe(504);
    expect(r.body).toBe('upstream request timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(log().at(-1)).toMatchObject({ response_code: 504, response_flags: 'UT', response_code_details: 'upstream_response_timeout' });
  });

  it('answers 404 NR without a route, honours weights, redirects and rewrites', async () => {
    expect((await get('faults.test', '/nothing')).status).toBe(404);
    expect(log().at(-1)).toMatchObject({ response_code: 404, response_flags: 'NR', response_code_details: 'route_not_found', route_name: null });
    for (let i = 0; i < 5; i++) {
      await get('faults.test', '/weights');
      expect(log().at(-1).upstream_cluster).toBe('httproute/app/r-faults/rule/5');
    }
    const red = await get('faults.test', '/redirect/x?y=1');
    expect(red.status).toBe(301);
    expect(red.headers.location).toBe('https://faults.test/redirect/x?y=1');
    const rw = await get('faults.test', '/rewrite/items');
    expect(rw.body).toMatch(/^faults\.test \/v2\/items /);
  });

  it('selects the HTTPS listener by SNI and presents its certificate', async () => {
    const hello = (servername: string) =>
      new Promise<{ cert?: tls.PeerCertificate; error?: string; body?: string }>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: port10443, servername, ca: ca.certPem }, () => {
          const cert = s.getPeerCertificate();
          s.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
          let b = '';
          s.on('data', (d) => (b += d));
          s.on('end', () => resolve({ cert, body: b }));
        });
        s.on('error', (e) => resolve({ error: e.message }));
      });
    const ok = await hello('s.gw.test');
    expect(ok.error).toBeUndefined();
    expect(ok.cert?.subjectaltname).toBe('DNS:*.gw.test');
    expect(ok.body).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(ok.body).toContain('s.gw.test / xff=127.0.0.1 proto=https');
    expect(log().at(-1)).toMatchObject({ requested_server_name: 's.gw.test', upstream_cluster: 'httproute/app/r-section/rule/0' });
    const bad = await hello('nope.example.test');
    expect(bad.error).toBeDefined();
  });
});

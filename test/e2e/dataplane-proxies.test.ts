// The lab's DNS, ingress-nginx and Envoy Gateway proxies end to end, with real clients (node:dns, curl, undici,
// node:tls) against the demo scenario. The pieces are started directly: a small harness accepts on the controller
// and proxy pod IPs and hands sockets to the providers, and the demo's pods get tiny HTTP servers on their IPs
// (when the lab's own data plane already serves an address, the harness leaves it alone and uses that one).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Resolver } from 'node:dns/promises';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { Agent, request } from 'undici';
import { Lab } from '../../src/lab/lab.ts';
import type { KObject } from '../../src/lab/types.ts';
import { startDns } from '../../src/lab/dataplane/dns.ts';
import { ingressNginxProvider } from '../../src/lab/dataplane/proxies/ingress-nginx.ts';
import { envoyProxyProvider } from '../../src/lab/dataplane/proxies/envoy.ts';
import type { PodServerProvider } from '../../src/lab/dataplane/types.ts';

const UPSTREAMINFO =
  /^(\S+) - (\S+) \[(\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+) (\d+\.\d{3}) \[([^\]]*)\] \[([^\]]*)\] (.+?) (\S+(?:, \S+)*) (\S+(?:, \S+)*) (\S+(?:, \S+)*) ([0-9a-f]{32})$/;

let lab: Lab;
let dns: Awaited<ReturnType<typeof startDns>>;
let nginx: ReturnType<typeof ingressNginxProvider>;
let envoy: ReturnType<typeof envoyProxyProvider>;
let tmp: string;
let caFile: string;
const servers: net.Server[] = [];
const T = (g: string, p: string) => lab.registry.type(g, p);

async function eventually<T>(fn: () => T | undefined | false | null, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Where the harness really listens for a pod's ip:port: the port itself when free, else a random port on the same
 * IP (another lab on this machine may hold the same pod IPs: they are allocated the same way in every lab).
 */
const bound = new Map<string, number>();
const at = (ip: string, port: number) => bound.get(`${ip}:${port}`) ?? port;

function listen(ip: string, port: number, onConn: (s: net.Socket) => void): Promise<void> {
  const attempt = (p: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer({ noDelay: true }, (s) => {
        s.on('error', () => {});
        onConn(s);
      });
      srv.once('error', (e: any) => (e.code === 'EADDRINUSE' && p !== 0 ? attempt(0).then(resolve, reject) : reject(e)));
      srv.listen(p, ip, () => {
        servers.push(srv);
        bound.set(`${ip}:${port}`, (srv.address() as net.AddressInfo).port);
        resolve();
      });
    });
  return attempt(port);
}

/** The data plane's connectFrom, reaching the harness's pod servers wherever they listen. */
function connectFrom(localAddress: string, host: string, port: number): net.Socket {
  return net.connect({ host, port: at(host, port), localAddress });
}

const running = (p: KObject) => p.status?.phase === 'Running' && !!p.status?.podIP;
const pods = (ns: string) => lab.store.list(T('', 'pods'), ns).filter(running);

async function servePods(provider: PodServerProvider, list: KObject[]): Promise<void> {
  for (const pod of list) {
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) await listen(pod.status.podIP, p.containerPort, (s) => provider.connection(pod, p.containerPort, s));
    }
  }
}

/** The demo's application pods: `<pod name>\n` on every container port. */
async function serveApps(ns: string): Promise<void> {
  for (const pod of pods(ns)) {
    for (const c of pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        const h = http.createServer((req, res) => {
          req.resume();
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-pod': pod.metadata.name! });
          res.end(`${pod.metadata.name}\n`);
        });
        await listen(pod.status.podIP, p.containerPort, (s) => h.emit('connection', s));
      }
    }
  }
}

/** curl's --connect-to for a pod port (host:port → the harness's listener). */
const connectTo = (host: string, port: number, ip: string) => ['--connect-to', `${host}:${port}:${ip}:${at(ip, port)}`];

function logOf(pod: KObject, container: string): string[] {
  return lab.logs.current(pod.metadata.uid!, container).snapshot().map((l) => l.text);
}

async function curl(args: string[]): Promise<{ code: number; body: string; stderr: string }> {
  const r = await execa('curl', ['-sS', '-o', '-', '-w', '\n%{http_code}', '--max-time', '20', ...args], { reject: false });
  const out = String(r.stdout);
  const i = out.lastIndexOf('\n');
  return { code: Number(out.slice(i + 1)), body: out.slice(0, i), stderr: String(r.stderr) };
}

function peerCertificate(ip: string, port: number, servername?: string): Promise<{ cert: tls.PeerCertificate; authorized: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: ip, port: at(ip, port), ...(servername ? { servername } : {}), ca: lab.ca.certPem, rejectUnauthorized: false }, () => {
      resolve({ cert: s.getPeerCertificate(true), authorized: s.authorized, error: s.authorizationError ? String(s.authorizationError) : undefined });
      s.end();
    });
    s.on('error', reject);
  });
}

beforeAll(async () => {
  // this file drives DNS and the proxies through its own harness
  lab = await Lab.start({ scenarios: ['demo'], dataplane: false });
  const ctx = lab.controllers.ctx;
  tmp = mkdtempSync(join(tmpdir(), 'netpath-dp-'));
  caFile = join(tmp, 'ca.crt');
  writeFileSync(caFile, lab.ca.certPem);
  dns = await startDns(ctx);
  const deps = { policy: () => true, connectFrom };
  nginx = ingressNginxProvider(ctx, deps);
  envoy = envoyProxyProvider(ctx, deps);

  await eventually(() => pods('ingress-nginx').length >= 2 && pods('ingress-nginx'), 20_000, 'ingress-nginx controllers running');
  // the proxy Deployment rolls once the HTTPS listener's certificate is issued: wait for the pod serving 10443
  const serves10443 = (p: KObject) => envoy.claims(p) && (p.spec?.containers ?? []).some((c: any) => (c.ports ?? []).some((x: any) => x.containerPort === 10443));
  await eventually(() => pods('envoy-gateway-system').filter((p) => envoy.claims(p)).every(serves10443) && pods('envoy-gateway-system').some(serves10443), 20_000, 'envoy proxy running');
  await eventually(() => pods('shop').length >= 5, 20_000, 'shop pods running');
  await eventually(() => lab.store.get(T('networking.k8s.io', 'ingresses'), 'shop', 'shop')?.status?.loadBalancer?.ingress?.[0]?.ip, 20_000, 'Ingress address');
  await eventually(() => {
    const slices = lab.store.list(T('discovery.k8s.io', 'endpointslices'), 'shop');
    return slices.filter((s) => (s.endpoints ?? []).some((e: any) => e.conditions?.ready)).length >= 2;
  }, 20_000, 'ready endpoints');

  await servePods(nginx, pods('ingress-nginx').filter((p) => nginx.claims(p)));
  await servePods(envoy, pods('envoy-gateway-system').filter((p) => envoy.claims(p)));
  await serveApps('shop');
}, 60_000);

afterAll(async () => {
  nginx?.close();
  envoy?.close();
  for (const s of servers) s.close();
  await dns?.stop();
  await lab?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('lab DNS', () => {
  it('answers published names, cluster names and NXDOMAIN on both resolvers', async () => {
    const lbIP = lab.store.get(T('networking.k8s.io', 'ingresses'), 'shop', 'shop')!.status.loadBalancer.ingress[0].ip;
    expect(dns.resolvers).toHaveLength(2);
    expect(dns.resolver).toBe(dns.resolvers[0]);
    for (const server of dns.resolvers) {
      const r = new Resolver({ timeout: 2000, tries: 1 });
      r.setServers([server]);
      expect(await r.resolve4('shop.netpath.test')).toEqual([lbIP]);
      await expect(r.resolve4('nothing-here.netpath.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    }
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers([dns.resolver]);
    const web = lab.store.get(T('', 'services'), 'shop', 'web')!;
    await eventually(() => lab.store.list(T('discovery.k8s.io', 'endpointslices'), 'kube-system').some((s) => (s.endpoints ?? []).some((e: any) => e.conditions?.ready)), 20_000, 'CoreDNS ready');
    expect(await r.resolve4('web.shop.svc.cluster.local')).toEqual([web.spec.clusterIP]);
    const gw = lab.store.get(T('gateway.networking.k8s.io', 'gateways'), 'gateway-system', 'public')!;
    const gwIP = gw.status?.addresses?.[0]?.value;
    if (gwIP) expect(await r.resolve4('shop-gw.netpath.test')).toEqual([gwIP]);
  });

  it('serves a DNSRecord only from the resolvers it names', async () => {
    lab.api.applyObject({
      apiVersion: 'lab.netpath.dev/v1',
      kind: 'DNSRecord',
      metadata: { name: 'split.netpath.test' },
      spec: { name: 'split.netpath.test', type: 'A', values: ['127.0.10.99'], ttl: 60, resolvers: ['secondary'] },
    });
    const [primary, secondary] = dns.resolvers.map((s) => {
      const r = new Resolver({ timeout: 2000, tries: 1 });
      r.setServers([s]);
      return r;
    });
    await expect(primary!.resolve4('split.netpath.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(await secondary!.resolve4('split.netpath.test', { ttl: true })).toEqual([{ address: '127.0.10.99', ttl: 60 }]);
  });
});

describe('ingress-nginx proxy', () => {
  const controller = () => pods('ingress-nginx').filter((p) => nginx.claims(p))[0]!;

  it('serves https://shop.netpath.test with the lab-issued certificate and logs the request', async () => {
    const ip = controller().status.podIP;
    const r = await curl(['--cacert', caFile, ...connectTo('shop.netpath.test', 443, ip), '-H', 'X-Request-ID: 0123456789abcdef0123456789abcdef', 'https://shop.netpath.test/']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(200);
    expect(r.body).toMatch(/^web-/);

    const { cert, authorized } = await peerCertificate(ip, 443, 'shop.netpath.test');
    expect(authorized).toBe(true);
    expect(cert.subjectaltname).toContain('DNS:shop.netpath.test');
    expect(cert.issuer.CN).toBe(lab.ca.cert.subject.replace(/^.*CN=([^,]+).*$/, '$1'));

    const line = await eventually(() => logOf(controller(), 'controller').find((l) => l.endsWith(' 0123456789abcdef0123456789abcdef')), 5000, 'access line');
    const m = UPSTREAMINFO.exec(line)!;
    expect(m, line).toBeTruthy();
    expect(m[4]).toBe('GET / HTTP/1.1');
    expect(m[5]).toBe('200');
    expect(m[8]).toMatch(/^curl\//);
    expect(m[11]).toBe('shop-web-80');
    expect(m[12]).toBe('');
    expect(m[13]).toMatch(/^127\.1\.\d+\.\d+:8080$/);
    expect(m[16]).toBe('200');
  });

  it('routes /api to the api Service and redirects plain HTTP to HTTPS', async () => {
    const ip = controller().status.podIP;
    const api = await curl(['-k', ...connectTo('shop.netpath.test', 443, ip), 'https://shop.netpath.test/api/orders']);
    expect(api.code).toBe(200);
    expect(api.body).toMatch(/^api-/);
    const plain = await curl(['-D', '-', ...connectTo('shop.netpath.test', 80, ip), 'http://shop.netpath.test/cart?x=1']);
    expect(plain.code).toBe(308);
    expect(plain.body).toMatch(/Location: https:\/\/shop\.netpath\.test\/cart\?x=1/i);
  });

  it('answers 404 from the default backend for a host no rule matches, with the fake certificate over TLS', async () => {
    const ip = controller().status.podIP;
    const r = await curl(['-H', 'Host: nobody.netpath.test', `http://${ip}:${at(ip, 80)}/`]);
    expect(r.code).toBe(404);
    expect(r.body).toContain('<center><h1>404 Not Found</h1></center>');
    const line = await eventually(() => logOf(controller(), 'controller').findLast((l) => l.includes('[upstream-default-backend]')), 5000, '404 line');
    const m = UPSTREAMINFO.exec(line)!;
    expect(m[5]).toBe('404');
    expect(m[13]).toBe('127.0.0.1:8181');
    expect(m[16]).toBe('404');

    const { cert } = await peerCertificate(ip, 443, 'nobody.netpath.test');
    expect(cert.subject.CN).toBe('Kubernetes Ingress Controller Fake Certificate');
    expect(cert.subject.O).toBe('Acme Co');
  });

  it('answers 503 for a backend without endpoints and 502 when every endpoint refuses', async () => {
    const ip = controller().status.podIP;
    lab.api.applyObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: 'shop' }, spec: { selector: { app: 'nothing' }, ports: [{ port: 80, targetPort: 8080 }] } });
    lab.api.applyObject({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'wrongport', namespace: 'shop' },
      spec: { selector: { app: 'shop', component: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8081 }] },
    });
    lab.api.applyObject({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'faults', namespace: 'shop' },
      spec: {
        ingressClassName: 'nginx',
        rules: [
          { host: 'empty.netpath.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'empty', port: { number: 80 } } } }] } },
          { host: 'refused.netpath.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'wrongport', port: { number: 80 } } } }] } },
        ],
      },
    });
    await eventually(() => lab.store.list(T('discovery.k8s.io', 'endpointslices'), 'shop').some((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'wrongport' && s.endpoints?.length), 10_000, 'wrongport slice');

    const e = await curl(['-H', 'Host: empty.netpath.test', `http://${ip}:${at(ip, 80)}/`]);
    expect(e.code).toBe(503);
    expect(e.body).toContain('503 Service Temporarily Unavailable');
    const l503 = logOf(controller(), 'controller').findLast((l) => l.includes('[shop-empty-80]'))!;
    expect(l503).toMatch(/ 503 \d+ .* \[shop-empty-80\] \[\] - - - - [0-9a-f]{32}$/);
    await eventually(() => logOf(controller(), 'controller').some((l) => /^W\d{4} .*\] Service "shop\/empty" does not have any active Endpoint\.$/.test(l)), 5000, 'klog warning');

    const r = await curl(['-H', 'Host: refused.netpath.test', `http://${ip}:${at(ip, 80)}/x`]);
    expect(r.code).toBe(502);
    const lines = logOf(controller(), 'controller');
    const access = lines.findLast((l) => l.includes('[shop-wrongport-80]'))!;
    const m = UPSTREAMINFO.exec(access)!;
    expect(m[5]).toBe('502');
    expect(m[13]!.split(', ')).toHaveLength(3);
    expect(m[14]).toBe('0, 0, 0');
    expect(m[16]).toBe('502, 502, 502');
    const err = lines.filter((l) => l.includes('connect() failed (111: Connection refused) while connecting to upstream'));
    expect(err.length).toBeGreaterThanOrEqual(3);
    expect(err.at(-1)).toMatch(
      /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[error\] (\d+)#\1: \*\d+ connect\(\) failed \(111: Connection refused\) while connecting to upstream, client: 127\.0\.0\.1, server: refused\.netpath\.test, request: "GET \/x HTTP\/1\.1", upstream: "http:\/\/127\.1\.\d+\.\d+:8081\/x", host: "refused\.netpath\.test"$/,
    );
  });

  it('carries undici requests sent to the Ingress host with SNI and Host', async () => {
    const ip = controller().status.podIP;
    const agent = new Agent({
      connect: {
        ca: lab.ca.certPem,
        lookup: (_h: string, o: any, cb: any) => (o?.all ? cb(null, [{ address: ip, family: 4 }]) : cb(null, ip, 4)),
      },
    });
    try {
      const r = await request(`https://shop.netpath.test:${at(ip, 443)}/`, { dispatcher: agent });
      expect(r.statusCode).toBe(200);
      expect(r.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      expect(await r.body.text()).toMatch(/^web-/);
    } finally {
      await agent.close();
    }
  });
});

describe('Envoy Gateway proxy', () => {
  const proxy = () => pods('envoy-gateway-system').filter((p) => envoy.claims(p) && (p.spec?.containers ?? []).some((c: any) => (c.ports ?? []).some((x: any) => x.containerPort === 10443)))[0]!;

  it('serves https://shop-gw.netpath.test on the listener port and writes the JSON access log', async () => {
    const ip = proxy().status.podIP;
    const r = await curl(['--cacert', caFile, ...connectTo('shop-gw.netpath.test', 10443, ip), 'https://shop-gw.netpath.test:10443/api/items']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(200);
    expect(r.body).toMatch(/^api-/);
    const line = await eventually(() => logOf(proxy(), 'envoy').findLast((l) => l.startsWith('{') && l.includes('/api/items')), 5000, 'envoy access line');
    const j = JSON.parse(line);
    expect(Object.keys(j)).toEqual([...Object.keys(j)].sort());
    expect(j).toMatchObject({
      ':authority': 'shop-gw.netpath.test:10443',
      method: 'GET',
      protocol: 'HTTP/1.1',
      response_code: 200,
      response_flags: '-',
      response_code_details: 'via_upstream',
      requested_server_name: 'shop-gw.netpath.test',
      route_name: 'httproute/shop/shop/rule/0/match/0/shop-gw_netpath_test',
      upstream_cluster: 'httproute/shop/shop/rule/0',
      'x-envoy-origin-path': '/api/items',
      'x-envoy-upstream-service-time': null,
    });
    expect(j.upstream_host).toMatch(/^127\.1\.\d+\.\d+:9090$/);
    expect(j.downstream_local_address).toBe(`${ip}:${at(ip, 10443)}`);
    expect(j.upstream_local_address).toMatch(new RegExp(`^${ip.replaceAll('.', '\\.')}:\\d+$`));
  });

  it('answers 404 (NR) for a host no HTTPRoute serves', async () => {
    const ip = proxy().status.podIP;
    const r = await curl(['-H', 'Host: unrouted.netpath.test', `http://${ip}:${at(ip, 10080)}/`]);
    expect(r.code).toBe(404);
    const j = JSON.parse(logOf(proxy(), 'envoy').findLast((l) => l.includes('unrouted.netpath.test'))!);
    expect(j).toMatchObject({ response_code: 404, response_flags: 'NR', response_code_details: 'route_not_found', route_name: null, upstream_cluster: null });
  });
});

// The ingress-nginx proxy: host/path precedence as ingress-nginx renders it, the log formats against real
// ingress-nginx lines, and the failure modes (timeouts, TLS-speaking upstreams, retries) over real sockets.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { type CertificateAuthority, createCA, issue } from '../../../../src/lab/pki.ts';
import type { IngressControllerArgs } from '../../../../src/lab/controllers/ingress.ts';
import type { KObject } from '../../../../src/lab/types.ts';
import { controlPlane } from './control-plane.ts';
import {
  type AccessRecord,
  buildIngressConfig,
  controllerFlags,
  formatAccessLine,
  formatErrorLine,
  ingressNginxProvider,
  klogLine,
  routeRequest,
  type UpstreamAttempt,
} from '../../../../src/lab/dataplane/proxies/ingress-nginx.ts';
import { nginxErrorPage } from '../../../../src/lab/dataplane/proxies/common.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'fixtures', 'logs', 'ingress-nginx');
const ARGS: IngressControllerArgs = { controllerClass: 'k8s.io/ingress-nginx', ingressClass: 'nginx', ingressClassByName: false, watchIngressWithoutClass: false, updateStatus: true };
const FLAGS = { httpPort: 80, httpsPort: 443, healthzPort: 10254 };

let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await createCA();
});

function newCtx() {
  const { store, registry, logs, mgr } = controlPlane(ca);
  const create = (o: KObject) => store.create(registry.forKind(o.apiVersion, o.kind)!, structuredClone(o));
  create({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
  create({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'other' }, spec: { controller: 'example.com/other' } });
  return { store, registry, logs, mgr, ctx: mgr.ctx, create };
}

let age = 0;
function ingress(name: string, spec: any, annotations: Record<string, string> = {}, ns = 'app'): KObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns, annotations, creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, age++)).toISOString() },
    spec: { ingressClassName: 'nginx', ...spec },
  };
}
const be = (name: string, port: number | string = 80) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const path = (p: string, pathType: string, svc: string) => ({ path: p, pathType, backend: be(svc) });

describe('host and path precedence', () => {
  const { ctx, store, registry, create } = newCtx();
  // the store stamps creationTimestamp itself; keep the order by creating oldest first
  create(
    ingress('a-old', {
      rules: [
        {
          host: 'foo.test',
          http: { paths: [path('/api', 'Prefix', 'a'), path('/api/exact', 'Exact', 'b'), path('/img', 'ImplementationSpecific', 'c'), path('/', 'Prefix', 'root')] },
        },
      ],
    }),
  );
  const later = (o: KObject) => {
    const c = create(o);
    // make the later Ingress strictly newer than the first
    store.update(registry.type('networking.k8s.io', 'ingresses'), { ...c, metadata: { ...c.metadata } });
    return c;
  };
  later(ingress('b-new', { rules: [{ host: 'foo.test', http: { paths: [path('/api', 'Prefix', 'dup'), path('/api/v2/', 'Prefix', 'v2')] } }] }));
  create(ingress('wild', { rules: [{ host: '*.wild.test', http: { paths: [path('/', 'Prefix', 'w')] } }] }));
  create(ingress('nohost', { rules: [{ http: { paths: [path('/catch', 'Prefix', 'catch')] } }] }));
  create({ ...ingress('unclaimed', { rules: [{ host: 'foo.test', http: { paths: [path('/other', 'Prefix', 'other')] } }] }), spec: { ingressClassName: 'other', rules: [{ host: 'foo.test', http: { paths: [path('/other', 'Prefix', 'other')] } }] } });
  create(ingress('dflt', { defaultBackend: be('fallback') }));
  create(ingress('onlydefault-host', { defaultBackend: be('hostdefault'), rules: [{ host: 'bar.test', http: { paths: [path('/x', 'Exact', 'x')] } }] }));

  const cfg = buildIngressConfig(ctx, ARGS, FLAGS);
  const to = (host: string, p: string) => {
    const r = routeRequest(cfg, host, p);
    return r.backend.kind === 'service' ? r.backend.name : 'default-backend';
  };

  it('prefers an exact location, then the longest prefix, as nginx does with ingress-nginx locations', () => {
    expect(to('foo.test', '/api')).toBe('a');
    expect(to('foo.test', '/api/')).toBe('a');
    expect(to('foo.test', '/api/orders')).toBe('a');
    expect(to('foo.test', '/api/exact')).toBe('b');
    expect(to('foo.test', '/api/exact/')).toBe('a');
    expect(to('foo.test', '/')).toBe('root');
  });

  it('matches Prefix paths element-wise and ImplementationSpecific as a plain prefix', () => {
    expect(to('foo.test', '/apix')).toBe('root');
    expect(to('foo.test', '/img')).toBe('c');
    expect(to('foo.test', '/imgs/1.png')).toBe('c');
  });

  it('merges Ingresses for one host; the oldest wins a duplicate path; a trailing slash is ignored', () => {
    expect(to('foo.test', '/api/v2')).toBe('v2');
    expect(to('foo.test', '/api/v2/x')).toBe('v2');
    expect(to('foo.test', '/api/v2x')).toBe('a');
    expect(cfg.warnings.some((w) => w.msg.startsWith('Path /api already defined in another ingress'))).toBe(true);
  });

  it('ignores Ingresses of classes another controller owns', () => {
    expect(to('foo.test', '/other')).toBe('root');
  });

  it('matches a wildcard host on exactly one label; other hosts go to the catch-all server', () => {
    expect(to('x.wild.test', '/')).toBe('w');
    expect(to('a.b.wild.test', '/')).toBe('fallback');
    expect(to('wild.test', '/catch')).toBe('catch');
    expect(to('unknown.test', '/catch/1')).toBe('catch');
    expect(to('unknown.test', '/')).toBe('fallback');
  });

  it("sends a host's unmatched paths to its Ingress's defaultBackend", () => {
    expect(to('bar.test', '/x')).toBe('x');
    expect(to('bar.test', '/y')).toBe('hostdefault');
  });

  it('uses the default backend when nothing else applies', () => {
    const { ctx: c2, create: cr } = newCtx();
    cr(ingress('one', { rules: [{ host: 'only.test', http: { paths: [path('/a', 'Exact', 'a')] } }] }));
    const cfg2 = buildIngressConfig(c2, ARGS, FLAGS);
    expect(routeRequest(cfg2, 'only.test', '/b').backend).toEqual({ kind: 'default' });
    expect(routeRequest(cfg2, 'else.test', '/a').backend).toEqual({ kind: 'default' });
  });
});

describe('TLS servers', () => {
  it('marks hosts of Ingresses with a tls section and warns about missing Secrets', () => {
    const { ctx, create } = newCtx();
    create(ingress('t', { tls: [{ hosts: ['secure.test'], secretName: 'nope' }], rules: [{ host: 'secure.test', http: { paths: [path('/', 'Prefix', 'web')] } }] }));
    const cfg = buildIngressConfig(ctx, ARGS, FLAGS);
    const s = routeRequest(cfg, 'secure.test', '/').server;
    expect(s.tls).toBe(true);
    expect(s.secret).toBeUndefined();
    expect(cfg.warnings.map((w) => w.msg)).toContain('Error getting SSL certificate "app/nope": local SSL certificate app/nope was not found. Using default certificate');
  });
});

// ─── log formats ─────────────────────────────────────────────────────────────────────────────────────────

const HEAD = /^(\S+) - (\S+) \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) \+0000\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+) (\d+\.\d{3}) \[([^\]]*)\] \[([^\]]*)\] (.*)$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses a default-format (upstreaminfo) line into the record our formatter takes; undefined for other formats. */
function parseUpstreaminfo(line: string): AccessRecord | undefined {
  const m = HEAD.exec(line);
  if (!m) return undefined;
  const tokens = m[18]!.split(' ');
  const groups: string[] = [];
  for (const t of tokens) {
    if (groups.length && groups[groups.length - 1]!.endsWith(',')) groups[groups.length - 1] += ` ${t}`;
    else groups.push(t);
  }
  if (groups.length !== 5) return undefined;
  const [addrs, lens, times, statuses, reqId] = groups.map((g) => g.split(', ')) as string[][];
  const n = addrs!.length;
  if (addrs![0] === '-') {
    if (![lens, times, statuses].every((x) => x!.length === 1 && x![0] === '-')) return undefined;
  } else if (![lens, times, statuses].every((x) => x!.length === n)) return undefined;
  const attempts: UpstreamAttempt[] =
    addrs![0] === '-'
      ? []
      : addrs!.map((addr, i) => ({
          addr,
          length: lens![i] === '-' ? '-' : Number(lens![i]),
          timeMs: times![i] === '-' ? '-' : Number(times![i]) * 1000,
          status: statuses![i] === '-' ? '-' : Number(statuses![i]),
        }));
  return {
    remoteAddr: m[1]!,
    remoteUser: m[2] === '-' ? '' : m[2]!,
    time: new Date(Date.UTC(Number(m[5]), MONTHS.indexOf(m[4]!), Number(m[3]), Number(m[6]), Number(m[7]), Number(m[8]))),
    request: m[9]!,
    status: Number(m[10]),
    bodyBytesSent: Number(m[11]),
    referer: m[12] === '-' ? undefined : m[12],
    userAgent: m[13] === '-' ? undefined : m[13],
    requestLength: Number(m[14]),
    requestTimeMs: Number(m[15]) * 1000,
    upstreamName: m[16]!,
    alternativeUpstreamName: m[17]!,
    attempts,
    reqId: reqId![0]!,
  };
}

describe('access and error log lines', () => {
  const files = ['access-upstreaminfo-filebeat-test.log', 'access-and-klog-samples-datadog-pipeline-tests.log'].map((f) => join(FIXTURES, f));
  const have = files.every(existsSync);

  it.skipIf(!have)('reproduce real ingress-nginx upstreaminfo lines field by field', () => {
    let checked = 0;
    for (const f of files) {
      for (const line of readFileSync(f, 'utf8').split('\n')) {
        const rec = parseUpstreaminfo(line);
        if (!rec) continue;
        expect(formatAccessLine(rec)).toBe(line);
        checked++;
      }
    }
    // 200s, retries "a, b", the 503 no-endpoint shape "[ns-svc-port] [] - - - -", the 400 "[] [] - - - -"
    expect(checked).toBeGreaterThanOrEqual(25);
  });

  it('formats the lab cases in the same shape', () => {
    const base: AccessRecord = {
      remoteAddr: '127.0.0.1',
      remoteUser: '',
      time: new Date(Date.UTC(2026, 10, 27, 4, 12, 1)),
      request: 'GET / HTTP/1.1',
      status: 502,
      bodyBytesSent: 150,
      userAgent: 'curl/8.5.0',
      requestLength: 78,
      requestTimeMs: 2,
      upstreamName: 'shop-web-80',
      alternativeUpstreamName: '',
      attempts: [
        { addr: '127.1.1.5:8081', status: 502, length: 0, timeMs: 0 },
        { addr: '127.1.2.5:8081', status: 502, length: 0, timeMs: 1 },
        { addr: '127.1.1.5:8081', status: 502, length: 0, timeMs: 0 },
      ],
      reqId: '0123456789abcdef0123456789abcdef',
    };
    const line = formatAccessLine(base);
    expect(line).toBe(
      '127.0.0.1 - - [27/Nov/2026:04:12:01 +0000] "GET / HTTP/1.1" 502 150 "-" "curl/8.5.0" 78 0.002 [shop-web-80] [] 127.1.1.5:8081, 127.1.2.5:8081, 127.1.1.5:8081 0, 0, 0 0.000, 0.001, 0.000 502, 502, 502 0123456789abcdef0123456789abcdef',
    );
    expect(parseUpstreaminfo(line)).toEqual(base);
    expect(formatAccessLine({ ...base, status: 503, bodyBytesSent: 190, attempts: [] })).toContain('[shop-web-80] [] - - - - 0123456789abcdef0123456789abcdef');
    expect(formatAccessLine({ ...base, request: 'GET /"x HTTP/1.1', attempts: [] })).toContain('"GET /\\x22x HTTP/1.1"');
  });

  it('writes nginx error lines as nginx does', () => {
    const sample =
      '2017/09/26 14:36:50 [error] 8409#8409: *317058 "/usr/share/nginx/html/sql/sql-admin/index.html" is not found (2: No such file or directory), client: 217.92.148.44, server: localhost, request: "HEAD http://174.138.82.103:80/sql/sql-admin/ HTTP/1.1", host: "174.138.82.103"';
    expect(
      formatErrorLine({
        time: new Date(Date.UTC(2017, 8, 26, 14, 36, 50)),
        pid: 8409,
        connection: 317058,
        message: '"/usr/share/nginx/html/sql/sql-admin/index.html" is not found (2: No such file or directory)',
        client: '217.92.148.44',
        server: 'localhost',
        request: 'HEAD http://174.138.82.103:80/sql/sql-admin/ HTTP/1.1',
        host: '174.138.82.103',
      }),
    ).toBe(sample);
    expect(
      formatErrorLine({
        time: new Date(Date.UTC(2026, 10, 27, 4, 12, 1)),
        pid: 41,
        connection: 1234,
        message: 'connect() failed (111: Connection refused) while connecting to upstream',
        client: '127.0.0.1',
        server: 'host',
        request: 'GET / HTTP/1.1',
        upstream: 'http://127.1.1.5:8081/',
        host: 'host',
      }),
    ).toBe(
      '2026/11/27 04:12:01 [error] 41#41: *1234 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: host, request: "GET / HTTP/1.1", upstream: "http://127.1.1.5:8081/", host: "host"',
    );
  });

  it('writes klog lines in the controller shape', () => {
    const klog = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ [\w.-]+:\d+\] .+$/;
    expect('I1221 13:00:58.488494       7 controller.go:202] Initial sync, sleeping for 1 second.').toMatch(klog);
    const line = klogLine('W', 'controller.go:1216', 'Service "shop/web" does not have any active Endpoint.');
    expect(line).toMatch(klog);
    expect(line).toMatch(/^W\d{4} .{15}       7 controller\.go:1216\] Service "shop\/web" does not have any active Endpoint\.$/);
  });

  it("serves nginx's error pages with their real sizes", () => {
    expect(Buffer.byteLength(nginxErrorPage(404))).toBe(146);
    expect(Buffer.byteLength(nginxErrorPage(502))).toBe(150);
    expect(Buffer.byteLength(nginxErrorPage(503))).toBe(190);
    expect(Buffer.byteLength(nginxErrorPage(504))).toBe(160);
    expect(Buffer.byteLength(nginxErrorPage(404, 'Mozilla/5.0 (X11) AppleWebKit/537.36 Chrome/131.0.0.0 Safari/537.36'))).toBe(548);
  });
});

// ─── the proxy over real sockets ─────────────────────────────────────────────────────────────────────────

describe('ingress-nginx proxy failure modes', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    while (closers.length) closers.pop()!();
  });
  afterAll(() => {
    while (closers.length) closers.pop()!();
  });

  function listen(srv: net.Server, ip = '127.0.0.1'): Promise<number> {
    return new Promise((resolve) => srv.listen(0, ip, () => {
      closers.push(() => srv.close());
      resolve((srv.address() as net.AddressInfo).port);
    }));
  }

  async function setup(annotations: Record<string, string>, upstream: net.Server, upstreamIP = '127.0.0.1', opts: { policy?: (pod: KObject) => boolean; tls?: boolean } = {}) {
    const lab = newCtx();
    const { create, ctx } = lab;
    const port = await listen(upstream, upstreamIP);
    create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    const ctrl = create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ingress-nginx-controller-x', namespace: 'ingress-nginx' },
      spec: { containers: [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.15.1', args: ['/nginx-ingress-controller', '--ingress-class=nginx'], ports: [{ containerPort: 80 }, { containerPort: 443 }] }] },
      status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] },
    });
    create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'app', labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'web', ports: [{ name: 'http', containerPort: port }] }] },
      status: { phase: 'Running', podIP: upstreamIP, podIPs: [{ ip: upstreamIP }] },
    });
    create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'app' }, spec: { selector: { app: 'web' }, clusterIP: '127.2.0.99', ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abcde', namespace: 'app', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port, protocol: 'TCP' }],
      endpoints: [{ addresses: [upstreamIP], conditions: { ready: true }, targetRef: { kind: 'Pod', name: 'web-1', namespace: 'app' } }],
    });
    create(ingress('web', { ...(opts.tls ? { tls: [{ hosts: ['app.test'] }] } : {}), rules: [{ host: 'app.test', http: { paths: [path('/', 'Prefix', 'web')] } }] }, annotations));
    const provider = ingressNginxProvider(ctx, {
      policy: (pod) => (opts.policy ? opts.policy(pod) : true),
      connectFrom: (local, host, p) => net.connect({ host, port: p, localAddress: local }),
    });
    closers.push(() => {
      provider.close();
      lab.mgr.stop();
    });
    const front = net.createServer((s) => provider.connection(ctrl, 80, s));
    const frontPort = await listen(front);
    const get = (p = '/', body?: string) =>
      new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders; ms: number }>((resolve, reject) => {
        const t0 = Date.now();
        const req = http.request({ host: '127.0.0.1', port: frontPort, path: p, method: body ? 'POST' : 'GET', headers: { host: 'app.test', 'user-agent': 'curl/8.5.0' }, agent: false }, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: b, headers: res.headers, ms: Date.now() - t0 }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const log = () => lab.logs.current(ctrl.metadata.uid!, 'controller').snapshot().map((l) => l.text);
    return { get, log, port, controllerFlags: controllerFlags(ctrl), provider, ctrl, frontPort };
  }

  it('proxies to the endpoint from the controller pod IP with the forwarding headers', async () => {
    let seen: http.IncomingHttpHeaders = {};
    const up = http.createServer((req, res) => {
      seen = req.headers;
      res.writeHead(200, { 'content-type': 'text/plain', server: 'app/1.0' });
      res.end('hello\n');
    });
    const { get, log, port, controllerFlags: flags } = await setup({}, up);
    expect(flags).toEqual({ httpPort: 80, httpsPort: 443, healthzPort: 10254 });
    const r = await get('/hi?x=1');
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello\n');
    expect(r.headers.server).toBeUndefined();
    expect(seen).toMatchObject({ host: 'app.test', 'x-real-ip': '127.0.0.1', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': 'app.test', 'x-forwarded-proto': 'http', 'x-scheme': 'http' });
    expect(seen['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(log().at(-1)).toMatch(new RegExp(`"GET /hi\\?x=1 HTTP/1\\.1" 200 6 "-" "curl/8\\.5\\.0" \\d+ \\d\\.\\d{3} \\[app-web-80\\] \\[\\] 127\\.0\\.0\\.1:${port} 6 \\d\\.\\d{3} 200 ${seen['x-request-id']}$`));
  });

  it('504s when the NetworkPolicy drops the connection (connect timeout), retrying proxy_next_upstream', async () => {
    const up = http.createServer((_q, res) => res.end('never'));
    const { get, log } = await setup({ 'nginx.ingress.kubernetes.io/proxy-connect-timeout': '1', 'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': '2' }, up, '127.0.0.3', {
      policy: (pod) => pod.status?.podIP !== '127.0.0.3',
    });
    const r = await get('/');
    expect(r.status).toBe(504);
    expect(r.body).toContain('504 Gateway Time-out');
    expect(r.ms).toBeGreaterThanOrEqual(1900);
    const lines = log();
    expect(lines.filter((l) => l.includes('upstream timed out (110: Connection timed out) while connecting to upstream'))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(/ 504 160 .* \[app-web-80\] \[\] 127\.0\.0\.3:\d+, 127\.0\.0\.3:\d+ 0, 0 1\.\d{3}, 1\.\d{3} 504, 504 [0-9a-f]{32}$/);
  });

  it('504s on proxy-read-timeout while reading the response header', async () => {
    const up = http.createServer(() => {
      /* never answers */
    });
    const { get, log } = await setup({ 'nginx.ingress.kubernetes.io/proxy-read-timeout': '1', 'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': '1' }, up);
    const r = await get('/slow');
    expect(r.status).toBe(504);
    expect(log().some((l) => /\[error\] \d+#\d+: \*\d+ upstream timed out \(110: Connection timed out\) while reading response header from upstream, client: 127\.0\.0\.1, server: app\.test, request: "GET \/slow HTTP\/1\.1", upstream: "http:\/\/127\.0\.0\.1:\d+\/slow", host: "app\.test"$/.test(l))).toBe(true);
    expect(log().at(-1)).toMatch(/ 504 160 .* 1\.\d{3} 504 [0-9a-f]{32}$/);
  });

  it('502s with "upstream sent no valid HTTP/1.0 header" when the upstream speaks TLS, without retrying', async () => {
    // a TLS server's answer to a plaintext request: a fatal alert record
    const up = net.createServer((s) => s.once('data', () => s.end(Buffer.from('15030300020246', 'hex'))));
    const { get, log } = await setup({}, up);
    const r = await get('/');
    expect(r.status).toBe(502);
    const errs = log().filter((l) => l.includes('upstream sent no valid HTTP/1.0 header while reading response header from upstream'));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/upstream: "http:\/\/127\.0\.0\.1:\d+\/"/);
    expect(log().at(-1)).toMatch(/ 502 150 .* \[app-web-80\] \[\] 127\.0\.0\.1:\d+ 0 \d\.\d{3} 502 [0-9a-f]{32}$/);
  });

  it('502s and retries when the upstream closes without answering', async () => {
    const up = net.createServer((s) => s.once('data', () => s.end()));
    const { get, log } = await setup({}, up);
    const r = await get('/');
    expect(r.status).toBe(502);
    expect(log().filter((l) => l.includes('upstream prematurely closed connection while reading response header from upstream'))).toHaveLength(3);
    expect(log().at(-1)).toMatch(/ 502, 502, 502 [0-9a-f]{32}$/);
  });

  it('speaks TLS to the upstream with backend-protocol HTTPS', async () => {
    const kp = await issue({ commonName: 'web', dnsNames: ['web'], issuer: ca });
    const up = https.createServer({ cert: kp.certPem, key: kp.keyPem }, (req, res) => res.end(`tls ${req.headers.host}`));
    const { get } = await setup({ 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' }, up);
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('tls app.test');
  });

  it('redirects to HTTPS for TLS hosts unless ssl-redirect is false, and enforces proxy-body-size', async () => {
    const up = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const a = await setup({}, up, '127.0.0.1', { tls: true });
    const r = await a.get('/p?q=1');
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe('https://app.test/p?q=1');
    expect(a.log().at(-1)).toMatch(/ 308 164 .* \[app-web-80\] \[\] - - - - /);

    const up2 = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const b = await setup({ 'nginx.ingress.kubernetes.io/ssl-redirect': 'false', 'nginx.ingress.kubernetes.io/proxy-body-size': '8' }, up2, '127.0.0.1', { tls: true });
    expect((await b.get('/')).status).toBe(200);
    expect((await b.get('/', 'x'.repeat(100))).status).toBe(413);
  });

  it('logs 499 with upstream_status "-" when the client gives up first', async () => {
    const up = http.createServer(() => {
      /* never answers */
    });
    const { log, frontPort } = await setup({}, up);
    await new Promise<void>((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: frontPort, path: '/wait', headers: { host: 'app.test' }, agent: false });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    const line = await new Promise<string>((resolve) => {
      const t = setInterval(() => {
        const l = log().findLast((x) => x.includes('"GET /wait HTTP/1.1"'));
        if (l) {
          clearInterval(t);
          resolve(l);
        }
      }, 20);
    });
    expect(line).toMatch(/ 499 0 .* \[app-web-80\] \[\] 127\.0\.0\.1:\d+ 0 0\.\d{3} - [0-9a-f]{32}$/);
  });

  it('answers the kubelet on the healthz port', async () => {
    const up = http.createServer((_q, res) => res.end());
    const { provider, ctrl } = await setup({}, up);
    const srv = net.createServer((s) => provider.connection(ctrl, 10254, s));
    const p = await listen(srv);
    const body = await new Promise<string>((resolve, reject) =>
      http.get({ host: '127.0.0.1', port: p, path: '/healthz', agent: false }, (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(`${res.statusCode} ${b}`));
      }).on('error', reject),
    );
    expect(body).toBe('200 ok');
  });
});

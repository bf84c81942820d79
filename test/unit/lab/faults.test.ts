import { describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../../../src/lab/resources.ts';
import { Store } from '../../../src/lab/store/store.ts';
import { ApiError } from '../../../src/lab/store/errors.ts';
import type { Lab } from '../../../src/lab/lab.ts';
import type { RequestInfo } from '../../../src/lab/apiserver/server.ts';
import {
  accessLine,
  DEFAULT_BACKEND,
  etcdTimeoutError,
  faultSpecFromData,
  faultSpecToData,
  Faults,
  FaultSpecError,
  floodLines,
  floodRoutes,
  forbiddenError,
  forbidMatches,
  formatForbidRules,
  formatUpstreamInfo,
  normalizeFaultSpec,
  parseForbidRules,
  parsePodTarget,
  timeLocal,
} from '../../../src/lab/faults.ts';
import { parseLabArgs } from '../../../src/cli/lab-command.ts';
import { CliError } from '../../../src/cli/exit.ts';

const reg = new ResourceRegistry();
const def = (group: string, plural: string) => reg.type(group, plural);
const req = (verb: RequestInfo['verb'], group: string, plural: string, extra: Partial<RequestInfo> = {}): RequestInfo => ({ verb, def: def(group, plural), ...extra });

/** mulberry32: a seeded generator, so line tests are deterministic. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('forbid rules', () => {
  it('parses resources, subresources, groups, namespaces and verb lists', () => {
    expect(parseForbidRules('secrets:get,pods/log:get')).toEqual([
      { resource: 'secrets', verbs: ['get'] },
      { resource: 'pods', subresource: 'log', verbs: ['get'] },
    ]);
    expect(parseForbidRules('pods:list,watch,secrets:get')).toEqual([
      { resource: 'pods', verbs: ['list', 'watch'] },
      { resource: 'secrets', verbs: ['get'] },
    ]);
    expect(parseForbidRules(['*:delete', 'shop/secrets:get', 'deployments.apps:patch,update', '*/status:update'])).toEqual([
      { resource: '*', verbs: ['delete'] },
      { namespace: 'shop', resource: 'secrets', verbs: ['get'] },
      { resource: 'deployments', group: 'apps', verbs: ['patch', 'update'] },
      { resource: '*', subresource: 'status', verbs: ['update'] },
    ]);
    expect(parseForbidRules('shop/pods/log:get')).toEqual([{ namespace: 'shop', resource: 'pods', subresource: 'log', verbs: ['get'] }]);
    expect(parseForbidRules('  secrets:get ;\n pods:*  ')).toEqual([
      { resource: 'secrets', verbs: ['get'] },
      { resource: 'pods', verbs: ['*'] },
    ]);
    expect(parseForbidRules('')).toEqual([]);
  });

  it('round-trips through the canonical text', () => {
    const text = 'shop/secrets:get,pods:list,watch,pods/log:get,deployments.apps:patch,*:delete';
    expect(formatForbidRules(parseForbidRules(text))).toBe(text);
  });

  it('rejects what is not a rule, naming it', () => {
    expect(thrown(() => parseForbidRules('secrets'))).toBeInstanceOf(FaultSpecError);
    expect(thrown(() => parseForbidRules('secrets')).message).toBe('forbid: "secrets" is not a rule ([NAMESPACE/]RESOURCE[/SUBRESOURCE]:VERB[,VERB])');
    expect(thrown(() => parseForbidRules('secrets:read')).message).toBe('forbid: "secrets:read": unknown verb "read" (one of get, list, watch, create, update, patch, delete, deletecollection, *)');
    expect(thrown(() => parseForbidRules('secrets:')).message).toBe('forbid: "secrets:" names no verb');
    expect(thrown(() => parseForbidRules('a/b/c/d:get')).message).toBe('forbid: "a/b/c/d:get" has too many "/"');
    expect(thrown(() => parseForbidRules('Sec_rets:get')).message).toContain('is not a resource');
  });

  it('matches as RBAC does: verbs, namespace, group, and subresources only when named', () => {
    const [secretsGet] = parseForbidRules('secrets:get');
    expect(forbidMatches(secretsGet!, req('get', '', 'secrets', { namespace: 'shop', name: 'x' }))).toBe(true);
    expect(forbidMatches(secretsGet!, req('list', '', 'secrets', { namespace: 'shop' }))).toBe(false);
    const [pods] = parseForbidRules('pods:get');
    expect(forbidMatches(pods!, req('get', '', 'pods', { namespace: 'shop', name: 'p', subresource: 'log' }))).toBe(false);
    const [podsLog] = parseForbidRules('pods/log:get');
    expect(forbidMatches(podsLog!, req('get', '', 'pods', { namespace: 'shop', name: 'p', subresource: 'log' }))).toBe(true);
    expect(forbidMatches(podsLog!, req('get', '', 'pods', { namespace: 'shop', name: 'p' }))).toBe(false);
    const [all] = parseForbidRules('*:delete');
    expect(forbidMatches(all!, req('delete', 'apps', 'deployments', { namespace: 'shop', name: 'd' }))).toBe(true);
    expect(forbidMatches(all!, req('delete', '', 'pods', { namespace: 'shop', name: 'd', subresource: 'status' }))).toBe(true);
    const [anyStatus] = parseForbidRules('*/status:update');
    expect(forbidMatches(anyStatus!, req('update', '', 'pods', { namespace: 'a', name: 'p', subresource: 'status' }))).toBe(true);
    expect(forbidMatches(anyStatus!, req('update', '', 'pods', { namespace: 'a', name: 'p' }))).toBe(false);
    const [inShop] = parseForbidRules('shop/secrets:get');
    expect(forbidMatches(inShop!, req('get', '', 'secrets', { namespace: 'shop', name: 'x' }))).toBe(true);
    expect(forbidMatches(inShop!, req('get', '', 'secrets', { namespace: 'default', name: 'x' }))).toBe(false);
    const [apps] = parseForbidRules('deployments.apps:get');
    expect(forbidMatches(apps!, req('get', 'apps', 'deployments', { namespace: 'a', name: 'd' }))).toBe(true);
    const [anyVerb] = parseForbidRules('nodes:*');
    expect(forbidMatches(anyVerb!, req('watch', '', 'nodes'))).toBe(true);
  });
});

describe('Forbidden Status', () => {
  it('words a namespaced list as the RBAC authorizer does', () => {
    const e = forbiddenError(req('list', '', 'pods', { namespace: 'shop' }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods is forbidden: User "netpath-lab" cannot list resource "pods" in API group "" in the namespace "shop"',
      reason: 'Forbidden',
      details: { kind: 'pods' },
      code: 403,
    });
  });

  it('says "at the cluster scope" for cluster-scoped and all-namespace requests', () => {
    expect(forbiddenError(req('list', '', 'nodes')).message).toBe('nodes is forbidden: User "netpath-lab" cannot list resource "nodes" in API group "" at the cluster scope');
    expect(forbiddenError(req('watch', '', 'pods')).message).toBe('pods is forbidden: User "netpath-lab" cannot watch resource "pods" in API group "" at the cluster scope');
  });

  it('names the object, the subresource and the group', () => {
    const log = forbiddenError(req('get', '', 'pods', { namespace: 'shop', name: 'web-1', subresource: 'log' }));
    expect(log.message).toBe('pods "web-1" is forbidden: User "netpath-lab" cannot get resource "pods/log" in API group "" in the namespace "shop"');
    expect(log.details).toEqual({ name: 'web-1', kind: 'pods' });
    const dep = forbiddenError(req('patch', 'apps', 'deployments', { namespace: 'shop', name: 'web' }));
    expect(dep.message).toBe('deployments.apps "web" is forbidden: User "netpath-lab" cannot patch resource "deployments" in API group "apps" in the namespace "shop"');
    expect(dep.details).toEqual({ name: 'web', group: 'apps', kind: 'deployments' });
  });

  it('has no name for a create (the authorizer sees none)', () => {
    expect(forbiddenError(req('create', '', 'configmaps', { namespace: 'default', name: 'x' })).message).toBe(
      'configmaps is forbidden: User "netpath-lab" cannot create resource "configmaps" in API group "" in the namespace "default"',
    );
  });

  it('sends storage timeouts as an untyped 500, as the apiserver passes etcd errors through', () => {
    const s = etcdTimeoutError().toStatus();
    expect(s).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'etcdserver: request timed out', code: 500 });
  });
});

describe('Faults.intercept', () => {
  const lab = {} as Lab;

  it('denies by rule, never the control surface', async () => {
    const f = new Faults(lab, { forbid: ['configmaps:get,patch', 'pods:list'] });
    await expect(f.intercept(req('list', '', 'pods', { namespace: 'default' }))).rejects.toMatchObject({ code: 403, reason: 'Forbidden' });
    await expect(f.intercept(req('get', '', 'configmaps', { namespace: 'shop', name: 'x' }))).rejects.toMatchObject({ code: 403 });
    await expect(f.intercept(req('patch', '', 'configmaps', { namespace: 'kube-system', name: 'netpath-lab-faults' }))).resolves.toBeUndefined();
    await expect(f.intercept(req('get', '', 'pods', { namespace: 'default', name: 'p' }))).resolves.toBeUndefined();
  });

  it('fails every request at error rate 1 and none at 0; the control surface is exempt', async () => {
    const f = new Faults(lab, { apiErrorRate: 1 });
    await expect(f.intercept(req('get', '', 'pods', { namespace: 'default', name: 'p' }))).rejects.toMatchObject({ code: 500, message: 'etcdserver: request timed out' });
    await expect(f.intercept(req('get', '', 'configmaps', { namespace: 'kube-system', name: 'netpath-lab-faults' }))).resolves.toBeUndefined();
    f.set({ apiErrorRate: 0 });
    for (let i = 0; i < 20; i++) await f.intercept(req('list', '', 'pods'));
  });

  it('waits the latency with ±20% jitter', async () => {
    const f = new Faults(lab, { apiLatencyMs: 100 });
    const t0 = performance.now();
    await f.intercept(req('list', '', 'pods'));
    const dt = performance.now() - t0;
    expect(dt).toBeGreaterThanOrEqual(79);
    expect(dt).toBeLessThan(200);
  });

  it('set() replaces, current() reports, bad values change nothing', () => {
    const f = new Faults(lab, { apiLatencyMs: 30, forbid: ['secrets:get', 'pods/log:get'] });
    expect(f.current()).toEqual({ apiLatencyMs: 30, forbid: ['secrets:get', 'pods/log:get'] });
    expect(() => f.set({ apiErrorRate: 2 })).toThrow(FaultSpecError);
    expect(f.current()).toEqual({ apiLatencyMs: 30, forbid: ['secrets:get', 'pods/log:get'] });
    f.set({ watchDropSeconds: 5 });
    expect(f.current()).toEqual({ watchDropSeconds: 5 });
  });
});

describe('spec parsing', () => {
  it('normalises: zero is off, forbid becomes canonical, unknown keys throw', () => {
    expect(normalizeFaultSpec({ apiLatencyMs: 0, apiErrorRate: 0.25, forbid: ['pods:list,watch secrets:get', 'Pods/Log:GET'] })).toEqual({
      apiErrorRate: 0.25,
      forbid: ['pods:list,watch', 'secrets:get', 'pods/log:get'],
    });
    expect(() => normalizeFaultSpec({ bogus: 1 } as never)).toThrow('unknown fault "bogus"');
    expect(() => normalizeFaultSpec({ logFloodLinesPerSecond: 1.5 })).toThrow('logFloodLinesPerSecond: "1.5" is not a whole number');
  });

  it('reads ConfigMap data: values, empties, triggers', () => {
    expect(
      faultSpecFromData({
        apiLatencyMs: '30',
        apiErrorRate: '',
        forbid: 'secrets:get,pods/log:get',
        flapSeconds: '4',
        flapSelector: 'shop/app=web',
        logFloodLinesPerSecond: '7000',
        logFloodSelector: '',
        watchDropSeconds: ' 10 ',
        expire: 'now',
        restartApiServer: '',
      }),
    ).toEqual({
      spec: { apiLatencyMs: 30, forbid: ['secrets:get', 'pods/log:get'], flapSeconds: 4, flapSelector: 'shop/app=web', logFloodLinesPerSecond: 7000, watchDropSeconds: 10 },
      triggers: { expire: 'now' },
    });
    expect(faultSpecFromData(undefined)).toEqual({ spec: {}, triggers: {} });
  });

  it('names every bad key and value at once', () => {
    expect(thrown(() => faultSpecFromData({ apiErrorRate: '2', apiLatency: '30', watchDropSeconds: 'ten' })).message).toBe(
      'apiErrorRate: "2" is not a number between 0 and 1; unknown key "apiLatency" (known: apiLatencyMs, apiErrorRate, watchDropSeconds, forbid, flapSeconds, flapSelector, logFloodLinesPerSecond, logFloodSelector, expire, restartApiServer); watchDropSeconds: "ten" is not a number of seconds greater than 0',
    );
    expect(thrown(() => faultSpecFromData({ flapSelector: 'app in (a' })).message).toMatch(/^flapSelector: "app in \(a" is not \[NAMESPACE\/\]LABEL_SELECTOR/);
  });

  it('writes every key (empty = off) and reads back the same spec', () => {
    const spec = { apiLatencyMs: 30, forbid: ['secrets:get', 'pods/log:get', 'pods:list,watch'], logFloodLinesPerSecond: 100 };
    const data = faultSpecToData(spec, { expire: 'x' });
    expect(data).toEqual({
      apiLatencyMs: '30',
      apiErrorRate: '',
      watchDropSeconds: '',
      forbid: 'secrets:get,pods/log:get,pods:list,watch',
      flapSeconds: '',
      flapSelector: '',
      logFloodLinesPerSecond: '100',
      logFloodSelector: '',
      expire: 'x',
      restartApiServer: '',
    });
    expect(faultSpecFromData(data).spec).toEqual(spec);
  });

  it('reads pod targets with an optional namespace', () => {
    expect(parsePodTarget('shop/app=web')).toEqual({ namespace: 'shop', selector: [{ key: 'app', op: 'in', values: ['web'] }], isDefault: false });
    expect(parsePodTarget('app.kubernetes.io/name=web')).toEqual({ namespace: undefined, selector: [{ key: 'app.kubernetes.io/name', op: 'in', values: ['web'] }], isDefault: false });
    expect(parsePodTarget('shop/')).toEqual({ namespace: 'shop', selector: [], isDefault: false });
    expect(parsePodTarget('')).toEqual({ namespace: undefined, selector: [], isDefault: true });
  });
});

describe('lab flags', () => {
  it('parses every fault flag into LabArgs', () => {
    const a = parseLabArgs([
      '--scenario', 'demo',
      '--api-latency', '200',
      '--api-error-rate', '0.1',
      '--watch-drop', '5',
      '--forbid', 'secrets:get,pods/log:get',
      '--forbid', 'pods:list,watch',
      '--flap', '4:shop/app=web',
      '--log-flood', '7000',
      '--traffic', '50',
      '--no-dataplane',
    ]);
    expect(a).toMatchObject({
      scenarios: ['demo'],
      faults: {
        apiLatencyMs: 200,
        apiErrorRate: 0.1,
        watchDropSeconds: 5,
        forbid: ['secrets:get', 'pods/log:get', 'pods:list,watch'],
        flapSeconds: 4,
        flapSelector: 'shop/app=web',
        logFloodLinesPerSecond: 7000,
      },
      trafficRps: 50,
      dataplane: false,
    });
    expect(parseLabArgs(['--log-flood', '100:ingress-nginx/app.kubernetes.io/component=controller'])).toMatchObject({
      faults: { logFloodLinesPerSecond: 100, logFloodSelector: 'ingress-nginx/app.kubernetes.io/component=controller' },
      dataplane: true,
    });
    expect(parseLabArgs([])).toMatchObject({ faults: {}, dataplane: true, trafficRps: undefined });
  });

  it('turns a bad value into one line and exit 2', () => {
    const bad = (argv: string[]) => {
      const e = thrown(() => parseLabArgs(argv));
      expect(e).toBeInstanceOf(CliError);
      expect((e as CliError).exitCode).toBe(2);
      expect(e.message).not.toContain('\n');
      return e.message;
    };
    expect(bad(['--api-error-rate', '1.5'])).toBe('lab: invalid --api-error-rate "1.5": "1.5" is not a number between 0 and 1');
    expect(bad(['--api-latency', 'fast'])).toBe('lab: invalid --api-latency "fast": "fast" is not a number of milliseconds between 0 and 120000');
    expect(bad(['--watch-drop', '0'])).toBe('lab: invalid --watch-drop "0": "0" is not a number of seconds greater than 0');
    expect(bad(['--forbid', 'secrets'])).toBe('lab: invalid --forbid "secrets": "secrets" is not a rule ([NAMESPACE/]RESOURCE[/SUBRESOURCE]:VERB[,VERB])');
    expect(bad(['--flap', 'x:app=web'])).toBe('lab: invalid --flap "x:app=web": "x" is not a number of seconds greater than 0');
    expect(bad(['--flap', '4:app in (web'])).toMatch(/^lab: invalid --flap "4:app in \(web": "app in \(web" is not \[NAMESPACE\/\]LABEL_SELECTOR/);
    expect(bad(['--log-flood=-5'])).toBe('lab: invalid --log-flood "-5": "-5" is not a whole number of lines per second between 1 and 1000000');
    expect(bad(['--log-flood', '0'])).toBe('lab: invalid --log-flood "0": "0" is not a whole number of lines per second between 1 and 1000000');
    expect(bad(['--traffic', 'lots'])).toBe('lab: invalid --traffic "lots": must be a number of requests per second greater than 0 and at most 100000');
    expect(bad(['--api-latency', ''])).toBe('lab: invalid --api-latency "": a value is required');
  });
});

describe('flood lines', () => {
  // ingress-nginx's default upstreaminfo log_format (docs/user-guide/nginx-configuration/log-format.md)
  const UPSTREAMINFO =
    /^(\S+) - (\S+) \[(\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] "(\S+) (\S+) (HTTP\/[\d.]+)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+) (\d+\.\d{3}) \[([^\]]*)\] \[([^\]]*)\] (-|[^ ]+(?:, [^ ]+)*) (-|\d+(?:, \d+)*) (-|\d+\.\d{3}(?:, \d+\.\d{3})*) (-|\d{3}(?:, \d{3})*) ([0-9a-f]{32})$/;
  const web: import('../../../src/lab/faults.ts').FloodRoute = { host: 'shop.netpath.test', path: '/', upstream: 'shop-web-80', addrs: ['127.1.1.5:8080', '127.1.2.5:8080'], tls: true };

  it('formats the upstreaminfo fields in order', () => {
    expect(
      formatUpstreamInfo({
        remoteAddr: '192.168.64.1', time: '07/Feb/2020:11:48:51 +0000', method: 'POST', path: '/products', protocol: 'HTTP/1.1',
        status: 200, bytesSent: 59, referer: '-', userAgent: 'curl/7.54.0', requestLength: 89, requestTime: '0.001',
        upstream: 'default-web-8080', upstreamAddr: '172.17.0.5:8080', upstreamResponseLength: '59', upstreamResponseTime: '0.000',
        upstreamStatus: '200', reqId: '529a007902362a5f51385a5fa7049884',
      }),
    ).toBe(
      // a real line from the fixtures (shared/fixtures/logs/ingress-nginx/access-upstreaminfo-filebeat-test.log)
      '192.168.64.1 - - [07/Feb/2020:11:48:51 +0000] "POST /products HTTP/1.1" 200 59 "-" "curl/7.54.0" 89 0.001 [default-web-8080] [] 172.17.0.5:8080 59 0.000 200 529a007902362a5f51385a5fa7049884',
    );
    expect(timeLocal(Date.UTC(2020, 1, 7, 11, 48, 51))).toBe('07/Feb/2020:11:48:51 +0000');
  });

  it('writes exactly n parseable lines with varied status, paths and the route\'s upstreams', () => {
    const text = floodLines([web], 5000, timeLocal(Date.now()), seeded(1));
    const lines = text.split('\n');
    expect(lines).toHaveLength(5000);
    const statuses = new Map<string, number>();
    const paths = new Set<string>();
    const ids = new Set<string>();
    for (const l of lines) {
      const m = UPSTREAMINFO.exec(l);
      expect(m, l).not.toBeNull();
      statuses.set(m![7]!, (statuses.get(m![7]!) ?? 0) + 1);
      paths.add(m![5]!);
      ids.add(m![19]!);
      if (m![13] === 'shop-web-80') for (const a of m![15]!.split(', ')) expect(web.addrs).toContain(a);
      else expect(m![13]).toBe('upstream-default-backend');
    }
    expect(ids.size).toBe(5000);
    expect(statuses.get('200')! / 5000).toBeGreaterThan(0.6);
    for (const s of ['200', '304', '404', '502', '504']) expect(statuses.has(s), s).toBe(true);
    expect(paths.size).toBeGreaterThan(8);
  });

  it('logs the no-endpoint 503 with empty upstream fields, and the default backend\'s 404', () => {
    const r = seeded(2);
    const none = formatUpstreamInfo(accessLine({ ...web, addrs: [] }, r, '07/Feb/2020:11:48:51 +0000', 'a'.repeat(32)));
    expect(none).toMatch(/" 503 592 "[^"]*" "[^"]*" \d+ 0\.000 \[shop-web-80\] \[\] - - - - a{32}$/);
    const dflt = formatUpstreamInfo(accessLine(DEFAULT_BACKEND, r, '07/Feb/2020:11:48:51 +0000', 'b'.repeat(32)));
    expect(dflt).toMatch(/" 404 548 "-" "[^"]*" \d+ \d\.\d{3} \[upstream-default-backend\] \[\] 127\.0\.0\.1:8181 548 \d\.\d{3} 404 b{32}$/);
  });

  it('takes routes from Ingresses, Services and ready EndpointSlice endpoints', () => {
    const store = new Store();
    const create = (group: string, plural: string, o: object) => store.create(def(group, plural), o as never);
    create('networking.k8s.io', 'ingressclasses', { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    create('networking.k8s.io', 'ingresses', {
      metadata: { name: 'shop', namespace: 'shop' },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['shop.netpath.test'], secretName: 's' }],
        rules: [{ host: 'shop.netpath.test', http: { paths: [
          { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          { path: '/api', pathType: 'Prefix', backend: { service: { name: 'api', port: { name: 'http' } } } },
        ] } }],
      },
    });
    create('networking.k8s.io', 'ingresses', {
      metadata: { name: 'other', namespace: 'shop' },
      spec: { ingressClassName: 'traefik', rules: [{ host: 'x', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    });
    create('', 'services', { metadata: { name: 'web', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
    create('', 'services', { metadata: { name: 'api', namespace: 'shop' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 9090 }] } });
    create('discovery.k8s.io', 'endpointslices', {
      metadata: { name: 'web-abcde', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['127.1.1.5'], conditions: { ready: true } },
        { addresses: ['127.1.2.5'], conditions: { ready: false } },
      ],
    });
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'c', namespace: 'ingress-nginx' },
      spec: { containers: [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.15.1', args: ['/nginx-ingress-controller', '--ingress-class=nginx'] }] },
    };
    expect(floodRoutes({ store, registry: reg }, pod)).toEqual([
      { host: 'shop.netpath.test', path: '/', exact: false, upstream: 'shop-web-80', addrs: ['127.1.1.5:8080'], tls: true },
      { host: 'shop.netpath.test', path: '/api', exact: false, upstream: 'shop-api-http', addrs: [], tls: true },
    ]);
  });
});

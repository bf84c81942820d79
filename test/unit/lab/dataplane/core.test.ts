// The data plane's core over a Store without the control plane: objects (status included) are written as the
// controllers would write them, and real clients connect to the listeners.
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRegistry } from '../../../../src/lab/resources.ts';
import type { Store } from '../../../../src/lab/store/store.ts';
import { type CertificateAuthority, createCA } from '../../../../src/lab/pki.ts';
import type { ControllerManager } from '../../../../src/lab/controllers/runtime.ts';
import { createCore, type DataPlaneCore } from '../../../../src/lab/dataplane/core.ts';
import { checkLoopback, connectFrom, ListenerManager } from '../../../../src/lab/dataplane/net.ts';
import { healthzBody } from '../../../../src/lab/dataplane/kubeproxy.ts';
import { parseResponses, responseFor } from '../../../../src/lab/dataplane/pods.ts';
import type { PodServerProvider } from '../../../../src/lab/dataplane/types.ts';
import type { KObject } from '../../../../src/lab/types.ts';
import { controlPlane, upsert } from './control-plane.ts';

// Addresses of their own (nodes 127.0.201.N, pods 127.1.201-202.x, ClusterIPs 127.2.201.x, LB 127.0.10.201+),
// so that this file runs beside the lab's end-to-end tests.
const N1 = '127.0.201.1';
const N2 = '127.0.201.2';

let ca: CertificateAuthority;
let store: Store;
let registry: ResourceRegistry;
let mgr: ControllerManager;
let core: DataPlaneCore;
const providerConns: { pod: string; port: number; remote: string }[] = [];

const T = (plural: string, group = '') => registry.type(group, plural);

const put = (def: ReturnType<typeof T>, obj: KObject): KObject => upsert(store, def, obj);

function node(i: number, ip: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `dp-node-${i}`, labels: { 'kubernetes.io/hostname': `dp-node-${i}` } },
    spec: { podCIDR: `127.1.${200 + i}.0/24` },
    status: { addresses: [{ type: 'InternalIP', address: ip }] },
  };
}

interface PodOpts {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ports?: any[];
  running?: boolean;
  node?: 1 | 2;
  hostNetwork?: boolean;
}

function pod(name: string, ns: string, ip: string, o: PodOpts = {}): KObject {
  const n = o.node ?? 1;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: o.labels ?? { app: name }, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: { nodeName: `dp-node-${n}`, ...(o.hostNetwork ? { hostNetwork: true } : {}), containers: [{ name: 'main', image: 'x', ports: o.ports ?? [{ name: 'http', containerPort: 8080 }] }] },
    status: {
      phase: 'Running',
      hostIP: n === 1 ? N1 : N2,
      podIP: ip,
      containerStatuses: [{ name: 'main', ready: true, state: o.running === false ? { waiting: { reason: 'CrashLoopBackOff' } } : { running: { startedAt: '2025-01-01T00:00:00Z' } } }],
    },
  };
}

function service(name: string, ns: string, clusterIP: string, spec: any = {}, meta: any = {}, status: any = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ...meta },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }], ...spec },
    status,
  };
}

function slice(svc: string, ns: string, eps: { ip: string; node?: 1 | 2; ready?: boolean }[], port = 8080, portName = 'http'): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: portName, port, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: `dp-node-${e.node ?? 1}`, conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false } })),
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    await core.listeners.settled();
  }
}

type Outcome = { kind: 'response'; status: number; body: string; headers: http.IncomingHttpHeaders } | { kind: 'error'; code: string } | { kind: 'timeout' };

/** GET over a connection from `from` (default: the kernel's choice), with a deadline. */
function get(host: string, port: number, path = '/', opts: { from?: string; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request({ host, port, path, agent: false, ...(opts.from ? { localAddress: opts.from } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ kind: 'response', status: res.statusCode!, body, headers: res.headers }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'error', code: e.code ?? e.message }));
    });
    req.setTimeout(opts.timeoutMs ?? 2000, () => {
      resolve({ kind: 'timeout' });
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ kind: 'error', code: e.code ?? e.message }));
    req.end();
  });
}

beforeAll(async () => {
  ca = await createCA();
  ({ store, registry, mgr } = controlPlane(ca));
  mgr.start();
  for (const ns of ['dp', 'other']) store.create(T('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
  store.create(T('nodes'), node(1, N1));
  store.create(T('nodes'), node(2, N2));
  const provider: PodServerProvider = {
    name: 'test-proxy',
    claims: (p) => p.metadata.labels?.proxy === 'true',
    connection: (p, port, socket) => {
      providerConns.push({ pod: p.metadata.name!, port, remote: socket.remoteAddress! });
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 6\r\nconnection: close\r\n\r\nproxy\n');
    },
  };
  core = createCore(mgr.ctx, { providers: [provider], log: () => {} });
  core.start();
});

afterAll(async () => {
  await core?.stop();
  mgr?.stop();
});

describe('lab.netpath.dev/responses', () => {
  it('parses codes, slow, hang, refuse, reset; longest prefix wins', () => {
    const r = parseResponses('{"/": 200, "/api": "503", "/api/slow": "slow:250", "/hang": "hang", "/x": "refuse", "/y": "reset", "/bad": "teapot"}');
    expect(r.errors).toEqual(['"/bad": "teapot" is not a status code, "slow:MS", "hang", "refuse" or "reset"']);
    expect(responseFor(r, '/api/slow/1')).toEqual({ kind: 'slow', ms: 250 });
    expect(responseFor(r, '/api/x')).toEqual({ kind: 'status', code: 503 });
    expect(responseFor(r, '/other')).toEqual({ kind: 'status', code: 200 });
    expect(responseFor(r, '/hang?x=1')).toEqual({ kind: 'hang' });
    expect(responseFor(parseResponses(undefined), '/')).toBeUndefined();
    expect(parseResponses('{nope').errors[0]).toMatch(/^not JSON/);
  });
});

describe('pod servers', () => {
  it('a running container answers on podIP:containerPort with the pod name', async () => {
    put(T('pods'), pod('hello', 'dp', '127.1.201.10'));
    await settle();
    const r = await get('127.1.201.10', 8080, '/');
    expect(r).toMatchObject({ kind: 'response', status: 200, body: 'hello\n' });
    expect((r as any).headers['x-pod']).toBe('hello');
    expect((r as any).headers['x-pod-namespace']).toBe('dp');
  });

  it('a container that is not running refuses connections', async () => {
    put(T('pods'), pod('crashy', 'dp', '127.1.201.11', { running: false }));
    await settle();
    expect(await get('127.1.201.11', 8080)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
    put(T('pods'), pod('crashy', 'dp', '127.1.201.11'));
    await settle();
    expect(await get('127.1.201.11', 8080)).toMatchObject({ kind: 'response', status: 200 });
    put(T('pods'), pod('crashy', 'dp', '127.1.201.11', { running: false }));
    await settle();
    expect(await get('127.1.201.11', 8080)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('the responses annotation shapes answers', async () => {
    const annotations = { 'lab.netpath.dev/responses': '{"/ready": 503, "/slow": "slow:300", "/hang": "hang", "/reset": "reset", "/refuse": "refuse"}' };
    put(T('pods'), pod('shaped', 'dp', '127.1.201.12', { annotations }));
    await settle();
    expect(await get('127.1.201.12', 8080, '/ready')).toMatchObject({ kind: 'response', status: 503, body: 'shaped\n' });
    const t0 = Date.now();
    expect(await get('127.1.201.12', 8080, '/slow')).toMatchObject({ kind: 'response', status: 200 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(await get('127.1.201.12', 8080, '/hang', { timeoutMs: 400 })).toEqual({ kind: 'timeout' });
    expect(await get('127.1.201.12', 8080, '/reset')).toMatchObject({ kind: 'error', code: expect.stringMatching(/ECONNRESET|aborted/) });
    expect(await get('127.1.201.12', 8080, '/refuse')).toMatchObject({ kind: 'error', code: 'ECONNRESET' });
  });

  it('"refuse" on "/" leaves the port unbound: a real ECONNREFUSED', async () => {
    put(T('pods'), pod('refuser', 'dp', '127.1.201.13', { annotations: { 'lab.netpath.dev/responses': '{"/": "refuse"}' } }));
    await settle();
    expect(await get('127.1.201.13', 8080)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('lab.netpath.dev/tls serves TLS with a certificate from the lab CA', async () => {
    put(T('pods'), pod('secure', 'dp', '127.1.201.14', { annotations: { 'lab.netpath.dev/tls': 'true' }, ports: [{ name: 'https', containerPort: 8443 }] }));
    await settle();
    await new Promise((r) => setTimeout(r, 100)); // the certificate is issued asynchronously
    const body = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.1.201.14', port: 8443, ca: ca.certPem, servername: 'secure' }, () => s.write('GET / HTTP/1.1\r\nHost: secure\r\nConnection: close\r\n\r\n'));
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    expect(body).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(body).toMatch(/\r\n\r\nsecure\n$/);
  });

  it('lab.netpath.dev/tls answers plain HTTP on the TLS port with a fatal TLS alert record, then closes', async () => {
    // the pod of the previous test; a plaintext request is what ingress-nginx sends without backend-protocol HTTPS
    const got = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect({ host: '127.1.201.14', port: 8443 }, () => s.write('GET / HTTP/1.1\r\nHost: secure\r\n\r\n'));
      const parts: Buffer[] = [];
      s.on('data', (d) => parts.push(d as Buffer));
      s.on('end', () => resolve(Buffer.concat(parts)));
      s.on('error', reject);
      s.setTimeout(2000, () => reject(new Error('no answer')));
    });
    expect(got.toString('hex')).toBe('15030300020246'); // alert record: fatal (2), protocol_version (70)
    const res = await get('127.1.201.14', 8443);
    expect(res.kind).toBe('error'); // node's HTTP parser: not HTTP
  });

  it('NetworkPolicy: denied sources are held without an answer; the pod’s node always gets through', async () => {
    put(T('pods'), pod('guarded', 'dp', '127.1.201.20', { labels: { app: 'guarded' } }));
    put(T('pods'), pod('friend', 'dp', '127.1.201.21', { labels: { role: 'friend' } }));
    put(T('pods'), pod('stranger', 'other', '127.1.202.22', { labels: { role: 'friend' }, node: 2 }));
    put(T('networkpolicies', 'networking.k8s.io'), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'guard', namespace: 'dp' },
      spec: { podSelector: { matchLabels: { app: 'guarded' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'friend' } } }] }] },
    });
    await settle();
    expect(await get('127.1.201.20', 8080, '/', { from: '127.1.201.21' })).toMatchObject({ kind: 'response', status: 200 });
    expect(await get('127.1.201.20', 8080, '/', { from: N1 })).toMatchObject({ kind: 'response', status: 200 });
    const held = core.blackhole.size;
    expect(await get('127.1.201.20', 8080, '/', { from: '127.1.202.22', timeoutMs: 500 })).toEqual({ kind: 'timeout' });
    expect(await get('127.1.201.20', 8080, '/', { timeoutMs: 300 })).toEqual({ kind: 'timeout' });
    expect(core.blackhole.size).toBeGreaterThanOrEqual(held);
    expect(core.policy.explain(store.get(T('pods'), 'dp', 'guarded')!, 8080, 'TCP', '127.1.202.22').reason).toBe('no ingress rule of dp/guard admits 127.1.202.22:TCP/8080');
  });

  it('pods claimed by a provider get raw sockets (policy-checked first)', async () => {
    put(T('pods'), pod('proxy-0', 'dp', '127.1.201.30', { labels: { proxy: 'true' }, ports: [{ name: 'http', containerPort: 80 }] }));
    await settle();
    expect(await get('127.1.201.30', 80, '/', { from: '127.1.201.21' })).toMatchObject({ kind: 'response', status: 200, body: 'proxy\n' });
    expect(providerConns.at(-1)).toMatchObject({ pod: 'proxy-0', port: 80, remote: '127.1.201.21' });
  });

  it('hostNetwork pods are skipped', async () => {
    put(T('pods'), pod('hostnet', 'dp', N2, { hostNetwork: true, node: 2, ports: [{ containerPort: 9999 }] }));
    await settle();
    expect(await get(N2, 9999)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('the prober reaches pod servers from the node IP through a deny-all policy', async () => {
    const p = store.get(T('pods'), 'dp', 'guarded')!;
    expect(await core.prober(p, p.spec.containers[0], { httpGet: { path: '/healthz', port: 'http' } } as any, 'readiness')).toEqual({ ok: true });
    const shaped = store.get(T('pods'), 'dp', 'shaped')!;
    expect(await core.prober(shaped, shaped.spec.containers[0], { httpGet: { path: '/ready', port: 'http' } } as any, 'readiness')).toEqual({ ok: false, message: 'HTTP probe failed with statuscode: 503' });
  });
});

describe('kube-proxy', () => {
  it('ClusterIP:port forwards to a ready endpoint, keeping the pod client’s address', async () => {
    put(T('pods'), pod('web-1', 'dp', '127.1.201.40', { labels: { app: 'web' } }));
    put(T('pods'), pod('web-2', 'dp', '127.1.202.41', { labels: { app: 'web' }, node: 2 }));
    put(T('services'), service('web', 'dp', '127.2.201.1', { type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', nodePort: 31201 }] }));
    put(T('endpointslices', 'discovery.k8s.io'), slice('web', 'dp', [{ ip: '127.1.201.40' }, { ip: '127.1.202.41', node: 2 }]));
    await settle();
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await get('127.2.201.1', 80, '/', { from: '127.1.201.21' });
      expect(r.kind).toBe('response');
      names.add((r as any).body);
    }
    expect(names).toEqual(new Set(['web-1\n', 'web-2\n']));
    const f = core.kubeProxy.flows().filter((x) => x.via === 'clusterIP').at(-1)!;
    expect(f).toMatchObject({ client: '127.1.201.21', service: 'dp/web', source: '127.1.201.21', result: 'forwarded' });
  });

  it('NodePort on every node IP; externalTrafficPolicy Cluster masquerades to the node IP', async () => {
    for (const ip of [N1, N2]) expect(await get(ip, 31201)).toMatchObject({ kind: 'response', status: 200 });
    const f = core.kubeProxy.flows().filter((x) => x.via === 'nodePort').at(-1)!;
    expect(f).toMatchObject({ node: 'dp-node-2', source: N2 });
  });

  it('no endpoints → nothing listens (REJECT: connection refused)', async () => {
    put(T('services'), service('empty', 'dp', '127.2.201.2'));
    put(T('endpointslices', 'discovery.k8s.io'), slice('empty', 'dp', []));
    await settle();
    expect(await get('127.2.201.2', 80)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('endpoints that all refuse (wrong targetPort) → the ClusterIP refuses too', async () => {
    put(T('services'), service('wrongport', 'dp', '127.2.201.3'));
    put(T('endpointslices', 'discovery.k8s.io'), slice('wrongport', 'dp', [{ ip: '127.1.201.40' }], 8081));
    await settle();
    expect(await get('127.2.201.3', 80)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
    // fixed: the Service follows the endpoints
    put(T('endpointslices', 'discovery.k8s.io'), slice('wrongport', 'dp', [{ ip: '127.1.201.40' }], 8080));
    await settle();
    expect(await get('127.2.201.3', 80)).toMatchObject({ kind: 'response', body: 'web-1\n' });
  });

  it('externalTrafficPolicy Local: only local endpoints, DROP where there are none; /healthz on healthCheckNodePort', async () => {
    put(
      T('services'),
      service('local', 'dp', '127.2.201.4', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 31299, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http', nodePort: 31202 }] }, { annotations: { 'lab.netpath.dev/lb-nodes': 'dp-node-2' } }, { loadBalancer: { ingress: [{ ip: '127.0.10.201', ipMode: 'VIP' }] } }),
    );
    put(T('endpointslices', 'discovery.k8s.io'), slice('local', 'dp', [{ ip: '127.1.201.40', node: 1 }]));
    await settle();
    expect(await get(N1, 31202)).toMatchObject({ kind: 'response', body: 'web-1\n' });
    expect(core.kubeProxy.flows().filter((x) => x.via === 'nodePort').at(-1)).toMatchObject({ source: '127.0.0.1' });
    expect(await get(N2, 31202, '/', { timeoutMs: 400 })).toEqual({ kind: 'timeout' });
    const h1 = await get(N1, 31299, '/healthz');
    expect(h1).toMatchObject({ kind: 'response', status: 200, body: healthzBody('dp', 'local', 1) });
    expect((h1 as any).headers['content-type']).toBe('application/json');
    const h2 = await get(N2, 31299, '/healthz');
    expect(h2).toMatchObject({ kind: 'response', status: 503 });
    expect(JSON.parse((h2 as any).body)).toEqual({ service: { namespace: 'dp', name: 'local' }, localEndpoints: 0, serviceProxyHealthy: true });
  });
});

describe('load balancer', () => {
  it('no healthy target (Local, lb-nodes without endpoints): held, then closed', async () => {
    expect(core.loadBalancers.targets('dp/local')).toEqual([{ node: 'dp-node-2', healthy: false, reason: 'healthCheckNodePort: 503 (localEndpoints 0)' }]);
    expect(await get('127.0.10.201', 80, '/', { timeoutMs: 500 })).toEqual({ kind: 'timeout' });
  });

  it('lb-unhealthy: reset resets at once', async () => {
    const svc = store.get(T('services'), 'dp', 'local')!;
    put(T('services'), { ...svc, metadata: { ...svc.metadata, annotations: { ...svc.metadata.annotations, 'lab.netpath.dev/lb-unhealthy': 'reset' } } });
    await settle();
    expect(await get('127.0.10.201', 80)).toMatchObject({ kind: 'error', code: 'ECONNRESET' });
  });

  it('a healthy target node gets the connection through its NodePort path, client address preserved (Local)', async () => {
    const svc = store.get(T('services'), 'dp', 'local')!;
    put(T('services'), { ...svc, metadata: { ...svc.metadata, annotations: { 'lab.netpath.dev/lb-nodes': 'dp-node-1,dp-node-2' } } });
    await settle();
    expect(await get('127.0.10.201', 80)).toMatchObject({ kind: 'response', body: 'web-1\n' });
    expect(core.kubeProxy.flows().at(-1)).toMatchObject({ via: 'loadBalancer', node: 'dp-node-1', endpoint: '127.1.201.40:8080', source: '127.0.0.1' });
  });

  it('in-cluster clients are served by kube-proxy on their node, whatever the LB health', async () => {
    const svc = store.get(T('services'), 'dp', 'local')!;
    put(T('services'), { ...svc, metadata: { ...svc.metadata, annotations: { 'lab.netpath.dev/lb-nodes': 'dp-node-2' } } });
    await settle();
    expect(await get('127.0.10.201', 80, '/', { from: '127.1.202.22' })).toMatchObject({ kind: 'response', body: 'web-1\n' });
  });

  it('loadBalancerSourceRanges: other clients are dropped', async () => {
    const svc = store.get(T('services'), 'dp', 'local')!;
    put(T('services'), { ...svc, metadata: { ...svc.metadata, annotations: {} }, spec: { ...svc.spec, loadBalancerSourceRanges: ['127.0.0.2/32'] } });
    await settle();
    expect(await get('127.0.10.201', 80, '/', { timeoutMs: 400 })).toEqual({ kind: 'timeout' });
    expect(await get('127.0.10.201', 80, '/', { from: '127.0.0.2' })).toMatchObject({ kind: 'response', body: 'web-1\n' });
  });

  it('a Service that stops being a LoadBalancer stops listening', async () => {
    const svc = store.get(T('services'), 'dp', 'local')!;
    put(T('services'), { ...svc, spec: { ...svc.spec, type: 'ClusterIP', externalTrafficPolicy: undefined, healthCheckNodePort: undefined }, status: {} });
    await settle();
    expect(await get('127.0.10.201', 80)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
    expect(await get(N1, 31299)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });
});

describe('listener manager', () => {
  it('hands an address over when its first owner lets go, and reports the conflict once', async () => {
    const lines: string[] = [];
    const lm = new ListenerManager({ log: (l) => lines.push(l) });
    const answer = (text: string) => (s: net.Socket) => s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${text.length}\r\nconnection: close\r\n\r\n${text}`);
    lm.sync('a', [{ address: '127.1.201.200', port: 7000, handler: answer('a') }]);
    lm.sync('b', [{ address: '127.1.201.200', port: 7000, handler: answer('b') }]);
    await lm.settled();
    expect(lm.isBound('127.1.201.200', 7000)).toBe(true);
    expect(await get('127.1.201.200', 7000)).toMatchObject({ body: 'a' });
    lm.release('a');
    await lm.settled();
    expect(await get('127.1.201.200', 7000)).toMatchObject({ body: 'b' });
    expect(lines).toEqual(['b wants 127.1.201.200:7000, which a already listens on; it waits until that one lets go']);
    await lm.close();
    expect(await get('127.1.201.200', 7000)).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('says in one line when extra loopback addresses cannot be bound', async () => {
    expect(await checkLoopback(['127.1.201.201'])).toEqual({ ok: true });
    const r = await checkLoopback(['192.0.2.1']);
    expect(r.ok).toBe(false);
    expect((r as { reason: string }).reason).toMatch(/^data plane disabled: cannot bind loopback address 192\.0\.2\.1 \(EADDRNOTAVAIL\); .* running the control plane only$/);
  });
});

describe('connectFrom', () => {
  it('connects from a lab address', async () => {
    const s = connectFrom('127.1.201.99', '127.1.201.10', 8080);
    await new Promise((r) => s.once('connect', r));
    expect(s.localAddress).toBe('127.1.201.99');
    s.destroy();
  });
});


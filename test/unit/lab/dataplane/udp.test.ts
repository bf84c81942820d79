// UDP through the data plane's core: pod UDP ports (a CoreDNS pod answering DNS), kube-proxy's UDP ClusterIP and
// NodePort forwarding with conntrack, UDP load balancers, REJECT without endpoints, and NetworkPolicy on UDP.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRegistry } from '../../../../src/lab/resources.ts';
import type { Store } from '../../../../src/lab/store/store.ts';
import { createCA } from '../../../../src/lab/pki.ts';
import type { ControllerManager } from '../../../../src/lab/controllers/runtime.ts';
import { createCore, type DataPlaneCore } from '../../../../src/lab/dataplane/core.ts';
import { checkLoopback } from '../../../../src/lab/dataplane/net.ts';
import type { KObject } from '../../../../src/lab/types.ts';
import { controlPlane, upsert } from './control-plane.ts';

// Addresses of their own (nodes 127.0.203.N, pods 127.1.203.x, ClusterIPs 127.2.203.x, LB 127.0.10.240+).
const N1 = '127.0.203.1';
const N2 = '127.0.203.2';
const DNS_PORT = 5353; // a CoreDNS pod's DNS port (53 needs root)

let store: Store;
let registry: ResourceRegistry;
let mgr: ControllerManager;
let core: DataPlaneCore;
let loopbackOk = true;

const T = (plural: string, group = '') => registry.type(group, plural);

const put = (def: ReturnType<typeof T>, obj: KObject): KObject => upsert(store, def, obj);

function node(i: number, ip: string): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: `udp-node-${i}` }, spec: { podCIDR: `127.1.203.0/24` }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
}

function pod(name: string, ip: string, o: { image?: string; ports?: any[]; node?: 1 | 2; labels?: Record<string, string> } = {}): KObject {
  const n = o.node ?? 1;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'udp', labels: o.labels ?? { app: name } },
    spec: { nodeName: `udp-node-${n}`, containers: [{ name: 'main', image: o.image ?? 'x', ports: o.ports ?? [] }] },
    status: { phase: 'Running', hostIP: n === 1 ? N1 : N2, podIP: ip, containerStatuses: [{ name: 'main', ready: true, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }] },
  };
}

function udpService(name: string, clusterIP: string, port: number, spec: any = {}, status: any = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'udp' },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports: [{ name: 'dns', port, protocol: 'UDP', targetPort: 'dns' }], ...spec },
    status,
  };
}

function slice(svc: string, eps: { ip: string; node?: 1 | 2 }[], port: number): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-abcde`, namespace: 'udp', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: 'dns', port, protocol: 'UDP' }],
    endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: `udp-node-${e.node ?? 1}`, conditions: { ready: true, serving: true, terminating: false } })),
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    await Promise.all([core.listeners.settled(), core.udp.settled()]);
  }
}

type Answer = { kind: 'answer'; data: Buffer; from: string } | { kind: 'error'; code: string } | { kind: 'timeout' };

/** One datagram over a connected socket (so an ICMP port unreachable surfaces as ECONNREFUSED). */
function exchange(host: string, port: number, msg: Buffer, opts: { from?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const done = (a: Answer) => {
      clearTimeout(t);
      try {
        s.close();
      } catch {
        // closed
      }
      resolve(a);
    };
    const t = setTimeout(() => done({ kind: 'timeout' }), opts.timeoutMs ?? 1000);
    s.on('error', (e: NodeJS.ErrnoException) => done({ kind: 'error', code: e.code ?? e.message }));
    s.on('message', (data, rinfo) => done({ kind: 'answer', data, from: `${rinfo.address}:${rinfo.port}` }));
    const go = () => s.connect(port, host, () => s.send(msg));
    if (opts.from) s.bind({ address: opts.from, port: 0 }, go);
    else go();
  });
}

const query = (name: string, id = 7) => packet.encode({ type: 'query', id, flags: packet.RECURSION_DESIRED, questions: [{ type: 'A', name }] });

function aRecords(a: Answer): string[] {
  if (a.kind !== 'answer') return [`<${a.kind}${a.kind === 'error' ? ` ${a.code}` : ''}>`];
  return (packet.decode(a.data).answers ?? []).filter((x) => x.type === 'A').map((x) => String((x as { data?: unknown }).data));
}

beforeAll(async () => {
  loopbackOk = (await checkLoopback([N1, '127.1.203.1'])).ok;
  if (!loopbackOk) return;
  ({ store, registry, mgr } = controlPlane(await createCA()));
  mgr.start();
  store.create(T('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'udp', labels: { 'kubernetes.io/metadata.name': 'udp' } } });
  store.create(T('nodes'), node(1, N1));
  store.create(T('nodes'), node(2, N2));
  core = createCore(mgr.ctx, { providers: [], log: () => {} });
  core.start();
  const dnsPorts = [
    { name: 'dns', containerPort: DNS_PORT, protocol: 'UDP' },
    { name: 'dns-tcp', containerPort: DNS_PORT, protocol: 'TCP' },
  ];
  put(T('pods'), pod('coredns-a', '127.1.203.10', { image: 'registry.k8s.io/coredns/coredns:v1.11.3', ports: dnsPorts, labels: { 'k8s-app': 'dns' } }));
  put(T('pods'), pod('coredns-b', '127.1.203.11', { image: 'registry.k8s.io/coredns/coredns:v1.11.3', ports: dnsPorts, labels: { 'k8s-app': 'dns' }, node: 2 }));
  put(T('pods'), pod('echo', '127.1.203.12', { ports: [{ name: 'dns', containerPort: 9999, protocol: 'UDP' }] }));
  put(T('pods'), pod('client', '127.1.203.20', { labels: { role: 'client' } }));
  put(T('services'), udpService('dns', '127.2.203.10', 53));
  put(T('endpointslices', 'discovery.k8s.io'), slice('dns', [{ ip: '127.1.203.10' }, { ip: '127.1.203.11', node: 2 }], DNS_PORT));
  put(T('services'), udpService('empty', '127.2.203.11', 53));
  put(T('services'), udpService('np', '127.2.203.12', 9999, { type: 'NodePort', ports: [{ name: 'dns', port: 9999, protocol: 'UDP', targetPort: 'dns', nodePort: 31999 }] }));
  put(T('endpointslices', 'discovery.k8s.io'), slice('np', [{ ip: '127.1.203.12' }], 9999));
  put(
    T('services'),
    udpService('lb', '127.2.203.13', 5300, { type: 'LoadBalancer', ports: [{ name: 'dns', port: 5300, protocol: 'UDP', targetPort: 'dns', nodePort: 31998 }] }, { loadBalancer: { ingress: [{ ip: '127.0.10.240' }] } }),
  );
  put(T('endpointslices', 'discovery.k8s.io'), slice('lb', [{ ip: '127.1.203.10' }], DNS_PORT));
  await settle();
});

afterAll(async () => {
  await core?.stop();
  mgr?.stop();
});

describe('UDP data plane', () => {
  it('a CoreDNS pod answers DNS on its UDP and TCP DNS ports; another pod’s UDP port answers its name', async () => {
    if (!loopbackOk) return;
    expect(aRecords(await exchange('127.1.203.10', DNS_PORT, query('dns.udp.svc.cluster.local')))).toEqual(['127.2.203.10']);
    const tcp = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect({ host: '127.1.203.11', port: DNS_PORT }, () => {
        const q = query('np.udp.svc.cluster.local', 9);
        const head = Buffer.alloc(2);
        head.writeUInt16BE(q.length);
        s.write(Buffer.concat([head, q]));
      });
      s.once('data', (d: Buffer) => {
        resolve(d.subarray(2));
        s.destroy();
      });
      s.on('error', reject);
    });
    expect((packet.decode(tcp).answers ?? []).map((a) => (a as { data?: unknown }).data)).toEqual(['127.2.203.12']);
    const echo = await exchange('127.1.203.12', 9999, Buffer.from('ping'));
    expect(echo.kind === 'answer' && echo.data.toString()).toBe('echo\n');
  });

  it('kube-proxy forwards a UDP ClusterIP to an endpoint; the answer comes from the ClusterIP; a flow keeps its endpoint', async () => {
    if (!loopbackOk) return;
    const a = await exchange('127.2.203.10', 53, query('empty.udp.svc.cluster.local'), { from: '127.1.203.20' });
    expect(a.kind === 'answer' && a.from).toBe('127.2.203.10:53');
    expect(aRecords(a)).toEqual(['127.2.203.11']);
    // several queries over one socket: one flow, one endpoint
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind({ address: '127.1.203.20', port: 0 }, () => s.connect(53, '127.2.203.10', () => r())));
    const ids: number[] = [];
    await new Promise<void>((resolve) => {
      s.on('message', (m) => {
        ids.push(packet.decode(m).id!);
        if (ids.length === 5) resolve();
      });
      for (let i = 0; i < 5; i++) s.send(query('dns.udp.svc.cluster.local', 100 + i));
    });
    s.close();
    expect(ids.sort()).toEqual([100, 101, 102, 103, 104]);
    const flows = core.kubeProxy.flows().filter((f) => f.protocol === 'UDP' && f.service === 'udp/dns' && f.client === '127.1.203.20');
    expect(flows.length).toBeGreaterThanOrEqual(2); // the first exchange and this flow, each recorded once
    expect(new Set(flows.map((f) => f.source))).toEqual(new Set(['127.1.203.20'])); // source preserved (DNAT only)
  });

  it('a UDP Service without endpoints is REJECTed: a connected client gets ECONNREFUSED', async () => {
    if (!loopbackOk) return;
    expect(await exchange('127.2.203.11', 53, query('x.'))).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('a UDP NodePort answers on every node IP; a UDP load balancer forwards to the endpoint', async () => {
    if (!loopbackOk) return;
    for (const ip of [N1, N2]) {
      const a = await exchange(ip, 31999, Buffer.from('hi'));
      expect(a.kind === 'answer' && a.data.toString()).toBe('echo\n');
    }
    const lb = await exchange('127.0.10.240', 5300, query('lb.udp.svc.cluster.local'));
    expect(lb.kind === "answer" && lb.from).toBe('127.0.10.240:5300');
    expect(aRecords(lb)).toEqual(['127.2.203.13']);
  });

  it('NetworkPolicy applies to UDP: a denied datagram gets no answer; a rule for UDP port admits it', async () => {
    if (!loopbackOk) return;
    put(T('networkpolicies', 'networking.k8s.io'), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'echo-tcp-only', namespace: 'udp' },
      spec: { podSelector: { matchLabels: { app: 'echo' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 9999 }] }] },
    });
    await settle();
    expect((await exchange('127.1.203.12', 9999, Buffer.from('x'), { from: '127.1.203.20', timeoutMs: 500 })).kind).toBe('timeout');
    put(T('networkpolicies', 'networking.k8s.io'), {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'echo-tcp-only', namespace: 'udp' },
      spec: { podSelector: { matchLabels: { app: 'echo' } }, policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'UDP', port: 'dns' }] }] },
    });
    await settle();
    const ok = await exchange('127.1.203.12', 9999, Buffer.from('x'), { from: '127.1.203.20' });
    expect(ok.kind === 'answer' && ok.data.toString()).toBe('echo\n');
  });
});

function httpFrom(from: string, host: string, port: number, timeoutMs = 800): Promise<number | 'timeout' | string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress: from }, () => s.write(`GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let out = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, timeoutMs);
    s.on('data', (d) => (out += d));
    s.on('end', () => {
      clearTimeout(t);
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0));
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code ?? e.message);
    });
  });
}

describe('egress NetworkPolicy', () => {
  it('a pod isolated for egress reaches only what its rules admit; DNS needs its own rule (named port, after DNAT)', async () => {
    if (!loopbackOk) return;
    put(T('pods'), pod('web', '127.1.203.30', { ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }));
    put(T('pods'), pod('bystander', '127.1.203.31', { labels: { role: 'other' } }));
    await settle();
    const dns = (from: string) => exchange('127.2.203.10', 53, query('dns.udp.svc.cluster.local'), { from, timeoutMs: 600 });
    expect(await httpFrom('127.1.203.20', '127.1.203.30', 8080)).toBe(200);
    expect(aRecords(await dns('127.1.203.20'))).toEqual(['127.2.203.10']);

    const np = (egress: any[]) =>
      put(T('networkpolicies', 'networking.k8s.io'), {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'client-egress', namespace: 'udp' },
        spec: { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'], egress },
      });
    const toWeb = { to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 8080 }] };
    np([toWeb]);
    await settle();
    expect(await httpFrom('127.1.203.20', '127.1.203.30', 8080)).toBe(200);
    expect((await dns('127.1.203.20')).kind).toBe('timeout'); // as in a real cluster: default-deny egress breaks DNS
    expect(aRecords(await dns('127.1.203.31'))).toEqual(['127.2.203.10']); // other pods are not isolated
    const echo = await exchange('127.1.203.12', 9999, Buffer.from('x'), { from: '127.1.203.20', timeoutMs: 500 });
    expect(echo.kind).toBe('timeout');

    // the usual fix: allow DNS to the cluster DNS pods (named port `dns`, resolved on the destination pod)
    np([toWeb, { to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'dns' } } }], ports: [{ protocol: 'UDP', port: 'dns' }] }]);
    await settle();
    expect(aRecords(await dns('127.1.203.20'))).toEqual(['127.2.203.10']);

    // an egress rule for another port does not admit web:8080
    np([{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ protocol: 'TCP', port: 9090 }] }]);
    await settle();
    expect(await httpFrom('127.1.203.20', '127.1.203.30', 8080)).toBe('timeout');
    expect(core.policy.explainEgress('127.1.203.20', '127.1.203.30', 8080, 'TCP').reason).toMatch(/no egress rule of udp\/client-egress admits 127\.1\.203\.30:TCP\/8080/);
  });
});

describe('UdpConntrack', () => {
  it('pins a flow to its endpoint, forgets it after the idle timeout, and re-pins when told the endpoint changed', async () => {
    if (!loopbackOk) return;
    const { UdpConntrack } = await import('../../../../src/lab/dataplane/udp.ts');
    const a = dgram.createSocket('udp4');
    const b = dgram.createSocket('udp4');
    await Promise.all([a, b].map((s, i) => new Promise<void>((r) => s.bind({ address: `127.1.203.${40 + i}`, port: 0 }, () => r()))));
    const seen: string[] = [];
    for (const [s, name] of [[a, 'a'], [b, 'b']] as const) s.on('message', (m, r) => {
      seen.push(`${name}:${m}`);
      s.send(`re:${m}`, r.port, r.address);
    });
    const ct = new UdpConntrack({ idleMs: 150 });
    const replies: string[] = [];
    const client = { address: '127.1.203.20', port: 40000 };
    const ep = (s: dgram.Socket) => `${s.address().address}:${s.address().port}`;
    ct.forward(Buffer.from('1'), client, '127.2.203.99:53', ep(a), '127.1.203.20', (buf) => replies.push(String(buf)));
    ct.forward(Buffer.from('2'), client, '127.2.203.99:53', ep(a), '127.1.203.20', (buf) => replies.push(String(buf)));
    await new Promise((r) => setTimeout(r, 50));
    expect(ct.endpointOf(client, '127.2.203.99:53')).toBe(ep(a));
    expect(ct.size).toBe(1);
    ct.forward(Buffer.from('3'), client, '127.2.203.99:53', ep(b), '', (buf) => replies.push(String(buf)));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['a:1', 'a:2', 'b:3']);
    expect(replies).toEqual(['re:1', 're:2', 're:3']);
    await new Promise((r) => setTimeout(r, 250));
    expect(ct.size).toBe(0); // idle: forgotten
    ct.close();
    a.close();
    b.close();
  });
});

// The lab's DNS resolvers: real UDP/TCP queries (node:dns, raw dns-packet, dig when installed) against a Store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Resolver } from 'node:dns/promises';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import * as packet from 'dns-packet';
import type { ResourceRegistry } from '../../../../src/lab/resources.ts';
import type { Store } from '../../../../src/lab/store/store.ts';
import { createCA } from '../../../../src/lab/pki.ts';
import type { ControllerManager } from '../../../../src/lab/controllers/runtime.ts';
import type { KObject } from '../../../../src/lab/types.ts';
import { startDns } from '../../../../src/lab/dataplane/dns.ts';
import { controlPlane } from './control-plane.ts';

let store: Store;
let registry: ResourceRegistry;
let mgr: ControllerManager;
let dns: Awaited<ReturnType<typeof startDns>>;

function create(o: KObject): KObject {
  return store.create(registry.forKind(o.apiVersion, o.kind)!, o);
}

function split(hp: string): { host: string; port: number } {
  const i = hp.lastIndexOf(':');
  return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
}

function resolver(server: string): Resolver {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([server]);
  return r;
}

let nextId = 1;
function udpQuery(server: string, name: string, type: string, edns = false): Promise<packet.Packet> {
  const { host, port } = split(server);
  const q = packet.encode({
    type: 'query',
    id: nextId++,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type: type as packet.RecordType, name }],
    ...(edns ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096 } as unknown as packet.Answer] } : {}),
  });
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('DNS timeout'));
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(packet.decode(m));
    });
    s.send(q, port, host);
  });
}

function tcpQuery(server: string, name: string, type: string): Promise<packet.Packet> {
  const { host, port } = split(server);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, host, () => sock.write(packet.streamEncode({ type: 'query', id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type: type as packet.RecordType, name }] })));
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        sock.end();
        resolve(packet.streamDecode(buf));
      }
    });
    sock.on('error', reject);
  });
}

const rcodeOf = (p: packet.Packet) => (p as any).rcode as string;

beforeAll(async () => {
  ({ store, registry, mgr } = controlPlane(await createCA()));
  create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
  create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { type: 'ClusterIP', clusterIP: '127.2.0.50', clusterIPs: ['127.2.0.50'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } });
  create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-headless', namespace: 'shop' }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
  for (const [i, ip] of ['127.1.1.20', '127.1.2.21'].entries()) {
    create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i}`, namespace: 'shop', labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'web', ports: [{ containerPort: 8080 }] }] },
      status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  create({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace: 'shop' },
    spec: { ingressClassName: 'nginx', rules: [{ host: 'shop.netpath.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    status: { loadBalancer: { ingress: [{ ip: '127.0.10.10' }] } },
  });
  create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api-lb', namespace: 'shop', annotations: { 'external-dns.alpha.kubernetes.io/hostname': 'api.netpath.test' } },
    spec: { type: 'LoadBalancer', clusterIP: '127.2.0.51', selector: { app: 'api' }, ports: [{ port: 443 }] },
    status: { loadBalancer: { ingress: [{ ip: '127.0.10.11', ipMode: 'VIP' }] } },
  });
  const rec = (name: string, spec: any) => create({ apiVersion: 'lab.netpath.dev/v1', kind: 'DNSRecord', metadata: { name }, spec });
  rec('www', { name: 'www.netpath.test', type: 'CNAME', values: ['shop.netpath.test'], ttl: 120 });
  rec('v6', { name: 'v6.netpath.test', type: 'AAAA', values: ['fd00::10'], ttl: 45 });
  rec('split-p', { name: 'split.netpath.test', type: 'A', values: ['127.0.10.66'], ttl: 60, resolvers: ['primary'] });
  rec('split-s', { name: 'split.netpath.test', type: 'A', values: ['127.0.10.77'], ttl: 3600, resolvers: ['secondary'] });
  rec('stale', { name: 'stale.netpath.test', type: 'A', values: ['127.0.10.250'], ttl: 3600 });
  dns = await startDns(mgr.ctx);
});

afterAll(async () => {
  await dns?.stop();
  mgr?.stop();
});

describe('startDns', () => {
  it('binds a primary and a secondary resolver on their loopback addresses', () => {
    expect(dns.resolver).toMatch(/^127\.0\.53\.1:\d+$/);
    expect(dns.resolvers).toEqual([dns.resolver, expect.stringMatching(/^127\.0\.53\.2:\d+$/)]);
  });

  it('answers DNSRecords with their TTL, following CNAMEs', async () => {
    const r = resolver(dns.resolver);
    expect(await r.resolve4('stale.netpath.test', { ttl: true })).toEqual([{ address: '127.0.10.250', ttl: 3600 }]);
    expect(await r.resolveCname('www.netpath.test')).toEqual(['shop.netpath.test']);
    expect(await r.resolve4('www.netpath.test')).toEqual(['127.0.10.10']);
    expect(await r.resolve6('v6.netpath.test', { ttl: true })).toEqual([{ address: 'fd00::10', ttl: 45 }]);
    const p = await udpQuery(dns.resolver, 'www.netpath.test', 'A');
    expect(p.answers?.map((a) => [a.type, a.name, (a as any).data])).toEqual([
      ['CNAME', 'www.netpath.test', 'shop.netpath.test'],
      ['A', 'shop.netpath.test', '127.0.10.10'],
    ]);
  });

  it('lets each resolver serve only the records that name it', async () => {
    expect(await resolver(dns.resolvers[0]!).resolve4('split.netpath.test', { ttl: true })).toEqual([{ address: '127.0.10.66', ttl: 60 }]);
    expect(await resolver(dns.resolvers[1]!).resolve4('split.netpath.test', { ttl: true })).toEqual([{ address: '127.0.10.77', ttl: 3600 }]);
  });

  it('publishes Ingress hosts and external-dns hostnames at their load-balancer addresses', async () => {
    const r = resolver(dns.resolver);
    expect(await r.resolve4('shop.netpath.test')).toEqual(['127.0.10.10']);
    expect(await r.resolve4('api.netpath.test')).toEqual(['127.0.10.11']);
  });

  it('answers cluster names as CoreDNS does', async () => {
    const r = resolver(dns.resolver);
    expect(await r.resolve4('web.shop.svc.cluster.local', { ttl: true })).toEqual([{ address: '127.2.0.50', ttl: 30 }]);
    expect((await r.resolve4('web-headless.shop.svc.cluster.local')).sort()).toEqual(['127.1.1.20', '127.1.2.21']);
    expect(await r.resolve4('127-1-1-20.shop.pod.cluster.local')).toEqual(['127.1.1.20']);
    expect(await r.resolveSrv('_http._tcp.web.shop.svc.cluster.local')).toMatchObject([{ name: 'web.shop.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
    const nx = await udpQuery(dns.resolver, 'nope.shop.svc.cluster.local', 'A');
    expect(rcodeOf(nx)).toBe('NXDOMAIN');
    expect(nx.flags! & packet.AUTHORITATIVE_ANSWER).toBeTruthy();
    // CoreDNS's own zone: aa without ra (dig prints "recursion requested but not available")
    expect(nx.flags! & packet.RECURSION_AVAILABLE).toBeFalsy();
    expect(nx.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local' } });
  });

  it('sets the response flags, NXDOMAIN with SOA, NOERROR/empty for other types', async () => {
    const ok = await udpQuery(dns.resolver, 'stale.netpath.test', 'A');
    expect(ok.type).toBe('response');
    expect(rcodeOf(ok)).toBe('NOERROR');
    expect(ok.flags! & packet.RECURSION_DESIRED).toBeTruthy();
    expect(ok.flags! & packet.RECURSION_AVAILABLE).toBeTruthy();
    expect(ok.questions).toEqual([{ name: 'stale.netpath.test', type: 'A', class: 'IN' }]);

    const nx = await udpQuery(dns.resolver, 'missing.netpath.test', 'A');
    expect(rcodeOf(nx)).toBe('NXDOMAIN');
    expect(nx.answers).toEqual([]);
    expect(nx.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'netpath.test' });
    await expect(resolver(dns.resolver).resolve4('missing.netpath.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });

    for (const type of ['TXT', 'MX', 'AAAA']) {
      const empty = await udpQuery(dns.resolver, 'stale.netpath.test', type);
      expect(rcodeOf(empty)).toBe('NOERROR');
      expect(empty.answers).toEqual([]);
      expect(empty.authorities?.[0]?.type).toBe('SOA');
    }
    const edns = await udpQuery(dns.resolver, 'stale.netpath.test', 'A', true);
    expect(edns.additionals?.some((a) => a.type === 'OPT')).toBe(true);
  });

  it('answers over TCP too', async () => {
    for (const server of dns.resolvers) {
      const p = await tcpQuery(server, 'shop.netpath.test', 'A');
      expect(p.id).toBe(7);
      expect(p.answers?.map((a) => (a as any).data)).toEqual(['127.0.10.10']);
    }
  });

  it('re-reads the Store on every query', async () => {
    const r = resolver(dns.resolver);
    await expect(r.resolve4('late.netpath.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    create({ apiVersion: 'lab.netpath.dev/v1', kind: 'DNSRecord', metadata: { name: 'late' }, spec: { name: 'late.netpath.test', type: 'A', values: ['127.0.10.12'], ttl: 5 } });
    expect(await r.resolve4('late.netpath.test')).toEqual(['127.0.10.12']);
  });

  const dig = (() => {
    try {
      execFileSync('dig', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!dig)('answers dig', async () => {
    // asynchronously: the server under test runs in this process
    const { host, port } = split(dns.resolver);
    const out = (await execa('dig', [`@${host}`, '-p', String(port), 'shop.netpath.test', 'A', '+short'])).stdout;
    expect(out.trim()).toBe('127.0.10.10');
    const tcp = (await execa('dig', [`@${host}`, '-p', String(port), '+tcp', 'missing.netpath.test', 'A'])).stdout;
    expect(tcp).toMatch(/status: NXDOMAIN/);
  });
});

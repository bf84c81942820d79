// Helper-pod commands on real sockets (runtime/realnet.ts): dig sends real UDP/TCP queries to the resolver that
// stands for cluster DNS, curl/nc/traceroute make real TCP connections from the pod's IP. A fake data plane
// (resolver + one pod listener on private loopback addresses, random ports) stands in for the lab's, so this test
// needs no data-plane lock. Output formats are compared with real captures in ../shared/fixtures/commands.
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import * as packet from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../../../src/lab/resources.ts';
import { Store } from '../../../src/lab/store/store.ts';
import { admit } from '../../../src/lab/apiserver/admission.ts';
import { labNode } from '../../../src/lab/nodes.ts';
import { labNetModel, runCommand } from '../../../src/lab/runtime/commands.ts';
import { realNet, type InClusterDataPlane } from '../../../src/lab/runtime/realnet.ts';
import type { ControllerContext } from '../../../src/lab/controllers/runtime.ts';
import type { KObject } from '../../../src/lab/types.ts';

const FIX = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'commands');
const haveFixtures = existsSync(FIX);
if (!haveFixtures) console.warn(`realnet.test: ${FIX} is absent; fixture comparisons are skipped`);

const POD_IP = '127.1.77.9'; // the helper pod
const DENIED_IP = '127.1.77.66'; // a helper pod the NetworkPolicy drops
const WEB_IP = '127.1.78.7'; // the web pod's listener
const RESOLVER_IP = '127.0.53.77';

const store = new Store();
const registry = new ResourceRegistry();
let resolver: dgram.Socket;
let resolverPort = 0;
let web: http.Server;
let webPort = 0;
let closedPort = 0;
const seenClients: string[] = [];

function put(obj: KObject): KObject {
  const def = registry.forKind(obj.apiVersion, obj.kind)!;
  const status = obj.status;
  const o = structuredClone(obj);
  admit(def, o);
  if (status) o.status = status;
  return store.create(def, o);
}

beforeAll(async () => {
  put(labNode(1, 'lab-zone-a'));
  for (const n of ['kube-system', 'shop']) put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '127.2.0.10', clusterIPs: ['127.2.0.10'], selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] } });
  put({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
    spec: { nodeName: 'lab-worker-1', containers: [{ name: 'app', image: 'app', ports: [{ containerPort: 8080 }] }] },
    status: { phase: 'Running', podIP: WEB_IP },
  });
  resolver = dgram.createSocket('udp4');
  resolver.on('message', (msg, rinfo) => {
    const q = packet.decode(msg);
    const name = q.questions![0]!.name;
    const known = name === 'web.shop.svc.cluster.local';
    resolver.send(
      packet.encode({
        type: 'response', id: q.id, flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_DESIRED | (known ? 0 : 3),
        questions: q.questions,
        answers: known ? [{ name, type: 'A', ttl: 30, data: WEB_IP }] : [],
        authorities: known ? [] : [{ name: 'cluster.local', type: 'SOA', ttl: 30, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 } }],
        // EDNS: an OPT record answers one in the query, as CoreDNS does
        additionals: (q.additionals ?? []).some((a) => a.type === 'OPT') ? ([{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] }] as unknown as packet.Answer[]) : [],
      }),
      rinfo.port, rinfo.address,
    );
  });
  await new Promise<void>((r) => resolver.bind({ address: RESOLVER_IP, port: 0 }, () => r()));
  resolverPort = resolver.address().port;
  web = http.createServer((req, res) => {
    seenClients.push(req.socket.remoteAddress ?? '');
    res.setHeader('Content-Type', 'text/plain');
    res.end('web-1\n');
  });
  await new Promise<void>((r) => web.listen(0, WEB_IP, () => r()));
  webPort = (web.address() as AddressInfo).port;
  // a port nothing listens on: bind, note, close
  const tmp = http.createServer();
  await new Promise<void>((r) => tmp.listen(0, WEB_IP, () => r()));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});

afterAll(async () => {
  resolver?.close();
  await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
});

function dataplane(dnsReady = true): InClusterDataPlane {
  return {
    info: () => ({ enabled: true, resolver: `${RESOLVER_IP}:${resolverPort}`, resolvers: [`${RESOLVER_IP}:${resolverPort}`] }),
    parts: {
      policy: { check: (_pod, _port, _proto, source) => source !== DENIED_IP },
      index: { podByIP: (ip) => store.list(registry.type('', 'pods')).find((p) => p.status?.podIP === ip) },
      kubeProxy: {
        service: (key) => (key === 'kube-system/kube-dns' ? { svc: {} as KObject, ports: [{ port: 53, protocol: 'UDP', endpoints: [{ ip: '127.1.1.2', port: 53, ready: dnsReady, serving: dnsReady, terminating: false }] }] } : undefined),
        flows: () => [],
      },
    },
  };
}

async function run(argv: string[], opts: { source?: string; dnsReady?: boolean; rawSockets?: boolean } = {}): Promise<{ code: number; out: string }> {
  const source = opts.source ?? POD_IP;
  const ctx = { store, registry } as unknown as ControllerContext;
  const model = labNetModel(store, registry, { name: 'debug', namespace: 'shop', ip: source, nodeName: 'lab-worker-1' });
  const net = realNet({ ctx, dataplane: dataplane(opts.dnsReady ?? true), model, sourceIP: source });
  const lines: string[] = [];
  const r = await runCommand(argv, { write: (l) => lines.push(l), net, image: 'nicolaka/netshoot:v0.13', hostname: 'debug', rawSockets: opts.rawSockets });
  return { code: r.exitCode, out: lines.join('\n') };
}

describe('dig on the wire', () => {
  it('asks the resolver behind the cluster DNS Service and prints its real answer', async () => {
    const { code, out } = await run(['dig', 'web.shop.svc.cluster.local']);
    expect(code).toBe(0);
    expect(out).toMatch(/;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+/);
    expect(out).toMatch(new RegExp(`web\\.shop\\.svc\\.cluster\\.local\\.\\s+30\\s+IN\\s+A\\s+${WEB_IP.replace(/\./g, '\\.')}`));
    // the fake resolver does not set RA: dig says so, as it does for CoreDNS
    expect(out).toContain(';; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1');
    expect(out).toContain(';; WARNING: recursion requested but not available');
    expect(out).toContain(';; SERVER: 127.2.0.10#53(127.2.0.10) (UDP)');
    const size = Number(/MSG SIZE {2}rcvd: (\d+)/.exec(out)![1]);
    expect(size).toBe(
      packet.encode({
        type: 'response', id: 1, questions: [{ name: 'web.shop.svc.cluster.local', type: 'A' }], answers: [{ name: 'web.shop.svc.cluster.local', type: 'A', ttl: 30, data: WEB_IP }],
        additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] }] as unknown as packet.Answer[],
      }).length,
    );
  });

  it('NXDOMAIN carries the SOA; no ready CoreDNS endpoint means no answer', async () => {
    const nx = await run(['dig', 'nope.shop.svc.cluster.local']);
    expect(nx.out).toContain('status: NXDOMAIN');
    expect(nx.out).toMatch(/cluster\.local\.\s+30\s+IN\s+SOA\s+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. 1 7200 1800 86400 30/);
    const t0 = Date.now();
    const down = await run(['dig', '+time=1', '+tries=2', 'web.shop.svc.cluster.local'], { dnsReady: false });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000); // +time per try, as dig waits
    expect(down.code).toBe(9);
    expect(down.out.split('\n').filter((l) => l === ';; communications error to 127.2.0.10#53: timed out')).toHaveLength(2);
    expect(down.out).toContain(';; no servers could be reached');
  });

  it.skipIf(!haveFixtures)('prints the lines a real dig 9.18 prints, in the same order', async () => {
    const real = readFileSync(join(FIX, 'dig', 'dig-full-A-ttl.txt'), 'utf8').split('\n');
    const { out } = await run(['dig', 'web.shop.svc.cluster.local']);
    const shape = (lines: string[]) => lines.filter((l) => l.startsWith(';;')).map((l) => l.replace(/:.*$/, '').replace(/ ->>HEADER<<-.*/, ' HEADER'));
    expect(shape(out.split('\n'))).toEqual(shape(real));
  });
});

describe('curl from the pod IP', () => {
  it('makes a real request bound to the pod IP, with timings from the connection', async () => {
    const before = seenClients.length;
    const { code, out } = await run(['curl', '-sS', '-w', '\\n%{http_code} %{time_namelookup} %{time_connect} %{time_starttransfer} %{time_total} %{local_ip} %{remote_ip}\\n', `http://web.shop.svc.cluster.local:${webPort}/`]);
    expect(code).toBe(0);
    const [body, wline] = out.split('\n').filter(Boolean);
    expect(body).toBe('web-1');
    const [status, dns, connect, start, total, local, remote] = wline!.split(' ');
    expect(status).toBe('200');
    expect(local).toBe(POD_IP);
    expect(remote).toBe(WEB_IP);
    expect(Number(connect)).toBeGreaterThanOrEqual(Number(dns));
    expect(Number(start)).toBeGreaterThanOrEqual(Number(connect));
    expect(Number(total)).toBeGreaterThanOrEqual(Number(start));
    expect(seenClients.slice(before)).toEqual([POD_IP]);
  });

  it('a NetworkPolicy drop times out; a closed port is refused', async () => {
    const dropped = await run(['curl', '-sS', '-m', '0.4', `http://${WEB_IP}:${webPort}/`], { source: DENIED_IP });
    expect(dropped.code).toBe(28);
    expect(dropped.out).toMatch(/^curl: \(28\) Connection timed out after \d+ milliseconds$/m);
    const refused = await run(['curl', '-sS', `http://${WEB_IP}:${closedPort}/`]);
    expect(refused.code).toBe(7);
    expect(refused.out).toContain(`Failed to connect to ${WEB_IP} port ${closedPort} after`);
  });

  it('nc -zv reports the real connect', async () => {
    const ok = await run(['nc', '-zv', '-w', '1', WEB_IP, String(webPort)]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`Connection to ${WEB_IP} ${WEB_IP} ${webPort} port`.replace(`${WEB_IP} ${WEB_IP}`, `${WEB_IP} (${WEB_IP})`));
    const bad = await run(['nc', '-zv', '-w', '1', WEB_IP, String(closedPort)]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('Connection refused');
  });
});

describe('traceroute -T', () => {
  it('synthesises the hops and times the last one with real connects', async () => {
    const { code, out } = await run(['traceroute', '-n', '-T', '-p', String(webPort), WEB_IP]);
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe(`traceroute to ${WEB_IP} (${WEB_IP}), 30 hops max, 60 byte packets`);
    expect(lines.at(-1)).toMatch(new RegExp(`^ ?\\d+  ${WEB_IP.replace(/\./g, '\\.')}  \\d+\\.\\d{3} ms  \\d+\\.\\d{3} ms  \\d+\\.\\d{3} ms$`));
    if (haveFixtures) {
      const real = readFileSync(join(FIX, 'traceroute', 'jc-generic_traceroute-n-ipv4.out'), 'utf8').trim().split('\n');
      const header = /^traceroute to \S+ \(\d+\.\d+\.\d+\.\d+\), \d+ hops max, \d+ byte packets$/;
      const hop = /^ ?\d+ {2}(\d+\.\d+\.\d+\.\d+ {2}\d+\.\d+ ms( {2}\d+\.\d+ ms)*|(\* ?)+)/;
      expect(real[0]).toMatch(header);
      expect(lines[0]).toMatch(header);
      for (const l of [...real.slice(1, 3), ...lines.slice(1)]) expect(l).toMatch(hop);
    }
  });

  it('stars when the connection is dropped; no raw sockets without NET_RAW', async () => {
    const dropped = await run(['traceroute', '-n', '-T', '-w', '0.2', '-m', '4', '-p', String(webPort), WEB_IP], { source: DENIED_IP });
    expect(dropped.out.split('\n').at(-1)).toBe(' 4  * * *');
    const noRaw = await run(['traceroute', '-T', '-p', '443', WEB_IP], { rawSockets: false });
    expect(noRaw.code).toBe(1);
    expect(noRaw.out).toBe('You do not have enough privileges to use this traceroute method.\nsocket: Operation not permitted');
    const ping = await run(['ping', '-c', '1', WEB_IP], { rawSockets: false });
    expect(ping.out).toBe('ping: socket: Operation not permitted');
  });
});

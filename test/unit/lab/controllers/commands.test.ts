import { beforeAll, describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../../../../src/lab/resources.ts';
import { Store } from '../../../../src/lab/store/store.ts';
import { admit } from '../../../../src/lab/apiserver/admission.ts';
import { labNode } from '../../../../src/lab/nodes.ts';
import { type CommandEnv, isKnownCommand, labNetModel, runCommand } from '../../../../src/lab/runtime/commands.ts';
import type { KObject } from '../../../../src/lab/types.ts';

const store = new Store();
const registry = new ResourceRegistry();

function put(obj: KObject): KObject {
  const def = registry.forKind(obj.apiVersion, obj.kind)!;
  const keepStatus = obj.status;
  const o = structuredClone(obj);
  admit(def, o);
  if (keepStatus) o.status = { ...o.status, ...keepStatus };
  return store.create(def, o);
}

function runningPod(name: string, ns: string, ip: string, node: string, labels: Record<string, string>, ports: any[], annotations?: Record<string, string>, image = 'ghcr.io/netpath-lab/app:1'): KObject {
  return put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels, ...(annotations ? { annotations } : {}) },
    spec: { nodeName: node, containers: [{ name: 'app', image, ports }] },
    status: {
      phase: 'Running',
      podIP: ip,
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }],
    },
  });
}

beforeAll(() => {
  put(labNode(1, 'lab-zone-a'));
  put(labNode(2, 'lab-zone-b'));
  for (const n of ['default', 'shop']) put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } });
  put({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' },
    spec: { clusterIP: '127.2.0.15', clusterIPs: ['127.2.0.15'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  });
  put({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'empty', namespace: 'shop' },
    spec: { clusterIP: '127.2.0.16', clusterIPs: ['127.2.0.16'], selector: { app: 'nobody' }, ports: [{ port: 80 }] },
  });
  put({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'shop' },
    spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
  runningPod('web-1', 'shop', '127.1.2.7', 'lab-worker-2', { app: 'web' }, [{ name: 'http', containerPort: 8080 }], { 'lab.netpath.dev/responses': '{"/slow": "slow:30", "/broken": 500}' });
  put({ apiVersion: 'lab.netpath.dev/v1', kind: 'DNSRecord', metadata: { name: 'shop.netpath.test' }, spec: { name: 'shop.netpath.test', type: 'A', values: ['127.0.10.10'], ttl: 300 } });
});

function env(extra: Partial<CommandEnv> = {}): { env: CommandEnv; lines: string[] } {
  const lines: string[] = [];
  const net = labNetModel(store, registry, { name: 'debug', namespace: 'shop', ip: '127.1.1.9', nodeName: 'lab-worker-1' });
  return { lines, env: { write: (l) => lines.push(l), net, image: 'nicolaka/netshoot', hostname: 'debug', ...extra } };
}

describe('helper commands', () => {
  it('knows which commands it runs', () => {
    expect(isKnownCommand(['dig', 'x'])).toBe(true);
    expect(isKnownCommand(['/bin/sh', '-c', 'curl x'])).toBe(true);
    expect(isKnownCommand(['./podinfo', '--port=8080'])).toBe(false);
  });

  it('dig: an A record for a Service, in dig\'s full format', async () => {
    const { env: e, lines } = env();
    const { exitCode } = await runCommand(['dig', 'web.shop.svc.cluster.local'], e);
    expect(exitCode).toBe(0);
    expect(lines[1]).toBe('; <<>> DiG 9.18.30 <<>> web.shop.svc.cluster.local');
    expect(lines).toContain(';; global options: +cmd');
    expect(lines.find((l) => l.startsWith(';; ->>HEADER<<-'))).toMatch(/^;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: \d+$/);
    expect(lines).toContain(';; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1');
    expect(lines).toContain(';; WARNING: recursion requested but not available');
    expect(lines).toContain(';web.shop.svc.cluster.local.\tIN\tA');
    expect(lines).toContain('web.shop.svc.cluster.local. 30\tIN\tA\t127.2.0.15');
    expect(lines).toContain(';; SERVER: 127.2.0.10#53(127.2.0.10) (UDP)');
    expect(lines.find((l) => l.startsWith(';; Query time:'))).toMatch(/^;; Query time: \d+ msec$/);
    expect(lines.find((l) => l.startsWith(';; WHEN:'))).toMatch(/^;; WHEN: \w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}$/);
    expect(lines.find((l) => l.startsWith(';; MSG SIZE'))).toMatch(/^;; MSG SIZE {2}rcvd: \d+$/);
  });

  it('dig: NXDOMAIN with the cluster SOA; +short; headless services; DNSRecords', async () => {
    let r = env();
    await runCommand(['dig', 'nope.shop.svc.cluster.local'], r.env);
    expect(r.lines.find((l) => l.startsWith(';; ->>HEADER<<-'))).toMatch(/status: NXDOMAIN, id: \d+$/);
    expect(r.lines).toContain(';; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1');
    expect(r.lines).toContain(';; AUTHORITY SECTION:');
    expect(r.lines.find((l) => l.startsWith('cluster.local.'))).toMatch(/^cluster\.local\.\t\t30\tIN\tSOA\tns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/);
    r = env();
    await runCommand(['dig', '+short', 'db.shop.svc.cluster.local'], r.env);
    expect(r.lines).toEqual(['127.1.2.7']);
    r = env();
    await runCommand(['dig', '+short', 'shop.netpath.test'], r.env);
    expect(r.lines).toEqual(['127.0.10.10']);
    r = env();
    await runCommand(['dig', 'shop.netpath.test'], r.env);
    expect(r.lines).toContain(';; flags: qr rd ra; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 1');
    expect(r.lines).toContain('shop.netpath.test.\t300\tIN\tA\t127.0.10.10');
  });

  it('nslookup and host use the search path', async () => {
    let r = env();
    expect((await runCommand(['nslookup', 'web'], r.env)).exitCode).toBe(0);
    expect(r.lines).toEqual(['Server:\t\t127.2.0.10', 'Address:\t127.2.0.10#53', '', 'Name:\tweb.shop.svc.cluster.local', 'Address: 127.2.0.15', '']);
    r = env();
    expect((await runCommand(['host', 'web.shop'], r.env)).exitCode).toBe(0);
    expect(r.lines).toEqual(['web.shop.svc.cluster.local has address 127.2.0.15']);
    r = env();
    expect((await runCommand(['nslookup', 'nope.shop.svc.cluster.local'], r.env)).exitCode).toBe(1);
    expect(r.lines).toContain("** server can't find nope.shop.svc.cluster.local: NXDOMAIN");
  });

  it('curl: -w timings, connection failures and unknown hosts as curl prints them', async () => {
    let r = env();
    const fmt = 'code=%{http_code} dns=%{time_namelookup} connect=%{time_connect} start=%{time_starttransfer} total=%{time_total} ip=%{remote_ip}\\n';
    let res = await runCommand(['curl', '-s', '-o', '/dev/null', '-w', fmt, 'http://web.shop.svc.cluster.local/slow'], r.env);
    expect(res.exitCode).toBe(0);
    expect(r.lines).toHaveLength(1);
    const m = /^code=200 dns=(\d\.\d{6}) connect=(\d\.\d{6}) start=(\d\.\d{6}) total=(\d\.\d{6}) ip=127\.2\.0\.15$/.exec(r.lines[0]!);
    expect(m).toBeTruthy();
    const [dns, connect, start, total] = m!.slice(1).map(Number) as [number, number, number, number];
    expect(dns).toBeGreaterThan(0);
    expect(connect).toBeGreaterThanOrEqual(dns);
    expect(start).toBeGreaterThanOrEqual(0.03);
    expect(total).toBeGreaterThanOrEqual(start);

    r = env();
    res = await runCommand(['curl', '-sS', 'http://empty.shop.svc.cluster.local/'], r.env);
    expect(res.exitCode).toBe(7);
    expect(r.lines).toEqual(["curl: (7) Failed to connect to empty.shop.svc.cluster.local port 80 after 0 ms: Couldn't connect to server"]);

    r = env();
    res = await runCommand(['curl', 'http://nope.shop.svc.cluster.local/'], r.env);
    expect(res.exitCode).toBe(6);
    expect(r.lines).toEqual(['curl: (6) Could not resolve host: nope.shop.svc.cluster.local']);

    r = env();
    res = await runCommand(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', 'http://empty.shop.svc.cluster.local/'], r.env);
    expect(res.exitCode).toBe(7);
    expect(r.lines).toEqual(['000']);

    r = env();
    res = await runCommand(['curl', '-si', 'http://127.1.2.7:8080/broken'], r.env);
    expect(r.lines[0]).toBe('HTTP/1.1 500 Internal Server Error\r');
    r = env();
    res = await runCommand(['curl', '-sf', 'http://127.1.2.7:8080/broken'], r.env);
    expect(res.exitCode).toBe(22);
    r = env();
    res = await runCommand(['curl', '-v', 'http://web.shop/'], r.env);
    expect(r.lines).toContain('*   Trying 127.2.0.15:80...');
    expect(r.lines).toContain('* Connected to web.shop (127.2.0.15) port 80');
    expect(r.lines).toContain('> GET / HTTP/1.1');
    expect(r.lines).toContain('< HTTP/1.1 200 OK');
    expect(r.lines).toContain('* Connection #0 to host web.shop left intact');
  });

  it('traceroute -T shows the gateway, the other node and the pod', async () => {
    const r = env();
    const res = await runCommand(['traceroute', '-T', '-n', '-p', '8080', '127.1.2.7'], r.env);
    expect(res.exitCode).toBe(0);
    expect(r.lines[0]).toBe('traceroute to 127.1.2.7 (127.1.2.7), 30 hops max, 60 byte packets');
    expect(r.lines[1]).toMatch(/^ 1 {2}127\.1\.1\.1 {2}\d+\.\d{3} ms {2}\d+\.\d{3} ms {2}\d+\.\d{3} ms$/);
    expect(r.lines[2]).toMatch(/^ 2 {2}127\.0\.1\.2 {2}(\d+\.\d{3} ms {0,2}){3}$/);
    expect(r.lines[3]).toMatch(/^ 3 {2}127\.1\.2\.7 {2}(\d+\.\d{3} ms {0,2}){3}$/);
    expect(r.lines).toHaveLength(4);
    const r2 = env();
    await runCommand(['traceroute', '-T', '-p', '80', 'web.shop.svc.cluster.local'], r2.env);
    expect(r2.lines[0]).toBe('traceroute to web.shop.svc.cluster.local (127.2.0.15), 30 hops max, 60 byte packets');
    expect(r2.lines.at(-1)).toMatch(/^ 2 {2}web\.shop\.svc\.cluster\.local \(127\.2\.0\.15\) {2}/);
  });

  it('sh -c: sequences, pipes, redirections, exit codes and unknown commands', async () => {
    let r = env();
    let res = await runCommand(['sh', '-c', 'echo start; curl -s http://web.shop/ | grep -c pod; frobnicate || echo "fallback $?"; exit 4'], r.env);
    expect(res.exitCode).toBe(4);
    expect(r.lines).toEqual(['start', '1', 'sh: frobnicate: not found', 'fallback 127']);
    r = env();
    res = await runCommand(['sh', '-c', 'nc -zv web.shop 80 && nc -zv empty.shop 80 2>/dev/null || echo "refused $?"; echo done'], r.env);
    expect(r.lines).toEqual(['Connection to web.shop (127.2.0.15) 80 port [tcp/http] succeeded!', 'refused 1', 'done']);
    r = env();
    res = await runCommand(['ping', '-c', '2', '-i', '0.01', '127.1.2.7'], r.env);
    expect(res.exitCode).toBe(0);
    expect(r.lines[0]).toBe('PING 127.1.2.7 (127.1.2.7) 56(84) bytes of data.');
    expect(r.lines[1]).toMatch(/^64 bytes from 127\.1\.2\.7: icmp_seq=1 ttl=\d+ time=\d+\.\d+ ms$/);
    expect(r.lines).toContain('--- 127.1.2.7 ping statistics ---');
    expect(r.lines.find((l) => l.includes('packets transmitted'))).toMatch(/^2 packets transmitted, 2 received, 0% packet loss, time \d+ms$/);
  });

  it('sleep honours the abort signal', async () => {
    const ac = new AbortController();
    const r = env({ signal: ac.signal });
    const started = Date.now();
    const p = runCommand(['sleep', '3600'], r.env);
    setTimeout(() => ac.abort(), 20);
    expect((await p).exitCode).toBe(143);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

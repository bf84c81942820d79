// The data plane end to end: a Lab in-process with the failure scenarios, the data plane started over it, and real
// clients (undici, node:net, curl) against pod IPs, ClusterIPs, NodePorts and load-balancer addresses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as net from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.ts';
import type { DataPlaneCore } from '../../src/lab/dataplane/core.ts';
import { DataPlane } from '../../src/lab/dataplane/index.ts';
import type { Prober } from '../../src/lab/dataplane/types.ts';
import type { KObject } from '../../src/lab/types.ts';
import { eventually } from './harness.ts';

const SCENARIOS = ['demo', 'wrong-targetport', 'netpol-blocks-controller', 'readiness-failing', 'lb-pending', 'etp-local-no-endpoints'];
/** DataPlane.start needs the DNS server, the proxies and the traffic generator; without them the core runs alone. */

let lab: Lab;
let core: DataPlaneCore;
let prober: Prober;
let stopDataPlane: () => Promise<void>;
/** The data plane's one-line reports (bind failures: another lab on this machine holding the same addresses). */
const reports: string[] = [];
const report = (line: string) => {
  reports.push(line);
  console.error(`lab: data plane: ${line}`);
};

const podDef = () => lab.registry.type('', 'pods');
const svcDef = () => lab.registry.type('', 'services');
const ready = (p: KObject) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
const pods = (ns: string, labels: Record<string, string> = {}) =>
  lab.store.list(podDef(), ns).filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v) && !p.metadata.deletionTimestamp);
const service = (ns: string, name: string) => lab.store.get(svcDef(), ns, name)!;

async function readyPods(ns: string, labels: Record<string, string>, n: number): Promise<KObject[]> {
  return eventually(() => {
    const list = pods(ns, labels).filter((p) => ready(p) && p.status?.podIP);
    return list.length >= n && list;
  }, 20_000);
}

/** Pods with an IP, ready or not (a source address only needs the pod to exist). */
async function podsWithIP(ns: string, labels: Record<string, string>, n: number): Promise<KObject[]> {
  return eventually(() => {
    const list = pods(ns, labels).filter((p) => p.status?.phase === 'Running' && p.status?.podIP);
    return list.length >= n && list;
  }, 20_000);
}

type Outcome = { kind: 'response'; status: number; body: string } | { kind: 'error'; code: string } | { kind: 'timeout' };

/** One HTTP request over node:net from `from`, with a deadline: what a client that waits for an answer sees. */
function rawGet(host: string, port: number, opts: { from?: string; timeoutMs?: number; path?: string } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, ...(opts.from ? { localAddress: opts.from } : {}) });
    let out = '';
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve(o);
    };
    const t = setTimeout(() => finish({ kind: 'timeout' }), opts.timeoutMs ?? 3000);
    s.on('connect', () => s.write(`GET ${opts.path ?? '/'} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    s.on('data', (d) => (out += d));
    s.on('end', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(out);
      finish(m ? { kind: 'response', status: Number(m[1]), body: out.slice(out.indexOf('\r\n\r\n') + 4) } : { kind: 'error', code: 'EOF' });
    });
    s.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'error', code: e.code ?? e.message }));
  });
}

beforeAll(async () => {
  // The data plane is started here rather than by Lab.start, to capture its one-line reports.
  lab = await Lab.start({ scenarios: SCENARIOS, dataplane: false });
  const dp = await DataPlane.start(lab, { log: report });
  expect(dp.info().enabled).toBe(true);
  lab.controllers.ctx.prober = dp.prober;
  core = dp.parts!;
  prober = dp.prober;
  stopDataPlane = () => dp.stop();
}, 60_000);

afterAll(async () => {
  await stopDataPlane?.();
  await lab?.stop();
});

describe('data plane (end to end)', () => {
  it('binds the addresses these tests use (no other lab on this machine holds them)', async () => {
    // Every lab allocates the same addresses: a lab started by another test file at the same time takes some of
    // them. Collisions outside what the assertions below use are reported on stderr and tolerated.
    await readyPods('shop', { component: 'web' }, 3);
    await core.listeners.settled();
    const relevant = new RegExp(`for (svc|lb):|for pod:(${['shop', 'ingress-nginx', ...SCENARIOS].join('|')})/`);
    expect(reports.filter((l) => /EADDRINUSE/.test(l) && relevant.test(l))).toEqual([]);
  });

  it('a demo pod answers on podIP:8080 with its name (from the ingress controller; others are dropped by the NetworkPolicy)', async () => {
    const [web] = await readyPods('shop', { component: 'web' }, 1);
    const [ctrl] = await podsWithIP('ingress-nginx', { 'app.kubernetes.io/component': 'controller' }, 1);
    const ip = web!.status.podIP as string;
    const r = await execa('curl', ['-sS', '-m', '5', '--interface', ctrl!.status.podIP, '-D', '-', `http://${ip}:8080/`], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(r.stdout.toLowerCase()).toContain(`x-pod: ${web!.metadata.name}`);
    expect(r.stdout.endsWith(`\r\n\r\n${web!.metadata.name}`)).toBe(true); // execa strips the final newline
    expect(await rawGet(ip, 8080, { timeoutMs: 800 })).toEqual({ kind: 'timeout' });
    const [api] = await readyPods('shop', { component: 'api' }, 1);
    const res = await request(`http://${api!.status.podIP}:9090/`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe(`${api!.metadata.name}\n`);
  });

  it('ClusterIP:80 of shop/web reaches a web pod', async () => {
    const webs = await readyPods('shop', { component: 'web' }, 3);
    const [ctrl] = await podsWithIP('ingress-nginx', { 'app.kubernetes.io/component': 'controller' }, 1);
    const r = await eventually(async () => {
      const o = await rawGet(service('shop', 'web').spec.clusterIP, 80, { from: ctrl!.status.podIP });
      return o.kind === 'response' && o;
    });
    expect(r.status).toBe(200);
    expect(webs.map((p) => `${p.metadata.name}\n`)).toContain(r.body);
  });

  it('a NodePort answers on every node IP (curl)', async () => {
    await readyPods('lb-pending', { app: 'web' }, 2);
    const nodePort = service('lb-pending', 'web').spec.ports[0].nodePort as number;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    const names = pods('lb-pending', { app: 'web' }).map((p) => `${p.metadata.name}\n`);
    for (const nodeIP of ['127.0.1.1', '127.0.1.2']) {
      const body = await eventually(async () => {
        const r = await execa('curl', ['-sS', '-m', '5', `http://${nodeIP}:${nodePort}/`], { reject: false });
        return r.exitCode === 0 && r.stdout;
      });
      expect(names).toContain(`${body}\n`);
    }
  });

  it('wrong-targetport: the ClusterIP refuses the connection', async () => {
    await readyPods('wrong-targetport', { app: 'web' }, 2);
    const ip = service('wrong-targetport', 'web').spec.clusterIP;
    const r = await eventually(async () => {
      const o = await rawGet(ip, 80, { timeoutMs: 1000 });
      return o.kind === 'error' && o;
    });
    expect(r).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
    const curl = await execa('curl', ['-sS', '-m', '3', `http://${ip}/`], { reject: false });
    expect(curl.exitCode).toBe(7);
    expect(curl.stderr).toMatch(/Connection refused|Couldn't connect/);
  });

  it('netpol-blocks-controller: the ingress controller’s connection to a web pod times out', async () => {
    const [web] = await readyPods('netpol-blocks-controller', { app: 'web' }, 1);
    const [ctrl] = await podsWithIP('ingress-nginx', { 'app.kubernetes.io/component': 'controller' }, 1);
    expect(await rawGet(web!.status.podIP, 8080, { from: ctrl!.status.podIP, timeoutMs: 1500 })).toEqual({ kind: 'timeout' });
    expect(await rawGet(service('netpol-blocks-controller', 'web').spec.clusterIP, 80, { from: ctrl!.status.podIP, timeoutMs: 1000 })).toEqual({ kind: 'timeout' });
    // the kubelet's probes still pass (from the node IP)
    const c = web!.spec.containers[0];
    expect(await prober(web!, c, c.readinessProbe, 'readiness')).toEqual({ ok: true });
  });

  it('readiness-failing: the probe fails with the kubelet’s wording', async () => {
    const [p] = await eventually(() => {
      const l = pods('readiness-failing', { app: 'web' }).filter((x) => x.status?.containerStatuses?.[0]?.state?.running && x.status?.podIP);
      return l.length > 0 && l;
    }, 20_000);
    await eventually(() => core.listeners.isBound(p!.status.podIP, 8080));
    const c = p!.spec.containers[0];
    expect(await prober(p!, c, c.readinessProbe, 'readiness')).toEqual({ ok: false, message: 'HTTP probe failed with statuscode: 503' });
    expect(await prober(p!, c, c.livenessProbe, 'liveness')).toEqual({ ok: true });
    const bad = { ...c.readinessProbe, httpGet: { ...c.readinessProbe.httpGet, port: 8081 } };
    expect(await prober(p!, c, bad, 'readiness')).toEqual({
      ok: false,
      message: `Get "http://${p!.status.podIP}:8081/ready": dial tcp ${p!.status.podIP}:8081: connect: connection refused`,
    });
  });

  it('lb-pending: no address, nothing listens for it', async () => {
    const svc = service('lb-pending', 'web');
    expect(svc.status?.loadBalancer?.ingress).toBeUndefined();
    const used = new Set(lab.store.list(svcDef()).flatMap((s) => (s.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip)));
    expect(used.has('127.0.10.250')).toBe(false);
    expect(core.listeners.isBound('127.0.10.250', 80)).toBe(false);
    expect(await rawGet('127.0.10.250', 80, { timeoutMs: 1000 })).toEqual({ kind: 'error', code: 'ECONNREFUSED' });
  });

  it('etp-local-no-endpoints: the LB has no healthy target and lab-worker-2’s /healthz answers 503', async () => {
    await readyPods('etp-local-no-endpoints', { app: 'web' }, 1);
    const svc = await eventually(() => {
      const s = service('etp-local-no-endpoints', 'web');
      return s.status?.loadBalancer?.ingress?.[0]?.ip && s.spec.healthCheckNodePort && s;
    });
    const key = 'etp-local-no-endpoints/web';
    expect(core.loadBalancers.targets(key)).toEqual([{ node: 'lab-worker-2', healthy: false, reason: 'healthCheckNodePort: 503 (localEndpoints 0)' }]);
    expect(await rawGet(svc.status.loadBalancer.ingress[0].ip, 80, { timeoutMs: 1500 })).toEqual({ kind: 'timeout' });
    const hc = svc.spec.healthCheckNodePort as number;
    const res = await request(`http://127.0.1.2:${hc}/healthz`);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(await res.body.text())).toEqual({ service: { namespace: 'etp-local-no-endpoints', name: 'web' }, localEndpoints: 0, serviceProxyHealthy: true });
    const ok = await eventually(async () => {
      const r = await request(`http://127.0.1.1:${hc}/healthz`);
      const body = await r.body.text();
      return r.statusCode === 200 && JSON.parse(body);
    });
    expect(ok.localEndpoints).toBe(1);
  });

  it('the kubernetes Service (127.2.0.1:443) reaches the lab API server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpath-dp-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), lab.ca.certPem);
      const r = await eventually(async () => {
        const o = await execa('curl', ['-sS', '-m', '5', '--cacert', join(dir, 'ca.crt'), '-H', `Authorization: Bearer ${lab.token}`, 'https://127.2.0.1/version'], { reject: false });
        return o.exitCode === 0 && o;
      });
      expect(JSON.parse(r.stdout).gitVersion).toBe('v1.32.0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the cluster DNS Service (kube-dns 127.2.0.10:53, UDP and TCP) answers through kube-proxy from the CoreDNS pods', async () => {
    await readyPods('kube-system', { 'k8s-app': 'kube-dns' }, 2);
    const web = service('shop', 'web').spec.clusterIP;
    const dig = async (...extra: string[]) =>
      (await execa('dig', ['@127.2.0.10', '+short', '+time=2', '+tries=1', ...extra, 'web.shop.svc.cluster.local', 'A'], { reject: false })).stdout.trim();
    const hasDig = (await execa('sh', ['-c', 'command -v dig'], { reject: false })).exitCode === 0;
    if (hasDig) {
      expect(await eventually(async () => (await dig()) === web)).toBe(true);
      expect(await dig('+tcp')).toBe(web);
    } else console.warn('dig is not installed: kube-dns checked with node:dns only');
    const { Resolver } = await import('node:dns/promises');
    const r = new Resolver({ timeout: 2000, tries: 1 });
    r.setServers(['127.2.0.10']);
    expect(await r.resolve4('web.shop.svc.cluster.local')).toEqual([web]);
    const flows = core.kubeProxy.flows().filter((f) => f.protocol === 'UDP' && f.service === 'kube-system/kube-dns');
    expect(flows.at(-1)).toMatchObject({ via: 'clusterIP', result: 'forwarded' });
    const dnsPods = pods('kube-system', { 'k8s-app': 'kube-dns' }).map((p) => `${p.status.podIP}:53`);
    expect(dnsPods).toContain(flows.at(-1)!.endpoint);
  });

  it('egress NetworkPolicy: a default-deny in ingress-nginx cuts the controller off its backends and DNS; allow rules restore them', async () => {
    const ctrl = (await readyPods('ingress-nginx', { 'app.kubernetes.io/component': 'controller' }, 1))[0]!;
    const web = (await readyPods('shop', { component: 'web' }, 1))[0]!;
    const from = ctrl.status.podIP as string;
    const npDef = lab.registry.type('networking.k8s.io', 'networkpolicies');
    const { Resolver } = await import('node:dns/promises');
    const resolve = async () => {
      const r = new Resolver({ timeout: 800, tries: 1 });
      r.setServers(['127.2.0.10']);
      r.setLocalAddress(from);
      try {
        return await r.resolve4('web.shop.svc.cluster.local');
      } catch (e) {
        return (e as NodeJS.ErrnoException).code;
      }
    };
    const put = (egress: any[]) => {
      const cur = lab.store.get(npDef, 'ingress-nginx', 'egress-test');
      const obj = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'egress-test', namespace: 'ingress-nginx' }, spec: { podSelector: {}, policyTypes: ['Egress'], egress } };
      if (cur) lab.store.update(npDef, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
      else lab.store.create(npDef, obj);
    };
    try {
      expect(await rawGet(web.status.podIP, 8080, { from })).toMatchObject({ kind: 'response', status: 200 });
      expect(await resolve()).toEqual([service('shop', 'web').spec.clusterIP]);
      put([]); // deny all egress
      expect((await rawGet(web.status.podIP, 8080, { from, timeoutMs: 1500 })).kind).toBe('timeout');
      expect(await resolve()).toBe('ETIMEOUT');
      // the usual pair of rules: DNS to kube-dns, and the backends
      put([
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
      ]);
      expect(await resolve()).toEqual([service('shop', 'web').spec.clusterIP]);
      expect(await rawGet(web.status.podIP, 8080, { from })).toMatchObject({ kind: 'response', status: 200 });
      // not the API server (a destination that is not a pod: only ipBlock admits it)
      expect((await rawGet('127.2.0.1', 443, { from, timeoutMs: 1000 })).kind).toBe('timeout');
      expect(core.kubeProxy.flows().filter((f) => f.service === 'default/kubernetes' && f.client === from).at(-1)).toMatchObject({ result: 'dropped', reason: 'egress denied by NetworkPolicy' });
    } finally {
      const cur = lab.store.get(npDef, 'ingress-nginx', 'egress-test');
      if (cur) lab.store.remove(npDef, 'ingress-nginx', 'egress-test');
    }
    expect(await rawGet(web.status.podIP, 8080, { from })).toMatchObject({ kind: 'response', status: 200 });
  });

  it('the shop load balancer (ingress-nginx-controller) accepts on 127.0.10.x:80 and forwards to a controller pod IP:80', async () => {
    const ctrls = await readyPods('ingress-nginx', { 'app.kubernetes.io/component': 'controller' }, 2);
    const lbIP: string = await eventually(() => service('ingress-nginx', 'ingress-nginx-controller').status?.loadBalancer?.ingress?.[0]?.ip);
    expect(lbIP).toMatch(/^127\.0\.10\.\d+$/);
    const accepted = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: lbIP, port: 80 }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    expect(accepted).toBe(true);
    const r = await rawGet(lbIP, 80, { path: '/', timeoutMs: 5000 });
    expect(r.kind).toBe('response');
    const flow = core.kubeProxy.flows().filter((f) => f.via === 'loadBalancer' && f.service === 'ingress-nginx/ingress-nginx-controller').at(-1)!;
    expect(ctrls.map((p) => `${p.status.podIP}:80`)).toContain(flow.endpoint);
    expect(flow).toMatchObject({ result: 'forwarded', source: '127.0.0.1' });
  });
});

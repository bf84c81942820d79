// Lab benchmarks: time to ready, LIST latency of 10k pods, memory of the scale cluster, watch fan-out.
// Run: npm run bench:lab   (prints a Markdown table; docs/BENCHMARKS.md records the figures)
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request, Agent } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import * as yaml from 'js-yaml';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'kubectl-netpath.js');

interface Ready {
  kubeconfig: string;
  server: string;
}

interface Started {
  child: ChildProcess;
  ready: Ready;
  ms: number;
  token: string;
  ca: string;
}

async function startLab(args: string[]): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [CLI, 'lab', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (c) => reject(new Error(`lab exited with ${c}`)));
  });
  const ms = performance.now() - t0;
  const ready = JSON.parse(line) as Ready;
  const kc = yaml.load(readFileSync(ready.kubeconfig, 'utf8')) as any;
  return {
    child,
    ready,
    ms,
    token: kc.users[0].user.token,
    ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
  };
}

async function stop(s: Started): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

function get(s: Started, path: string, agent: Agent, accept = 'application/json'): Promise<{ status: number; bytes: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.ready.server}${path}`, { agent, ca: s.ca, headers: { authorization: `Bearer ${s.token}`, accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: body.length, body: body.toString() });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU seconds the process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Waits until the lab has settled (under 5% of a core over half a second), at most `maxMs`. */
async function settled(pid: number, maxMs = 30_000): Promise<void> {
  const end = performance.now() + maxMs;
  let last = cpuSeconds(pid);
  while (performance.now() < end) {
    await sleep(500);
    const now = cpuSeconds(pid);
    if (now - last < 0.025) return;
    last = now;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const rows: [string, string, string][] = [];

// 1. Time to ready (process start → ready line), fresh cluster and demo scenario.
for (const [label, args] of [['fresh cluster', []], ['demo scenario', ['--scenario', 'demo']]] as const) {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = await startLab([...args]);
    times.push(s.ms);
    await stop(s);
  }
  rows.push([`time to ready (${label}), median of 5`, `${median(times).toFixed(0)} ms`, '< 1500 ms']);
}

// 2. LIST latency of 10k pods.
{
  const s = await startLab(['--scale', 'services=2000,pods=10000']);
  const agent = new Agent({ keepAlive: true });
  await get(s, '/api/v1/pods?limit=1', agent);
  // LIST latency of a settled lab, not of one still starting 10k pods' listeners and building slices
  await settled(s.child.pid!);
  const times: number[] = [];
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    const r = await get(s, '/api/v1/pods', agent);
    times.push(performance.now() - t0);
    bytes = r.bytes;
    count = JSON.parse(r.body).items.length;
  }
  if (count !== 10_000) throw new Error(`expected 10000 pods, listed ${count}`);
  rows.push([`LIST 10k pods (JSON, ${(bytes / 1048576).toFixed(1)} MiB), median of 7`, `${median(times).toFixed(0)} ms`, '< 300 ms']);
  // the first full LIST serializes every pod; later ones reuse each unchanged pod's cached JSON
  rows.push(['LIST 10k pods, the first one (nothing cached yet)', `${times[0]!.toFixed(0)} ms`, '< 300 ms']);
  const ttimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await get(s, '/api/v1/pods', agent, 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json');
    ttimes.push(performance.now() - t0);
  }
  rows.push(['LIST 10k pods as a Table (kubectl get pods -A), median of 5', `${median(ttimes).toFixed(0)} ms`, '—']);
  agent.destroy();
  await stop(s);
}

// 3. Memory with 10k services, 50k pods and 2k ingresses loaded (EndpointSlices built). Control plane only: the
//    data plane binds a loopback listener per pod port, and 50k of them are beyond a default fd limit.
{
  const t0 = performance.now();
  const s = await startLab(['--no-dataplane', '--scale', 'services=10000,pods=50000,ingresses=2000']);
  const agent = new Agent({ keepAlive: true });
  let slices = 0;
  for (let i = 0; i < 600 && slices < 10_000; i++) {
    slices = JSON.parse((await get(s, '/apis/discovery.k8s.io/v1/endpointslices?limit=1', agent)).body).metadata.remainingItemCount + 1 || 0;
    if (slices < 10_000) await sleep(200);
  }
  const settled = performance.now() - t0;
  await sleep(2000);
  rows.push([`scale cluster ready (${slices} EndpointSlices built; --no-dataplane)`, `${(settled / 1000).toFixed(1)} s`, '< 20 s']);
  const rss = rssMiB(s.child.pid!);
  rows.push(['RSS with 10k services, 50k pods, 2k ingresses (--no-dataplane)', `${rss.toFixed(0)} MiB (${((rss * 1048576) / 1e6).toFixed(0)} MB)`, '< 400 MB']);
  agent.destroy();
  await stop(s);
}

// 4. Watch fan-out: 50 watchers × 1k events.
{
  const s = await startLab([]);
  const agent = new Agent({ keepAlive: true, maxSockets: 100 });
  const WATCHERS = 50;
  const EVENTS = 1000;
  const counts = new Array<number>(WATCHERS).fill(0);
  const reqs: ReturnType<typeof request>[] = [];
  await Promise.all(
    Array.from({ length: WATCHERS }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const req = request(`${s.ready.server}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${1}`, { agent, ca: s.ca, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
          let buf = '';
          res.on('data', (c: Buffer) => {
            buf += c.toString();
            let nl;
            while ((nl = buf.indexOf('\n')) >= 0) {
              buf = buf.slice(nl + 1);
              counts[i]!++;
            }
          });
          resolve();
        });
        req.on('error', reject);
        req.end();
        reqs.push(req);
      }),
    ),
  );
  const before = counts.reduce((a, b) => a + b, 0);
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    await new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } });
      const req = request(`${s.ready.server}/api/v1/namespaces/default/configmaps`, { method: 'POST', agent, ca: s.ca, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const target = before + WATCHERS * EVENTS;
  while (counts.reduce((a, b) => a + b, 0) < target) await sleep(5);
  const ms = performance.now() - t0;
  rows.push([`watch fan-out: ${WATCHERS} watchers × ${EVENTS} creates, all delivered`, `${ms.toFixed(0)} ms (${((WATCHERS * EVENTS) / (ms / 1000)).toFixed(0)} events/s)`, '—']);
  reqs.forEach((r) => r.destroy());
  agent.destroy();
  await stop(s);
}

console.log(`| Measure | Result | Target |\n|---|---|---|`);
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);

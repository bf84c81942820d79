// Diagnosis benchmark: `kubectl netpath svc/web` against the lab with 30 ms API latency, compared in the same run with
// the kubectl sequence a person runs to reach the same verdict, then the same diagnosis on the scale cluster.
// Run: npm run bench:diagnose   (prints a Markdown table; docs/BENCHMARKS.md records the figures)
//
// kubectl gets a private --cache-dir whose discovery cache is warmed once before timing (a person's kubectl has a warm
// cache); netpath gets one untimed warm-up run too. Each command is a fresh process, timed from spawn to exit.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { request, Agent } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import * as yaml from 'js-yaml';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'kubectl-netpath.js');
const NS = 'selector-mismatch';
const LATENCY = '30';
const RUNS = 5;
const MANUAL_RUNS = 3;
const SCALE = 'services=10000,pods=50000,ingresses=2000';

interface Started {
  child: ChildProcess;
  kubeconfig: string;
  server: string;
  token: string;
  ca: string;
  cacheDir: string;
}

async function startLab(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'lab', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  // stderr is passed through, except the data plane's per-listener failures, which are counted
  let tail: string[] = [];
  let listenFailures = 0;
  let firstFailure = '';
  createInterface({ input: child.stderr! }).on('line', (l) => {
    if (/^lab: data plane: cannot listen on /.test(l)) {
      if (listenFailures++ === 0) console.error(`${(firstFailure = l)} (and more like it, counted)`);
      return;
    }
    console.error(l);
    if (l.trim()) tail = [...tail.slice(-9), l];
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    // 'close': after stderr has ended, so its last line (the error) has been read
    child.once('close', (c) => reject(new Error(`lab exited with ${c}${listenFailures ? ` after ${listenFailures} lines like "${firstFailure}"` : ''}${tail.length ? `: ${tail.at(-1)}` : ''}`)));
  });
  const ready = JSON.parse(line) as { kubeconfig: string; server: string };
  const kc = yaml.load(readFileSync(ready.kubeconfig, 'utf8')) as any;
  return {
    child,
    kubeconfig: ready.kubeconfig,
    server: ready.server,
    token: kc.users[0].user.token,
    ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
    cacheDir: mkdtempSync(join(tmpdir(), 'netpath-bench-kcache-')),
  };
}

async function stop(s: Started): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
  rmSync(s.cacheDir, { recursive: true, force: true });
}

function get(s: Started, path: string, agent: Agent): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.server}${path}`, { agent, ca: s.ca, headers: { authorization: `Bearer ${s.token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()));
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

interface Run {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(cmd, args, { maxBuffer: 256 * 1048576, ...(env ? { env: { ...process.env, ...env } } : {}) }, (err, stdout, stderr) => {
      const ms = performance.now() - t0;
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : null) : 0;
      if (err && code === null) return reject(err);
      resolve({ ms, code, stdout, stderr });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time of a process in clock ticks (1/100 s), from /proc. */
function ticks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}
const labTicks = (s: Started) => ticks(s.child.pid!);

/** CPU share of the lab process over `ms`, to wait until it has settled. */
async function cpuShare(pid: number, ms: number): Promise<number> {
  const a = ticks(pid);
  await sleep(ms);
  return (ticks(pid) - a) / 100 / (ms / 1000);
}

const isReady = (p: any) => p.status?.phase === 'Running' && !!p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

/**
 * Ready: the given number of EndpointSlices built, the scenario's pods and the ingress-nginx controllers Ready (or
 * still not 60 s after the slices were built: then the diagnosis runs anyway and the table shows what it saw) and the
 * lab's CPU settled (under 15 % of a core for 3 s in a row).
 */
async function settle(s: Started, minSlices: number): Promise<{ ms: number; ready: string }> {
  const t0 = performance.now();
  const agent = new Agent({ keepAlive: true });
  let builtAt: number | undefined;
  let ready = '';
  for (;;) {
    if (performance.now() - t0 > 240_000) throw new Error('the lab did not settle in 240 s');
    const slices = await get(s, '/apis/discovery.k8s.io/v1/endpointslices?limit=1', agent);
    const count = (slices.metadata?.remainingItemCount ?? 0) + (slices.items?.length ?? 0);
    const app = (await get(s, `/api/v1/namespaces/${NS}/pods`, agent)).items ?? [];
    const ctrl = (await get(s, '/api/v1/namespaces/ingress-nginx/pods?labelSelector=app.kubernetes.io%2Fcomponent%3Dcontroller', agent)).items ?? [];
    ready = `${app.filter(isReady).length}/${app.length} scenario pods and ${ctrl.filter(isReady).length}/${ctrl.length} ingress-nginx controllers Ready`;
    const allReady = app.length > 0 && ctrl.length > 0 && [...app, ...ctrl].every(isReady);
    if (count >= minSlices) builtAt ??= performance.now();
    const podsDone = allReady || (builtAt !== undefined && performance.now() - builtAt > 60_000);
    // idle for 3 s in a row: the scale cluster pauses for a second or two between its start-up phases
    if (builtAt !== undefined && podsDone) {
      let idle = 0;
      while (idle < 3 && (await cpuShare(s.child.pid!, 1000)) < 0.15) idle++;
      if (idle === 3) break;
    }
    await sleep(500);
  }
  agent.destroy();
  return { ms: performance.now() - t0, ready };
}

interface NetpathResult {
  medianMs: number;
  /** One run with an empty compile cache. */
  coldMs: number;
  runs: number[];
  requests: number;
  roundTrips: number;
  requestLines: number;
  verdict: string;
  exit: number | null;
}

async function timeNetpath(s: Started): Promise<NetpathResult> {
  const args = [CLI, `svc/web`, '-n', NS, '-o', 'json', '--no-probe', '--kubeconfig', s.kubeconfig];
  // the first run after install: an empty compile cache
  const cc = mkdtempSync(join(tmpdir(), 'netpath-bench-cc-'));
  const coldMs = (await run(process.execPath, args, { NODE_COMPILE_CACHE: cc })).ms;
  rmSync(cc, { recursive: true, force: true });
  await run(process.execPath, args); // warm-up (page cache, compile cache)
  const runs: number[] = [];
  let last!: Run;
  for (let i = 0; i < RUNS; i++) {
    const t0 = labTicks(s);
    last = await run(process.execPath, args);
    runs.push(last.ms);
    // where a run's time went: the report's own API time and the lab's CPU meanwhile
    const api = JSON.parse(last.stdout).api;
    console.error(`bench-diagnose:   run ${i + 1}: ${last.ms.toFixed(0)} ms, API ${api?.ms} ms (${api?.requests} requests, ${api?.roundTrips} round trips), lab CPU ${((labTicks(s) - t0) * 10).toFixed(0)} ms`);
  }
  const report = JSON.parse(last.stdout);
  const failing = report.layers?.flatMap((l: any) => l.checks ?? []).find((c: any) => c.status === 'fail');
  // -v 6: one line per API request with its round trip, then the totals line
  const v = await run(process.execPath, [...args, '-v', '6']);
  const totals = /netpath: (\d+) API requests in (\d+) sequential round trips/.exec(v.stderr);
  const requestLines = v.stderr.split('\n').filter((l) => /I netpath\] GET /.test(l)).length;
  const maxDepth = Math.max(0, ...[...v.stderr.matchAll(/\(round trip (\d+)\)/g)].map((m) => Number(m[1])));
  if (!totals) throw new Error(`netpath -v printed no totals line:\n${v.stderr}`);
  for (const l of v.stderr.split('\n').filter((l) => /I netpath\]|^netpath: /.test(l))) console.error(`bench-diagnose:   ${l}`);
  if (Number(totals[2]) !== maxDepth) console.error(`bench-diagnose: totals say ${totals[2]} round trips, the request lines ${maxDepth}`);
  return {
    medianMs: median(runs),
    coldMs,
    runs,
    requests: Number(totals[1]),
    roundTrips: Number(totals[2]),
    requestLines,
    verdict: `${report.verdict?.status} ${report.verdict?.layer} (${failing?.id ?? 'no failing check'})`,
    exit: last.code,
  };
}

interface ManualResult {
  medianMs: number;
  steps: [string, number][];
  requests: number;
  sawMismatch: boolean;
}

async function timeManual(s: Started): Promise<ManualResult> {
  const k = (args: string[]) => run('kubectl', ['--kubeconfig', s.kubeconfig, '--cache-dir', s.cacheDir, ...args]);
  await k(['api-resources']); // warm discovery cache
  const sums: number[] = [];
  let steps: [string, number][] = [];
  let sawMismatch = false;
  for (let i = 0; i < MANUAL_RUNS; i++) {
    const these: [string, number][] = [];
    const step = async (args: string[]) => {
      const r = await k(args);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
      these.push([`kubectl ${args.join(' ')}`, r.ms]);
      return r;
    };
    await step(['get', 'ingress', '-A']);
    const svc = await step(['get', 'svc', 'web', '-n', NS, '-o', 'yaml']);
    // the person reads the selector off the Service
    const selector = Object.entries((yaml.load(svc.stdout) as any).spec.selector as Record<string, string>).map(([a, b]) => `${a}=${b}`).join(',');
    await step(['get', 'endpointslices', '-n', NS, '-l', 'kubernetes.io/service-name=web']);
    const sel = await step(['get', 'pods', '-n', NS, '-l', selector]);
    const labels = await step(['get', 'pods', '-n', NS, '--show-labels']);
    await step(['describe', 'svc', 'web', '-n', NS]);
    await step(['describe', 'ingress', '-n', NS]);
    await step(['get', 'events', '-n', NS]);
    sawMismatch = /No resources found/.test(sel.stderr + sel.stdout) && /app=web\b/.test(labels.stdout);
    sums.push(these.reduce((a, [, ms]) => a + ms, 0));
    if (i === MANUAL_RUNS - 1) steps = these;
  }
  // API requests of one pass (kubectl -v=6 logs one line per request); untimed
  let requests = 0;
  for (const [cmd] of steps) {
    const args = cmd.replace(/^kubectl /, '').split(' ');
    const r = await k([...args, '-v=6']);
    requests += r.stderr.split('\n').filter((l) => /round_trippers.go.*\b(GET|POST|PUT|PATCH|DELETE) https?:/.test(l)).length;
  }
  return { medianMs: median(sums), steps, requests, sawMismatch };
}

const rows: [string, string, string][] = [];
const notes: string[] = [];
const tStart = performance.now();
// The machine is shared: the load average at the start and the end says how noisy the run was.
const loadAtStart = loadavg();

// 1. Small cluster: platform + selector-mismatch, 30 ms API latency.
let small: NetpathResult;
let smallManual: ManualResult;
let smallReady = '';
{
  const s = await startLab(['--scenario', NS, '--api-latency', LATENCY]);
  try {
    smallReady = (await settle(s, 1)).ready;
    small = await timeNetpath(s);
    smallManual = await timeManual(s);
  } finally {
    await stop(s);
  }
  // process start-up alone, without the cluster: where the time goes
  // process start-up alone, without the cluster: where the time goes. Warm: the compile cache that bin/ keeps in the
  // user's cache directory already holds the bundle (as for every run after the first); cold: an empty cache.
  const startup: number[] = [];
  const version: number[] = [];
  const bare: number[] = [];
  const kstartup: number[] = [];
  await run(process.execPath, [CLI, '--version']);
  for (let i = 0; i < RUNS; i++) {
    startup.push((await run(process.execPath, [CLI, '--help'])).ms);
    version.push((await run(process.execPath, [CLI, '--version'])).ms);
    bare.push((await run(process.execPath, ['-e', '0'])).ms);
    kstartup.push((await run('kubectl', ['version', '--client'])).ms);
  }
  const coldVersion: number[] = [];
  for (let i = 0; i < 3; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'netpath-bench-cc-'));
    coldVersion.push((await run(process.execPath, [CLI, '--version'], { NODE_COMPILE_CACHE: dir })).ms);
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = smallManual.medianMs / small.medianMs;
  rows.push([
    `netpath svc/web -n ${NS} -o json --no-probe, median of ${RUNS} (small cluster, ${LATENCY} ms API latency)`,
    `${small.medianMs.toFixed(0)} ms (runs ${small.runs.map((x) => x.toFixed(0)).join(', ')}); verdict ${small.verdict}; exit ${small.exit}; ${smallReady}`,
    '—',
  ]);
  rows.push([
    `manual kubectl sequence (${smallManual.steps.length} commands, sequential), median of ${MANUAL_RUNS} sums`,
    `${smallManual.medianMs.toFixed(0)} ms (${smallManual.requests} API requests${smallManual.sawMismatch ? '; selector matches no pods, pods labelled app=web' : ''})`,
    '—',
  ]);
  rows.push(['speed-up over the manual sequence', `${ratio.toFixed(1)}×`, '≥ 5×']);
  rows.push(['netpath, the same, one run with an empty compile cache (first run after install)', `${small.coldMs.toFixed(0)} ms`, '—']);
  rows.push([
    `process start-up alone, median of ${RUNS}: \`kubectl-netpath --version\` / \`--help\` / \`node -e 0\` / \`kubectl version --client\``,
    `${median(version).toFixed(0)} ms / ${median(startup).toFixed(0)} ms / ${median(bare).toFixed(0)} ms / ${median(kstartup).toFixed(0)} ms`,
    '--version < 250 ms',
  ]);
  rows.push([`\`kubectl-netpath --version\` with an empty compile cache (first run after install), median of 3`, `${median(coldVersion).toFixed(0)} ms`, '—']);
  rows.push([`API requests / sequential round trips (netpath -v 6)`, `${small.requests} requests / ${small.roundTrips} round trips`, '≤ 4 round trips']);
  console.error(`bench-diagnose: small: netpath ${small.medianMs.toFixed(0)} ms, manual ${smallManual.medianMs.toFixed(0)} ms`);
  for (const [cmd, ms] of smallManual.steps) console.error(`bench-diagnose:   ${ms.toFixed(0).padStart(5)} ms  ${cmd}`);
}

/**
 * `lab --scale … --scenario selector-mismatch --api-latency 30`, as asked. When the lab refuses it, the nearest
 * working variant, and a note says which and why: the platform scenario's Nodes colliding with the generated ones
 * (`nodes "lab-worker-1" already exists`) → the same YAML through --manifests without its Node documents; the data
 * plane running out of file descriptors (one listener per pod and ClusterIP) → --no-dataplane (the diagnosis runs
 * with --no-probe and sends no traffic, so it does not use the data plane).
 */
/** lab-worker-N → lab-worker-(200+N), with its addresses, so the scenario's nodes sit beside the 200 generated ones. */
function renumberNode(d: any): any {
  if (d.kind !== 'Node') return d;
  const n = Number(/^lab-worker-(\d+)$/.exec(d.metadata.name)?.[1]);
  if (!n) return d;
  const name = `lab-worker-${200 + n}`;
  const cidr = `127.1.${200 + n}.0/24`;
  return {
    ...d,
    metadata: { ...d.metadata, name, labels: { ...d.metadata.labels, 'kubernetes.io/hostname': name } },
    spec: { ...d.spec, podCIDR: cidr, podCIDRs: [cidr] },
    status: {
      ...d.status,
      addresses: (d.status?.addresses ?? []).map((a: any) => (a.type === 'InternalIP' ? { ...a, address: `127.0.1.${200 + n}` } : a.type === 'Hostname' ? { ...a, address: name } : a)),
    },
  };
}

async function startScaleLab(): Promise<{ lab: Started; notes: string[]; cleanup?: string }> {
  const notes: string[] = [];
  let args = ['--scale', SCALE, '--scenario', NS, '--api-latency', LATENCY];
  let cleanup: string | undefined;
  for (;;) {
    try {
      return { lab: await startLab(args), notes, cleanup };
    } catch (e) {
      const msg = (e as Error).message;
      const shown = `\`lab ${args.join(' ')}\` fails: ${msg}`;
      if (/already exists/.test(msg) && args.includes('--scenario')) {
        cleanup = mkdtempSync(join(tmpdir(), 'netpath-bench-manifests-'));
        for (const f of ['platform', NS]) {
          const docs = yaml.loadAll(readFileSync(join(ROOT, 'src', 'lab', 'scenarios', `${f}.yaml`), 'utf8')).filter(Boolean) as any[];
          writeFileSync(join(cleanup, `${f === 'platform' ? '0' : '1'}-${f}.yaml`), docs.map((d) => yaml.dump(renumberNode(d))).join('---\n'));
        }
        args = ['--scale', SCALE, '--manifests', cleanup, '--api-latency', LATENCY];
        notes.push(
          `${shown}; loaded platform.yaml and ${NS}.yaml with --manifests instead, the platform's Nodes lab-worker-1/2 renamed lab-worker-201/202 ` +
            '(127.0.1.201/202, pod CIDRs 127.1.201/202.0/24): the generated nodes already run 250 pods each against a capacity of 110, so without ' +
            'nodes of their own the platform and scenario pods stay Pending ("0/200 nodes are available: 200 Too many pods")',
        );
      } else if (/EMFILE/.test(msg) && !args.includes('--no-dataplane')) {
        args = [...args, '--no-dataplane'];
        notes.push(`${shown}; ran the scale cluster with --no-dataplane`);
      } else {
        if (cleanup) rmSync(cleanup, { recursive: true, force: true });
        throw e;
      }
      console.error(`bench-diagnose: ${notes.at(-1)}`);
    }
  }
}

// 2. Scale cluster: 10k services, 50k pods, 2k ingresses, plus the same scenario.
{
  const { lab: s, notes: scaleNotes, cleanup } = await startScaleLab();
  notes.push(...scaleNotes);
  let big: NetpathResult;
  let bigManual: ManualResult;
  let settled: { ms: number; ready: string };
  try {
    settled = await settle(s, 10_000);
    big = await timeNetpath(s);
    bigManual = await timeManual(s);
  } finally {
    await stop(s);
    if (cleanup) rmSync(cleanup, { recursive: true, force: true });
  }
  rows.push([
    `scale cluster (${SCALE}) settled after the ready line`,
    `${(settled.ms / 1000).toFixed(1)} s (${settled.ready})`,
    '—',
  ]);
  rows.push([
    `netpath svc/web -n ${NS} -o json --no-probe, median of ${RUNS} (scale cluster, ${LATENCY} ms API latency)`,
    `${big.medianMs.toFixed(0)} ms (runs ${big.runs.map((x) => x.toFixed(0)).join(', ')}); verdict ${big.verdict}; ${big.requests} requests / ${big.roundTrips} round trips`,
    '—',
  ]);
  rows.push(['scale cluster vs small cluster (netpath)', `${(big.medianMs / small.medianMs).toFixed(2)}×`, '≤ 2×']);
  rows.push([
    `manual kubectl sequence on the scale cluster, median of ${MANUAL_RUNS} sums`,
    `${bigManual.medianMs.toFixed(0)} ms (${(bigManual.medianMs / big.medianMs).toFixed(1)}× netpath; ${bigManual.requests} API requests)`,
    '—',
  ]);
  console.error(`bench-diagnose: scale: netpath ${big.medianMs.toFixed(0)} ms, manual ${bigManual.medianMs.toFixed(0)} ms`);
  for (const [cmd, ms] of bigManual.steps) console.error(`bench-diagnose:   ${ms.toFixed(0).padStart(5)} ms  ${cmd}`);
}

const kv = (await run('kubectl', ['version', '--client', '-o', 'json'])).stdout;
console.log(
  `Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), node ${process.version}, kubectl ${JSON.parse(kv).clientVersion?.gitVersion}; total ${((performance.now() - tStart) / 1000).toFixed(0)} s; load average ${loadAtStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end\n`,
);
console.log(`| Measure | Result | Target |\n|---|---|---|`);
for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
for (const n of notes) console.log(`\nNote: ${n}`);

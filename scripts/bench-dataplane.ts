// Data-plane benchmarks: requests/s through the lab's loopback data plane (LB → ingress-nginx proxy → pod, and for
// comparison a ClusterIP and a pod IP directly), and the controller log-line rate the lab sustains with the log-flood
// fault across three ingress-nginx controller pods, read back by one `logs?follow=true` follower per pod.
// Run: npm run bench:dataplane   (prints a Markdown table; docs/BENCHMARKS.md records the figures)
//
// The lab runs in a child process (this script with --lab-child, an in-process Lab.start with the demo scenario),
// so the load generator and the lab do not share an event loop. The child answers a few IPC commands: the objects'
// addresses and readiness, the fault switch, and the exact counters (the flood's own counts and the LogStore's
// `written` per controller pod) that a Kubernetes client cannot see.
//
// Environment: BENCH_CONCURRENCY (default 32), BENCH_SECONDS (per request run, default 10), BENCH_FLOOD_SECONDS
// (default 60), BENCH_FLOOD_RATE (lines/s per controller pod, default 7000).
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { type Child, forkChild, serveChild } from './lib/child.ts';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';

const HOST = 'shop.netpath.test';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 1;
const FLOOD_SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 60);
const FLOOD_RATE = Number(process.env.BENCH_FLOOD_RATE ?? 7000);
const CONTROLLERS = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ─── the lab child ──────────────────────────────────────────────────────────────────────────────────────

interface PodInfo {
  name: string;
  uid: string;
  ip?: string;
  ready: boolean;
  running: boolean;
}

interface LabState {
  controllers: PodInfo[];
  web: PodInfo[];
  webClusterIP?: string;
  lb?: string;
}

interface FloodSnapshot {
  /** The flood's own exact counts per `namespace/name`. */
  flood: Record<string, number>;
  /** LogStore `written` per controller pod name (every line, flood or not). */
  written: Record<string, number>;
  /** performance.now() in the child when taken. */
  at: number;
}

interface ChildStats {
  /** CPU seconds (user + system) since the previous stats call. */
  cpuSeconds: number;
  wallSeconds: number;
  /** Event-loop delay since the previous stats call, ms. */
  eldP50: number;
  eldP99: number;
  eldMax: number;
  rssMiB: number;
}

async function labChild(): Promise<void> {
  const { Lab } = await import('../src/lab/lab.ts');
  const { ingressNginxClasses } = await import('../src/lab/faults.ts');
  const lab = await Lab.start({ scenarios: ['demo'] });
  const podDef = lab.registry.type('', 'pods');
  const svcDef = lab.registry.type('', 'services');
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();

  const podInfo = (p: any): PodInfo => ({
    name: p.metadata.name,
    uid: p.metadata.uid,
    ip: p.status?.podIP,
    ready: !!p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && !p.metadata.deletionTimestamp,
    running: !!p.status?.containerStatuses?.[0]?.state?.running,
  });
  const controllerPods = () => lab.store.list(podDef, 'ingress-nginx').filter((p) => ingressNginxClasses(p) && !p.metadata.deletionTimestamp);
  // The flood forgets its targets when it is switched off, so its counts are read before the switch.
  const snapshot = (): FloodSnapshot => {
    const written: Record<string, number> = {};
    for (const p of controllerPods()) written[p.metadata.name!] = lab.logs.current(p.metadata.uid!, ingressNginxClasses(p)!.container).written;
    return { flood: lab.faults.floodCounts(), written, at: performance.now() };
  };

  const commands: Record<string, (arg: any) => unknown> = {
    state: (): LabState => ({
      controllers: controllerPods().map(podInfo),
      web: lab.store.list(podDef, 'shop', { labelSelector: [{ key: 'component', op: 'in', values: ['web'] }] }).map(podInfo),
      webClusterIP: lab.store.get(svcDef, 'shop', 'web')?.spec?.clusterIP,
      lb: lab.store.get(svcDef, 'ingress-nginx', 'ingress-nginx-controller')?.status?.loadBalancer?.ingress?.[0]?.ip,
    }),
    flood: (): FloodSnapshot => snapshot(),
    /** Switches the flood on or off (rate 0) and returns the counters read in the same tick, before the switch. */
    floodSet: (rate: number): FloodSnapshot => {
      const s = snapshot();
      lab.faults.set(rate ? { logFloodLinesPerSecond: rate } : {});
      return s;
    },
    stats: (): ChildStats => {
      const cpu = process.cpuUsage(cpu0);
      const now = performance.now();
      const out = {
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        wallSeconds: (now - wall0) / 1000,
        eldP50: eld.percentile(50) / 1e6,
        eldP99: eld.percentile(99) / 1e6,
        eldMax: eld.max / 1e6,
        rssMiB: process.memoryUsage().rss / 1048576,
      };
      cpu0 = process.cpuUsage();
      wall0 = now;
      eld.reset();
      return out;
    },
  };
  serveChild(commands, () => lab.stop(), { ready: lab.ready(), ca: lab.ca.certPem, token: lab.token });
}

// ─── the parent: talking to the child ───────────────────────────────────────────────────────────────────

async function startChild(): Promise<{ child: Child; server: string; kubeconfig: string; ca: string; token: string }> {
  const { child, first: r } = await forkChild<any>(import.meta.filename, ['--lab-child']);
  if (!r.ready.resolver) {
    child.send('stop');
    throw new Error('the lab runs without its data plane (another lab on this machine holds it, see the line above); stop it and run again');
  }
  return { child, server: r.ready.server, kubeconfig: r.ready.kubeconfig, ca: r.ca, token: r.token };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// ─── request load ───────────────────────────────────────────────────────────────────────────────────────

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  errorSamples: string[];
}

const pct = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN);

/** CONCURRENCY clients, each sending its next request when the previous one is answered, for `seconds`. */
async function load(url: string, dispatcher: Agent, keepAlive: boolean, seconds: number, measure: boolean): Promise<LoadResult> {
  const lat: number[] = [];
  let errors = 0;
  const errorSamples = new Map<string, number>();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const s = performance.now();
      try {
        const r = await request(url, { dispatcher, reset: !keepAlive, headersTimeout: 10_000, bodyTimeout: 10_000 });
        await r.body.text();
        if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}`);
        if (measure) lat.push(performance.now() - s);
      } catch (e) {
        if (!measure) continue;
        errors++;
        const err = e as Error & { code?: string };
        const key = err.code ?? err.message;
        errorSamples.set(key, (errorSamples.get(key) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const elapsed = (performance.now() - t0) / 1000;
  const sorted = Float64Array.from(lat).sort();
  return {
    requests: lat.length,
    errors,
    seconds: elapsed,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    errorSamples: [...errorSamples].map(([k, n]) => `${k} ×${n}`),
  };
}

interface Variant {
  label: string;
  url: string;
  keepAlive: boolean;
  agent: () => Agent;
}

// ─── log followers ──────────────────────────────────────────────────────────────────────────────────────

interface Follower {
  pod: string;
  lines: number;
  close(): void;
}

function follow(server: string, ca: string, token: string, pod: string, agent: HttpsAgent): Promise<Follower> {
  return new Promise((resolve, reject) => {
    const f: Follower = { pod, lines: 0, close: () => req.destroy() };
    const req = httpsRequest(
      `${server}/api/v1/namespaces/ingress-nginx/pods/${pod}/log?follow=true&tailLines=0`,
      { agent, ca, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`follow ${pod}: HTTP ${res.statusCode}`));
        res.on('data', (c: Buffer) => {
          let i = -1;
          while ((i = c.indexOf(10, i + 1)) >= 0) f.lines++;
        });
        res.on('error', () => {});
        resolve(f);
      },
    );
    req.on('error', (e) => (f.lines ? undefined : reject(e)));
    req.end();
  });
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const rows: [string, string, string][] = [];
  const notes: string[] = [];
  const tStart = performance.now();
  const { child, server, kubeconfig, ca, token } = await startChild();
  try {
    // Ready: both controllers and the three web pods Ready (real probes), the LB has an address, and a request through
    // it answers 200.
    const st = await until('the demo to be Ready', async () => {
      const s = await child.call<LabState>('state');
      return s.lb && s.webClusterIP && s.controllers.length >= 2 && s.controllers.every((p) => p.ready) && s.web.length === 3 && s.web.every((p) => p.ready) ? s : undefined;
    });
    const lb = st.lb!;
    // Two controller pod IPs as sources: the ClusterIP runs from one and the pod runs from the other, so the
    // TIME_WAIT ports one run's new connections leave on its source address do not slow the next run's binds.
    const [ctrlA, ctrlB] = [st.controllers[0]!.ip!, st.controllers[1]!.ip!];
    const pinned = (_h: string, o: { all?: boolean }, cb: (...a: any[]) => void) => (o.all ? cb(null, [{ address: lb, family: 4 }]) : cb(null, lb, 4));
    const lbAgent = () => new Agent({ connections: CONCURRENCY, allowH2: false, keepAliveTimeout: 30_000, connect: { ca, servername: HOST, lookup: pinned } as any });
    // The demo's NetworkPolicy admits only the ingress controllers and Envoy's proxies to the web pods (a client on
    // 127.0.0.1 is dropped, as a real CNI drops it), so the ClusterIP and pod runs connect from an ingress-nginx
    // controller pod's IP: the hop the proxy itself makes.
    const from = (localAddress: string) => () => new Agent({ connections: CONCURRENCY, allowH2: false, keepAliveTimeout: 30_000, localAddress });
    await until('a 200 through the load balancer', async () => {
      const a = lbAgent();
      try {
        const r = await request(`https://${HOST}/`, { dispatcher: a });
        await r.body.text();
        return r.statusCode === 200;
      } catch {
        return false;
      } finally {
        await a.close();
      }
    });
    const web = st.web[0]!;
    const variants: Variant[] = [
      { label: `LB ${lb}:443 → ingress-nginx → pod, HTTPS ${HOST}, keep-alive`, url: `https://${HOST}/`, keepAlive: true, agent: lbAgent },
      { label: `LB ${lb}:443 → ingress-nginx → pod, HTTPS ${HOST}, new connection per request`, url: `https://${HOST}/`, keepAlive: false, agent: lbAgent },
      { label: `ClusterIP shop/web ${st.webClusterIP}:80 → pod, HTTP, keep-alive`, url: `http://${st.webClusterIP}/`, keepAlive: true, agent: from(ctrlA) },
      { label: `ClusterIP shop/web ${st.webClusterIP}:80 → pod, HTTP, new connection per request`, url: `http://${st.webClusterIP}/`, keepAlive: false, agent: from(ctrlA) },
      { label: `pod ${web.ip}:8080 directly, HTTP, keep-alive`, url: `http://${web.ip}:8080/`, keepAlive: true, agent: from(ctrlB) },
      { label: `pod ${web.ip}:8080 directly, HTTP, new connection per request`, url: `http://${web.ip}:8080/`, keepAlive: false, agent: from(ctrlB) },
    ];
    await child.call('stats');
    for (const v of variants) {
      const agent = v.agent();
      await load(v.url, agent, v.keepAlive, WARMUP_SECONDS, false);
      await child.call('stats');
      const own0 = process.cpuUsage();
      const r = await load(v.url, agent, v.keepAlive, SECONDS, true);
      const own = process.cpuUsage(own0);
      const cs = await child.call<ChildStats>('stats');
      await agent.close();
      const rps = r.requests / r.seconds;
      rows.push([
        `${v.label} (${CONCURRENCY} clients, ${SECONDS} s)`,
        `${rps.toFixed(0)} req/s; p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; ${r.errors} errors; CPU: lab ${((cs.cpuSeconds / cs.wallSeconds) * 100).toFixed(0)} %, load generator ${(((own.user + own.system) / 1e6 / r.seconds) * 100).toFixed(0)} %`,
        '— (no target)',
      ]);
      if (r.errorSamples.length) notes.push(`${v.label}: errors ${r.errorSamples.join(', ')}`);
      console.error(`bench-dataplane: ${rows.at(-1)!.slice(0, 2).join(': ')}`);
    }

    // ── log flood across three controllers ──
    const exec = promisify(execFile);
    await exec('kubectl', ['--kubeconfig', kubeconfig, 'scale', 'deployment', 'ingress-nginx-controller', '-n', 'ingress-nginx', `--replicas=${CONTROLLERS}`]);
    const tScale = performance.now();
    const ctrl = await until('3 Ready controllers', async () => {
      const s = await child.call<LabState>('state');
      return s.controllers.length === CONTROLLERS && s.controllers.every((p) => p.ready && p.running) ? s.controllers : undefined;
    });
    const scaleSeconds = (performance.now() - tScale) / 1000;
    const followAgent = new HttpsAgent({ keepAlive: false, maxSockets: 16 });
    const followers = await Promise.all(ctrl.map((p) => follow(server, ca, token, p.name, followAgent)));
    await sleep(500);
    const received = () => followers.reduce((a, f) => a + f.lines, 0);
    const r0 = received();
    await child.call('stats');
    const on = await child.call<FloodSnapshot>('floodSet', FLOOD_RATE);
    const tOn = performance.now();
    // received lines per second of the window (each sample's own elapsed time, timers being late)
    const perSecond: number[] = [];
    let last = r0;
    let lastAt = tOn;
    for (let s = 1; s <= FLOOD_SECONDS; s++) {
      await sleep(tOn + s * 1000 - performance.now());
      const now = received();
      const at = performance.now();
      perSecond.push(((now - last) * 1000) / (at - lastAt));
      last = now;
      lastAt = at;
    }
    const after = await child.call<FloodSnapshot>('floodSet', 0);
    const cs = await child.call<ChildStats>('stats');
    const windowSeconds = (after.at - on.at) / 1000;
    const floodLines = Object.keys(after.flood).reduce((a, k) => a + after.flood[k]! - (on.flood[k] ?? 0), 0);
    const written = Object.keys(after.written).reduce((a, k) => a + after.written[k]! - (on.written[k] ?? 0), 0);
    const receivedAtOff = received() - r0;
    const tDrain = performance.now();
    await until('the followers to drain', async () => received() - r0 >= written || performance.now() - tDrain > 15_000, 20_000);
    const drainMs = performance.now() - tDrain;
    const got = received() - r0;
    for (const f of followers) f.close();
    followAgent.destroy();
    const expected = FLOOD_RATE * CONTROLLERS * windowSeconds;
    const inner = perSecond.slice(1);
    const minSec = Math.min(...inner);
    // 5-s windows: a 1-s window sees the flood's 50 ms ticks land on either side of its edges (±1 tick ≈ ±5 %)
    const min5 = Math.min(...inner.slice(4).map((_, i) => inner.slice(i, i + 5).reduce((a, b) => a + b, 0) / 5));
    rows.push([`controllers scaled 2 → ${CONTROLLERS} (kubectl scale) until Ready`, `${scaleSeconds.toFixed(1)} s`, '—']);
    rows.push([
      `log lines written, ${CONTROLLERS} controllers × ${FLOOD_RATE}/s for ${windowSeconds.toFixed(1)} s (exact: LogStore written)`,
      `${written} lines = ${(written / windowSeconds).toFixed(0)} lines/s (flood's count ${floodLines}; ${((floodLines / expected) * 100).toFixed(1)} % of ${expected.toFixed(0)} due)`,
      '≥ 20 000 lines/s for 60 s',
    ]);
    rows.push([
      `log lines received by ${CONTROLLERS} followers (pods/log?follow=true over HTTPS)`,
      `${got} lines = ${(got / windowSeconds).toFixed(0)} lines/s; lowest 1-s window ${minSec.toFixed(0)} lines/s, lowest 5-s window ${min5.toFixed(0)} lines/s; ${receivedAtOff} received by the end of the window, the rest within ${drainMs.toFixed(0)} ms`,
      '≥ 20 000 lines/s for 60 s',
    ]);
    rows.push([
      'lab process during the flood',
      `CPU ${((cs.cpuSeconds / cs.wallSeconds) * 100).toFixed(0)} % of one core; event-loop delay p99 ${cs.eldP99.toFixed(0)} ms, max ${cs.eldMax.toFixed(0)} ms; RSS ${cs.rssMiB.toFixed(0)} MiB`,
      '—',
    ]);
    if (got !== written) notes.push(`followers received ${got} lines, ${written} were written (${got - written > 0 ? '+' : ''}${got - written})`);
  } finally {
    const exited = new Promise((r) => child.proc.once('exit', r));
    await child.call('stop').catch(() => {});
    await Promise.race([exited, sleep(10_000)]);
    if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
  }

  console.log(`Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), node ${process.version}; total ${((performance.now() - tStart) / 1000).toFixed(0)} s\n`);
  console.log(`| Measure | Result | Target |\n|---|---|---|`);
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
  for (const n of notes) console.log(`\nNote: ${n}`);
}

if (process.argv.includes('--lab-child')) await labChild();
else await main();

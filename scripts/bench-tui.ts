// TUI benchmark: the built CLI's UI in a real pseudo-terminal (tmux) on the lab's log flood — 20 000 lines/s over
// three ingress-nginx controller pods for 60 s — with, in the same run, `kubectl logs -f -l … --prefix` on the same
// flood. Measures the UI process's RSS and CPU (/proc), the exactness of its line counter (the controller-logs pane's
// `received`, read off the screen, against the lab's exact LogStore counts), key-to-frame latency (a key sent with
// `tmux send-keys` until the changed frame is on the tmux screen), and kubectl's throughput.
// Run: npm run bench:tui   (needs tmux and kubectl; run under flock /tmp/netpath-dataplane.lock)
//
// Environment: BENCH_FLOOD_SECONDS (default 60), BENCH_FLOOD_TOTAL (lines/s over all controllers, default 20000),
// BENCH_UI_ENV (extra `NAME=value …` for the UI process, e.g. NETPATH_TUI_HEAP_GROWING=0), BENCH_UI_NODE_OPTIONS.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Child, forkChild, serveChild } from './lib/child.ts';
import { performance } from 'node:perf_hooks';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'kubectl-netpath.js');
const FLOOD_SECONDS = Number(process.env.BENCH_FLOOD_SECONDS ?? 60);
const TOTAL_RATE = Number(process.env.BENCH_FLOOD_TOTAL ?? 20_000);
const CONTROLLERS = 3;
const RATE = Math.round(TOTAL_RATE / CONTROLLERS);
const SOCKET = `netpath-bench-tui-${process.pid}`;
const NO_DP = process.env.BENCH_NO_DATAPLANE === '1';
const TRACE = join(tmpdir(), `netpath-bench-tui-trace-${process.pid}.json`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ─── the lab child (in-process Lab, exact counters over IPC) ────────────────────────────────────────────

async function labChild(): Promise<void> {
  const { Lab } = await import('../src/lab/lab.ts');
  const { ingressNginxClasses } = await import('../src/lab/faults.ts');
  // BENCH_NO_DATAPLANE=1: control plane only (the flood does not need the data plane; the UI then runs with
  // --no-probe). For trying the script out while another lab holds the data plane.
  const lab = await Lab.start({ scenarios: ['platform', 'demo'], dataplane: !NO_DP });
  const podDef = lab.registry.type('', 'pods');
  const ready = (p: any) => !!p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && !p.metadata.deletionTimestamp;
  const controllers = () => lab.store.list(podDef, 'ingress-nginx').filter((p) => ingressNginxClasses(p) && !p.metadata.deletionTimestamp);
  const written = () => {
    let n = 0;
    for (const p of controllers()) n += lab.logs.current(p.metadata.uid!, ingressNginxClasses(p)!.container).written;
    return n;
  };
  const commands: Record<string, (arg: any) => unknown> = {
    state: () => ({ controllers: controllers().map((p) => ({ name: p.metadata.name, ready: ready(p) })), shopReady: lab.store.list(podDef, 'shop').every(ready) }),
    written: () => written(),
    flood: (rate: number) => {
      const w = written();
      lab.faults.set(rate ? { logFloodLinesPerSecond: rate } : {});
      return w;
    },
  };
  serveChild(commands, () => lab.stop(), lab.ready());
}

// ─── the parent ─────────────────────────────────────────────────────────────────────────────────────────

async function startChild(): Promise<{ child: Child; ready: { kubeconfig: string; resolver: string | null } }> {
  const { child, first: ready } = await forkChild<{ kubeconfig: string; resolver: string | null }>(import.meta.filename, ['--lab-child']);
  if (!ready.resolver && !NO_DP) throw new Error('the lab runs without its data plane (another lab holds it); run under flock /tmp/netpath-dataplane.lock');
  return { child, ready };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, stepMs = 200): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

const tmux = (...args: string[]) => execFileSync('tmux', ['-u', '-L', SOCKET, ...args], { encoding: 'utf8' });
const capture = () => tmux('capture-pane', '-p', '-t', 'ui');
/** The controller-logs pane's exact `received` counter, read off the screen. */
const uiReceived = () => {
  const m = /Controller logs[\s\S]*?received (\d+)/.exec(capture());
  return m ? Number(m[1]) : undefined;
};

function procStat(pid: number): { cpuTicks: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuTicks, rssMiB: rss ? Number(rss[1]) / 1024 : NaN };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

/**
 * A tmux control-mode client (`tmux -C`, pane output off): commands go over one pipe, so sending a key and reading
 * the screen cost no process spawn (a spawned `tmux send-keys` alone takes 10–30 ms on a busy machine).
 */
class TmuxControl {
  private proc: ChildProcess;
  private buf = '';
  private block: string[] | undefined;
  private waiting: ((lines: string[]) => void)[] = [() => {}]; // the attach command's own block
  constructor() {
    this.proc = spawn('tmux', ['-u', '-L', SOCKET, '-C', 'attach-session', '-f', 'no-output', '-t', 'ui'], { stdio: ['pipe', 'pipe', 'ignore'] });
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (line.startsWith('%begin')) this.block = [];
        else if (line.startsWith('%end') || line.startsWith('%error')) {
          const b = this.block ?? [];
          this.block = undefined;
          this.waiting.shift()?.(b);
        } else if (this.block) this.block.push(line);
      }
    });
  }
  cmd(c: string): Promise<string[]> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin!.write(c + '\n');
    });
  }
  close(): void {
    this.proc.kill();
  }
}

/**
 * Sends one key and waits until `changed(last screen line)` holds; returns the latency in ms. The screen is read every
 * 2 ms, not back to back: each capture-pane of a 200×50 screen costs tmux CPU, and on two cores already busy with the
 * flood (the lab, kubectl, the UI) a busy poll would itself delay the frame it waits for.
 */
async function keyToFrame(ctl: TmuxControl, key: string, changed: (firstLine: string) => boolean): Promise<number> {
  const t0 = performance.now();
  await ctl.cmd(`send-keys -t ui ${key}`);
  for (;;) {
    const lines = await ctl.cmd('capture-pane -p -t ui');
    if (changed(lines.filter((l) => l.trim()).at(-1) ?? '')) return performance.now() - t0;
    if (performance.now() - t0 > 5000) return Infinity;
    await sleep(2);
  }
}

async function main(): Promise<void> {
  execFileSync('tmux', ['-V']);
  const tStart = performance.now();
  const { child, ready } = await startChild();
  const rows: [string, string, string, string][] = [];
  let kubectl: ChildProcess | undefined;
  let kAtOffAll = 0;
  try {
    const kc = ready.kubeconfig;
    await until('the demo to be Ready', async () => (await child.call<any>('state')).shopReady);
    execFileSync('kubectl', ['--kubeconfig', kc, 'scale', 'deployment', 'ingress-nginx-controller', '-n', 'ingress-nginx', `--replicas=${CONTROLLERS}`], { stdio: 'ignore' });
    await until('3 Ready controllers', async () => {
      const s = await child.call<any>('state');
      return s.controllers.length === CONTROLLERS && s.controllers.every((c: any) => c.ready);
    });

    // the UI in a 200×50 pty; the command is the pane's process, so pane_pid is the UI's pid
    const env = `NETPATH_KEYS=/nonexistent KUBECONFIG= NETPATH_TUI_TRACE=${TRACE} ${process.env.BENCH_UI_ENV ?? ''} ${process.env.BENCH_UI_NODE_OPTIONS ? `'NODE_OPTIONS=${process.env.BENCH_UI_NODE_OPTIONS}'` : ''}`;
    tmux('new-session', '-d', '-x', '200', '-y', '50', '-s', 'ui', `exec env -u CI ${env} ${process.execPath} ${CLI} ${NO_DP ? 'ingress/shop -n shop --no-probe' : `shop.netpath.test --resolver ${ready.resolver}`} --kubeconfig ${kc}`);
    tmux('set-option', '-g', 'window-size', 'manual');
    const pid = Number(tmux('display', '-p', '-t', 'ui', '#{pane_pid}').trim());
    const ctl = new TmuxControl();
    await until('the UI', () => /FAIL at|✓ OK|WARN|UNKNOWN/.test(capture()), 60_000);
    tmux('send-keys', '-t', 'ui', 'l');
    await until('the logs pane', () => uiReceived() !== undefined, 20_000);
    tmux('send-keys', '-t', 'ui', 'a'); // every line, not only the path's host
    tmux('send-keys', '-t', 'ui', 'f'); // zoom the logs pane
    await until('all hosts', () => capture().includes('all hosts'), 10_000);

    // kubectl logs -f on the same pods, counting lines (what `> /dev/null` would have written)
    let kLines = 0;
    kubectl = spawn('kubectl', ['--kubeconfig', kc, 'logs', '-f', '-n', 'ingress-nginx', '-l', 'app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller', '--prefix', '--tail=0', '--max-log-requests=10'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, KUBECONFIG: '' } });
    kubectl.stdout!.on('data', (c: Buffer) => {
      let i = -1;
      while ((i = c.indexOf(10, i + 1)) >= 0) kLines++;
    });
    await sleep(3000);

    // baseline: counters at rest
    const stable = async (read: () => Promise<number | undefined> | number | undefined, what: string) =>
      until(
        what,
        async () => {
          const a = await read();
          await sleep(1500);
          const b = await read();
          return a !== undefined && a === b ? { v: b } : undefined;
        },
        60_000,
        0,
      );
    const w0 = (await stable(() => child.call<number>('written'), 'the lab to be quiet')).v;
    const r0 = (await stable(uiReceived, 'the UI counter at rest')).v;
    const k0 = kLines;

    const s0 = procStat(pid);
    const t0 = performance.now();
    const t0Wall = Date.now();
    await child.call('flood', RATE);
    const rss: number[] = [];
    const cpu: number[] = [];
    const lat: number[] = [];
    let prev = s0;
    let prevT = t0;
    let paused = false; // here: timestamps on
    let nextKey = t0 + 1500;
    while (performance.now() - t0 < FLOOD_SECONDS * 1000) {
      await sleep(Math.min(1000, Math.max(0, nextKey - performance.now())));
      const now = performance.now();
      if (now - prevT >= 1000) {
        const s = procStat(pid);
        rss.push(s.rssMiB);
        cpu.push((s.cpuTicks - prev.cpuTicks) / 100 / ((now - prevT) / 1000));
        prev = s;
        prevT = now;
      }
      if (now >= nextKey) {
        // `t` toggles the log pane's timestamps and says so in the footer (the last line): "timestamps on" ↔ "off"
        const want = paused ? 'timestamps off' : 'timestamps on';
        lat.push(await keyToFrame(ctl, 't', (last) => last.includes(want)));
        paused = !paused;
        nextKey = performance.now() + 1500;
      }
    }
    const w1pre = await child.call<number>('flood', 0);
    const t1 = performance.now();
    const t1Wall = Date.now();
    const s1 = procStat(pid);

    const windowS = (t1 - t0) / 1000;
    const kAtOff = kLines - k0;
    kAtOffAll = kAtOff;
    const rAtOff = (uiReceived() ?? r0) - r0;
    const w1 = (await stable(() => child.call<number>('written'), 'the lab to be quiet again')).v;
    const tDrain = performance.now();
    const r1 = (await stable(uiReceived, 'the UI counter to settle')).v;
    const uiDrainS = (performance.now() - tDrain) / 1000;
    await until('kubectl to catch up', () => kLines - k0 >= w1 - w0 || performance.now() - tDrain > 30_000, 40_000);
    const k1 = kLines;
    const written = w1 - w0;
    const ui = r1 - r0;
    const kc1 = k1 - k0;
    const meanCpu = (s1.cpuTicks - s0.cpuTicks) / 100 / windowS;
    const peakRss = Math.max(...rss);
    const p99 = pct(lat, 99);

    rows.push(['lines written by the lab (exact, LogStore)', `${written} in ${windowS.toFixed(1)} s = ${(written / windowS).toFixed(0)} lines/s over ${CONTROLLERS} controllers (${w1 - w1pre} after the switch-off tick)`, `${TOTAL_RATE} lines/s for ${FLOOD_SECONDS} s`, '']);
    rows.push(['UI line counter (controller-logs `received`)', `${ui} (${ui === written ? 'exact' : `${ui - written > 0 ? '+' : ''}${ui - written} off`}); ${rAtOff} by the end of the window = ${(rAtOff / windowS).toFixed(0)} lines/s; settled ${uiDrainS.toFixed(1)} s later`, 'exact', ui === written ? 'met' : 'missed']);
    rows.push(['kubectl logs -f -l … --prefix (same flood)', `${kc1} lines (${kc1 === written ? 'exact' : `${kc1 - written > 0 ? '+' : ''}${kc1 - written}`}); ${kAtOff} by the end of the window = ${(kAtOff / windowS).toFixed(0)} lines/s`, `— (the UI's screen read at the same instant: ${rAtOff}; it lags by up to one frame interval, 200–250 ms; the ingest row below compares the store)`, '']);
    rows.push(['UI process RSS during the flood', `peak ${peakRss.toFixed(0)} MiB, median ${pct(rss, 50).toFixed(0)} MiB (${s0.rssMiB.toFixed(0)} MiB before the flood)`, '< 200 MB', peakRss * 1.048576 < 200 ? 'met' : 'missed']);
    rows.push(['UI process CPU during the flood', `mean ${(meanCpu * 100).toFixed(0)} % of one core (1-s samples: p50 ${(pct(cpu, 50) * 100).toFixed(0)} %, max ${(Math.max(...cpu) * 100).toFixed(0)} %)`, '< 1 core', meanCpu < 1 ? 'met' : 'missed']);
    rows.push(['key-to-frame latency (tmux control client: send-keys `t` → footer changed on the tmux screen)', `p50 ${pct(lat, 50).toFixed(0)} ms, p90 ${pct(lat, 90).toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms over ${lat.length} keys (slowest: ${[...lat].sort((a, b) => b - a).slice(0, 4).map((x) => x.toFixed(0)).join(', ')} ms)`, 'p99 < 100 ms', p99 < 100 ? 'met' : 'missed']);
    ctl.close();
    tmux('send-keys', '-t', 'ui', 'C-c');
    // the UI writes its in-process trace at exit: key (stdin readable) → frame written, and event-loop delay
    const tr = await until('the UI trace', () => {
      try {
        return JSON.parse(readFileSync(TRACE, 'utf8')) as { keyToFrameMs: number[]; renderMs: number[]; eventLoopDelayMs: { p50: number; p99: number; max: number }; gc?: Record<string, { n: number; ms: number; max: number }>; peakMemoryMiB?: Record<string, number>; ingest?: [number, number][] };
      } catch {
        return undefined;
      }
    }, 15_000);
    rmSync(TRACE, { force: true });
    if (tr.ingest?.length) {
      // the store's counter inside the UI (published every 50 ms, sampled every 100 ms), interpolated at the instants the
      // flood started and stopped, against kubectl's count when the flood stopped
      const at = (t: number) => {
        const xs = tr.ingest!;
        let i = xs.findIndex(([ts]) => ts >= t);
        if (i < 0) return xs.at(-1)![1];
        if (i === 0) return xs[0]![1];
        const [ta, a] = xs[i - 1]!;
        const [tb, b] = xs[i]!;
        return a + ((b - a) * (t - ta)) / Math.max(1, tb - ta);
      };
      const uiAtOff = Math.round(at(t1Wall) - at(t0Wall));
      const base = at(t0Wall);
      const caught = tr.ingest.find(([ts, n]) => ts >= t1Wall && n - base >= w1pre - w0);
      const caughtMs = caught ? caught[0] - t1Wall : NaN;
      rows.push(['UI ingest at the end of the window (the store\'s `received`, sampled in the UI process) vs kubectl', `${uiAtOff} = ${(uiAtOff / ((t1 - t0) / 1000)).toFixed(0)} lines/s (${((100 * uiAtOff) / Math.max(1, kAtOffAll)).toFixed(2)} % of kubectl's ${kAtOffAll}; interpolated between 100-ms samples); every line the lab had written by then was in the store ${Number.isNaN(caughtMs) ? 'never' : `at the first sample ≤ ${Math.max(0, Math.round(caughtMs))} ms later`}`, 'UI ingest ≥ kubectl', uiAtOff >= kAtOffAll ? 'met' : caught && caught === tr.ingest.find(([ts]) => ts >= t1Wall) ? 'met at the first sample after the stop' : 'missed']);
    }
    if (tr.peakMemoryMiB) {
      const m = tr.peakMemoryMiB;
      rows.push(['UI process memory, peaks over the run (process.memoryUsage, 500-ms samples)', `rss ${m.rss} MiB, V8 heap total ${m.heapTotal} MiB (used ${m.heapUsed} MiB), external ${m.external} MiB (ArrayBuffers ${m.arrayBuffers} MiB)${m.newSpace !== undefined ? `, V8 new space ${m.newSpace} MiB` : ""}`, '—', '']);
    }
    const inproc = tr.keyToFrameMs.slice(3, 3 + lat.length); // after the l, a, f keys of the set-up
    rows.push(['key-to-frame inside the UI process (stdin readable → frame written, same keys)', `p50 ${pct(inproc, 50).toFixed(0)} ms, p99 ${pct(inproc, 99).toFixed(0)} ms over ${inproc.length} keys; Ink render time per frame p50 ${pct(tr.renderMs, 50).toFixed(1)} ms, p99 ${pct(tr.renderMs, 99).toFixed(1)} ms over ${tr.renderMs.length} frames; event-loop delay over the whole run p50 ${tr.eventLoopDelayMs.p50} ms, p99 ${tr.eventLoopDelayMs.p99} ms, max ${tr.eventLoopDelayMs.max} ms; GC pauses ${Object.entries(tr.gc ?? {}).map(([k, g]) => `${({ 1: 'scavenge', 2: 'mark-compact', 4: 'incremental', 8: 'weak' } as Record<string, string>)[k] ?? `kind ${k}`} ${g.n}× ${g.ms.toFixed(0)} ms (max ${g.max.toFixed(1)})`).join(', ')}`, '—', '']);
  } finally {
    kubectl?.kill('SIGTERM');
    try {
      tmux('kill-server');
    } catch {}
    const exited = new Promise((r) => child.proc.once('exit', r));
    await child.call('stop').catch(() => {});
    await Promise.race([exited, sleep(10_000)]);
    if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
  }
  console.log(`Machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), node ${process.version}; total ${((performance.now() - tStart) / 1000).toFixed(0)} s\n`);
  console.log('| Measure | Result | Target | |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

if (process.argv.includes('--lab-child')) await labChild();
else await main();

// Ladder benchmark: on the lab (data plane on, in a child process: `kubectl-netpath lab --scenario …`), the time
// from the key press (the call the UI's `T` / `L` keys make) to the first traceroute line and to the ladder's
// verdict, from a fresh helper pod each time; and the CLI's wall time for `TARGET --ladder -o json`.
// Run: flock /tmp/netpath-dataplane.lock npm run bench:ladder   (prints Markdown; docs/BENCHMARKS.md "Ladder")
// Environment: BENCH_RUNS (default 10).
import { execa } from 'execa';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KubeClient } from '../src/kube/client.ts';
import { diagnose } from '../src/path/diagnose.ts';
import { parseTarget } from '../src/path/target.ts';
import { defaultProbeNamespaces, runLadder } from '../src/probes/incluster/ladder.ts';
import { traceroute } from '../src/probes/incluster/tools.ts';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin', 'kubectl-netpath.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const SCENARIOS = ['stale-dns', 'wrong-targetport'];

const lab = execa(process.execPath, [CLI, 'lab', ...SCENARIOS.flatMap((s) => ['--scenario', s])], { reject: false, buffer: false });
const ready = await new Promise<{ kubeconfig: string; resolver: string | null }>((resolve, reject) => {
  createInterface({ input: lab.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
  lab.then((r) => reject(new Error(`lab exited ${r.exitCode}`)), reject);
});
if (!ready.resolver) {
  console.error('the lab has no data plane (another lab holds it?): run under flock /tmp/netpath-dataplane.lock');
  lab.kill('SIGTERM');
  process.exit(1);
}
const client = KubeClient.create({ kubeconfig: ready.kubeconfig }, { KUBECONFIG: '' });
// settle: the ingress controller and the web pods ready
for (let i = 0; i < 120; i++) {
  const pods = await client.send('GET', '/api/v1/pods');
  const all = (pods.items ?? []) as any[];
  if (all.length && all.every((p) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'))) break;
  await new Promise((r) => setTimeout(r, 500));
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const row = (name: string, xs: number[]) => `| ${name} | ${xs.length} | ${pct(xs, 50)} | ${pct(xs, 90)} | ${Math.max(...xs)} |`;

const results: Record<string, number[]> = {};
const add = (k: string, v: number) => (results[k] ??= []).push(Math.round(v));
for (const ns of SCENARIOS) {
  const report = await diagnose(client, { target: parseTarget('svc/web'), namespace: ns, probe: false });
  const path = report.paths[0]!;
  const [first, ...fallbackNamespaces] = defaultProbeNamespaces(path, ns);
  const lb = path.loadBalancer?.addresses[0]!;
  for (let i = 0; i < RUNS; i++) {
    let t0 = performance.now();
    let firstLine: number | undefined;
    for await (const ev of traceroute(client, { namespace: first!, host: lb, port: 80, deadlineSeconds: 60 }, AbortSignal.timeout(30_000))) {
      if (firstLine === undefined && ev.type === 'line') firstLine = performance.now() - t0;
    }
    add(`${ns}: key → first traceroute line`, firstLine ?? NaN);
    add(`${ns}: key → traceroute result`, performance.now() - t0);
    t0 = performance.now();
    let verdict = '';
    for await (const ev of runLadder(client, path, { namespace: first!, fallbackNamespaces, deadlineSeconds: 60, timeoutSeconds: 2 }, AbortSignal.timeout(30_000))) {
      if (ev.type === 'verdict') verdict = `${ev.result.verdict.status} ${ev.result.verdict.hop ?? ''}`;
    }
    add(`${ns}: key → ladder verdict (${verdict.trim()})`, performance.now() - t0);
  }
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    const t0 = performance.now();
    const r = await execa(process.execPath, [CLI, 'svc/web', '-n', ns, '--no-probe', '--ladder', '-o', 'json', '--kubeconfig', ready.kubeconfig], { reject: false, env: { KUBECONFIG: '' } });
    add(`${ns}: CLI \`svc/web --ladder -o json\` wall time (exit ${r.exitCode})`, performance.now() - t0);
  }
}

console.log(`Ladder on the lab (${SCENARIOS.join(', ')}), ${RUNS} runs each, milliseconds:\n`);
console.log('| Measure | Runs | p50 | p90 | max |');
console.log('|---|---|---|---|---|');
for (const [k, xs] of Object.entries(results)) console.log(row(k, xs));
await client.close();
lab.kill('SIGTERM');
await lab;
process.exit(0);

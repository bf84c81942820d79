// Nothing left behind: 20 CLI runs with --ladder killed at random moments with SIGINT, SIGTERM and SIGKILL leave no
// helper pod once the deadline has passed and the next run has swept, checked with real
// `kubectl get pods -A -l app.kubernetes.io/managed-by=kubectl-netpath`; `kubectl netpath cleanup -A` removes
// running leftovers. Short deadlines (--helper-deadline 4s) keep the wall time modest. Needs the data plane (flock).
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.ts';
import { CLI, eventually } from './harness.ts';

let lab: Lab;
const tmp = mkdtempSync(join(tmpdir(), 'netpath-cleanup-'));
const SELECTOR = 'app.kubernetes.io/managed-by=kubectl-netpath';
const pods = (ns?: string) => lab.store.list(lab.registry.type('', 'pods'), ns);
const ready = (p: any) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

async function kubectlHelpers(): Promise<string[]> {
  const r = await execa('kubectl', ['--kubeconfig', lab.kubeconfig, '--cache-dir', join(tmp, 'kcache'), 'get', 'pods', '-A', '-l', SELECTOR, '-o', 'name'], { reject: false, env: { KUBECONFIG: '' } });
  if (r.exitCode !== 0) throw new Error(`kubectl failed: ${r.stderr}`);
  return String(r.stdout).split('\n').filter(Boolean);
}

function cli(args: string[]) {
  return execa(process.execPath, [CLI, ...args, '--kubeconfig', lab.kubeconfig], { reject: false, timeout: 60_000, env: { KUBECONFIG: '', NO_COLOR: '1', HOME: tmp } });
}

beforeAll(async () => {
  // netpol-blocks-controller: the pod rung waits for its timeouts, so runs are alive long enough to be killed mid-way.
  lab = await Lab.start({ scenarios: ['netpol-blocks-controller', 'lb-pending'] });
  if (!lab.dataplane?.info().enabled) throw new Error('the lab has no data plane: run under flock /tmp/netpath-dataplane.lock');
  await eventually(() => pods().length > 0 && pods().every((p) => p.status?.phase === 'Running') && pods('ingress-nginx').every(ready), 60_000, 250);
}, 90_000);

afterAll(async () => {
  await lab?.stop();
});

describe('helper pod cleanup', () => {
  it('20 runs killed with SIGINT/SIGTERM/SIGKILL leave 0 helper pods after the deadline and the next run\'s sweep', async () => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGKILL'] as const;
    const seen = new Set<string>();
    let sawLive = 0;
    const cleanedBySignal = { ok: 0, failed: [] as string[] };
    for (let i = 0; i < 20; i++) {
      const sig = signals[i % 3]!;
      const before = new Set(pods().map((x) => x.metadata.name));
      const p = cli(['svc/web', '-n', 'netpol-blocks-controller', '--no-probe', '--ladder', '--timeout', '3s', '--helper-deadline', '4s', '-o', 'json']);
      const at = 300 + Math.floor(Math.random() * 2200);
      await new Promise((r) => setTimeout(r, at));
      // This run's helper pods (earlier SIGKILLed runs' pods may still be running until their deadline).
      const live = pods().filter((x) => x.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-netpath' && !x.metadata.deletionTimestamp && !before.has(x.metadata.name));
      for (const x of live) seen.add(x.metadata.name!);
      if (live.length) sawLive++;
      const t0 = Date.now();
      p.kill(sig);
      const r = await p;
      if (sig !== 'SIGKILL' && r.signal === undefined && r.exitCode !== undefined && r.exitCode <= 1) continue; // finished before the signal
      if (sig === 'SIGINT') expect([130, undefined]).toContain(r.exitCode ?? undefined);
      if (sig === 'SIGTERM') expect([143, undefined]).toContain(r.exitCode ?? undefined);
      expect(Date.now() - t0, `run ${i} took long to stop after ${sig}`).toBeLessThan(8000);
      if (sig !== 'SIGKILL') {
        // The signal handler deleted the run's pods before the process exited.
        const left = live.filter((x) => pods(x.metadata.namespace).some((y) => y.metadata.name === x.metadata.name && !y.metadata.deletionTimestamp));
        if (left.length) cleanedBySignal.failed.push(...left.map((x) => x.metadata.name!));
        else if (live.length) cleanedBySignal.ok++;
      }
    }
    expect(cleanedBySignal.failed).toEqual([]);
    expect(cleanedBySignal.ok).toBeGreaterThanOrEqual(2);
    // Runs were really killed mid-way: helper pods existed at several kill moments.
    expect(sawLive).toBeGreaterThanOrEqual(5);
    expect(seen.size).toBeGreaterThanOrEqual(5);
    // SIGKILLed runs leave pods behind until their deadline ends them (Failed, DeadlineExceeded)...
    await eventually(() => pods().filter((x) => x.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-netpath').every((x) => x.status?.phase === 'Failed' || x.status?.phase === 'Succeeded'), 15_000, 250);
    // ...and the next run sweeps them.
    const next = await cli(['svc/web', '-n', 'lb-pending', '--no-probe', '--ladder', '--helper-deadline', '4s', '-o', 'json']);
    expect(next.exitCode, String(next.stderr)).toBe(1);
    await eventually(async () => (await kubectlHelpers()).length === 0, 10_000, 250);
    expect(await kubectlHelpers()).toEqual([]);
  }, 240_000);

  it('kubectl netpath cleanup -A deletes running leftovers; --no-helpers creates nothing', async () => {
    // A leftover that is still running (as after a SIGKILL, before its deadline).
    await execa('kubectl', ['--kubeconfig', lab.kubeconfig, '--cache-dir', join(tmp, 'kcache'), 'run', 'kubectl-netpath-left-1', '-n', 'lb-pending', '--image', 'nicolaka/netshoot:v0.14', '--restart', 'Never', '--labels', SELECTOR, '--', 'sleep', '60'], { env: { KUBECONFIG: '' } });
    expect(await kubectlHelpers()).toEqual(['pod/kubectl-netpath-left-1']);
    const none = await cli(['cleanup', '-n', 'default']);
    expect(String(none.stdout)).toContain('no helper pods in namespace default');
    const r = await cli(['cleanup', '-A']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain('pod/kubectl-netpath-left-1 -n lb-pending deleted');
    await eventually(async () => (await kubectlHelpers()).length === 0, 10_000, 250);
    const nh = await cli(['svc/web', '-n', 'lb-pending', '--no-probe', '--no-helpers', '-o', 'json']);
    expect(nh.exitCode).toBe(1);
    expect(await kubectlHelpers()).toEqual([]);
    const bad = await cli(['svc/web', '-n', 'lb-pending', '--ladder', '--no-helpers']);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/^error: --ladder needs a helper pod/);
  }, 60_000);
});

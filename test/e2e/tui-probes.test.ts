// The in-cluster probes' keys in the built CLI's UI, in a real pseudo-terminal (tmux), against the lab's data plane:
// `L` runs the ladder and its verdict names the Service hop (selector-mismatch), `T` streams traceroute hops into the
// helper pane, and quitting — with q, or with Ctrl-c while a helper pod is running — leaves no helper pod behind
// (checked with real `kubectl get pods -A -l app.kubernetes.io/managed-by=kubectl-netpath`).
// Needs tmux and kubectl; run under `flock /tmp/netpath-dataplane.lock` (the lab owns the loopback data plane), after
// `npm run build`.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type LabProcess, eventually, kubectl, startLab } from './harness.ts';
import { Terminal, hasTool, sleep } from './terminal.ts';

const ready = hasTool('tmux', '-V') && hasTool('kubectl', 'version', '--client');
const term = new Terminal('tui-probes');
const capture = () => term.capture();
const keys = (...k: string[]) => term.keys(...k);
const display = (f: string) => term.display(f);
const until = (what: string | RegExp, ms = 30_000) => term.until(what, ms);

const SELECTOR = 'app.kubernetes.io/managed-by=kubectl-netpath';
let lab: LabProcess;
const helperPods = async () => {
  const r = await kubectl(lab, ['get', 'pods', '-A', '-l', SELECTOR, '-o', 'name']);
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
};

async function openUi(args: string): Promise<void> {
  if (display('#{alternate_on}') === '1') throw new Error('a UI is still open in the terminal');
  term.run(`KUBECONFIG= ${process.execPath} ${CLI} ${args} --kubeconfig ${lab.ready.kubeconfig}`);
  await until(/FAIL at|✓ OK|WARN|UNKNOWN/, 60_000);
  expect(display('#{alternate_on}')).toBe('1');
}

describe.skipIf(!ready)('in-cluster probe keys in the UI (tmux) on the lab data plane', () => {
  beforeAll(async () => {
    lab = await startLab(['--scenario', 'selector-mismatch'], 60_000);
    // the scenario's pods run before the UI opens
    await eventually(async () => {
      const r = await kubectl(lab, ['get', 'pods', '-n', 'selector-mismatch', '-o', 'jsonpath={.items[*].status.phase}']);
      return r.stdout.trim() && r.stdout.trim().split(/\s+/).every((p) => p === 'Running');
    }, 60_000, 250);
    term.start();
  }, 90_000);
  afterAll(async () => {
    await term.stop();
    await lab?.stop();
  });

  it('L names the Service hop, T streams hops, q quits and no helper pod is left', async () => {
    await openUi('svc/web -n selector-mismatch');
    keys('L');
    await until('Helper pods');
    // each rung's status line, then the verdict, in the helper pane (the footer repeats the verdict)
    let c = await until(/✗ cluster-ip FAILED: .*ClusterIP/, 60_000);
    c = await until(/▶ ladder \S+ done/, 10_000);
    expect(c).toMatch(/– pod skipped: Service web has no endpoints/);
    expect(c).toMatch(/helper pod [a-z-]+\/kubectl-netpath-[a-z0-9]+-\d+ \(profile /);
    expect(c).toMatch(/│verdict: ✗ FAIL — the service hop is broken \(rung cluster-ip, layer service\)/);
    // the ladder's result joined the live report: the Service layer shows the ladder's check
    expect(c).toMatch(/✗ Service/);
    keys('Escape');
    await sleep(300); // Esc then j at once would read as Alt-j
    keys('j', 'j', 'j');
    await until(/▸ . Service/);
    keys('Enter');
    c = await until('ladder.cluster-ip');
    keys('Escape');
    await sleep(300);

    keys('T');
    await until(/traceroute web\.selector-mismatch\.svc\.cluster\.local port 80/);
    c = await until(/│ ?1 {2}\d+\.\d+\.\d+\.\d+ /, 60_000);
    c = await until(/→ (reached|did not reach) /, 60_000);
    expect(c).toMatch(/▶ traceroute \S+ port 80 done/);

    keys('q'); // stops nothing (both done) and closes the helper pane
    await eventually(() => !capture().includes('Helper pods'), 5000);
    keys('q'); // quits
    await eventually(() => display('#{alternate_on}') === '0', 15_000);
    await until(/^EXIT=\d+$/m, 20_000);
    expect(await helperPods()).toEqual([]);
  }, 240_000);

  for (const how of ['Ctrl-c', 'SIGTERM'] as const)
    it(`${how} while a helper pod runs deletes it before the process exits`, async () => {
      const args = `svc/web -n selector-mismatch --no-probe --timeout ${how === 'Ctrl-c' ? 20 : 21}s`;
      await openUi(args);
      // a curl to an address that never answers keeps its helper pod running until the timeout
      keys(':');
      keys('-l', 'curl http://192.0.2.1:81/');
      keys('Enter');
      await until(/helper pod [a-z-]+\/kubectl-netpath-[a-z0-9]+-\d+/, 60_000);
      await eventually(async () => (await helperPods()).length === 1, 15_000, 250);
      if (how === 'Ctrl-c') keys('C-c');
      else {
        const pid = execFileSync('pgrep', ['-f', `${CLI} ${args}`], { encoding: 'utf8' }).trim().split('\n')[0]!;
        process.kill(Number(pid), 'SIGTERM');
      }
      const c = await until(/^EXIT=\d+$/m, 20_000);
      // Ctrl-c is the quit key in raw mode (the verdict decides the code); SIGTERM exits 143
      expect(c).toMatch(how === 'Ctrl-c' ? /^EXIT=[01]$/m : /^EXIT=143$/m);
      // deleted before exit: nothing left right away (no waiting for a deadline or a sweep)
      expect(await helperPods()).toEqual([]);
    }, 180_000);
});

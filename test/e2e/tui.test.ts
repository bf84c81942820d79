// The built CLI's UI in a real pseudo-terminal (tmux) on the demo lab: keys, panes, the flap, the traffic, help,
// filter, resizes, and that q and Ctrl-c leave the terminal as it was (no alternate screen, cursor shown, cooked mode).
// Needs tmux; run under `flock /tmp/netpath-dataplane.lock` (the demo's lab owns the loopback data plane).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, eventually, startLab } from './harness.ts';
import { Terminal, hasTool, sleep } from './terminal.ts';

const hasTmux = hasTool('tmux', '-V');
const term = new Terminal('tui');
const capture = () => term.capture();
const keys = (...k: string[]) => term.keys(...k);
const display = (f: string) => term.display(f);
const until = (what: string | RegExp, ms?: number) => term.until(what, ms);
const tmux = (...args: string[]) => term.tmux(...args);

async function openDemo(): Promise<void> {
  term.run(`NETPATH_DEMO_TRAFFIC=5 ${process.execPath} ${CLI} --demo`);
  await until(/FAIL at|✓ OK|WARN|UNKNOWN/, 90_000);
  expect(display('#{alternate_on}')).toBe('1');
  expect(display('#{wrap_flag}')).toBe('0');
}

async function expectCleanShell(): Promise<void> {
  await eventually(() => display('#{alternate_on}') === '0', 15_000);
  const c = await until(/^EXIT=\d+$/m, 20_000);
  expect(c).not.toMatch(/[╭╰│]/);
  expect(display('#{cursor_flag}')).toBe('1');
  // auto-wrap, off while the UI runs (src/ui/run.tsx), is back on
  expect(display('#{wrap_flag}')).toBe('1');
  keys('clear; stty -a | tr " " "\\n" | grep -x -e -icanon -e icanon -e -echo -e echo', 'Enter');
  // both lines: grep writes each as it finds it, and a capture can fall between them
  const s = await until(/^-?icanon$[\s\S]*^-?echo$/m, 10_000);
  expect(s).toMatch(/^icanon$/m);
  expect(s).toMatch(/^echo$/m);
}

describe.skipIf(!hasTmux)('the UI in a real terminal (tmux) on the demo lab', () => {
  beforeAll(() => term.start());
  afterAll(() => term.stop());

  it('opens, moves between layers and panes, shows a flap and lab traffic, help, filter, resizes, and q leaves a clean shell', async () => {
    await openDemo();
    let c = capture();
    expect(c.split('\n')[0]).toMatch(/^netpath ctx netpath-lab .*target shop\.netpath\.test/);
    expect(c).toMatch(/▸ . DNS/);
    keys('j');
    c = await until(/▸ . Load balancer/);
    expect(c).toMatch(/│. Load balancer\s+(ok|warn|fail|unknown)/);

    // endpoints timeline: the demo's flapping pod goes not-ready and back
    keys('E');
    await until('Endpoints timeline');
    await until(/svc\/web -n shop · \d+ endpoints/);
    c = await until(/[1-9]\d* flaps/, 90_000);
    expect(c).toMatch(/[1-9]\d* flaps/);

    // controller logs: requests of the lab's background traffic through ingress-nginx
    keys('l');
    await until('Controller logs');
    c = await until(/ 200 GET\s+\/\S*/, 30_000);
    expect(c).toMatch(/received [1-9]/);

    keys('?');
    c = await until('Keys (?)');
    expect(c).toMatch(/\[endpoints\]/);
    keys('Escape');
    await eventually(() => !capture().includes('Keys (?)'), 5000);

    keys('/');
    await until(/^\/\S* *$/m, 5000);
    keys('-l', 'GET');
    keys('Enter');
    await until('filter /GET/');
    await until('/GET/');

    tmux('resize-window', '-t', 'ui', '-x', '80', '-y', '24');
    c = await until(/^netpath/, 5000);
    await sleep(500);
    c = capture();
    let lines = c.replace(/\n+$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(lines[0]).toMatch(/^netpath/);
    expect(lines.at(-1)).toMatch(/close\/quit|autoscroll|filter/);
    expect(lines.every((l) => [...l].length <= 80)).toBe(true);
    tmux('resize-window', '-t', 'ui', '-x', '200', '-y', '60');
    await sleep(500);
    c = capture();
    lines = c.replace(/\n+$/, '').split('\n');
    expect(lines[0]).toMatch(/^netpath/);
    expect(lines.length).toBe(60);
    expect(c).toContain('Controller logs');

    keys('q'); // closes the logs pane (focused)
    await eventually(() => !capture().includes('Controller logs'), 5000);
    keys('q'); // closes the endpoints pane
    await eventually(() => !capture().includes('Endpoints timeline'), 5000);
    keys('q'); // quits
    await expectCleanShell();
  }, 240_000);

  it('Ctrl-c quits from anywhere and leaves a clean shell', async () => {
    await openDemo();
    keys('l');
    await until('Controller logs');
    keys('/');
    keys('C-c');
    await expectCleanShell();
  }, 180_000);
});

describe.skipIf(!hasTmux)('the UI on a control-plane-only lab', () => {
  beforeAll(() => term.start());
  afterAll(() => term.stop());

  it('SIGTERM and SIGHUP restore the terminal and exit 143 / 129', async () => {
    const lab = await startLab(['--no-dataplane', '--scenario', 'platform', '--scenario', 'demo']);
    try {
      // the first run through the report-only bundle, which hands a terminal run to the full CLI (bin/, src/cli/report-main.ts)
      for (const [sig, code, bundle] of [['TERM', 143, 'report'], ['HUP', 129, '']] as const) {
        term.run(`KUBECONFIG= NETPATH_BUNDLE=${bundle} ${process.execPath} ${CLI} ingress/shop -n shop --no-probe --kubeconfig ${lab.ready.kubeconfig}`);
        await until(/^netpath ctx netpath-lab/m, 30_000);
        keys('l');
        await until('Controller logs');
        const pid = execFileSync('pgrep', ['-f', `${CLI} ingress/shop -n shop --no-probe --kubeconfig ${lab.ready.kubeconfig}`], { encoding: 'utf8' }).trim().split('\n')[0]!;
        process.kill(Number(pid), `SIG${sig}`);
        expect(await until(/^EXIT=\d+$/m, 20_000)).toMatch(new RegExp(`^EXIT=${code}$`, 'm'));
        await expectCleanShell();
      }
    } finally {
      await lab.stop();
    }
  }, 120_000);
});


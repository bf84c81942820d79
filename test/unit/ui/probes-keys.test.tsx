// The in-cluster probes' keys in the live UI (src/cli/tui-probes.ts) over fake event sources and the real store:
// T streams traceroute hops into the helper pane, L shows each rung's status and the verdict and amends the report
// (kept across re-diagnoses), --no-helpers / --read-only refuse in one line, :dig / :curl / :node parse their
// arguments, q on the helper pane stops the runs. docs/TUI.md's probe key table matches the commands.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { DiagnoseArgs, HelperArgs } from '../../../src/cli/flags.ts';
import { type ProbeDeps, probeCommands, traceTarget } from '../../../src/cli/tui-probes.ts';
import type { TuiContext } from '../../../src/cli/tui.ts';
import type { LadderResult, LadderRungResult, Path, Report } from '../../../src/path/model.ts';
import { verdictOf } from '../../../src/path/model.ts';
import { ladderVerdict } from '../../../src/probes/incluster/ladder.ts';
import type { ToolEvent } from '../../../src/probes/incluster/tools.ts';
import { SessionStore } from '../../../src/state/store.ts';
import { App } from '../../../src/ui/App.tsx';
import { defaultCommands } from '../../../src/ui/input/commands.ts';
import { buildKeymap } from '../../../src/ui/input/keymap.ts';
import { showKey } from '../../../src/ui/input/keys.ts';
import { KEYS, fakeReport, mount } from './fakes.tsx';

delete process.env.CI;
const stores: SessionStore[] = [];
afterEach(() => {
  cleanup();
  for (const s of stores.splice(0)) s.stop();
});

const SIZE = { columns: 140, rows: 44 };

function report(): Report {
  const r = fakeReport();
  const p0: Path = {
    ...r.paths[0]!,
    service: { kind: 'Service', name: 'web', namespace: 'shop', port: 80, targetPort: 8080 },
    loadBalancer: { service: { kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }, addresses: ['127.0.10.10'], pending: false },
    endpoints: [{ address: '10.244.1.5', ready: true, serving: true, terminating: false, pod: 'web-1', node: 'node-a' }],
    layers: r.paths[0]!.layers.map((l) => ({ ...l, status: 'ok' as const, checks: l.checks.map((c) => ({ ...c, status: 'ok' as const })) })),
  };
  return { ...r, paths: [p0, r.paths[1]!], layers: p0.layers, verdict: verdictOf(p0.layers) };
}

function helpers(patch: Partial<HelperArgs> = {}): HelperArgs {
  return { imagePullSecrets: [], noHelpers: false, readOnly: false, ladder: false, allowPrivileged: false, deadlineSeconds: 300, ...patch };
}

async function until(ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A gate a fake source waits on. */
function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => (open = r));
  return { p, open };
}

function setup(o: { helpers?: Partial<HelperArgs>; deps?: Partial<ProbeDeps> } = {}) {
  const rep = report();
  const store = new SessionStore({ flushMs: 10 });
  stores.push(store);
  store.setReport(rep);
  store.start();
  const calls: { tool: string; opts: any }[] = [];
  const abort = new AbortController();
  const none = async function* (): AsyncGenerator<never> {};
  const base: ProbeDeps = { runLadder: none, traceroute: none, dig: none, curl: none, nodeView: none, coreDnsUpstreams: async () => ['10.96.0.10:53'], ...o.deps };
  const deps: ProbeDeps = {
    runLadder: (c, p, opts, s) => (calls.push({ tool: 'ladder', opts }), base.runLadder(c, p, opts, s)),
    traceroute: (c, opts, s) => (calls.push({ tool: 'traceroute', opts }), base.traceroute(c, opts, s)),
    dig: (c, opts, s) => (calls.push({ tool: 'dig', opts }), base.dig(c, opts, s)),
    curl: (c, opts, s) => (calls.push({ tool: 'curl', opts }), base.curl(c, opts, s)),
    nodeView: (c, opts, s) => (calls.push({ tool: 'node', opts }), base.nodeView(c, opts, s)),
    coreDnsUpstreams: base.coreDnsUpstreams,
  };
  const ctx: TuiContext = {
    store,
    client: { namespace: 'default', send: async () => undefined } as unknown as TuiContext['client'],
    args: { helpers: helpers(o.helpers), timeoutMs: 3000 } as unknown as DiagnoseArgs,
    report: rep,
    signal: abort.signal,
  };
  const cmds = probeCommands(ctx, deps);
  const km = buildKeymap([...defaultCommands(), ...cmds]);
  const t = mount(<App store={store} size={SIZE} keymap={km} />);
  return { store, t, calls, abort, cmds };
}

const rung = (id: LadderRungResult['id'], status: LadderRungResult['status'], hop: LadderRungResult['hop'], layer: LadderRungResult['layer'], message: string): LadderRungResult => ({
  id,
  title: id,
  hop,
  layer,
  check: `ladder.${id}`,
  status,
  message,
  targets: [],
});

describe('T: traceroute into the helper pane', () => {
  it("targets the selected layer's address: LB/host, Service name, pod IP", () => {
    const p = report().paths[0]!;
    expect(traceTarget(p, 'dns')).toEqual({ host: 'shop.netpath.test', port: 80 });
    expect(traceTarget(p, 'loadbalancer')).toEqual({ host: '127.0.10.10', port: 80 });
    expect(traceTarget(p, 'service')).toEqual({ host: 'web.shop.svc.cluster.local', port: 80 });
    expect(traceTarget(p, 'pods')).toEqual({ host: '10.244.1.5', port: 8080 });
    expect(traceTarget({ ...p, endpoints: [] }, 'endpoints')).toEqual({ error: 'no pod IP on this path (svc/web has no endpoints)' });
  });

  it('streams hops live, before the result, and keeps the result in the report', async () => {
    const g = gate();
    let aborted = false;
    const { t, calls, store } = setup({
      deps: {
        traceroute: async function* (_c, o, signal): AsyncGenerator<ToolEvent> {
          signal.addEventListener('abort', () => (aborted = true));
          yield { type: 'profile', profile: 'baseline', level: 'baseline', pod: 'kubectl-netpath-abc-1', namespace: 'shop' };
          yield { type: 'line', line: `traceroute to ${o.host} (${o.host}), 20 hops max, 60 byte packets` };
          yield { type: 'line', line: ' 1  10.0.0.1  0.101 ms' };
          yield { type: 'hop', hop: { ttl: 1, probes: [{ address: '10.0.0.1', ms: 0.101 }] } as any };
          yield { type: 'line', line: ' 2  10.244.1.5  0.202 ms\x1b[2J\u202e' };
          await g.p;
          yield { type: 'exit', code: 0 };
          yield { type: 'result', run: { kind: 'traceroute', title: `traceroute ${o.host}`, summary: `reached ${o.host} in 2 hops`, status: 'ok', lines: [] } };
        },
      },
    });
    await t.ready();
    for (let i = 0; i < 5; i++) await t.press('j');
    expect(t.frame()).toMatch(/▸ . Pods/);
    await t.press('T');
    expect(calls[0]).toMatchObject({ tool: 'traceroute', opts: { host: '10.244.1.5', port: 8080, namespace: 'ingress-nginx' } });
    let f = await t.waitFor('2  10.244.1.5');
    expect(f).toContain('Helper pods');
    expect(f).toContain('traceroute 10.244.1.5 port 8080');
    expect(f).toContain('1  10.0.0.1');
    expect(f).toMatch(/running/);
    expect(f).not.toContain('reached');
    expect(f).not.toContain('\x1b[2J');
    expect(f).not.toContain('\u202e');
    g.open();
    f = await t.waitFor('→ reached 10.244.1.5 in 2 hops');
    expect(f).toMatch(/done/);
    expect(aborted).toBe(false);
    const runs = store.getSnapshot().report!.probes.inCluster ?? [];
    expect(runs.map((r) => r.summary)).toEqual(['reached 10.244.1.5 in 2 hops']);
  });

  it('q on the helper pane stops a running probe (its source is aborted) and closes the pane', async () => {
    let aborted = false;
    const { t, store } = setup({
      deps: {
        traceroute: async function* (_c, _o, signal): AsyncGenerator<ToolEvent> {
          yield { type: 'line', line: ' 1  10.0.0.1  0.1 ms' };
          await new Promise<void>((r) => signal.addEventListener('abort', () => ((aborted = true), r()), { once: true }));
        },
      },
    });
    await t.ready();
    await t.press('T');
    await t.waitFor('1  10.0.0.1');
    await t.press('q');
    await until(() => !t.frame().includes('Helper pods'));
    expect(aborted).toBe(true);
    await new Promise((r) => setTimeout(r, 30));
    expect(store.getSnapshot().helper.runs[0]!.state).toBe('cancelled');
  });
});

describe('L: the ladder with a live status per rung', () => {
  it('shows each rung as it is judged, then the verdict naming the hop, and the report takes the ladder', async () => {
    const g = gate();
    const { t, calls, store } = setup({
      deps: {
        runLadder: async function* (_c, path) {
          yield { type: 'plan', path: path.id, rungs: [{ id: 'pod', title: 'pod', targets: [], skip: 'no endpoints' }, { id: 'cluster-ip', title: 'cluster-ip', targets: ['svc/web'] }] };
          const pod = rung('pod', 'skipped', 'pod', 'pods', 'Service web has no endpoints: there is no pod IP to try');
          yield { type: 'rung-skipped', result: pod };
          yield { type: 'rung-started', id: 'cluster-ip' };
          await g.p;
          const cip = rung('cluster-ip', 'fail', 'service', 'service', 'Service ClusterIP:port: connection refused — kube-proxy / the Service is the broken hop');
          yield { type: 'rung-failed', result: cip };
          const rungs = [pod, cip];
          const result: LadderResult = { path: path.id, rungs, verdict: ladderVerdict(rungs) };
          yield { type: 'verdict', result };
        },
      },
    });
    await t.ready();
    await t.press('L');
    expect(calls[0]).toMatchObject({ tool: 'ladder', opts: { namespace: 'ingress-nginx', fallbackNamespaces: ['shop'], timeoutSeconds: 3 } });
    let f = await t.waitFor('… cluster-ip: probing');
    expect(f).toContain('– pod skipped: Service web has no endpoints');
    expect(f).not.toContain('verdict');
    g.open();
    f = await t.waitFor('verdict: ✗ FAIL — the service hop is broken (rung cluster-ip, layer service)');
    expect(f).toContain('✗ cluster-ip FAILED: Service ClusterIP:port: connection refused');
    const rep = store.getSnapshot().report!;
    expect(rep.probes.ladder?.[0]?.verdict).toMatchObject({ status: 'fail', rung: 'cluster-ip', hop: 'service' });
    expect(rep.verdict).toMatchObject({ status: 'fail', layer: 'service' });
    expect(rep.paths[0]!.layers.find((l) => l.id === 'service')!.checks.map((c) => c.id)).toContain('ladder.cluster-ip');
    await t.waitFor(/✗ Service/);

    // A re-diagnosis of the live session publishes a report without the ladder: the UI's result is put back.
    store.setReport(report());
    await new Promise((r) => setTimeout(r, 80));
    expect(store.getSnapshot().report!.probes.ladder?.[0]?.verdict.rung).toBe('cluster-ip');
    expect(store.getSnapshot().report!.verdict.status).toBe('fail');
  });
});

describe('--no-helpers / --read-only', () => {
  for (const [flag, h] of [['--no-helpers', { noHelpers: true }], ['--read-only', { noHelpers: true, readOnly: true }]] as const) {
    it(`${flag}: T, L, :dig and :curl explain in one line and create nothing`, async () => {
      const { t, calls, store } = setup({ helpers: h });
      await t.ready();
      await t.press('T');
      let f = await t.waitFor(`traceroute needs a helper pod in the cluster: not created (${flag})`);
      await t.press('L');
      f = await t.waitFor(`the ladder needs a helper pod in the cluster: not created (${flag})`);
      await t.type(':dig x.test');
      await t.press(KEYS.enter);
      f = await t.waitFor(`dig needs a helper pod in the cluster: not created (${flag})`);
      expect(f.split('\n').filter((l) => l.includes('needs a helper pod')).length).toBe(1);
      expect(f).not.toContain('Helper pods');
      expect(calls).toEqual([]);
      expect(store.getSnapshot().helper.runs).toEqual([]);
    });
  }
});

describe(':dig, :curl, :node on the command line', () => {
  it(':dig HOST digs that name with the cluster upstreams', async () => {
    const { t, calls } = setup();
    await t.ready();
    await t.type(':dig api.example.test');
    await t.press(KEYS.enter);
    await t.waitFor('dig api.example.test');
    await new Promise((r) => setTimeout(r, 20));
    expect(calls[0]).toMatchObject({ tool: 'dig', opts: { name: 'api.example.test', upstreams: ['10.96.0.10:53'], namespace: 'ingress-nginx' } });
  });

  it(':dig without a name digs the path host; a bad name is refused in one line', async () => {
    const { t, calls } = setup();
    await t.ready();
    await t.type(':dig');
    await t.press(KEYS.enter);
    await new Promise((r) => setTimeout(r, 30));
    expect(calls[0]?.opts.name).toBe('shop.netpath.test');
    await t.type(':dig a;rm');
    await t.press(KEYS.enter);
    await t.waitFor('dig: not a hostname: a;rm');
    expect(calls.length).toBe(1);
  });

  it(':curl URL curls it; a non-URL or another scheme is refused', async () => {
    const { t, calls } = setup();
    await t.ready();
    await t.type(':curl http://shop.netpath.test:8080/cart?x=1');
    await t.press(KEYS.enter);
    await t.waitFor('curl http://shop.netpath.test:8080/cart?x=1');
    expect(calls[0]).toMatchObject({ tool: 'curl', opts: { url: 'http://shop.netpath.test:8080/cart?x=1', timeoutSeconds: 3 } });
    await t.press(KEYS.esc);
    await t.type(':curl notaurl');
    await t.press(KEYS.enter);
    await t.waitFor('curl: not a URL: notaurl');
    await t.type(':curl ftp://x.test/');
    await t.press(KEYS.enter);
    await t.waitFor('curl: only http and https URLs');
    expect(calls.length).toBe(1);
  });

  it(':node needs --allow-privileged; with it, the node view runs for that node', async () => {
    let s = setup();
    await s.t.ready();
    await s.t.type(':node node-a');
    await s.t.press(KEYS.enter);
    await s.t.waitFor('the node view runs a privileged hostNetwork pod: pass --allow-privileged to allow it');
    expect(s.calls).toEqual([]);
    cleanup();
    s = setup({ helpers: { allowPrivileged: true } });
    await s.t.ready();
    await s.t.type(':node node-b');
    await s.t.press(KEYS.enter);
    await s.t.waitFor('node view node-b');
    await new Promise((r) => setTimeout(r, 30));
    expect(s.calls[0]).toMatchObject({ tool: 'node', opts: { allowPrivileged: true, input: { node: 'node-b', service: { namespace: 'shop', name: 'web' } } } });
  });
});

describe('docs/TUI.md', () => {
  it("the probe keys table lists the probe commands with their default keys and names", () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'TUI.md'), 'utf8');
    const table = doc.slice(doc.indexOf('<!-- probe-keys:begin'), doc.indexOf('<!-- probe-keys:end'));
    const { cmds } = setup();
    const rows = table.split('\n').filter((l) => l.startsWith('| '));
    const idRows = rows.filter((l) => /^\| [^|]*\| `[a-z-]+` \|/.test(l));
    expect(idRows.length).toBe(cmds.length);
    for (const c of cmds) {
      const row = idRows.find((l) => l.includes(`| \`${c.id}\` |`));
      expect(row, c.id).toBeDefined();
      const keys = c.keys.map((k) => '`' + showKey(k) + '`').join(' ') || c.names!.map((n) => '`:' + n + '`').join(' ');
      expect(row!.split('|')[1]!.trim()).toBe(keys);
    }
  });
});

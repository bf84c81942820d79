import { describe, expect, it } from 'vitest';
import { SessionStore } from '../../../src/state/store.ts';
import type { LogSource, SessionController } from '../../../src/state/types.ts';
import { ManualClock } from './clock.ts';

const SRC: LogSource = { namespace: 'ingress-nginx', pod: 'ingress-nginx-controller-abc', container: 'controller' };
const SRC2: LogSource = { namespace: 'ingress-nginx', pod: 'ingress-nginx-controller-def', container: 'controller' };
const access = (i: number, svc = 'shop-web-80', addr = '10.1.0.5:8080', status = 200) =>
  `192.0.2.1 - - [27/Nov/2026:07:00:00 +0000] "GET /api/${i} HTTP/1.1" ${status} 12 "-" "curl/8" 80 0.004 [${svc}] [] ${addr} 12 0.004 ${status} id${i}`;

// Every control character a terminal acts on: C0 (except the LF we never keep), DEL, C1, ESC, BiDi controls.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function setup(opts: ConstructorParameters<typeof SessionStore>[0] = {}) {
  const clock = new ManualClock();
  const store = new SessionStore({ clock, ...opts });
  let published = 0;
  store.subscribe(() => published++);
  store.start();
  return { clock, store, published: () => published };
}

describe('SessionStore', () => {
  it('ingests 10k lines with exact counters, a bounded buffer and one snapshot per tick', () => {
    const { clock, store, published } = setup({ logCapacity: 1000 });
    store.logPaneInfo('controller', { scope: { hosts: [], upstreamPrefixes: ['shop-web-'] } });
    const before = store.getSnapshot();
    for (let i = 0; i < 10_000; i++) store.logLine('controller', i % 2 ? SRC : SRC2, i % 10 === 0 ? access(i, 'other-svc-80') : access(i));
    // Nothing is published before the ticker fires.
    expect(store.getSnapshot()).toBe(before);
    expect(published()).toBe(0);
    clock.advance(50);
    expect(published()).toBe(1);
    const s = store.getSnapshot();
    const c = s.controllerLogs.counters;
    expect(c.received).toBe(10_000);
    expect(c.retained).toBe(1000);
    expect(c.dropped).toBe(9000);
    expect(c.received).toBe(c.retained + c.dropped);
    // Of the last 1000 lines (9000…9999), every 10th goes to another Service: the host filter hides 100.
    expect(c.filtered).toBe(100);
    expect(c.shown).toBe(900);
    expect(s.controllerLogs.lines).toHaveLength(900);
    expect(s.controllerLogs.lines.at(-1)!.raw).toContain('/api/9999');
    expect(s.controllerLogs.lines[0]!.raw).toContain('/api/9001');
    // seq is strictly increasing and unique (a React key)
    const seqs = s.controllerLogs.lines.map((l) => l.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.every((x, i) => i === 0 || x > seqs[i - 1]!)).toBe(true);
    // per-stream counters add up too
    expect(s.controllerLogs.streams.reduce((n, x) => n + x.received, 0)).toBe(10_000);
    // No change, no new snapshot.
    clock.advance(500);
    expect(published()).toBe(1);
  });

  it('publishes at most one snapshot per flush period under a continuous flood', () => {
    const { clock, store, published } = setup({ flushMs: 50 });
    for (let ms = 0; ms < 1000; ms += 5) {
      for (let i = 0; i < 20; i++) store.logLine('controller', SRC, access(i));
      clock.advance(5);
    }
    expect(published()).toBe(20);
    expect(store.getSnapshot().controllerLogs.counters.received).toBe(4000);
  });

  it('makes malicious lines inert on ingest', () => {
    const { clock, store } = setup();
    const evil = [
      'clear\x1b[2Jscreen',
      'title\x1b]0;pwned\x07set',
      'clip\x1b]52;c;Y3VybCBldmlsfHNo\x07board',
      'dcs\x1bP1$r0m\x1b\\string',
      'c1\x9b31mcsi',
      'bell\x07ring',
      'carriage\rreturn',
      'back\b\b\bspace',
      'bidi\u202egnp.exe',
      'osc-unterminated\x1b]0;never ends',
      `{"level":"error","msg":"\\u001b[2J\\u009b1m hidden"}`,
    ];
    for (const l of evil) store.logLine('backend', SRC, l);
    store.helperOutput('run-1', 'traceroute \x1b]0;x\x07 hop\r\x9b2J');
    store.setReportError('boom\x1b[31m red');
    clock.advance(50);
    const s = store.getSnapshot();
    expect(s.backendLogs.lines).toHaveLength(evil.length);
    const texts = [
      ...s.backendLogs.lines.flatMap((l) => [l.raw, ...Object.values(l.parsed).filter((v): v is string => typeof v === 'string')]),
      ...s.helper.runs.flatMap((r) => r.lines.map((l) => l.text)),
      s.reportError!,
    ];
    for (const t of texts) expect(t).not.toMatch(UNSAFE);
    expect(s.backendLogs.lines[0]!.raw).toBe('clearscreen');
    expect(s.backendLogs.lines[8]!.raw).toBe('bidignp.exe');
    // JSON escapes decoded by the parser are sanitised again
    expect(s.backendLogs.lines[10]!.parsed.level).toBe('error');
    expect(s.backendLogs.lines[10]!.parsed.message).toBe(' hidden');
  });

  it('caps huge lines', () => {
    const { clock, store } = setup({ maxLineLength: 100 });
    store.logLine('backend', SRC, 'x'.repeat(1_000_000));
    clock.advance(50);
    expect(store.getSnapshot().backendLogs.lines[0]!.raw.length).toBe(100);
  });

  it('filters by regex and host, with counters that follow the filter', () => {
    const { clock, store } = setup();
    store.logPaneInfo('controller', { scope: { hosts: ['shop.example'], upstreamPrefixes: ['shop-web-'] } });
    store.logLine('controller', SRC, access(1));
    store.logLine('controller', SRC, access(2, 'kube-system-other-80', '10.9.9.9:80', 503));
    store.logLine('controller', SRC, 'I1127 07:00:00.000000       7 controller.go:1] reload');
    clock.advance(50);
    let s = store.getSnapshot().controllerLogs;
    expect(s.lines.map((l) => l.raw)).toHaveLength(2); // the foreign upstream is hidden, the klog line kept
    expect(s.filter.hostFilter).toBe(true);
    store.toggleHostFilter('controller');
    clock.advance(50);
    s = store.getSnapshot().controllerLogs;
    expect(s.lines).toHaveLength(3);
    expect(store.setLogFilter('controller', '" 503 ')).toBeUndefined();
    clock.advance(50);
    s = store.getSnapshot().controllerLogs;
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0]!.parsed.statusClass).toBe('5xx');
    expect(s.counters).toMatchObject({ received: 3, retained: 3, shown: 1, filtered: 2 });
    expect(store.setLogFilter('controller', '([')).toMatch(/invalid regular expression/);
    expect(store.getSnapshot().controllerLogs.filter.regex).toBe('" 503 ');
    store.setLogFilter('controller', undefined);
    clock.advance(50);
    expect(store.getSnapshot().controllerLogs.lines).toHaveLength(3);
  });

  it('maps upstream addresses to pod names through the endpoints', () => {
    const { clock, store } = setup();
    store.endpointSlices([
      { metadata: { name: 'web-abc' }, endpoints: [{ addresses: ['10.1.0.5'], targetRef: { kind: 'Pod', name: 'web-1' }, conditions: { ready: true } }] } as any,
    ]);
    store.logLine('controller', SRC, access(1, 'shop-web-80', '10.1.0.5:8080, 10.1.0.6:8080'));
    clock.advance(50);
    expect(store.getSnapshot().controllerLogs.lines[0]!.parsed.upstreamPod).toBe('web-1, 10.1.0.6:8080');
  });

  it('keeps the pod that served a line when its address later moves to another pod (lines are parsed lazily)', () => {
    const { clock, store } = setup();
    const slice = (pod: string) => ({ metadata: { name: 'web-abc' }, endpoints: [{ addresses: ['10.1.0.5'], targetRef: { kind: 'Pod', name: pod }, conditions: { ready: true } }] }) as any;
    store.endpointSlices([slice('web-1')]);
    store.logLine('controller', SRC, access(1));
    store.endpointSlices([slice('web-2')]); // the address is reused by another pod before the line was ever shown
    store.logLine('controller', SRC, access(2));
    clock.advance(50);
    const lines = store.getSnapshot().controllerLogs.lines;
    expect(lines.map((l) => l.parsed.upstreamPod)).toEqual(['web-1', 'web-2']);
    expect(lines[0]!.parsed).toBe(lines[0]!.parsed); // parsed once, cached
  });

  it('pause freezes the panes while ingest and counters go on', () => {
    const { clock, store } = setup();
    store.logLine('controller', SRC, access(1));
    clock.advance(50);
    store.pause();
    store.logLine('controller', SRC, access(2));
    clock.advance(50);
    let s = store.getSnapshot();
    expect(s.paused).toBe(true);
    expect(s.pausedAt).toBe(clock.t - 50);
    expect(s.controllerLogs.lines).toHaveLength(1);
    expect(s.controllerLogs.counters.received).toBe(2);
    store.togglePause();
    clock.advance(50);
    s = store.getSnapshot();
    expect(s.paused).toBe(false);
    expect(s.controllerLogs.lines).toHaveLength(2);
  });

  it('keeps unchanged sections identical between snapshots', () => {
    const { clock, store } = setup();
    clock.advance(50);
    const a = store.getSnapshot();
    store.logLine('backend', SRC, 'hello');
    clock.advance(50);
    const b = store.getSnapshot();
    expect(b).not.toBe(a);
    expect(b.version).toBe(a.version + 1);
    expect(b.controllerLogs).toBe(a.controllerLogs);
    expect(b.endpoints).toBe(a.endpoints);
    expect(b.backendLogs).not.toBe(a.backendLogs);
  });

  it('records the endpoints timeline, stream states and log membership', () => {
    const { clock, store } = setup();
    const slice = (ready: boolean) => [{ metadata: { name: 's1' }, endpoints: [{ addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'p1' }, conditions: { ready } }] } as any];
    store.endpointsService({ kind: 'Service', name: 'web', namespace: 'shop' });
    store.endpointsStream('live');
    store.endpointSlices(slice(true));
    clock.advance(1000);
    store.endpointSlices(slice(false));
    clock.advance(1000);
    store.endpointSlices(slice(true));
    store.endpointsStream('reconnecting', 'connection reset');
    store.logMembership('controller', 'joined', 'ingress-nginx-controller-abc');
    store.logStream('controller', SRC, 'reconnecting', 'stream lost, reconnecting');
    clock.advance(50);
    const s = store.getSnapshot();
    expect(s.endpoints.timeline.map((e) => e.change)).toEqual(['not-ready', 'ready']);
    expect(s.endpoints.totalFlaps).toBe(1);
    expect(s.endpoints.rows[0]).toMatchObject({ address: '10.0.0.1', pod: 'p1', ready: true, flaps: 1 });
    expect(s.endpoints.stream).toMatchObject({ state: 'reconnecting', reason: 'connection reset', reconnects: 1 });
    expect(s.controllerLogs.membership[0]).toMatchObject({ change: 'joined', pod: 'ingress-nginx-controller-abc' });
    expect(s.controllerLogs.state).toBe('reconnecting');
    expect(s.controllerLogs.streams[0]).toMatchObject({ state: 'reconnecting', reconnects: 1 });
  });

  it('feeds helper-pod output with bounded runs and lines', () => {
    const { clock, store } = setup({ helperLineCapacity: 3, helperRunCapacity: 2 });
    store.helperStart('a', 'traceroute web');
    for (let i = 0; i < 5; i++) store.helperOutput('a', `hop ${i}`);
    store.helperEnd('a', { state: 'done', exitCode: 0 });
    store.helperStart('b', 'dig');
    store.helperStart('c', 'curl');
    clock.advance(50);
    const runs = store.getSnapshot().helper.runs;
    expect(runs.map((r) => r.runId)).toEqual(['b', 'c']);
    store.helperOutput('b', 'x');
    clock.advance(50);
    const b = store.getSnapshot().helper.runs[0]!;
    expect(b.lines.map((l) => l.text)).toEqual(['x']);
    const store2 = setup({ helperLineCapacity: 3 });
    for (let i = 0; i < 5; i++) store2.store.helperOutput('z', `hop ${i}`);
    store2.clock.advance(50);
    const z = store2.store.getSnapshot().helper.runs[0]!;
    expect(z).toMatchObject({ received: 5, dropped: 2, state: 'running' });
    expect(z.lines.map((l) => l.text)).toEqual(['hop 2', 'hop 3', 'hop 4']);
  });

  it('forwards actions to the controller and stops its ticker', async () => {
    const { clock, store } = setup();
    const calls: string[] = [];
    const ctl: SessionController = {
      refresh: () => calls.push('refresh'),
      probeNow: () => calls.push('probe'),
      setProbeInterval: (ms) => calls.push(`interval ${ms}`),
      selectPath: (id) => calls.push(`path ${id}`),
      objectYaml: async (r) => `kind: ${r.kind}`,
    };
    await expect(store.objectYaml({ kind: 'Service', name: 'x' })).rejects.toThrow(/not connected/);
    store.setController(ctl);
    store.requestRefresh();
    store.runProbeNow();
    store.setProbeInterval(5000);
    store.setProbeInterval(-1);
    store.selectPath('b/');
    expect(await store.objectYaml({ kind: 'Service', name: 'x' })).toBe('kind: Service');
    expect(calls).toEqual(['refresh', 'probe', 'interval 5000', 'interval 0', 'path b/']);
    clock.advance(50);
    expect(store.getSnapshot()).toMatchObject({ selectedPath: 'b/', probes: { intervalMs: 0 } });
    expect(clock.active).toBe(1);
    store.stop();
    expect(clock.active).toBe(0);
  });
});

describe('report amendments', () => {
  const base = (target: string) =>
    ({ target, generatedAt: '', verdict: { status: 'ok', layer: null, summary: '' }, layers: [], probes: { dns: [], tcp: [], http: [] }, paths: [] }) as any;

  it('amend the current report and every later one, reapply on demand, and go away when removed', () => {
    const store = new SessionStore({ clock: new ManualClock() });
    let note = 'first';
    const remove = store.addReportAmendment((r) => ({ ...r, cluster: note }));
    expect(store.getSnapshot().report).toBeUndefined();
    store.setReport(base('a'));
    store.flush();
    expect(store.getSnapshot().report).toMatchObject({ target: 'a', cluster: 'first' });
    note = 'second';
    store.reapplyAmendments();
    store.setReport(base('b'));
    store.flush();
    expect(store.getSnapshot().report).toMatchObject({ target: 'b', cluster: 'second' });
    remove();
    store.flush();
    expect(store.getSnapshot().report?.cluster).toBeUndefined();
    store.stop();
  });
});

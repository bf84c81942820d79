// Test doubles for the UI: a SessionStoreApi over a plain SessionState the test edits and publishes by hand, a
// Report with two paths, and helpers to drive ink-testing-library one key at a time.
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import type { Layer, LayerId, ObjectRef, Report, Status } from '../../../src/path/model.ts';
import type { LogLine, LogPane, LogPaneId, SessionState, SessionStoreApi } from '../../../src/state/types.ts';

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  enter: '\r',
  tab: '\t',
  shiftTab: '\u001B[Z',
  esc: '\u001B',
  pgdn: '\u001B[6~',
  ctrlC: '\u0003',
  ctrlF: '\u0006',
  ctrlR: '\u0012',
  backspace: '\u007F',
  ctrlU: '\u0015',
};

const layer = (id: LayerId, status: Status, summary: string, extra: Partial<Layer> = {}): Layer => ({
  id,
  status,
  summary,
  objects: [{ kind: 'Service', name: 'web', namespace: 'shop' }],
  checks: [{ id: `${id}.check`, status, message: `${id} says ${status}`, evidence: [`evidence of ${id}`], next: `kubectl get ${id}` }],
  ...extra,
});

export function fakeReport(): Report {
  const layers = (bad: boolean): Layer[] => [
    layer('dns', 'ok', 'shop.netpath.test → 127.0.10.10'),
    layer('loadbalancer', 'ok', 'LB 127.0.10.10 ready'),
    layer('ingress', 'ok', 'ingress/shop rule shop.netpath.test/'),
    layer('service', 'ok', 'svc/web :80 → http'),
    layer('endpoints', bad ? 'fail' : 'ok', bad ? '0 of 3 endpoints ready' : '3 of 3 ready'),
    layer('pods', bad ? 'warn' : 'ok', bad ? '3 pods not ready' : '3 pods running'),
  ];
  const path = (id: string, host: string, bad: boolean) => ({ id, host, path: '/', via: 'ingress' as const, endpoints: [], pods: [], nodes: [], layers: layers(bad) });
  return {
    target: 'shop.netpath.test',
    context: 'netpath-lab',
    namespace: 'shop',
    generatedAt: new Date(0).toISOString(),
    verdict: { status: 'fail', layer: 'endpoints', summary: '0 of 3 endpoints ready' },
    layers: layers(true),
    probes: { dns: [], tcp: [], http: [] },
    paths: [path('shop.netpath.test/', 'shop.netpath.test', true), path('shop-gw.netpath.test/', 'shop-gw.netpath.test', false)],
  };
}

const logPane = (id: LogPaneId): LogPane => ({
  id,
  title: id === 'controller' ? 'ingress-nginx/ingress-nginx-controller (3 pods)' : 'shop/web',
  lines: [],
  counters: { received: 0, retained: 0, dropped: 0, shown: 0, filtered: 0 },
  filter: { hostFilter: true, hostLabel: 'shop.netpath.test' },
  streams: [],
  membership: [],
  state: 'live',
});

export function emptyState(): SessionState {
  return {
    version: 1,
    now: 1_700_000_000_000,
    paused: false,
    connection: 'connected',
    diagnosing: false,
    report: fakeReport(),
    endpoints: { stream: { state: 'live', since: 0, reconnects: 0 }, rows: [], timeline: [], timelineDropped: 0, flaps: {}, totalFlaps: 0 },
    controllerLogs: logPane('controller'),
    backendLogs: logPane('backend'),
    probes: { runs: [], intervalMs: 0, running: false },
    helper: { runs: [] },
  };
}

/** A store whose state the test edits with `update` (publishes a new snapshot, like one flush). */
export class FakeStore implements SessionStoreApi {
  state = emptyState();
  subs = new Set<() => void>();
  calls: string[] = [];
  logs: Record<LogPaneId, LogLine[]> = { controller: [], backend: [] };
  private seq = 0;

  getSnapshot = () => this.state;
  subscribe = (fn: () => void) => {
    this.subs.add(fn);
    return () => void this.subs.delete(fn);
  };
  update(patch: Partial<SessionState>): void {
    this.state = { ...this.state, ...patch, version: this.state.version + 1 };
    for (const f of this.subs) f();
  }
  /** Buffers lines without publishing (a source pushing between flushes). */
  push(pane: LogPaneId, text: string, pod = 'ingress-nginx-controller-5d8f7c9b6-abcde', parsed: LogLine['parsed'] = { format: 'generic' }): void {
    this.logs[pane].push({ seq: ++this.seq, ts: 1_700_000_000_000 + this.seq, source: { namespace: 'ingress-nginx', pod, container: 'controller' }, raw: text, parsed });
  }
  /** Publishes buffered lines (one flush), keeping the last `capacity`. */
  flush(capacity = 5000): void {
    const key = { controller: 'controllerLogs', backend: 'backendLogs' } as const;
    const patch: Partial<SessionState> = {};
    for (const id of ['controller', 'backend'] as const) {
      const all = this.logs[id];
      const prev = this.state[key[id]];
      const re = prev.filter.regex ? new RegExp(prev.filter.regex, 'i') : undefined;
      const kept = all.slice(-capacity);
      const lines = re ? kept.filter((l) => re.test(l.raw)) : kept;
      patch[key[id]] = { ...prev, lines, counters: { received: all.length, retained: kept.length, dropped: all.length - kept.length, shown: lines.length, filtered: kept.length - lines.length } };
    }
    this.update(patch);
  }
  pause() { this.calls.push('pause'); this.update({ paused: true }); }
  resume() { this.calls.push('resume'); this.update({ paused: false }); }
  togglePause() { this.calls.push('togglePause'); this.update({ paused: !this.state.paused }); }
  setLogFilter(pane: LogPaneId, regex: string | undefined) {
    this.calls.push(`setLogFilter ${pane} ${regex}`);
    try {
      if (regex) new RegExp(regex);
    } catch {
      return `invalid regex ${regex}`;
    }
    const key = pane === 'controller' ? 'controllerLogs' : 'backendLogs';
    this.state = { ...this.state, [key]: { ...this.state[key], filter: { ...this.state[key].filter, regex } } };
    this.flush();
    return undefined;
  }
  toggleHostFilter(pane: LogPaneId) { this.calls.push(`toggleHostFilter ${pane}`); }
  clearLogs(pane: LogPaneId) { this.calls.push(`clearLogs ${pane}`); }
  requestRefresh() { this.calls.push('refresh'); }
  runProbeNow() { this.calls.push('probeNow'); }
  setProbeInterval(ms: number) { this.calls.push(`interval ${ms}`); }
  selectPath(id: string) { this.calls.push(`selectPath ${id}`); }
  objectYaml(ref: ObjectRef) {
    this.calls.push(`yaml ${ref.kind}/${ref.name}`);
    return Promise.resolve(`apiVersion: v1\nkind: ${ref.kind}\nmetadata:\n  name: ${ref.name}\n  namespace: ${ref.namespace}\n`);
  }
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const tick = () => new Promise<void>((r) => setImmediate(() => setTimeout(r, 0)));

export function mount(el: ReactElement) {
  const r = render(el);
  const frame = () => strip(r.lastFrame() ?? '');
  return {
    ...r,
    frame,
    async ready() {
      await new Promise((res) => setTimeout(res, 30));
    },
    /** One key per write; waits for the frame to settle. */
    async press(key: string, settleMs = key === KEYS.esc ? 60 : 15) {
      await tick();
      r.stdin.write(key);
      await new Promise((res) => setTimeout(res, settleMs));
      await tick();
    },
    async type(text: string) {
      for (const ch of text) await this.press(ch);
    },
    async waitFor(text: string | RegExp, ms = 2000) {
      const end = Date.now() + ms;
      for (;;) {
        const f = frame();
        if (typeof text === 'string' ? f.includes(text) : text.test(f)) return f;
        if (Date.now() > end) throw new Error(`frame never showed ${text}:\n${f}`);
        await new Promise((res) => setTimeout(res, 10));
      }
    },
  };
}

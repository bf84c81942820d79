// SessionStore: the live UI's state outside React. Sources push raw events in (sanitised here, on ingest, into
// ring buffers with exact counters); one flush ticker publishes an immutable SessionState at most every
// `flushMs` (default 50 ms → ≤ 20 snapshots/s) and only when something changed. See src/state/types.ts.
import type { KObject } from '../kube/types.ts';
import { type LogScope, inScope, parseLogLine, upstreamPods } from '../logs/parse.ts';
import type { ObjectRef, Report } from '../path/model.ts';
import { sanitize } from '../text/sanitize.ts';
import { EMPTY_TIMELINE, type TimelineState, flapCounts, reduceEndpoints, sliceEndpoints, sortedRows } from '../timeline/endpoints.ts';
import { RingBuffer } from './ring.ts';
import type {
  Clock, ConnectionState, EndpointsPane, HelperLine, HelperPane, HelperRun, LogCounters, LogLine, LogPane, LogPaneId, LogSource,
  LogStreamInfo, ParsedLog, PodMembershipEvent, ProbeRun, ProbesPane, SessionController, SessionState, SessionStoreApi, StoreOptions,
  StreamState, StreamStatus, TimelineEntry,
} from './types.ts';

export const realClock: Clock = {
  now: () => Date.now(),
  setInterval: (fn, ms) => {
    const h = setInterval(fn, ms);
    h.unref?.();
    return h;
  },
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

type Section = 'meta' | 'endpoints' | 'controller' | 'backend' | 'probes' | 'helper';

/**
 * A stored log line. Parsing is lazy: the columns (status, method, upstream pod, …) are computed the first time they
 * are read — for a line on screen, or for every line when the host filter needs them — and cached. Ingest then costs
 * one object and the sanitised string per line, which keeps a flood's garbage (and the heap V8 keeps for it) small.
 * The upstream→pod mapping uses the store's address map as it is when parsed; the store parses every pending line
 * before an address changes pods, so a line keeps the pod that served it (see `SessionStore.remapAddress`).
 */
class StoredLine implements LogLine {
  seq: number;
  ts: number;
  source: LogSource;
  raw: string;
  #parsed: ParsedLog | undefined;
  #pods: ReadonlyMap<string, string>;
  /** Filter generation the match flag was computed for. */
  #gen = -1;
  #ok = false;
  constructor(seq: number, ts: number, source: LogSource, raw: string, pods: ReadonlyMap<string, string>) {
    this.seq = seq;
    this.ts = ts;
    this.source = source;
    this.raw = raw;
    this.#pods = pods;
  }
  get parsed(): ParsedLog {
    if (this.#parsed === undefined) {
      const p = parseLogLine(this.raw);
      const pods = upstreamPods(p.upstream, this.#pods);
      if (pods) p.upstreamPod = pods;
      this.#parsed = p;
    }
    return this.#parsed;
  }
  get isParsed(): boolean {
    return this.#parsed !== undefined;
  }
  matches(pane: LogPaneState): boolean {
    if (this.#gen !== pane.gen) {
      this.#ok = (!pane.hostFilter || !pane.scope || inScope(this.parsed, pane.scope)) && (!pane.regex || pane.regex.test(this.raw));
      this.#gen = pane.gen;
    }
    return this.#ok;
  }
}

class LogPaneState {
  ring: RingBuffer<StoredLine>;
  received = 0;
  dropped = 0;
  seq = 0;
  regex?: RegExp;
  regexSource?: string;
  hostFilter = true;
  hostLabel?: string;
  scope?: LogScope;
  gen = 0;
  title: string;
  unavailable?: string;
  streams = new Map<string, LogStreamInfo>();
  membership: RingBuffer<PodMembershipEvent>;
  membershipSeq = 0;
  /** The last published view (kept while paused). */
  view: readonly LogLine[] = [];
  readonly id: LogPaneId;
  constructor(id: LogPaneId, capacity: number) {
    this.id = id;
    this.ring = new RingBuffer(capacity);
    this.membership = new RingBuffer(500);
    this.title = id === 'controller' ? 'controller logs' : 'backend logs';
  }
}

const streamKey = (s: LogSource) => `${s.namespace}/${s.pod}/${s.container}`;

/** Anything sanitize() would change (controls, escapes, BiDi); most log lines have none and skip its passes. */
const NEEDS_SANITIZE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function cleanSource(s: LogSource): LogSource {
  return { namespace: sanitize(s.namespace, { max: 253 }), pod: sanitize(s.pod, { max: 253 }), container: sanitize(s.container, { max: 253 }) };
}

export class SessionStore implements SessionStoreApi {
  private readonly clock: Clock;
  private readonly flushMs: number;
  private readonly maxLine: number;
  private readonly timelineCap: number;
  private readonly probeCap: number;
  private readonly helperLineCap: number;
  private readonly helperRunCap: number;
  private ticker: unknown;
  private listeners = new Set<() => void>();
  private dirty = new Set<Section>(['meta', 'endpoints', 'controller', 'backend', 'probes', 'helper']);
  private snapshot: SessionState;
  private controller?: SessionController;

  // meta
  private paused = false;
  private pausedAt?: number;
  private connection: ConnectionState = 'connecting';
  private connectionError?: string;
  private selectedPath?: string;
  private report?: Report;
  /** The engine's report before the amendments below (what setReport was given). */
  private baseReport?: Report;
  /** Results the UI adds to every report (its in-cluster probes): applied to each new report as it is set. */
  private readonly amendments = new Set<(report: Report) => Report>();
  private reportAt?: number;
  private reportError?: string;
  private diagnosing = false;

  // endpoints
  private epService?: ObjectRef;
  private epStream: StreamStatus;
  private timeline: TimelineState = EMPTY_TIMELINE;
  private timelineRing: RingBuffer<TimelineEntry>;
  private podsByAddress = new Map<string, string>();

  // logs
  private logs: Record<LogPaneId, LogPaneState>;

  // probes
  private probeRuns: RingBuffer<ProbeRun>;
  private probeSeq = 0;
  private probeInterval: number;
  private probeRunning = false;
  private probeNextAt?: number;
  private probeDisabled?: string;

  // helper
  private helperRuns = new Map<string, { run: Omit<HelperRun, 'lines'>; lines: RingBuffer<HelperLine> }>();
  private helperSeq = 0;

  constructor(opts: StoreOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.flushMs = opts.flushMs ?? 50;
    this.maxLine = opts.maxLineLength ?? 4096;
    this.timelineCap = opts.timelineCapacity ?? 1000;
    this.probeCap = opts.probeCapacity ?? 100;
    this.helperLineCap = opts.helperLineCapacity ?? 2000;
    this.helperRunCap = opts.helperRunCapacity ?? 20;
    this.probeInterval = opts.probeIntervalMs ?? 0;
    const cap = opts.logCapacity ?? 5000;
    this.logs = { controller: new LogPaneState('controller', cap), backend: new LogPaneState('backend', cap) };
    this.timelineRing = new RingBuffer(this.timelineCap);
    this.probeRuns = new RingBuffer(this.probeCap);
    this.epStream = { state: 'ended', since: this.clock.now(), reconnects: 0, reason: 'not started' };
    this.snapshot = this.build(undefined);
    this.dirty.clear();
  }

  // ------------------------------------------------------------------ publication

  /** Starts the flush ticker (idempotent). */
  start(): void {
    if (this.ticker === undefined) this.ticker = this.clock.setInterval(() => this.flush(), this.flushMs);
  }

  /** Stops the ticker; the last state stays readable. */
  stop(): void {
    if (this.ticker !== undefined) this.clock.clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** Publishes a new snapshot if anything changed; returns whether it did. The ticker calls this. */
  flush(): boolean {
    if (!this.dirty.size) return false;
    this.snapshot = this.build(this.snapshot);
    this.dirty.clear();
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch {
        /* a listener's failure must not stop the others */
      }
    }
    return true;
  }

  getSnapshot = (): SessionState => this.snapshot;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  };

  private mark(...s: Section[]): void {
    for (const x of s) this.dirty.add(x);
  }

  private build(prev: SessionState | undefined): SessionState {
    const d = (s: Section) => !prev || this.dirty.has(s);
    return {
      version: (prev?.version ?? -1) + 1,
      now: this.clock.now(),
      paused: this.paused,
      ...(this.pausedAt !== undefined ? { pausedAt: this.pausedAt } : {}),
      connection: this.connection,
      ...(this.connectionError ? { connectionError: this.connectionError } : {}),
      ...(this.selectedPath ? { selectedPath: this.selectedPath } : {}),
      ...(this.report ? { report: this.report } : {}),
      ...(this.reportAt !== undefined ? { reportAt: this.reportAt } : {}),
      ...(this.reportError ? { reportError: this.reportError } : {}),
      diagnosing: this.diagnosing,
      endpoints: d('endpoints') ? this.buildEndpoints(prev?.endpoints) : prev!.endpoints,
      controllerLogs: d('controller') ? this.buildLogs(this.logs.controller) : prev!.controllerLogs,
      backendLogs: d('backend') ? this.buildLogs(this.logs.backend) : prev!.backendLogs,
      probes: d('probes') ? this.buildProbes(prev?.probes) : prev!.probes,
      helper: d('helper') ? this.buildHelper() : prev!.helper,
    };
  }

  private buildEndpoints(prev: EndpointsPane | undefined): EndpointsPane {
    const frozen = this.paused && prev;
    const { flaps, total } = flapCounts(this.timeline);
    return {
      ...(this.epService ? { service: this.epService } : {}),
      stream: { ...this.epStream },
      rows: frozen ? prev.rows : sortedRows(this.timeline),
      timeline: frozen ? prev.timeline : this.timelineRing.toArray(),
      timelineDropped: this.timelineRing.evicted,
      flaps,
      totalFlaps: total,
    };
  }

  private buildLogs(p: LogPaneState): LogPane {
    let shown = 0;
    const lines: LogLine[] = [];
    for (let i = 0; i < p.ring.size; i++) {
      const e = p.ring.at(i)!;
      if (e.matches(p)) {
        shown++;
        if (!this.paused) lines.push(e);
      }
    }
    if (!this.paused) p.view = lines;
    const counters: LogCounters = { received: p.received, retained: p.ring.size, dropped: p.dropped, shown, filtered: p.ring.size - shown };
    const streams = [...p.streams.values()].map((s) => ({ ...s, source: { ...s.source } }));
    const state: StreamState = streams.some((s) => s.state === 'reconnecting') ? 'reconnecting' : streams.some((s) => s.state === 'live') ? 'live' : 'ended';
    return {
      id: p.id,
      title: p.title,
      lines: p.view,
      counters,
      filter: {
        ...(p.regexSource ? { regex: p.regexSource } : {}),
        hostFilter: p.hostFilter,
        ...(p.hostLabel ? { hostLabel: p.hostLabel } : {}),
      },
      streams,
      membership: p.membership.toArray(),
      state,
      ...(p.unavailable ? { unavailable: p.unavailable } : {}),
    };
  }

  private buildProbes(prev: ProbesPane | undefined): ProbesPane {
    return {
      runs: this.paused && prev ? prev.runs : this.probeRuns.toArray(),
      intervalMs: this.probeInterval,
      running: this.probeRunning,
      ...(this.probeNextAt !== undefined ? { nextAt: this.probeNextAt } : {}),
      ...(this.probeDisabled ? { disabled: this.probeDisabled } : {}),
    };
  }

  private buildHelper(): HelperPane {
    return { runs: [...this.helperRuns.values()].map(({ run, lines }) => ({ ...run, lines: lines.toArray() })) };
  }

  // ------------------------------------------------------------------ actions (the UI)

  setController(c: SessionController | undefined): void {
    this.controller = c;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.pausedAt = this.clock.now();
    this.mark('meta', 'endpoints', 'controller', 'backend', 'probes');
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.pausedAt = undefined;
    this.mark('meta', 'endpoints', 'controller', 'backend', 'probes');
  }

  togglePause(): void {
    if (this.paused) this.resume();
    else this.pause();
  }

  setLogFilter(pane: LogPaneId, regex: string | undefined): string | undefined {
    const p = this.logs[pane];
    if (!regex) {
      p.regex = undefined;
      p.regexSource = undefined;
    } else {
      if (regex.length > 256) return 'filter too long (at most 256 characters)';
      let r: RegExp;
      try {
        r = new RegExp(regex, 'i');
      } catch (e) {
        return sanitize(`invalid regular expression: ${(e as Error).message}`, { max: 200 });
      }
      p.regex = r;
      p.regexSource = sanitize(regex, { max: 256 });
    }
    p.gen++;
    this.mark(pane);
    return undefined;
  }

  toggleHostFilter(pane: LogPaneId): void {
    const p = this.logs[pane];
    p.hostFilter = !p.hostFilter;
    p.gen++;
    this.mark(pane);
  }

  clearLogs(pane: LogPaneId): void {
    const p = this.logs[pane];
    // Cleared lines count as dropped so received = retained + dropped stays exact.
    p.dropped += p.ring.size;
    p.ring.clear();
    this.mark(pane);
  }

  requestRefresh(): void {
    this.controller?.refresh();
  }

  runProbeNow(): void {
    this.controller?.probeNow();
  }

  setProbeInterval(ms: number): void {
    const v = Number.isFinite(ms) && ms > 0 ? Math.max(1000, Math.round(ms)) : 0;
    this.probeInterval = v;
    if (!v) this.probeNextAt = undefined;
    this.mark('probes');
    this.controller?.setProbeInterval(v);
  }

  selectPath(id: string): void {
    if (this.selectedPath === id) return;
    this.selectedPath = id;
    this.mark('meta');
    this.controller?.selectPath(id);
  }

  objectYaml(ref: ObjectRef): Promise<string> {
    if (!this.controller) return Promise.reject(new Error('not connected to a cluster'));
    return this.controller.objectYaml(ref);
  }

  // ------------------------------------------------------------------ ingest: session and report

  setConnection(state: ConnectionState, error?: string): void {
    this.connection = state;
    this.connectionError = error ? sanitize(error, { max: 300 }) : undefined;
    this.mark('meta');
  }

  setDiagnosing(on: boolean): void {
    this.diagnosing = on;
    this.mark('meta');
  }

  /** A new report (already sanitised by the engine). Its endpoints feed the upstream→pod map. */
  setReport(report: Report, at = this.clock.now()): void {
    this.baseReport = report;
    this.report = this.amended(report);
    this.reportAt = at;
    this.reportError = undefined;
    if (!this.selectedPath || !report.paths.some((p) => p.id === this.selectedPath)) this.selectedPath = report.paths[0]?.id;
    for (const p of report.paths) for (const e of p.endpoints) if (e.pod && !this.podsByAddress.has(e.address)) this.remapAddress(e.address, e.pod);
    this.mark('meta');
  }

  setReportError(message: string): void {
    this.reportError = sanitize(message, { max: 300 });
    this.mark('meta');
  }

  /** The address→pod map used to name upstreams (also fed by the endpoints watch). */
  addressPod(address: string, pod: string): void {
    this.remapAddress(address, sanitize(pod, { max: 253 }));
  }

  /**
   * Sets the pod behind an address. Lines are parsed lazily (StoredLine), so before an address moves to another pod
   * every line not parsed yet is parsed with the old mapping: a line keeps the pod that served it. Rare (a reused
   * pod IP); new addresses cost nothing.
   */
  private remapAddress(address: string, pod: string): void {
    const old = this.podsByAddress.get(address);
    if (old !== undefined && old !== pod) {
      for (const p of Object.values(this.logs)) for (let i = p.ring.size - 1; i >= 0; i--) void p.ring.at(i)!.parsed;
    }
    this.podsByAddress.set(address, pod);
  }

  // ------------------------------------------------------------------ ingest: endpoints

  /** Watches another Service: the timeline starts over. */
  endpointsService(ref: ObjectRef | undefined): void {
    this.epService = ref ? { kind: ref.kind, name: sanitize(ref.name, { max: 253 }), ...(ref.namespace ? { namespace: sanitize(ref.namespace, { max: 253 }) } : {}) } : undefined;
    this.timeline = EMPTY_TIMELINE;
    this.timelineRing = new RingBuffer(this.timelineCap);
    this.mark('endpoints');
  }

  /** The complete current set of the Service's EndpointSlices (after each watch event). */
  endpointSlices(slices: readonly KObject[]): TimelineEntry[] {
    const eps = sliceEndpoints(slices);
    const { state, entries } = reduceEndpoints(this.timeline, eps, this.clock.now());
    this.timeline = state;
    for (const e of entries) this.timelineRing.push(e);
    for (const e of eps) if (e.pod) this.remapAddress(e.address, e.pod);
    this.mark('endpoints');
    return entries;
  }

  endpointsStream(state: StreamState, reason?: string): void {
    const reconnects = this.epStream.reconnects + (state === 'reconnecting' && this.epStream.state !== 'reconnecting' ? 1 : 0);
    this.epStream = { state, since: this.clock.now(), reconnects, ...(reason ? { reason: sanitize(reason, { max: 300 }) } : {}) };
    this.mark('endpoints');
  }

  // ------------------------------------------------------------------ ingest: logs

  /** Title, scope of the host filter, or why nothing can be followed. */
  logPaneInfo(pane: LogPaneId, info: { title?: string; hostLabel?: string; scope?: LogScope; unavailable?: string | null }): void {
    const p = this.logs[pane];
    if (info.title !== undefined) p.title = sanitize(info.title, { max: 200 });
    if (info.hostLabel !== undefined) p.hostLabel = sanitize(info.hostLabel, { max: 200 });
    if (info.scope !== undefined) {
      p.scope = info.scope;
      p.gen++;
    }
    if (info.unavailable !== undefined) p.unavailable = info.unavailable ? sanitize(info.unavailable, { max: 300 }) : undefined;
    this.mark(pane);
  }

  /**
   * One log line from a container: sanitised (controls, escapes, BiDi removed; capped), parsed, upstream mapped
   * to pods, appended to the pane's ring buffer. `ts` is the kubelet's timestamp in ms when known.
   */
  logLine(pane: LogPaneId, source: LogSource, text: string, ts?: number): void {
    const p = this.logs[pane];
    // Cut before the regexes run, so a huge line costs no more than a long one.
    const raw =
      text.length <= this.maxLine && !NEEDS_SANITIZE.test(text)
        ? text
        : sanitize(text.length > this.maxLine * 2 ? text.slice(0, this.maxLine * 2) : text, { max: this.maxLine });
    const key = streamKey(source);
    let s = p.streams.get(key);
    if (!s) {
      s = { state: 'live', since: this.clock.now(), reconnects: 0, source: cleanSource(source), restarts: 0, received: 0 };
      p.streams.set(key, s);
    }
    s.received++;
    p.received++;
    if (p.ring.push(new StoredLine(++p.seq, ts ?? this.clock.now(), s.source, raw, this.podsByAddress))) p.dropped++;
    this.mark(pane);
  }

  /** A container stream's state (live, reconnecting with the reason, ended). */
  logStream(pane: LogPaneId, source: LogSource, state: StreamState, reason?: string): void {
    const p = this.logs[pane];
    const key = streamKey(source);
    const s = p.streams.get(key) ?? { state: 'live' as StreamState, since: this.clock.now(), reconnects: 0, source: cleanSource(source), restarts: 0, received: 0 };
    if (state === 'reconnecting' && s.state !== 'reconnecting') s.reconnects++;
    s.state = state;
    s.since = this.clock.now();
    if (reason) s.reason = sanitize(reason, { max: 300 });
    else delete s.reason;
    p.streams.set(key, s);
    this.mark(pane);
  }

  /** Pods joining/leaving the followed set, containers restarting. */
  logMembership(pane: LogPaneId, change: PodMembershipEvent['change'], pod: string, container?: string, reason?: string): void {
    const p = this.logs[pane];
    p.membership.push({
      seq: ++p.membershipSeq, at: this.clock.now(), change, pod: sanitize(pod, { max: 253 }),
      ...(container ? { container: sanitize(container, { max: 253 }) } : {}),
      ...(reason ? { reason: sanitize(reason, { max: 300 }) } : {}),
    });
    if (change === 'restarted' && container) {
      for (const s of p.streams.values()) if (s.source.pod === pod && s.source.container === container) s.restarts++;
    }
    if (change === 'left') {
      for (const [k, s] of p.streams) if (s.source.pod === pod) p.streams.delete(k);
    }
    this.mark(pane);
  }

  /** Forgets every stream of a pane (the followed set changed, e.g. another path was selected). */
  resetLogPane(pane: LogPaneId): void {
    const p = this.logs[pane];
    p.streams.clear();
    this.mark(pane);
  }

  // ------------------------------------------------------------------ ingest: probes

  probeStarted(): void {
    this.probeRunning = true;
    this.mark('probes');
  }

  probeRun(run: Omit<ProbeRun, 'seq'>): void {
    this.probeRuns.push({ ...run, seq: ++this.probeSeq, ...(run.error ? { error: sanitize(run.error, { max: 300 }) } : {}) });
    this.probeRunning = false;
    this.mark('probes');
  }

  probeSchedule(nextAt: number | undefined, disabled?: string): void {
    this.probeNextAt = nextAt;
    this.probeDisabled = disabled ? sanitize(disabled, { max: 200 }) : undefined;
    this.mark('probes');
  }

  // ------------------------------------------------------------------ ingest: helper pods (in-cluster probes)

  helperStart(runId: string, title: string): void {
    this.helperRuns.delete(runId);
    this.helperRuns.set(runId, {
      run: { runId, title: sanitize(title, { max: 200 }), state: 'running', startedAt: this.clock.now(), received: 0, dropped: 0 },
      lines: new RingBuffer(this.helperLineCap),
    });
    // Keep the newest runs; drop the oldest finished ones first.
    while (this.helperRuns.size > this.helperRunCap) {
      const victim = [...this.helperRuns.entries()].find(([, r]) => r.run.state !== 'running')?.[0] ?? this.helperRuns.keys().next().value!;
      this.helperRuns.delete(victim);
    }
    this.mark('helper');
  }

  /** One line of a helper pod's output (a run not started yet is started with its id as title). */
  helperOutput(runId: string, line: string, stream: HelperLine['stream'] = 'stdout'): void {
    if (!this.helperRuns.has(runId)) this.helperStart(runId, runId);
    const r = this.helperRuns.get(runId)!;
    const text = sanitize(line.length > this.maxLine * 2 ? line.slice(0, this.maxLine * 2) : line, { max: this.maxLine });
    r.run = { ...r.run, received: r.run.received + 1 };
    if (r.lines.push({ seq: ++this.helperSeq, at: this.clock.now(), stream, text })) r.run = { ...r.run, dropped: r.run.dropped + 1 };
    this.mark('helper');
  }

  helperEnd(runId: string, result: { state: 'done' | 'failed' | 'cancelled'; exitCode?: number; reason?: string }): void {
    const r = this.helperRuns.get(runId);
    if (!r) return;
    r.run = {
      ...r.run, state: result.state, endedAt: this.clock.now(),
      ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
      ...(result.reason ? { reason: sanitize(result.reason, { max: 300 }) } : {}),
    };
    this.mark('helper');
  }

  // ------------------------------------------------------------------ UI-run probes (added for src/cli/tui-probes.ts)

  /**
   * Adds `fn` to the amendments every report goes through — the current one now, each later one as it is set — so
   * results the UI produced (a ladder, a dig) stay in the report across re-diagnoses. Call `reapplyAmendments`
   * when what `fn` adds has changed; the returned function removes it. The caller sanitises what it adds.
   */
  addReportAmendment(fn: (report: Report) => Report): () => void {
    this.amendments.add(fn);
    this.reapplyAmendments();
    return () => {
      this.amendments.delete(fn);
      this.reapplyAmendments();
    };
  }

  /** Re-applies the amendments to the last report set. */
  reapplyAmendments(): void {
    if (!this.baseReport) return;
    const next = this.amended(this.baseReport);
    if (next === this.report) return;
    this.report = next;
    this.mark('meta');
  }

  private amended(report: Report): Report {
    let r = report;
    for (const fn of this.amendments) r = fn(r);
    return r;
  }

}

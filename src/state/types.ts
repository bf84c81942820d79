// The contract between the live sources (src/sources/) and the Ink UI (src/ui/).
//
// - `SessionStore` (src/state/store.ts) lives outside React. Sources push into it (endpoint slices, log lines,
//   probe runs, reports, helper-pod output); everything untrusted is sanitised ON INGEST (src/text/sanitize.ts), so
//   no C0/C1/ESC/BiDi control character is ever present in a `SessionState`.
// - Streams land in bounded ring buffers with exact counters; nothing is published per event. One flush ticker
//   (default every 50 ms, i.e. at most ~20 snapshots/s) publishes a NEW immutable `SessionState` object only when
//   something changed, then calls the subscribers. The UI reads it with
//   `useSyncExternalStore(store.subscribe, store.getSnapshot)`: the snapshot identity changes at most ~20 times/s.
// - A snapshot and everything reachable from it is never mutated after publication (arrays are fresh copies or
//   unchanged references from the previous snapshot, so `===` tells a pane whether its data changed).
// - The UI only calls the action methods of `SessionActions`; the live session (src/sources/session.ts) installs
//   a `SessionController` behind them (refresh, probes, path selection, YAML). Without a controller (tests,
//   fake sources) the actions still update the state (pause, filters) and the rest are no-ops.
// - Times are epoch milliseconds from the store's injected clock (`Clock`), except `LogLine.ts`, which is the
//   kubelet's timestamp of the line when known.
import type { DnsAnswer, HttpTiming, ObjectRef, Probes, Report } from '../path/model.ts';

/** Injected time source: the real one in production, a manual one in tests. */
export interface Clock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** A followed stream (a watch, one container's log). */
export type StreamState = 'live' | 'reconnecting' | 'ended';

export interface StreamStatus {
  state: StreamState;
  /** Why it is reconnecting or ended ("stream lost: connection reset", "pod deleted", "container terminated"). */
  reason?: string;
  /** When the state last changed. */
  since: number;
  /** Reconnects so far. */
  reconnects: number;
}

/** The API connection as a whole: `connecting` until the first report or watch answer, `lost` while no stream is live. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'lost';

// ---------------------------------------------------------------------------------------------------------------
// Endpoints pane

/** An endpoint as read from one EndpointSlice (before keys and flaps). */
export interface SliceEndpoint {
  slice: string;
  address: string;
  pod?: string;
  node?: string;
  zone?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface EndpointRow extends SliceEndpoint {
  /** Stable key: the address (unique among a Service's endpoints; a new pod on the same address is a remove + add). */
  key: string;
  /** Times this endpoint flapped (ready→not-ready→ready, or removed and re-added) in this session. */
  flaps: number;
  /** When its current condition started (first seen, or last change). */
  since: number;
}

export type TimelineChange =
  | 'added'
  | 'removed'
  | 'ready'
  | 'not-ready'
  | 'serving'
  | 'not-serving'
  | 'terminating'
  | 'not-terminating';

export interface TimelineEntry {
  /** Monotonic, unique within the session (React key). */
  seq: number;
  at: number;
  change: TimelineChange;
  key: string;
  slice: string;
  address: string;
  pod?: string;
  node?: string;
  /** Flap count of this endpoint after this change (an entry that completes a flap increments it). */
  flaps: number;
}

export interface EndpointsPane {
  /** The Service whose EndpointSlices are watched (the selected path's backend). */
  service?: ObjectRef;
  stream: StreamStatus;
  /** Current endpoints, sorted by slice then address. */
  rows: readonly EndpointRow[];
  /** Changes, oldest first, bounded (the oldest fall off; `timelineDropped` counts them). */
  timeline: readonly TimelineEntry[];
  timelineDropped: number;
  /** Flaps per endpoint key (also kept for endpoints that are gone). */
  flaps: Readonly<Record<string, number>>;
  totalFlaps: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Log panes (controller logs, backend logs)

export type LogPaneId = 'controller' | 'backend';

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

export type LogFormat = 'nginx-upstreaminfo' | 'nginx-error' | 'envoy-json' | 'generic';

/** Columns parsed from one line (src/logs/); every field optional, every string already sanitised. */
export interface ParsedLog {
  format: LogFormat;
  status?: number;
  statusClass?: StatusClass;
  method?: string;
  path?: string;
  host?: string;
  /** The upstream's name: ingress-nginx `$proxy_upstream_name` (`shop-web-80`), Envoy `upstream_cluster`/`route_name`. */
  upstreamName?: string;
  /** `upstream_addr` as logged (`10.1.2.3:8080`, several comma-separated for retries). */
  upstream?: string;
  /** The upstream mapped to pod name(s) through the current endpoints (`web-6b9c-x1`, `web-a, web-b`). */
  upstreamPod?: string;
  /** Request or upstream latency in milliseconds. */
  latencyMs?: number;
  /** error/warn/info/debug for error logs and generic lines that say so. */
  level?: 'error' | 'warn' | 'info' | 'debug';
  /** Free text for error/generic lines (nginx error message, JSON `msg`). */
  message?: string;
}

export interface LogSource {
  namespace: string;
  pod: string;
  container: string;
}

export interface LogLine {
  /** Monotonic per pane, unique (React key); survives eviction of older lines. */
  seq: number;
  /** The kubelet's RFC3339 timestamp of the line in ms (timestamps=true), else the ingest time. */
  ts: number;
  source: LogSource;
  /** The line, sanitised and capped (no control characters, no newline). */
  raw: string;
  parsed: ParsedLog;
}

export interface LogStreamInfo extends StreamStatus {
  source: LogSource;
  /** Container restarts seen (a restart opens a new stream on the same container). */
  restarts: number;
  /** Lines received from this container. */
  received: number;
}

export interface PodMembershipEvent {
  seq: number;
  at: number;
  change: 'joined' | 'left' | 'restarted';
  pod: string;
  container?: string;
  reason?: string;
}

export interface LogCounters {
  /** Lines received from all streams this session (exact). received = retained + dropped. */
  received: number;
  /** Lines in the ring buffer now. retained = shown + filtered. */
  retained: number;
  /** Lines evicted from the ring buffer (buffer full). */
  dropped: number;
  /** Retained lines the current filters show / hide. */
  shown: number;
  filtered: number;
}

export interface LogFilter {
  /** The `/` regex (case-insensitive), or undefined. Invalid patterns are rejected by `setLogFilter`. */
  regex?: string;
  /** Show only lines about the path's host/service (default on; lines without a host are kept). */
  hostFilter: boolean;
  /** What the host filter matches, for the hint line (`shop.netpath.test`, `shop/web`). */
  hostLabel?: string;
}

export interface LogPane {
  id: LogPaneId;
  /** What is followed, for the pane title (`ingress-nginx/ingress-nginx-controller (3 pods)`, `shop/web`). */
  title: string;
  /** Lines the filters show, oldest first (at most the ring buffer's capacity). */
  lines: readonly LogLine[];
  counters: LogCounters;
  filter: LogFilter;
  /** One entry per followed container. */
  streams: readonly LogStreamInfo[];
  /** Pods joining/leaving and containers restarting, oldest first, bounded. */
  membership: readonly PodMembershipEvent[];
  /** Worst state over the streams: `reconnecting` if any is, `ended` if all are (or none exist). */
  state: StreamState;
  /** Why there is nothing to follow (no controller recognised, not permitted), if so. */
  unavailable?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Probes pane

export interface ProbeRun {
  seq: number;
  at: number;
  trigger: 'initial' | 'interval' | 'manual' | 'refresh';
  /** Wall time of the run. */
  ms: number;
  dns: DnsAnswer[];
  tcp: Probes['tcp'];
  http: HttpTiming[];
  error?: string;
}

export interface ProbesPane {
  /** Runs, oldest first, bounded. */
  runs: readonly ProbeRun[];
  /** Re-run period in ms; 0 = only on demand. */
  intervalMs: number;
  running: boolean;
  nextAt?: number;
  /** Why probes cannot run (--no-probe), if so. */
  disabled?: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Helper-pod output pane (fed by the in-cluster probes: store.helperStart / helperOutput / helperEnd)

export interface HelperLine {
  seq: number;
  at: number;
  stream: 'stdout' | 'stderr' | 'info';
  text: string;
}

export interface HelperRun {
  runId: string;
  title: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  startedAt: number;
  endedAt?: number;
  exitCode?: number;
  reason?: string;
  /** Output, oldest first, bounded per run (`dropped` counts the rest). */
  lines: readonly HelperLine[];
  received: number;
  dropped: number;
}

export interface HelperPane {
  /** Runs, oldest first (bounded). */
  runs: readonly HelperRun[];
}

// ---------------------------------------------------------------------------------------------------------------
// The snapshot

export interface SessionState {
  /** Increments with every published snapshot. */
  version: number;
  /** The store clock when this snapshot was published (the header clock). */
  now: number;
  /** Paused: panes stop moving (ingest and counters continue); `pausedAt` tells since when. */
  paused: boolean;
  pausedAt?: number;
  connection: ConnectionState;
  connectionError?: string;
  /** The selected path's id (`report.paths[i].id`); the live sources follow this path. */
  selectedPath?: string;
  /** The latest diagnosis, its completion time, and the last re-diagnosis error (the previous report stays). */
  report?: Report;
  reportAt?: number;
  reportError?: string;
  /** A (re-)diagnosis is running. */
  diagnosing: boolean;
  endpoints: EndpointsPane;
  controllerLogs: LogPane;
  backendLogs: LogPane;
  probes: ProbesPane;
  helper: HelperPane;
}

/** What the UI may ask for. Every method returns at once; results show up in later snapshots. */
export interface SessionActions {
  pause(): void;
  resume(): void;
  togglePause(): void;
  /** Sets (or clears with undefined/'') the pane's regex; returns an error message for an invalid pattern. */
  setLogFilter(pane: LogPaneId, regex: string | undefined): string | undefined;
  toggleHostFilter(pane: LogPaneId): void;
  clearLogs(pane: LogPaneId): void;
  /** Re-runs the whole diagnosis, probes included (Ctrl-r). */
  requestRefresh(): void;
  /** Runs the workstation DNS/HTTP probes now. */
  runProbeNow(): void;
  /** Probe period in ms (0 = off). */
  setProbeInterval(ms: number): void;
  /** Follows another path of the report (re-targets endpoints and log sources). */
  selectPath(id: string): void;
  /** The object's YAML, sanitised (multi-line), for `y`. Rejects with a one-line message. */
  objectYaml(ref: ObjectRef): Promise<string>;
}

/** Installed by the live session; the store forwards these actions to it. */
export interface SessionController {
  refresh(): void;
  probeNow(): void;
  setProbeInterval(ms: number): void;
  selectPath(id: string): void;
  objectYaml(ref: ObjectRef): Promise<string>;
}

export interface StoreOptions {
  clock?: Clock;
  /** Flush period (default 50 ms → at most 20 snapshots/s). */
  flushMs?: number;
  /** Ring buffer capacity per log pane (default 5000). */
  logCapacity?: number;
  /** Timeline entries kept (default 1000). */
  timelineCapacity?: number;
  /** Probe runs kept (default 100). */
  probeCapacity?: number;
  /** Lines kept per helper run (default 2000) and runs kept (default 20). */
  helperLineCapacity?: number;
  helperRunCapacity?: number;
  /** Characters kept per line (default 4096; longer lines are cut with an ellipsis). */
  maxLineLength?: number;
  /** Default probe interval (ms, default 0). */
  probeIntervalMs?: number;
}

/**
 * The public surface of `SessionStore` (src/state/store.ts), for the UI and its fakes:
 * `getSnapshot`, `subscribe` and the actions. Ingest methods (used by sources) are on the class.
 */
export interface SessionStoreApi extends SessionActions {
  getSnapshot(): SessionState;
  subscribe(fn: () => void): () => void;
}

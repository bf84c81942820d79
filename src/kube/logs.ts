// Following a container's log (`GET pods/NAME/log?follow=true&timestamps=true`) and resuming it without
// duplicates. Each line carries the kubelet's RFC3339 timestamp; a `ResumeCursor` remembers the last timestamp
// and the lines already seen AT that timestamp, so a re-opened stream (`sinceTime=` the last timestamp; the API
// server may round it down to the second) drops everything older and the replayed lines of that instant.
import type { KubeClient } from './client.ts';
import { bodyLineBatches } from './watch.ts';

export type LogTransport = Pick<KubeClient, 'open'>;

export interface LogRecord {
  /** Normalised timestamp (`YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, sortable as a string), or '' without one. */
  ts: string;
  /** Epoch milliseconds of `ts` (NaN without one). */
  ms: number;
  text: string;
}

const TS = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** `2026-01-02T03:04:05.12Z` → `2026-01-02T03:04:05.120000000Z` (UTC); undefined when it is not RFC3339. */
export function normaliseTimestamp(s: string): { ts: string; ms: number } | undefined {
  const m = TS.exec(s);
  if (!m) return undefined;
  const frac = (m[2] ?? '').padEnd(9, '0');
  if (m[3] === 'Z') {
    const base = Date.parse(`${m[1]}Z`);
    if (Number.isNaN(base)) return undefined;
    return { ts: `${m[1]}.${frac}Z`, ms: base + Number(frac.slice(0, 3)) };
  }
  const base = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(base)) return undefined;
  const iso = new Date(base).toISOString().slice(0, 19);
  return { ts: `${iso}.${frac}Z`, ms: base + Number(frac.slice(0, 3)) };
}

/** One `timestamps=true` line: `TIMESTAMP TEXT`. */
export function parseTimestamped(line: string): LogRecord {
  const sp = line.indexOf(' ');
  const n = sp > 0 ? normaliseTimestamp(line.slice(0, sp)) : normaliseTimestamp(line);
  if (!n) return { ts: '', ms: NaN, text: line };
  return { ts: n.ts, ms: n.ms, text: sp > 0 ? line.slice(sp + 1) : '' };
}

export interface FollowOptions {
  namespace: string;
  pod: string;
  container: string;
  signal: AbortSignal;
  /** RFC3339 time to start from (resume). */
  sinceTime?: string;
  /** Lines of history on the first open (default: the API's default, all). */
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
}

/**
 * One follow request: yields the records of each received chunk until the server ends the stream (throws typed
 * KubeErrors on open). Batches keep a flood cheap: one hand-over per network chunk, not per line. The first batch
 * is empty and means "open".
 */
export async function* followLogBatches(c: LogTransport, o: FollowOptions): AsyncGenerator<LogRecord[]> {
  const query: Record<string, string> = { follow: 'true', timestamps: 'true', container: o.container };
  if (o.sinceTime) query.sinceTime = o.sinceTime;
  else if (o.sinceSeconds !== undefined) query.sinceSeconds = String(o.sinceSeconds);
  if (o.tailLines !== undefined && !o.sinceTime) query.tailLines = String(o.tailLines);
  if (o.previous) query.previous = 'true';
  const path = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods/${encodeURIComponent(o.pod)}/log`;
  const { body } = await c.open('GET', path, { query, stream: true, signal: o.signal });
  // An empty batch first: the stream is open (the server answered 200), even if no line comes for a while.
  yield [];
  for await (const lines of bodyLineBatches(body)) yield lines.map(parseTimestamped);
}

/** `followLogBatches`, one record at a time. */
export async function* followLog(c: LogTransport, o: FollowOptions): AsyncGenerator<LogRecord> {
  for await (const batch of followLogBatches(c, o)) yield* batch;
}

/**
 * The no-duplicate rule across reconnects. `accept` is called for every record in arrival order and says
 * whether it is new; `resumed()` is called when a stream is re-opened from `sinceTime()`.
 * - records older than the last timestamp are replays: dropped;
 * - records AT the last timestamp are replayed in their original order, ending with the ones already accepted
 *   at that instant: they are dropped until every accepted one has been matched (text and multiplicity), which
 *   also drops lines of that instant older than where the first stream started (a `tailLines` cut); later ones
 *   at that instant are new;
 * - newer records are new and move the cursor.
 * Records without a timestamp are always accepted (nothing to compare).
 */
export class ResumeCursor {
  private last = '';
  private atLast = new Map<string, number>();
  private atLastCount = 0;
  private replay?: Map<string, number>;
  private replayLeft = 0;
  /** Replays dropped so far (for tests and counters). */
  duplicates = 0;

  accept(r: LogRecord): boolean {
    if (!r.ts) return true;
    if (this.last && r.ts < this.last) {
      this.duplicates++;
      return false;
    }
    if (r.ts === this.last) {
      if (this.replay && this.replayLeft > 0) {
        const left = this.replay.get(r.text) ?? 0;
        if (left > 0) {
          this.replay.set(r.text, left - 1);
          this.replayLeft--;
        }
        this.duplicates++;
        return false;
      }
      this.atLast.set(r.text, (this.atLast.get(r.text) ?? 0) + 1);
      this.atLastCount++;
      return true;
    }
    this.last = r.ts;
    this.atLast = new Map([[r.text, 1]]);
    this.atLastCount = 1;
    this.replay = undefined;
    this.replayLeft = 0;
    return true;
  }

  /** A new stream opens from `sinceTime()`: what was seen at the last instant will be replayed. */
  resumed(): void {
    this.replay = new Map(this.atLast);
    this.replayLeft = this.atLastCount;
  }

  /** The `sinceTime` to resume from (the last timestamp), or undefined before any timestamped record. */
  sinceTime(): string | undefined {
    return this.last || undefined;
  }
}

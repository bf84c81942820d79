// Following a container's log (`GET pods/NAME/log?follow=true&timestamps=true`) and resuming it without
// duplicates. Each line carries the kubelet's RFC3339 timestamp; a `ResumeCursor` remembers the last timestamp
// and the lines already seen AT that timestamp, so a re-opened stream (`sinceTime=` the last timestamp; the API
// server may round it down to the second) drops everything older and the replayed lines of that instant.
import type { KubeClient } from './client.ts';

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
  const n = fastTimestamp(sp > 0 ? line.slice(0, sp) : line);
  if (!n) return { ts: '', ms: NaN, text: line };
  return { ts: n.ts, ms: n.ms, text: sp > 0 ? line.slice(sp + 1) : '' };
}

// The kubelet writes `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (RFC3339Nano, UTC; Go trims trailing zeros of the fraction).
// At a flood's rate most lines share their second with the previous one: the second's epoch is cached, and a full
// 9-digit UTC stamp is already normalised (no new string). Anything else takes normaliseTimestamp's general path.
let lastSecond = '';
let lastSecondMs = 0;
function digits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
function fastTimestamp(s: string): { ts: string; ms: number } | undefined {
  if (s.length !== 30 || s.charCodeAt(29) !== 90 /* Z */ || s.charCodeAt(19) !== 46 /* . */ || !digits(s, 20, 29)) return normaliseTimestamp(s);
  if (!s.startsWith(lastSecond) || !lastSecond) {
    const n = normaliseTimestamp(s);
    if (!n) return undefined;
    lastSecond = s.slice(0, 19);
    lastSecondMs = n.ms - ((s.charCodeAt(20) - 48) * 100 + (s.charCodeAt(21) - 48) * 10 + (s.charCodeAt(22) - 48));
    return n;
  }
  return { ts: s, ms: lastSecondMs + (s.charCodeAt(20) - 48) * 100 + (s.charCodeAt(21) - 48) * 10 + (s.charCodeAt(22) - 48) };
}

/**
 * Splits a streamed log body into timestamped records, one batch per network chunk. Lines are cut at the `\n` byte
 * (never inside a UTF-8 sequence) and each is decoded on its own: a record's strings are flat copies, so a line kept
 * in a ring buffer does not keep the whole chunk it came in alive (a sliced string would).
 */
export async function* logRecordBatches(body: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<LogRecord[]> {
  let rest: Buffer | undefined;
  for await (const c of body) {
    let chunk = typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    if (rest) {
      chunk = Buffer.concat([rest, chunk]);
      rest = undefined;
    }
    const out: LogRecord[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      out.push(recordOf(chunk, start, nl > start && chunk[nl - 1] === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    if (start < chunk.length) rest = Buffer.from(chunk.subarray(start)); // a copy: the chunk itself can go
    if (out.length) yield out;
  }
  if (rest?.length) yield [recordOf(rest, 0, rest[rest.length - 1] === 13 ? rest.length - 1 : rest.length)];
}

function recordOf(b: Buffer, start: number, end: number): LogRecord {
  // A timestamp is at most ~35 bytes: look for its space only there (a line without one costs no scan).
  let sp = -1;
  for (let i = start, lim = Math.min(end, start + 40); i < lim; i++) {
    if (b[i] === 32) {
      sp = i;
      break;
    }
  }
  if (sp > start) {
    const n = fastTimestamp(b.toString('latin1', start, sp));
    if (n) return { ts: n.ts, ms: n.ms, text: b.toString('utf8', sp + 1, end) };
  } else if (sp < 0 && end - start <= 40) {
    const n = fastTimestamp(b.toString('latin1', start, end));
    if (n) return { ts: n.ts, ms: n.ms, text: '' };
  }
  return { ts: '', ms: NaN, text: b.toString('utf8', start, end) };
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
  yield* logRecordBatches(body);
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
  /** The texts accepted at the last timestamp, in order (an array: a new timestamp per line costs no Map). */
  private atLast: string[] = [];
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
      this.atLast.push(r.text);
      return true;
    }
    this.last = r.ts;
    this.atLast.length = 0;
    this.atLast.push(r.text);
    this.replay = undefined;
    this.replayLeft = 0;
    return true;
  }

  /** A new stream opens from `sinceTime()`: what was seen at the last instant will be replayed. */
  resumed(): void {
    const m = new Map<string, number>();
    for (const t of this.atLast) m.set(t, (m.get(t) ?? 0) + 1);
    this.replay = m;
    this.replayLeft = this.atLast.length;
  }

  /** The `sinceTime` to resume from (the last timestamp), or undefined before any timestamped record. */
  sinceTime(): string | undefined {
    return this.last || undefined;
  }
}

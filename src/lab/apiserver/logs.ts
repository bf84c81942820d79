// GET pods/{name}/log: the kubelet's log endpoint as the apiserver proxies it, errors worded as the kubelet's.
//
// Slow followers. A `follow=true` reader that reads slower than the container writes does not make the lab
// buffer without bound: once the response's socket buffer is full (res.write returns false), new lines wait in
// a backlog of at most FOLLOW_BACKLOG_BYTES (10 MiB, the kubelet's default containerLogMaxSize); lines beyond it
// are dropped and counted (`followStats.droppedLines`), as a real follower loses the lines of log files the
// kubelet rotated away before it read them. The backlog is written when the socket drains; the follower then
// carries on with the newest lines.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.ts';
import type { LogLine, LogStore } from '../runtime/logs.ts';
import { badRequest } from '../store/errors.ts';
import { boolParam, intParam, responseGone } from './http.ts';
import type { ApiServer, RequestInfo } from './server.ts';

/** A follower's backlog bound: the kubelet rotates container logs at 10 MiB (containerLogMaxSize). */
export const FOLLOW_BACKLOG_BYTES = 10 * 1024 * 1024;

/** Lab-wide counters for follow streams (tests, diagnostics). */
export const followStats = { droppedLines: 0, pausedStreams: 0 };

/**
 * Writes follow output to a response with backpressure: while the response is not draining, chunks queue up to
 * `maxBacklog` bytes; beyond that they are dropped and counted. `dropped` is this stream's count.
 */
export class FollowWriter {
  private backlog: string[] = [];
  private backlogBytes = 0;
  private waiting = false;
  dropped = 0;

  private readonly res: { write(chunk: string): boolean; once(ev: 'drain', fn: () => void): unknown; destroyed?: boolean; writableEnded?: boolean; stream?: { destroyed: boolean } };
  private readonly maxBacklog: number;

  constructor(res: FollowWriter['res'], maxBacklog = FOLLOW_BACKLOG_BYTES) {
    this.res = res;
    this.maxBacklog = maxBacklog;
  }

  /** Queues or writes one chunk of `lines` lines. */
  write(chunk: string, lines = 1): void {
    if (responseGone(this.res)) return;
    if (this.waiting) {
      const n = Buffer.byteLength(chunk);
      if (this.backlogBytes + n > this.maxBacklog) {
        this.dropped += lines;
        followStats.droppedLines += lines;
        return;
      }
      this.backlog.push(chunk);
      this.backlogBytes += n;
      return;
    }
    if (!this.res.write(chunk)) this.pause();
  }

  /** Bytes waiting for the socket to drain. */
  get pending(): number {
    return this.backlogBytes;
  }

  private pause(): void {
    this.waiting = true;
    followStats.pausedStreams++;
    this.res.once('drain', () => {
      followStats.pausedStreams--;
      this.waiting = false;
      const out = this.backlog.join('');
      this.backlog = [];
      this.backlogBytes = 0;
      if (out && !responseGone(this.res) && !this.res.write(out)) this.pause();
    });
  }

  /** The stream ends: returns what is still queued (to end the response with) and forgets it. */
  close(): string {
    const rest = this.backlog.join('');
    this.backlog = [];
    this.backlogBytes = 0;
    return rest;
  }
}

function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export function serveLogs(server: ApiServer, _req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo, store: Store, logs: LogStore): void {
  const pod = store.mustGet(info.def, info.namespace, info.name!);
  const name = pod.metadata.name!;
  const containers: any[] = pod.spec?.containers ?? [];
  const all: any[] = [...(pod.spec?.initContainers ?? []), ...containers, ...(pod.spec?.ephemeralContainers ?? [])];
  let container = q.get('container') ?? '';
  if (!container) {
    if (containers.length !== 1)
      throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.map((c) => c.name).join(' ')}]`);
    container = containers[0].name;
  }
  if (!all.some((c) => c.name === container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  if (!pod.spec?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const statuses: any[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
    ...(pod.status?.ephemeralContainerStatuses ?? []),
  ];
  const st = statuses.find((s) => s.name === container);
  const previous = boolParam(q.get('previous'));
  const uid = pod.metadata.uid!;
  let log;
  if (previous) {
    log = logs.previous(uid, container);
    if (!log) throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  } else {
    if (!st || (st.state?.waiting && !logs.has(uid, container))) {
      const reason = st?.state?.waiting?.reason ?? 'ContainerCreating';
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
    }
    log = logs.current(uid, container);
  }

  const follow = boolParam(q.get('follow'));
  const timestamps = boolParam(q.get('timestamps'));
  const tailLines = intParam(q.get('tailLines'), 'tailLines');
  const sinceSeconds = intParam(q.get('sinceSeconds'), 'sinceSeconds');
  const sinceTimeRaw = q.get('sinceTime');
  const limitBytes = intParam(q.get('limitBytes'), 'limitBytes');
  let since = 0;
  if (sinceSeconds !== undefined) since = Date.now() - sinceSeconds * 1000;
  if (sinceTimeRaw) {
    const t = Date.parse(sinceTimeRaw);
    if (Number.isNaN(t)) throw badRequest(`parsing time "${sinceTimeRaw}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
    since = Math.max(since, t);
  }

  let lines = log.snapshot().filter((l) => l.at >= since);
  if (tailLines !== undefined && tailLines >= 0) lines = tailLines === 0 ? [] : lines.slice(-tailLines);

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  let sent = 0;
  let done = false;
  const format = (l: LogLine) => (timestamps ? `${rfc3339Nano(l.at)} ${l.text}\n` : `${l.text}\n`);
  /** Writes; returns false once limitBytes is reached (and ends the response). */
  const emit = (chunk: string): boolean => {
    if (done) return false;
    if (limitBytes !== undefined) {
      const room = limitBytes - sent;
      if (Buffer.byteLength(chunk) >= room) {
        res.end(Buffer.from(chunk).subarray(0, Math.max(room, 0)));
        done = true;
        return false;
      }
    }
    sent += Buffer.byteLength(chunk);
    res.write(chunk);
    return true;
  };
  const initial = lines.map(format).join('');
  if (initial && !emit(initial)) return;
  if (!follow) {
    if (!done) res.end();
    return;
  }
  res.flushHeaders();
  server.streams.add(res);
  const writer = new FollowWriter(res);
  const unfollow = log.follow((l) => {
    if (l === null) {
      finish();
      return;
    }
    if (l.at < since) return;
    const chunk = format(l);
    if (limitBytes !== undefined) {
      if (!emit(chunk)) finish();
      return;
    }
    writer.write(chunk);
  });
  function finish() {
    unfollow();
    const rest = writer.close();
    server.streams.delete(res);
    if (!done) {
      done = true;
      res.end(rest || undefined);
    }
  }
  res.on('close', finish);
}

// GET pods/{name}/log: the kubelet's log endpoint as the apiserver proxies it, errors worded as the kubelet's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store/store.ts';
import type { LogLine, LogStore } from '../runtime/logs.ts';
import { badRequest } from '../store/errors.ts';
import { boolParam, intParam } from './http.ts';
import type { ApiServer, RequestInfo } from './server.ts';

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

  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
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
  const unfollow = log.follow((l) => {
    if (l === null) {
      finish();
      return;
    }
    if (l.at >= since && !emit(format(l))) finish();
  });
  function finish() {
    unfollow();
    server.streams.delete(res);
    if (!done) {
      done = true;
      res.end();
    }
  }
  res.on('close', finish);
}

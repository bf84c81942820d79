// Watch: newline-delimited JSON events over a chunked response, resumable from the Store's event history.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { apiVersionOf, asVersion } from '../resources.ts';
import type { KObject } from '../types.ts';
import type { Store } from '../store/store.ts';
import { ApiError } from '../store/errors.ts';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import { boolParam, intParam, wantsTable } from './http.ts';
import { toTable } from './tables.ts';
import { objectJson } from './serialize.ts';
import type { ApiServer, RequestInfo } from './server.ts';

/** How often a watch that asked for them gets a BOOKMARK. */
export const BOOKMARK_INTERVAL_MS = 15_000;

export function serveWatch(server: ApiServer, req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo, store: Store): void {
  const { def } = info;
  const labelSelector = parseLabelSelector(q.get('labelSelector'));
  const fieldSelector = parseFieldSelector(q.get('fieldSelector'), def.kind, apiVersionOf(def));
  if (info.name) fieldSelector.push({ field: 'metadata.name', op: '=', value: info.name });
  const timeoutSeconds = intParam(q.get('timeoutSeconds'), 'timeoutSeconds');
  const bookmarks = boolParam(q.get('allowWatchBookmarks'));
  const table = wantsTable(req.headers.accept);
  const rvParam = q.get('resourceVersion');
  let fromRV: number | undefined;
  if (rvParam && rvParam !== '0') {
    fromRV = Number(rvParam);
    if (!Number.isInteger(fromRV) || fromRV < 0) throw new ApiError(400, 'BadRequest', `resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`);
    if (fromRV > store.rv) fromRV = store.rv;
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  server.streams.add(res);

  let closed = false;
  const send = (type: string, object: unknown) => {
    if (closed) return;
    res.write(JSON.stringify({ type, object }) + '\n');
  };
  // a stored object's JSON is cached per version: fifty watchers of one type serialize each event once
  const sendObject = (type: string, obj: KObject) => {
    if (closed) return;
    if (table) return send(type, toTable(def, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '', includeObject: 'Metadata' }));
    const v = asVersion(def, obj);
    res.write(`{"type":${JSON.stringify(type)},"object":${v === obj ? objectJson(obj) : JSON.stringify(v)}}\n`);
  };

  let stop = () => {};
  const timers: NodeJS.Timeout[] = [];
  const finish = () => {
    if (closed) return;
    closed = true;
    stop();
    timers.forEach(clearTimeout);
    timers.forEach(clearInterval);
    server.streams.delete(res);
    res.end();
  };
  res.on('close', finish);

  try {
    if (fromRV === undefined) {
      // "" or "0": synthetic ADDED for every current object, then changes
      for (const o of store.list(def, info.namespace, { labelSelector, fieldSelector, sorted: true })) sendObject('ADDED', o);
      fromRV = store.rv;
    }
    stop = store.watch(def, { namespace: info.namespace, labelSelector, fieldSelector, fromRV }, (type, obj) => sendObject(type, obj));
  } catch (e) {
    if (e instanceof ApiError) {
      send('ERROR', e.toStatus());
      finish();
      return;
    }
    throw e;
  }
  if (bookmarks) {
    timers.push(
      setInterval(() => {
        send('BOOKMARK', { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.rv) } });
      }, BOOKMARK_INTERVAL_MS),
    );
  }
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) timers.push(setTimeout(finish, timeoutSeconds * 1000));
}

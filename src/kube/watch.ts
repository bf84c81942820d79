// List-then-watch with resume, as client-go's reflector does it: list (the complete set and its
// resourceVersion), then watch from that resourceVersion with bookmarks; every event moves the resourceVersion
// on, so a stream that ends (server timeout, a dropped connection) is re-opened from where it stopped, without
// replaying or missing anything. `ERROR 410 Gone/Expired` (history compacted) falls back to a fresh list.
// Built on KubeClient.send (list) and KubeClient.open(..., {stream: true, signal}) (watch).
import { StringDecoder } from 'node:string_decoder';
import type { KubeClient } from './client.ts';
import { KubeError } from './errors.ts';
import { resourcePath } from './resources.ts';
import type { KObject, ResourceType } from './types.ts';

export type KubeTransport = Pick<KubeClient, 'send' | 'open'>;

export type WatchItem =
  /** After a (re)list: the complete current set. Consumers replace what they hold. */
  | { type: 'SYNC'; objects: KObject[]; resourceVersion: string }
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KObject }
  /** The stream's health: `reconnecting` with the reason after a failure, `live` again once re-opened. */
  | { type: 'STATE'; state: 'live' | 'reconnecting'; reason?: string };

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  signal: AbortSignal;
  /** Server-side timeout of each watch request (default 300 s; the stream is re-opened after it). */
  timeoutSeconds?: number;
  /** Back-off after failures: first and maximum delay (default 250 ms, 5 s). */
  backoffMs?: [number, number];
  /** Injected for tests. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Splits a streamed body into lines, one array per chunk (UTF-8 safe across chunk boundaries). */
export async function* bodyLineBatches(body: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<string[]> {
  const dec = new StringDecoder('utf8');
  let buf = '';
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : dec.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    const end = buf.lastIndexOf('\n');
    if (end < 0) continue;
    const lines = buf.slice(0, end).split('\n');
    buf = buf.slice(end + 1);
    for (let i = 0; i < lines.length; i++) if (lines[i]!.endsWith('\r')) lines[i] = lines[i]!.slice(0, -1);
    yield lines;
  }
  buf += dec.end();
  if (buf) yield [buf];
}

/** Splits a streamed body into lines (UTF-8 safe across chunk boundaries). */
export async function* bodyLines(body: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<string> {
  for await (const batch of bodyLineBatches(body)) yield* batch;
}

export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class GoneError extends Error {}

function describe(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return m.split('\n')[0]!.slice(0, 300);
}

/**
 * Lists then watches `type`; yields a SYNC first (and after every relist), then the events. Never returns
 * before `signal` aborts, except on an error retrying cannot fix (401, 403, a type the server does not serve, a
 * bad kubeconfig), which it throws. Network failures and 5xx answers are retried with back-off.
 */
export async function* watchList(c: KubeTransport, type: ResourceType, o: WatchOptions): AsyncGenerator<WatchItem> {
  const sleep = o.sleep ?? abortableSleep;
  const [first, max] = o.backoffMs ?? [250, 5000];
  const path = resourcePath(type, type.namespaced ? o.namespace : undefined);
  const sel: Record<string, string> = {};
  if (o.labelSelector) sel.labelSelector = o.labelSelector;
  if (o.fieldSelector) sel.fieldSelector = o.fieldSelector;
  let rv: string | undefined;
  let delay = first;
  let failing = false;

  // An unreachable server is worth retrying in a live session; a refusal or a missing type is not.
  const fatal = (e: unknown) => e instanceof KubeError && ['Unauthorized', 'Forbidden', 'NotInstalled', 'Config', 'NotFound'].includes(e.reason);
  while (!o.signal.aborted) {
    try {
      if (rv === undefined) {
        const body = await c.send('GET', path, { query: { ...sel }, signal: o.signal });
        const items: KObject[] = (body?.items ?? []).filter((x: KObject) => x?.metadata?.name).map((x: KObject) => ({ ...x, apiVersion: x.apiVersion ?? type.apiVersion, kind: x.kind ?? type.kind }));
        rv = String(body?.metadata?.resourceVersion ?? '0');
        if (failing) {
          failing = false;
          yield { type: 'STATE', state: 'live' };
        }
        yield { type: 'SYNC', objects: items, resourceVersion: rv };
      }
      const { body } = await c.open('GET', path, {
        query: { ...sel, watch: 'true', allowWatchBookmarks: 'true', resourceVersion: rv, timeoutSeconds: String(o.timeoutSeconds ?? 300) },
        stream: true,
        signal: o.signal,
      });
      if (failing) {
        failing = false;
        yield { type: 'STATE', state: 'live' };
      }
      delay = first;
      for await (const line of bodyLines(body)) {
        if (!line.trim()) continue;
        let ev: any;
        try {
          ev = JSON.parse(line);
        } catch {
          continue;
        }
        const obj = ev?.object;
        const newRv = obj?.metadata?.resourceVersion;
        if (ev?.type === 'ERROR') {
          if (obj?.code === 410 || obj?.reason === 'Expired' || obj?.reason === 'Gone') throw new GoneError(String(obj?.message ?? '410 Gone'));
          throw new Error(String(obj?.message ?? 'watch error'));
        }
        if (ev?.type === 'BOOKMARK') {
          if (newRv) rv = String(newRv);
          continue;
        }
        if ((ev?.type === 'ADDED' || ev?.type === 'MODIFIED' || ev?.type === 'DELETED') && obj?.metadata?.name) {
          if (newRv) rv = String(newRv);
          yield { type: ev.type, object: { ...obj, apiVersion: obj.apiVersion ?? type.apiVersion, kind: obj.kind ?? type.kind } };
        }
      }
      // A clean end (server timeout): re-open from rv at once.
    } catch (e) {
      if (o.signal.aborted) return;
      if (e instanceof GoneError) {
        rv = undefined; // relist
        continue;
      }
      if (fatal(e)) throw e;
      if (!failing) {
        failing = true;
        yield { type: 'STATE', state: 'reconnecting', reason: describe(e) };
      }
      await sleep(delay, o.signal);
      delay = Math.min(max, delay * 2);
    }
  }
}

/** The set a watch describes, by namespace/name: apply SYNC and events, read `objects()`. */
export class WatchCache {
  private byKey = new Map<string, KObject>();
  apply(item: WatchItem): boolean {
    const key = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    if (item.type === 'SYNC') {
      this.byKey = new Map(item.objects.map((o) => [key(o), o]));
      return true;
    }
    if (item.type === 'STATE') return false;
    if (item.type === 'DELETED') return this.byKey.delete(key(item.object));
    this.byKey.set(key(item.object), item.object);
    return true;
  }
  objects(): KObject[] {
    return [...this.byKey.values()];
  }
}

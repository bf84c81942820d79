// JSON of stored objects, cached per object version, and large list bodies written in pieces.
//
// Stored objects are never modified (a write stores a new object), so an object's identity stands for its
// resourceVersion: its JSON can be computed once and reused by every LIST and every watcher that sends it. The
// cache is weak (a replaced or deleted object takes its entry with it) and bounded by a byte budget, oldest
// entries out first, so listing a 50k-pod cluster does not pin another copy of it in memory.
import type { ServerResponse } from 'node:http';
import { responseGone } from './http.ts';

/** How many bytes of cached JSON to keep at most. */
export const JSON_CACHE_BUDGET = 64 * 1024 * 1024;

const cache = new WeakMap<object, string>();
/** Insertion order of cached entries (weakly held) and their sizes, for eviction. */
let refs: WeakRef<object>[] = [];
let sizes: number[] = [];
let head = 0;
let bytes = 0;

/** JSON.stringify(obj) for a stored (never modified) object, cached. */
export function objectJson(obj: object): string {
  let s = cache.get(obj);
  if (s !== undefined) return s;
  s = JSON.stringify(obj);
  if (s.length > JSON_CACHE_BUDGET / 8) return s;
  cache.set(obj, s);
  refs.push(new WeakRef(obj));
  sizes.push(s.length);
  bytes += s.length;
  while (bytes > JSON_CACHE_BUDGET && head < refs.length) {
    const o = refs[head]!.deref();
    if (o) cache.delete(o);
    bytes -= sizes[head]!;
    head++;
  }
  if (head > 4096 && head * 2 > refs.length) {
    refs = refs.slice(head);
    sizes = sizes.slice(head);
    head = 0;
  }
  return s;
}

/** Drops every cached entry (tests). */
export function clearJsonCache(): void {
  for (let i = head; i < refs.length; i++) {
    const o = refs[i]!.deref();
    if (o) cache.delete(o);
  }
  refs = [];
  sizes = [];
  head = 0;
  bytes = 0;
}

/** Pieces of a response body are sent once about this many bytes have gathered. */
const PIECE = 256 * 1024;

/**
 * Sends `{...envelope, items: [...]}` with the items' JSON produced one by one and written in pieces as they
 * gather (chunked), so the client receives the start of a large list while the rest is still being serialized
 * and the whole body never exists as one string. Waits for the socket to drain between pieces.
 */
export async function sendJsonList(res: ServerResponse, code: number, envelope: Record<string, unknown>, items: Iterable<string>): Promise<void> {
  const open = JSON.stringify(envelope);
  let buf = `${open.slice(0, -1)}${open.length > 2 ? ',' : ''}"items":[`;
  let started = false;
  let first = true;
  for (const item of items) {
    buf += first ? item : `,${item}`;
    first = false;
    if (buf.length >= PIECE) {
      if (!started) {
        res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
        started = true;
      }
      const ok = res.write(buf);
      buf = '';
      if (!ok) await drained(res);
      if (responseGone(res)) return;
    }
  }
  buf += ']}';
  if (started) {
    res.end(buf);
    return;
  }
  // small enough to send whole, with its length
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(buf), 'Cache-Control': 'no-cache, private' });
  res.end(buf);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (responseGone(res)) return resolve();
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

// A push-to-pull bridge: several producers push, one consumer iterates. Used to merge per-pod log followers
// into one AsyncIterable. Unbounded by design: the consumer (the store's ingest) is synchronous and fast, and
// the store bounds memory with its ring buffers.
import { performance } from 'node:perf_hooks';

/** Consumer work per event-loop turn before a Channel yields to other work (ms). */
const SLICE_MS = 4;

export class Channel<T> implements AsyncIterable<T> {
  private queue: T[] = [];
  private head = 0;
  private waiter?: () => void;
  private closed = false;
  private failure?: unknown;

  push(v: T): void {
    if (this.closed) return;
    this.queue.push(v);
    this.wake();
  }

  close(err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = err;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /**
   * Iterates until closed. A backlog is handed over in time slices: after `SLICE_MS` of consumer work the iterator
   * yields to the event loop (setImmediate) before the next item, so a burst of queued batches never holds the loop —
   * keys, timers and the UI's frames run in between. Items stay in order and none is dropped.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    let slice = performance.now();
    for (;;) {
      while (this.head < this.queue.length) {
        const v = this.queue[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        yield v;
        if (performance.now() - slice > SLICE_MS) {
          await new Promise<void>((r) => setImmediate(r));
          slice = performance.now();
        }
      }
      if (this.closed) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.waiter = r));
      slice = performance.now();
    }
  }
}

/** A child AbortController that aborts with its parent. */
export function childController(parent: AbortSignal): AbortController {
  const c = new AbortController();
  if (parent.aborted) c.abort();
  else {
    const onAbort = () => c.abort();
    parent.addEventListener('abort', onAbort, { once: true });
    c.signal.addEventListener('abort', () => parent.removeEventListener('abort', onAbort), { once: true });
  }
  return c;
}

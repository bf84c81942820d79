// A push-to-pull bridge: several producers push, one consumer iterates. Used to merge per-pod log followers
// into one AsyncIterable. Unbounded by design: the consumer (the store's ingest) is synchronous and fast, and
// the store bounds memory with its ring buffers.

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

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      while (this.head < this.queue.length) {
        const v = this.queue[this.head++]!;
        if (this.head > 1024 && this.head * 2 > this.queue.length) {
          this.queue = this.queue.slice(this.head);
          this.head = 0;
        }
        yield v;
      }
      if (this.closed) {
        if (this.failure) throw this.failure;
        return;
      }
      await new Promise<void>((r) => (this.waiter = r));
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

// A scripted stand-in for KubeClient.send/open: each request is answered by the first matching handler.
import { UnreachableError } from '../../../src/kube/errors.ts';

export interface Req {
  method: string;
  path: string;
  query: Record<string, string>;
  signal?: AbortSignal;
}

type Answer = { json?: unknown; lines?: string[]; hang?: boolean; error?: Error };
type Handler = (r: Req) => Answer | undefined;

export class FakeKube {
  readonly requests: Req[] = [];
  private handlers: Handler[] = [];

  on(h: Handler): this {
    this.handlers.push(h);
    return this;
  }

  private answer(r: Req): Answer {
    this.requests.push(r);
    for (const h of this.handlers) {
      const a = h(r);
      if (a) return a;
    }
    return { error: new UnreachableError(`no handler for ${r.method} ${r.path}?${new URLSearchParams(r.query)}`) };
  }

  private req(method: string, path: string, opts: any): Req {
    const q = opts?.query instanceof URLSearchParams ? Object.fromEntries(opts.query) : { ...(opts?.query ?? {}) };
    return { method, path, query: q, signal: opts?.signal };
  }

  async send(method: string, path: string, opts: any = {}): Promise<any> {
    const a = this.answer(this.req(method, path, opts));
    if (a.error) throw a.error;
    return a.json;
  }

  async open(method: string, path: string, opts: any = {}): Promise<any> {
    const r = this.req(method, path, opts);
    const a = this.answer(r);
    if (a.error) throw a.error;
    async function* body() {
      for (const l of a.lines ?? []) {
        await new Promise((res) => setImmediate(res));
        if (r.signal?.aborted) return;
        yield Buffer.from(l + '\n');
      }
      if (a.hang && r.signal && !r.signal.aborted) await new Promise((res) => r.signal!.addEventListener('abort', res, { once: true }));
    }
    return { status: 200, url: path, headers: {}, body: body() };
  }

  async get(): Promise<undefined> {
    return undefined;
  }

  async list(): Promise<never[]> {
    return [];
  }
}

export const noSleep = async () => {};

/** Collects from an async iterable until `until` says stop (then aborts). */
export async function collect<T>(it: AsyncIterable<T>, ctl: AbortController, until: (seen: T[]) => boolean, timeoutMs = 5000): Promise<T[]> {
  const seen: T[] = [];
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    for await (const v of it) {
      seen.push(v);
      if (until(seen)) break;
    }
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
  return seen;
}

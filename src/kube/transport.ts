// The connection to the API server under KubeClient (src/kube/client.ts), and nothing else.
//
// kube-apiserver (and the lab) offer HTTP/2 beside HTTP/1.1 by ALPN, as kubectl uses it: the first connection is
// opened with both offered, and the protocol the server picks decides the rest.
// - HTTP/2: node:http2 over that connection, every request a stream of the one session (a diagnosis's parallel
//   round trip, the UI's watches and followed logs). A session that ends (GOAWAY, reset, closed) is replaced on the
//   next request. node:http2 rather than undici here: undici's HTTP/2 client is node:http2 underneath, and loading
//   undici's agent costs a CLI run ~25 ms before its first request (docs/BENCHMARKS.md, Diagnosis).
// - HTTP/1.1 (a proxy in front of the API server, `http://` from `kubectl proxy`): undici's Agent, loaded only then,
//   handed that first connection; its other connections resume the first one's TLS session.
import type http2 from 'node:http2';
import { isIP } from 'node:net';
import { connect as tlsConnect, type SecureContext, type TLSSocket } from 'node:tls';
import type { Dispatcher, buildConnector } from 'undici';

export interface TransportOptions {
  origin: URL;
  /** The cluster's CA and the user's client certificate, built once for every connection. */
  secureContext?: SecureContext;
  rejectUnauthorized?: boolean;
  /** tls-server-name from the kubeconfig. */
  servername?: string;
  /** Connect timeout, and headers/body timeouts over HTTP/1.1; 0: none. */
  timeoutMs: number;
}

export interface TransportRequest {
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string | string[]>;
  body?: string;
  signal?: AbortSignal;
  /** A long-lived body (watch, followed logs): no body timeout. */
  stream?: boolean;
}

/** A response body: read whole, iterated as it arrives, or dropped. */
export interface ResponseBody extends AsyncIterable<Buffer> {
  text(): Promise<string>;
  destroy(): void;
}

export interface TransportResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
}

type Link = { kind: 'h2'; session: http2.ClientHttp2Session } | { kind: 'h1'; agent: Dispatcher & { destroy(): Promise<void> } };

const noop = () => {};

export class Transport {
  private link?: Promise<Link>;
  /** What `link` resolved to, so an ended session or a failed request can drop exactly that one. */
  private settled?: Link;
  /** The TLS session of the last handshake, offered by the next connection (resumption, no full handshake). */
  private tlsSession?: Buffer;
  /** Connections not (yet) owned by a session or an agent: destroyed on close. */
  private readonly loose = new Set<TLSSocket>();
  private readonly links = new Set<Link>();
  private closed = false;
  private readonly o: TransportOptions;

  constructor(o: TransportOptions) {
    this.o = o;
  }

  /**
   * Opens the first connection now (so it overlaps with the caller's work) and resolves once it can carry requests;
   * a failure is not thrown here but by the requests that would use it.
   */
  async warm(): Promise<void> {
    await this.current().catch(noop);
  }

  private current(): Promise<Link> {
    if (this.link) return this.link;
    const p = this.openLink();
    this.link = p;
    this.settled = undefined;
    // a failed connection is reported to the requests waiting for it; the next request tries again
    p.then(
      (l) => {
        if (this.link === p) this.settled = l;
      },
      () => {
        if (this.link === p) this.link = undefined;
      },
    );
    return p;
  }

  /** The next request opens a new connection if `link` is the current one. */
  private forget(link: Link): void {
    if (this.settled !== link) return;
    this.link = undefined;
    this.settled = undefined;
  }

  private h2?: typeof http2;
  /** node:http2, loaded on first use (~15 ms of a CLI run's start-up). */
  private http2(): typeof http2 {
    return (this.h2 ??= process.getBuiltinModule('node:http2'));
  }

  private dial(alpn: string[]): Promise<TLSSocket> {
    const { origin, timeoutMs } = this.o;
    const host = origin.hostname.replace(/^\[|\]$/g, '');
    return new Promise((resolve, reject) => {
      const s = tlsConnect({
        host,
        port: Number(origin.port || 443),
        // SNI carries names only (an IP address there is refused by Node and meaningless to servers)
        ...(this.o.servername ? { servername: this.o.servername } : isIP(host) ? {} : { servername: host }),
        ...(this.o.secureContext ? { secureContext: this.o.secureContext } : {}),
        ...(this.o.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
        ALPNProtocols: alpn,
        ...(this.tlsSession ? { session: this.tlsSession } : {}),
      });
      this.loose.add(s);
      // The ClientHello is out once TCP connects: node:http2 loads while the server answers it, not before.
      if (alpn.includes('h2') && !this.h2) s.once('connect', () => this.http2());
      s.on('session', (session: Buffer) => (this.tlsSession = session));
      const timer = timeoutMs
        ? setTimeout(() => s.destroy(Object.assign(new Error(`connecting to ${origin.host} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs)
        : undefined;
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.off('error', reject);
        if (this.closed) {
          s.destroy();
          return reject(new Error('the client is closed'));
        }
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        this.loose.delete(s);
        reject(e);
      });
    });
  }

  private async openLink(): Promise<Link> {
    if (this.closed) throw new Error('the client is closed');
    if (this.o.origin.protocol !== 'https:') return this.h1();
    const socket = await this.dial(['h2', 'http/1.1']);
    if (socket.alpnProtocol !== 'h2') {
      // TLS 1.3 sends the session ticket just after the handshake: a moment's wait lets the agent's other
      // connections resume it (TLS 1.2 has its session at the handshake)
      if (socket.getProtocol() === 'TLSv1.3' && !this.tlsSession) await new Promise((r) => (socket.once('session', r), setTimeout(r, 25)));
      return this.h1(socket);
    }
    this.loose.delete(socket);
    const session = this.http2().connect(this.o.origin, { createConnection: () => socket });
    const link: Link = { kind: 'h2', session };
    this.links.add(link);
    // an ended session is replaced on the next request; its streams end with its error
    session.on('error', noop);
    session.once('goaway', () => this.forget(link));
    session.once('close', () => {
      this.forget(link);
      this.links.delete(link);
    });
    return link;
  }

  /** HTTP/1.1 through undici's Agent, given `first` as its first connection. */
  private async h1(first?: TLSSocket): Promise<Link> {
    const { Agent } = await import('undici');
    let spare = first;
    const timeouts = this.o.timeoutMs ? { headersTimeout: this.o.timeoutMs, bodyTimeout: this.o.timeoutMs } : {};
    const agent = new Agent({
      ...timeouts,
      ...(this.o.origin.protocol === 'https:'
        ? {
            connect: (_opts: buildConnector.Options, cb: buildConnector.Callback) => {
              const s = spare;
              spare = undefined;
              if (s && !s.destroyed) {
                this.loose.delete(s);
                // never synchronously: undici's client is still setting up the attempt
                return process.nextTick(cb, null, s);
              }
              this.dial(['http/1.1']).then(
                (d) => (this.loose.delete(d), cb(null, d)),
                (e: Error) => cb(e, null),
              );
            },
          }
        : {}),
    });
    const link: Link = { kind: 'h1', agent };
    this.links.add(link);
    return link;
  }

  async request(r: TransportRequest): Promise<TransportResponse> {
    const link = await this.current();
    if (link.kind === 'h1') {
      const res = await link.agent.request({
        origin: this.o.origin.origin,
        path: r.path,
        method: r.method as Dispatcher.HttpMethod,
        headers: r.headers,
        body: r.body,
        ...(r.stream ? { bodyTimeout: 0 } : {}),
        ...(r.signal ? { signal: r.signal } : {}),
      });
      return { statusCode: res.statusCode, headers: res.headers, body: res.body as unknown as ResponseBody };
    }
    let stream: http2.ClientHttp2Stream;
    try {
      stream = link.session.request(
        { ':method': r.method, ':path': r.path, ...r.headers, ...(r.body !== undefined ? { 'content-length': String(Buffer.byteLength(r.body)) } : {}) },
        { endStream: r.body === undefined, ...(r.signal ? { signal: r.signal } : {}) },
      );
    } catch (e) {
      // the session ended between the last request and this one: once more on a new one
      if (link.session.closed || link.session.destroyed) {
        this.forget(link);
        return this.request(r);
      }
      throw e;
    }
    // errors reach whoever reads the body (or the wait below); none may go unhandled in between
    stream.on('error', noop);
    if (r.body !== undefined) stream.end(r.body);
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const fail = (e?: Error) => reject(e ?? Object.assign(new Error('the server closed the stream before answering'), { code: 'ECONNRESET' }));
      stream.once('response', (h) => {
        stream.off('error', fail);
        stream.off('close', fail);
        resolve(h);
      });
      stream.once('error', fail);
      stream.once('close', () => fail(stream.rstCode ? Object.assign(new Error(`the server reset the stream (HTTP/2 error ${stream.rstCode})`), { code: 'ECONNRESET' }) : undefined));
    });
    const out: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(headers)) if (!k.startsWith(':')) out[k] = v;
    return {
      statusCode: Number(headers[':status']),
      headers: out,
      body: {
        [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
        // node's own stream reader, loaded when a body is first read whole
        text: () => process.getBuiltinModule('node:stream/consumers').text(stream),
        destroy: () => void stream.destroy(),
      },
    };
  }

  /** Ends every connection: requests in flight get a second, then whatever is left is destroyed. */
  async close(): Promise<void> {
    this.closed = true;
    this.link = this.settled = undefined;
    for (const s of this.loose) s.destroy();
    this.loose.clear();
    await Promise.all(
      [...this.links].map(async (l) => {
        const closed =
          l.kind === 'h2' ? new Promise<void>((r) => (l.session.closed && l.session.destroyed ? r() : l.session.close(() => r()))) : l.agent.close().catch(noop);
        const late = await Promise.race([closed.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 1000).unref())]);
        if (late) await (l.kind === 'h2' ? l.session.destroy() : l.agent.destroy().catch(noop));
        this.links.delete(l);
      }),
    );
  }
}

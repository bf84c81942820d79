// The one module that talks to the Kubernetes API. Configuration and credentials come from
// @kubernetes/client-node's KubeConfig (kubeconfig merge, exec and auth-provider plugins, client certificates);
// the requests go through one Transport (./transport.ts: HTTP/2 by ALPN, HTTP/1.1 otherwise) built from the same TLS
// material, so every request is counted, timed and mapped to a typed error.
import type { RequestOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import pkg from '../../package.json' with { type: 'json' };
import { type KubeOptions, type LoadedConfig, loadConfig } from './config.ts';
import {
  ConfigError, ForbiddenError, KubeError, NotFoundError, NotInstalledError, ServerError, UnauthorizedError, UnreachableError,
} from './errors.ts';
import { qualifiedName, resourcePath } from './resources.ts';
import { type ResponseBody, Transport, type TransportOptions, type TransportResponse } from './transport.ts';
import type { ClusterReader, KObject, ListOptions, ResourceType } from './types.ts';

export interface RequestLog {
  method: string;
  url: string;
  status?: number;
  ms: number;
  depth: number;
  error?: string;
}

export interface SendOptions {
  query?: URLSearchParams | Record<string, string>;
  /** Sent as JSON unless a string. */
  body?: unknown;
  /** Defaults to application/json when there is a body (patches name their own). */
  contentType?: string;
  signal?: AbortSignal;
  /** A long-lived body (watch, followed logs): no request timeout, no body timeout. */
  stream?: boolean;
  /** The error a 404 means here (a type the server does not serve, …); NotFoundError otherwise. */
  notFound?: () => KubeError | undefined;
}

export interface ClientStats {
  requests: number;
  /** Sequential round trips: the longest chain of requests where each started after the previous one ended. */
  roundTrips: number;
  /** Wall time from the first request's start to the last one's end. */
  ms: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

function firstLine(s: unknown): string {
  return String(s ?? '').split('\n')[0]!.trim();
}

/** Network-level failures worded as kubectl words them. */
export function describeNetworkError(e: unknown, server: string): string {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const c = (err?.cause as NodeJS.ErrnoException | undefined) ?? err;
  const code = c?.code ?? err?.code ?? '';
  const name = err?.name ?? '';
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT')
    return `the server ${server} did not answer in time (timeout)`;
  if (code === 'ECONNREFUSED') return `the connection to the server ${server} was refused (ECONNREFUSED) - did you specify the right host or port?`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the server ${server} (${code})`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `the connection to the server ${server} was reset (${code})`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `the server ${server} is unreachable (${code})`;
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|DEPTH_ZERO/.test(code) || /certificate|tls|ssl/i.test(c?.message ?? ''))
    return `TLS to the server ${server} failed: ${firstLine(c?.message).replace(/;\s*if the root CA is installed locally.*$/, '') || code} (check the kubeconfig's certificate-authority, or --insecure-skip-tls-verify)`;
  return `cannot reach the server ${server}: ${firstLine(c?.message ?? err?.message) || code || 'unknown error'}`;
}

export class KubeClient implements ClusterReader {
  readonly config: LoadedConfig;
  readonly stats: ClientStats = { requests: 0, roundTrips: 0, ms: 0 };
  readonly log: RequestLog[] = [];
  /** Called for each finished request (for -v=6 style logging). */
  onRequest?: (r: RequestLog) => void;
  private transport?: Transport;
  private headers: Record<string, string | string[]> = {};
  private readonly timeoutMs: number;
  private readonly asGroups: string[];
  private readonly asUid?: string;
  private completedDepth = 0;
  private firstStart = 0;
  private ready?: Promise<void>;
  private firstDispatch?: PromiseWithResolvers<void>;

  private constructor(config: LoadedConfig, opts: KubeOptions) {
    this.config = config;
    this.timeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.asGroups = opts.asGroups ?? [];
    this.asUid = opts.asUid;
  }

  /**
   * Starts what the first read would wait for (credentials, e.g. an exec plugin; the first connection) without
   * waiting for it, so it overlaps with whatever the caller does next. Errors surface on the first read.
   */
  connect(): void {
    this.ready ??= this.prepare();
    this.ready.catch(() => {});
  }

  /** Resolves once the first request has been handed to the connection pool (to schedule work around it). */
  get dispatched(): Promise<void> {
    return (this.firstDispatch ??= Promise.withResolvers<void>()).promise;
  }

  /** Loads the kubeconfig the flags describe. Throws ConfigError; connects lazily on the first read. */
  static create(opts: KubeOptions, env: NodeJS.ProcessEnv = process.env): KubeClient {
    return new KubeClient(loadConfig(opts, env), opts);
  }

  get server(): string {
    return this.config.cluster.server.replace(/\/+$/, '');
  }

  get namespace(): string {
    return this.config.namespace;
  }

  private async prepare(): Promise<void> {
    const o: RequestOptions & { headers?: Record<string, string>; servername?: string } = {};
    try {
      await this.config.kc.applyToHTTPSOptions(o);
    } catch (e) {
      // exec/auth-provider plugins that fail, unreadable certificate files
      throw new ConfigError(`cannot load credentials for user "${this.config.userName}": ${firstLine((e as Error).message)}`);
    }
    const headers: Record<string, string | string[]> = {
      accept: 'application/json',
      'user-agent': `kubectl-netpath/${pkg.version}`,
    };
    for (const [k, v] of Object.entries(o.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = String(v);
    if (typeof o.auth === 'string' && !headers.authorization) headers.authorization = `Basic ${Buffer.from(o.auth).toString('base64')}`;
    if (this.asGroups.length) headers['impersonate-group'] = this.asGroups;
    if (this.asUid) headers['impersonate-uid'] = this.asUid;
    this.headers = headers;
    // One TLS context for every connection, and one connection opened before the first requests: the parallel first
    // round trip multiplexes over it (HTTP/2, which API servers and the lab offer) or, from a server that speaks only
    // HTTP/1.1, resumes its TLS session on the others.
    const t: TransportOptions = { origin: new URL(this.server), timeoutMs: this.timeoutMs };
    if (/^https:/i.test(this.server)) {
      try {
        t.secureContext = createSecureContext({ ...(o.ca ? { ca: o.ca } : {}), ...(o.cert ? { cert: o.cert } : {}), ...(o.key ? { key: o.key } : {}) });
      } catch (e) {
        // a CA that is not PEM, a key that does not match the certificate
        throw new ConfigError(`cannot use the TLS material of cluster "${this.config.clusterName}" / user "${this.config.userName}": ${firstLine((e as Error).message)}`);
      }
    }
    if (o.rejectUnauthorized === false) t.rejectUnauthorized = false;
    if (o.servername) t.servername = o.servername;
    this.transport = new Transport(t);
    // a connection that fails is left to the requests, which report it
    await this.transport.warm();
  }

  private async getJson(path: string, query: URLSearchParams | undefined, describe: () => { notFound: KubeError | undefined }): Promise<any> {
    return this.send('GET', path, { query, notFound: () => describe().notFound });
  }

  /**
   * One API request with a JSON answer: counted, timed and mapped to a typed error. Writes (POST, PATCH, DELETE)
   * send `body` as JSON (or as `contentType`, for patches). The primitive the reads, watches, logs and helper-pod
   * runs of `src/kube/` are built on.
   */
  async send(method: string, path: string, opts: SendOptions = {}): Promise<any> {
    const { status, body, url } = await this.open(method, path, { ...opts, stream: false });
    const text = await body.text();
    if (status >= 200 && status < 300) {
      if (!text) return undefined;
      try {
        return JSON.parse(text);
      } catch {
        throw new ServerError(`the server ${this.server} answered ${url} with something that is not JSON`, status);
      }
    }
    throw this.errorFor(method, path, status, text, opts.notFound);
  }

  /**
   * Opens a request whose body the caller reads as a stream (watch, `pods/log?follow=true`). Non-2xx answers are
   * read and thrown as typed errors; a 2xx body has no body timeout (`stream`), and `signal` ends it.
   */
  async open(method: string, path: string, opts: SendOptions = {}): Promise<{ status: number; url: string; headers: Record<string, unknown>; body: ResponseBody }> {
    // API time counts from the first request's start, connection set-up included
    if (!this.firstStart) this.firstStart = performance.now();
    this.ready ??= this.prepare();
    await this.ready;
    const q = opts.query instanceof URLSearchParams ? opts.query : new URLSearchParams(opts.query ?? {});
    const url = `${this.server}${path}${[...q.keys()].length ? `?${q}` : ''}`;
    const depth = this.completedDepth + 1;
    const start = performance.now();
    this.stats.requests++;
    const entry: RequestLog = { method, url, ms: 0, depth };
    const done = () => {
      entry.ms = Math.round(performance.now() - start);
      this.completedDepth = Math.max(this.completedDepth, depth);
      this.stats.roundTrips = Math.max(this.stats.roundTrips, depth);
      this.stats.ms = Math.round(performance.now() - this.firstStart);
      this.log.push(entry);
      this.onRequest?.(entry);
    };
    const headers: Record<string, string | string[]> = { ...this.headers };
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const signals = [opts.signal, !opts.stream && this.timeoutMs ? AbortSignal.timeout(this.timeoutMs) : undefined].filter((x): x is AbortSignal => !!x);
    let res: TransportResponse;
    try {
      const u = new URL(url);
      const pending = this.transport!.request({
        method,
        path: `${u.pathname}${u.search}`,
        headers,
        ...(payload !== undefined ? { body: payload } : {}),
        ...(opts.stream ? { stream: true } : {}),
        ...(signals.length ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {}),
      });
      (this.firstDispatch ??= Promise.withResolvers<void>()).resolve();
      res = await pending;
    } catch (e) {
      if (opts.signal?.aborted) {
        done();
        throw e;
      }
      entry.error = describeNetworkError(e, this.server);
      done();
      throw new UnreachableError(entry.error);
    }
    entry.status = res.statusCode;
    done();
    if (opts.stream && (res.statusCode < 200 || res.statusCode >= 300)) {
      const text = await res.body.text().catch(() => '');
      throw this.errorFor(method, path, res.statusCode, text, opts.notFound);
    }
    return { status: res.statusCode, url, headers: res.headers, body: res.body };
  }

  private errorFor(method: string, path: string, status: number, text: string, notFound?: () => KubeError | undefined): KubeError {
    let message = '';
    let reason = '';
    try {
      const s = JSON.parse(text);
      if (s && typeof s === 'object' && typeof s.message === 'string') message = s.message;
      if (s && typeof s === 'object' && typeof s.reason === 'string') reason = s.reason;
    } catch {
      message = firstLine(text).slice(0, 200);
    }
    if (status === 401) return new UnauthorizedError(`the server ${this.server} rejected the credentials (401 Unauthorized)${message && message !== 'Unauthorized' ? `: ${message}` : ''}`);
    if (status === 403) return new ForbiddenError(message || `forbidden: ${method} ${path}`);
    if (status === 404) return notFound?.() ?? new NotFoundError(message || `not found: ${path}`);
    return new ServerError(`the server answered ${status}${reason ? ` ${reason}` : ''} for ${method} ${path}${message ? `: ${message}` : ''}`, status);
  }

  async get(type: ResourceType, name: string, namespace?: string): Promise<KObject | undefined> {
    const ns = type.namespaced ? (namespace ?? this.namespace) : undefined;
    try {
      return await this.getJson(resourcePath(type, ns, name), undefined, () => ({ notFound: undefined }));
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  async list(type: ResourceType, opts: ListOptions = {}): Promise<KObject[]> {
    const q = new URLSearchParams();
    if (opts.labelSelector) q.set('labelSelector', opts.labelSelector);
    if (opts.fieldSelector) q.set('fieldSelector', opts.fieldSelector);
    const ns = type.namespaced ? opts.namespace : undefined;
    const items: KObject[] = [];
    let cont: string | undefined;
    do {
      if (cont) q.set('continue', cont);
      q.set('limit', '500');
      const body = await this.getJson(resourcePath(type, ns), q, () => ({
        notFound: new NotInstalledError(`the server does not serve ${qualifiedName(type)} (${type.apiVersion})`),
      }));
      const kind = type.kind;
      for (const it of (body?.items ?? []) as KObject[]) {
        if (!it || typeof it !== 'object' || !it.metadata) continue;
        items.push({ ...it, apiVersion: it.apiVersion ?? type.apiVersion, kind: it.kind ?? kind });
      }
      cont = typeof body?.metadata?.continue === 'string' && body.metadata.continue ? body.metadata.continue : undefined;
    } while (cont);
    return items;
  }

  async close(): Promise<void> {
    await this.transport?.close();
  }
}

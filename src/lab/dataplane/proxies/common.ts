// Shared pieces of the lab's L7 proxies (ingress-nginx and Envoy Gateway): host and path matching, Service →
// EndpointSlice upstream resolution, upstream dialing from the proxy pod's IP (with NetworkPolicy drops turned
// into real connect timeouts), TLS key pairs from kubernetes.io/tls Secrets, ingress-nginx's fake certificate,
// and the time formats both proxies' logs use.
import { randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { IncomingMessage } from 'node:http';
import * as x509 from '@peculiar/x509';
import '../../pki.ts'; // sets @peculiar/x509's crypto provider
import type { ControllerContext } from '../../controllers/runtime.ts';
import type { KObject } from '../../types.ts';
import type { PolicyCheck } from '../types.ts';

// ─── what the proxies need from the data plane core ────────────────────────────────────────────────────

export interface ProxyDeps {
  policy: PolicyCheck;
  /** A TCP connection whose source address is `localAddress` (the proxy pod's IP). */
  connectFrom(localAddress: string, host: string, port: number): net.Socket;
}

/** Stand-in for the core's `dp.connectFrom` until it exists. */
export function plainConnectFrom(localAddress: string, host: string, port: number): net.Socket {
  return net.connect({ host, port, localAddress });
}

// ─── store change tracking ─────────────────────────────────────────────────────────────────────────────

/** Counts Store changes of some resource types, so derived tables are rebuilt only when their inputs changed. */
export class StoreGeneration {
  value = 0;
  private readonly unsubscribe: () => void;

  constructor(ctx: ControllerContext, types: string[], onChange?: () => void) {
    const set = new Set(types);
    this.unsubscribe = ctx.store.subscribe((_ev, def) => {
      if (set.has(`${def.group}/${def.plural}`)) {
        this.value++;
        onChange?.();
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }
}

/** A value recomputed on first use after its generation moved. */
export function memo<T>(gen: () => number, build: () => T): () => T {
  let at = -1;
  let v: T;
  return () => {
    const g = gen();
    if (g !== at) {
      v = build();
      at = g;
    }
    return v;
  };
}

/** Running pods by pod IP (hostNetwork pods excluded: they share the node's address). */
export function podIndex(ctx: ControllerContext): { get(ip: string): KObject | undefined; close(): void } {
  const def = ctx.type('', 'pods');
  const gen = new StoreGeneration(ctx, ['/pods']);
  const table = memo(
    () => gen.value,
    () => {
      const m = new Map<string, KObject>();
      for (const p of ctx.store.list(def)) {
        if (p.spec?.hostNetwork || !p.status?.podIP || p.status?.phase !== 'Running') continue;
        for (const ip of (p.status.podIPs ?? [{ ip: p.status.podIP }]).map((x: any) => x?.ip).filter(Boolean)) m.set(ip, p);
      }
      return m;
    },
  );
  return { get: (ip) => table().get(ip), close: () => gen.close() };
}

// ─── hosts ─────────────────────────────────────────────────────────────────────────────────────────────

/** The request's host: the Host header without port, lower-cased (IPv6 brackets kept off). */
export function requestHost(hostHeader: string | undefined): string {
  const h = (hostHeader ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const i = h.lastIndexOf(':');
  return (i >= 0 && /^\d*$/.test(h.slice(i + 1)) ? h.slice(0, i) : h).replace(/\.$/, '');
}

/** Ingress host matching: `*.foo.com` covers exactly one more label (bar.foo.com, not baz.bar.foo.com nor foo.com). */
export function ingressHostMatches(pattern: string | undefined, host: string): boolean {
  if (!pattern) return true;
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (!p.startsWith('*.')) return p === h;
  const rest = h.slice(h.indexOf('.') + 1);
  return h.indexOf('.') > 0 && rest === p.slice(2);
}

/** Gateway API host matching: `*.example.com` covers one or more labels, never example.com itself. */
export function gatewayHostMatches(pattern: string | undefined, host: string): boolean {
  if (!pattern || pattern === '*') return true;
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (!p.startsWith('*.')) return p === h;
  return h.endsWith(p.slice(1)) && h.length > p.length - 1;
}

/** How specific a host pattern is, for "exact beats longest wildcard beats catch-all". */
export function hostSpecificity(pattern: string | undefined): number {
  if (!pattern || pattern === '*') return 0;
  if (pattern.startsWith('*.')) return 1 + pattern.length;
  return 1_000_000 + pattern.length;
}

/** Intersection of a listener hostname and a route hostname (Gateway API rules); undefined when disjoint. */
export function intersectHostnames(listener: string | undefined, route: string | undefined): string | undefined {
  const l = listener?.toLowerCase();
  const r = route?.toLowerCase();
  if (!l) return r || '*';
  if (!r) return l;
  if (l === r) return l;
  const lw = l.startsWith('*.');
  const rw = r.startsWith('*.');
  if (lw && rw) return r.endsWith(l.slice(1)) ? r : l.endsWith(r.slice(1)) ? l : undefined;
  if (lw) return gatewayHostMatches(l, r) ? r : undefined;
  if (rw) return gatewayHostMatches(r, l) ? l : undefined;
  return undefined;
}

// ─── paths ─────────────────────────────────────────────────────────────────────────────────────────────

/** Splits a request target into its normalised path (percent-decoded, `//` merged, dot segments resolved) and query. */
export function splitTarget(target: string | undefined): { path: string; query: string } {
  let t = target ?? '/';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) {
    const i = t.indexOf('/', t.indexOf('//') + 2);
    t = i < 0 ? '/' : t.slice(i);
  }
  const q = t.indexOf('?');
  const raw = q < 0 ? t : t.slice(0, q);
  const query = q < 0 ? '' : t.slice(q + 1);
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    /* keep raw */
  }
  const out: string[] = [];
  const segs = decoded.split('/');
  for (let i = 1; i < segs.length; i++) {
    const s = segs[i]!;
    if (s === '' && i < segs.length - 1) continue;
    if (s === '.') continue;
    if (s === '..') {
      out.pop();
      continue;
    }
    out.push(s);
  }
  return { path: `/${out.join('/')}`, query };
}

/** Gateway API PathPrefix: element-wise (`/foo` matches /foo, /foo/, /foo/bar, not /foobar); a trailing `/` is ignored. */
export function pathPrefixMatches(prefix: string, path: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  if (p === '/' || p === '') return true;
  return path === p || path.startsWith(`${p}/`);
}

// ─── upstreams ─────────────────────────────────────────────────────────────────────────────────────────

export interface Endpoint {
  ip: string;
  port: number;
  pod?: string;
  node?: string;
}

export interface ServiceBackend {
  svc?: KObject;
  svcPort?: any;
  endpoints: Endpoint[];
  /** Why there are no endpoints, when it is not simply "none ready". */
  error?: 'no-service' | 'no-port';
}

/**
 * The ready endpoints of a Service port, as proxies that bypass kube-proxy see them: the Service's EndpointSlices,
 * the slice port whose name equals the Service port's name, ready (nil counts as ready) and not terminating.
 */
export function serviceEndpoints(ctx: ControllerContext, ns: string, name: string, port: { number?: number; name?: string }): ServiceBackend {
  const svc = ctx.store.get(ctx.type('', 'services'), ns, name);
  if (!svc) return { endpoints: [], error: 'no-service' };
  const ports: any[] = svc.spec?.ports ?? [];
  const svcPort = ports.find((p) => (port.number !== undefined ? p?.port === port.number : p?.name === port.name));
  if (!svcPort) return { svc, endpoints: [], error: 'no-port' };
  if (svc.spec?.type === 'ExternalName') return { svc, svcPort, endpoints: [] };
  const slices = ctx.store.list(ctx.type('discovery.k8s.io', 'endpointslices'), ns, {
    labelSelector: [{ key: 'kubernetes.io/service-name', op: 'in', values: [name] }],
  });
  const seen = new Set<string>();
  const endpoints: Endpoint[] = [];
  for (const s of slices) {
    if (s.addressType && s.addressType !== 'IPv4') continue;
    const sp = (s.ports ?? []).find((p: any) => (p?.name ?? '') === (svcPort.name ?? '') && (p?.protocol ?? 'TCP') === (svcPort.protocol ?? 'TCP'));
    if (sp?.port === undefined || sp.port === null) continue;
    for (const e of s.endpoints ?? []) {
      if (e?.conditions?.ready === false || e?.conditions?.terminating === true) continue;
      const ip = e?.addresses?.[0];
      if (!ip) continue;
      const k = `${ip}:${sp.port}`;
      if (seen.has(k)) continue;
      seen.add(k);
      endpoints.push({ ip, port: sp.port, pod: e.targetRef?.kind === 'Pod' ? e.targetRef.name : undefined, node: e.nodeName });
    }
  }
  return { svc, svcPort, endpoints };
}

/** Round robin per upstream name. */
export class RoundRobin {
  private next = new Map<string, number>();

  pick<T>(key: string, list: T[]): T {
    let i = this.next.get(key);
    if (i === undefined) i = Math.floor(Math.random() * list.length);
    this.next.set(key, (i + 1) % Math.max(1, list.length));
    return list[i % list.length]!;
  }
}

/** Weighted random choice (weight 0 never chosen); undefined when every weight is 0. */
export function weightedPick<T extends { weight: number }>(list: T[]): T | undefined {
  const total = list.reduce((s, x) => s + Math.max(0, x.weight), 0);
  if (total <= 0) return undefined;
  let r = Math.random() * total;
  for (const x of list) {
    r -= Math.max(0, x.weight);
    if (r < 0) return x;
  }
  return list.findLast((x) => x.weight > 0);
}

export type UpstreamFailure = 'refused' | 'timeout' | 'unreachable' | 'reset' | 'ssl';

export class UpstreamError extends Error {
  readonly kind: UpstreamFailure;
  readonly elapsedMs: number;
  readonly detail: string;

  constructor(kind: UpstreamFailure, elapsedMs: number, detail = '') {
    super(`upstream ${kind}${detail ? `: ${detail}` : ''}`);
    this.kind = kind;
    this.elapsedMs = elapsedMs;
    this.detail = detail;
  }
}

function failureOf(e: any): UpstreamFailure {
  switch (e?.code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return 'unreachable';
    default:
      return 'reset';
  }
}

export interface Dialer {
  /**
   * A connected TCP socket from `from` to host:port, or an UpstreamError. A connection that a NetworkPolicy of the
   * target pod drops never completes: it fails with `timeout` after `timeoutMs`, as a SYN into a DROP rule does.
   */
  dial(from: string, host: string, port: number, timeoutMs: number): Promise<net.Socket>;
  close(): void;
}

export function upstreamDialer(ctx: ControllerContext, deps: ProxyDeps): Dialer {
  const pods = podIndex(ctx);
  const pending = new Set<NodeJS.Timeout>();
  return {
    dial(from, host, port, timeoutMs) {
      const t0 = performance.now();
      const target = pods.get(host);
      if (target && !deps.policy(target, port, 'TCP', from)) {
        return new Promise((_resolve, reject) => {
          const t = setTimeout(() => {
            pending.delete(t);
            reject(new UpstreamError('timeout', performance.now() - t0));
          }, timeoutMs);
          pending.add(t);
        });
      }
      return new Promise((resolve, reject) => {
        let sock: net.Socket;
        try {
          sock = deps.connectFrom(from, host, port);
        } catch (e) {
          reject(new UpstreamError(failureOf(e), performance.now() - t0, (e as Error).message));
          return;
        }
        const timer = setTimeout(() => {
          cleanup();
          sock.destroy();
          reject(new UpstreamError('timeout', performance.now() - t0));
        }, timeoutMs);
        const onConnect = () => {
          cleanup();
          resolve(sock);
        };
        const onError = (e: any) => {
          cleanup();
          sock.destroy();
          reject(new UpstreamError(failureOf(e), performance.now() - t0, e?.message));
        };
        const cleanup = () => {
          clearTimeout(timer);
          sock.off('connect', onConnect);
          sock.off('error', onError);
        };
        if (!sock.connecting && !sock.destroyed && sock.remoteAddress) return onConnect();
        sock.once('connect', onConnect);
        sock.once('error', onError);
      });
    },
    close() {
      pods.close();
      for (const t of pending) clearTimeout(t);
      pending.clear();
    },
  };
}

/** TLS to an upstream over an already connected socket, without verification (proxy_ssl_verify off). */
export function upstreamTls(raw: net.Socket, timeoutMs: number, servername?: string): Promise<tls.TLSSocket> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = tls.connect({ socket: raw, rejectUnauthorized: false, ...(servername && !net.isIP(servername) ? { servername } : {}), ALPNProtocols: ['http/1.1'] });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new UpstreamError('timeout', performance.now() - t0));
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e: any) => {
      clearTimeout(timer);
      s.destroy();
      reject(new UpstreamError('ssl', performance.now() - t0, e?.message));
    });
  });
}

// ─── TLS material ──────────────────────────────────────────────────────────────────────────────────────

export interface KeyPair {
  certPem: string;
  keyPem: string;
  context: tls.SecureContext;
  cert: X509Certificate;
}

const secretCache = new WeakMap<KObject, KeyPair | { error: string }>();

/**
 * The key pair of a kubernetes.io/tls Secret, or why it cannot be used (worded as ingress-nginx words it:
 * `local SSL certificate ns/name was not found`).
 */
export function tlsSecret(ctx: ControllerContext, ns: string, name: string): KeyPair | { error: string } {
  const secret = ctx.store.get(ctx.type('', 'secrets'), ns, name);
  if (!secret) return { error: `local SSL certificate ${ns}/${name} was not found` };
  const cached = secretCache.get(secret);
  if (cached) return cached;
  let r: KeyPair | { error: string };
  const crt = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (!crt || !key) r = { error: `local SSL certificate ${ns}/${name} was not found` };
  else {
    try {
      const certPem = Buffer.from(crt, 'base64').toString('utf8');
      const keyPem = Buffer.from(key, 'base64').toString('utf8');
      const cert = new X509Certificate(certPem);
      const context = tls.createSecureContext({ cert: certPem, key: keyPem });
      r = { certPem, keyPem, context, cert };
    } catch (e) {
      r = { error: `unexpected error creating SSL Cert: ${(e as Error).message}` };
    }
  }
  secretCache.set(secret, r);
  return r;
}

let fakeCert: Promise<KeyPair> | undefined;

/**
 * ingress-nginx's default certificate (internal/net/ssl GetFakeSSLCert): self-signed RSA 2048,
 * subject `O=Acme Co, CN=Kubernetes Ingress Controller Fake Certificate`, SAN ingress.local, one year.
 */
export function ingressFakeCertificate(): Promise<KeyPair> {
  fakeCert ??= (async () => {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as webcrypto.CryptoKeyPair;
    const serial = randomBytes(16);
    serial[0] = serial[0]! & 0x7f;
    const subject = 'O=Acme Co, CN=Kubernetes Ingress Controller Fake Certificate';
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'),
      subject,
      issuer: subject,
      notBefore: new Date(now),
      notAfter: new Date(now + 365 * 86400_000),
      signingAlgorithm: alg,
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      extensions: [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'ingress.local' }]),
      ],
    });
    const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END PRIVATE KEY-----\n`;
    const certPem = cert.toString('pem') + '\n';
    return { certPem, keyPem, context: tls.createSecureContext({ cert: certPem, key: keyPem }), cert: new X509Certificate(certPem) };
  })();
  return fakeCert;
}

// ─── formats ───────────────────────────────────────────────────────────────────────────────────────────

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** nginx `$time_local` (the lab runs in UTC): `27/Nov/2026:04:12:01 +0000`. */
export function nginxTimeLocal(d = new Date()): string {
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

/** nginx error-log timestamp: `2026/11/27 04:12:01`. */
export function nginxErrorTime(d = new Date()): string {
  return `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** klog header time: `1127 04:12:01.123456`. */
export function klogTime(d?: Date): string {
  const nowUs = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  d ??= new Date(Math.floor(nowUs / 1000));
  const us = String(d.getUTCMilliseconds()).padStart(3, '0') + String(nowUs % 1000).padStart(3, '0');
  return `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${us}`;
}

/** Seconds with millisecond resolution, as nginx prints `$request_time`. */
export function secs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(3);
}

/** 32 hex digits, as ingress-nginx's `$req_id`. */
export function requestId(): string {
  return randomBytes(16).toString('hex');
}

/** The request's size on the wire: request line, headers and body (`$request_length`). */
export function requestLength(req: IncomingMessage, bodyBytes: number): number {
  let n = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`) + 2;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) n += Buffer.byteLength(raw[i]!) + 2 + Buffer.byteLength(raw[i + 1]!) + 2;
  return n + bodyBytes;
}

export const NGINX_STATUS_TEXT: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Not Allowed',
  408: 'Request Time-out',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

const MSIE_PADDING = '<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n'.repeat(6);

/** nginx's built-in error page (server_tokens off), with the MSIE/Chrome padding nginx adds for those browsers. */
export function nginxErrorPage(status: number, userAgent?: string): string {
  const title = `${status} ${NGINX_STATUS_TEXT[status] ?? ''}`.trim();
  const body = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  const ua = userAgent ?? '';
  const padded = status >= 400 && ((ua.includes('MSIE ') && !ua.includes('Opera')) || ua.includes('Chrome/'));
  return padded ? body + MSIE_PADDING : body;
}

/** Hop-by-hop headers a proxy never forwards. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);

/** Raw header pairs without hop-by-hop headers (and those named by Connection). */
export function forwardableHeaders(raw: string[]): [string, string][] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(k) || named.has(k)) continue;
    out.push([raw[i]!, raw[i + 1]!]);
  }
  return out;
}

/** Reads a whole request body (proxies buffer request bodies: proxy_request_buffering / Envoy's buffer). */
export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let tooLarge = false;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (limit > 0 && declared > limit) tooLarge = true;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (limit > 0 && n > limit) tooLarge = true;
      if (!tooLarge) chunks.push(c);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge }));
    req.on('error', () => resolve({ body: Buffer.concat(chunks), tooLarge }));
    req.on('close', () => resolve({ body: Buffer.concat(chunks), tooLarge }));
  });
}

/** nginx size syntax (`1m`, `8k`, `0` = unlimited) in bytes. */
export function parseSize(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const m = /^\s*(\d+)\s*([kKmMgG]?)\s*$/.exec(v);
  if (!m) return dflt;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}

/** Go/Gateway API duration (`5s`, `250ms`, `1m30s`) in ms; undefined when unparsable. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    consumed += m[0].length;
  }
  return consumed === v.length ? total : undefined;
}

/** Tracks sockets so a provider can close everything it holds for a pod. */
export class SocketSet {
  private readonly set = new Set<net.Socket>();

  add(s: net.Socket): void {
    this.set.add(s);
    s.once('close', () => this.set.delete(s));
  }

  destroyAll(): void {
    for (const s of this.set) s.destroy();
    this.set.clear();
  }

  get size(): number {
    return this.set.size;
  }
}

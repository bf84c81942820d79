// ingress-nginx's data plane for the lab: every running ingress-nginx controller pod (recognised by its flags, as the
// ingress status controller recognises it) gets a real HTTP/1.1 reverse proxy on its http/https container ports,
// configured as ingress-nginx's template configures nginx:
//
// - one server per Ingress host (`*.foo.com` matches exactly one label), several Ingresses for one host merged
//   (the oldest Ingress wins a duplicate path), rules without a host on the catch-all server `_`;
// - locations as ingress-nginx writes them: Exact `/p` → `location = /p`; Prefix `/p` → `location /p/` plus
//   `location = /p`; ImplementationSpecific `/p` → `location /p`; nginx picks the exact location, else the longest
//   prefix; unmatched paths go to the server's root (the Ingress's defaultBackend or ingress-nginx's default
//   backend, nginx's own 404 on 127.0.0.1:8181);
// - TLS by SNI from kubernetes.io/tls Secrets (the tls entry listing the host, else one whose certificate covers
//   it); a missing or invalid Secret, an unknown SNI or no SNI get the "Kubernetes Ingress Controller Fake
//   Certificate"; ssl-redirect (308) for hosts with TLS;
// - upstreams: the backend Service's EndpointSlice endpoints (pod IPs, not the ClusterIP), round robin, from the
//   controller pod's IP; proxy_next_upstream "error timeout" with 3 tries; connect/read/send timeouts from the
//   annotations or the controller ConfigMap (5 s / 60 s / 60 s); backend-protocol HTTP or HTTPS.
//
// Each request writes one access line in the default `upstreaminfo` format, and each upstream failure one nginx
// error line, to the controller container's log, which is what `kubectl logs` on the controller pod shows.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type * as tls from 'node:tls';
import { claims as ingressClaims, controllerArgs, type IngressControllerArgs } from '../../controllers/ingress.ts';
import type { ControllerContext } from '../../controllers/runtime.ts';
import type { KObject } from '../../types.ts';
import type { PodServerProvider } from '../types.ts';
import {
  type Dialer,
  type Endpoint,
  forwardableHeaders,
  ingressFakeCertificate,
  ingressHostMatches,
  type KeyPair,
  klogTime,
  memo,
  nginxErrorPage,
  nginxErrorTime,
  NGINX_STATUS_TEXT,
  nginxTimeLocal,
  parseSize,
  type ProxyDeps,
  readBody,
  requestHost,
  requestId,
  requestLength,
  RoundRobin,
  secs,
  serviceEndpoints,
  SocketSet,
  splitTarget,
  StoreGeneration,
  tlsSecret,
  UpstreamError,
  upstreamDialer,
  upstreamTls,
} from './common.ts';

const ANN = 'nginx.ingress.kubernetes.io/';
export const DEFAULT_BACKEND_UPSTREAM = 'upstream-default-backend';
/** Where ingress-nginx's built-in default backend (nginx answering 404) listens. */
export const DEFAULT_BACKEND_ADDR = '127.0.0.1:8181';
const HSTS = 'max-age=31536000; includeSubDomains';

// ─── configuration (what ingress-nginx renders into nginx.conf) ────────────────────────────────────────

export type Backend =
  | { kind: 'service'; ns: string; name: string; port: { number?: number; name?: string }; upstream: string }
  | { kind: 'default' };

export interface Location {
  /** `location = path` when true, `location path` (prefix) otherwise. */
  exact: boolean;
  path: string;
  pathType: string;
  /** The path as the Ingress wrote it. */
  ingressPath: string;
  ing: KObject;
  backend: Backend;
}

export interface Server {
  /** The host, or `_` for the catch-all server. */
  name: string;
  locations: Location[];
  /** What unmatched paths get: an Ingress defaultBackend, else ingress-nginx's default backend. */
  root?: { ing: KObject; backend: Backend };
  /** Some Ingress serving this host has a tls section (ssl-redirect applies; a certificate, maybe the fake one, is served). */
  tls: boolean;
  secret?: { ns: string; name: string };
}

export interface IngressConfig {
  exact: Map<string, Server>;
  wildcards: Server[];
  catchAll: Server;
  /** ConfigMap (`--configmap`) data. */
  cm: Record<string, string>;
  /** The flags the proxy itself needs. */
  flags: ControllerFlags;
  /** klog warnings this configuration produces (one sync's worth). */
  warnings: { file: string; msg: string }[];
}

export interface ControllerFlags {
  httpPort: number;
  httpsPort: number;
  healthzPort: number;
  webhookPort?: number;
  defaultSslCertificate?: string;
  defaultBackendService?: string;
  configmap?: string;
}

/** Whether a container runs ingress-nginx's controller (the same test as the ingress status controller's). */
function isControllerContainer(c: any): boolean {
  const argv: string[] = [...(c?.command ?? []), ...(c?.args ?? [])].map(String);
  if (argv.some((a) => /(^|\/)nginx-ingress-controller$/.test(a))) return true;
  if (typeof c?.image === 'string' && /ingress-nginx\/controller(:|@|$)/.test(c.image)) return true;
  return argv.some((a) => /^--(controller-class|ingress-class|publish-service)(=|$)/.test(a));
}

export function controllerContainer(pod: KObject): any {
  return (pod.spec?.containers ?? []).find(isControllerContainer);
}

/** The controller's flags (with $(POD_NAMESPACE)/$(POD_NAME) expanded) that decide ports, defaults and the ConfigMap. */
export function controllerFlags(pod: KObject): ControllerFlags {
  const c = controllerContainer(pod);
  const vars = new Map<string, string>();
  for (const e of c?.env ?? []) {
    if (typeof e?.value === 'string') vars.set(e.name, e.value);
    const f = e?.valueFrom?.fieldRef?.fieldPath;
    if (f === 'metadata.namespace') vars.set(e.name, pod.metadata.namespace ?? '');
    if (f === 'metadata.name') vars.set(e.name, pod.metadata.name ?? '');
  }
  const expand = (s: string) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v: string) => vars.get(v) ?? m);
  const argv: string[] = [...(c?.command ?? []), ...(c?.args ?? [])].map((a: unknown) => expand(String(a)));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([A-Za-z0-9-]+)(?:=(.*))?$/s.exec(argv[i]!);
    if (!m) continue;
    if (m[2] !== undefined) flags.set(m[1]!, m[2]);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) flags.set(m[1]!, argv[++i]!);
    else flags.set(m[1]!, 'true');
  }
  const num = (k: string, d: number) => (flags.has(k) && /^\d+$/.test(flags.get(k)!) ? Number(flags.get(k)) : d);
  const webhook = flags.get('validating-webhook');
  const webhookPort = webhook ? Number(/:(\d+)$/.exec(webhook)?.[1] ?? NaN) : NaN;
  const nsName = (k: string) => {
    const v = flags.get(k);
    return v ? (v.includes('/') ? v : `${pod.metadata.namespace}/${v}`) : undefined;
  };
  return {
    httpPort: num('http-port', 80),
    httpsPort: num('https-port', 443),
    healthzPort: num('healthz-port', 10254),
    ...(Number.isFinite(webhookPort) ? { webhookPort } : {}),
    ...(nsName('default-ssl-certificate') ? { defaultSslCertificate: nsName('default-ssl-certificate') } : {}),
    ...(nsName('default-backend-service') ? { defaultBackendService: nsName('default-backend-service') } : {}),
    ...(nsName('configmap') ? { configmap: nsName('configmap') } : {}),
  };
}

function serviceBackend(ns: string, b: any): Backend | undefined {
  const s = b?.service;
  if (!s?.name) return undefined;
  const port = s.port?.number !== undefined ? { number: Number(s.port.number) } : { name: String(s.port?.name ?? '') };
  return { kind: 'service', ns, name: s.name, port, upstream: `${ns}-${s.name}-${port.number ?? port.name}` };
}

function byAge(a: KObject, b: KObject): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`);
}

/** Renders the claimed Ingresses into servers and locations, as ingress-nginx's createServers/createUpstreams do. */
export function buildIngressConfig(ctx: ControllerContext, args: IngressControllerArgs, flags: ControllerFlags): IngressConfig {
  const { store } = ctx;
  const classes = store.list(ctx.type('networking.k8s.io', 'ingressclasses'));
  const ings = store
    .list(ctx.type('networking.k8s.io', 'ingresses'))
    .filter((i) => !i.metadata.deletionTimestamp && ingressClaims(args, i, classes))
    .sort(byAge);
  const warnings: { file: string; msg: string }[] = [];
  const exact = new Map<string, Server>();
  const catchAll: Server = { name: '_', locations: [], tls: false };
  const server = (host: string | undefined): Server => {
    if (!host) return catchAll;
    const h = host.toLowerCase();
    let s = exact.get(h);
    if (!s) exact.set(h, (s = { name: h, locations: [], tls: false }));
    return s;
  };
  const addLocation = (s: Server, loc: Location) => {
    const dup = s.locations.find((l) => l.exact === loc.exact && l.path === loc.path);
    if (dup) {
      if (dup.ing !== loc.ing)
        warnings.push({ file: 'controller.go:1502', msg: `Path ${loc.ingressPath} already defined in another ingress; ignoring it for host ${s.name} in ingress ${loc.ing.metadata.namespace}/${loc.ing.metadata.name}` });
      return;
    }
    s.locations.push(loc);
  };

  for (const ing of ings) {
    const ns = ing.metadata.namespace!;
    const dflt = ing.spec?.defaultBackend ? serviceBackend(ns, ing.spec.defaultBackend) : undefined;
    const rules: any[] = ing.spec?.rules ?? [];
    if (!rules.length && dflt && !catchAll.root) catchAll.root = { ing, backend: dflt };
    for (const rule of rules) {
      const s = server(rule?.host);
      for (const p of rule?.http?.paths ?? []) {
        const backend = serviceBackend(ns, p?.backend);
        if (!backend) continue;
        const pathType: string = p.pathType ?? 'ImplementationSpecific';
        const raw: string = p.path || '/';
        const base = { pathType, ingressPath: raw, ing, backend };
        if (pathType === 'Exact') addLocation(s, { ...base, exact: true, path: raw });
        else if (pathType === 'Prefix') {
          const norm = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
          if (norm === '/' || norm === '') addLocation(s, { ...base, exact: false, path: '/' });
          else {
            addLocation(s, { ...base, exact: false, path: `${norm}/` });
            if (!s.locations.some((l) => l.exact && l.path === norm)) addLocation(s, { ...base, exact: true, path: norm });
          }
        } else addLocation(s, { ...base, exact: false, path: raw });
      }
      if (dflt && !s.root && s !== catchAll) s.root = { ing, backend: dflt };
    }
    // TLS: hosts of an Ingress with a tls section are served over HTTPS (with its Secret, or the default certificate)
    const tlsList: any[] = ing.spec?.tls ?? [];
    if (!tlsList.length) continue;
    for (const rule of rules) {
      if (!rule?.host) continue;
      const s = server(rule.host);
      if (s.secret || s.tls) continue;
      s.tls = true;
      const host = s.name;
      let secretName: string | undefined = tlsList.find((t) => (t?.hosts ?? []).some((h: string) => h?.toLowerCase() === host))?.secretName;
      if (!secretName) {
        // no tls entry lists the host: one whose certificate covers it (extractTLSSecretName)
        for (const t of tlsList) {
          if (!t?.secretName) continue;
          const kp = tlsSecret(ctx, ns, t.secretName);
          if ('cert' in kp && kp.cert.checkHost(host)) {
            secretName = t.secretName;
            break;
          }
        }
      }
      if (!secretName) continue;
      const kp = tlsSecret(ctx, ns, secretName);
      if ('error' in kp) {
        warnings.push({ file: 'controller.go:1407', msg: `Error getting SSL certificate "${ns}/${secretName}": ${kp.error}. Using default certificate` });
        continue;
      }
      s.secret = { ns, name: secretName };
    }
  }

  for (const s of [...exact.values(), catchAll]) {
    s.locations.sort((a, b) => Number(b.exact) - Number(a.exact) || b.path.length - a.path.length);
  }
  const wildcards = [...exact.values()].filter((s) => s.name.startsWith('*.')).sort((a, b) => b.name.length - a.name.length);
  for (const w of wildcards) exact.delete(w.name);

  // ConfigMap
  let cm: Record<string, string> = {};
  if (flags.configmap) {
    const [cns, cname] = flags.configmap.split('/');
    const obj = store.get(ctx.type('', 'configmaps'), cns, cname ?? '');
    if (obj?.data) cm = { ...obj.data };
  }

  // Upstreams without active endpoints (the controller warns on every sync)
  const seen = new Set<string>();
  for (const s of [...exact.values(), ...wildcards, catchAll]) {
    for (const b of [...s.locations.map((l) => l.backend), ...(s.root ? [s.root.backend] : [])]) {
      if (b.kind !== 'service' || seen.has(b.upstream)) continue;
      seen.add(b.upstream);
      const sb = serviceEndpoints(ctx, b.ns, b.name, b.port);
      if (sb.error === 'no-service') {
        warnings.push({ file: 'controller.go:1110', msg: `Error obtaining Endpoints for Service "${b.ns}/${b.name}": no object matching key "${b.ns}/${b.name}" in local store` });
      } else if (sb.error === 'no-port') {
        warnings.push({ file: 'controller.go:1138', msg: `Service "${b.ns}/${b.name}" does not have any port ${b.port.number ?? b.port.name}` });
      } else if (!sb.endpoints.length) {
        warnings.push({ file: 'controller.go:1216', msg: `Service "${b.ns}/${b.name}" does not have any active Endpoint.` });
      }
    }
  }
  return { exact, wildcards, catchAll, cm, flags, warnings };
}

/** The server nginx picks for a Host: exact name, then the longest matching wildcard, then the catch-all. */
export function pickServer(cfg: IngressConfig, host: string): Server {
  return cfg.exact.get(host) ?? cfg.wildcards.find((w) => ingressHostMatches(w.name, host)) ?? cfg.catchAll;
}

/** nginx location selection: an exact location equal to the path, else the longest prefix location. */
export function matchLocation(server: Server, path: string): Location | undefined {
  for (const l of server.locations) if (l.exact && l.path === path) return l;
  let best: Location | undefined;
  for (const l of server.locations) if (!l.exact && path.startsWith(l.path) && (!best || l.path.length > best.path.length)) best = l;
  return best;
}

/** Where a request goes: the matched location's backend, else the server's root. */
export function routeRequest(cfg: IngressConfig, host: string, path: string): { server: Server; location?: Location; ing?: KObject; backend: Backend } {
  const server = pickServer(cfg, host);
  const location = matchLocation(server, path);
  if (location) return { server, location, ing: location.ing, backend: location.backend };
  if (server.root) return { server, ing: server.root.ing, backend: server.root.backend };
  if (server !== cfg.catchAll && cfg.catchAll.root) return { server, ing: cfg.catchAll.root.ing, backend: cfg.catchAll.root.backend };
  return { server, backend: { kind: 'default' } };
}

// ─── log lines ─────────────────────────────────────────────────────────────────────────────────────────

export interface UpstreamAttempt {
  addr: string;
  /** `$upstream_status`: a status, or `-` when no response header came. */
  status: number | '-';
  length: number | '-';
  /** `$upstream_response_time` in ms, or `-`. */
  timeMs: number | '-';
}

export interface AccessRecord {
  remoteAddr: string;
  remoteUser: string;
  time: Date;
  request: string;
  status: number;
  bodyBytesSent: number;
  referer?: string;
  userAgent?: string;
  requestLength: number;
  requestTimeMs: number;
  upstreamName: string;
  alternativeUpstreamName: string;
  attempts: UpstreamAttempt[];
  reqId: string;
}

/** nginx's escaping of variables in access logs (`"` → `\x22`, non-printables as \xHH). */
export function escapeLog(v: string): string {
  return v.replace(/["\\\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** One access line in ingress-nginx's default `upstreaminfo` format. */
export function formatAccessLine(r: AccessRecord): string {
  const list = (f: (a: UpstreamAttempt) => string) => (r.attempts.length ? r.attempts.map(f).join(', ') : '-');
  return (
    `${r.remoteAddr} - ${r.remoteUser || '-'} [${nginxTimeLocal(r.time)}] "${escapeLog(r.request)}" ${r.status} ${r.bodyBytesSent} ` +
    `"${r.referer ? escapeLog(r.referer) : '-'}" "${r.userAgent ? escapeLog(r.userAgent) : '-'}" ${r.requestLength} ${secs(r.requestTimeMs)} ` +
    `[${r.upstreamName}] [${r.alternativeUpstreamName}] ${list((a) => a.addr)} ${list((a) => String(a.length))} ${list((a) => (a.timeMs === '-' ? '-' : secs(a.timeMs)))} ${list((a) => String(a.status))} ${r.reqId}`
  );
}

export interface ErrorRecord {
  time: Date;
  pid: number;
  connection: number;
  message: string;
  client: string;
  server: string;
  request: string;
  upstream?: string;
  host?: string;
  referrer?: string;
  level?: string;
}

/** One nginx error-log line. */
export function formatErrorLine(e: ErrorRecord): string {
  return (
    `${nginxErrorTime(e.time)} [${e.level ?? 'error'}] ${e.pid}#${e.pid}: *${e.connection} ${e.message}, client: ${e.client}, server: ${e.server}, request: "${e.request}"` +
    (e.upstream ? `, upstream: "${e.upstream}"` : '') +
    (e.host !== undefined ? `, host: "${e.host}"` : '') +
    (e.referrer ? `, referrer: "${e.referrer}"` : '')
  );
}

export function klogLine(level: 'I' | 'W' | 'E', file: string, msg: string, d = new Date()): string {
  return `${level}${klogTime(d)}       7 ${file}] ${msg}`;
}

// ─── upstream attempts ─────────────────────────────────────────────────────────────────────────────────

type Failure =
  | 'refused'
  | 'unreachable'
  | 'connect-timeout'
  | 'ssl'
  | 'send-timeout'
  | 'read-timeout'
  | 'invalid-header'
  | 'premature'
  | 'reset';

const FAILURE: Record<Failure, { status: number; msg: string; cond: 'error' | 'timeout' | 'invalid_header' }> = {
  refused: { status: 502, msg: 'connect() failed (111: Connection refused) while connecting to upstream', cond: 'error' },
  unreachable: { status: 502, msg: 'connect() failed (113: No route to host) while connecting to upstream', cond: 'error' },
  'connect-timeout': { status: 504, msg: 'upstream timed out (110: Connection timed out) while connecting to upstream', cond: 'timeout' },
  ssl: { status: 502, msg: 'SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream', cond: 'error' },
  'send-timeout': { status: 504, msg: 'upstream timed out (110: Connection timed out) while sending request to upstream', cond: 'timeout' },
  'read-timeout': { status: 504, msg: 'upstream timed out (110: Connection timed out) while reading response header from upstream', cond: 'timeout' },
  'invalid-header': { status: 502, msg: 'upstream sent no valid HTTP/1.0 header while reading response header from upstream', cond: 'invalid_header' },
  premature: { status: 502, msg: 'upstream prematurely closed connection while reading response header from upstream', cond: 'error' },
  reset: { status: 502, msg: 'recv() failed (104: Connection reset by peer) while reading response header from upstream', cond: 'error' },
};

type AttemptResult =
  | { ok: true; req: http.ClientRequest; res: http.IncomingMessage; elapsedMs: number }
  | { ok: false; failure: Failure; elapsedMs: number; sent: boolean };

interface AttemptOptions {
  localAddress: string;
  ep: Endpoint;
  tls: boolean;
  method: string;
  path: string;
  headers: [string, string][];
  body: Buffer;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  sendTimeoutMs: number;
  agents: { http: http.Agent; https: https.Agent };
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

function runAttempt(o: AttemptOptions, retriedStale = false): Promise<AttemptResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    let sent = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (r: AttemptResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const flat: string[] = [];
    for (const [k, v] of o.headers) flat.push(k, v);
    const req = (o.tls ? https : http).request({
      host: o.ep.ip,
      port: o.ep.port,
      localAddress: o.localAddress,
      method: o.method,
      path: o.path,
      headers: flat as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      agent: o.tls ? o.agents.https : o.agents.http,
      connectTimeoutMs: o.connectTimeoutMs,
    } as http.RequestOptions);
    const onAbort = () => {
      req.destroy();
      finish({ ok: false, failure: 'reset', elapsedMs: performance.now() - t0, sent });
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    req.on('socket', () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        req.destroy();
        finish({ ok: false, failure: 'send-timeout', elapsedMs: performance.now() - t0, sent });
      }, o.sendTimeoutMs);
    });
    req.on('finish', () => {
      sent = true;
      clearTimeout(timer);
      timer = setTimeout(() => {
        req.destroy();
        finish({ ok: false, failure: 'read-timeout', elapsedMs: performance.now() - t0, sent });
      }, o.readTimeoutMs);
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      finish({ ok: true, req, res, elapsedMs: performance.now() - t0 });
    });
    req.on('error', (e: any) => {
      if (done) return;
      if (e instanceof UpstreamError) {
        const f: Failure = e.kind === 'refused' ? 'refused' : e.kind === 'timeout' ? 'connect-timeout' : e.kind === 'ssl' ? 'ssl' : e.kind === 'unreachable' ? 'unreachable' : 'reset';
        return finish({ ok: false, failure: f, elapsedMs: e.elapsedMs, sent: false });
      }
      // a kept-alive connection the upstream had closed: nginx silently retries on a fresh one
      if (req.reusedSocket && e?.code === 'ECONNRESET' && !retriedStale) {
        done = true;
        clearTimeout(timer);
        o.signal.removeEventListener('abort', onAbort);
        runAttempt(o, true).then(resolve);
        return;
      }
      const code = String(e?.code ?? '');
      const f: Failure = code.startsWith('HPE_') ? 'invalid-header' : code === 'ECONNRESET' && /hang up/.test(e?.message ?? '') ? 'premature' : 'reset';
      finish({ ok: false, failure: f, elapsedMs: performance.now() - t0, sent });
    });
    req.end(o.body.length ? o.body : undefined);
  });
}

/** Agents whose connections come from the controller pod's IP through the data plane (keep-alive, per upstream). */
function upstreamAgents(dialer: Dialer): { http: http.Agent; https: https.Agent } {
  const create = async (options: any, wantTls: boolean): Promise<Socket> => {
    const timeout = Number(options.connectTimeoutMs ?? 5000);
    const t0 = performance.now();
    const raw = await dialer.dial(options.localAddress, options.host, Number(options.port), timeout);
    if (!wantTls) return raw;
    return upstreamTls(raw, Math.max(1, timeout - (performance.now() - t0)));
  };
  const httpAgent = new http.Agent({ keepAlive: true, maxFreeSockets: 32, timeout: 60_000 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxFreeSockets: 32, timeout: 60_000, rejectUnauthorized: false });
  (httpAgent as any).createConnection = (options: any, cb: (err: Error | null, s?: Socket) => void) => {
    create(options, false).then((s) => cb(null, s), (e) => cb(e));
    return undefined;
  };
  (httpsAgent as any).createConnection = (options: any, cb: (err: Error | null, s?: Socket) => void) => {
    create(options, true).then((s) => cb(null, s), (e) => cb(e));
    return undefined;
  };
  return { http: httpAgent, https: httpsAgent };
}

// ─── the provider ──────────────────────────────────────────────────────────────────────────────────────

export interface IngressNginxProvider extends PodServerProvider {
  /** Closes every server, upstream connection and store subscription (lab stop). */
  close(): void;
}

interface PodState {
  uid: string;
  ns: string;
  name: string;
  ip: string;
  container: string;
  args: IngressControllerArgs;
  flags: ControllerFlags;
  /** nginx worker pid in log lines. */
  pid: number;
  /** nginx connection serial (`*N` in error lines). */
  conn: number;
  config: () => IngressConfig;
  rr: RoundRobin;
  agents: { http: http.Agent; https: https.Agent };
  sockets: SocketSet;
  http?: http.Server;
  https?: Promise<https.Server>;
  healthz?: http.Server;
  webhook?: Promise<https.Server>;
  lastWarnings: string;
  requests: number;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : undefined;
}

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return v === 'true' || v === '1' || v === 'True' || v === 'TRUE' || v === 't';
}

export function ingressNginxProvider(ctx: ControllerContext, dp: ProxyDeps): IngressNginxProvider {
  const podDef = ctx.type('', 'pods');
  const states = new Map<string, PodState>();
  const configGen = new StoreGeneration(
    ctx,
    ['networking.k8s.io/ingresses', 'networking.k8s.io/ingressclasses', '/secrets', '/configmaps', '/services', 'discovery.k8s.io/endpointslices'],
    () => scheduleSync(),
  );
  const dialer = upstreamDialer(ctx, dp);
  const fake = ingressFakeCertificate();
  let closed = false;
  let syncTimer: NodeJS.Timeout | undefined;
  let lastSync = 0;

  // Pods come and go: state for running controller pods, torn down when they stop.
  const unsubscribe = ctx.store.subscribe((ev, def) => {
    if (def.group !== '' || def.plural !== 'pods') return;
    const pod = ev.object;
    const uid = pod.metadata.uid!;
    const running = ev.type !== 'DELETED' && pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp;
    if (!running) {
      const st = states.get(uid);
      if (st && (ev.type === 'DELETED' || pod.status?.phase !== 'Running')) drop(st);
      return;
    }
    if (!states.has(uid) && controllerArgs(pod)) {
      ensure(pod);
      scheduleSync();
    }
  });

  function scheduleSync(): void {
    if (closed || syncTimer) return;
    const wait = Math.max(100, 1000 - (Date.now() - lastSync));
    syncTimer = ctx.setTimeout(() => {
      syncTimer = undefined;
      lastSync = Date.now();
      for (const st of states.values()) syncWarnings(st);
    }, wait);
  }

  /** What the controller logs on a sync: warnings for Ingress backends it cannot serve. */
  function syncWarnings(st: PodState): void {
    const cfg = st.config();
    const key = cfg.warnings.map((w) => w.msg).join('\n');
    if (key === st.lastWarnings) return;
    st.lastWarnings = key;
    const out = ctx.logs.current(st.uid, st.container);
    for (const w of cfg.warnings) out.write(klogLine('W', w.file, w.msg));
  }

  /** Pods of one installation (same flags) share one rendered configuration, as they render the same nginx.conf. */
  const configs = new Map<string, () => IngressConfig>();
  function sharedConfig(args: IngressControllerArgs, flags: ControllerFlags): () => IngressConfig {
    const key = JSON.stringify([args, flags]);
    let c = configs.get(key);
    if (!c) configs.set(key, (c = memo(() => configGen.value, () => buildIngressConfig(ctx, args, flags))));
    return c;
  }

  function ensure(pod: KObject): PodState {
    const uid = pod.metadata.uid!;
    let st = states.get(uid);
    if (st) return st;
    const args = controllerArgs(pod)!;
    const flags = controllerFlags(pod);
    const seed = [...uid].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7);
    st = {
      uid,
      ns: pod.metadata.namespace!,
      name: pod.metadata.name!,
      ip: pod.status?.podIP ?? '127.0.0.1',
      container: controllerContainer(pod)?.name ?? 'controller',
      args,
      flags,
      pid: 20 + (seed % 40),
      conn: 0,
      config: sharedConfig(args, flags),
      rr: new RoundRobin(),
      agents: upstreamAgents(dialer),
      sockets: new SocketSet(),
      lastWarnings: '',
      requests: 0,
    };
    states.set(uid, st);
    return st;
  }

  function drop(st: PodState): void {
    states.delete(st.uid);
    st.sockets.destroyAll();
    st.agents.http.destroy();
    st.agents.https.destroy();
    st.http?.close();
    st.healthz?.close();
    st.https?.then((s) => s.close()).catch(() => {});
    st.webhook?.then((s) => s.close()).catch(() => {});
  }

  function write(st: PodState, line: string): void {
    ctx.logs.current(st.uid, st.container).write(line);
  }

  // ── servers ──

  function httpServer(st: PodState, scheme: 'http' | 'https'): http.Server {
    const srv = http.createServer({ keepAliveTimeout: 0, requestTimeout: 60_000, headersTimeout: 60_000 }, (req, res) => {
      handle(st, scheme, req, res).catch((e) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        } else res.destroy();
        console.error(`lab: ingress-nginx proxy ${st.ns}/${st.name}: ${(e as Error)?.stack ?? e}`);
      });
    });
    srv.on('clientError', (err: any, socket: Socket) => clientError(st, err, socket));
    return srv;
  }

  function sslContextFor(st: PodState, servername: string, dflt: tls.SecureContext): tls.SecureContext {
    const cfg = st.config();
    const s = pickServer(cfg, servername.toLowerCase().replace(/\.$/, ''));
    if (s === cfg.catchAll || !s.secret) return dflt;
    const kp = tlsSecret(ctx, s.secret.ns, s.secret.name);
    return 'context' in kp ? kp.context : dflt;
  }

  async function defaultKeyPair(st: PodState): Promise<KeyPair> {
    if (st.flags.defaultSslCertificate) {
      const [ns, name] = st.flags.defaultSslCertificate.split('/');
      const kp = tlsSecret(ctx, ns!, name ?? '');
      if ('context' in kp) return kp;
    }
    return fake;
  }

  function httpsServer(st: PodState): Promise<https.Server> {
    return defaultKeyPair(st).then((dflt) => {
      const inner = httpServer(st, 'https');
      const srv = https.createServer({
        cert: dflt.certPem,
        key: dflt.keyPem,
        ALPNProtocols: ['http/1.1'],
        SNICallback: (servername, cb) => {
          try {
            cb(null, sslContextFor(st, servername, dflt.context));
          } catch (e) {
            cb(e as Error, undefined);
          }
        },
      });
      // TLS terminates here; the decrypted stream is served by the same HTTP handler as port 80
      srv.removeAllListeners('secureConnection');
      srv.on('secureConnection', (s: tls.TLSSocket) => inner.emit('connection', s));
      srv.on('tlsClientError', () => {});
      return srv;
    });
  }

  function healthzServer(st: PodState): http.Server {
    return http.createServer((req, res) => {
      const { path } = splitTarget(req.url);
      if (path === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '2' });
        res.end('ok');
      } else if (path === '/metrics') {
        const body =
          '# HELP nginx_ingress_controller_nginx_process_requests_total total number of client requests\n' +
          '# TYPE nginx_ingress_controller_nginx_process_requests_total counter\n' +
          `nginx_ingress_controller_nginx_process_requests_total{controller_class="${st.args.controllerClass}",controller_namespace="${st.ns}",controller_pod="${st.name}"} ${st.requests}\n`;
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
        res.end(body);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        res.end('404 page not found\n');
      }
    });
  }

  function webhookServer(st: PodState): Promise<https.Server> {
    return fake.then((kp) =>
      https.createServer({ cert: kp.certPem, key: kp.keyPem }, (req, res) => {
        readBody(req, 0).then(({ body }) => {
          if (req.method !== 'POST') {
            res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
            return res.end('404 page not found\n');
          }
          let uid = '';
          try {
            uid = JSON.parse(body.toString('utf8'))?.request?.uid ?? '';
          } catch {
            /* empty */
          }
          const out = JSON.stringify({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', response: { uid, allowed: true } });
          res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(out)) });
          res.end(out);
          void st;
        });
      }),
    );
  }

  // ── requests ──

  function clientError(st: PodState, err: any, socket: Socket): void {
    if (err?.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const body = nginxErrorPage(400);
    const raw: string = err?.rawPacket ? Buffer.from(err.rawPacket).toString('latin1') : '';
    const line = raw.split('\r\n')[0] ?? '';
    socket.end(`HTTP/1.1 400 Bad Request\r\nDate: ${new Date().toUTCString()}\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    write(
      st,
      formatAccessLine({
        remoteAddr: socket.remoteAddress ?? '-',
        remoteUser: '',
        time: new Date(),
        request: line,
        status: 400,
        bodyBytesSent: Buffer.byteLength(body),
        requestLength: 0,
        requestTimeMs: 0,
        upstreamName: '',
        alternativeUpstreamName: '',
        attempts: [],
        reqId: requestId(),
      }),
    );
  }

  async function handle(st: PodState, scheme: 'http' | 'https', req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    st.requests++;
    const conn = ((req.socket as any).__nginxConn ??= ++st.conn) as number;
    const cfg = st.config();
    const hostHeader = req.headers.host ?? '';
    const host = requestHost(hostHeader);
    const { path } = splitTarget(req.url);
    const route = routeRequest(cfg, host, path);
    const ing = route.ing;
    const ann = (k: string): string | undefined => ing?.metadata.annotations?.[ANN + k];
    const opt = (k: string): string | undefined => ann(k) ?? cfg.cm[k];
    const ua = req.headers['user-agent'];
    const requestLine = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
    const reqId = (req.headers['x-request-id'] as string | undefined) || requestId();
    const clientIp = req.socket.remoteAddress ?? '-';
    const upstreamName =
      route.backend.kind === 'service' ? route.backend.upstream : DEFAULT_BACKEND_UPSTREAM;
    const attempts: UpstreamAttempt[] = [];
    let remoteUser = '';
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) remoteUser = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0] ?? '';

    const ac = new AbortController();
    let finished = false;
    let bodyBytes = 0;
    let reqBodyBytes = 0;
    let logged = false;
    const log = (status: number) => {
      if (logged) return;
      logged = true;
      write(
        st,
        formatAccessLine({
          remoteAddr: clientIp,
          remoteUser,
          time: new Date(),
          request: requestLine,
          status,
          bodyBytesSent: bodyBytes,
          referer: req.headers.referer,
          userAgent: ua,
          requestLength: requestLength(req, reqBodyBytes),
          requestTimeMs: performance.now() - t0,
          upstreamName,
          alternativeUpstreamName: '',
          attempts,
          reqId,
        }),
      );
    };
    res.on('finish', () => {
      finished = true;
      log(res.statusCode);
    });
    res.on('close', () => {
      if (finished) return;
      ac.abort();
      // the client went away: 499 while waiting for the upstream, else the status already sent (logged after the
      // aborted upstream attempt is recorded, as nginx logs it with upstream_status "-")
      setImmediate(() => log(res.headersSent ? res.statusCode : 499));
    });
    const errorLine = (message: string, upstream?: string) =>
      write(
        st,
        formatErrorLine({
          time: new Date(),
          pid: st.pid,
          connection: conn,
          message,
          client: clientIp,
          server: route.server.name,
          request: requestLine,
          upstream,
          host: hostHeader || undefined,
          referrer: req.headers.referer,
        }),
      );
    const page = (status: number, extra: [string, string][] = []) => {
      const body = nginxErrorPage(status, ua);
      bodyBytes = req.method === 'HEAD' ? 0 : Buffer.byteLength(body);
      const headers: string[] = ['Content-Type', 'text/html', 'Content-Length', String(Buffer.byteLength(body))];
      for (const [k, v] of extra) headers.push(k, v);
      if (scheme === 'https') headers.push('Strict-Transport-Security', HSTS);
      res.writeHead(status, NGINX_STATUS_TEXT[status] ?? http.STATUS_CODES[status] ?? '', headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };

    // request body (buffered, client_max_body_size)
    const limit = parseSize(opt('proxy-body-size'), 1024 * 1024);
    const { body, tooLarge } = await readBody(req, limit);
    reqBodyBytes = body.length;
    if (ac.signal.aborted) return;
    if (tooLarge) {
      errorLine(`client intended to send too large body: ${req.headers['content-length'] ?? body.length} bytes`);
      return page(413);
    }

    // ssl-redirect / force-ssl-redirect
    if (scheme === 'http' && route.location) {
      const force = bool(opt('force-ssl-redirect')) ?? false;
      const redirect = bool(opt('ssl-redirect')) ?? true;
      if (force || (route.server.tls && redirect)) {
        const code = num(cfg.cm['http-redirect-code']) ?? 308;
        const hostOnly = hostHeader.replace(/:\d+$/, '');
        return page(code, [['Location', `https://${hostOnly}${req.url}`]]);
      }
    }

    // the built-in default backend: nginx on 127.0.0.1:8181 answering 404
    let backend = route.backend;
    if (backend.kind === 'default' && st.flags.defaultBackendService) {
      const [ns, name] = st.flags.defaultBackendService.split('/');
      const svc = ctx.store.get(ctx.type('', 'services'), ns, name ?? '');
      const p = svc?.spec?.ports?.[0];
      if (svc && p) backend = { kind: 'service', ns: ns!, name: name!, port: p.name ? { name: p.name } : { number: p.port }, upstream: DEFAULT_BACKEND_UPSTREAM };
    }
    if (backend.kind === 'default') {
      const len = Buffer.byteLength(nginxErrorPage(404, ua));
      attempts.push({ addr: DEFAULT_BACKEND_ADDR, status: 404, length: len, timeMs: 0 });
      return page(404);
    }

    // upstreams: the Service's ready endpoints (or its ClusterIP with service-upstream)
    const sb = serviceEndpoints(ctx, backend.ns, backend.name, backend.port);
    let endpoints = sb.endpoints;
    if (bool(ann('service-upstream')) && sb.svc?.spec?.clusterIP && sb.svc.spec.clusterIP !== 'None' && sb.svcPort)
      endpoints = [{ ip: sb.svc.spec.clusterIP, port: sb.svcPort.port }];
    if (!endpoints.length) return page(503);

    const protocol = (ann('backend-protocol') ?? 'HTTP').toUpperCase();
    const upstreamTlsOn = protocol === 'HTTPS' || protocol === 'GRPCS';
    const connectTimeoutMs = (num(opt('proxy-connect-timeout')) ?? 5) * 1000;
    const readTimeoutMs = (num(opt('proxy-read-timeout')) ?? 60) * 1000;
    const sendTimeoutMs = (num(opt('proxy-send-timeout')) ?? 60) * 1000;
    const nextUpstream = (opt('proxy-next-upstream') ?? 'error timeout').split(/\s+/).filter(Boolean);
    const tries = Math.max(1, num(opt('proxy-next-upstream-tries')) ?? 3);
    const nextTimeoutMs = (num(opt('proxy-next-upstream-timeout')) ?? 0) * 1000;
    const idempotent = ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE'].includes(req.method ?? 'GET');

    const headers: [string, string][] = forwardableHeaders(req.rawHeaders).filter(
      ([k]) => !/^(host|x-request-id|x-real-ip|x-forwarded-(for|host|port|proto|scheme)|x-scheme|x-original-forwarded-for|proxy)$/i.test(k),
    );
    const xff = req.headers['x-forwarded-for'];
    headers.unshift(
      ['Host', hostHeader],
      ['X-Request-ID', reqId],
      ['X-Real-IP', clientIp],
      ['X-Forwarded-For', clientIp],
      ['X-Forwarded-Host', hostHeader],
      ['X-Forwarded-Port', String(scheme === 'https' ? 443 : 80)],
      ['X-Forwarded-Proto', scheme],
      ['X-Forwarded-Scheme', scheme],
      ['X-Scheme', scheme],
      ...(xff ? ([['X-Original-Forwarded-For', String(xff)]] as [string, string][]) : []),
    );
    if (body.length && !req.headers['content-length']) headers.push(['Content-Length', String(body.length)]);

    for (let i = 0; i < tries; i++) {
      const ep = st.rr.pick(backend.upstream, endpoints);
      const addr = `${ep.ip}:${ep.port}`;
      const r = await runAttempt({
        localAddress: st.ip,
        ep,
        tls: upstreamTlsOn,
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers,
        body,
        connectTimeoutMs,
        readTimeoutMs,
        sendTimeoutMs,
        agents: st.agents,
        signal: ac.signal,
      });
      if (ac.signal.aborted) {
        attempts.push({ addr, status: '-', length: 0, timeMs: r.elapsedMs });
        return;
      }
      if (r.ok) {
        attempts.push({ addr, status: r.res.statusCode ?? 0, length: 0, timeMs: r.elapsedMs });
        return relay(st, scheme, req, res, r, attempts[attempts.length - 1]!, readTimeoutMs, errorLine, `${upstreamTlsOn ? 'https' : 'http'}://${addr}${req.url}`, (n) => (bodyBytes = n));
      }
      const f = FAILURE[r.failure];
      attempts.push({ addr, status: f.status, length: 0, timeMs: r.elapsedMs });
      errorLine(f.msg, `${upstreamTlsOn ? 'https' : 'http'}://${addr}${req.url}`);
      const retry =
        i + 1 < tries &&
        nextUpstream.includes(f.cond) &&
        !nextUpstream.includes('off') &&
        (idempotent || !r.sent) &&
        (nextTimeoutMs <= 0 || performance.now() - t0 < nextTimeoutMs);
      if (!retry) return page(f.status);
    }
  }

  /** Streams the upstream response to the client (proxy_buffering off), with the read timeout between reads. */
  function relay(
    _st: PodState,
    scheme: 'http' | 'https',
    req: http.IncomingMessage,
    res: http.ServerResponse,
    r: Extract<AttemptResult, { ok: true }>,
    attempt: UpstreamAttempt,
    readTimeoutMs: number,
    errorLine: (m: string, upstream?: string) => void,
    upstreamUrl: string,
    setBytes: (n: number) => void,
  ): void {
    const up = r.res;
    const headers: string[] = [];
    for (const [k, v] of forwardableHeaders(up.rawHeaders)) {
      if (/^(server|date|x-pad|x-accel-.*)$/i.test(k)) continue;
      headers.push(k, v);
    }
    if (scheme === 'https') headers.push('Strict-Transport-Security', HSTS);
    res.writeHead(up.statusCode ?? 502, up.statusMessage || http.STATUS_CODES[up.statusCode ?? 502] || '', headers);
    let sent = 0;
    let upBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        errorLine('upstream timed out (110: Connection timed out) while reading upstream', upstreamUrl);
        up.destroy();
        res.destroy();
      }, readTimeoutMs);
    };
    arm();
    up.on('data', (c: Buffer) => {
      upBytes += c.length;
      attempt.length = upBytes;
      arm();
      if (req.method !== 'HEAD') {
        sent += c.length;
        setBytes(sent);
      }
      if (!res.write(c)) {
        up.pause();
        res.once('drain', () => up.resume());
      }
    });
    const startedAt = performance.now() - (attempt.timeMs === '-' ? 0 : attempt.timeMs);
    up.on('end', () => {
      clearTimeout(timer);
      attempt.timeMs = performance.now() - startedAt;
      res.end();
    });
    up.on('error', () => {
      clearTimeout(timer);
      errorLine('upstream prematurely closed connection while reading upstream', upstreamUrl);
      res.destroy();
    });
    up.on('aborted', () => clearTimeout(timer));
    res.on('close', () => {
      clearTimeout(timer);
      if (!up.complete) up.destroy();
    });
  }

  return {
    name: 'ingress-nginx',
    claims(pod) {
      const mine = !!controllerArgs(pod) && !pod.metadata.labels?.['gateway.envoyproxy.io/owning-gateway-name'];
      // Build the TLS server now, as nginx loads its configuration before it serves: a connection accepted while
      // it is still being built could have its ClientHello read before the TLS layer takes the socket.
      if (mine && !closed && pod.metadata.uid) {
        const st = ensure(pod);
        st.https ??= httpsServer(st);
      }
      return mine;
    },
    connection(pod, port, socket) {
      if (closed) return void socket.destroy();
      const current = ctx.store.get(podDef, pod.metadata.namespace, pod.metadata.name!) ?? pod;
      const st = ensure(current.metadata.uid === pod.metadata.uid ? current : pod);
      st.sockets.add(socket);
      socket.on('error', () => {});
      if (port === st.flags.httpPort) {
        (st.http ??= httpServer(st, 'http')).emit('connection', socket);
      } else if (port === st.flags.httpsPort) {
        // keep the ClientHello unread until the TLS server (built asynchronously on first use) takes the socket
        socket.pause();
        (st.https ??= httpsServer(st)).then((srv) => (socket.destroyed ? undefined : srv.emit('connection', socket)), () => socket.destroy());
      } else if (port === st.flags.healthzPort) {
        (st.healthz ??= healthzServer(st)).emit('connection', socket);
      } else if (port === st.flags.webhookPort) {
        (st.webhook ??= webhookServer(st)).then((srv) => (socket.destroyed ? undefined : srv.emit('connection', socket)), () => socket.destroy());
      } else {
        socket.destroy();
      }
    },
    close() {
      closed = true;
      unsubscribe();
      configGen.close();
      dialer.close();
      ctx.clearTimer(syncTimer);
      for (const st of [...states.values()]) drop(st);
    },
  };
}

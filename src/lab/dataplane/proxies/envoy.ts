// Envoy Gateway's data plane for the lab: the proxy pods the gateway controller creates per Gateway
// (`envoy-<ns>-<name>-<hash>` in envoy-gateway-system, label gateway.envoyproxy.io/owning-gateway-name) serve every
// programmed HTTP/HTTPS listener on its container port (listener port + 10000 below 1024), as Envoy Gateway's
// translator configures Envoy:
//
// - HTTPS listeners pick their filter chain by SNI (listener hostname; no match → handshake failure) and present
//   the listener's certificateRefs Secret; HTTP listeners on one port share a route table, chosen by Host;
// - virtual hosts per hostname (route hostnames ∩ listener hostname; exact beats the longest wildcard beats `*`);
//   within one, the HTTPRoute rule matches in Gateway API precedence: Exact path, RegularExpression, longest
//   PathPrefix, then method, most header matches, most query matches, then the oldest route, its name, rule and
//   match order; only routes whose status says Accepted for this parent are attached;
// - backendRefs by weight; a backendRef that does not resolve (missing Service or port, cross-namespace without a
//   ReferenceGrant, unsupported kind) answers 500 (`direct_response`); no matching route: 404 (NR); no ready
//   endpoint: 503 `no healthy upstream` (UH); connection refused or connect timeout (10 s): 503 `upstream connect
//   error or disconnect/reset before headers…` (UF); route timeout (15 s, or the rule's timeouts.request): 504
//   `upstream request timeout` (UT);
// - filters RequestRedirect, URLRewrite, RequestHeaderModifier and ResponseHeaderModifier.
//
// Every request writes one line of Envoy Gateway's default JSON access log to the pod's `envoy` container log.
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type * as tls from 'node:tls';
import { GATEWAY_CONTROLLER_NAME, OWNING_GATEWAY_NAME, OWNING_GATEWAY_NAMESPACE, containerPortFor } from '../../controllers/gateway.ts';
import type { ControllerContext } from '../../controllers/runtime.ts';
import { fromLabelSelectorObject, matchesLabels } from '../../store/selectors.ts';
import type { KObject } from '../../types.ts';
import type { PodServerProvider } from '../types.ts';
import {
  type Dialer,
  type Endpoint,
  forwardableHeaders,
  gatewayHostMatches,
  hostSpecificity,
  intersectHostnames,
  memo,
  parseDuration,
  pathPrefixMatches,
  type ProxyDeps,
  readBody,
  requestHost,
  RoundRobin,
  serviceEndpoints,
  SocketSet,
  splitTarget,
  StoreGeneration,
  tlsSecret,
  UpstreamError,
  upstreamDialer,
  weightedPick,
} from './common.ts';

const GROUP = 'gateway.networking.k8s.io';
/** Envoy Gateway's default cluster connect timeout. */
export const ENVOY_CONNECT_TIMEOUT_MS = 10_000;
/** Envoy's default route timeout. */
export const ENVOY_ROUTE_TIMEOUT_MS = 15_000;

// ─── the route table (what Envoy Gateway translates a Gateway and its HTTPRoutes into) ───────────────────

export interface GatewayListener {
  name: string;
  port: number;
  containerPort: number;
  protocol: 'HTTP' | 'HTTPS';
  hostname?: string;
  /** Secrets (namespace/name) from tls.certificateRefs. */
  certificateRefs: { ns: string; name: string }[];
}

export interface BackendChoice {
  weight: number;
  /** Undefined when the backendRef does not resolve: requests that pick it get 500. */
  service?: { ns: string; name: string; port: number };
}

export interface RouteEntry {
  route: KObject;
  ruleIndex: number;
  matchIndex: number;
  rule: any;
  match: any;
  /** The virtual host (hostname) this entry sits in. */
  hostname: string;
  routeName: string;
  cluster: string;
  backends: BackendChoice[];
}

export interface VirtualHost {
  hostname: string;
  entries: RouteEntry[];
}

export interface ListenerTable {
  listener: GatewayListener;
  vhosts: VirtualHost[];
}

export interface GatewayTable {
  gateway?: KObject;
  listeners: ListenerTable[];
}

function condTrue(conds: any[] | undefined, type: string): boolean {
  return (conds ?? []).some((c) => c?.type === type && c.status === 'True');
}

function sameParentRef(a: any, b: any): boolean {
  const norm = (r: any) => JSON.stringify([r?.group ?? GROUP, r?.kind ?? 'Gateway', r?.namespace ?? '', r?.name ?? '', r?.sectionName ?? '', r?.port ?? '']);
  return norm(a) === norm(b);
}

function refGranted(grants: KObject[], fromNs: string, toNs: string, kind: string, name: string): boolean {
  return grants.some(
    (g) =>
      g.metadata.namespace === toNs &&
      (g.spec?.from ?? []).some((f: any) => f?.namespace === fromNs && (f?.group ?? '') === GROUP && f?.kind === 'HTTPRoute') &&
      (g.spec?.to ?? []).some((t: any) => (t?.group ?? '') === '' && t?.kind === kind && (!t?.name || t.name === name)),
  );
}

/** Gateway API match precedence: Exact > RegularExpression > PathPrefix, longer paths, method, headers, query. */
function matchRank(m: any): number[] {
  const t = m?.path?.type ?? 'PathPrefix';
  const v: string = m?.path?.value ?? '/';
  const typeRank = t === 'Exact' ? 3 : t === 'RegularExpression' ? 2 : 1;
  const len = t === 'PathPrefix' && v.length > 1 ? v.replace(/\/+$/, '').length : v.length;
  return [typeRank, len, m?.method ? 1 : 0, (m?.headers ?? []).length, (m?.queryParams ?? []).length];
}

function compareEntries(a: RouteEntry, b: RouteEntry): number {
  const ra = matchRank(a.match);
  const rb = matchRank(b.match);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return rb[i]! - ra[i]!;
  return (
    (a.route.metadata.creationTimestamp ?? '').localeCompare(b.route.metadata.creationTimestamp ?? '') ||
    `${a.route.metadata.namespace}/${a.route.metadata.name}`.localeCompare(`${b.route.metadata.namespace}/${b.route.metadata.name}`) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

/** Translates a Gateway's listeners and attached HTTPRoutes into Envoy's listeners, virtual hosts and routes. */
export function buildGatewayTable(ctx: ControllerContext, gwNs: string, gwName: string): GatewayTable {
  const { store, registry } = ctx;
  const gwDef = registry.forType(GROUP, 'gateways');
  const routeDef = registry.forType(GROUP, 'httproutes');
  const grantDef = registry.forType(GROUP, 'referencegrants');
  const gw = gwDef ? store.get(gwDef, gwNs, gwName) : undefined;
  if (!gw || !routeDef) return { gateway: gw, listeners: [] };
  const statusListeners: any[] = gw.status?.listeners ?? [];
  const namespaces = new Map(store.list(ctx.type('', 'namespaces')).map((n) => [n.metadata.name!, n]));
  const grants = grantDef ? store.list(grantDef) : [];
  const tables: ListenerTable[] = [];
  for (const l of (gw.spec?.listeners ?? []) as any[]) {
    if (l?.protocol !== 'HTTP' && l?.protocol !== 'HTTPS') continue;
    const st = statusListeners.find((s) => s?.name === l.name);
    if (st && !condTrue(st.conditions, 'Programmed')) continue;
    tables.push({
      listener: {
        name: l.name,
        port: l.port,
        containerPort: containerPortFor(l.port),
        protocol: l.protocol,
        ...(l.hostname ? { hostname: String(l.hostname).toLowerCase() } : {}),
        certificateRefs: ((l.tls?.certificateRefs ?? []) as any[])
          .filter((r) => (r?.kind ?? 'Secret') === 'Secret' && !r?.group)
          .map((r) => ({ ns: r.namespace || gwNs, name: r.name })),
      },
      vhosts: [],
    });
  }

  const allows = (spec: any, routeNs: string) => {
    const kinds: any[] = spec?.allowedRoutes?.kinds ?? [];
    if (kinds.length && !kinds.some((k) => k?.kind === 'HTTPRoute' && (k.group ?? GROUP) === GROUP)) return false;
    const from = spec?.allowedRoutes?.namespaces?.from ?? 'Same';
    if (from === 'All') return true;
    if (from === 'Selector') {
      const sel = spec?.allowedRoutes?.namespaces?.selector;
      return !!sel && matchesLabels(fromLabelSelectorObject(sel), namespaces.get(routeNs)?.metadata.labels);
    }
    return routeNs === gwNs;
  };

  for (const route of store.list(routeDef)) {
    if (route.metadata.deletionTimestamp) continue;
    const ns = route.metadata.namespace!;
    for (const pr of (route.spec?.parentRefs ?? []) as any[]) {
      if ((pr?.group ?? GROUP) !== GROUP || (pr?.kind ?? 'Gateway') !== 'Gateway') continue;
      if ((pr.namespace || ns) !== gwNs || pr.name !== gwName) continue;
      const parent = (route.status?.parents ?? []).find((p: any) => p?.controllerName === GATEWAY_CONTROLLER_NAME && sameParentRef(p.parentRef, pr));
      if (!parent || !condTrue(parent.conditions, 'Accepted')) continue;
      const backendsOf = (rule: any): BackendChoice[] =>
        ((rule?.backendRefs ?? []) as any[]).map((ref) => {
          const weight = ref?.weight ?? 1;
          const kind = ref?.kind ?? 'Service';
          const bns = ref?.namespace || ns;
          if ((ref?.group ?? '') !== '' || kind !== 'Service' || ref?.port === undefined || ref?.port === null) return { weight };
          if (bns !== ns && !refGranted(grants, ns, bns, 'Service', ref.name)) return { weight };
          const svc = store.get(ctx.type('', 'services'), bns, ref.name ?? '');
          if (!svc || !(svc.spec?.ports ?? []).some((p: any) => p?.port === ref.port && (p.protocol ?? 'TCP') === 'TCP')) return { weight };
          return { weight, service: { ns: bns, name: ref.name, port: ref.port } };
        });
      for (const t of tables) {
        const l = (gw.spec?.listeners ?? []).find((x: any) => x?.name === t.listener.name);
        if (pr.sectionName && pr.sectionName !== t.listener.name) continue;
        if (pr.port !== undefined && pr.port !== null && pr.port !== t.listener.port) continue;
        if (!allows(l, ns)) continue;
        const hostnames: string[] = route.spec?.hostnames?.length ? route.spec.hostnames : [undefined as unknown as string];
        const effective = [...new Set(hostnames.map((h) => intersectHostnames(t.listener.hostname, h)).filter((h): h is string => !!h))];
        for (const hostname of effective) {
          let vh = t.vhosts.find((v) => v.hostname === hostname);
          if (!vh) t.vhosts.push((vh = { hostname, entries: [] }));
          ((route.spec?.rules ?? []) as any[]).forEach((rule, ri) => {
            const matches: any[] = rule?.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
            const backends = backendsOf(rule);
            matches.forEach((match, mi) => {
              vh!.entries.push({
                route,
                ruleIndex: ri,
                matchIndex: mi,
                rule,
                match,
                hostname,
                routeName: `httproute/${ns}/${route.metadata.name}/rule/${ri}/match/${mi}/${hostname.replaceAll('.', '_')}`,
                cluster: `httproute/${ns}/${route.metadata.name}/rule/${ri}`,
                backends,
              });
            });
          });
        }
      }
    }
  }
  for (const t of tables) {
    for (const v of t.vhosts) v.entries.sort(compareEntries);
    t.vhosts.sort((a, b) => hostSpecificity(b.hostname) - hostSpecificity(a.hostname));
  }
  return { gateway: gw, listeners: tables };
}

// ─── matching ──────────────────────────────────────────────────────────────────────────────────────────

const regexCache = new Map<string, RegExp | null>();
function fullRegex(src: string): RegExp | null {
  let r = regexCache.get(src);
  if (r === undefined) {
    try {
      r = new RegExp(`^(?:${src})$`);
    } catch {
      r = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(src, r);
  }
  return r;
}

export interface RequestView {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
}

export function matchesRequest(m: any, req: RequestView): boolean {
  const pt = m?.path?.type ?? 'PathPrefix';
  const pv: string = m?.path?.value ?? '/';
  if (pt === 'Exact' && req.path !== pv) return false;
  if (pt === 'PathPrefix' && !pathPrefixMatches(pv, req.path)) return false;
  if (pt === 'RegularExpression' && !fullRegex(pv)?.test(req.path)) return false;
  if (m?.method && m.method !== req.method) return false;
  for (const h of (m?.headers ?? []) as any[]) {
    const raw = req.headers[String(h?.name ?? '').toLowerCase()];
    if (raw === undefined) return false;
    const v = Array.isArray(raw) ? raw.join(',') : raw;
    if ((h.type ?? 'Exact') === 'RegularExpression' ? !fullRegex(h.value)?.test(v) : v !== h.value) return false;
  }
  if ((m?.queryParams ?? []).length) {
    const q = new URLSearchParams(req.query);
    for (const p of m.queryParams as any[]) {
      const v = q.get(p?.name ?? '');
      if (v === null) return false;
      if ((p.type ?? 'Exact') === 'RegularExpression' ? !fullRegex(p.value)?.test(v) : v !== p.value) return false;
    }
  }
  return true;
}

/** The listener an HTTP request or a TLS handshake lands on: the most specific hostname match on that port. */
export function pickListener(table: GatewayTable, containerPort: number, host: string | undefined, protocol?: 'HTTP' | 'HTTPS'): ListenerTable | undefined {
  const onPort = table.listeners.filter((t) => t.listener.containerPort === containerPort && (!protocol || t.listener.protocol === protocol));
  return onPort
    .filter((t) => (host ? gatewayHostMatches(t.listener.hostname, host) : !t.listener.hostname))
    .sort((a, b) => hostSpecificity(b.listener.hostname) - hostSpecificity(a.listener.hostname))[0];
}

/** The route entry for a request on a listener: best virtual host by Host, then the first matching route. */
export function selectRoute(listener: ListenerTable | undefined, host: string, req: RequestView): RouteEntry | undefined {
  if (!listener) return undefined;
  const vh = listener.vhosts.find((v) => gatewayHostMatches(v.hostname, host));
  return vh?.entries.find((e) => matchesRequest(e.match, req));
}

// ─── access log ────────────────────────────────────────────────────────────────────────────────────────

export interface EnvoyAccessRecord {
  start: Date;
  method: string;
  path: string;
  protocol: string;
  responseCode: number;
  responseFlags: string;
  responseCodeDetails: string;
  connectionTerminationDetails?: string;
  upstreamTransportFailureReason?: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  xForwardedFor?: string;
  userAgent?: string;
  requestId?: string;
  authority?: string;
  upstreamHost?: string;
  upstreamCluster?: string;
  upstreamLocalAddress?: string;
  downstreamLocalAddress: string;
  downstreamRemoteAddress: string;
  requestedServerName?: string;
  routeName?: string;
}

/** One line of Envoy Gateway's default JSON access log (keys sorted, empty values null, as Envoy prints it). */
export function formatEnvoyAccessLine(r: EnvoyAccessRecord): string {
  const o: Record<string, string | number | null> = {
    ':authority': r.authority ?? null,
    bytes_received: r.bytesReceived,
    bytes_sent: r.bytesSent,
    connection_termination_details: r.connectionTerminationDetails ?? null,
    downstream_local_address: r.downstreamLocalAddress,
    downstream_remote_address: r.downstreamRemoteAddress,
    duration: Math.round(r.durationMs),
    method: r.method,
    protocol: r.protocol,
    requested_server_name: r.requestedServerName || null,
    response_code: r.responseCode,
    response_code_details: r.responseCodeDetails,
    response_flags: r.responseFlags || '-',
    route_name: r.routeName ?? null,
    start_time: r.start.toISOString(),
    upstream_cluster: r.upstreamCluster ?? null,
    upstream_host: r.upstreamHost ?? null,
    upstream_local_address: r.upstreamLocalAddress ?? null,
    upstream_transport_failure_reason: r.upstreamTransportFailureReason ?? null,
    'user-agent': r.userAgent ?? null,
    'x-envoy-origin-path': r.path,
    'x-envoy-upstream-service-time': null,
    'x-forwarded-for': r.xForwardedFor ?? null,
    'x-request-id': r.requestId ?? null,
  };
  return JSON.stringify(o);
}

// ─── upstream ──────────────────────────────────────────────────────────────────────────────────────────

type UpstreamOutcome =
  | { ok: true; req: http.ClientRequest; res: http.IncomingMessage; localAddress?: string }
  | { ok: false; flag: string; status: number; body: string; details: string; transport?: string; localAddress?: string };

const CONNECT_ERR = 'upstream connect error or disconnect/reset before headers. reset reason: ';

function upstreamAgent(dialer: Dialer): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 32, timeout: 60_000 });
  (agent as any).createConnection = (options: any, cb: (err: Error | null, s?: Socket) => void) => {
    dialer.dial(options.localAddress, options.host, Number(options.port), ENVOY_CONNECT_TIMEOUT_MS).then((s) => cb(null, s), (e) => cb(e));
    return undefined;
  };
  return agent;
}

function sendUpstream(
  agent: http.Agent,
  from: string,
  ep: Endpoint,
  method: string,
  path: string,
  headers: [string, string][],
  body: Buffer,
  deadline: number,
  signal: AbortSignal,
  staleRetry = false,
): Promise<UpstreamOutcome> {
  return new Promise((resolve) => {
    let done = false;
    let local: string | undefined;
    const flat: string[] = [];
    for (const [k, v] of headers) flat.push(k, v);
    const req = http.request({
      host: ep.ip,
      port: ep.port,
      localAddress: from,
      method,
      path,
      headers: flat as unknown as http.OutgoingHttpHeaders,
      setHost: false,
      agent,
    });
    const finish = (r: UpstreamOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve({ ...r, localAddress: local });
    };
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, flag: 'UT', status: 504, body: 'upstream request timeout', details: 'upstream_response_timeout' });
    }, Math.max(1, deadline - performance.now()));
    const onAbort = () => {
      req.destroy();
      finish({ ok: false, flag: 'DC', status: 0, body: '', details: 'downstream_remote_disconnect' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('socket', (s: Socket) => {
      const set = () => (local = s.localAddress ? `${s.localAddress}:${s.localPort}` : undefined);
      if (s.localAddress) set();
      else s.once('connect', set);
    });
    req.on('response', (res) => finish({ ok: true, req, res }));
    req.on('error', (e: any) => {
      if (done) return;
      if (e instanceof UpstreamError) {
        if (e.kind === 'timeout')
          return finish({ ok: false, flag: 'UF', status: 503, body: `${CONNECT_ERR}connection timeout`, details: 'upstream_reset_before_response_started{connection_timeout}' });
        const transport = e.kind === 'refused' ? 'delayed connect error: Connection refused' : e.kind === 'unreachable' ? 'delayed connect error: No route to host' : 'delayed connect error: Connection reset by peer';
        return finish({
          ok: false,
          flag: 'UF',
          status: 503,
          body: `${CONNECT_ERR}remote connection failure, transport failure reason: ${transport}`,
          details: `upstream_reset_before_response_started{remote_connection_failure|${transport.replaceAll(' ', '_')}}`,
          transport,
        });
      }
      if (req.reusedSocket && e?.code === 'ECONNRESET' && !staleRetry) {
        done = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        sendUpstream(agent, from, ep, method, path, headers, body, deadline, signal, true).then(resolve);
        return;
      }
      if (String(e?.code ?? '').startsWith('HPE_'))
        return finish({ ok: false, flag: 'UPE', status: 503, body: `${CONNECT_ERR}protocol error`, details: 'upstream_reset_before_response_started{protocol_error}' });
      finish({ ok: false, flag: 'UC', status: 503, body: `${CONNECT_ERR}connection termination`, details: 'upstream_reset_before_response_started{connection_termination}' });
    });
    req.end(body.length ? body : undefined);
  });
}

// ─── the provider ──────────────────────────────────────────────────────────────────────────────────────

export interface EnvoyProxyProvider extends PodServerProvider {
  close(): void;
}

interface ProxyPod {
  uid: string;
  ip: string;
  gwNs: string;
  gwName: string;
  table: () => GatewayTable;
  agent: http.Agent;
  rr: RoundRobin;
  sockets: SocketSet;
  servers: Map<number, http.Server | https.Server>;
  requests: number;
}

export function envoyProxyProvider(ctx: ControllerContext, dp: ProxyDeps): EnvoyProxyProvider {
  const pods = new Map<string, ProxyPod>();
  const gen = new StoreGeneration(ctx, [
    `${GROUP}/gateways`,
    `${GROUP}/httproutes`,
    `${GROUP}/referencegrants`,
    '/services',
    '/secrets',
    '/namespaces',
  ]);
  const dialer = upstreamDialer(ctx, dp);
  let closed = false;

  const unsubscribe = ctx.store.subscribe((ev, def) => {
    if (def.group !== '' || def.plural !== 'pods') return;
    const st = pods.get(ev.object.metadata.uid!);
    if (st && (ev.type === 'DELETED' || ev.object.status?.phase !== 'Running')) drop(st);
  });

  function drop(st: ProxyPod): void {
    pods.delete(st.uid);
    st.sockets.destroyAll();
    st.agent.destroy();
    for (const s of st.servers.values()) s.close();
  }

  function ensure(pod: KObject): ProxyPod {
    const uid = pod.metadata.uid!;
    let st = pods.get(uid);
    if (st) return st;
    const gwNs = pod.metadata.labels?.[OWNING_GATEWAY_NAMESPACE] ?? '';
    const gwName = pod.metadata.labels?.[OWNING_GATEWAY_NAME] ?? '';
    st = {
      uid,
      ip: pod.status?.podIP ?? '127.0.0.1',
      gwNs,
      gwName,
      table: memo(() => gen.value, () => buildGatewayTable(ctx, gwNs, gwName)),
      agent: upstreamAgent(dialer),
      rr: new RoundRobin(),
      sockets: new SocketSet(),
      servers: new Map(),
      requests: 0,
    };
    pods.set(uid, st);
    return st;
  }

  function write(st: ProxyPod, line: string): void {
    ctx.logs.current(st.uid, 'envoy').write(line);
  }

  function certificateFor(l: GatewayListener, servername: string | undefined): tls.SecureContext | undefined {
    let first: tls.SecureContext | undefined;
    for (const ref of l.certificateRefs) {
      const kp = tlsSecret(ctx, ref.ns, ref.name);
      if (!('context' in kp)) continue;
      if (!servername || kp.cert.checkHost(servername)) return kp.context;
      first ??= kp.context;
    }
    return first;
  }

  function listenerServer(st: ProxyPod, port: number, protocol: 'HTTP' | 'HTTPS'): http.Server | https.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      handle(st, port, protocol, req, res).catch((e) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end();
        } else res.destroy();
        console.error(`lab: envoy proxy ${st.gwNs}/${st.gwName}: ${(e as Error)?.stack ?? e}`);
      });
    };
    const opts = { keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 60_000 };
    if (protocol === 'HTTP') return http.createServer(opts, handler);
    const srv = https.createServer(
      {
        ...opts,
        ALPNProtocols: ['http/1.1'],
        SNICallback: (servername, cb) => {
          const t = pickListener(st.table(), port, servername.toLowerCase(), 'HTTPS');
          const c = t ? certificateFor(t.listener, servername) : undefined;
          if (!c) return cb(new Error(`no filter chain for server name ${servername}`), undefined);
          cb(null, c);
        },
      },
      handler,
    );
    // Without SNI only a listener without hostname has a filter chain; its certificate is the default.
    const t = pickListener(st.table(), port, undefined, 'HTTPS');
    const dflt = t ? t.listener.certificateRefs.map((r) => tlsSecret(ctx, r.ns, r.name)).find((kp) => 'context' in kp) : undefined;
    if (dflt && 'context' in dflt) srv.setSecureContext({ cert: dflt.certPem, key: dflt.keyPem });
    srv.on('tlsClientError', () => {});
    return srv;
  }

  function localReply(res: http.ServerResponse, method: string, status: number, body: string, extra: [string, string][] = []): number {
    const headers: string[] = ['content-length', String(Buffer.byteLength(body))];
    if (body) headers.push('content-type', 'text/plain');
    for (const [k, v] of extra) headers.push(k, v);
    res.writeHead(status, http.STATUS_CODES[status] ?? '', headers);
    res.end(method === 'HEAD' ? undefined : body);
    return method === 'HEAD' ? 0 : Buffer.byteLength(body);
  }

  async function handle(st: ProxyPod, port: number, protocol: 'HTTP' | 'HTTPS', req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const start = new Date();
    const t0 = performance.now();
    st.requests++;
    const table = st.table();
    const hostHeader = req.headers.host ?? '';
    const host = requestHost(hostHeader);
    const sock = req.socket as tls.TLSSocket;
    const sni = protocol === 'HTTPS' ? (sock.servername || undefined) : undefined;
    const listener = protocol === 'HTTPS' ? pickListener(table, port, sni?.toLowerCase(), 'HTTPS') : pickListener(table, port, host, 'HTTP');
    const { path, query } = splitTarget(req.url);
    const method = req.method ?? 'GET';
    const clientIp = sock.remoteAddress ?? '';
    const xffIn = req.headers['x-forwarded-for'];
    const xff = xffIn ? `${Array.isArray(xffIn) ? xffIn.join(',') : xffIn},${clientIp}` : clientIp;
    const requestId = (req.headers['x-request-id'] as string | undefined) || randomUUID();
    const entry = selectRoute(listener, host, { method, path, query, headers: req.headers });

    const rec: EnvoyAccessRecord = {
      start,
      method,
      path: req.url ?? '/',
      protocol: `HTTP/${req.httpVersion}`,
      responseCode: 0,
      responseFlags: '-',
      responseCodeDetails: 'via_upstream',
      bytesReceived: 0,
      bytesSent: 0,
      durationMs: 0,
      xForwardedFor: xff,
      userAgent: req.headers['user-agent'],
      requestId,
      authority: hostHeader || undefined,
      downstreamLocalAddress: `${sock.localAddress}:${sock.localPort}`,
      downstreamRemoteAddress: `${sock.remoteAddress}:${sock.remotePort}`,
      requestedServerName: sni,
      routeName: entry?.routeName,
      upstreamCluster: undefined,
    };
    let logged = false;
    const log = () => {
      if (logged) return;
      logged = true;
      rec.durationMs = performance.now() - t0;
      write(st, formatEnvoyAccessLine(rec));
    };
    const ac = new AbortController();
    res.on('finish', () => {
      rec.responseCode ||= res.statusCode;
      log();
    });
    res.on('close', () => {
      if (res.writableFinished) return;
      ac.abort();
      if (!res.headersSent) {
        rec.responseCode = 0;
        rec.responseFlags = rec.responseFlags === '-' ? 'DC' : `${rec.responseFlags},DC`;
        rec.responseCodeDetails = 'downstream_remote_disconnect';
      }
      log();
    });

    const { body } = await readBody(req, 0);
    rec.bytesReceived = body.length;
    if (ac.signal.aborted) return;

    if (!entry) {
      rec.responseFlags = 'NR';
      rec.responseCodeDetails = 'route_not_found';
      rec.responseCode = 404;
      rec.bytesSent = localReply(res, method, 404, '');
      return;
    }
    const filters: any[] = entry.rule?.filters ?? [];
    const redirect = filters.find((f) => f?.type === 'RequestRedirect')?.requestRedirect;
    if (redirect) {
      const scheme = redirect.scheme ?? (protocol === 'HTTPS' ? 'https' : 'http');
      const rhost = redirect.hostname ?? host;
      const defaultPort = scheme === 'https' ? 443 : 80;
      const rport = redirect.port ?? (redirect.scheme ? defaultPort : undefined);
      let rpath = req.url ?? '/';
      if (redirect.path?.type === 'ReplaceFullPath') rpath = redirect.path.replaceFullPath + (query ? `?${query}` : '');
      else if (redirect.path?.type === 'ReplacePrefixMatch') rpath = replacePrefix(path, entry.match?.path?.value ?? '/', redirect.path.replacePrefixMatch) + (query ? `?${query}` : '');
      const loc = `${scheme}://${rhost}${rport && rport !== defaultPort ? `:${rport}` : ''}${rpath}`;
      rec.responseCode = redirect.statusCode ?? 302;
      rec.responseCodeDetails = 'direct_response';
      rec.bytesSent = localReply(res, method, rec.responseCode, '', [['location', loc]]);
      return;
    }
    rec.upstreamCluster = entry.cluster;
    const choice = entry.backends.length ? weightedPick(entry.backends) : undefined;
    if (!choice?.service) {
      // invalid backendRefs (or none, or all weights 0): Envoy Gateway's direct_response 500
      rec.responseCode = 500;
      rec.responseCodeDetails = 'direct_response';
      rec.upstreamCluster = undefined;
      rec.bytesSent = localReply(res, method, 500, '');
      return;
    }
    const sb = serviceEndpoints(ctx, choice.service.ns, choice.service.name, { number: choice.service.port });
    if (!sb.endpoints.length) {
      rec.responseCode = 503;
      rec.responseFlags = 'UH';
      rec.responseCodeDetails = 'no_healthy_upstream';
      rec.bytesSent = localReply(res, method, 503, 'no healthy upstream');
      return;
    }
    const ep = st.rr.pick(entry.cluster, sb.endpoints);
    rec.upstreamHost = `${ep.ip}:${ep.port}`;

    // request headers as Envoy forwards them
    let upstreamPath = req.url ?? '/';
    let upstreamHost = hostHeader;
    const rewrite = filters.find((f) => f?.type === 'URLRewrite')?.urlRewrite;
    if (rewrite?.hostname) upstreamHost = rewrite.hostname;
    if (rewrite?.path?.type === 'ReplaceFullPath') upstreamPath = rewrite.path.replaceFullPath + (query ? `?${query}` : '');
    else if (rewrite?.path?.type === 'ReplacePrefixMatch') upstreamPath = replacePrefix(path, entry.match?.path?.value ?? '/', rewrite.path.replacePrefixMatch) + (query ? `?${query}` : '');
    let headers = forwardableHeaders(req.rawHeaders)
      .filter(([k]) => !/^(host|x-forwarded-for|x-forwarded-proto|x-request-id|x-envoy-.*)$/i.test(k))
      .map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
    headers.unshift([':authority', upstreamHost]);
    headers.push(['x-forwarded-for', xff], ['x-forwarded-proto', protocol === 'HTTPS' ? 'https' : 'http'], ['x-request-id', requestId]);
    if (rewrite?.path) headers.push(['x-envoy-original-path', req.url ?? '/']);
    headers = applyHeaderModifier(headers, filters.find((f) => f?.type === 'RequestHeaderModifier')?.requestHeaderModifier);
    headers = headers.map(([k, v]) => (k === ':authority' ? ['host', v] : [k, v]));
    if (body.length && !headers.some(([k]) => k === 'content-length')) headers.push(['content-length', String(body.length)]);

    const routeTimeout = parseDuration(entry.rule?.timeouts?.request);
    const backendTimeout = parseDuration(entry.rule?.timeouts?.backendRequest);
    const timeoutMs = routeTimeout === 0 ? 24 * 3600_000 : Math.min(routeTimeout ?? ENVOY_ROUTE_TIMEOUT_MS, backendTimeout || Infinity);
    const deadline = t0 + timeoutMs;
    const out = await sendUpstream(st.agent, st.ip, ep, method, upstreamPath, headers, body, deadline, ac.signal);
    rec.upstreamLocalAddress = out.localAddress;
    if (ac.signal.aborted) return;
    if (!out.ok) {
      rec.responseCode = out.status;
      rec.responseFlags = out.flag;
      rec.responseCodeDetails = out.details;
      if (out.transport) rec.upstreamTransportFailureReason = out.transport;
      rec.bytesSent = localReply(res, method, out.status, out.body);
      return;
    }
    const up = out.res;
    let respHeaders = forwardableHeaders(up.rawHeaders).map(([k, v]) => [k.toLowerCase(), v] as [string, string]);
    respHeaders = applyHeaderModifier(respHeaders, filters.find((f) => f?.type === 'ResponseHeaderModifier')?.responseHeaderModifier);
    const flat: string[] = [];
    for (const [k, v] of respHeaders) flat.push(k, v);
    rec.responseCode = up.statusCode ?? 502;
    res.writeHead(rec.responseCode, up.statusMessage || http.STATUS_CODES[rec.responseCode] || '', flat);
    const timer = setTimeout(() => {
      // the route timeout also covers the response body: Envoy resets the stream
      rec.responseFlags = 'UT';
      up.destroy();
      res.destroy();
    }, Math.max(1, deadline - performance.now()));
    up.on('data', (c: Buffer) => {
      if (method !== 'HEAD') rec.bytesSent += c.length;
      if (!res.write(c)) {
        up.pause();
        res.once('drain', () => up.resume());
      }
    });
    up.on('end', () => {
      clearTimeout(timer);
      res.end();
    });
    up.on('error', () => {
      clearTimeout(timer);
      rec.responseFlags = 'UC';
      rec.connectionTerminationDetails = undefined;
      res.destroy();
    });
    res.on('close', () => {
      clearTimeout(timer);
      if (!up.complete) up.destroy();
    });
  }

  function adminServer(kind: 'ready' | 'stats' | 'shutdown', st: ProxyPod): http.Server {
    return http.createServer((req, res) => {
      const { path } = splitTarget(req.url);
      let status = 404;
      let body = '';
      if (kind === 'ready' && path === '/ready') [status, body] = [200, 'LIVE\n'];
      else if (kind === 'shutdown' && (path === '/healthz' || path === '/shutdown/ready')) [status, body] = [200, ''];
      else if (kind === 'stats' && path === '/stats/prometheus')
        [status, body] = [200, `# TYPE envoy_http_downstream_rq_total counter\nenvoy_http_downstream_rq_total{envoy_http_conn_manager_prefix="http-10080"} ${st.requests}\n`];
      res.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  }

  return {
    name: 'envoy-gateway',
    claims(pod) {
      return !!pod.metadata.labels?.[OWNING_GATEWAY_NAME] && !!pod.metadata.labels?.[OWNING_GATEWAY_NAMESPACE];
    },
    connection(pod, port, socket) {
      if (closed) return void socket.destroy();
      const st = ensure(pod);
      st.sockets.add(socket);
      socket.on('error', () => {});
      let srv = st.servers.get(port);
      if (!srv) {
        const table = st.table();
        const onPort = table.listeners.filter((t) => t.listener.containerPort === port);
        if (onPort.length) srv = listenerServer(st, port, onPort[0]!.listener.protocol);
        else if (port === 19003) srv = adminServer('ready', st);
        else if (port === 19001) srv = adminServer('stats', st);
        else if (port === 19002) srv = adminServer('shutdown', st);
        if (!srv) return void socket.destroy();
        st.servers.set(port, srv);
      }
      srv.emit('connection', socket);
    },
    close() {
      closed = true;
      unsubscribe();
      gen.close();
      dialer.close();
      for (const st of [...pods.values()]) drop(st);
    },
  };
}

function replacePrefix(path: string, prefix: string, replacement: string): string {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  const rest = p === '/' ? path.slice(1) : path.slice(p.length).replace(/^\//, '');
  const r = replacement.replace(/\/+$/, '');
  return rest ? `${r}/${rest}` : r || '/';
}

function applyHeaderModifier(headers: [string, string][], mod: any): [string, string][] {
  if (!mod) return headers;
  let out = [...headers];
  for (const name of (mod.remove ?? []) as string[]) out = out.filter(([k]) => k !== name.toLowerCase());
  for (const h of (mod.set ?? []) as any[]) {
    const k = String(h?.name ?? '').toLowerCase();
    out = out.filter(([x]) => x !== k);
    out.push([k, String(h?.value ?? '')]);
  }
  for (const h of (mod.add ?? []) as any[]) out.push([String(h?.name ?? '').toLowerCase(), String(h?.value ?? '')]);
  return out;
}

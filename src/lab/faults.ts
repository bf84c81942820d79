// Lab faults (docs/LAB.md, "Faults"): API latency, API error rate, watch/follow streams cut every N seconds,
// forced 410 Expired, API server restart, RBAC denials with the real Forbidden Status, flapping pod readiness
// and controller log floods. Set at start (flags) and live through one control surface, the ConfigMap
// kube-system/netpath-lab-faults, whose data keys mirror FaultSpec.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Lab } from './lab.ts';
import type { RequestInfo } from './apiserver/server.ts';
import { RESOURCES, type ResourceDef } from './resources.ts';
import type { KObject } from './types.ts';
import { ApiError } from './store/errors.ts';
import { fromMap, type LabelSelector, matchesLabels, parseLabelSelector } from './store/selectors.ts';

export interface FaultSpec {
  /** Every API request waits this long (±20% jitter). */
  apiLatencyMs?: number;
  /** 0..1: that share of API requests fails as the apiserver fails them when etcd times out (500, "etcdserver: request timed out"). */
  apiErrorRate?: number;
  /** Every open watch or log-follow stream is ended this many seconds after it opened. */
  watchDropSeconds?: number;
  /** One-shot: compact the watch history now (resumes from older resourceVersions get 410 Expired) and end open watches. */
  expire?: boolean;
  /** RBAC denials: `[NAMESPACE/]RESOURCE[.GROUP][/SUBRESOURCE]:VERB[,VERB]`, e.g. `secrets:get`, `pods/log:get`, `pods:list,watch`, `*:delete`, `shop/secrets:get`. */
  forbid?: string[];
  /** Pods matching flapSelector toggle readiness every this many seconds. */
  flapSeconds?: number;
  /** `[NAMESPACE/]LABEL_SELECTOR`; empty: the pods behind every Ingress and HTTPRoute backend Service. */
  flapSelector?: string;
  /** Access-log lines per second written to each matching pod's log. */
  logFloodLinesPerSecond?: number;
  /** `[NAMESPACE/]LABEL_SELECTOR`; empty: the ingress-nginx controller pods. */
  logFloodSelector?: string;
}

/** The control surface. */
export const FAULTS_CONFIGMAP_NAMESPACE = 'kube-system';
export const FAULTS_CONFIGMAP_NAME = 'netpath-lab-faults';
/** The user the lab's kubeconfig authenticates as (RBAC messages name it). */
export const LAB_USER = 'netpath-lab';
/** The annotation the kubelet reads for flapping readiness (docs/LAB.md, "Lab conventions"). */
export const FLAP_ANNOTATION = 'lab.netpath.dev/flap';

/** ConfigMap keys that are one-shot triggers: a new non-empty value fires them. */
export const TRIGGER_KEYS = ['expire', 'restartApiServer'] as const;
type TriggerKey = (typeof TRIGGER_KEYS)[number];

const SPEC_KEYS = [
  'apiLatencyMs',
  'apiErrorRate',
  'watchDropSeconds',
  'forbid',
  'flapSeconds',
  'flapSelector',
  'logFloodLinesPerSecond',
  'logFloodSelector',
] as const;
type SpecKey = (typeof SPEC_KEYS)[number];

/** A fault value that cannot be used; the message names the key and says what is expected. */
export class FaultSpecError extends Error {}

// ─── value parsing ──────────────────────────────────────────────────────────────────────────────────────

function num(key: string, raw: string | number, what: string, ok: (n: number) => boolean): number {
  const s = String(raw).trim();
  const n = typeof raw === 'number' ? raw : /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || !ok(n)) throw new FaultSpecError(`${key}: "${s}" is not ${what}`);
  return n;
}

/**
 * Parses one FaultSpec value given as text (a flag or a ConfigMap value). An empty value means "off" and
 * gives undefined.
 */
export function parseFaultValue<K extends SpecKey>(key: K, raw: string | number | string[] | undefined): FaultSpec[K] {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && raw.trim() === '') return undefined;
  switch (key) {
    case 'apiLatencyMs':
      return num(key, raw as string, 'a number of milliseconds between 0 and 120000', (n) => n >= 0 && n <= 120_000) as FaultSpec[K];
    case 'apiErrorRate':
      return num(key, raw as string, 'a number between 0 and 1', (n) => n >= 0 && n <= 1) as FaultSpec[K];
    case 'watchDropSeconds':
    case 'flapSeconds':
      return num(key, raw as string, 'a number of seconds greater than 0', (n) => n > 0 && n <= 86_400) as FaultSpec[K];
    case 'logFloodLinesPerSecond':
      return num(key, raw as string, 'a whole number of lines per second between 1 and 1000000', (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000) as FaultSpec[K];
    case 'flapSelector':
    case 'logFloodSelector': {
      const s = String(raw).trim();
      parsePodTarget(s, key);
      return s as FaultSpec[K];
    }
    case 'forbid': {
      const rules = parseForbidRules(raw as string | string[]);
      return (rules.length ? rules.map((r) => formatForbidRules([r])) : undefined) as FaultSpec[K];
    }
  }
  throw new FaultSpecError(`unknown fault "${key}"`);
}

/** Checks and normalises a whole FaultSpec (forbid: one canonical rule per entry; zero values dropped). */
export function normalizeFaultSpec(spec: FaultSpec): FaultSpec {
  const out: FaultSpec = {};
  for (const k of Object.keys(spec) as (keyof FaultSpec)[]) {
    if (k !== 'expire' && !(SPEC_KEYS as readonly string[]).includes(k)) throw new FaultSpecError(`unknown fault "${k}"`);
  }
  for (const k of SPEC_KEYS) {
    const v = spec[k];
    if (v === undefined || v === null) continue;
    if (k === 'forbid' && !Array.isArray(v) && typeof v !== 'string') throw new FaultSpecError('forbid: must be a list of rules');
    const parsed = parseFaultValue(k, v as string);
    if (parsed === undefined || parsed === 0) continue;
    (out as Record<string, unknown>)[k] = parsed;
  }
  return out;
}

/** The ConfigMap data for a spec: every key present (empty = off) so the surface shows what it offers. */
export function faultSpecToData(spec: FaultSpec, triggers: Partial<Record<TriggerKey, string>> = {}): Record<string, string> {
  const data: Record<string, string> = {};
  for (const k of SPEC_KEYS) {
    const v = spec[k];
    data[k] = v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v);
  }
  for (const k of TRIGGER_KEYS) data[k] = triggers[k] ?? '';
  return data;
}

/** Reads a ConfigMap's data: the spec it asks for and its trigger values. Unknown keys and bad values throw. */
export function faultSpecFromData(data: Record<string, string> | undefined): { spec: FaultSpec; triggers: Partial<Record<TriggerKey, string>> } {
  const spec: FaultSpec = {};
  const triggers: Partial<Record<TriggerKey, string>> = {};
  const errors: string[] = [];
  for (const [k, raw] of Object.entries(data ?? {})) {
    if ((TRIGGER_KEYS as readonly string[]).includes(k)) {
      if (raw.trim()) triggers[k as TriggerKey] = raw.trim();
      continue;
    }
    if (!(SPEC_KEYS as readonly string[]).includes(k)) {
      errors.push(`unknown key "${k}" (known: ${[...SPEC_KEYS, ...TRIGGER_KEYS].join(', ')})`);
      continue;
    }
    try {
      const v = parseFaultValue(k as SpecKey, raw);
      if (v !== undefined) (spec as Record<string, unknown>)[k] = v;
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new FaultSpecError(errors.join('; '));
  return { spec: normalizeFaultSpec(spec), triggers };
}

/** One line naming the active faults, for Events and logs. */
export function describeFaults(spec: FaultSpec): string {
  const parts: string[] = [];
  for (const k of SPEC_KEYS) {
    const v = spec[k];
    if (v !== undefined) parts.push(`${k}=${Array.isArray(v) ? v.join(',') : v}`);
  }
  return parts.length ? parts.join(' ') : 'none';
}

// ─── pod targets ("[NAMESPACE/]SELECTOR") ───────────────────────────────────────────────────────────────

export interface PodTarget {
  namespace?: string;
  selector: LabelSelector;
  /** True when neither a namespace nor a selector was given (the fault's default set applies). */
  isDefault: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * `shop/app=web`, `app=web`, `shop/`, ``. A prefix before the first `/` is a namespace when it is a DNS label
 * (namespaces have no dots); otherwise the `/` belongs to a label key (`app.kubernetes.io/name=web`).
 */
export function parsePodTarget(raw: string, key = 'selector'): PodTarget {
  const s = raw.trim();
  let namespace: string | undefined;
  let sel = s;
  const slash = s.indexOf('/');
  if (slash >= 0 && DNS_LABEL.test(s.slice(0, slash)) && !/[=!,()\s]/.test(s.slice(0, slash))) {
    namespace = s.slice(0, slash);
    sel = s.slice(slash + 1);
  }
  let selector: LabelSelector;
  try {
    selector = parseLabelSelector(sel);
  } catch (e) {
    throw new FaultSpecError(`${key}: "${s}" is not [NAMESPACE/]LABEL_SELECTOR: ${(e as Error).message}`);
  }
  return { namespace, selector, isDefault: !namespace && selector.length === 0 };
}

function targetMatches(t: PodTarget, pod: KObject): boolean {
  if (t.namespace && pod.metadata.namespace !== t.namespace) return false;
  return matchesLabels(t.selector, pod.metadata.labels);
}

// ─── RBAC denials ───────────────────────────────────────────────────────────────────────────────────────

export interface ForbidRule {
  namespace?: string;
  /** Plural resource or `*`. */
  resource: string;
  /** API group when the rule names one (`deployments.apps`); any group otherwise. */
  group?: string;
  subresource?: string;
  verbs: string[];
}

export const FORBID_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*'] as const;

const KNOWN_SUBRESOURCES = new Set<string>([
  ...RESOURCES.flatMap((d) => d.subresources ?? []),
  'status', 'log', 'exec', 'attach', 'portforward', 'proxy', 'scale', 'binding', 'eviction', 'ephemeralcontainers',
  'finalize', 'token', 'approval', 'resize',
]);

const RESOURCE_RE = /^(\*|[a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Parses denial rules. Rules are separated by commas, spaces, semicolons or newlines; a bare verb after a rule
 * adds to that rule's verbs, so `pods:list,watch,secrets:get` is two rules. `A/B` is RESOURCE/SUBRESOURCE when
 * A is `*` (B of every resource) or B is a subresource the API serves (`pods/log`), NAMESPACE/RESOURCE otherwise.
 * Matching follows RBAC: `pods` does not cover `pods/log`; `*` covers everything.
 */
export function parseForbidRules(input: string | readonly string[]): ForbidRule[] {
  const tokens = (typeof input === 'string' ? [input] : input).flatMap((s) => s.split(/[\s,;]+/)).filter(Boolean);
  const rules: ForbidRule[] = [];
  const verb = (v: string, rule: string): string => {
    const lv = v.toLowerCase();
    if (!(FORBID_VERBS as readonly string[]).includes(lv))
      throw new FaultSpecError(`forbid: "${rule}": unknown verb "${v}" (one of ${FORBID_VERBS.join(', ')})`);
    return lv;
  };
  for (const tok of tokens) {
    const colon = tok.indexOf(':');
    if (colon < 0) {
      const last = rules.at(-1);
      if (!last || !(FORBID_VERBS as readonly string[]).includes(tok.toLowerCase()))
        throw new FaultSpecError(`forbid: "${tok}" is not a rule ([NAMESPACE/]RESOURCE[/SUBRESOURCE]:VERB[,VERB])`);
      const v = verb(tok, tok);
      if (!last.verbs.includes(v)) last.verbs.push(v);
      continue;
    }
    const target = tok.slice(0, colon).toLowerCase();
    const v = tok.slice(colon + 1);
    if (!v) throw new FaultSpecError(`forbid: "${tok}" names no verb`);
    const parts = target.split('/');
    let namespace: string | undefined;
    let res: string;
    let sub: string | undefined;
    if (parts.length === 1) res = parts[0]!;
    else if (parts.length === 2) {
      if (parts[0] === '*' || KNOWN_SUBRESOURCES.has(parts[1]!)) [res, sub] = [parts[0]!, parts[1]!];
      else [namespace, res] = [parts[0]!, parts[1]!];
    } else if (parts.length === 3) [namespace, res, sub] = [parts[0]!, parts[1]!, parts[2]!];
    else throw new FaultSpecError(`forbid: "${tok}" has too many "/"`);
    if (namespace !== undefined && !DNS_LABEL.test(namespace)) throw new FaultSpecError(`forbid: "${tok}": "${namespace}" is not a namespace name`);
    if (!RESOURCE_RE.test(res)) throw new FaultSpecError(`forbid: "${tok}": "${res}" is not a resource`);
    if (sub !== undefined && !/^[a-z0-9]+$/.test(sub)) throw new FaultSpecError(`forbid: "${tok}": "${sub}" is not a subresource`);
    let group: string | undefined;
    const dot = res.indexOf('.');
    if (dot > 0) [res, group] = [res.slice(0, dot), res.slice(dot + 1)];
    rules.push({ ...(namespace ? { namespace } : {}), resource: res, ...(group !== undefined ? { group } : {}), ...(sub ? { subresource: sub } : {}), verbs: [verb(v, tok)] });
  }
  return rules;
}

/** The canonical text of rules (`shop/secrets:get,pods:list,watch`), as the ConfigMap shows them. */
export function formatForbidRules(rules: readonly ForbidRule[]): string {
  return rules
    .map((r) => `${r.namespace ? r.namespace + '/' : ''}${r.resource}${r.group !== undefined ? '.' + r.group : ''}${r.subresource ? '/' + r.subresource : ''}:${r.verbs.join(',')}`)
    .join(',');
}

/** Whether a denial rule covers a request (RBAC's resource, subresource and verb matching). */
export function forbidMatches(rule: ForbidRule, info: Pick<RequestInfo, 'verb' | 'def' | 'namespace' | 'subresource'>): boolean {
  if (!rule.verbs.includes('*') && !rule.verbs.includes(info.verb)) return false;
  if (rule.namespace !== undefined && (info.namespace ?? '') !== rule.namespace) return false;
  if (rule.group !== undefined && info.def.group !== rule.group) return false;
  const ruleRes = rule.subresource ? `${rule.resource}/${rule.subresource}` : rule.resource;
  if (ruleRes === '*') return true;
  const requested = info.subresource ? `${info.def.plural}/${info.subresource}` : info.def.plural;
  if (ruleRes === requested) return true;
  return !!info.subresource && ruleRes === `*/${info.subresource}`;
}

/**
 * The Status the apiserver sends when RBAC denies a request (responsewriters.Forbidden → apierrors.NewForbidden):
 * `pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "shop"`.
 */
export function forbiddenError(info: Pick<RequestInfo, 'verb' | 'def' | 'namespace' | 'name' | 'subresource'>, user = LAB_USER): ApiError {
  const { def } = info;
  const resource = info.subresource ? `${def.plural}/${info.subresource}` : def.plural;
  const scope = info.namespace ? `in the namespace "${info.namespace}"` : 'at the cluster scope';
  const reason = `User "${user}" cannot ${info.verb} resource "${resource}" in API group "${def.group}" ${scope}`;
  const qualified = def.group ? `${def.plural}.${def.group}` : def.plural;
  // create requests carry no name at the authorizer (the object is in the body)
  const name = info.verb === 'create' && !info.subresource ? undefined : info.name;
  const message = name ? `${qualified} "${name}" is forbidden: ${reason}` : `${qualified} is forbidden: ${reason}`;
  return new ApiError(403, 'Forbidden', message, { ...(name ? { name } : {}), ...(def.group ? { group: def.group } : {}), kind: def.plural });
}

/**
 * A storage error the apiserver did not convert to an API status: code 500 and no reason, which kubectl prints as
 * `Error from server: etcdserver: request timed out`.
 */
class StorageError extends ApiError {
  override toStatus(): Record<string, unknown> {
    const s = super.toStatus();
    delete s.reason;
    return s;
  }
}

export function etcdTimeoutError(): ApiError {
  return new StorageError(500, '', 'etcdserver: request timed out');
}

function isControlSurface(info: Pick<RequestInfo, 'def' | 'namespace' | 'name'>): boolean {
  return info.def.group === '' && info.def.plural === 'configmaps' && info.namespace === FAULTS_CONFIGMAP_NAMESPACE && info.name === FAULTS_CONFIGMAP_NAME;
}

// ─── access-log lines (ingress-nginx upstreaminfo) ──────────────────────────────────────────────────────

/** One place a controller routes to, as the flood's lines name it. */
export interface FloodRoute {
  host: string;
  /** A path the route matches (`/`, `/api`). */
  path: string;
  exact?: boolean;
  /** `$proxy_upstream_name`: `NAMESPACE-SERVICE-PORT`. */
  upstream: string;
  /** Ready endpoints, `ip:port`. */
  addrs: string[];
  tls?: boolean;
}

export interface AccessLine {
  remoteAddr: string;
  time: string;
  method: string;
  path: string;
  protocol: string;
  status: number;
  bytesSent: number;
  referer: string;
  userAgent: string;
  requestLength: number;
  requestTime: string;
  upstream: string;
  alternativeUpstream?: string;
  upstreamAddr: string;
  upstreamResponseLength: string;
  upstreamResponseTime: string;
  upstreamStatus: string;
  reqId: string;
}

/** ingress-nginx's default `upstreaminfo` log_format. */
export function formatUpstreamInfo(l: AccessLine): string {
  return (
    `${l.remoteAddr} - - [${l.time}] "${l.method} ${l.path} ${l.protocol}" ${l.status} ${l.bytesSent} "${l.referer}" "${l.userAgent}" ` +
    `${l.requestLength} ${l.requestTime} [${l.upstream}] [${l.alternativeUpstream ?? ''}] ${l.upstreamAddr} ${l.upstreamResponseLength} ` +
    `${l.upstreamResponseTime} ${l.upstreamStatus} ${l.reqId}`
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => (n < 10 ? '0' + n : String(n));

/** nginx's `$time_local` in UTC: `07/Feb/2020:11:48:51 +0000`. */
export function timeLocal(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'python-requests/2.32.3',
  'okhttp/4.12.0',
];
const ROOT_SUFFIXES = ['', '', '', 'index.html', 'api/v1/items', 'api/v1/items/42', 'api/v1/cart', 'static/js/main.4f2a1c.js', 'static/css/main.css', 'images/logo.png', 'favicon.ico', 'login', 'products/1234', 'search?q=shoes'];
const SUB_SUFFIXES = ['', '', 'v1/items', 'v1/items/42', 'v1/cart', 'v2/orders/1001', 'status', 'search?q=shoes'];
/** The default backend ingress-nginx serves unmatched hosts from (the controller itself). */
export const DEFAULT_BACKEND: FloodRoute = { host: '_', path: '/', upstream: 'upstream-default-backend', addrs: ['127.0.0.1:8181'] };

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!;
const secs = (s: number) => s.toFixed(3);

/**
 * A realistic access line for a request through `route` (the default backend's 404 when undefined): mostly
 * 200s, some redirects, 304s, 4xx, upstream 5xx, 502s after a retry, 504s after proxy-read-timeout (60 s), and
 * 503 `- - - -` when the upstream has no ready endpoint. Client addresses are from the documentation ranges
 * (TEST-NET-1/2/3), so flood lines are told from real lab traffic at a glance.
 */
export function accessLine(route: FloodRoute | undefined, r: () => number, time: string, reqId: string): AccessLine {
  const remoteAddr = `${pick(['192.0.2', '198.51.100', '203.0.113'], r)}.${1 + Math.floor(r() * 254)}`;
  const ua = pick(USER_AGENTS, r);
  const browser = ua.startsWith('Mozilla');
  const protocol = route?.tls && browser ? 'HTTP/2.0' : 'HTTP/1.1';
  const base = { remoteAddr, time, protocol, userAgent: ua, reqId };
  if (!route || route === DEFAULT_BACKEND) {
    const t = secs(r() * 0.001);
    return {
      ...base, method: 'GET', path: pick(['/', '/favicon.ico', '/robots.txt', '/.env', '/wp-login.php'], r), status: 404, bytesSent: 548,
      referer: '-', requestLength: 70 + Math.floor(r() * 400), requestTime: t, upstream: DEFAULT_BACKEND.upstream,
      upstreamAddr: DEFAULT_BACKEND.addrs[0]!, upstreamResponseLength: '548', upstreamResponseTime: t, upstreamStatus: '404',
    };
  }
  let path = route.path || '/';
  if (!route.exact) {
    const suffix = pick(path === '/' ? ROOT_SUFFIXES : SUB_SUFFIXES, r);
    if (suffix) path = path.endsWith('/') ? path + suffix : `${path}/${suffix}`;
  }
  const x = r();
  const method = x < 0.82 ? 'GET' : x < 0.94 ? 'POST' : x < 0.97 ? 'PUT' : x < 0.99 ? 'DELETE' : 'HEAD';
  const requestLength = (method === 'POST' || method === 'PUT' ? 300 : 60) + Math.floor(r() * 500);
  const referer = browser && r() < 0.4 ? `https://${route.host === '_' ? 'localhost' : route.host}/` : '-';
  const addr = () => pick(route.addrs, r);
  const common = { ...base, method, path, referer, requestLength, upstream: route.upstream };
  if (!route.addrs.length) {
    return { ...common, status: 503, bytesSent: 592, requestTime: '0.000', upstreamAddr: '-', upstreamResponseLength: '-', upstreamResponseTime: '-', upstreamStatus: '-' };
  }
  const s = r();
  if (s < 0.01 && method === 'GET') {
    // connection refused by every upstream tried (proxy_next_upstream error timeout, 3 tries)
    const tried = [...new Set([addr(), addr(), addr()])];
    return {
      ...common, status: 502, bytesSent: 552, requestTime: '0.000', upstreamAddr: tried.join(', '),
      upstreamResponseLength: tried.map(() => '0').join(', '), upstreamResponseTime: tried.map(() => '0.000').join(', '),
      upstreamStatus: tried.map(() => '502').join(', '),
    };
  }
  if (s < 0.015) {
    const t = 60 + r() * 0.004;
    return {
      ...common, status: 504, bytesSent: 562, requestTime: secs(t + 0.001), upstreamAddr: addr(), upstreamResponseLength: '0',
      upstreamResponseTime: secs(t), upstreamStatus: '504',
    };
  }
  // the upstream answered
  const u = r();
  const status = method === 'POST' && u < 0.9 ? (u < 0.3 ? 201 : 200)
    : u < 0.84 ? 200 : u < 0.89 ? 304 : u < 0.91 ? 302 : u < 0.95 ? 404 : u < 0.97 ? 401 : u < 0.98 ? 400 : u < 0.995 ? 500 : 503;
  const upTime = status === 304 ? r() * 0.004 : Math.min(2.5, -Math.log(1 - r()) * 0.03 + 0.001);
  const bytes =
    status === 304 || status === 302 || method === 'HEAD' ? 0
    : status >= 400 ? 20 + Math.floor(r() * 200)
    : method === 'GET' ? 150 + Math.floor(r() * 30_000)
    : method === 'DELETE' ? Math.floor(r() * 200)
    : 20 + Math.floor(r() * 2_000);
  return {
    ...common, status, bytesSent: bytes, requestTime: secs(upTime + r() * 0.002), upstreamAddr: addr(),
    upstreamResponseLength: String(bytes), upstreamResponseTime: secs(upTime), upstreamStatus: String(status),
  };
}

/** Everything a controller pod routes to, from the cluster's Ingresses, Services and EndpointSlices. */
export function floodRoutes(lab: Pick<Lab, 'store' | 'registry'>, pod: KObject): FloodRoute[] {
  const { store, registry } = lab;
  const cls = ingressNginxClasses(pod);
  const classes = new Set<string>();
  if (cls) {
    classes.add(cls.ingressClass);
    for (const ic of store.list(registry.type('networking.k8s.io', 'ingressclasses'))) {
      if (ic.spec?.controller === cls.controllerClass) classes.add(ic.metadata.name!);
    }
  }
  const svcDef = registry.type('', 'services');
  const sliceDef = registry.type('discovery.k8s.io', 'endpointslices');
  const addrCache = new Map<string, string[]>();
  const addrsOf = (ns: string, svcName: string, port: { number?: number; name?: string } | undefined): string[] => {
    const key = `${ns}/${svcName}/${port?.number ?? port?.name}`;
    const hit = addrCache.get(key);
    if (hit) return hit;
    const svc = store.get(svcDef, ns, svcName);
    const sp = (svc?.spec?.ports ?? []).find((p: any) => (port?.number !== undefined ? p.port === port.number : p.name === port?.name));
    const out: string[] = [];
    if (sp) {
      const slices = store.list(sliceDef, ns, { labelSelector: [{ key: 'kubernetes.io/service-name', op: 'in', values: [svcName] }] });
      for (const sl of slices) {
        const slPort = (sl.ports ?? []).find((p: any) => (p.name ?? '') === (sp.name ?? ''));
        const portNum = slPort?.port ?? (typeof sp.targetPort === 'number' ? sp.targetPort : undefined);
        if (portNum === undefined) continue;
        for (const ep of sl.endpoints ?? []) {
          if (ep.conditions?.ready === false) continue;
          for (const a of (ep.addresses ?? []).slice(0, 1)) out.push(sl.addressType === 'IPv6' ? `[${a}]:${portNum}` : `${a}:${portNum}`);
        }
      }
    }
    addrCache.set(key, out);
    return out;
  };
  const routes: FloodRoute[] = [];
  for (const ing of store.list(registry.type('networking.k8s.io', 'ingresses'))) {
    const ingClass = ing.spec?.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
    if (cls && !classes.has(ingClass)) continue;
    const ns = ing.metadata.namespace!;
    const tlsHosts = new Set<string>((ing.spec?.tls ?? []).flatMap((t: any) => t.hosts ?? []));
    const backend = (b: any) => {
      const svc = b?.service;
      if (!svc?.name) return undefined;
      const port = svc.port ?? {};
      return { upstream: `${ns}-${svc.name}-${port.number ?? port.name ?? ''}`, addrs: addrsOf(ns, svc.name, port) };
    };
    for (const rule of ing.spec?.rules ?? []) {
      const host = rule.host ?? '_';
      for (const p of rule.http?.paths ?? []) {
        const b = backend(p.backend);
        if (!b) continue;
        const raw: string = p.path ?? '/';
        const path = /[()[\]{}*+?^$|\\]/.test(raw) ? '/' : raw;
        routes.push({ host, path, exact: p.pathType === 'Exact', ...b, tls: tlsHosts.has(host) });
      }
    }
    const d = backend(ing.spec?.defaultBackend);
    if (d) routes.push({ host: '_', path: '/', ...d });
  }
  return routes;
}

/** The class flags of an ingress-nginx controller pod (recognised by its image or args), or undefined. */
export function ingressNginxClasses(pod: KObject): { ingressClass: string; controllerClass: string; container: string } | undefined {
  for (const c of pod.spec?.containers ?? []) {
    const args: string[] = [...(c.command ?? []), ...(c.args ?? [])];
    const isNginx = /ingress-nginx\/controller|nginx-ingress-controller/.test(c.image ?? '') || args.some((a) => /\/nginx-ingress-controller$/.test(a));
    if (!isNginx) continue;
    const arg = (n: string) => args.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
    return { ingressClass: arg('ingress-class') ?? 'nginx', controllerClass: arg('controller-class') ?? 'k8s.io/ingress-nginx', container: c.name };
  }
  return undefined;
}

// ─── the faults ─────────────────────────────────────────────────────────────────────────────────────────

const FLOOD_TICK_MS = 50;
/** A flood that fell behind (a stalled event loop) catches up at most this much. */
const FLOOD_MAX_CATCHUP_MS = 2_000;
const RESCAN_MS = 250;
const STREAM_POLL_MS = 100;
/** A restart asked for through the ConfigMap waits this long, so the write that asked for it gets its answer. */
const RESTART_DELAY_MS = 100;

interface FloodTarget {
  uid: string;
  ns: string;
  name: string;
  container: string;
  /** The rate runs from t0 (when the pod became a target or the rate changed), when `sent` was sentAtT0. */
  t0: number;
  sentAtT0: number;
  rate: number;
  sent: number;
  routes: FloodRoute[];
}

interface Flapped {
  ns: string;
  name: string;
  /** The annotation's value before the fault set it. */
  previous?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function isWatchStream(res: ServerResponse): boolean {
  const url = res.req?.url ?? '';
  return /[?&]watch=(true|1)(&|$)/.test(url) || url.includes('/watch/');
}

/**
 * Ends a streaming response the way a server-side timeout does (the chunked body terminates cleanly). The
 * handlers that write to it stop on its 'close'; until then their writes are dropped.
 */
function endStream(res: ServerResponse): void {
  if (res.writableEnded || res.destroyed) return;
  res.write = (() => true) as typeof res.write;
  res.end();
}

export class Faults {
  private readonly lab: Lab;
  private spec: FaultSpec = {};
  private rules: ForbidRule[] = [];
  private started = false;
  private unsubscribe?: () => void;
  private timers = new Set<NodeJS.Timeout>();
  private lastTriggers: Partial<Record<TriggerKey, string>> = {};
  private cmCheckScheduled = false;
  /** Resource version of the ConfigMap the lab last wrote or read, so its own writes are not re-read. */
  private cmSeenRV?: string;

  // streams
  private streamTimer?: NodeJS.Timeout;
  private streamSeen = new WeakMap<ServerResponse, number>();

  // flapping
  private flapped = new Map<string, Flapped>();
  private flapScanScheduled = false;
  private flapPredicate?: (pod: KObject) => boolean;

  // flood
  private floodTimer?: NodeJS.Timeout;
  private flood = new Map<string, FloodTarget>();
  private floodDirty = true;
  private floodRoutesDirty = true;
  private lastFloodScan = 0;

  /** API server restarts so far (the fault and the ConfigMap trigger). */
  restarts = 0;

  /** An expire asked for before start(). */
  private pendingExpire = false;

  constructor(lab: Lab, spec: FaultSpec) {
    this.lab = lab;
    this.applySpec(normalizeFaultSpec(spec));
    if (spec.expire) this.pendingExpire = true;
  }

  // ── the API server hook ──

  /** Runs before every authenticated resource request: latency, then RBAC denials, then storage errors. */
  async intercept(info: RequestInfo): Promise<void> {
    if (isControlSurface(info)) return;
    const { apiLatencyMs, apiErrorRate } = this.spec;
    if (apiLatencyMs) await sleep(apiLatencyMs * (0.8 + Math.random() * 0.4));
    for (const r of this.rules) if (forbidMatches(r, info)) throw forbiddenError(info);
    if (apiErrorRate && Math.random() < apiErrorRate) throw etcdTimeoutError();
  }

  // ── life cycle ──

  /** After the API server listens: the ConfigMap (created, or adopted with the start spec on top), timers. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const def = this.cmDef();
    const existing = this.lab.store.get(def, FAULTS_CONFIGMAP_NAMESPACE, FAULTS_CONFIGMAP_NAME);
    if (existing) {
      try {
        const { spec, triggers } = faultSpecFromData(existing.data);
        this.lastTriggers = triggers;
        this.applySpec(normalizeFaultSpec({ ...spec, ...this.spec }));
      } catch (e) {
        this.warn(existing, e as Error);
      }
    }
    this.writeConfigMap();
    this.unsubscribe = this.lab.store.subscribe((ev, d) => this.onStoreEvent(ev.type, ev.object, d));
    if (this.pendingExpire) {
      this.pendingExpire = false;
      this.expire();
    }
    this.reconcile();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.streamTimer) clearInterval(this.streamTimer);
    if (this.floodTimer) clearInterval(this.floodTimer);
    this.streamTimer = this.floodTimer = undefined;
  }

  /** Replaces the active faults (throws FaultSpecError on a bad value; nothing changes then). */
  set(spec: FaultSpec): void {
    const next = normalizeFaultSpec(spec);
    this.applySpec(next);
    if (spec.expire) {
      if (this.started) this.expire();
      else this.pendingExpire = true;
    }
    if (this.started) {
      this.writeConfigMap();
      this.reconcile();
    }
  }

  /** The active faults (without the one-shot expire). */
  current(): FaultSpec {
    return structuredClone(this.spec);
  }

  /** All connections closed, watches and follows included; the listener and the cluster state stay. */
  restartApiServer(): void {
    this.restarts++;
    this.lab.api?.dropConnections();
  }

  /** Compacts the watch history (resumes from an older resourceVersion get 410 Expired) and ends open watches. */
  expire(): void {
    this.lab.store.compact();
    for (const res of [...(this.lab.api?.streams ?? [])]) if (isWatchStream(res)) endStream(res);
  }

  private applySpec(spec: FaultSpec): void {
    this.spec = spec;
    this.rules = spec.forbid ? parseForbidRules(spec.forbid) : [];
    this.floodDirty = this.floodRoutesDirty = true;
  }

  // ── the ConfigMap ──

  private cmDef(): ResourceDef {
    return this.lab.registry.type('', 'configmaps');
  }

  private writeConfigMap(): void {
    const def = this.cmDef();
    const data = faultSpecToData(this.spec, this.lastTriggers);
    const cur = this.lab.store.get(def, FAULTS_CONFIGMAP_NAMESPACE, FAULTS_CONFIGMAP_NAME);
    let out: KObject | undefined;
    if (!cur) {
      out = this.lab.api.applyObject({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: FAULTS_CONFIGMAP_NAME,
          namespace: FAULTS_CONFIGMAP_NAMESPACE,
          labels: { 'app.kubernetes.io/managed-by': 'netpath-lab' },
          annotations: { 'lab.netpath.dev/description': 'Lab faults (docs/LAB.md, "Faults"). Edit data to change them live; empty = off.' },
        },
        data,
      });
    } else {
      out = this.lab.store.mutate(def, FAULTS_CONFIGMAP_NAMESPACE, FAULTS_CONFIGMAP_NAME, (cm) => {
        cm.data = data;
      });
    }
    this.cmSeenRV = out?.metadata.resourceVersion;
  }

  private warn(cm: KObject, e: Error): void {
    this.lab.controllers?.ctx.event(cm, 'Warning', 'InvalidFaults', `${e.message}; keeping the previous faults (${describeFaults(this.spec)})`, 'netpath-lab');
  }

  /** Reads the ConfigMap after someone changed it: new faults, or a Warning Event and the previous ones. */
  private checkConfigMap(): void {
    if (!this.started) return;
    const def = this.cmDef();
    const cm = this.lab.store.get(def, FAULTS_CONFIGMAP_NAMESPACE, FAULTS_CONFIGMAP_NAME);
    if (!cm) {
      // deleted: no faults, and the surface comes back empty
      this.lastTriggers = {};
      this.applySpec({});
      if (this.lab.store.get(this.lab.registry.type('', 'namespaces'), undefined, FAULTS_CONFIGMAP_NAMESPACE)) this.writeConfigMap();
      this.reconcile();
      return;
    }
    if (cm.metadata.resourceVersion === this.cmSeenRV) return;
    this.cmSeenRV = cm.metadata.resourceVersion;
    let parsed: ReturnType<typeof faultSpecFromData>;
    try {
      parsed = faultSpecFromData(cm.data);
    } catch (e) {
      this.warn(cm, e as Error);
      return;
    }
    const fired = TRIGGER_KEYS.filter((k) => parsed.triggers[k] !== undefined && parsed.triggers[k] !== this.lastTriggers[k]);
    this.lastTriggers = parsed.triggers;
    const changed = JSON.stringify(parsed.spec) !== JSON.stringify(this.spec);
    if (changed) {
      this.applySpec(parsed.spec);
      this.lab.controllers?.ctx.event(cm, 'Normal', 'FaultsApplied', `Faults: ${describeFaults(this.spec)}`, 'netpath-lab');
      this.reconcile();
    }
    if (fired.includes('expire')) {
      this.expire();
      this.lab.controllers?.ctx.event(cm, 'Normal', 'FaultTriggered', `expire: watch history compacted; open watches ended`, 'netpath-lab');
    }
    if (fired.includes('restartApiServer')) {
      this.lab.controllers?.ctx.event(cm, 'Normal', 'FaultTriggered', 'restartApiServer: every API connection closed', 'netpath-lab');
      this.after(RESTART_DELAY_MS, () => this.restartApiServer());
    }
  }

  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.started) fn();
    }, ms);
    this.timers.add(t);
  }

  private onStoreEvent(type: string, obj: KObject, def: ResourceDef): void {
    if (def.group === '' && def.plural === 'configmaps') {
      if (obj.metadata.namespace === FAULTS_CONFIGMAP_NAMESPACE && obj.metadata.name === FAULTS_CONFIGMAP_NAME && !this.cmCheckScheduled) {
        this.cmCheckScheduled = true;
        setImmediate(() => {
          this.cmCheckScheduled = false;
          this.checkConfigMap();
        });
      }
      return;
    }
    const relevant =
      (def.group === '' && (def.plural === 'pods' || def.plural === 'services')) ||
      (def.group === 'networking.k8s.io' && (def.plural === 'ingresses' || def.plural === 'ingressclasses')) ||
      (def.group === 'discovery.k8s.io' && def.plural === 'endpointslices') ||
      (def.group === 'gateway.networking.k8s.io' && def.plural === 'httproutes');
    if (!relevant) return;
    if (this.spec.logFloodLinesPerSecond) {
      if (def.plural === 'pods') this.floodDirty = true;
      else this.floodRoutesDirty = true;
    }
    if (this.spec.flapSeconds) {
      // a new pod gets the annotation before its kubelet starts it; anything else is picked up by a rescan
      if (def.plural === 'pods' && type === 'ADDED' && this.flapPredicate?.(obj)) setImmediate(() => this.flapPod(obj.metadata.namespace!, obj.metadata.name!));
      this.scheduleFlapScan();
    }
  }

  // ── timers per fault ──

  private reconcile(): void {
    if (!this.started) return;
    if (this.spec.watchDropSeconds && !this.streamTimer) {
      this.streamTimer = setInterval(() => this.dropOldStreams(), STREAM_POLL_MS);
      this.streamTimer.unref?.();
    } else if (!this.spec.watchDropSeconds && this.streamTimer) {
      clearInterval(this.streamTimer);
      this.streamTimer = undefined;
    }
    if (this.spec.logFloodLinesPerSecond && !this.floodTimer) {
      this.floodTimer = setInterval(() => this.floodTick(), FLOOD_TICK_MS);
      this.floodTimer.unref?.();
    } else if (!this.spec.logFloodLinesPerSecond && this.floodTimer) {
      clearInterval(this.floodTimer);
      this.floodTimer = undefined;
      this.flood.clear();
    }
    this.flapScan();
  }

  private dropOldStreams(): void {
    const limit = (this.spec.watchDropSeconds ?? 0) * 1000;
    if (!limit) return;
    const now = Date.now();
    for (const res of this.lab.api?.streams ?? []) {
      const seen = this.streamSeen.get(res);
      if (seen === undefined) this.streamSeen.set(res, now);
      else if (now - seen >= limit) endStream(res);
    }
  }

  // ── flapping ──

  private scheduleFlapScan(): void {
    if (this.flapScanScheduled) return;
    this.flapScanScheduled = true;
    this.after(RESCAN_MS, () => {
      this.flapScanScheduled = false;
      this.flapScan();
    });
  }

  private defaultFlapPredicate(): (pod: KObject) => boolean {
    const { store, registry } = this.lab;
    const svcDef = registry.type('', 'services');
    const wanted = new Map<string, LabelSelector[]>(); // namespace → service selectors
    const addService = (ns: string, name: string) => {
      const svc = store.get(svcDef, ns, name);
      const sel = svc?.spec?.selector;
      if (!sel || !Object.keys(sel).length) return;
      const list = wanted.get(ns) ?? [];
      list.push(fromMap(sel));
      wanted.set(ns, list);
    };
    for (const ing of store.list(registry.type('networking.k8s.io', 'ingresses'))) {
      const ns = ing.metadata.namespace!;
      const backends = [ing.spec?.defaultBackend, ...(ing.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend))];
      for (const b of backends) if (b?.service?.name) addService(ns, b.service.name);
    }
    const routes = registry.forType('gateway.networking.k8s.io', 'httproutes');
    for (const rt of routes ? store.list(routes) : []) {
      for (const rule of rt.spec?.rules ?? []) {
        for (const ref of rule.backendRefs ?? []) {
          if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') continue;
          addService(ref.namespace ?? rt.metadata.namespace!, ref.name);
        }
      }
    }
    return (pod) => (wanted.get(pod.metadata.namespace!) ?? []).some((sel) => matchesLabels(sel, pod.metadata.labels));
  }

  private flapScan(): void {
    if (!this.started) return;
    const seconds = this.spec.flapSeconds;
    const podDef = this.lab.registry.type('', 'pods');
    const targets = new Set<string>();
    if (seconds) {
      const t = parsePodTarget(this.spec.flapSelector ?? '');
      this.flapPredicate = t.isDefault ? this.defaultFlapPredicate() : (pod) => targetMatches(t, pod);
      for (const pod of this.lab.store.list(podDef, t.namespace, { labelSelector: t.selector })) {
        if (pod.metadata.deletionTimestamp || ['Succeeded', 'Failed'].includes(pod.status?.phase)) continue;
        if (!this.flapPredicate(pod)) continue;
        targets.add(pod.metadata.uid!);
        this.flapPod(pod.metadata.namespace!, pod.metadata.name!);
      }
    } else this.flapPredicate = undefined;
    for (const [uid, f] of [...this.flapped]) {
      if (targets.has(uid)) continue;
      this.flapped.delete(uid);
      this.lab.store.mutate(podDef, f.ns, f.name, (p) => {
        if (p.metadata.uid !== uid) return;
        const ann = (p.metadata.annotations ??= {});
        if (f.previous === undefined) delete ann[FLAP_ANNOTATION];
        else ann[FLAP_ANNOTATION] = f.previous;
        if (!Object.keys(ann).length) delete p.metadata.annotations;
      });
    }
  }

  /** Sets the flap annotation on one pod (remembering the value it had). */
  private flapPod(ns: string, name: string): void {
    const seconds = this.spec.flapSeconds;
    if (!seconds || !this.started) return;
    const podDef = this.lab.registry.type('', 'pods');
    const pod = this.lab.store.get(podDef, ns, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const want = `${seconds}s`;
    const uid = pod.metadata.uid!;
    if (!this.flapped.has(uid)) this.flapped.set(uid, { ns, name, previous: pod.metadata.annotations?.[FLAP_ANNOTATION] });
    if (pod.metadata.annotations?.[FLAP_ANNOTATION] === want) return;
    this.lab.store.mutate(podDef, ns, name, (p) => {
      (p.metadata.annotations ??= {})[FLAP_ANNOTATION] = want;
    });
  }

  // ── log flood ──

  private scanFloodTargets(now: number): void {
    const rate = this.spec.logFloodLinesPerSecond;
    if (!rate) return;
    const { store, registry } = this.lab;
    const t = parsePodTarget(this.spec.logFloodSelector ?? '');
    const seen = new Set<string>();
    for (const pod of store.list(registry.type('', 'pods'), t.namespace, { labelSelector: t.selector })) {
      if (pod.metadata.deletionTimestamp) continue;
      let container: string | undefined;
      if (t.isDefault) container = ingressNginxClasses(pod)?.container;
      else container = pod.spec?.containers?.[0]?.name;
      if (!container) continue;
      const st = (pod.status?.containerStatuses ?? []).find((s: any) => s.name === container);
      if (!st?.state?.running) continue;
      const uid = pod.metadata.uid!;
      seen.add(uid);
      let target = this.flood.get(uid);
      if (!target || target.container !== container) {
        target = { uid, ns: pod.metadata.namespace!, name: pod.metadata.name!, container, t0: now, sentAtT0: 0, rate, sent: 0, routes: [] };
        this.flood.set(uid, target);
        this.floodRoutesDirty = true;
      }
    }
    for (const uid of [...this.flood.keys()]) if (!seen.has(uid)) this.flood.delete(uid);
  }

  private refreshRoutes(): void {
    const podDef = this.lab.registry.type('', 'pods');
    for (const t of this.flood.values()) {
      const pod = this.lab.store.get(podDef, t.ns, t.name);
      t.routes = pod ? floodRoutes(this.lab, pod) : [];
    }
  }

  private floodTick(): void {
    const rate = this.spec.logFloodLinesPerSecond;
    if (!rate || !this.started) return;
    const now = Date.now();
    if ((this.floodDirty || this.floodRoutesDirty) && now - this.lastFloodScan >= RESCAN_MS) {
      this.lastFloodScan = now;
      if (this.floodDirty) this.scanFloodTargets(now);
      if (this.floodRoutesDirty) this.refreshRoutes();
      this.floodDirty = this.floodRoutesDirty = false;
    }
    const time = timeLocal(now);
    const max = Math.ceil((rate * FLOOD_MAX_CATCHUP_MS) / 1000);
    for (const t of this.flood.values()) {
      if (t.rate !== rate) Object.assign(t, { rate, t0: now, sentAtT0: t.sent });
      let due = Math.floor(((now - t.t0) * rate) / 1000) - (t.sent - t.sentAtT0);
      if (due > max) {
        // fell behind by more than the catch-up window (a stalled event loop): drop the backlog, keep the rate
        Object.assign(t, { t0: now - FLOOD_MAX_CATCHUP_MS, sentAtT0: t.sent });
        due = max;
      }
      if (due <= 0) continue;
      t.sent += due;
      this.lab.logs.current(t.uid, t.container).write(floodLines(t.routes, due, time), now);
    }
  }

  /** Lines written so far by the flood, per pod `namespace/name` (exact; for tests and benchmarks). */
  floodCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.flood.values()) out[`${t.ns}/${t.name}`] = t.sent;
    return out;
  }
}

/** `n` access lines over `routes` (the default backend's 404s when there are none), joined by newlines. */
export function floodLines(routes: readonly FloodRoute[], n: number, time: string, r: () => number = Math.random): string {
  const ids = randomBytes(16 * n).toString('hex');
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    // 2% of requests hit no rule (scanners, typos) and get the default backend's 404
    const route = !routes.length || r() < 0.02 ? undefined : routes[Math.floor(r() * routes.length)];
    out[i] = formatUpstreamInfo(accessLine(route, r, time, ids.slice(i * 32, i * 32 + 32)));
  }
  return out.join('\n');
}

// Pure parsers for the log lines the live panes show: ingress-nginx's default `upstreaminfo` access line, nginx
// error lines, klog lines, Envoy (Gateway) JSON access lines, and a generic fallback (JSON `level`/`msg`, Common
// Log Format, level words). Input is one line that has ALREADY been sanitised (src/text/sanitize.ts); strings
// decoded from JSON are sanitised again, because a JSON escape (\u001b) can smuggle a control character in.
import type { LogFormat, ParsedLog, StatusClass } from '../state/types.ts';
import { sanitize } from '../text/sanitize.ts';

const FIELD_MAX = 512;
const clean = (v: unknown): string | undefined => {
  if (v === null || v === undefined || v === '' || v === '-') return undefined;
  const s = sanitize(typeof v === 'string' ? v : String(v), { max: FIELD_MAX });
  return s && s !== '-' ? s : undefined;
};

/** `2xx` for 200…299; undefined outside 100…599. */
export function statusClass(status: number | undefined): StatusClass | undefined {
  if (status === undefined || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  return `${Math.floor(status / 100)}xx` as StatusClass;
}

function withStatus(p: ParsedLog, status: number | undefined): ParsedLog {
  if (status !== undefined && Number.isFinite(status) && status > 0) {
    p.status = status;
    const c = statusClass(status);
    if (c) p.statusClass = c;
  }
  return p;
}

function splitRequest(req: string): { method?: string; path?: string } {
  const m = /^(\S+)\s+(\S+)(?:\s+\S+)?$/.exec(req.trim());
  if (!m) return {};
  return { method: m[1]!, path: m[2]! };
}

function secondsToMs(s: string | undefined): number | undefined {
  if (!s || s === '-') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000 * 1000) / 1000 : undefined;
}

// $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
// $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr
// $upstream_response_length $upstream_response_time $upstream_status $req_id
// (legacy: `$remote_addr - [$x_forwarded_for] - $remote_user …` and no alternative-upstream field)
const UPSTREAMINFO =
  /^(\S+) - (?:\[[^\]]*\] - )?(\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\d+|-) ([\d.]+|-) \[([^\]]*)\](?: \[([^\]]*)\])?(?: (.*))?$/;

/** One ingress-nginx `upstreaminfo` access line, or undefined. */
export function parseUpstreamInfo(line: string): ParsedLog | undefined {
  const m = UPSTREAMINFO.exec(line);
  if (!m) return undefined;
  const p: ParsedLog = { format: 'nginx-upstreaminfo' };
  const { method, path } = splitRequest(m[4]!);
  if (method) p.method = method;
  if (path) p.path = path;
  const lat = secondsToMs(m[10]);
  if (lat !== undefined) p.latencyMs = lat;
  // The line is already sanitised: fields cut from it need no second pass.
  const name = m[11];
  if (name && name !== '-') p.upstreamName = name.slice(0, FIELD_MAX);
  // The tail: lists are "a, b" — join them so the five fields split on spaces.
  const tail = (m[13] ?? '').replace(/,\s+/g, ',').trim().split(/\s+/);
  const addr = tail[0];
  if (addr && addr !== '-' && !/^-(,-)*$/.test(addr)) p.upstream = addr.replace(/,/g, ', ');
  return withStatus(p, Number(m[5]));
}

const NGINX_ERROR = /^(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}) \[(\w+)\] \d+#\d+: (?:\*\d+ )?(.*)$/;
const NGINX_LEVEL: Record<string, ParsedLog['level']> = {
  emerg: 'error', alert: 'error', crit: 'error', error: 'error', warn: 'warn', notice: 'info', info: 'info', debug: 'debug',
};

/** One nginx error-log line (`2024/01/02 03:04:05 [error] 7#7: *1 connect() failed … upstream: "http://…"`). */
export function parseNginxError(line: string): ParsedLog | undefined {
  const m = NGINX_ERROR.exec(line);
  if (!m) return undefined;
  const rest = m[3]!;
  const p: ParsedLog = { format: 'nginx-error', level: NGINX_LEVEL[m[2]!.toLowerCase()] ?? 'info' };
  const cut = rest.search(/, (?:client|server|request|upstream|host): /);
  p.message = (cut >= 0 ? rest.slice(0, cut) : rest).slice(0, FIELD_MAX);
  const field = (k: string) => new RegExp(`, ${k}: "((?:[^"\\\\]|\\\\.)*)"`).exec(rest)?.[1];
  const req = field('request');
  if (req) Object.assign(p, splitRequest(req));
  const host = field('host');
  if (host) p.host = host.replace(/:\d+$/, '');
  const up = field('upstream');
  if (up) {
    const u = /^[a-z]+:\/\/([^/]+)/i.exec(up);
    p.upstream = u ? u[1]! : up;
  }
  return p;
}

const KLOG = /^([IWEF])(\d{4} \d{2}:\d{2}:\d{2}\.\d+)\s+\d+ ([^\]]+)\] (.*)$/;

/** A klog line (`I1221 13:00:58.488494       7 controller.go:202] msg`). */
export function parseKlog(line: string): ParsedLog | undefined {
  const m = KLOG.exec(line);
  if (!m) return undefined;
  const level = m[1] === 'I' ? 'info' : m[1] === 'W' ? 'warn' : 'error';
  return { format: 'generic', level, message: m[4]!.slice(0, FIELD_MAX) };
}

function num(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '' || v === '-') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** One Envoy JSON access line (Envoy Gateway's default format), or undefined. */
export function parseEnvoyJson(line: string): ParsedLog | undefined {
  if (line[0] !== '{' || !line.includes('"response_code"')) return undefined;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const p: ParsedLog = { format: 'envoy-json' };
  const method = clean(o.method);
  if (method) p.method = method;
  const path = clean(o['x-envoy-origin-path'] ?? o.path);
  if (path) p.path = path;
  const host = clean(o[':authority'] ?? o.authority);
  if (host) p.host = host.replace(/:\d+$/, '');
  const upstream = clean(o.upstream_host);
  if (upstream) p.upstream = upstream;
  const name = clean(o.upstream_cluster) ?? clean(o.route_name);
  if (name) p.upstreamName = name;
  const d = num(o.duration);
  if (d !== undefined) p.latencyMs = d;
  const flags = clean(o.response_flags);
  const details = clean(o.response_code_details);
  if (flags || (details && details !== 'via_upstream')) p.message = [flags && `flags=${flags}`, details].filter(Boolean).join(' ');
  return withStatus(p, num(o.response_code));
}

// Common/Combined Log Format and relatives (Traefik CLF): `addr - user [time] "GET /p HTTP/1.1" 200 …`
const CLF = /^\S+ \S+ \S+ \[[^\]]+\] "((?:[^"\\]|\\.)*)" (\d{3}) /;
const LEVEL_WORD = /\b(ERROR|ERR|FATAL|PANIC|WARN|WARNING|INFO|DEBUG)\b|level=(\w+)/i;

function levelOf(s: string | undefined): ParsedLog['level'] | undefined {
  if (!s) return undefined;
  const l = s.toLowerCase();
  if (/^(err|error|fatal|panic|crit|critical|emerg|alert)/.test(l)) return 'error';
  if (/^warn/.test(l)) return 'warn';
  if (/^info|^notice/.test(l)) return 'info';
  if (/^debug|^trace/.test(l)) return 'debug';
  return undefined;
}

/** The fallback: JSON with level/msg/status fields, CLF, or a level word; always returns something. */
export function parseGeneric(line: string): ParsedLog {
  const p: ParsedLog = { format: 'generic' };
  if (line[0] === '{') {
    try {
      const o = JSON.parse(line);
      if (o && typeof o === 'object' && !Array.isArray(o)) {
        const level = levelOf(clean(o.level ?? o.severity ?? o.lvl));
        if (level) p.level = level;
        const msg = clean(o.msg ?? o.message);
        if (msg) p.message = msg;
        const method = clean(o.method ?? o.RequestMethod);
        if (method) p.method = method;
        const path = clean(o.path ?? o.RequestPath ?? o.uri);
        if (path) p.path = path;
        const host = clean(o.host ?? o.RequestHost);
        if (host) p.host = host.replace(/:\d+$/, '');
        return withStatus(p, num(o.status ?? o.DownstreamStatus ?? o.status_code));
      }
    } catch {
      /* not JSON after all */
    }
  }
  const clf = CLF.exec(line);
  if (clf) {
    Object.assign(p, splitRequest(clf[1]!));
    return withStatus(p, Number(clf[2]));
  }
  const lw = LEVEL_WORD.exec(line);
  const level = levelOf(lw?.[1] ?? lw?.[2]);
  if (level) p.level = level;
  return p;
}

const PARSERS: ((l: string) => ParsedLog | undefined)[] = [parseUpstreamInfo, parseEnvoyJson, parseNginxError, parseKlog];

/** Parses one sanitised line with the first parser that recognises it. */
export function parseLogLine(line: string): ParsedLog {
  for (const f of PARSERS) {
    const p = f(line);
    if (p) return p;
  }
  return parseGeneric(line);
}

/** The formats parseLogLine understands, for docs and the help overlay. */
export const LOG_FORMATS: readonly LogFormat[] = ['nginx-upstreaminfo', 'nginx-error', 'envoy-json', 'generic'];

/** `10.1.2.3:8080` → `10.1.2.3`; `[fd00::1]:80` → `fd00::1`; `unix:/x` stays. */
export function upstreamHost(addr: string): string {
  const a = addr.trim();
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (v6) return v6[1]!;
  const v4 = /^([^:]+):\d+$/.exec(a);
  return v4 ? v4[1]! : a;
}

/**
 * Maps `upstream_addr` (possibly a comma-separated retry list) to pod names through the endpoints' address→pod
 * map; unknown addresses stay as they are. Undefined when no address maps to a pod.
 */
export function upstreamPods(upstream: string | undefined, podsByAddress: ReadonlyMap<string, string>): string | undefined {
  if (!upstream) return undefined;
  let any = false;
  const out = upstream.split(/,\s*/).map((a) => {
    const pod = podsByAddress.get(upstreamHost(a));
    if (pod) any = true;
    return pod ?? a;
  });
  return any ? out.join(', ') : undefined;
}

/** What the host filter keeps: lines about the path's hosts or its Service's upstream. */
export interface LogScope {
  /** Hostnames (exact, case-insensitive; `*.example.com` matches one label). */
  hosts: string[];
  /** Upstream-name prefixes: ingress-nginx `ns-svc-` (`shop-web-80`), Envoy `httproute/ns/name/`. */
  upstreamPrefixes: string[];
  /** Endpoint addresses of the path's Service. */
  addresses?: ReadonlySet<string>;
}

function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase();
  const p = pattern.toLowerCase();
  if (p.startsWith('*.')) {
    const rest = p.slice(1);
    return h.endsWith(rest) && !h.slice(0, -rest.length).includes('.') && h.length > rest.length;
  }
  return h === p;
}

/**
 * True when the line is about the scope: its host is one of the hosts, or its upstream name has one of the
 * prefixes, or its upstream address is an endpoint. Lines that carry none of these (klog, startup banners) are
 * kept, so the filter never hides the controller's own errors.
 */
export function inScope(p: ParsedLog, scope: LogScope | undefined): boolean {
  if (!scope) return true;
  let judged = false;
  if (p.host) {
    judged = true;
    if (scope.hosts.some((h) => hostMatches(p.host!, h))) return true;
  }
  if (p.upstreamName) {
    judged = true;
    if (scope.upstreamPrefixes.some((x) => p.upstreamName!.startsWith(x))) return true;
  }
  if (p.upstream && scope.addresses?.size) {
    judged = true;
    if (p.upstream.split(/,\s*/).some((a) => scope.addresses!.has(upstreamHost(a)))) return true;
  }
  return !judged;
}

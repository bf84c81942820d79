// What the user names: svc/NAME, ingress/NAME, httproute/NAME, gateway/NAME, a URL, or a bare hostname (with an
// optional :port and /path). Anything else is a usage error with one clear line.
import { isIP } from 'node:net';

export type ObjectTargetKind = 'service' | 'ingress' | 'httproute' | 'gateway';

export type Target =
  | { kind: ObjectTargetKind; name: string; raw: string }
  | { kind: 'host'; host: string; path: string; scheme?: 'http' | 'https'; port?: number; ip: boolean; raw: string };

export class TargetError extends Error {}

const KIND_ALIASES: Record<string, ObjectTargetKind> = {
  svc: 'service',
  service: 'service',
  services: 'service',
  ing: 'ingress',
  ingress: 'ingress',
  ingresses: 'ingress',
  'ingress.networking.k8s.io': 'ingress',
  'ingresses.networking.k8s.io': 'ingress',
  httproute: 'httproute',
  httproutes: 'httproute',
  'httproute.gateway.networking.k8s.io': 'httproute',
  'httproutes.gateway.networking.k8s.io': 'httproute',
  gateway: 'gateway',
  gateways: 'gateway',
  gtw: 'gateway',
  'gateway.gateway.networking.k8s.io': 'gateway',
  'gateways.gateway.networking.k8s.io': 'gateway',
};

/** Kinds people name that netpath does not take as a target (their first word, before any `.group`). */
const OTHER_KINDS = new Set(
  (
    'po pod pods deploy deployment deployments rs replicaset replicasets sts statefulset statefulsets ds daemonset daemonsets ' +
    'no node nodes ns namespace namespaces cm configmap configmaps secret secrets ep endpoints endpointslice endpointslices ' +
    'job jobs cj cronjob cronjobs grpcroute grpcroutes tlsroute tlsroutes tcproute tcproutes udproute udproutes netpol ' +
    'networkpolicy networkpolicies gc gatewayclass gatewayclasses ingressclass ingressclasses sa serviceaccount ' +
    'serviceaccounts pvc pv rc hpa ingressroute ingressroutes virtualservice virtualservices'
  ).split(' '),
);

const USAGE_HINT = 'expected svc/NAME, ingress/NAME, httproute/NAME, gateway/NAME, a URL or a hostname';
const NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const HOST_LABEL = '[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_RE = new RegExp(`^${HOST_LABEL}(\\.${HOST_LABEL})*\\.?$`);

function hostTarget(raw: string, host: string, path: string, scheme?: 'http' | 'https', port?: number): Target {
  let h = host.toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const ip = isIP(h) !== 0;
  if (!ip) {
    h = h.replace(/\.$/, '');
    if (!HOST_RE.test(h)) throw new TargetError(`invalid hostname "${host}" in target "${raw}"`);
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new TargetError(`invalid port in target "${raw}"`);
  return { kind: 'host', host: h, path: path || '/', ...(scheme ? { scheme } : {}), ...(port !== undefined ? { port } : {}), ip, raw };
}

export function parseTarget(raw: string): Target {
  const s = raw.trim();
  if (!s) throw new TargetError(`empty target (${USAGE_HINT})`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new TargetError(`invalid URL "${raw}"`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TargetError(`unsupported URL scheme "${u.protocol.slice(0, -1)}" in "${raw}" (http or https)`);
    if (!u.hostname) throw new TargetError(`URL "${raw}" has no host`);
    return hostTarget(raw, u.hostname, u.pathname || '/', u.protocol === 'https:' ? 'https' : 'http', u.port ? Number(u.port) : undefined);
  }
  const slash = s.indexOf('/');
  if (slash > 0) {
    const prefix = s.slice(0, slash).toLowerCase();
    const rest = s.slice(slash + 1);
    const kind = KIND_ALIASES[prefix];
    if (kind) {
      if (!rest) throw new TargetError(`target "${raw}" names no ${kind}`);
      if (rest.includes('/') || !NAME_RE.test(rest)) throw new TargetError(`invalid ${kind} name "${rest}" in target "${raw}"`);
      return { kind, name: rest, raw };
    }
    const first = prefix.split('.')[0]!;
    if (OTHER_KINDS.has(first) || !prefix.includes('.') && !/:\d+$/.test(prefix))
      throw new TargetError(`unsupported target kind "${prefix}" (${USAGE_HINT})`);
    return hostPort(raw, s.slice(0, slash), '/' + rest);
  }
  if (isIP(s) || (s.startsWith('[') && s.endsWith(']'))) return hostTarget(raw, s, '/');
  if (!s.includes('.') && !/:\d+$/.test(s)) throw new TargetError(`unknown target "${raw}" (${USAGE_HINT})`);
  return hostPort(raw, s, '/');
}

function hostPort(raw: string, hp: string, path: string): Target {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hp);
  if (!m) throw new TargetError(`invalid host "${hp}" in target "${raw}"`);
  const port = m[2] ? Number(m[2]) : undefined;
  const scheme = port === 443 ? 'https' : port === 80 ? 'http' : undefined;
  return hostTarget(raw, m[1]!, path, scheme, port);
}

/** How a target is written back in messages: `svc/web`, `https://host/path`. */
export function targetLabel(t: Target): string {
  if (t.kind !== 'host') return `${t.kind === 'service' ? 'svc' : t.kind}/${t.name}`;
  const h = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.scheme ? `${t.scheme}://` : ''}${h}${t.port ? `:${t.port}` : ''}${t.path === '/' && !t.scheme ? '' : t.path}`;
}

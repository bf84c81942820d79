// HTTPRoute routing as the Gateway API specification defines it: listener and route hostnames (a `*.` wildcard is a
// suffix match of one or more labels), parentRef attachment (sectionName, port), and match precedence across every
// applicable rule: the most specific matching hostname, then an Exact path, the longest PathPrefix, a method match,
// the most header matches, the most query-parameter matches; ties go to the oldest route, then namespace/name, then
// rule order.
import type { KObject } from '../kube/types.ts';
import { byAge, prefixMatches } from './ingress-match.ts';

/** Gateway API hostname semantics. Returns the number of characters that matched, undefined when none. */
export function gatewayHostMatches(pattern: string | undefined | null, host: string): { nonWildcard: number; chars: number } | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!pattern) return { nonWildcard: 0, chars: 0 };
  const p = pattern.toLowerCase();
  if (p === h) return { nonWildcard: p.length, chars: p.length };
  if (p.startsWith('*.') && h.endsWith(p.slice(1)) && h.length > p.length - 1) return { nonWildcard: 0, chars: p.length };
  return undefined;
}

/** Whether a route hostname and a listener hostname intersect (either may be a wildcard). */
export function hostnamesIntersect(a: string | undefined | null, b: string | undefined | null): boolean {
  if (!a || !b) return true;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y) return true;
  const wx = x.startsWith('*.');
  const wy = y.startsWith('*.');
  if (wx && wy) return x.slice(1).endsWith(y.slice(1)) || y.slice(1).endsWith(x.slice(1));
  if (wx) return !!gatewayHostMatches(x, y);
  if (wy) return !!gatewayHostMatches(y, x);
  return false;
}

export interface RequestSpec {
  host: string;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

export interface RouteMatchCandidate {
  route: KObject;
  ruleIndex: number;
  /** -1 for a rule without matches (the default `PathPrefix /`). */
  matchIndex: number;
  match: any;
  hostname?: string;
  score: { nonWildcard: number; chars: number };
}

function pathOf(match: any): { type: string; value: string } {
  const p = match?.path;
  return { type: typeof p?.type === 'string' ? p.type : 'PathPrefix', value: typeof p?.value === 'string' && p.value ? p.value : '/' };
}

/** Whether one HTTPRouteMatch applies to the request. */
export function routeMatchApplies(match: any, req: RequestSpec): boolean {
  const { type, value } = pathOf(match);
  if (type === 'Exact') {
    if (req.path !== value) return false;
  } else if (type === 'RegularExpression') {
    try {
      if (!new RegExp(`^(?:${value})$`).test(req.path)) return false;
    } catch {
      return false;
    }
  } else if (!prefixMatches(value, req.path)) return false;
  if (match?.method && match.method.toUpperCase() !== (req.method ?? 'GET').toUpperCase()) return false;
  for (const h of Array.isArray(match?.headers) ? match.headers : []) {
    const v = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === String(h?.name ?? '').toLowerCase())?.[1];
    if (v === undefined) return false;
    if ((h?.type ?? 'Exact') === 'RegularExpression') {
      try {
        if (!new RegExp(`^(?:${h.value})$`).test(v)) return false;
      } catch {
        return false;
      }
    } else if (v !== h?.value) return false;
  }
  for (const q of Array.isArray(match?.queryParams) ? match.queryParams : []) {
    const v = req.query?.[String(q?.name ?? '')];
    if (v === undefined || ((q?.type ?? 'Exact') === 'Exact' ? v !== q?.value : false)) return false;
  }
  return true;
}

/** Spec precedence between two candidates; negative when `a` wins. */
export function comparePrecedence(a: RouteMatchCandidate, b: RouteMatchCandidate): number {
  if (a.score.nonWildcard !== b.score.nonWildcard) return b.score.nonWildcard - a.score.nonWildcard;
  if (a.score.chars !== b.score.chars) return b.score.chars - a.score.chars;
  const pa = pathOf(a.match);
  const pb = pathOf(b.match);
  const exact = (p: { type: string }) => (p.type === 'Exact' ? 1 : 0);
  if (exact(pa) !== exact(pb)) return exact(pb) - exact(pa);
  const plen = (p: { type: string; value: string }) => (p.type === 'Exact' ? 0 : (p.value.length > 1 ? p.value.replace(/\/+$/, '') : p.value).length);
  if (plen(pa) !== plen(pb)) return plen(pb) - plen(pa);
  const m = (x: any) => (x?.method ? 1 : 0);
  if (m(a.match) !== m(b.match)) return m(b.match) - m(a.match);
  const hc = (x: any) => (Array.isArray(x?.headers) ? x.headers.length : 0);
  if (hc(a.match) !== hc(b.match)) return hc(b.match) - hc(a.match);
  const qc = (x: any) => (Array.isArray(x?.queryParams) ? x.queryParams.length : 0);
  if (qc(a.match) !== qc(b.match)) return qc(b.match) - qc(a.match);
  return byAge(a.route, b.route) || a.ruleIndex - b.ruleIndex || a.matchIndex - b.matchIndex;
}

/**
 * Every (route, rule, match) that applies to the request, best first. `listenerHostname` is the hostname of the
 * listener the routes attach to (undefined: any); routes must already be filtered to that listener.
 */
export function matchRoutes(routes: KObject[], req: RequestSpec, listenerHostname?: string): RouteMatchCandidate[] {
  const listenerScore = gatewayHostMatches(listenerHostname, req.host);
  if (!listenerScore) return [];
  const out: RouteMatchCandidate[] = [];
  for (const route of routes) {
    const hostnames: string[] = Array.isArray(route.spec?.hostnames) ? route.spec.hostnames.filter((h: unknown) => typeof h === 'string') : [];
    let score: { nonWildcard: number; chars: number } | undefined;
    let hostname: string | undefined;
    if (!hostnames.length) {
      score = listenerScore;
      hostname = listenerHostname;
    } else {
      for (const h of hostnames) {
        if (!hostnamesIntersect(h, listenerHostname)) continue;
        const s = gatewayHostMatches(h, req.host);
        if (s && (!score || s.nonWildcard > score.nonWildcard || (s.nonWildcard === score.nonWildcard && s.chars > score.chars))) {
          score = s;
          hostname = h;
        }
      }
    }
    if (!score) continue;
    const rules: any[] = Array.isArray(route.spec?.rules) ? route.spec.rules : [];
    rules.forEach((rule, ruleIndex) => {
      const matches: any[] = Array.isArray(rule?.matches) && rule.matches.length ? rule.matches : [];
      if (!matches.length) {
        const m = { path: { type: 'PathPrefix', value: '/' } };
        if (routeMatchApplies(m, req)) out.push({ route, ruleIndex, matchIndex: -1, match: m, hostname, score: score! });
        return;
      }
      matches.forEach((m, matchIndex) => {
        if (routeMatchApplies(m, req)) out.push({ route, ruleIndex, matchIndex, match: m, hostname, score: score! });
      });
    });
  }
  return out.sort(comparePrecedence);
}

/** The listeners of a Gateway a parentRef selects (sectionName, then port). */
export function selectedListeners(gateway: KObject, parentRef: any): any[] {
  const listeners: any[] = Array.isArray(gateway.spec?.listeners) ? gateway.spec.listeners : [];
  return listeners.filter(
    (l) => (!parentRef?.sectionName || l?.name === parentRef.sectionName) && (parentRef?.port === undefined || l?.port === parentRef.port),
  );
}

/** Whether a listener admits routes from `routeNamespace` (allowedRoutes.namespaces.from; Selector needs labels). */
export function listenerAllowsNamespace(listener: any, gatewayNamespace: string, routeNamespace: string, nsLabels?: Record<string, string>): boolean | undefined {
  const from = listener?.allowedRoutes?.namespaces?.from ?? 'Same';
  if (from === 'All') return true;
  if (from === 'Same') return gatewayNamespace === routeNamespace;
  if (from === 'Selector') {
    if (!nsLabels) return undefined;
    const sel = listener.allowedRoutes.namespaces.selector ?? {};
    return Object.entries(sel.matchLabels ?? {}).every(([k, v]) => nsLabels[k] === v);
  }
  return false;
}

/** Whether a parentRef refers to this Gateway. */
export function refersToGateway(parentRef: any, routeNamespace: string, gateway: KObject): boolean {
  if ((parentRef?.group ?? 'gateway.networking.k8s.io') !== 'gateway.networking.k8s.io') return false;
  if ((parentRef?.kind ?? 'Gateway') !== 'Gateway') return false;
  return parentRef?.name === gateway.metadata.name && (parentRef?.namespace ?? routeNamespace) === gateway.metadata.namespace;
}

import { describe, expect, it } from 'vitest';
import type { KObject } from '../../../src/kube/types.ts';
import {
  gatewayHostMatches, hostnamesIntersect, listenerAllowsNamespace, matchRoutes, refersToGateway, routeMatchApplies, selectedListeners,
} from '../../../src/path/httproute-match.ts';
import { HAVE_SHARED, loadFixture } from './fixtures.ts';

let n = 0;
function route(name: string, spec: any, created?: string): KObject {
  n++;
  return { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, namespace: 'default', creationTimestamp: created ?? `2026-01-01T00:00:${String(n).padStart(2, '0')}Z` }, spec };
}
const backend = (name: string) => [{ name, port: 80 }];

describe('Gateway API hostnames', () => {
  it('treats *. as a suffix match of one or more labels', () => {
    expect(gatewayHostMatches('*.example.com', 'foo.example.com')).toEqual({ nonWildcard: 0, chars: 13 });
    expect(gatewayHostMatches('*.example.com', 'foo.bar.example.com')).toBeTruthy();
    expect(gatewayHostMatches('*.example.com', 'example.com')).toBeUndefined();
    expect(gatewayHostMatches('foo.example.com', 'foo.example.com')).toEqual({ nonWildcard: 15, chars: 15 });
    expect(gatewayHostMatches(undefined, 'anything')).toEqual({ nonWildcard: 0, chars: 0 });
  });
  it('intersects listener and route hostnames', () => {
    expect(hostnamesIntersect('*.example.com', 'foo.example.com')).toBe(true);
    expect(hostnamesIntersect('foo.example.com', '*.example.com')).toBe(true);
    expect(hostnamesIntersect('*.example.com', '*.foo.example.com')).toBe(true);
    expect(hostnamesIntersect('foo.example.com', 'bar.example.com')).toBe(false);
    expect(hostnamesIntersect('*.example.com', 'example.org')).toBe(false);
    expect(hostnamesIntersect(undefined, 'x')).toBe(true);
  });
});

describe('HTTPRoute matches', () => {
  it('applies path types, methods, headers and query params', () => {
    expect(routeMatchApplies({ path: { type: 'PathPrefix', value: '/api' } }, { host: 'h', path: '/api/v1' })).toBe(true);
    expect(routeMatchApplies({ path: { type: 'PathPrefix', value: '/api' } }, { host: 'h', path: '/apiv1' })).toBe(false);
    expect(routeMatchApplies({ path: { type: 'Exact', value: '/api' } }, { host: 'h', path: '/api/' })).toBe(false);
    expect(routeMatchApplies({ path: { type: 'RegularExpression', value: '/v[0-9]+/.*' } }, { host: 'h', path: '/v2/x' })).toBe(true);
    expect(routeMatchApplies({ method: 'POST' }, { host: 'h', path: '/' })).toBe(false);
    expect(routeMatchApplies({ method: 'GET' }, { host: 'h', path: '/' })).toBe(true);
    expect(routeMatchApplies({ headers: [{ name: 'X-Canary', value: 'true' }] }, { host: 'h', path: '/' })).toBe(false);
    expect(routeMatchApplies({ headers: [{ name: 'X-Canary', value: 'true' }] }, { host: 'h', path: '/', headers: { 'x-canary': 'true' } })).toBe(true);
    expect(routeMatchApplies({ queryParams: [{ name: 'v', value: '2' }] }, { host: 'h', path: '/', query: { v: '2' } })).toBe(true);
  });

  it('orders by Exact, then longest prefix, method, headers, query params', () => {
    const r = route('r', {
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: backend('root') },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: backend('api') },
        { matches: [{ path: { type: 'Exact', value: '/api/health' } }], backendRefs: backend('health') },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'GET' }], backendRefs: backend('api-get') },
        { matches: [{ path: { type: 'PathPrefix', value: '/api' }, method: 'GET', headers: [{ name: 'x', value: '1' }] }], backendRefs: backend('api-get-x') },
      ],
    });
    const best = (path: string, headers?: Record<string, string>) => {
      const c = matchRoutes([r], { host: 'h', path, ...(headers ? { headers } : {}) })[0];
      return c ? r.spec.rules[c.ruleIndex].backendRefs[0].name : undefined;
    };
    expect(best('/api/health')).toBe('health');
    expect(best('/api/users')).toBe('api-get');
    expect(best('/api/users', { x: '1' })).toBe('api-get-x');
    expect(best('/other')).toBe('root');
  });

  it('prefers the route with the more specific hostname, then the oldest route', () => {
    const wild = route('wild', { hostnames: ['*.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: backend('wild') }] });
    const exact = route('exact', { hostnames: ['shop.example.com'], rules: [{ backendRefs: backend('exact') }] });
    const c = matchRoutes([wild, exact], { host: 'shop.example.com', path: '/api/x' });
    expect(c[0]!.route.metadata.name).toBe('exact');
    expect(matchRoutes([wild, exact], { host: 'blog.example.com', path: '/api/x' })[0]!.route.metadata.name).toBe('wild');
    const older = route('older', { rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }] }, '2025-01-01T00:00:00Z');
    const newer = route('newer', { rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }] }, '2026-06-01T00:00:00Z');
    expect(matchRoutes([newer, older], { host: 'x', path: '/' })[0]!.route.metadata.name).toBe('older');
  });

  it('limits routes without hostnames to the listener hostname', () => {
    const r = route('any', { rules: [{ backendRefs: backend('a') }] });
    expect(matchRoutes([r], { host: 'foo.example.com', path: '/' }, '*.example.com')).toHaveLength(1);
    expect(matchRoutes([r], { host: 'foo.example.org', path: '/' }, '*.example.com')).toHaveLength(0);
    const disjoint = route('disjoint', { hostnames: ['foo.example.org'], rules: [{ backendRefs: backend('a') }] });
    expect(matchRoutes([disjoint], { host: 'foo.example.org', path: '/' }, '*.example.com')).toHaveLength(0);
  });
});

describe.skipIf(!HAVE_SHARED)('upstream Gateway API examples', () => {
  const gw = loadFixture('manifests/gateway-api/standard__simple-http-https__gateway.yaml', 'default')[0]!;
  const foo = loadFixture('manifests/gateway-api/standard__simple-http-https__foo-route.yaml', 'default')[0]!;
  const bar = loadFixture('manifests/gateway-api/standard__simple-http-https__bar-route.yaml', 'default')[0]!;

  it('selects listeners by sectionName', () => {
    expect(selectedListeners(gw, foo.spec.parentRefs[0]).map((l) => l.name)).toEqual(['https']);
    expect(selectedListeners(gw, { name: 'example-gateway' }).map((l) => l.name)).toEqual(['http', 'https']);
    expect(refersToGateway(foo.spec.parentRefs[0], 'default', gw)).toBe(true);
  });

  it('routes foo.example.com/orders to foo-orders-app (longest prefix wins over rule order)', () => {
    const https = gw.spec.listeners.find((l: any) => l.name === 'https');
    const c = matchRoutes([foo, bar], { host: 'foo.example.com', path: '/orders/42' }, https.hostname);
    expect(foo.spec.rules[c[0]!.ruleIndex].backendRefs[0].name).toBe('foo-orders-app');
    const root = matchRoutes([foo, bar], { host: 'foo.example.com', path: '/' }, https.hostname);
    expect(foo.spec.rules[root[0]!.ruleIndex].backendRefs[0].name).toBe('foo-app');
  });

  it('applies allowedRoutes namespaces', () => {
    const strict = loadFixture('manifests/gateway-api/standard__http-route-attachment__gateway-strict.yaml')[0]!;
    const l = strict.spec.listeners[0];
    const from = l.allowedRoutes?.namespaces?.from;
    if (from === 'Selector') {
      expect(listenerAllowsNamespace(l, 'gw-ns', 'other')).toBeUndefined();
      const labels = l.allowedRoutes.namespaces.selector.matchLabels;
      expect(listenerAllowsNamespace(l, 'gw-ns', 'other', labels)).toBe(true);
      expect(listenerAllowsNamespace(l, 'gw-ns', 'other', {})).toBe(false);
    } else expect(listenerAllowsNamespace(l, 'gw-ns', 'gw-ns')).toBe(true);
    expect(listenerAllowsNamespace({}, 'a', 'a')).toBe(true);
    expect(listenerAllowsNamespace({}, 'a', 'b')).toBe(false);
    expect(listenerAllowsNamespace({ allowedRoutes: { namespaces: { from: 'All' } } }, 'a', 'b')).toBe(true);
  });
});

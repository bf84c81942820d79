import { describe, expect, it } from 'vitest';
import { egressAllowed, ingressAllowed, ipInCidr, peerMatches, policySelects, portsMatch } from '../../../src/checks/netpol.ts';
import type { KObject } from '../../../src/kube/types.ts';
import { HAVE_SHARED, loadFixture, pod } from '../path/fixtures.ts';

const orders = pod('orders-1', 'orders', { labels: { 'app.kubernetes.io/name': 'orders', 'app.kubernetes.io/component': 'service' } });
const uiPod = pod('ui-1', 'ui', { labels: { 'app.kubernetes.io/name': 'ui' }, ip: '10.0.5.5' });
const sameNsUi = pod('ui-2', 'orders', { labels: { 'app.kubernetes.io/name': 'ui' } });
const port = { port: 8080, name: 'http', protocol: 'TCP' };

describe.skipIf(!HAVE_SHARED)('NetworkPolicy evaluation on the EKS workshop pair (../shared/fixtures)', () => {
  const broken = loadFixture('manifests/networkpolicy/eksworkshop-allow-order-ingress-fail-debug.yaml');
  const fixed = loadFixture('manifests/networkpolicy/eksworkshop-allow-order-ingress-success-debug.yaml');

  it('the broken policy (podSelector only) admits ui pods of its own namespace only', () => {
    expect(ingressAllowed(broken, orders, { pod: uiPod }, port)).toMatchObject({ isolated: true, allowed: false, policies: ['allow-orders-ingress-webservice'] });
    expect(ingressAllowed(broken, orders, { pod: sameNsUi }, port).allowed).toBe(true);
  });

  it('the fixed policy (namespaceSelector AND podSelector) admits ui pods from namespace ui', () => {
    expect(ingressAllowed(fixed, orders, { pod: uiPod, namespaceLabels: {} }, port)).toMatchObject({ allowed: true, admittedBy: 'allow-orders-ingress-webservice ingress[0]' });
    expect(ingressAllowed(fixed, orders, { pod: sameNsUi }, port).allowed).toBe(false);
  });

  it('a default-deny Egress policy does not isolate ingress', () => {
    const deny = loadFixture('manifests/networkpolicy/eksworkshop-default-deny.yaml', 'orders');
    expect(ingressAllowed(deny, orders, { pod: uiPod }, port).isolated).toBe(false);
    expect(egressAllowed(deny, orders, { pod: uiPod }, port)).toMatchObject({ isolated: true, allowed: false });
  });

  it('ingress: [] denies everything to the selected pods', () => {
    const denyAll = loadFixture('manifests/networkpolicy/recipes-web-deny-all.yaml', 'default');
    const web = pod('web', 'default', { labels: { app: 'web' } });
    expect(ingressAllowed(denyAll, web, { pod: uiPod }, port)).toMatchObject({ isolated: true, allowed: false });
    expect(ingressAllowed(denyAll, pod('api', 'default', { labels: { app: 'api' } }), { pod: uiPod }, port).isolated).toBe(false);
  });
});

describe('peers and ports', () => {
  const pol = (spec: any, ns = 'app'): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: ns }, spec });
  const target = pod('t', 'app', { labels: { app: 't' } });
  const ctrl = pod('ctrl', 'ingress-nginx', { labels: { 'app.kubernetes.io/name': 'ingress-nginx' }, ip: '10.0.9.9' });

  it('namespaceSelector alone admits every pod of matching namespaces', () => {
    const p = pol({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }] }] });
    expect(ingressAllowed([p], target, { pod: ctrl }, port).allowed).toBe(true);
    expect(ingressAllowed([p], target, { pod: pod('x', 'other') }, port).allowed).toBe(false);
    // namespace labels other than metadata.name come from the Namespace object
    const byTeam = pol({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'edge' } } }] }] });
    expect(ingressAllowed([byTeam], target, { pod: ctrl }, port).allowed).toBe(false);
    expect(ingressAllowed([byTeam], target, { pod: ctrl, namespaceLabels: { team: 'edge' } }, port).allowed).toBe(true);
  });

  it('ipBlock with except, and unknown outside clients', () => {
    expect(ipInCidr('10.0.9.9', '10.0.0.0/16')).toBe(true);
    expect(ipInCidr('10.1.9.9', '10.0.0.0/16')).toBe(false);
    expect(ipInCidr('fd00::1', 'fd00::/8')).toBe(true);
    expect(ipInCidr('10.0.0.1', 'fd00::/8')).toBe(false);
    const p = { ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.9.0/24'] } };
    expect(peerMatches(p, { pod: ctrl }, 'app')).toBe(false);
    expect(peerMatches(p, { pod: pod('y', 'z', { ip: '10.0.1.1' }) }, 'app')).toBe(true);
    expect(peerMatches(p, { external: true }, 'app')).toBeUndefined();
    expect(peerMatches({ ipBlock: { cidr: '0.0.0.0/0' } }, { external: true }, 'app')).toBe(true);
    expect(peerMatches({ podSelector: {} }, { external: true }, 'app')).toBe(false);
  });

  it('ports: numbers, names, ranges and protocols', () => {
    expect(portsMatch(undefined, port)).toBe(true);
    expect(portsMatch([{ port: 8080 }], port)).toBe(true);
    expect(portsMatch([{ port: '8080' }], port)).toBe(true);
    expect(portsMatch([{ port: 'http' }], port)).toBe(true);
    expect(portsMatch([{ port: 'metrics' }], port)).toBe(false);
    expect(portsMatch([{ port: 8000, endPort: 9000 }], port)).toBe(true);
    expect(portsMatch([{ port: 8080, protocol: 'UDP' }], port)).toBe(false);
    expect(portsMatch([{ protocol: 'TCP' }], port)).toBe(true);
  });

  it('only selects pods of the policy namespace and its types', () => {
    expect(policySelects(pol({ podSelector: {} }), target, 'Ingress')).toBe(true);
    expect(policySelects(pol({ podSelector: {} }, 'elsewhere'), target, 'Ingress')).toBe(false);
    expect(policySelects(pol({ podSelector: {}, policyTypes: ['Egress'] }), target, 'Ingress')).toBe(false);
    expect(policySelects(pol({ podSelector: {}, egress: [] }), target, 'Egress')).toBe(true);
  });

  it('reproduces the lab scenario: only role=frontend of the same namespace is admitted', () => {
    const p = pol({ podSelector: { matchLabels: { app: 't' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { role: 'frontend' } } }], ports: [{ protocol: 'TCP', port: 8080 }] }] });
    expect(ingressAllowed([p], target, { pod: ctrl }, port).allowed).toBe(false);
    expect(ingressAllowed([p], target, { pod: pod('fe', 'app', { labels: { role: 'frontend' } }) }, port).allowed).toBe(true);
    expect(ingressAllowed([p], target, { pod: pod('fe', 'app', { labels: { role: 'frontend' } }) }, { port: 9090 }).allowed).toBe(false);
  });
});

// Every scenario starts, side by side, and stages its fault in the control plane as a real cluster would show it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { Lab } from '../../src/lab/lab.ts';
import { listScenarios, loadScenario } from '../../src/lab/scenarios/index.ts';
import type { KObject } from '../../src/lab/types.ts';
import { eventually } from './harness.ts';

let lab: Lab;
const names = listScenarios();

beforeAll(async () => {
  lab = await Lab.start({ scenarios: names });
}, 30_000);

afterAll(async () => {
  await lab?.stop();
});

const get = (group: string, plural: string, ns: string | undefined, name: string) => lab.store.get(lab.registry.type(group, plural), ns, name);
const list = (group: string, plural: string, ns?: string) => lab.store.list(lab.registry.type(group, plural), ns);
const cond = (o: KObject | undefined, type: string) => o?.status?.conditions?.find((c: any) => c.type === type);

describe('scenarios', () => {
  it('every file has a header naming its fault and layer', () => {
    for (const n of names) {
      const h = loadScenario(n).header;
      expect(h.scenario, n).toBe(n);
      expect(h.layer, n).toMatch(/^(dns|loadbalancer|ingress|service|endpoints|pods|none)$/);
      expect(h.fault, n).toBeTruthy();
    }
  });

  it('all load together and their pods settle (running, scheduled)', async () => {
    await eventually(() => {
      const pods = list('', 'pods');
      return pods.length > 30 && pods.every((p) => p.spec.nodeName && ['Running', 'Succeeded'].includes(p.status?.phase)) || undefined;
    }, 20_000);
  });

  it('stage their faults in the objects a diagnosis reads', async () => {
    await eventually(() => {
      // selector-mismatch: the Service's slice has no endpoints
      const sm = list('discovery.k8s.io', 'endpointslices', 'selector-mismatch').filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web');
      expect(sm).toHaveLength(1);
      expect(sm[0]!.endpoints ?? []).toHaveLength(0);
      // readiness-failing: pods run but are not ready, with Unhealthy events
      const rf = list('', 'pods', 'readiness-failing');
      expect(rf.length).toBeGreaterThan(0);
      expect(rf.every((p) => cond(p, 'Ready')?.status === 'False')).toBe(true);
      expect(list('', 'events', 'readiness-failing').some((e) => e.reason === 'Unhealthy' && /Readiness probe failed: HTTP probe failed with statuscode: 503/.test(e.message))).toBe(true);
      // lb-pending: no address
      expect(get('', 'services', 'lb-pending', 'web')?.status?.loadBalancer?.ingress ?? []).toHaveLength(0);
      // missing-ingressclass: nobody claims the Ingress, so it has no address; the demo's has one
      const mi = list('networking.k8s.io', 'ingresses', 'missing-ingressclass')[0];
      expect(mi?.status?.loadBalancer?.ingress ?? []).toHaveLength(0);
      expect(get('networking.k8s.io', 'ingresses', 'shop', 'shop')?.status?.loadBalancer?.ingress?.[0]?.ip).toMatch(/^127\.0\.10\.\d+$/);
      // httproute-unresolved-backend: ResolvedRefs False / RefNotPermitted
      const route = list('gateway.networking.k8s.io', 'httproutes', 'httproute-unresolved-backend')[0];
      const rr = route?.status?.parents?.[0]?.conditions?.find((c: any) => c.type === 'ResolvedRefs');
      expect(rr).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
      // the demo route is accepted and resolved
      const demo = get('gateway.networking.k8s.io', 'httproutes', 'shop', 'shop');
      expect(demo?.status?.parents?.[0]?.conditions?.find((c: any) => c.type === 'ResolvedRefs')?.status).toBe('True');
      // expired-cert: the issued certificate's notAfter is in the past
      const secrets = list('', 'secrets', 'expired-cert').filter((s) => s.type === 'kubernetes.io/tls');
      const pem = Buffer.from(secrets[0]!.data['tls.crt'], 'base64').toString();
      expect(new Date(new X509Certificate(pem).validTo).getTime()).toBeLessThan(Date.now());
      // wrong-targetport: endpoints carry the wrong port
      const wt = list('discovery.k8s.io', 'endpointslices', 'wrong-targetport')[0];
      expect(wt?.ports?.[0]?.port).toBe(8081);
      expect(wt?.endpoints?.length).toBeGreaterThan(0);
      return true;
    }, 20_000);
  });

  it('flapping-endpoints toggles readiness in the EndpointSlice', async () => {
    const seen = new Set<string>();
    await eventually(() => {
      for (const s of list('discovery.k8s.io', 'endpointslices', 'flapping-endpoints'))
        for (const e of s.endpoints ?? []) seen.add(String(e.conditions?.ready));
      return (seen.has('true') && seen.has('false')) || undefined;
    }, 20_000, 200);
  });
});

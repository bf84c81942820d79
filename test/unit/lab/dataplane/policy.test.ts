import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { evaluateEgress, evaluateIngress, policyTypesOf, type IngressDecision } from '../../../../src/lab/dataplane/policy.ts';
import type { KObject } from '../../../../src/lab/types.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', '..', 'shared', 'fixtures', 'manifests', 'networkpolicy');
const HAVE_FIXTURES = existsSync(FIXTURES);
if (!HAVE_FIXTURES) console.warn(`note: ${FIXTURES} is absent; the NetworkPolicy fixture tests are skipped`);

/** A fixture: a .yaml file, or the first ```yaml block of a recipe that holds a NetworkPolicy. */
function fixture(file: string): KObject {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  if (file.endsWith('.yaml')) return yaml.load(text) as KObject;
  for (const m of text.matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const o = yaml.load(m[1]!) as KObject;
    if (o?.kind === 'NetworkPolicy') return o;
  }
  throw new Error(`no NetworkPolicy in ${file}`);
}

function pod(name: string, ns: string, labels: Record<string, string>, ip: string, extra: any = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: 'lab-worker-1', containers: [{ name: 'c', ports: extra.ports ?? [{ name: 'http', containerPort: 80 }] }], ...(extra.spec ?? {}) },
    status: { phase: 'Running', podIP: ip, hostIP: '127.0.1.1' },
  };
}

const NS: Record<string, Record<string, string>> = {
  default: { 'kubernetes.io/metadata.name': 'default' },
  foo: { 'kubernetes.io/metadata.name': 'foo' },
  ui: { 'kubernetes.io/metadata.name': 'ui' },
  orders: { 'kubernetes.io/metadata.name': 'orders' },
  catalog: { 'kubernetes.io/metadata.name': 'catalog' },
  shop: { 'kubernetes.io/metadata.name': 'shop', 'app.kubernetes.io/part-of': 'shop' },
  'ingress-nginx': { 'kubernetes.io/metadata.name': 'ingress-nginx' },
};

function decide(np: KObject | KObject[], target: KObject, source: KObject | string, port = 80, protocol = 'TCP'): IngressDecision {
  const policies = (Array.isArray(np) ? np : [np]).map((p) => ({ ...p, metadata: { namespace: 'default', ...p.metadata } }));
  const src = typeof source === 'string' ? { ip: source } : { ip: source.status.podIP, pod: source };
  return evaluateIngress({ target, port, protocol, source: src, policies, namespaceLabels: (ns) => NS[ns] });
}

describe.skipIf(!HAVE_FIXTURES)('NetworkPolicy evaluation (fixtures)', () => {
  it('web-deny-all: ingress [] without policyTypes isolates and denies everything', () => {
    const np = fixture('recipes-web-deny-all.yaml');
    expect(policyTypesOf(np)).toEqual(['Ingress']);
    const web = pod('web', 'default', { app: 'web' }, '127.1.1.10');
    const other = pod('other', 'default', { app: 'other' }, '127.1.1.11');
    const d = decide(np, web, other);
    expect(d).toMatchObject({ allowed: false, isolated: true, policies: ['default/web-deny-all'] });
    expect(decide(np, web, '127.0.0.1').allowed).toBe(false);
    expect(decide(np, other, web)).toMatchObject({ allowed: true, isolated: false });
  });

  it('the pod’s own node IP is always admitted (kubelet probes); other node IPs are not', () => {
    const np = fixture('recipes-web-deny-all.yaml');
    const web = pod('web', 'default', { app: 'web' }, '127.1.1.10');
    expect(decide(np, web, '127.0.1.1').allowed).toBe(true);
    expect(decide(np, web, '127.0.1.2').allowed).toBe(false);
  });

  it('hostNetwork pods are not subject to NetworkPolicy', () => {
    const np = fixture('recipes-web-deny-all.yaml');
    const web = pod('web', 'default', { app: 'web' }, '127.0.1.1', { spec: { hostNetwork: true } });
    expect(decide(np, web, '127.0.0.1').allowed).toBe(true);
  });

  it('api-allow: podSelector peers are pods of the policy’s namespace', () => {
    const np = fixture('recipes-02-limit-traffic-to-an-application.md');
    const api = pod('apiserver', 'default', { app: 'bookstore', role: 'api' }, '127.1.1.10');
    expect(decide(np, api, pod('fe', 'default', { app: 'bookstore', role: 'frontend' }, '127.1.1.12')).allowed).toBe(true);
    expect(decide(np, api, pod('t', 'default', { run: 'test' }, '127.1.1.13')).allowed).toBe(false);
    expect(decide(np, api, pod('fe', 'foo', { app: 'bookstore' }, '127.1.2.12')).allowed).toBe(false);
    expect(decide(np, api, '127.0.0.1').allowed).toBe(false);
  });

  it('default-deny-all: an empty podSelector selects every pod of the namespace', () => {
    const np = fixture('recipes-03-deny-all-non-whitelisted-traffic-in-the-namespace.md');
    expect(decide(np, pod('a', 'default', {}, '127.1.1.2'), pod('b', 'default', {}, '127.1.1.3')).allowed).toBe(false);
    expect(decide(np, pod('a', 'foo', {}, '127.1.1.2'), pod('b', 'default', {}, '127.1.1.3')).isolated).toBe(false);
  });

  it('deny-from-other-namespaces: from podSelector {} admits the namespace’s own pods only', () => {
    const np = fixture('recipes-04-deny-traffic-from-other-namespaces.md');
    const web = pod('web', 'default', { app: 'web' }, '127.1.1.10');
    expect(decide(np, web, pod('t', 'default', {}, '127.1.1.20')).allowed).toBe(true);
    expect(decide(np, web, pod('t', 'foo', {}, '127.1.2.20')).allowed).toBe(false);
    expect(decide(np, web, '127.0.0.1').allowed).toBe(false);
  });

  it('allow-external: an empty rule admits every source, outside the cluster included', () => {
    const np = fixture('recipes-08-allow-external-traffic.md');
    const web = pod('web', 'default', { app: 'web' }, '127.1.1.10');
    expect(decide(np, web, '127.0.0.1')).toMatchObject({ allowed: true, isolated: true });
    expect(decide([np, fixture('recipes-web-deny-all.yaml')], web, '127.0.0.1').allowed).toBe(true);
  });

  it('api-allow-5000: ports restrict the rule; other ports stay closed for everyone', () => {
    const np = fixture('recipes-09-allow-traffic-only-to-a-port.md');
    const ports = [
      { name: 'http', containerPort: 8000 },
      { name: 'api-port', containerPort: 5000 },
    ];
    const api = pod('apiserver', 'default', { app: 'apiserver' }, '127.1.1.10', { ports });
    const mon = pod('m', 'default', { role: 'monitoring' }, '127.1.1.11');
    const other = pod('o', 'default', {}, '127.1.1.12');
    expect(decide(np, api, mon, 5000).allowed).toBe(true);
    expect(decide(np, api, mon, 8000).allowed).toBe(false);
    expect(decide(np, api, other, 5000).allowed).toBe(false);
    expect(decide(np, api, mon, 5000, 'UDP').allowed).toBe(false);
    const named = { ...np, spec: { ...np.spec, ingress: [{ ports: [{ port: 'api-port' }], from: np.spec.ingress[0].from }] } };
    expect(decide(named, api, mon, 5000).allowed).toBe(true);
    expect(decide(named, api, mon, 8000).allowed).toBe(false);
  });

  it('eksworkshop default-deny with policyTypes [Egress] does not isolate for ingress', () => {
    const np = fixture('eksworkshop-default-deny.yaml');
    expect(decide(np, pod('a', 'default', {}, '127.1.1.2'), '127.0.0.1')).toMatchObject({ allowed: true, isolated: false });
  });

  it('eksworkshop: namespaceSelector + podSelector in one peer is an AND', () => {
    const np = fixture('eksworkshop-allow-catalog-ingress-webservice.yaml');
    const svc = pod('catalog', 'catalog', { 'app.kubernetes.io/name': 'catalog', 'app.kubernetes.io/component': 'service' }, '127.1.1.30');
    expect(decide(np, svc, pod('ui', 'ui', { 'app.kubernetes.io/name': 'ui' }, '127.1.2.5')).allowed).toBe(true);
    expect(decide(np, svc, pod('x', 'ui', { 'app.kubernetes.io/name': 'other' }, '127.1.2.6')).allowed).toBe(false);
    expect(decide(np, svc, pod('ui', 'orders', { 'app.kubernetes.io/name': 'ui' }, '127.1.2.7')).allowed).toBe(false);
  });

  it('eksworkshop orders: the failing policy forgot the namespaceSelector, the fixed one has it', () => {
    const target = pod('orders', 'orders', { 'app.kubernetes.io/name': 'orders', 'app.kubernetes.io/component': 'service' }, '127.1.1.40');
    const ui = pod('ui', 'ui', { 'app.kubernetes.io/name': 'ui' }, '127.1.2.8');
    expect(decide(fixture('eksworkshop-allow-order-ingress-fail-debug.yaml'), target, ui).allowed).toBe(false);
    expect(decide(fixture('eksworkshop-allow-order-ingress-success-debug.yaml'), target, ui).allowed).toBe(true);
  });

  it('eksworkshop catalog db: ingress rules without policyTypes isolate', () => {
    const np = fixture('eksworkshop-allow-catalog-ingress-db.yaml');
    const db = pod('db', 'catalog', { 'app.kubernetes.io/name': 'catalog', 'app.kubernetes.io/component': 'mysql' }, '127.1.1.50');
    const svc = pod('svc', 'catalog', { 'app.kubernetes.io/name': 'catalog', 'app.kubernetes.io/component': 'service' }, '127.1.1.51');
    expect(decide(np, db, svc, 3306).allowed).toBe(true);
    expect(decide(np, db, pod('ui', 'catalog', { 'app.kubernetes.io/name': 'ui' }, '127.1.1.52'), 3306).allowed).toBe(false);
  });

  it('eksworkshop ui egress: an Egress-only policy never restricts ingress', () => {
    const np = fixture('eksworkshop-allow-ui-egress.yaml');
    expect(policyTypesOf(np)).toEqual(['Egress']);
    expect(decide(np, pod('ui', 'ui', { 'app.kubernetes.io/name': 'ui' }, '127.1.2.9'), '127.0.0.1').isolated).toBe(false);
  });
});

describe('NetworkPolicy evaluation (rules)', () => {
  const target = pod('db', 'default', { app: 'db' }, '127.1.1.60', { ports: [{ name: 'pg', containerPort: 5432 }] });
  const base = (ingress: any[]): KObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'p', namespace: 'default' },
    spec: { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress },
  });

  it('ipBlock cidr with except', () => {
    const np = base([{ from: [{ ipBlock: { cidr: '127.0.0.0/8', except: ['127.0.0.1/32'] } }] }]);
    expect(decide(np, target, '127.0.0.2').allowed).toBe(true);
    expect(decide(np, target, '127.0.0.1').allowed).toBe(false);
    // ipBlock also matches pod IPs, as Calico and Cilium do
    expect(decide(np, target, pod('x', 'foo', {}, '127.1.2.2')).allowed).toBe(true);
  });

  it('port ranges with endPort, protocol-only ports, named ports resolved on the target', () => {
    expect(decide(base([{ ports: [{ port: 5000, endPort: 6000 }] }]), target, '127.0.0.1', 5432).allowed).toBe(true);
    expect(decide(base([{ ports: [{ port: 5000, endPort: 5400 }] }]), target, '127.0.0.1', 5432).allowed).toBe(false);
    expect(decide(base([{ ports: [{ protocol: 'TCP' }] }]), target, '127.0.0.1', 5432).allowed).toBe(true);
    expect(decide(base([{ ports: [{ protocol: 'UDP' }] }]), target, '127.0.0.1', 5432).allowed).toBe(false);
    expect(decide(base([{ ports: [{ port: 'pg' }] }]), target, '127.0.0.1', 5432).allowed).toBe(true);
    expect(decide(base([{ ports: [{ port: 'nope' }] }]), target, '127.0.0.1', 5432).allowed).toBe(false);
  });

  it('namespaceSelector {} admits pods of every namespace but not addresses outside the cluster', () => {
    const np = base([{ from: [{ namespaceSelector: {} }] }]);
    expect(decide(np, target, pod('x', 'foo', {}, '127.1.2.3')).allowed).toBe(true);
    expect(decide(np, target, '127.0.0.1').allowed).toBe(false);
  });

  it('matchExpressions in selectors', () => {
    const np = base([{ from: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] } }] }]);
    expect(decide(np, target, pod('x', 'default', { tier: 'api' }, '127.1.1.70')).allowed).toBe(true);
    expect(decide(np, target, pod('y', 'default', { tier: 'batch' }, '127.1.1.71')).allowed).toBe(false);
  });

  it('the demo scenario: ingress-nginx pods reach shop web on 8080, other pods do not', () => {
    const np: KObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'web-allow-ingress', namespace: 'shop' },
      spec: {
        podSelector: { matchLabels: { app: 'shop', component: 'web' } },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }, { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' } } }],
            ports: [{ protocol: 'TCP', port: 8080 }],
          },
        ],
      },
    };
    const web = pod('web', 'shop', { app: 'shop', component: 'web' }, '127.1.1.80', { ports: [{ name: 'http', containerPort: 8080 }] });
    const ctrl = pod('ingress-nginx-controller-x', 'ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }, '127.1.2.81');
    const api = pod('api', 'shop', { app: 'shop', component: 'api' }, '127.1.1.82');
    expect(decide(np, web, ctrl, 8080).allowed).toBe(true);
    expect(decide(np, web, api, 8080).allowed).toBe(false);
    expect(decide(np, web, '127.0.0.1', 8080).allowed).toBe(false);
  });
});

/** Every NetworkPolicy in a recipe's ```yaml blocks. */
function fixtures(file: string): KObject[] {
  const text = readFileSync(join(FIXTURES, file), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => yaml.load(m[1]!) as KObject).filter((o) => o?.kind === 'NetworkPolicy');
}

describe.skipIf(!existsSync(FIXTURES))('egress NetworkPolicy evaluation (fixtures)', () => {
  const foo = pod('foo', 'default', { app: 'foo' }, '127.1.1.10');
  const web = pod('web', 'default', { app: 'web' }, '127.1.1.11');
  const dnsPod = pod('coredns-1', 'kube-system', { 'k8s-app': 'kube-dns' }, '127.1.2.5', { ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] });
  const eg = (policies: KObject[], source: KObject, dest: KObject | string, port: number, protocol = 'TCP') =>
    evaluateEgress({
      source,
      dest: typeof dest === 'string' ? { ip: dest } : { ip: dest.status.podIP, pod: dest },
      port,
      protocol,
      policies: policies.map((p) => ({ ...p, metadata: { namespace: 'default', ...p.metadata } })),
      namespaceLabels: (ns) => NS[ns] ?? (ns === 'kube-system' ? { 'kubernetes.io/metadata.name': 'kube-system' } : undefined),
    });

  it('recipe 11: egress [] denies everything, DNS included; other pods are not isolated', () => {
    const [denyAll] = fixtures('recipes-11-deny-egress-traffic-from-an-application.md');
    expect(eg([denyAll!], foo, web, 80)).toMatchObject({ allowed: false, isolated: true });
    expect(eg([denyAll!], foo, dnsPod, 53, 'UDP').allowed).toBe(false);
    expect(eg([denyAll!], web, foo, 80)).toMatchObject({ allowed: true, isolated: false });
  });

  it('recipe 11 with the DNS rule: UDP and TCP 53 to kube-dns pods in kube-system, nothing else', () => {
    const withDns = fixtures('recipes-11-deny-egress-traffic-from-an-application.md')[1]!;
    expect(eg([withDns], foo, dnsPod, 53, 'UDP').allowed).toBe(true);
    expect(eg([withDns], foo, dnsPod, 53, 'TCP').allowed).toBe(true);
    expect(eg([withDns], foo, dnsPod, 9153, 'TCP').allowed).toBe(false);
    expect(eg([withDns], foo, web, 80).allowed).toBe(false);
    // a pod labelled k8s-app=kube-dns in another namespace is not the cluster DNS
    const fake = pod('fake-dns', 'default', { 'k8s-app': 'kube-dns' }, '127.1.1.12');
    expect(eg([withDns], foo, fake, 53, 'UDP').allowed).toBe(false);
  });

  it('eksworkshop default-deny (policyTypes [Egress], no rules) isolates every pod of the namespace for egress only', () => {
    const deny = fixture('eksworkshop-default-deny.yaml');
    expect(eg([deny], foo, web, 80).allowed).toBe(false);
    expect(eg([deny], web, '127.0.0.1', 6443).allowed).toBe(false); // the API server too
    expect(evaluateIngress({ target: web, port: 80, source: { ip: foo.status.podIP, pod: foo }, policies: [{ ...deny, metadata: { ...deny.metadata, namespace: 'default' } }], namespaceLabels: () => ({}) }).allowed).toBe(true);
  });

  it('ipBlock egress peers match destinations that are not pods (the API server behind the kubernetes Service)', () => {
    const np: KObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'to-apiserver', namespace: 'default' },
      spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '127.0.0.1/32' } }], ports: [{ port: 6443 }] }] },
    };
    expect(eg([np], foo, '127.0.0.1', 6443).allowed).toBe(true);
    expect(eg([np], foo, '127.0.0.1', 443).allowed).toBe(false);
    expect(eg([np], foo, web, 6443).allowed).toBe(false);
  });
});

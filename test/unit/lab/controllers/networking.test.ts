import { X509Certificate } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../../../../src/lab/resources.ts';
import { Store } from '../../../../src/lab/store/store.ts';
import { ApiError } from '../../../../src/lab/store/errors.ts';
import { LogStore } from '../../../../src/lab/runtime/logs.ts';
import { type CertificateAuthority, createCA } from '../../../../src/lab/pki.ts';
import { type Controller, ControllerManager } from '../../../../src/lab/controllers/runtime.ts';
import type { KObject } from '../../../../src/lab/types.ts';
import { allocateServiceAddresses, serviceController } from '../../../../src/lab/controllers/service.ts';
import { endpointSliceController } from '../../../../src/lab/controllers/endpointslice.ts';
import { controllerArgs, ingressClassOf, ingressStatusController } from '../../../../src/lab/controllers/ingress.ts';
import { gatewayController, hostnamesIntersect, proxyResourceName } from '../../../../src/lab/controllers/gateway.ts';
import { CERTIFICATE_HASH_ANNOTATION, labIssuer } from '../../../../src/lab/controllers/issuer.ts';

let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await createCA();
});

const running: ControllerManager[] = [];
afterEach(() => {
  for (const m of running.splice(0)) m.stop();
});

function lab(...controllers: Controller[]) {
  const store = new Store();
  const registry = new ResourceRegistry();
  const mgr = new ControllerManager(store, registry, new LogStore(), ca).add(...controllers);
  running.push(mgr);
  const T = (group: string, plural: string) => registry.type(group, plural);
  for (const name of ['default', 'kube-system', 'shop', 'other', 'envoy-gateway-system', 'ingress-nginx', 'gateway-system']) {
    store.create(T('', 'namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  }
  mgr.start();
  const get = (group: string, plural: string, ns: string | undefined, name: string) => store.get(T(group, plural), ns, name);
  const create = (group: string, plural: string, obj: KObject) => store.create(T(group, plural), obj);
  const mutate = (group: string, plural: string, ns: string | undefined, name: string, fn: (o: KObject) => void) => store.mutate(T(group, plural), ns, name, fn);
  const list = (group: string, plural: string, ns?: string) => store.list(T(group, plural), ns);
  const events = (obj: KObject) => list('', 'events', obj.metadata.namespace).filter((e) => e.involvedObject?.uid === obj.metadata.uid);
  return { store, registry, T, get, create, mutate, list, events };
}

/** Lets the work queues drain (each drain runs on the next macrotask). */
async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

async function waitFor<T>(fn: () => T | undefined | null | false, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function svc(name: string, ns: string, spec: any, extra: Partial<KObject['metadata']> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ...extra },
    spec: { type: 'ClusterIP', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ...spec },
    status: { loadBalancer: {} },
  };
}

function node(name: string, zone: string, ip: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zone } },
    spec: {},
    status: { addresses: [{ type: 'InternalIP', address: ip }] },
  };
}

const T0 = '2025-01-01T00:00:00Z';

/** A scheduled, Running pod as the kubelet would leave it. */
function pod(name: string, ns: string, labels: Record<string, string>, o: { ip: string; node: string; ready?: boolean; ports?: any[]; hostname?: string; subdomain?: string; args?: string[]; env?: any[] }): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: o.node,
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [{ name: 'main', image: 'registry.example/app:1', ports: o.ports ?? [], ...(o.args ? { args: o.args } : {}), ...(o.env ? { env: o.env } : {}) }],
    },
    status: {
      phase: 'Running',
      podIP: o.ip,
      podIPs: [{ ip: o.ip }],
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 },
        { type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: T0 },
      ],
    },
  };
}

describe('service controller', () => {
  it('creates the kubernetes Service and allocates ClusterIPs, honouring requests and headless', async () => {
    const l = lab(serviceController());
    const k = l.get('', 'services', 'default', 'kubernetes')!;
    expect(k.spec.clusterIP).toBe('127.2.0.1');
    expect(k.spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
    expect(l.get('', 'endpoints', 'default', 'kubernetes')!.subsets[0].ports[0].port).toBe(6443);

    for (let i = 0; i < 20; i++) l.create('', 'services', svc(`s${i}`, 'default', { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] }));
    l.create('', 'services', svc('dns', 'kube-system', { clusterIP: '127.2.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }));
    l.create('', 'services', svc('headless', 'default', { clusterIP: 'None', ports: [{ port: 80 }] }));
    await settle();
    const ips = l.list('', 'services', 'default').filter((s) => /^s\d+$/.test(s.metadata.name!)).map((s) => s.spec.clusterIP);
    expect(ips).toHaveLength(20);
    expect(new Set(ips).size).toBe(20);
    for (const ip of ips) {
      expect(ip).toMatch(/^127\.2\.\d+\.\d+$/);
      expect(['127.2.0.1', '127.2.0.10']).not.toContain(ip);
    }
    const s0 = l.get('', 'services', 'default', 's0')!;
    expect(s0.spec.clusterIPs).toEqual([s0.spec.clusterIP]);
    expect(l.get('', 'services', 'kube-system', 'dns')!.spec.clusterIP).toBe('127.2.0.10');
    const h = l.get('', 'services', 'default', 'headless')!;
    expect(h.spec.clusterIP).toBe('None');
    expect(h.spec.clusterIPs).toEqual(['None']);
  });

  it('allocateServiceAddresses rejects taken addresses in strict mode, as the apiserver does', async () => {
    const l = lab(serviceController());
    l.create('', 'services', svc('a', 'default', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
    await settle();
    const dup = svc('b', 'default', { clusterIP: '127.2.0.1', ports: [{ port: 80 }] });
    let err: unknown;
    try {
      allocateServiceAddresses(l.store, l.registry, dup, undefined, { strict: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).message).toContain('spec.clusterIPs: Invalid value: []string{"127.2.0.1"}: failed to allocate IP 127.2.0.1: provided IP is already allocated');
    const np = svc('c', 'default', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
    expect(() => allocateServiceAddresses(l.store, l.registry, np, undefined, { strict: true })).toThrow('spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    // An update keeps what was allocated when the new object leaves it empty.
    const a = l.get('', 'services', 'default', 'a')!;
    const upd = svc('a', 'default', { type: 'NodePort', ports: [{ port: 80 }] });
    allocateServiceAddresses(l.store, l.registry, upd, a, { strict: true });
    expect(upd.spec.clusterIP).toBe(a.spec.clusterIP);
    expect(upd.spec.ports[0].nodePort).toBe(30080);
  });

  it('allocates NodePorts, healthCheckNodePort and load-balancer addresses; pending stays empty and silent', async () => {
    const l = lab(serviceController());
    l.create('', 'services', svc('np', 'default', { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'm', port: 9153, protocol: 'TCP' }] }));
    l.create('', 'services', svc('lb', 'default', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    l.create('', 'services', svc('pending', 'default', { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] }, { annotations: { 'lab.netpath.dev/lb': 'pending' } }));
    l.create('', 'services', svc('nonp', 'default', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, loadBalancerIP: '127.0.10.42', ports: [{ port: 443, protocol: 'TCP' }] }));
    await settle();

    const np = l.get('', 'services', 'default', 'np')!;
    const ports = np.spec.ports.map((p: any) => p.nodePort);
    for (const p of ports) expect(p).toBeGreaterThanOrEqual(30000), expect(p).toBeLessThanOrEqual(32767);
    expect(ports[0]).toBe(ports[1]); // 53/UDP and 53/TCP share one NodePort
    expect(ports[2]).not.toBe(ports[0]);
    expect(np.status.loadBalancer).toEqual({});

    const lb = l.get('', 'services', 'default', 'lb')!;
    expect(lb.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);
    expect(lb.spec.healthCheckNodePort).not.toBe(lb.spec.ports[0].nodePort);
    expect(lb.status.loadBalancer).toEqual({ ingress: [{ ip: '127.0.10.10', ipMode: 'VIP' }] });
    expect(l.events(lb).map((e) => [e.reason, e.message, e.source.component]).sort()).toEqual([
      ['EnsuredLoadBalancer', 'Ensured load balancer', 'service-controller'],
      ['EnsuringLoadBalancer', 'Ensuring load balancer', 'service-controller'],
    ]);

    const pending = l.get('', 'services', 'default', 'pending')!;
    expect(pending.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(pending.spec.clusterIP).toMatch(/^127\.2\./);
    expect(pending.status.loadBalancer).toEqual({});
    expect(l.events(pending)).toEqual([]);

    const nonp = l.get('', 'services', 'default', 'nonp')!;
    expect(nonp.spec.ports[0].nodePort).toBeUndefined();
    expect(nonp.status.loadBalancer.ingress).toEqual([{ ip: '127.0.10.42', ipMode: 'VIP' }]);

    // Addresses come back to the pool on delete and on a type change.
    l.store.remove(l.T('', 'services'), 'default', 'lb');
    l.mutate('', 'services', 'default', 'nonp', (s) => {
      s.spec.type = 'ClusterIP';
    });
    l.create('', 'services', svc('lb2', 'default', { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] }));
    l.create('', 'services', svc('lb3', 'default', { type: 'LoadBalancer', loadBalancerIP: '127.0.10.42', ports: [{ port: 80, protocol: 'TCP' }] }));
    await settle();
    expect(l.get('', 'services', 'default', 'lb2')!.status.loadBalancer.ingress[0].ip).toBe('127.0.10.10');
    expect(l.get('', 'services', 'default', 'lb3')!.status.loadBalancer.ingress[0].ip).toBe('127.0.10.42');
    const demoted = l.get('', 'services', 'default', 'nonp')!;
    expect(demoted.status.loadBalancer).toEqual({});
    expect(l.events(demoted).map((e) => e.reason)).toContain('DeletedLoadBalancer');
  });
});

describe('endpointslice controller', () => {
  function setup() {
    const l = lab(serviceController(), endpointSliceController());
    l.create('', 'nodes', node('w1', 'zone-a', '127.0.1.1'));
    l.create('', 'nodes', node('w2', 'zone-b', '127.0.1.2'));
    return l;
  }
  const slicesOf = (l: ReturnType<typeof lab>, ns: string, name: string) =>
    l.list('discovery.k8s.io', 'endpointslices', ns).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === name);

  it('resolves named targetPorts per pod, with ready/serving/terminating, zone, nodeName and targetRef', async () => {
    const l = setup();
    l.create('', 'services', svc('web', 'shop', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }] }, { labels: { team: 'shop' } }));
    l.create('', 'pods', pod('web-a', 'shop', { app: 'web' }, { ip: '127.1.1.5', node: 'w1', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }));
    l.create('', 'pods', pod('web-b', 'shop', { app: 'web' }, { ip: '127.1.2.5', node: 'w2', ready: false, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }));
    l.create('', 'pods', pod('web-c', 'shop', { app: 'web' }, { ip: '127.1.1.6', node: 'w1', ports: [{ name: 'http', containerPort: 9090, protocol: 'TCP' }] }));
    l.create('', 'pods', pod('web-d', 'shop', { app: 'web' }, { ip: '127.1.2.6', node: 'w2', ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }));
    l.create('', 'pods', pod('web-e', 'shop', { app: 'web' }, { ip: '', node: 'w2', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }));
    l.create('', 'pods', pod('other', 'shop', { app: 'api' }, { ip: '127.1.1.9', node: 'w1', ports: [{ name: 'http', containerPort: 8080 }] }));
    await settle();

    const service = l.get('', 'services', 'shop', 'web')!;
    const slices = slicesOf(l, 'shop', 'web');
    expect(slices).toHaveLength(3);
    for (const s of slices) {
      expect(s.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(s.metadata.generateName).toBe('web-');
      expect(s.addressType).toBe('IPv4');
      expect(s.metadata.labels).toEqual({ team: 'shop', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
      expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: service.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(s.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    const byPort = (port: number | null) => slices.find((s) => (s.ports?.[0]?.port ?? null) === port)!;
    const s8080 = byPort(8080);
    expect(s8080.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const a = s8080.endpoints.find((e: any) => e.targetRef.name === 'web-a');
    const podA = l.get('', 'pods', 'shop', 'web-a')!;
    expect(a).toEqual({
      addresses: ['127.1.1.5'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-a', uid: podA.metadata.uid },
      nodeName: 'w1',
      zone: 'zone-a',
    });
    expect(s8080.endpoints.find((e: any) => e.targetRef.name === 'web-b').conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(byPort(9090).endpoints.map((e: any) => e.targetRef.name)).toEqual(['web-c']);
    // web-d declares no port named "http": upstream leaves that port out for the pod, so it lands in a slice without ports.
    const portless = byPort(null);
    expect(portless.ports).toBeNull();
    expect(portless.endpoints.map((e: any) => e.targetRef.name)).toEqual(['web-d']);

    // The legacy Endpoints: ready and not-ready addresses per port set; web-d is skipped there.
    const ep = l.get('', 'endpoints', 'shop', 'web')!;
    expect(ep.metadata.labels).toEqual({ team: 'shop' });
    expect(ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toBeDefined();
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: '127.1.1.5', nodeName: 'w1', targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-a', uid: podA.metadata.uid } }],
        notReadyAddresses: [{ ip: '127.1.2.5', nodeName: 'w2', targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-b', uid: l.get('', 'pods', 'shop', 'web-b')!.metadata.uid } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
      {
        addresses: [{ ip: '127.1.1.6', nodeName: 'w1', targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-c', uid: l.get('', 'pods', 'shop', 'web-c')!.metadata.uid } }],
        ports: [{ name: 'http', port: 9090, protocol: 'TCP' }],
      },
    ]);

    // Terminating: serving keeps the Ready condition, ready goes false; the legacy Endpoints drops the pod.
    const name8080 = s8080.metadata.name;
    l.mutate('', 'pods', 'shop', 'web-a', (p) => {
      p.metadata.deletionTimestamp = new Date().toISOString();
    });
    l.create('', 'pods', pod('web-f', 'shop', { app: 'web' }, { ip: '127.1.2.7', node: 'w2', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }));
    await settle();
    const after = l.get('discovery.k8s.io', 'endpointslices', 'shop', name8080!)!;
    expect(after).toBeDefined(); // updated in place, same name
    expect(after.endpoints.find((e: any) => e.targetRef.name === 'web-a').conditions).toEqual({ ready: false, serving: true, terminating: true });
    expect(after.endpoints.map((e: any) => e.targetRef.name).sort()).toEqual(['web-a', 'web-b', 'web-f']);
    expect(slicesOf(l, 'shop', 'web')).toHaveLength(3);
    const ep2 = l.get('', 'endpoints', 'shop', 'web')!;
    const sub8080 = ep2.subsets.find((x: any) => x.ports[0].port === 8080);
    expect(sub8080.addresses.map((a: any) => a.ip)).toEqual(['127.1.2.7']);
    expect(sub8080.notReadyAddresses.map((a: any) => a.ip)).toEqual(['127.1.2.5']);

    // Deleting the Service removes its slices and Endpoints.
    l.store.remove(l.T('', 'services'), 'shop', 'web');
    await settle();
    expect(slicesOf(l, 'shop', 'web')).toEqual([]);
    expect(l.get('', 'endpoints', 'shop', 'web')).toBeUndefined();
  });

  it('keeps one empty slice when the selector matches nothing, and fills it in place later', async () => {
    const l = setup();
    l.create('', 'services', svc('web', 'shop', { selector: { app: 'web-v2' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] }));
    l.create('', 'pods', pod('web-a', 'shop', { app: 'web' }, { ip: '127.1.1.5', node: 'w1' }));
    await settle();
    const [empty] = slicesOf(l, 'shop', 'web');
    expect(slicesOf(l, 'shop', 'web')).toHaveLength(1);
    expect(empty!.endpoints).toBeNull();
    expect(empty!.ports).toBeNull();
    const ep = l.get('', 'endpoints', 'shop', 'web')!;
    expect(ep.subsets).toBeUndefined();

    l.mutate('', 'services', 'shop', 'web', (s) => {
      s.spec.selector = { app: 'web' };
    });
    await settle();
    const slices = slicesOf(l, 'shop', 'web');
    expect(slices).toHaveLength(1);
    expect(slices[0]!.metadata.name).toBe(empty!.metadata.name);
    expect(slices[0]!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slices[0]!.endpoints.map((e: any) => e.addresses[0])).toEqual(['127.1.1.5']);
  });

  it('follows pods into and out of selectors (also after a selector change), and ignores pod changes endpoints do not show', async () => {
    const l = setup();
    l.create('', 'services', svc('web', 'shop', { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] }));
    l.create('', 'pods', pod('a', 'shop', { app: 'web' }, { ip: '127.1.1.5', node: 'w1' }));
    await settle();
    const ips = () => slicesOf(l, 'shop', 'web').flatMap((s) => (s.endpoints ?? []).map((e: any) => e.addresses[0])).sort();
    expect(ips()).toEqual(['127.1.1.5']);
    // a status change that endpoints do not show: no write
    const rv = slicesOf(l, 'shop', 'web')[0]!.metadata.resourceVersion;
    const writes: string[] = [];
    l.store.subscribe((ev, def) => def.plural === 'endpointslices' && writes.push(ev.type));
    l.mutate('', 'pods', 'shop', 'a', (p) => (p.status.qosClass = 'BestEffort'));
    l.mutate('', 'pods', 'shop', 'a', (p) => (p.metadata.annotations = { note: 'x' }));
    await settle();
    expect(writes).toEqual([]);
    expect(slicesOf(l, 'shop', 'web')[0]!.metadata.resourceVersion).toBe(rv);
    // readiness does show
    l.mutate('', 'pods', 'shop', 'a', (p) => (p.status.conditions[1].status = 'False'));
    await settle();
    expect(slicesOf(l, 'shop', 'web')[0]!.endpoints[0].conditions).toEqual({ ready: false, serving: false, terminating: false });
    // relabelled out of the selector, then the selector follows the new label; a new pod of the new label joins
    l.mutate('', 'pods', 'shop', 'a', (p) => (p.metadata.labels = { app: 'web-v2' }));
    await settle();
    expect(ips()).toEqual([]);
    l.mutate('', 'services', 'shop', 'web', (s) => (s.spec.selector = { app: 'web-v2' }));
    await settle();
    expect(ips()).toEqual(['127.1.1.5']);
    l.create('', 'pods', pod('b', 'shop', { app: 'web-v2', extra: 'y' }, { ip: '127.1.2.6', node: 'w2' }));
    l.create('', 'pods', pod('c', 'shop', { app: 'web' }, { ip: '127.1.2.7', node: 'w2' }));
    await settle();
    expect(ips()).toEqual(['127.1.1.5', '127.1.2.6']);
    l.store.remove(l.T('', 'pods'), 'shop', 'a');
    await settle();
    expect(ips()).toEqual(['127.1.2.6']);
  });

  it('publishNotReadyAddresses, subdomain hostnames, selectorless Services and packing into 100-endpoint slices', async () => {
    const l = setup();
    l.create('', 'services', svc('db', 'shop', { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }));
    l.create('', 'pods', pod('db-0', 'shop', { app: 'db' }, { ip: '127.1.1.20', node: 'w1', ready: false, hostname: 'db-0', subdomain: 'db' }));
    l.create('', 'services', svc('ext', 'shop', { ports: [{ port: 80, protocol: 'TCP' }] }));
    l.create('', 'services', svc('many', 'shop', { selector: { app: 'many' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] }));
    for (let i = 0; i < 150; i++) l.create('', 'pods', pod(`m-${i}`, 'shop', { app: 'many' }, { ip: `127.1.${1 + (i % 2)}.${100 + Math.floor(i / 2)}`, node: i % 2 ? 'w2' : 'w1' }));
    await settle(12);
    const [db] = slicesOf(l, 'shop', 'db');
    expect(db!.metadata.labels?.['service.kubernetes.io/headless']).toBe('');
    expect(db!.endpoints[0]).toMatchObject({ addresses: ['127.1.1.20'], conditions: { ready: true, serving: false, terminating: false }, hostname: 'db-0' });
    expect(l.get('', 'endpoints', 'shop', 'db')!.subsets[0].addresses[0]).toMatchObject({ ip: '127.1.1.20', hostname: 'db-0' });
    expect(slicesOf(l, 'shop', 'ext')).toEqual([]);
    expect(l.get('', 'endpoints', 'shop', 'ext')).toBeUndefined();
    const many = slicesOf(l, 'shop', 'many');
    expect(many.map((s) => s.endpoints.length).sort((a, b) => a - b)).toEqual([50, 100]);
  });
});

describe('ingress status controller', () => {
  it('parses ingress-nginx flags and finds an Ingress class', () => {
    const p = pod('c', 'ingress-nginx', {}, {
      ip: '127.1.1.3',
      node: 'w1',
      args: ['/nginx-ingress-controller', '--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller', '--controller-class=k8s.io/ingress-nginx', '--ingress-class', 'nginx', '--watch-ingress-without-class=true'],
      env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
    });
    expect(controllerArgs(p)).toEqual({
      controllerClass: 'k8s.io/ingress-nginx',
      ingressClass: 'nginx',
      ingressClassByName: false,
      watchIngressWithoutClass: true,
      publishService: 'ingress-nginx/ingress-nginx-controller',
      updateStatus: true,
    });
    expect(controllerArgs(pod('x', 'default', {}, { ip: '1.1.1.1', node: 'w1', args: ['serve'] }))).toBeUndefined();
    const classes: KObject[] = [
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx', creationTimestamp: T0 }, spec: { controller: 'k8s.io/ingress-nginx' } },
      { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'internal', creationTimestamp: T0, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } }, spec: { controller: 'x' } },
    ];
    const ing = (spec: any, annotations?: Record<string, string>): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i', annotations }, spec });
    expect(ingressClassOf(ing({ ingressClassName: 'nginx' }), classes)).toBe('nginx');
    expect(ingressClassOf(ing({}, { 'kubernetes.io/ingress.class': 'legacy' }), classes)).toBe('legacy');
    expect(ingressClassOf(ing({}), classes)).toBe('internal');
    expect(ingressClassOf(ing({}), classes.slice(0, 1))).toBeUndefined();
  });

  it('publishes the controller Service address on claimed Ingresses only, and clears it when the controller goes', async () => {
    const l = lab(serviceController(), ingressStatusController());
    l.create('', 'nodes', node('w1', 'zone-a', '127.0.1.1'));
    l.create('networking.k8s.io', 'ingressclasses', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    l.create('', 'services', svc('ingress-nginx-controller', 'ingress-nginx', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    const ingress = (name: string, spec: any): KObject => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name, namespace: 'shop' },
      spec: { ...spec, rules: [{ host: `${name}.netpath.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
      status: { loadBalancer: {} },
    });
    l.create('networking.k8s.io', 'ingresses', ingress('shop', { ingressClassName: 'nginx' }));
    l.create('networking.k8s.io', 'ingresses', ingress('lost', { ingressClassName: 'nginx-internal' }));
    l.create('networking.k8s.io', 'ingresses', ingress('classless', {}));
    await settle();
    expect(l.get('networking.k8s.io', 'ingresses', 'shop', 'shop')!.status).toEqual({ loadBalancer: {} });

    l.create('', 'pods', pod('ingress-nginx-controller-abc', 'ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }, {
      ip: '127.1.1.3',
      node: 'w1',
      args: ['/nginx-ingress-controller', '--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller', '--election-id=ingress-nginx-leader', '--controller-class=k8s.io/ingress-nginx', '--ingress-class=nginx'],
      env: [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
    }));
    const shop = await waitFor(() => {
      const i = l.get('networking.k8s.io', 'ingresses', 'shop', 'shop')!;
      return i.status?.loadBalancer?.ingress ? i : undefined;
    });
    expect(shop.status.loadBalancer).toEqual({ ingress: [{ ip: '127.0.10.10' }] });
    await settle();
    const sync = l.events(shop).filter((e) => e.reason === 'Sync');
    expect(sync).toHaveLength(1);
    expect(sync[0]).toMatchObject({ type: 'Normal', message: 'Scheduled for sync', source: { component: 'nginx-ingress-controller' } });
    expect(sync[0]!.count).toBe(2); // once on add, once after the status update, as in a real cluster
    for (const name of ['lost', 'classless']) {
      const i = l.get('networking.k8s.io', 'ingresses', 'shop', name)!;
      expect(i.status).toEqual({ loadBalancer: {} });
      expect(l.events(i)).toEqual([]);
    }

    // The published Service loses its address: the status follows.
    l.mutate('', 'services', 'ingress-nginx', 'ingress-nginx-controller', (s) => {
      s.metadata.annotations = { 'lab.netpath.dev/lb': 'pending' };
    });
    await settle();
    expect(l.get('networking.k8s.io', 'ingresses', 'shop', 'shop')!.status).toEqual({ loadBalancer: {} });
    l.mutate('', 'services', 'ingress-nginx', 'ingress-nginx-controller', (s) => {
      delete s.metadata.annotations;
    });
    await settle();
    expect(l.get('networking.k8s.io', 'ingresses', 'shop', 'shop')!.status.loadBalancer.ingress).toEqual([{ ip: '127.0.10.10' }]);

    // The controller stops: it clears what it published.
    l.store.remove(l.T('', 'pods'), 'ingress-nginx', 'ingress-nginx-controller-abc');
    await settle();
    expect(l.get('networking.k8s.io', 'ingresses', 'shop', 'shop')!.status).toEqual({ loadBalancer: {} });
  });
});

describe('ingress status without --publish-service', () => {
  it('publishes the IPs of the nodes running the controller, or --publish-status-address', async () => {
    const l = lab(ingressStatusController());
    l.create('', 'nodes', node('w1', 'zone-a', '127.0.1.1'));
    l.create('', 'nodes', node('w2', 'zone-b', '127.0.1.2'));
    l.create('networking.k8s.io', 'ingressclasses', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } });
    l.create('networking.k8s.io', 'ingressclasses', { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'edge' }, spec: { controller: 'k8s.io/edge' } });
    const ing = (name: string, cls: string): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'shop' }, spec: { ingressClassName: cls }, status: { loadBalancer: {} } });
    l.create('networking.k8s.io', 'ingresses', ing('a', 'nginx'));
    l.create('networking.k8s.io', 'ingresses', ing('b', 'edge'));
    for (const [name, nodeName] of [['c1', 'w2'], ['c2', 'w1']] as const)
      l.create('', 'pods', pod(name, 'ingress-nginx', {}, { ip: '127.1.1.3', node: nodeName, args: ['/nginx-ingress-controller', '--ingress-class=nginx'] }));
    l.create('', 'pods', pod('e1', 'ingress-nginx', {}, { ip: '127.1.1.4', node: 'w1', args: ['/nginx-ingress-controller', '--controller-class=k8s.io/edge', '--publish-status-address=203.0.113.7,edge.example.com'] }));
    await settle();
    expect(l.get('networking.k8s.io', 'ingresses', 'shop', 'a')!.status.loadBalancer).toEqual({ ingress: [{ ip: '127.0.1.1' }, { ip: '127.0.1.2' }] });
    expect(l.get('networking.k8s.io', 'ingresses', 'shop', 'b')!.status.loadBalancer).toEqual({ ingress: [{ hostname: 'edge.example.com' }, { ip: '203.0.113.7' }] });
  });
});

describe('gateway controller', () => {
  it('names proxies as Envoy Gateway does', () => {
    expect(proxyResourceName('envoy-gateway', 'gateway-1')).toBe('envoy-envoy-gateway-gateway-1-196ae069');
    expect(proxyResourceName('envoy-gateway', 'gateway-tlsroute-tls-passthrough-only')).toBe('envoy-envoy-gateway-gateway-tlsroute-tls-passthrough-o-92dd85f5');
    expect(proxyResourceName('gateway', 'composite-gateway')).toBe('envoy-gateway-composite-gateway-acff6ccf');
    expect(hostnamesIntersect('*.netpath.test', 'shop.netpath.test')).toBe(true);
    expect(hostnamesIntersect('*.netpath.test', 'netpath.test')).toBe(false);
    expect(hostnamesIntersect('a.example.com', '*.example.com')).toBe(true);
    expect(hostnamesIntersect('a.example.com', 'b.example.com')).toBe(false);
    expect(hostnamesIntersect(undefined, 'b.example.com')).toBe(true);
  });

  it('provisions the proxy, programs the Gateway and reports route conditions', async () => {
    const l = lab(serviceController(), endpointSliceController(), gatewayController());
    const G = 'gateway.networking.k8s.io';
    l.create(G, 'gatewayclasses', { apiVersion: `${G}/v1`, kind: 'GatewayClass', metadata: { name: 'eg' }, spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' } });
    l.create(G, 'gatewayclasses', { apiVersion: `${G}/v1`, kind: 'GatewayClass', metadata: { name: 'other' }, spec: { controllerName: 'example.com/other' } });
    l.create('', 'secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'public-tls', namespace: 'gateway-system' }, type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from(ca.certPem).toString('base64'), 'tls.key': Buffer.from(ca.keyPem).toString('base64') } });
    l.create(G, 'gateways', {
      apiVersion: `${G}/v1`,
      kind: 'Gateway',
      metadata: { name: 'public', namespace: 'gateway-system' },
      spec: {
        gatewayClassName: 'eg',
        listeners: [
          { name: 'http', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } },
          { name: 'https', protocol: 'HTTPS', port: 443, hostname: '*.netpath.test', allowedRoutes: { namespaces: { from: 'All' } }, tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'public-tls' }] } },
          { name: 'broken', protocol: 'HTTPS', port: 8443, allowedRoutes: { namespaces: { from: 'Same' } }, tls: { mode: 'Terminate', certificateRefs: [{ name: 'missing-tls' }] } },
        ],
      },
    });
    l.create(G, 'gateways', { apiVersion: `${G}/v1`, kind: 'Gateway', metadata: { name: 'foreign', namespace: 'gateway-system' }, spec: { gatewayClassName: 'other', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] } });
    await settle();

    const gc = l.get(G, 'gatewayclasses', undefined, 'eg')!;
    expect(gc.status.conditions).toEqual([expect.objectContaining({ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Valid GatewayClass', observedGeneration: 1 })]);
    expect(gc.metadata.finalizers).toEqual(['gateway-exists-finalizer.gateway.networking.k8s.io']);
    expect(l.get(G, 'gatewayclasses', undefined, 'other')!.status).toBeUndefined();
    expect(l.get(G, 'gateways', 'gateway-system', 'foreign')!.status).toBeUndefined();

    const name = proxyResourceName('gateway-system', 'public');
    const dep = l.get('apps', 'deployments', 'envoy-gateway-system', name)!;
    const labels = {
      'app.kubernetes.io/component': 'proxy',
      'app.kubernetes.io/managed-by': 'envoy-gateway',
      'app.kubernetes.io/name': 'envoy',
      'gateway.envoyproxy.io/owning-gateway-name': 'public',
      'gateway.envoyproxy.io/owning-gateway-namespace': 'gateway-system',
    };
    expect(dep.metadata.labels).toEqual(labels);
    expect(dep.metadata.ownerReferences).toEqual([{ apiVersion: `${G}/v1`, kind: 'GatewayClass', name: 'eg', uid: gc.metadata.uid }]);
    const envoy = dep.spec.template.spec.containers[0];
    expect(envoy.image).toBe('docker.io/envoyproxy/envoy:distroless-v1.35.0');
    expect(envoy.ports.map((p: any) => p.containerPort)).toEqual([10080, 10443, 19001, 19003]); // the broken listener is not served
    expect(envoy.readinessProbe.httpGet).toMatchObject({ path: '/ready', port: 19003 });
    const proxySvc = l.get('', 'services', 'envoy-gateway-system', name)!;
    expect(proxySvc.spec).toMatchObject({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: labels });
    expect(proxySvc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([['http-80', 80, 10080], ['https-443', 443, 10443]]);
    expect(proxySvc.spec.healthCheckNodePort).toBeGreaterThanOrEqual(30000);

    let gw = l.get(G, 'gateways', 'gateway-system', 'public')!;
    expect(gw.status.addresses).toEqual([{ type: 'IPAddress', value: '127.0.10.10' }]);
    expect(gw.status.conditions.map((c: any) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['Accepted', 'True', 'Accepted', 'The Gateway has been scheduled by Envoy Gateway'],
      ['Programmed', 'False', 'NoResources', 'Deployment replicas unavailable'],
    ]);
    const [http, https, broken] = gw.status.listeners;
    expect(http).toMatchObject({ name: 'http', attachedRoutes: 0, supportedKinds: [{ group: G, kind: 'HTTPRoute' }, { group: G, kind: 'GRPCRoute' }] });
    expect(https.conditions.map((c: any) => [c.type, c.status, c.reason])).toEqual([['Programmed', 'True', 'Programmed'], ['Accepted', 'True', 'Accepted'], ['ResolvedRefs', 'True', 'ResolvedRefs']]);
    expect(broken.conditions.map((c: any) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['ResolvedRefs', 'False', 'InvalidCertificateRef', 'No valid secrets exist: certificate refs 0: Secret gateway-system/missing-tls does not exist.'],
      ['Programmed', 'False', 'Invalid', 'Listener is invalid, see other Conditions for details.'],
    ]);

    // The proxy becomes available (the deployment controller's job): Programmed.
    l.mutate('apps', 'deployments', 'envoy-gateway-system', name, (d) => {
      d.status = { replicas: 1, readyReplicas: 1, availableReplicas: 1 };
    });
    await settle();
    gw = l.get(G, 'gateways', 'gateway-system', 'public')!;
    expect(gw.status.conditions[1]).toMatchObject({ type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Address assigned to the Gateway, 1/1 envoy Deployment replicas available', observedGeneration: 1 });

    // Routes: a missing backend, then a cross-namespace backend without and with a ReferenceGrant.
    const route = (rname: string, ns: string, parentRef: any, backend: any, hostnames?: string[]): KObject => ({
      apiVersion: `${G}/v1`,
      kind: 'HTTPRoute',
      metadata: { name: rname, namespace: ns },
      spec: { parentRefs: [parentRef], ...(hostnames ? { hostnames } : {}), rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [backend] }] },
    });
    const parent = { group: G, kind: 'Gateway', name: 'public', namespace: 'gateway-system', sectionName: 'https' };
    l.create(G, 'httproutes', route('shop', 'shop', parent, { name: 'web', port: 80 }, ['shop-gw.netpath.test']));
    l.create(G, 'httproutes', route('xns', 'shop', parent, { name: 'catalog', namespace: 'other', port: 80 }, ['xns.netpath.test']));
    l.create(G, 'httproutes', route('nosection', 'shop', { ...parent, sectionName: 'nope' }, { name: 'web', port: 80 }));
    l.create(G, 'httproutes', route('wronghost', 'shop', parent, { name: 'web', port: 80 }, ['shop.example.com']));
    l.create(G, 'httproutes', route('samens', 'shop', { ...parent, sectionName: 'broken' }, { name: 'web', port: 80 }));
    l.create(G, 'httproutes', route('elsewhere', 'shop', { name: 'foreign', namespace: 'gateway-system' }, { name: 'web', port: 80 }));
    await settle();
    const conds = (rname: string) => {
      const r = l.get(G, 'httproutes', 'shop', rname)!;
      expect(r.status.parents).toHaveLength(1);
      expect(r.status.parents[0].controllerName).toBe('gateway.envoyproxy.io/gatewayclass-controller');
      return r.status.parents[0].conditions.map((c: any) => [c.type, c.status, c.reason, c.message]);
    };
    expect(l.get(G, 'httproutes', 'shop', 'shop')!.status.parents[0].parentRef).toEqual(parent);
    expect(conds('shop')).toEqual([
      ['Accepted', 'True', 'Accepted', 'Route is accepted'],
      ['ResolvedRefs', 'False', 'BackendNotFound', 'Failed to process route rule 0 backendRef 0: service shop/web not found.'],
    ]);
    expect(conds('xns')).toEqual([
      ['Accepted', 'True', 'Accepted', 'Route is accepted'],
      ['ResolvedRefs', 'False', 'RefNotPermitted', 'Failed to process route rule 0 backendRef 0: Backend ref to Service other/catalog not permitted by any ReferenceGrant.'],
    ]);
    expect(conds('nosection')[0]).toEqual(['Accepted', 'False', 'NoMatchingParent', 'No listeners match this parent ref']);
    expect(conds('wronghost')[0]).toEqual(['Accepted', 'False', 'NoMatchingListenerHostname', "There were no hostname intersections between the HTTPRoute and this parent ref's Listener(s)."]);
    expect(conds('samens')[0]).toEqual(['Accepted', 'False', 'NotAllowedByListeners', 'No listeners included by this parent ref allowed this attachment.']);
    expect(l.get(G, 'httproutes', 'shop', 'elsewhere')!.status).toBeUndefined();

    // Fixes: the Service appears (with ready endpoints), a ReferenceGrant admits the cross-namespace reference.
    l.create('', 'nodes', node('w1', 'zone-a', '127.0.1.1'));
    l.create('', 'services', svc('web', 'shop', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] }));
    l.create('', 'pods', pod('web-a', 'shop', { app: 'web' }, { ip: '127.1.1.5', node: 'w1' }));
    l.create('', 'services', svc('catalog', 'other', { selector: { app: 'catalog' }, ports: [{ port: 80, protocol: 'TCP' }] }));
    l.create(G, 'referencegrants', {
      apiVersion: `${G}/v1beta1`,
      kind: 'ReferenceGrant',
      metadata: { name: 'allow-shop', namespace: 'other' },
      spec: { from: [{ group: G, kind: 'HTTPRoute', namespace: 'shop' }], to: [{ group: '', kind: 'Service' }] },
    });
    await settle(12);
    expect(conds('shop')).toEqual([
      ['Accepted', 'True', 'Accepted', 'Route is accepted'],
      ['ResolvedRefs', 'True', 'ResolvedRefs', 'Resolved all the Object references for the Route'],
    ]);
    expect(conds('xns')).toEqual([
      ['Accepted', 'True', 'Accepted', 'Route is accepted'],
      ['BackendsAvailable', 'False', 'EndpointsNotFound', 'Failed to find endpoints: no ready endpoints for the related Service other/catalog.'],
      ['ResolvedRefs', 'True', 'ResolvedRefs', 'Resolved all the Object references for the Route'],
    ]);
    gw = l.get(G, 'gateways', 'gateway-system', 'public')!;
    expect(gw.status.listeners.map((x: any) => x.attachedRoutes)).toEqual([0, 3, 0]);

    // The Gateway goes: its proxy goes with it, and the class loses its finalizer.
    l.store.remove(l.T(G, 'gateways'), 'gateway-system', 'public');
    await settle();
    expect(l.get('apps', 'deployments', 'envoy-gateway-system', name)).toBeUndefined();
    expect(l.get('', 'services', 'envoy-gateway-system', name)).toBeUndefined();
    expect(l.get(G, 'gatewayclasses', undefined, 'eg')!.metadata.finalizers).toBeUndefined();
  });
});

describe('lab issuer', () => {
  it('issues a CA-signed certificate once per spec, expired for a negative notAfter', async () => {
    const l = lab(labIssuer());
    l.create('', 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'site-tls', namespace: 'shop', annotations: { 'lab.netpath.dev/certificate': '{"dnsNames":["expired.netpath.test","www.expired.netpath.test"],"notBefore":"-120d","notAfter":"-3d"}' } },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': '', 'tls.key': '' },
    });
    l.create('', 'secrets', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bad', namespace: 'shop', annotations: { 'lab.netpath.dev/certificate': '{"dnsNames": [' } },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': '', 'tls.key': '' },
    });
    const s = await waitFor(() => {
      const x = l.get('', 'secrets', 'shop', 'site-tls')!;
      return x.data['tls.crt'] ? x : undefined;
    });
    const cert = new X509Certificate(Buffer.from(s.data['tls.crt'], 'base64'));
    expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now() - 2 * 86400_000);
    expect(new Date(cert.validFrom).getTime()).toBeLessThan(Date.now() - 100 * 86400_000);
    expect(cert.subject).toContain('CN=expired.netpath.test');
    expect(cert.subjectAltName).toContain('DNS:www.expired.netpath.test');
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(Buffer.from(s.data['tls.key'], 'base64').toString()).toContain('BEGIN PRIVATE KEY');
    expect(s.metadata.annotations?.[CERTIFICATE_HASH_ANNOTATION]).toMatch(/^[0-9a-f]{16}$/);

    // Unrelated changes do not reissue.
    l.mutate('', 'secrets', 'shop', 'site-tls', (x) => {
      x.metadata.labels = { touched: 'yes' };
    });
    await settle();
    await new Promise((r) => setTimeout(r, 50));
    expect(l.get('', 'secrets', 'shop', 'site-tls')!.data['tls.crt']).toBe(s.data['tls.crt']);

    const bad = l.get('', 'secrets', 'shop', 'bad')!;
    const ev = l.events(bad);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'Warning', reason: 'InvalidCertificateSpec' });
    expect(bad.data['tls.crt']).toBe('');
  });
});

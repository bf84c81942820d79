// Builders and shared-fixture loading for the engine's unit tests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import type { KObject } from '../../../src/kube/types.ts';

export const SHARED_FIXTURES = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures');
/** Whether ../shared/fixtures is present (a user's own clone has none: the tests that read it skip, with a note). */
export const HAVE_SHARED = existsSync(SHARED_FIXTURES);
if (!HAVE_SHARED) console.warn(`note: ${SHARED_FIXTURES} is absent; the tests that read the shared public fixtures are skipped`);

/** Every object of a YAML file under ../shared/fixtures (documents that are not objects are skipped). */
export function loadFixture(rel: string, namespace?: string): KObject[] {
  if (!HAVE_SHARED) return []; // the suites that use it are skipped (HAVE_SHARED)
  const docs = yaml.loadAll(readFileSync(join(SHARED_FIXTURES, rel), 'utf8')) as any[];
  const out: KObject[] = [];
  for (const d of docs) {
    if (!d || typeof d !== 'object' || !d.kind) continue;
    if (d.kind.endsWith('List') && Array.isArray(d.items)) out.push(...d.items);
    else out.push(d);
  }
  return out.map((o) => (namespace && !o.metadata.namespace ? { ...o, metadata: { ...o.metadata, namespace } } : o));
}

let t = Date.parse('2026-01-01T00:00:00Z');
function stamp(): string {
  t += 1000;
  return new Date(t).toISOString();
}

export function ingress(name: string, ns: string, spec: any, extra: Partial<KObject> = {}): KObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: ns, creationTimestamp: stamp(), ...(extra.metadata ?? {}) }, spec, ...(extra.status ? { status: extra.status } : {}) };
}

export function rule(host: string | undefined, paths: [string, string, string, number | string][]): any {
  return {
    ...(host ? { host } : {}),
    http: { paths: paths.map(([path, pathType, svc, port]) => ({ path, pathType, backend: { service: { name: svc, port: typeof port === 'number' ? { number: port } : { name: port } } } })) },
  };
}

export function service(name: string, ns: string, spec: any, extra: { annotations?: Record<string, string>; labels?: Record<string, string>; status?: any } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: ns, ...(extra.labels ? { labels: extra.labels } : {}), ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: { type: 'ClusterIP', ...spec },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

export interface PodOpts {
  labels?: Record<string, string>;
  ready?: boolean;
  node?: string;
  ip?: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  readinessProbe?: any;
  restarts?: number;
  waiting?: string;
  startedAt?: string;
  readyTransition?: string;
  annotations?: Record<string, string>;
  args?: string[];
}

export function pod(name: string, ns: string, o: PodOpts = {}): KObject {
  const ready = o.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: o.labels ?? {}, ...(o.annotations ? { annotations: o.annotations } : {}), creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: {
      nodeName: o.node ?? 'node-1',
      containers: [{ name: 'app', image: 'app:1', ...(o.args ? { args: o.args } : {}), ports: o.ports ?? [{ name: 'http', containerPort: 8080, protocol: 'TCP' }], ...(o.readinessProbe ? { readinessProbe: o.readinessProbe } : {}) }],
    },
    status: {
      phase: 'Running',
      podIP: o.ip ?? '10.0.0.1',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: o.readyTransition ?? '2026-01-01T00:00:05Z' }],
      containerStatuses: [
        {
          name: 'app',
          ready,
          restartCount: o.restarts ?? 0,
          state: o.waiting ? { waiting: { reason: o.waiting } } : { running: { startedAt: o.startedAt ?? '2026-01-01T00:00:02Z' } },
        },
      ],
    },
  };
}

export function slice(svc: string, ns: string, portName: string | undefined, port: number, endpoints: { ip: string; pod?: string; ready?: boolean; terminating?: boolean; node?: string }[]): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svc}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ ...(portName ? { name: portName } : {}), port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: ns } } : {}),
    })),
  };
}

export function node(name: string, o: { ready?: boolean; labels?: Record<string, string> } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    status: { conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }], addresses: [{ type: 'InternalIP', address: '10.1.0.1' }] },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export function event(ns: string, podName: string, reason: string, message: string, o: { count?: number; first?: string; last?: string; type?: string } = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${podName}.${reason}.${Math.random().toString(36).slice(2, 8)}`, namespace: ns },
    involvedObject: { kind: 'Pod', name: podName, namespace: ns },
    reason,
    message,
    type: o.type ?? 'Warning',
    count: o.count ?? 1,
    firstTimestamp: o.first ?? '2026-01-01T00:00:10Z',
    lastTimestamp: o.last ?? o.first ?? '2026-01-01T00:00:10Z',
  };
}

/** A minimal ingress-nginx install: IngressClass nginx, controller pod, LoadBalancer Service and its slice. */
export function ingressNginx(o: { ready?: boolean; lbIp?: string; node?: string } = {}): KObject[] {
  const labels = { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx' };
  return [
    { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } },
    namespace('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' }),
    pod('ingress-nginx-controller-abc', 'ingress-nginx', {
      labels,
      ready: o.ready ?? true,
      node: o.node ?? 'node-1',
      ip: '10.0.9.9',
      ports: [{ name: 'http', containerPort: 80 }, { name: 'https', containerPort: 443 }],
      args: ['/nginx-ingress-controller', '--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller', '--ingress-class=nginx'],
    }),
    service('ingress-nginx-controller', 'ingress-nginx', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 32000, selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'https', port: 443, targetPort: 'https' }] }, { labels, ...(o.lbIp !== '' ? { status: { loadBalancer: { ingress: [{ ip: o.lbIp ?? '203.0.113.10' }] } } } : {}) }),
    slice('ingress-nginx-controller', 'ingress-nginx', 'http', 80, [{ ip: '10.0.9.9', pod: 'ingress-nginx-controller-abc', node: o.node ?? 'node-1', ready: o.ready ?? true }]),
    node('node-1'),
    node('node-2'),
  ];
}

/** An app: Deployment-less pods, a ClusterIP Service and its EndpointSlice. */
export function app(ns: string, o: { pods?: number; ready?: boolean; selector?: Record<string, string>; podLabels?: Record<string, string>; targetPort?: number | string; containerPort?: number } = {}): KObject[] {
  const podLabels = o.podLabels ?? { app: 'web' };
  const sel = o.selector ?? { app: 'web' };
  const n = o.pods ?? 2;
  const pods = Array.from({ length: n }, (_, i) => pod(`web-${i}`, ns, { labels: podLabels, ready: o.ready ?? true, ip: `10.0.1.${i + 1}`, node: `node-${(i % 2) + 1}`, ports: [{ name: 'http', containerPort: o.containerPort ?? 8080 }] }));
  const selected = pods.filter((p) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v));
  return [
    namespace(ns),
    ...pods,
    service('web', ns, { selector: sel, ports: [{ name: 'http', port: 80, targetPort: o.targetPort ?? 'http' }] }),
    slice('web', ns, 'http', typeof o.targetPort === 'number' ? o.targetPort : (o.containerPort ?? 8080), selected.map((p) => ({ ip: p.status.podIP, pod: p.metadata.name, ready: o.ready ?? true, node: p.spec.nodeName }))),
  ];
}

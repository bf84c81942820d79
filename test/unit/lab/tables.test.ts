import { describe, expect, it } from 'vitest';
import { ResourceRegistry, type ResourceDef } from '../../../src/lab/resources.ts';
import { humanDuration, toTable, translateTimestampSince } from '../../../src/lab/apiserver/tables.ts';
import type { KObject } from '../../../src/lab/types.ts';

const reg = new ResourceRegistry();
const NOW = Date.parse('2026-11-26T12:00:00Z');
/** An RFC 3339 timestamp `s` seconds before NOW. */
const ago = (s: number): string => new Date(NOW - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const H = 3600;
const D = 24 * H;

type Table = {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  columnDefinitions: { name: string; type: string; format: string; description: string; priority: number }[];
  rows: { cells: unknown[]; object?: any; conditions?: unknown[] }[];
};

function table(group: string, plural: string, objects: KObject[], opts: Record<string, unknown> = {}): Table {
  return toTable(reg.type(group, plural), objects, { resourceVersion: '42', now: NOW, ...opts }) as Table;
}
const cells = (group: string, plural: string, obj: KObject): unknown[] => table(group, plural, [obj]).rows[0]!.cells;
const headers = (group: string, plural: string): string[] =>
  table(group, plural, []).columnDefinitions.map((c) => (c.priority ? `${c.name}*` : c.name));

function pod(name: string, spec: any, status: any, meta: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: ago(300), labels: { app: 'web' }, ...meta },
    spec: { nodeName: 'lab-worker-1', containers: [{ name: 'web', image: 'nginx:1.27' }], ...spec },
    status,
  };
}
const running = { running: { startedAt: ago(290) } };
const readyConds = [
  { type: 'Initialized', status: 'True' },
  { type: 'Ready', status: 'True' },
  { type: 'ContainersReady', status: 'True' },
  { type: 'PodScheduled', status: 'True' },
];

describe('translateTimestampSince / humanDuration', () => {
  it('matches apimachinery HumanDuration', () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [5, '5s'],
      [119, '119s'],
      [120, '2m'],
      [192, '3m12s'],
      [599, '9m59s'],
      [600, '10m'],
      [179 * 60 + 59, '179m'],
      [3 * H, '3h'],
      [7 * H + 59 * 60, '7h59m'],
      [8 * H + 30 * 60, '8h'],
      [47 * H, '47h'],
      [2 * D, '2d'],
      [2 * D + 3 * H, '2d3h'],
      [7 * D + 23 * H, '7d23h'],
      [8 * D, '8d'],
      [729 * D, '729d'],
      [730 * D, '2y'],
      [800 * D, '2y70d'],
      [9 * 365 * D, '9y'],
    ];
    for (const [s, want] of cases) expect(translateTimestampSince(ago(s), NOW), `${s}s`).toBe(want);
  });

  it('tolerates small clock skew and flags larger', () => {
    expect(humanDuration(-1500)).toBe('0s');
    expect(humanDuration(-2000)).toBe('<invalid>');
    expect(translateTimestampSince(ago(-1), NOW)).toBe('0s');
    expect(translateTimestampSince(ago(-5), NOW)).toBe('<invalid>');
  });

  it('reads absent or zero timestamps as <unknown> and accepts MicroTime', () => {
    expect(translateTimestampSince(undefined, NOW)).toBe('<unknown>');
    expect(translateTimestampSince('', NOW)).toBe('<unknown>');
    expect(translateTimestampSince('0001-01-01T00:00:00Z', NOW)).toBe('<unknown>');
    expect(translateTimestampSince('2026-11-26T11:59:30.123456Z', NOW)).toBe('29s');
  });
});

describe('toTable envelope', () => {
  const p = pod('web-1', {}, { phase: 'Running', conditions: readyConds, containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: running }] });

  it('is a meta.k8s.io/v1 Table with the resourceVersion, continue and remaining count', () => {
    const t = table('', 'pods', [p], { continue: 'tok', remainingItemCount: 3 });
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.metadata).toEqual({ resourceVersion: '42', continue: 'tok', remainingItemCount: 3 });
    expect(table('', 'pods', []).metadata).toEqual({ resourceVersion: '42' });
    expect(table('', 'pods', []).rows).toEqual([]);
  });

  it('describes every column with name, type, format, description and priority', () => {
    const cols = table('', 'pods', []).columnDefinitions;
    expect(cols[0]).toMatchObject({ name: 'Name', type: 'string', format: 'name', priority: 0 });
    expect(cols.find((c) => c.name === 'Age')).toMatchObject({ type: 'string', format: '', priority: 0 });
    expect(cols.find((c) => c.name === 'IP')).toMatchObject({ priority: 1 });
    for (const c of cols) expect(Object.keys(c).sort()).toEqual(['description', 'format', 'name', 'priority', 'type']);
  });

  it('carries PartialObjectMetadata by default, the object on request, nothing for None', () => {
    expect(table('', 'pods', [p]).rows[0]!.object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata });
    expect(table('', 'pods', [p], { includeObject: 'Object' }).rows[0]!.object).toBe(p);
    expect('object' in table('', 'pods', [p], { includeObject: 'None' }).rows[0]!).toBe(false);
  });
});

describe('pods', () => {
  it('has the upstream columns, wide ones at priority 1', () => {
    expect(headers('', 'pods')).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*']);
  });

  it('prints a running pod', () => {
    const p = pod('web-1', {}, {
      phase: 'Running',
      conditions: readyConds,
      podIP: '127.1.1.5',
      podIPs: [{ ip: '127.1.1.5' }],
      containerStatuses: [{ name: 'web', ready: true, started: true, restartCount: 0, state: running }],
    });
    expect(cells('', 'pods', p)).toEqual(['web-1', '1/1', 'Running', '0', '5m', '127.1.1.5', 'lab-worker-1', '<none>', '<none>']);
    expect(table('', 'pods', [p]).rows[0]!.conditions).toBeUndefined();
  });

  it('prints an unscheduled pending pod', () => {
    const p = pod('web-2', { nodeName: undefined }, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }] }, { creationTimestamp: ago(3) });
    expect(cells('', 'pods', p)).toEqual(['web-2', '0/1', 'Pending', '0', '3s', '<none>', '<none>', '<none>', '<none>']);
  });

  it('prints ContainerCreating, ErrImagePull and ImagePullBackOff from the waiting reason', () => {
    for (const reason of ['ContainerCreating', 'ErrImagePull', 'ImagePullBackOff']) {
      const p = pod('web-3', {}, { phase: 'Pending', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { waiting: { reason } } }] });
      expect(cells('', 'pods', p).slice(1, 4)).toEqual(['0/1', reason, '0']);
    }
  });

  it('prints a crash-looping pod with the time since the last restart', () => {
    const p = pod('api-7', {}, {
      phase: 'Running',
      podIPs: [{ ip: '127.1.2.9' }],
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        {
          name: 'web',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(42) } },
        },
      ],
    });
    expect(cells('', 'pods', p).slice(0, 5)).toEqual(['api-7', '0/1', 'CrashLoopBackOff', '5 (42s ago)', '5m']);
  });

  it('prints restarts long ago in HumanDuration form', () => {
    const p = pod('api-8', {}, {
      phase: 'Running',
      conditions: readyConds,
      containerStatuses: [{ name: 'web', ready: true, restartCount: 2, state: running, lastState: { terminated: { exitCode: 137, finishedAt: ago(3 * D + 4 * H) } } }],
    });
    expect(cells('', 'pods', p).slice(1, 4)).toEqual(['1/1', 'Running', '2 (3d4h ago)']);
  });

  it('prints Terminating for a pod being deleted', () => {
    const p = pod('web-4', {}, { phase: 'Running', conditions: readyConds, containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: running }] }, { deletionTimestamp: ago(1), deletionGracePeriodSeconds: 30 });
    expect(cells('', 'pods', p).slice(1, 4)).toEqual(['1/1', 'Terminating', '0']);
    const lost = pod('web-5', {}, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: ago(1) });
    expect(cells('', 'pods', lost)[2]).toBe('Unknown');
  });

  it('prints Completed for a succeeded pod and marks the row completed', () => {
    const p = pod('migrate-x7k2p', {}, {
      phase: 'Succeeded',
      containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(60) } } }],
    });
    const t = table('', 'pods', [p]);
    expect(t.rows[0]!.cells.slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    expect(t.rows[0]!.conditions).toEqual([{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }]);
    const deleted = pod('migrate-2', {}, { phase: 'Succeeded', containerStatuses: [{ name: 'web', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, { deletionTimestamp: ago(1) });
    expect(cells('', 'pods', deleted)[2]).toBe('Completed');
  });

  it('prints Error, ExitCode:N and Signal:N for terminated containers', () => {
    const t = (terminated: any) => cells('', 'pods', pod('x', {}, { phase: 'Failed', containerStatuses: [{ name: 'web', restartCount: 0, state: { terminated } }] }))[2];
    expect(t({ exitCode: 1, reason: 'Error' })).toBe('Error');
    expect(t({ exitCode: 137 })).toBe('ExitCode:137');
    expect(t({ exitCode: 0, signal: 9 })).toBe('Signal:9');
  });

  it('prints Init:x/y while init containers run', () => {
    const initSpec = { initContainers: [{ name: 'wait-db', image: 'busybox' }, { name: 'migrate', image: 'app' }] };
    const p = pod('web-6', initSpec, {
      phase: 'Pending',
      conditions: [{ type: 'Initialized', status: 'False' }],
      initContainerStatuses: [
        { name: 'wait-db', ready: true, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'migrate', ready: false, restartCount: 0, state: running },
      ],
      containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    expect(cells('', 'pods', p).slice(1, 4)).toEqual(['0/1', 'Init:1/2', '0']);
  });

  it('prints Init:<reason> for a failing init container and counts its restarts', () => {
    const p = pod('web-7', { initContainers: [{ name: 'wait-db', image: 'busybox' }] }, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'wait-db', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(20) } } },
      ],
      containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
    });
    expect(cells('', 'pods', p).slice(1, 4)).toEqual(['0/1', 'Init:CrashLoopBackOff', '4 (20s ago)']);
    const failed = pod('web-8', { initContainers: [{ name: 'wait-db', image: 'busybox' }] }, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'wait-db', restartCount: 0, state: { terminated: { exitCode: 2 } } }],
    });
    expect(cells('', 'pods', failed)[2]).toBe('Init:ExitCode:2');
  });

  it('counts a started sidecar (restartable init container) as a container', () => {
    const p = pod('web-9', { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] }, {
      phase: 'Running',
      conditions: readyConds,
      initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(100) } } }],
      containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: running }],
    });
    expect(cells('', 'pods', p).slice(1, 4)).toEqual(['2/2', 'Running', '1 (100s ago)']);
  });

  it('prints NotReady or Running when one container completed and another runs', () => {
    const status = (conditions: unknown[]) => ({
      phase: 'Running',
      conditions,
      containerStatuses: [
        { name: 'web', ready: true, restartCount: 0, state: running },
        { name: 'job', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
    });
    const spec = { containers: [{ name: 'web', image: 'nginx' }, { name: 'job', image: 'busybox' }] };
    expect(cells('', 'pods', pod('a', spec, status([{ type: 'Ready', status: 'False' }]))).slice(1, 3)).toEqual(['1/2', 'NotReady']);
    expect(cells('', 'pods', pod('b', spec, status(readyConds))).slice(1, 3)).toEqual(['1/2', 'Running']);
  });

  it('prints SchedulingGated, readiness gates and the nominated node', () => {
    const gated = pod('g', { nodeName: undefined }, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] });
    expect(cells('', 'pods', gated)[2]).toBe('SchedulingGated');
    const gates = pod('r', { readinessGates: [{ conditionType: 'target-health.lab/ready' }, { conditionType: 'other' }] }, {
      phase: 'Running',
      nominatedNodeName: 'lab-worker-2',
      podIPs: [{ ip: '127.1.1.9' }],
      conditions: [...readyConds, { type: 'target-health.lab/ready', status: 'True' }, { type: 'other', status: 'False' }],
      containerStatuses: [{ name: 'web', ready: true, restartCount: 0, state: running }],
    });
    expect(cells('', 'pods', gates).slice(5)).toEqual(['127.1.1.9', 'lab-worker-1', 'lab-worker-2', '1/2']);
  });
});

function svc(name: string, spec: any, status: any = { loadBalancer: {} }, age = 2 * D + 3 * H): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop', creationTimestamp: ago(age) }, spec, status };
}

describe('services', () => {
  it('has the upstream columns', () => {
    expect(headers('', 'services')).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
  });

  it('prints a ClusterIP service', () => {
    const s = svc('api', { type: 'ClusterIP', clusterIP: '127.2.0.30', clusterIPs: ['127.2.0.30'], selector: { app: 'api' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] });
    expect(cells('', 'services', s)).toEqual(['api', 'ClusterIP', '127.2.0.30', '<none>', '80/TCP,443/TCP', '2d3h', 'app=api']);
  });

  it('prints <pending> for a LoadBalancer without ingress, node ports and a sorted selector', () => {
    const spec = {
      type: 'LoadBalancer',
      clusterIP: '127.2.0.31',
      clusterIPs: ['127.2.0.31'],
      selector: { tier: 'front', app: 'web' },
      ports: [{ port: 80, nodePort: 31234, protocol: 'TCP' }, { port: 443, nodePort: 30123, protocol: 'TCP' }],
    };
    expect(cells('', 'services', svc('shop-lb', spec))).toEqual(['shop-lb', 'LoadBalancer', '127.2.0.31', '<pending>', '80:31234/TCP,443:30123/TCP', '2d3h', 'app=web,tier=front']);
    const assigned = svc('shop-lb', spec, { loadBalancer: { ingress: [{ ip: '127.0.10.11', ipMode: 'VIP' }, { ip: '127.0.10.10' }] } });
    expect(cells('', 'services', assigned)[3]).toBe('127.0.10.10,127.0.10.11');
    const hostname = svc('elb', spec, { loadBalancer: { ingress: [{ hostname: 'a1b2c3-123456789.eu-west-1.elb.amazonaws.com' }] } });
    expect(cells('', 'services', hostname)[3]).toBe('a1b2c3-123456789.eu-west-1.elb.amazonaws.com');
    const withExternal = svc('x', { ...spec, externalIPs: ['198.51.100.7'] }, { loadBalancer: { ingress: [{ ip: '127.0.10.12' }] } });
    expect(cells('', 'services', withExternal)[3]).toBe('127.0.10.12,198.51.100.7');
  });

  it('prints headless, NodePort with external IPs and ExternalName services', () => {
    expect(cells('', 'services', svc('db', { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'db' }, ports: [{ port: 5432, protocol: 'TCP' }] }))).toEqual([
      'db', 'ClusterIP', 'None', '<none>', '5432/TCP', '2d3h', 'app=db',
    ]);
    expect(cells('', 'services', svc('np', { type: 'NodePort', clusterIPs: ['127.2.0.40'], externalIPs: ['203.0.113.1', '203.0.113.2'], ports: [{ port: 53, nodePort: 30053, protocol: 'UDP' }] }))).toEqual([
      'np', 'NodePort', '127.2.0.40', '203.0.113.1,203.0.113.2', '53:30053/UDP', '2d3h', '<none>',
    ]);
    expect(cells('', 'services', svc('ext', { type: 'ExternalName', externalName: 'db.example.com' }))).toEqual(['ext', 'ExternalName', '<none>', 'db.example.com', '<none>', '2d3h', '<none>']);
  });
});

describe('endpoints and endpointslices', () => {
  const slice = (endpoints: unknown[], ports: unknown[]): KObject => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-x8r2k', namespace: 'shop', creationTimestamp: ago(90), labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints,
    ports,
  });
  const ep = (ip: string, ready = true) => ({ addresses: [ip], conditions: { ready, serving: ready, terminating: false }, nodeName: 'lab-worker-1' });

  it('prints EndpointSlice ports and up to three endpoints', () => {
    expect(headers('discovery.k8s.io', 'endpointslices')).toEqual(['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    const s = slice(['127.1.1.5', '127.1.1.6', '127.1.2.7', '127.1.2.8', '127.1.3.9'].map((ip) => ep(ip)), [{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(cells('discovery.k8s.io', 'endpointslices', s)).toEqual(['web-x8r2k', 'IPv4', '8080', '127.1.1.5,127.1.1.6,127.1.2.7 + 2 more...', '90s']);
    expect(cells('discovery.k8s.io', 'endpointslices', slice([ep('127.1.1.5', false)], [{ name: 'http', port: 8080 }, { name: 'admin' }, {}]))).toEqual([
      'web-x8r2k', 'IPv4', '8080,admin,*', '127.1.1.5', '90s',
    ]);
    expect(cells('discovery.k8s.io', 'endpointslices', slice([], []))).toEqual(['web-x8r2k', 'IPv4', '<unset>', '<unset>', '90s']);
  });

  it('prints Endpoints as ip:port, ready addresses only', () => {
    expect(headers('', 'endpoints')).toEqual(['Name', 'Endpoints', 'Age']);
    const e = (subsets?: unknown[]): KObject => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'shop', creationTimestamp: ago(90) }, ...(subsets ? { subsets } : {}) });
    const two = [{ addresses: [{ ip: '127.1.1.5' }, { ip: '127.1.1.6' }], ports: [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }] }];
    expect(cells('', 'endpoints', e(two))).toEqual(['web', '127.1.1.5:8080,127.1.1.6:8080,127.1.1.5:8443 + 1 more...', '90s']);
    expect(cells('', 'endpoints', e([{ addresses: [{ ip: '127.1.1.5' }], notReadyAddresses: [{ ip: '127.1.1.6' }], ports: [{ port: 80 }] }]))[1]).toBe('127.1.1.5:80');
    expect(cells('', 'endpoints', e([{ notReadyAddresses: [{ ip: '127.1.1.6' }], ports: [{ port: 80 }] }]))[1]).toBe('');
    expect(cells('', 'endpoints', e([{ addresses: [{ ip: 'fd00::5' }], ports: [{ port: 80 }] }]))[1]).toBe('[fd00::5]:80');
    expect(cells('', 'endpoints', e()))
      .toEqual(['web', '<none>', '90s']);
  });
});

describe('ingresses and ingress classes', () => {
  const ing = (spec: any, status: any = {}): KObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'shop', namespace: 'shop', creationTimestamp: ago(10 * 60) },
    spec,
    status,
  });

  it('prints class, hosts, address and ports', () => {
    expect(headers('networking.k8s.io', 'ingresses')).toEqual(['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
    const i = ing(
      { ingressClassName: 'nginx', tls: [{ hosts: ['shop.netpath.test'], secretName: 'shop-tls' }], rules: [{ host: 'shop.netpath.test', http: { paths: [] } }] },
      { loadBalancer: { ingress: [{ ip: '127.0.10.10' }] } },
    );
    expect(cells('networking.k8s.io', 'ingresses', i)).toEqual(['shop', 'nginx', 'shop.netpath.test', '127.0.10.10', '80, 443', '10m']);
    expect(cells('networking.k8s.io', 'ingresses', ing({ defaultBackend: { service: { name: 'web', port: { number: 80 } } } }))).toEqual(['shop', '<none>', '*', '', '80', '10m']);
    const many = ing({ rules: ['a', 'b', 'c', 'd', 'e'].map((h) => ({ host: `${h}.test` })) });
    expect(cells('networking.k8s.io', 'ingresses', many)[2]).toBe('a.test,b.test,c.test + 2 more...');
  });

  it('prints ingress classes with parameters', () => {
    expect(headers('networking.k8s.io', 'ingressclasses')).toEqual(['Name', 'Controller', 'Parameters', 'Age']);
    const ic = (spec: any): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx', creationTimestamp: ago(60) }, spec });
    expect(cells('networking.k8s.io', 'ingressclasses', ic({ controller: 'k8s.io/ingress-nginx' }))).toEqual(['nginx', 'k8s.io/ingress-nginx', '<none>', '60s']);
    expect(cells('networking.k8s.io', 'ingressclasses', ic({ controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } }))[2]).toBe(
      'IngressParameters.k8s.example.com/external-lb',
    );
  });

  it('prints network policy pod selectors', () => {
    const np = (podSelector: unknown): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'shop', creationTimestamp: ago(60) }, spec: { podSelector } });
    expect(headers('networking.k8s.io', 'networkpolicies')).toEqual(['Name', 'Pod-Selector', 'Age']);
    expect(cells('networking.k8s.io', 'networkpolicies', np({}))).toEqual(['deny', '<none>', '60s']);
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }, { key: 'canary', operator: 'DoesNotExist' }] };
    expect(cells('networking.k8s.io', 'networkpolicies', np(sel))[1]).toBe('app=web,!canary,tier in (edge,front)');
    expect(cells('networking.k8s.io', 'networkpolicies', np({ matchExpressions: [{ key: 'x', operator: 'Bogus' }] }))[1]).toBe('<error>');
  });
});

describe('workloads', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'proxy', image: 'envoyproxy/envoy:v1.31' }] } };

  it('prints deployments', () => {
    expect(headers('apps', 'deployments')).toEqual(['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const d: KObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', creationTimestamp: ago(D) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
    };
    expect(cells('apps', 'deployments', d)).toEqual(['web', '2/3', 3, 2, '24h', 'web,proxy', 'nginx:1.27,envoyproxy/envoy:v1.31', 'app=web']);
    expect(cells('apps', 'deployments', { ...d, spec: { template }, status: {} }).slice(1, 4)).toEqual(['0/1', 0, 0]);
  });

  it('prints replica sets and replication controllers', () => {
    expect(headers('apps', 'replicasets')).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const rs: KObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-5d8f9c7b6', namespace: 'shop', creationTimestamp: ago(D) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d8f9c7b6' } }, template },
      status: { replicas: 3, readyReplicas: 2 },
    };
    expect(cells('apps', 'replicasets', rs)).toEqual(['web-5d8f9c7b6', 3, 3, 2, '24h', 'web,proxy', 'nginx:1.27,envoyproxy/envoy:v1.31', 'app=web,pod-template-hash=5d8f9c7b6']);
    const rc: KObject = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'old', namespace: 'shop', creationTimestamp: ago(D) }, spec: { replicas: 1, selector: { app: 'old' }, template }, status: { replicas: 1, readyReplicas: 1 } };
    expect(cells('', 'replicationcontrollers', rc)).toEqual(['old', 1, 1, 1, '24h', 'web,proxy', 'nginx:1.27,envoyproxy/envoy:v1.31', 'app=old']);
  });

  it('prints daemon sets', () => {
    expect(headers('apps', 'daemonsets')).toEqual(['Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const ds: KObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kube-proxy', namespace: 'kube-system', creationTimestamp: ago(3 * D) },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
        template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.32.0' }] } },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
    };
    expect(cells('apps', 'daemonsets', ds)).toEqual(['kube-proxy', 3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '3d', 'kube-proxy', 'registry.k8s.io/kube-proxy:v1.32.0', 'k8s-app=kube-proxy']);
  });

  it('prints stateful sets', () => {
    const sts: KObject = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'shop', creationTimestamp: ago(H) }, spec: { replicas: 3, template }, status: { readyReplicas: 1 } };
    expect(headers('apps', 'statefulsets')).toEqual(['Name', 'Ready', 'Age', 'Containers*', 'Images*']);
    expect(cells('apps', 'statefulsets', sts)).toEqual(['db', '1/3', '60m', 'web,proxy', 'nginx:1.27,envoyproxy/envoy:v1.31']);
  });

  it('prints jobs with status, completions and duration', () => {
    expect(headers('batch', 'jobs')).toEqual(['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
    const job = (spec: any, status: any, meta: Record<string, unknown> = {}): KObject => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: 'shop', creationTimestamp: ago(5 * 60), ...meta },
      spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } }, template: { spec: { containers: [{ name: 'migrate', image: 'app:1' }] } }, ...spec },
      status,
    });
    const complete = job({ completions: 1, parallelism: 1 }, { succeeded: 1, startTime: ago(100), completionTime: ago(40), conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] });
    expect(cells('batch', 'jobs', complete)).toEqual(['migrate', 'Complete', '1/1', '60s', '5m', 'migrate', 'app:1', 'batch.kubernetes.io/controller-uid=u1']);
    expect(cells('batch', 'jobs', job({ completions: 3 }, { succeeded: 1, active: 1, startTime: ago(200) })).slice(1, 4)).toEqual(['Running', '1/3', '3m20s']);
    expect(cells('batch', 'jobs', job({ completions: 1 }, { failed: 7, startTime: ago(300), conditions: [{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }] })).slice(1, 3)).toEqual(['Failed', '0/1']);
    expect(cells('batch', 'jobs', job({ suspend: true, completions: 1 }, { conditions: [{ type: 'Suspended', status: 'True' }] })).slice(1, 4)).toEqual(['Suspended', '0/1', '']);
    expect(cells('batch', 'jobs', job({ parallelism: 3 }, { succeeded: 0 })).slice(1, 3)).toEqual(['Running', '0/1 of 3']);
    expect(cells('batch', 'jobs', job({ completions: 1 }, { startTime: ago(9) }, { deletionTimestamp: ago(1) }))[1]).toBe('Terminating');
  });

  it('prints cron jobs', () => {
    const cj: KObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'report', namespace: 'shop', creationTimestamp: ago(2 * D) },
      spec: { schedule: '*/5 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'r', image: 'busybox' }] } } } } },
      status: { active: [{ name: 'report-1' }], lastScheduleTime: ago(65) },
    };
    expect(headers('batch', 'cronjobs')).toEqual(['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*']);
    expect(cells('batch', 'cronjobs', cj)).toEqual(['report', '*/5 * * * *', '<none>', 'False', 1, '65s', '2d', 'r', 'busybox', '<none>']);
  });
});

describe('cluster objects', () => {
  const node = (labels: Record<string, string>, conditions: unknown[], extra: any = {}): KObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'lab-control-plane', creationTimestamp: ago(3 * D + 4 * H), labels },
    spec: { podCIDR: '127.1.1.0/24', ...extra },
    status: {
      conditions,
      addresses: [{ type: 'InternalIP', address: '127.0.1.1' }, { type: 'Hostname', address: 'lab-control-plane' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.8.0-lab', containerRuntimeVersion: 'containerd://1.7.24' },
    },
  });

  it('prints nodes with status and roles', () => {
    expect(headers('', 'nodes')).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']);
    const ready = [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }];
    expect(cells('', 'nodes', node({ 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/hostname': 'lab-control-plane' }, ready))).toEqual([
      'lab-control-plane', 'Ready', 'control-plane', '3d4h', 'v1.32.0', '127.0.1.1', '<none>', 'Debian GNU/Linux 12 (bookworm)', '6.8.0-lab', 'containerd://1.7.24',
    ]);
    expect(cells('', 'nodes', node({}, ready, { unschedulable: true })).slice(1, 3)).toEqual(['Ready,SchedulingDisabled', '<none>']);
    expect(cells('', 'nodes', node({ 'kubernetes.io/role': 'worker', 'node-role.kubernetes.io/ingress': '' }, [{ type: 'Ready', status: 'Unknown' }])).slice(1, 3)).toEqual(['NotReady', 'ingress,worker']);
    expect(cells('', 'nodes', node({}, []))[1]).toBe('Unknown');
  });

  it('prints namespaces', () => {
    const ns = (status: any, meta: Record<string, unknown> = {}): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', creationTimestamp: ago(H), ...meta }, spec: {}, status });
    expect(headers('', 'namespaces')).toEqual(['Name', 'Status', 'Age']);
    expect(cells('', 'namespaces', ns({ phase: 'Active' }))).toEqual(['shop', 'Active', '60m']);
    expect(cells('', 'namespaces', ns({ phase: 'Terminating' }))[1]).toBe('Terminating');
  });

  it('prints events in upstream column order', () => {
    expect(headers('', 'events')).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*']);
    const nameCol = table('', 'events', []).columnDefinitions.find((c) => c.name === 'Name')!;
    expect(nameCol).toMatchObject({ format: 'name', priority: 1 });
    const ev: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.17f3a', namespace: 'shop', creationTimestamp: ago(300) },
      involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-1', fieldPath: 'spec.containers{web}' },
      reason: 'Unhealthy',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 500\n',
      source: { component: 'kubelet', host: 'lab-worker-1' },
      firstTimestamp: ago(300),
      lastTimestamp: ago(12),
      count: 14,
      type: 'Warning',
    };
    expect(cells('', 'events', ev)).toEqual([
      '12s', 'Warning', 'Unhealthy', 'pod/web-1', 'spec.containers{web}', 'kubelet, lab-worker-1', 'Readiness probe failed: HTTP probe failed with statuscode: 500', '5m', 14, 'web-1.17f3a',
    ]);
    const modern: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'x', namespace: 'shop', creationTimestamp: ago(30) },
      involvedObject: { kind: 'Deployment', name: 'web' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-5d8f9c7b6 to 3',
      eventTime: '2026-11-26T11:59:30.000000Z',
      reportingComponent: 'deployment-controller',
      type: 'Normal',
    };
    expect(cells('', 'events', modern)).toEqual(['30s', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller', 'Scaled up replica set web-5d8f9c7b6 to 3', '30s', 1, 'x']);
    const series = { ...modern, series: { count: 4, lastObservedTime: '2026-11-26T11:59:58.000000Z' } };
    expect(cells('', 'events', series).slice(0, 1).concat(cells('', 'events', series).slice(8, 9))).toEqual(['2s', 4]);
  });

  it('prints config maps, secrets and service accounts', () => {
    const meta = { namespace: 'shop', creationTimestamp: ago(40) };
    expect(headers('', 'configmaps')).toEqual(['Name', 'Data', 'Age']);
    expect(cells('', 'configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', ...meta }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })).toEqual(['cfg', 3, '40s']);
    expect(headers('', 'secrets')).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(cells('', 'secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'shop-tls', ...meta }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'x', 'tls.key': 'y' } })).toEqual(['shop-tls', 'kubernetes.io/tls', 2, '40s']);
    expect(cells('', 'secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'empty', ...meta } })).toEqual(['empty', 'Opaque', 0, '40s']);
    expect(headers('', 'serviceaccounts')).toEqual(['Name', 'Secrets', 'Age']);
    expect(cells('', 'serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', ...meta } })).toEqual(['default', 0, '40s']);
  });
});

describe('Gateway API (CRD printer columns)', () => {
  const meta = (name: string, ns?: string) => ({ name, ...(ns ? { namespace: ns } : {}), creationTimestamp: ago(150) });

  it('prints gateway classes', () => {
    expect(headers('gateway.networking.k8s.io', 'gatewayclasses')).toEqual(['Name', 'Controller', 'Accepted', 'Age', 'Description*']);
    const age = table('gateway.networking.k8s.io', 'gatewayclasses', []).columnDefinitions[3]!;
    expect(age).toMatchObject({ name: 'Age', type: 'date', priority: 0 });
    const gc: KObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: meta('eg'),
      spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
      status: { conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted' }] },
    };
    expect(cells('gateway.networking.k8s.io', 'gatewayclasses', gc)).toEqual(['eg', 'gateway.envoyproxy.io/gatewayclass-controller', 'True', '2m30s', null]);
  });

  it('prints gateways with the first address and Programmed', () => {
    expect(headers('gateway.networking.k8s.io', 'gateways')).toEqual(['Name', 'Class', 'Address', 'Programmed', 'Age']);
    const gw: KObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: meta('shop-gw', 'shop'),
      spec: { gatewayClassName: 'eg', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
      status: {
        addresses: [{ type: 'IPAddress', value: '127.0.10.20' }, { type: 'IPAddress', value: '127.0.10.21' }],
        conditions: [{ type: 'Accepted', status: 'True' }, { type: 'Programmed', status: 'False', reason: 'AddressNotAssigned' }],
      },
    };
    expect(cells('gateway.networking.k8s.io', 'gateways', gw)).toEqual(['shop-gw', 'eg', '127.0.10.20', 'False', '2m30s']);
    expect(cells('gateway.networking.k8s.io', 'gateways', { ...gw, status: {} })).toEqual(['shop-gw', 'eg', null, null, '2m30s']);
  });

  it('prints route hostnames as a JSON list', () => {
    expect(headers('gateway.networking.k8s.io', 'httproutes')).toEqual(['Name', 'Hostnames', 'Age']);
    const r: KObject = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta('shop', 'shop'), spec: { hostnames: ['shop-gw.netpath.test', 'www.netpath.test'] } };
    expect(cells('gateway.networking.k8s.io', 'httproutes', r)).toEqual(['shop', '["shop-gw.netpath.test","www.netpath.test"]', '2m30s']);
    expect(cells('gateway.networking.k8s.io', 'grpcroutes', { ...r, kind: 'GRPCRoute', spec: {} })).toEqual(['shop', null, '2m30s']);
  });
});

describe('defaults for kinds without a printer', () => {
  it('uses the CRD default Name/Age for custom resources', () => {
    const def: ResourceDef = reg.type('lab.netpath.dev', 'dnsrecords');
    const t = toTable(def, [{ apiVersion: 'lab.netpath.dev/v1', kind: 'DNSRecord', metadata: { name: 'shop', creationTimestamp: ago(61) } }], { resourceVersion: '1', now: NOW }) as Table;
    expect(t.columnDefinitions.map((c) => [c.name, c.type, c.format])).toEqual([['Name', 'string', 'name'], ['Age', 'date', '']]);
    expect(t.rows[0]!.cells).toEqual(['shop', '61s']);
    expect(cells('gateway.networking.k8s.io', 'referencegrants', { apiVersion: 'gateway.networking.k8s.io/v1beta1', kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'x', creationTimestamp: ago(5) } })).toEqual(['g', '5s']);
  });

  it('uses the apiserver default Name/Created At for built-in kinds without a printer', () => {
    expect(headers('rbac.authorization.k8s.io', 'roles')).toEqual(['Name', 'Created At']);
    const role: KObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'reader', namespace: 'shop', creationTimestamp: '2026-11-20T08:30:00Z' } };
    expect(cells('rbac.authorization.k8s.io', 'roles', role)).toEqual(['reader', '2026-11-20T08:30:00Z']);
    expect(headers('', 'limitranges')).toEqual(['Name', 'Created At']);
    expect(headers('apiextensions.k8s.io', 'customresourcedefinitions')).toEqual(['Name', 'Created At']);
  });

  it('prints the other built-in printers', () => {
    const m = (name: string, ns?: string) => ({ name, ...(ns ? { namespace: ns } : {}), creationTimestamp: ago(30) });
    expect(cells('rbac.authorization.k8s.io', 'rolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: m('read', 'shop'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'default', namespace: 'shop' }],
    })).toEqual(['read', 'Role/reader', '30s', 'alice', 'devs', 'shop/default']);
    expect(cells('coordination.k8s.io', 'leases', { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: m('ctrl', 'kube-system'), spec: { holderIdentity: 'lab_1' } })).toEqual(['ctrl', 'lab_1', '30s']);
    expect(cells('storage.k8s.io', 'storageclasses', {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { ...m('standard'), annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
    })).toEqual(['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '30s']);
    expect(cells('policy', 'poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: m('web', 'shop'), spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } })).toEqual(['web', '50%', 'N/A', 1, '30s']);
    expect(cells('autoscaling', 'horizontalpodautoscalers', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: m('web', 'shop'),
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
      status: { currentReplicas: 3, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] },
    })).toEqual(['web', 'Deployment/web', 'cpu: 45%/80%', '2', 10, 3, '30s']);
    expect(cells('admissionregistration.k8s.io', 'validatingwebhookconfigurations', { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: m('ingress-nginx-admission'), webhooks: [{ name: 'a' }] })).toEqual(['ingress-nginx-admission', 1, '30s']);
    expect(cells('apps', 'controllerrevisions', {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { ...m('kube-proxy-6b8d', 'kube-system'), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', uid: 'u', controller: true }] },
      revision: 1,
    })).toEqual(['kube-proxy-6b8d', 'daemonset.apps/kube-proxy', 1, '30s']);
    expect(cells('', 'persistentvolumeclaims', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: m('data', 'shop'),
      spec: { volumeName: 'pvc-1', storageClassName: 'standard', accessModes: ['ReadWriteOnce'] },
      status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
    })).toEqual(['data', 'Bound', 'pvc-1', '1Gi', 'RWO', 'standard', '<unset>', '30s', '<unset>']);
    expect(cells('', 'resourcequotas', { apiVersion: 'v1', kind: 'ResourceQuota', metadata: m('q', 'shop'), status: { hard: { pods: '10', 'limits.cpu': '4', 'requests.cpu': '2' }, used: { pods: '3', 'requests.cpu': '500m' } } })).toEqual([
      'q', 'pods: 3/10, requests.cpu: 500m/2', 'limits.cpu: 0/4', '30s',
    ]);
  });
});

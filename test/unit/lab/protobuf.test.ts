import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJson, sendJson, sendStatus } from '../../../src/lab/apiserver/http.ts';
import { K8sProtobufUnsupportedError, decodeK8sProtobuf, isK8sProtobuf } from '../../../src/lab/apiserver/protobuf.ts';
import { ApiError } from '../../../src/lab/store/errors.ts';

// ------------------------------------------------------------------------------------------------
// A tiny protobuf encoder, enough to hand-build envelopes for the edge cases kubectl never sends.
// ------------------------------------------------------------------------------------------------

type Part = Uint8Array;

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return out;
}
const cat = (...parts: Part[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const vint = (no: number, n: number | bigint): Part => Uint8Array.from([...varint((no << 3) | 0), ...varint(n)]);
const bytes = (no: number, b: Uint8Array): Part => Uint8Array.from([...varint((no << 3) | 2), ...varint(b.length), ...b]);
const str = (no: number, s: string): Part => bytes(no, new TextEncoder().encode(s));
const msg = (no: number, ...fields: Part[]): Part => bytes(no, cat(...fields));
const entry = (no: number, k: string, v: string): Part => msg(no, str(1, k), str(2, v));
function envelope(apiVersion: string, kind: string, ...fields: Part[]): Uint8Array {
  return cat(Uint8Array.from([0x6b, 0x38, 0x73, 0x00]), msg(1, str(1, apiVersion), str(2, kind)), bytes(2, cat(...fields)), str(3, ''), str(4, ''));
}

describe('decodeK8sProtobuf (hand-built envelopes)', () => {
  it('recognises the k8s\\0 magic', () => {
    expect(isK8sProtobuf(envelope('v1', 'Namespace'))).toBe(true);
    expect(isK8sProtobuf(new TextEncoder().encode('{"kind":"Pod"}'))).toBe(false);
    expect(isK8sProtobuf(Uint8Array.from([0x6b, 0x38]))).toBe(false);
  });

  it('keeps a present zero pointer (replicas: 0), drops Go zero values, skips unknown fields', () => {
    const body = envelope(
      'apps/v1',
      'Deployment',
      // metadata: name, empty generateName (dropped), generation 0 (dropped), creationTimestamp, unknown field 99
      msg(1, str(1, 'web'), str(2, ''), vint(7, 0), msg(8, vint(1, 1714979289), vint(2, 500)), str(99, 'ignored'), entry(11, 'app', 'web')),
      msg(
        2,
        vint(1, 0), // replicas: pointer, present => kept even though zero
        msg(2, entry(1, 'app', 'web')),
        msg(3, msg(1), msg(2, msg(2, str(1, 'c'), str(2, 'nginx'), msg(8)))), // empty template metadata and resources
        msg(4, str(1, 'RollingUpdate'), msg(2, msg(1, vint(1, 1), str(3, '25%')), msg(2, vint(1, 0), vint(2, 1)))),
        vint(5, 0), // minReadySeconds: value, zero => dropped
        vint(7, 0), // paused: false => dropped
      ),
      msg(3), // empty status
    );
    expect(decodeK8sProtobuf(body)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', creationTimestamp: '2024-05-06T07:08:09Z', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
      },
    });
  });

  it('keeps pointer structs that are empty (emptyDir: {}), inlines embedded structs, reads packed repeated ints', () => {
    const body = envelope(
      'v1',
      'Pod',
      msg(1, str(1, 'p')),
      msg(
        2,
        msg(1, str(1, 'scratch'), msg(2, msg(2))), // volume { name, volumeSource { emptyDir {} } }
        msg(1, str(1, 'cfg'), msg(2, msg(19, msg(1, str(1, 'app-config')), vint(3, 420)))),
        msg(
          2,
          str(1, 'c'),
          msg(7, str(1, 'FROM_SECRET'), msg(3, msg(4, msg(1, str(1, 'creds')), str(2, 'password')))),
          msg(11, msg(1, msg(2, str(1, '/ready'), msg(2, vint(1, 1), str(3, 'http')))), vint(4, 5)),
        ),
        msg(14, bytes(4, Uint8Array.from([...varint(1000), ...varint(2000)])), vint(5, 0)),
      ),
    );
    expect(decodeK8sProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'app-config', defaultMode: 420 } },
        ],
        containers: [
          {
            name: 'c',
            env: [{ name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }],
            readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 5 },
          },
        ],
        securityContext: { supplementalGroups: [1000, 2000], fsGroup: 0 },
      },
    });
  });

  it('renders bytes maps as base64 and IntOrString numbers and names', () => {
    const secret = envelope('v1', 'Secret', msg(1, str(1, 's')), msg(2, str(1, 'k'), bytes(2, Uint8Array.from([0xff, 0x00, 0x41]))), str(3, 'Opaque'));
    expect(decodeK8sProtobuf(secret)).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: '/wBB' }, type: 'Opaque' });
    const pdb = envelope('policy/v1', 'PodDisruptionBudget', msg(1, str(1, 'pdb')), msg(2, msg(3, vint(1, 1), str(3, '50%'))));
    expect(decodeK8sProtobuf(pdb)).toEqual({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'pdb' }, spec: { maxUnavailable: '50%' } });
  });

  it('decodes DeleteOptions in any group version', () => {
    const del = envelope('apps/v1', 'DeleteOptions', vint(1, 0), str(4, 'Foreground'), str(5, 'All'));
    expect(decodeK8sProtobuf(del)).toEqual({ apiVersion: 'apps/v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', dryRun: ['All'] });
  });

  it('refuses kinds it has no schema for, and malformed input, with clear errors', () => {
    const foo = envelope('example.com/v1', 'Widget', msg(1, str(1, 'w')));
    expect(() => decodeK8sProtobuf(foo)).toThrow(K8sProtobufUnsupportedError);
    expect(() => decodeK8sProtobuf(foo)).toThrow(/cannot decode protobuf bodies of kind Widget \(example\.com\/v1\)/);
    expect(() => decodeK8sProtobuf(new TextEncoder().encode('{}'))).toThrow(/k8s\\0/);
    const truncated = envelope('v1', 'Namespace', msg(1, str(1, 'ns'))).subarray(0, 20);
    expect(() => decodeK8sProtobuf(truncated)).toThrow(/runs past the end|truncated/);
    const wrongWire = envelope('v1', 'Namespace', vint(1, 5));
    expect(() => decodeK8sProtobuf(wrongWire)).toThrow(/Namespace\.metadata \(field 1\) has wire type 0/);
  });
});

// ------------------------------------------------------------------------------------------------
// readJson: protobuf bodies reach the handlers as objects; unknown kinds get 415, garbage 400.
// ------------------------------------------------------------------------------------------------

describe('readJson with protobuf bodies', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      readJson(req).then(
        (v) => sendJson(res, 200, v ?? null),
        (e: unknown) => (e instanceof ApiError ? sendStatus(res, e) : sendJson(res, 500, { message: String(e) })),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const post = (body: Uint8Array, contentType: string): Promise<{ code: number; json: any }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-type': contentType } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('decodes a protobuf Namespace', async () => {
    const r = await post(envelope('v1', 'Namespace', msg(1, str(1, 'foo')), msg(2), msg(3)), 'application/vnd.kubernetes.protobuf');
    expect(r).toEqual({ code: 200, json: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'foo' } } });
  });

  it('answers 415 for a kind without a schema and 400 for a broken body', async () => {
    const unknown = await post(envelope('example.com/v1', 'Widget'), 'application/vnd.kubernetes.protobuf');
    expect(unknown.code).toBe(415);
    expect(unknown.json.reason).toBe('UnsupportedMediaType');
    const garbage = await post(Uint8Array.from([1, 2, 3]), 'application/vnd.kubernetes.protobuf');
    expect(garbage.code).toBe(400);
    const broken = await post(envelope('v1', 'Namespace', vint(1, 5)), 'application/vnd.kubernetes.protobuf');
    expect(broken.code).toBe(400);
    expect(broken.json.message).toMatch(/could not be decoded as protobuf/);
  });
});

// ------------------------------------------------------------------------------------------------
// Real kubectl: capture what it sends to a fake API server and compare with its --dry-run=client -o json.
// ------------------------------------------------------------------------------------------------

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const kubectlVersion = await run('kubectl', ['version', '--client', '-o', 'json']);
const hasKubectl = kubectlVersion.code === 0;

interface Captured {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

const CORE: [string, string, boolean][] = [
  ['namespaces', 'Namespace', false],
  ['pods', 'Pod', true],
  ['services', 'Service', true],
  ['configmaps', 'ConfigMap', true],
  ['secrets', 'Secret', true],
  ['serviceaccounts', 'ServiceAccount', true],
  ['resourcequotas', 'ResourceQuota', true],
];
const GROUPS: Record<string, [string, [string, string, boolean][]]> = {
  apps: ['v1', [['deployments', 'Deployment', true]]],
  batch: ['v1', [['jobs', 'Job', true], ['cronjobs', 'CronJob', true]]],
  'networking.k8s.io': ['v1', [['ingresses', 'Ingress', true]]],
  'rbac.authorization.k8s.io': [
    'v1',
    [
      ['roles', 'Role', true],
      ['rolebindings', 'RoleBinding', true],
      ['clusterroles', 'ClusterRole', false],
      ['clusterrolebindings', 'ClusterRoleBinding', false],
    ],
  ],
  policy: ['v1', [['poddisruptionbudgets', 'PodDisruptionBudget', true]]],
  'scheduling.k8s.io': ['v1', [['priorityclasses', 'PriorityClass', false]]],
};
const resourceList = (groupVersion: string, rs: [string, string, boolean][]): unknown => ({
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion,
  resources: rs.map(([name, kind, namespaced]) => ({
    name,
    singularName: kind.toLowerCase(),
    namespaced,
    kind,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  })),
});

/** The object served for GETs under any case prefix (kubectl debug --copy-to / create job --from read them first). */
const FIXTURE_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'uid-p', resourceVersion: '42', labels: { app: 'web' }, annotations: { note: 'x' } },
  spec: {
    volumes: [
      { name: 'scratch', emptyDir: {} },
      { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'cfg', configMap: { name: 'app-config', items: [{ key: 'k', path: 'p', mode: 0 }], defaultMode: 420, optional: false } },
      { name: 'sec', secret: { secretName: 'creds', defaultMode: 256, optional: true } },
      { name: 'logs', hostPath: { path: '/var/log', type: 'Directory' } },
      {
        name: 'proj',
        projected: {
          sources: [
            { configMap: { name: 'app-config' } },
            { secret: { name: 'creds', items: [{ key: 'a', path: 'b' }] } },
            { serviceAccountToken: { audience: 'vault', expirationSeconds: 3600, path: 'token' } },
            { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } },
          ],
          defaultMode: 420,
        },
      },
      { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
    ],
    initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'], restartPolicy: 'Always' }],
    containers: [
      {
        name: 'main',
        image: 'nginx:1.27',
        command: ['nginx'],
        args: ['-g', 'daemon off;'],
        workingDir: '/srv',
        ports: [
          { name: 'http', containerPort: 8080, protocol: 'TCP' },
          { containerPort: 9090, hostPort: 9090, protocol: 'UDP' },
        ],
        envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'app-config', optional: true } }],
        env: [
          { name: 'PLAIN', value: '1' },
          { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password', optional: false } } },
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'mode' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { containerName: 'main', resource: 'limits.cpu', divisor: '1m' } } },
        ],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
        volumeMounts: [
          { name: 'scratch', mountPath: '/cache' },
          { name: 'cfg', mountPath: '/etc/app', readOnly: true, subPath: 'conf' },
        ],
        livenessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X-Probe', value: '1' }] },
          initialDelaySeconds: 3,
          periodSeconds: 10,
          failureThreshold: 3,
        },
        readinessProbe: { tcpSocket: { port: 'http' } },
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30 },
        lifecycle: { preStop: { sleep: { seconds: 5 } } },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
        securityContext: {
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          privileged: false,
          runAsUser: 1000,
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        stdin: true,
        stdinOnce: true,
        tty: true,
      },
      { name: 'grpc', image: 'grpc-server', readinessProbe: { grpc: { port: 9000 } } },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 0,
    activeDeadlineSeconds: 600,
    dnsPolicy: 'ClusterFirst',
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    serviceAccountName: 'runner',
    serviceAccount: 'runner',
    automountServiceAccountToken: false,
    nodeName: 'node-1',
    hostNetwork: true,
    securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4, 5], seccompProfile: { type: 'RuntimeDefault' } },
    imagePullSecrets: [{ name: 'registry' }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }],
      },
    },
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
    ],
    priority: 0,
    enableServiceLinks: false,
  },
};

const FIXTURE_CRONJOB = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'default', uid: 'uid-cj' },
  spec: {
    schedule: '0 3 * * *',
    jobTemplate: {
      metadata: { labels: { job: 'nightly' } },
      spec: {
        parallelism: 2,
        completions: 4,
        backoffLimit: 0,
        completionMode: 'Indexed',
        ttlSecondsAfterFinished: 100,
        suspend: false,
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', args: ['date'] }] } },
      },
    },
  },
};

/** Drops what kubectl's client-side printer adds to an object but never carries meaning: nulls and empty objects. */
function prune(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(prune);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p === null || p === undefined) continue;
      if (typeof p === 'object' && !Array.isArray(p) && Object.keys(p).length === 0) continue;
      out[k] = p;
    }
    return out;
  }
  return v;
}

describe.skipIf(!hasKubectl)('kubectl 1.32 request bodies', () => {
  let server: Server;
  let base = '';
  let dir = '';
  let kubeconfig = '';
  const captured = new Map<string, Captured[]>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netpath-protobuf-'));
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const send = (code: number, obj: unknown): void => {
          res.writeHead(code, { 'content-type': 'application/json' });
          res.end(JSON.stringify(obj));
        };
        const url = new URL(req.url ?? '/', 'http://x');
        const m = /^\/(case-[\w-]+)(\/.*)?$/.exec(url.pathname);
        const id = m?.[1] ?? '';
        const path = m?.[2] ?? url.pathname;
        if (req.method === 'GET') {
          if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
          if (path === '/apis')
            return send(200, {
              kind: 'APIGroupList',
              apiVersion: 'v1',
              groups: Object.entries(GROUPS).map(([g, [v]]) => ({
                name: g,
                versions: [{ groupVersion: `${g}/${v}`, version: v }],
                preferredVersion: { groupVersion: `${g}/${v}`, version: v },
              })),
            });
          if (path === '/api/v1') return send(200, resourceList('v1', CORE));
          for (const [g, [v, rs]] of Object.entries(GROUPS)) if (path === `/apis/${g}/${v}`) return send(200, resourceList(`${g}/${v}`, rs));
          if (path === '/api/v1/namespaces/default/pods/p') return send(200, FIXTURE_POD);
          if (path === '/apis/batch/v1/namespaces/default/cronjobs/nightly') return send(200, FIXTURE_CRONJOB);
          return send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'not found' });
        }
        const body = Buffer.concat(chunks);
        const list = captured.get(id) ?? [];
        list.push({ method: req.method ?? '', path, contentType: String(req.headers['content-type'] ?? ''), body });
        captured.set(id, list);
        let echo: unknown = { apiVersion: 'v1', kind: 'Status', status: 'Success' };
        try {
          echo = isK8sProtobuf(body) ? decodeK8sProtobuf(body) : JSON.parse(body.toString('utf8'));
        } catch {
          // the assertions below report decoding problems
        }
        send(201, echo);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: fake, cluster: {server: "' + base + '"}}]',
        'users: [{name: nobody, user: {}}]',
        'contexts: [{name: fake, context: {cluster: fake, user: nobody, namespace: default}}]',
        'current-context: fake',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'blob.bin'), Uint8Array.from([0xff, 0xfe, 0x00, 0x01, 0x80]));
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (id: string, args: string[]) =>
    run('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache', id), '--server', `${base}/case-${id}`, ...args]);

  /** Runs one kubectl command against the fake server and returns what it POSTed. */
  async function send(id: string, args: string[]): Promise<Captured> {
    const r = await kubectl(id, args);
    const sent = (captured.get(`case-${id}`) ?? []).filter((c) => c.method === 'POST');
    if (sent.length !== 1) throw new Error(`expected one POST from kubectl ${args.join(' ')}, got ${sent.length}: ${r.stderr}`);
    return sent[0]!;
  }

  const decode = (c: Captured): Record<string, unknown> =>
    isK8sProtobuf(c.body) ? decodeK8sProtobuf(c.body) : (JSON.parse(c.body.toString('utf8')) as Record<string, unknown>);

  // [case id, kubectl args, whether kubectl 1.32 sends it as protobuf]
  const CASES: [string, string[], boolean][] = [
    ['namespace', ['create', 'namespace', 'foo'], true],
    ['deployment', ['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '--port=8080'], true],
    ['deployment-zero', ['create', 'deployment', 'idle', '--image=nginx', '--image=busybox', '--replicas=0'], true],
    ['svc-nodeport', ['create', 'service', 'nodeport', 'web', '--tcp=80:8080'], true],
    ['svc-clusterip', ['create', 'service', 'clusterip', 'headless', '--clusterip=None', '--tcp=5678:http'], true],
    ['svc-lb', ['create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443', '--tcp=80'], true],
    ['svc-external', ['create', 'service', 'externalname', 'ext', '--external-name=example.com'], true],
    ['configmap', ['create', 'configmap', 'cfg', '--from-literal=a=b', '--from-literal=empty='], true],
    ['configmap-binary', ['create', 'configmap', 'bin', '--from-file=blob=BLOB'], true],
    ['secret', ['create', 'secret', 'generic', 's', '--from-literal=k=v', '--type=example.com/custom'], true],
    ['secret-registry', ['create', 'secret', 'docker-registry', 'reg', '--docker-server=r.example', '--docker-username=u', '--docker-password=p'], true],
    ['job', ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'], true],
    ['cronjob', ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *', '--restart=OnFailure', '--', 'date'], true],
    [
      'ingress',
      ['create', 'ingress', 'ing', '--rule=foo.com/bar=svc1:8080,tls=my-cert', '--rule=/exact*=svc2:http', '--class=nginx', '--default-backend=defsvc:80', '--annotation=a=b'],
      true,
    ],
    ['role', ['create', 'role', 'r', '--verb=get', '--resource=pods'], true],
    ['clusterrole', ['create', 'clusterrole', 'cr', '--verb=get,list', '--resource=deployments.apps,pods', '--resource-name=x'], true],
    ['clusterrole-agg', ['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate-to-view=true'], true],
    ['rolebinding', ['create', 'rolebinding', 'rb', '--role=r', '--user=u1', '--serviceaccount=default:sa', '--group=g'], true],
    ['clusterrolebinding', ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=g1'], true],
    ['serviceaccount', ['create', 'serviceaccount', 'sa'], true],
    ['pdb', ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--max-unavailable=50%'], true],
    ['pdb-min', ['create', 'poddisruptionbudget', 'pdb2', '--selector=app=web', '--min-available=0'], true],
    ['priorityclass', ['create', 'priorityclass', 'pc', '--value=1000', '--description=d', '--global-default', '--preemption-policy=Never'], true],
    ['quota', ['create', 'quota', 'q', '--hard=cpu=1,pods=2', '--scopes=BestEffort'], true],
    ['run', ['run', 'p', '--image=nicolaka/netshoot', '--restart=Never', '--labels=app=dbg', '--env=A=1', '--', 'dig', 'example.com'], false],
  ];

  it.each(CASES)('%s: the decoded body equals kubectl --dry-run=client -o json', async (id, rawArgs, protobuf) => {
    const args = rawArgs.map((a) => a.replace('BLOB', join(dir, 'blob.bin')));
    const dash = args.includes('--') ? args.indexOf('--') : args.length;
    const dry = await kubectl(`${id}-dry`, [...args.slice(0, dash), '--dry-run=client', '-o', 'json', ...args.slice(dash)]);
    expect(dry.stderr).toBe('');
    const expected = prune(JSON.parse(dry.stdout));
    const sent = await send(id, args);
    expect(sent.contentType).toBe(protobuf ? 'application/vnd.kubernetes.protobuf' : 'application/json');
    expect(isK8sProtobuf(sent.body)).toBe(protobuf);
    // a JSON body carries the same printer noise (creationTimestamp: null, status: {}) as the dry run
    expect(protobuf ? decode(sent) : prune(decode(sent))).toEqual(expected);
  });

  it('decodes a zero replica count and binary configmap data as the JSON codec would', async () => {
    const zero = decode(await send('deployment-zero-check', ['create', 'deployment', 'idle', '--image=nginx', '--replicas=0']));
    expect((zero.spec as { replicas?: number }).replicas).toBe(0);
    const bin = decode(await send('configmap-binary-check', ['create', 'configmap', 'bin', `--from-file=blob=${join(dir, 'blob.bin')}`]));
    expect(bin.binaryData).toEqual({ blob: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]).toString('base64') });
  });

  it('debug --copy-to: a pod with most PodSpec features round-trips through protobuf', async () => {
    const sent = await send('debug-copy', ['debug', 'p', '--copy-to=p-copy', '--set-image=main=nginx:1.27', '--same-node', '--share-processes=false', '--keep-labels']);
    expect(sent.contentType).toBe('application/vnd.kubernetes.protobuf');
    const pod = decode(sent);
    expect(pod.apiVersion).toBe('v1');
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata).toMatchObject({ name: 'p-copy', labels: { app: 'web' } });
    expect(pod.spec).toEqual({ ...FIXTURE_POD.spec, shareProcessNamespace: false });
  });

  it('create job --from=cronjob: the job template round-trips through protobuf', async () => {
    const sent = await send('job-from', ['create', 'job', 'manual', '--from=cronjob/nightly']);
    expect(sent.contentType).toBe('application/vnd.kubernetes.protobuf');
    const job = decode(sent);
    expect(job).toMatchObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'manual', labels: { job: 'nightly' } } });
    expect((job.metadata as { ownerReferences?: unknown }).ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'uid-cj', controller: true },
    ]);
    expect(job.spec).toEqual(FIXTURE_CRONJOB.spec.jobTemplate.spec);
  });
});

// The kubelet adopts pods that are already running (a restored cluster, --scale), as a restarted kubelet takes
// over the containers it finds in the runtime: no restart, no events, no status rewrite.
import { afterEach, describe, expect, it } from 'vitest';
import { isReady, startLab, type TestLab, waitFor } from './harness.ts';
import type { KObject } from '../../../../src/lab/types.ts';
import { labNode } from '../../../../src/lab/nodes.ts';

let lab: TestLab | undefined;
afterEach(() => {
  lab?.stop();
  lab = undefined;
});

const HOUR_AGO = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const get = (name: string) => lab!.get('Pod', 'default', name)!;
const events = (name: string) => lab!.events(get(name));
const cond = (p: KObject, type: string) => p.status?.conditions?.find((c: any) => c.type === type);

/** A pod as its kubelet left it: bound, Running, its one container running for an hour. */
function runningPod(name: string, ip: string, opts: { container?: any; ready?: boolean; restartCount?: number; annotations?: Record<string, string> } = {}): KObject {
  const ready = opts.ready ?? true;
  const t = (type: string, status = 'True') => ({ lastProbeTime: null, lastTransitionTime: HOUR_AGO, status, type });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name }, ...(opts.annotations ? { annotations: opts.annotations } : {}) },
    spec: {
      nodeName: 'lab-worker-1',
      containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/orders:3.2.0', ports: [{ name: 'http', containerPort: 8080 }], ...(opts.container ?? {}) }],
    },
    status: {
      phase: 'Running',
      conditions: [t('PodReadyToStartContainers'), t('Initialized'), t('Ready', ready ? 'True' : 'False'), t('ContainersReady', ready ? 'True' : 'False'), t('PodScheduled')],
      containerStatuses: [
        {
          containerID: `containerd://${'ab'.repeat(32)}`,
          image: 'ghcr.io/netpath-lab/orders:3.2.0',
          imageID: `ghcr.io/netpath-lab/orders@sha256:${'0'.repeat(64)}`,
          lastState: {},
          name: 'app',
          ready,
          restartCount: opts.restartCount ?? 0,
          started: true,
          state: { running: { startedAt: HOUR_AGO } },
        },
      ],
      hostIP: '127.0.1.1',
      hostIPs: [{ ip: '127.0.1.1' }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: HOUR_AGO,
    },
  };
}

describe('kubelet adoption of running pods', () => {
  it('keeps a restored running pod as it is: same IP, start time, restarts and readiness, no events, no write', async () => {
    lab = await startLab();
    const before = lab.create(runningPod('kept', '127.1.1.2', { restartCount: 3 }));
    lab.create(runningPod('kept2', '127.1.1.3'));
    await sleep(300); // many times the lab's container start time (20 ms here)
    const p = get('kept');
    expect(p.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(p.status).toEqual(before.status);
    expect(p.status.containerStatuses[0]).toMatchObject({ restartCount: 3, ready: true, state: { running: { startedAt: HOUR_AGO } } });
    expect(events('kept')).toEqual([]);
    // its container's log is there (what it printed when it started)
    const log = lab.logs.current(p.metadata.uid!, 'app').snapshot();
    expect(log.map((l) => l.text).at(-1)).toMatch(/INFO listening on :8080$/);
    expect(log[0]!.at).toBe(Date.parse(HOUR_AGO));

    // the IP allocator knows the adopted addresses: a new pod on the node gets another one
    lab.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fresh', namespace: 'default' }, spec: { nodeName: 'lab-worker-1', containers: [{ name: 'app', image: 'nginx:1.27.3' }] } });
    const fresh = await waitFor(() => isReady(get('fresh')) && get('fresh'), 2000, 'fresh pod ready');
    expect(['127.1.1.2', '127.1.1.3']).not.toContain(fresh.status.podIP);
    expect(fresh.status.podIP).toMatch(/^127\.1\.1\.\d+$/);
  });

  it('probes an adopted container on its normal schedule', async () => {
    lab = await startLab();
    const probe = { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, failureThreshold: 1 };
    const healthy = lab.create(runningPod('healthy', '127.1.1.2', { container: { readinessProbe: probe } }));
    lab.create(runningPod('sick', '127.1.1.3', { container: { readinessProbe: probe }, annotations: { 'lab.netpath.dev/responses': '{"/ready": 503}' } }));
    const ev = await waitFor(() => events('sick').find((e) => e.reason === 'Unhealthy'), 3000, 'Unhealthy');
    expect(ev).toMatchObject({ type: 'Warning', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' });
    await waitFor(() => cond(get('sick'), 'Ready')?.status === 'False', 2000, 'not ready');
    expect(get('sick').status.containerStatuses[0]).toMatchObject({ ready: false, restartCount: 0, state: { running: { startedAt: HOUR_AGO } } });
    // a passing probe changes nothing
    expect(get('healthy').metadata.resourceVersion).toBe(healthy.metadata.resourceVersion);
    expect(events('healthy')).toEqual([]);
  });

  it('terminates an adopted pod gracefully and frees its address', async () => {
    lab = await startLab();
    // a node whose pod CIDR (a /29: .2 to .6) the adopted pods fill
    const node = labNode(9, 'lab-zone-a');
    node.spec.podCIDR = '127.1.9.0/29';
    node.spec.podCIDRs = ['127.1.9.0/29'];
    lab.create(node);
    const onTiny = (p: KObject) => ((p.spec.nodeName = 'lab-worker-9'), (p.status.hostIP = '127.0.1.9'), p);
    for (let i = 2; i <= 6; i++) lab.create(onTiny(runningPod(`full-${i}`, `127.1.9.${i}`)));
    await sleep(100);
    lab.store.markDeleting(lab.registry.type('', 'pods'), 'default', 'full-4', 30);
    const killing = await waitFor(() => events('full-4').find((e) => e.reason === 'Killing'), 2000, 'Killing');
    expect(killing.message).toBe('Stopping container app');
    await waitFor(() => !lab!.get('Pod', 'default', 'full-4'), 2000, 'pod removed');
    // the only free address is the one the deleted pod held
    lab.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'next', namespace: 'default' }, spec: { nodeName: 'lab-worker-9', containers: [{ name: 'app', image: 'nginx:1.27.3' }] } });
    const next = await waitFor(() => isReady(get('next')) && get('next'), 2000, 'next ready');
    expect(next.status.podIP).toBe('127.1.9.4');
  });

  it('starts a pod whose containers are not running through the usual lifecycle', async () => {
    lab = await startLab();
    const p = runningPod('waiting', '127.1.1.2');
    p.status.containerStatuses[0].state = { waiting: { reason: 'ContainerCreating' } };
    lab.create(p);
    await waitFor(() => events('waiting').some((e) => e.reason === 'Started'), 2000, 'Started');
    const after = await waitFor(() => isReady(get('waiting')) && get('waiting'), 2000);
    expect(after.status.containerStatuses[0].state.running.startedAt).not.toBe(HOUR_AGO);
  });
});

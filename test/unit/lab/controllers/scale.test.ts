// `--scale` clusters beside scenarios: generated nodes never collide with the platform's, have room for more pods,
// and the lab is ready only once its controllers caught up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../../../src/lab/lab.ts';
import { MAX_SCALE_PODS, parseScale, scaleObjects } from '../../../../src/lab/scale.ts';
import { WorkQueue } from '../../../../src/lab/controllers/runtime.ts';
import type { KObject } from '../../../../src/lab/types.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await Lab.start({ dataplane: false, scenarios: ['selector-mismatch'], objects: scaleObjects(parseScale('services=20,pods=1000,ingresses=5')) });
}, 60_000);
afterAll(async () => {
  await lab?.stop();
});

const T = (plural: string, group = '') => lab.registry.type(group, plural);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('--scale with a scenario', () => {
  it('loads both: the platform nodes lab-worker-1/2 and generated nodes after them, with distinct addresses', () => {
    const nodes = lab.store.list(T('nodes'));
    const names = nodes.map((n) => n.metadata.name!).sort((a, b) => Number(a.split('-')[2]) - Number(b.split('-')[2]));
    expect(names).toEqual(['lab-worker-1', 'lab-worker-2', 'lab-worker-3', 'lab-worker-4', 'lab-worker-5', 'lab-worker-6', 'lab-worker-7']);
    const ip = (n: KObject) => n.status.addresses.find((a: any) => a.type === 'InternalIP').address;
    expect(new Set(nodes.map(ip)).size).toBe(nodes.length);
    expect(new Set(nodes.map((n) => n.spec.podCIDR)).size).toBe(nodes.length);
    const gen = nodes.find((n) => n.metadata.name === 'lab-worker-3')!;
    expect(gen.spec.podCIDR).toBe('127.1.3.0/24');
    expect(gen.status.allocatable.pods).toBe('250');
    // every generated pod's IP lies in its node's podCIDR
    const cidrOf = new Map(nodes.map((n) => [n.metadata.name!, n.spec.podCIDR.replace(/0\/24$/, '')]));
    const pods = lab.store.list(T('pods')).filter((p) => p.metadata.namespace?.startsWith('scale-'));
    expect(pods).toHaveLength(1000);
    expect(pods.every((p) => p.status.podIP.startsWith(cidrOf.get(p.spec.nodeName)!))).toBe(true);
  });

  it('is ready only when the controllers have caught up (EndpointSlices of every Service exist)', () => {
    expect(WorkQueue.idle()).toBe(true);
    const slices = lab.store.list(T('endpointslices', 'discovery.k8s.io')).filter((s) => s.metadata.namespace?.startsWith('scale-'));
    expect(new Set(slices.map((s) => s.metadata.labels?.['kubernetes.io/service-name'])).size).toBe(20);
  });

  it('the scenario’s pods run, and a pod pinned to a generated node is scheduled there (room below maxPods)', async () => {
    lab.api.applyObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pinned', namespace: 'default' },
      spec: { nodeSelector: { 'kubernetes.io/hostname': 'lab-worker-3' }, containers: [{ name: 'c', image: 'nginx:1.27' }] },
    });
    let pod: KObject | undefined;
    for (let i = 0; i < 100 && pod?.status?.phase !== 'Running'; i++) {
      await sleep(50);
      pod = lab.store.get(T('pods'), 'default', 'pinned');
    }
    expect(pod?.spec.nodeName).toBe('lab-worker-3');
    expect(pod?.status.phase).toBe('Running');
    expect(pod?.status.podIP).toMatch(/^127\.1\.3\.(\d+)$/);
    let web: KObject[] = [];
    for (let i = 0; i < 100; i++) {
      web = lab.store.list(T('pods'), 'selector-mismatch');
      if (web.length && web.every((p) => p.status?.phase === 'Running')) break;
      await sleep(50);
    }
    expect(web.length).toBeGreaterThan(0);
    expect(web.map((p) => p.status?.phase)).toEqual(web.map(() => 'Running'));
  });

  it('parseScale bounds pods by the node and pod ranges', () => {
    expect(() => parseScale(`pods=${MAX_SCALE_PODS + 1}`)).toThrow(/at most/);
    expect(parseScale(`pods=${MAX_SCALE_PODS}`).pods).toBe(MAX_SCALE_PODS);
  });
});

// @kubernetes/client-node 2.x against the lab, in process: typed APIs, informers across reconnects, logs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { PassThrough } from 'node:stream';
import { Lab } from '../../src/lab/lab.ts';
import { eventually } from './harness.ts';

let lab: Lab;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  lab = await Lab.start({ scenarios: ['demo'] });
  kc = new k8s.KubeConfig();
  kc.loadFromFile(lab.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
}, 30_000);

afterAll(async () => {
  await lab?.stop();
});

describe('client-node typed APIs', () => {
  it('lists, creates, reads and deletes', async () => {
    const ns = await core.listNamespace();
    expect(ns.items.map((n) => n.metadata?.name)).toEqual(expect.arrayContaining(['default', 'kube-system', 'shop', 'ingress-nginx']));
    await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'cn-test' }, data: { k: 'v' } } });
    const cm = await core.readNamespacedConfigMap({ namespace: 'shop', name: 'cn-test' });
    expect(cm.data).toEqual({ k: 'v' });
    await expect(core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'cn-test' } } })).rejects.toMatchObject({ code: 409 });
    await core.deleteNamespacedConfigMap({ namespace: 'shop', name: 'cn-test' });
    await expect(core.readNamespacedConfigMap({ namespace: 'shop', name: 'cn-test' })).rejects.toMatchObject({ code: 404 });
  });

  it('patches with JSON patch (client-node default) and strategic merge', async () => {
    await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'patched', labels: { a: '1' } } } });
    const p1 = await core.patchNamespacedConfigMap({ namespace: 'shop', name: 'patched', body: [{ op: 'add', path: '/metadata/labels/b', value: '2' }] });
    expect(p1.metadata?.labels).toEqual({ a: '1', b: '2' });
    const p2 = await core.patchNamespacedConfigMap(
      { namespace: 'shop', name: 'patched', body: { metadata: { labels: { a: null } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    expect(p2.metadata?.labels).toEqual({ b: '2' });
    await core.deleteNamespacedConfigMap({ namespace: 'shop', name: 'patched' });
  });

  it('reads a controller log, and follows a helper pod\'s log until its container ends', async () => {
    const pods = await eventually(async () => {
      const l = await core.listNamespacedPod({ namespace: 'ingress-nginx', labelSelector: 'app.kubernetes.io/component=controller' });
      return l.items.length && l.items.every((p) => p.status?.phase === 'Running') ? l.items : undefined;
    }, 20_000);
    const log = new k8s.Log(kc);
    const collect = async (ns: string, pod: string, container: string, opts: k8s.LogOptions) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (d) => (text += d));
      const finished = new Promise((r) => out.on('finish', r));
      await log.log(ns, pod, container, out, opts);
      await finished;
      return text;
    };
    const controllerLog = await collect('ingress-nginx', pods[0]!.metadata!.name!, 'controller', { follow: false, tailLines: 100 });
    expect(controllerLog).toContain('NGINX Ingress controller');

    await core.createNamespacedPod({
      namespace: 'shop',
      body: {
        metadata: { name: 'cn-follow' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'probe', image: 'nicolaka/netshoot:v0.13', command: ['sh', '-c', 'echo one; sleep 1; echo two'] }] },
      },
    });
    await eventually(async () => (await core.readNamespacedPod({ namespace: 'shop', name: 'cn-follow' })).status?.phase === 'Running' || undefined);
    const t0 = Date.now();
    const followed = await collect('shop', 'cn-follow', 'probe', { follow: true });
    expect(followed).toBe('one\ntwo\n');
    expect(Date.now() - t0).toBeGreaterThan(300);
    await core.deleteNamespacedPod({ namespace: 'shop', name: 'cn-follow' });
  });
});

describe('client-node informer', () => {
  it('sees adds, updates and deletes, keeps working across its 30 s reconnect and a dropped connection', async () => {
    const path = '/api/v1/namespaces/shop/configmaps';
    const listFn = () => core.listNamespacedConfigMap({ namespace: 'shop' });
    const informer = k8s.makeInformer(kc, path, listFn);
    const seen: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${JSON.stringify(o.data)}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    informer.on('error', (e) => {
      errors.push(e);
      // client-node stops on connection errors; the documented recovery is to start again
      setTimeout(() => void informer.start(), 200);
    });
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'inf' }, data: { v: '1' } } });
      await eventually(() => seen.includes('add inf') || undefined);
      // client-node 2.x ends every watch after 30 s and resumes from the last resourceVersion
      await new Promise((r) => setTimeout(r, 32_000));
      await core.replaceNamespacedConfigMap({ namespace: 'shop', name: 'inf', body: { metadata: { name: 'inf' }, data: { v: '2' } } });
      await eventually(() => seen.includes('update inf {"v":"2"}') || undefined);
      lab.api.dropConnections();
      await new Promise((r) => setTimeout(r, 500));
      await core.deleteNamespacedConfigMap({ namespace: 'shop', name: 'inf' });
      await eventually(() => seen.includes('delete inf') || undefined, 15_000);
      expect(seen.filter((s) => s === 'add inf')).toHaveLength(1);
      expect(informer.list().some((o) => o.metadata?.name === 'inf')).toBe(false);
    } finally {
      await informer.stop();
    }
  }, 60_000);
});

import { afterEach, describe, expect, it } from 'vitest';
import { deployment, isReady, startLab, type TestLab, waitFor } from './harness.ts';
import { computeHash, safeEncode } from '../../../../src/lab/controllers/deployment.ts';
import { deleteObject } from '../../../../src/lab/controllers/gc.ts';
import type { KObject } from '../../../../src/lab/types.ts';

let lab: TestLab | undefined;
afterEach(() => {
  lab?.stop();
  lab = undefined;
});

const owned = (l: TestLab, kind: string, owner: KObject) =>
  l.list(kind, owner.metadata.namespace).filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid));

describe('pod-template-hash', () => {
  it('is stable, uses the safe alphabet, and changes with the template and collision count', () => {
    const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } };
    const h = computeHash(t);
    expect(h).toBe(computeHash(structuredClone(t)));
    expect(h).toMatch(/^[4-9bcdf]{6,10}$/);
    expect(computeHash({ ...t, spec: { containers: [{ name: 'web', image: 'nginx:2' }] } })).not.toBe(h);
    expect(computeHash(t, 1)).not.toBe(h);
    expect(safeEncode('0123456789')).toBe('456789bcdf');
  });
});

describe('deployment → replicaset → pods', () => {
  it('creates the RS and 3 running, ready pods spread over both zones, with upstream status and events', async () => {
    lab = await startLab();
    const d = lab.create(deployment('web', 'default', 3));
    const rs = await waitFor(() => owned(lab!, 'ReplicaSet', d)[0], 2000, 'replicaset');
    const hash = rs.metadata.labels!['pod-template-hash']!;
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    const pods = await waitFor(() => {
      const ps = owned(lab!, 'Pod', rs);
      return ps.length === 3 && ps.every((p) => p.status?.phase === 'Running' && isReady(p)) && ps;
    }, 4000, '3 ready pods');
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.labels!['pod-template-hash']).toBe(hash);
      expect(p.metadata.ownerReferences![0]).toMatchObject({ kind: 'ReplicaSet', name: rs.metadata.name, controller: true, blockOwnerDeletion: true });
    }
    const zones = new Set(pods.map((p) => lab!.get('Node', undefined, p.spec.nodeName)!.metadata.labels!['topology.kubernetes.io/zone']));
    expect(zones.size).toBe(2);

    const done = await waitFor(() => {
      const x = lab!.get('Deployment', 'default', 'web')!;
      return x.status?.availableReplicas === 3 && x.status.conditions?.find((c: any) => c.type === 'Progressing')?.reason === 'NewReplicaSetAvailable' && x;
    }, 3000, 'deployment complete');
    expect(done.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(done.status.unavailableReplicas).toBeUndefined();
    expect(done.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('1');
    const avail = done.status.conditions.find((c: any) => c.type === 'Available');
    expect(avail).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    const prog = done.status.conditions.find((c: any) => c.type === 'Progressing');
    expect(prog).toMatchObject({ status: 'True', message: `ReplicaSet "${rs.metadata.name}" has successfully progressed.` });
    const rsNow = lab.get('ReplicaSet', 'default', rs.metadata.name!)!;
    expect(rsNow.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    const ev = lab.events(d).find((e) => e.reason === 'ScalingReplicaSet')!;
    expect(ev.message).toBe(`Scaled up replica set ${rs.metadata.name} from 0 to 3`);
    expect(ev.source.component).toBe('deployment-controller');
    const created = lab.events(rs).filter((e) => e.reason === 'SuccessfulCreate');
    expect(created.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    const sched = lab.events(pods[0]!).find((e) => e.reason === 'Scheduled')!;
    expect(sched.message).toBe(`Successfully assigned default/${pods[0]!.metadata.name} to ${pods[0]!.spec.nodeName}`);
    expect(sched.source.component).toBe('default-scheduler');
  });

  it('rolls a template change to a new RS (surge 25%, unavailable 25%), then scales down', async () => {
    lab = await startLab();
    const d = lab.create(deployment('web', 'default', 4));
    await waitFor(() => lab!.get('Deployment', 'default', 'web')?.status?.availableReplicas === 4, 4000, 'available');
    const oldRS = owned(lab, 'ReplicaSet', d)[0]!;
    // the surge bound is on the ReplicaSets' replicas (pods follow a moment later)
    let maxTotal = 0;
    const unsub = lab.store.subscribe(() => {
      const total = owned(lab!, 'ReplicaSet', d).reduce((n, r) => n + (r.spec.replicas ?? 0), 0);
      maxTotal = Math.max(maxTotal, total);
    });
    lab.store.mutate(lab.registry.type('apps', 'deployments'), 'default', 'web', (x) => {
      x.spec.template.spec.containers[0].image = 'nginx:1.27.4';
    });
    const newRS = await waitFor(() => owned(lab!, 'ReplicaSet', d).find((r) => r.metadata.name !== oldRS.metadata.name), 2000, 'new RS');
    expect(newRS.metadata.annotations!['deployment.kubernetes.io/revision']).toBe('2');
    await waitFor(() => {
      const x = lab!.get('Deployment', 'default', 'web')!;
      return x.status?.updatedReplicas === 4 && x.status?.availableReplicas === 4 && x.status.replicas === 4;
    }, 6000, 'rollout');
    await waitFor(() => owned(lab!, 'Pod', oldRS).length === 0, 3000, 'old pods gone');
    unsub();
    expect(maxTotal).toBeLessThanOrEqual(5); // 4 + maxSurge 1
    expect(lab.get('ReplicaSet', 'default', oldRS.metadata.name!)!.spec.replicas).toBe(0);
    const msgs = lab.events(d).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    expect(msgs).toContain(`Scaled up replica set ${newRS.metadata.name} from 0 to 1`);
    expect(msgs.some((m) => m.startsWith(`Scaled down replica set ${oldRS.metadata.name} from 4 to`))).toBe(true);

    lab.store.mutate(lab.registry.type('apps', 'deployments'), 'default', 'web', (x) => {
      x.spec.replicas = 1;
    });
    await waitFor(() => owned(lab!, 'Pod', newRS).length === 1 && lab!.get('Deployment', 'default', 'web')!.status.replicas === 1, 3000, 'scaled down');
    expect(lab.events(d).map((e) => e.message)).toContain(`Scaled down replica set ${newRS.metadata.name} from 4 to 1`);
  });

  it('Recreate scales the old RS to zero before the new one comes up', async () => {
    lab = await startLab();
    const d = lab.create(deployment('rc', 'default', 2, { strategy: { type: 'Recreate' } }));
    await waitFor(() => lab!.get('Deployment', 'default', 'rc')?.status?.availableReplicas === 2, 4000);
    const oldRS = owned(lab, 'ReplicaSet', d)[0]!;
    lab.store.mutate(lab.registry.type('apps', 'deployments'), 'default', 'rc', (x) => {
      x.spec.template.spec.containers[0].image = 'nginx:1.28.0';
    });
    await waitFor(() => {
      const s = lab!.get('Deployment', 'default', 'rc')?.status;
      return s?.observedGeneration === 2 && s.updatedReplicas === 2 && s.availableReplicas === 2 && s.replicas === 2;
    }, 6000);
    const newRS = owned(lab, 'ReplicaSet', d).find((r) => r.metadata.name !== oldRS.metadata.name)!;
    const evs = lab.events(d).filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    expect(evs.indexOf(`Scaled down replica set ${oldRS.metadata.name} from 2 to 0`)).toBeLessThan(evs.indexOf(`Scaled up replica set ${newRS.metadata.name} from 0 to 2`));
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    lab = await startLab();
    const dep = deployment('hist', 'default', 1);
    dep.spec.revisionHistoryLimit = 1;
    const d = lab.create(dep);
    for (const tag of ['1.27.4', '1.27.5', '1.27.6']) {
      await waitFor(() => {
        const x = lab!.get('Deployment', 'default', 'hist')!;
        return x.status?.observedGeneration === x.metadata.generation && x.status?.updatedReplicas === 1 && x.status?.availableReplicas === 1 && x.status?.replicas === 1;
      }, 4000, `rollout before ${tag}`);
      lab.store.mutate(lab.registry.type('apps', 'deployments'), 'default', 'hist', (x) => {
        x.spec.template.spec.containers[0].image = `nginx:${tag}`;
      });
    }
    await waitFor(() => {
      const rss = owned(lab!, 'ReplicaSet', d);
      return rss.length === 2 && rss.some((r) => r.metadata.annotations!['deployment.kubernetes.io/revision'] === '4' && r.status?.availableReplicas === 1);
    }, 4000, 'history trimmed');
    const revs = owned(lab, 'ReplicaSet', d).map((r) => r.metadata.annotations!['deployment.kubernetes.io/revision']).sort();
    expect(revs).toEqual(['3', '4']);
  });

  it('the garbage collector deletes the RS and pods when the Deployment goes', async () => {
    lab = await startLab();
    const d = lab.create(deployment('gc', 'default', 2));
    await waitFor(() => lab!.get('Deployment', 'default', 'gc')?.status?.availableReplicas === 2, 4000);
    lab.store.remove(lab.registry.type('apps', 'deployments'), 'default', 'gc');
    await waitFor(() => lab!.list('ReplicaSet', 'default').length === 0 && lab!.list('Pod', 'default').length === 0, 3000, 'cascade');
    void d;
  });
});

describe('daemonset', () => {
  it('runs one pod per node, pinned by matchFields node affinity', async () => {
    lab = await startLab({ nodes: 3 });
    const ds = lab.create({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'kube-system' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'registry.k8s.io/kube-proxy:v1.32.0' }] } },
      },
    });
    const pods = await waitFor(() => {
      const ps = owned(lab!, 'Pod', ds);
      return ps.length === 3 && ps.every((p) => p.status?.phase === 'Running') && ps;
    }, 4000, 'daemon pods');
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBe(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields).toEqual([
        { key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] },
      ]);
      expect(p.spec.tolerations).toContainEqual({ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' });
      expect(p.metadata.labels!['controller-revision-hash']).toBeTruthy();
    }
    const st = await waitFor(() => {
      const s = lab!.get('DaemonSet', 'kube-system', 'agent')!.status;
      return s?.numberAvailable === 3 && s;
    }, 3000);
    expect(st).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberMisscheduled: 0, observedGeneration: 1 });
    expect(lab.list('ControllerRevision', 'kube-system')).toHaveLength(1);
  });

  it('honours nodeSelector', async () => {
    lab = await startLab({ nodes: 2 });
    const ds = lab.create({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'zonal', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'zonal' } },
        template: { metadata: { labels: { app: 'zonal' } }, spec: { nodeSelector: { 'topology.kubernetes.io/zone': 'lab-zone-b' }, containers: [{ name: 'c', image: 'nginx' }] } },
      },
    });
    await waitFor(() => lab!.get('DaemonSet', 'default', 'zonal')?.status?.numberReady === 1, 3000);
    const pods = owned(lab, 'Pod', ds);
    expect(pods.map((p) => p.spec.nodeName)).toEqual(['lab-worker-2']);
    expect(lab.get('DaemonSet', 'default', 'zonal')!.status.desiredNumberScheduled).toBe(1);
  });
});

describe('job', () => {
  it('completes with an echo pod', async () => {
    lab = await startLab();
    const job = lab.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'hello', namespace: 'default' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'hello', image: 'busybox:1.36', command: ['echo', 'hello from the lab'] }] } } },
    });
    const done = await waitFor(() => {
      const j = lab!.get('Job', 'default', 'hello')!;
      return (j.status?.conditions ?? []).some((c: any) => c.type === 'Complete' && c.status === 'True') && j;
    }, 4000, 'job complete');
    expect(done.status).toMatchObject({ succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(done.status.active).toBeUndefined();
    expect(done.status.startTime).toBeTruthy();
    expect(done.status.completionTime).toBeTruthy();
    expect(done.status.conditions.map((c: any) => [c.type, c.reason])).toEqual([
      ['SuccessCriteriaMet', 'CompletionsReached'],
      ['Complete', 'CompletionsReached'],
    ]);
    expect(done.spec.selector.matchLabels).toEqual({ 'batch.kubernetes.io/controller-uid': job.metadata.uid });
    const pod = owned(lab, 'Pod', job)[0]!;
    expect(pod.metadata.name).toMatch(/^hello-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata.labels).toMatchObject({ 'job-name': 'hello', 'batch.kubernetes.io/job-name': 'hello', 'controller-uid': job.metadata.uid, 'batch.kubernetes.io/controller-uid': job.metadata.uid });
    expect(pod.metadata.finalizers).toBeUndefined();
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(lab.logs.current(pod.metadata.uid!, 'hello').snapshot().map((l) => l.text)).toEqual(['hello from the lab']);
    const evs = lab.events(job).map((e) => `${e.reason}: ${e.message}`);
    expect(evs).toContain(`SuccessfulCreate: Created pod: ${pod.metadata.name}`);
    expect(evs).toContain('Completed: Job completed');
  });

  it('runs completions with parallelism', async () => {
    lab = await startLab();
    const job = lab.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'par', namespace: 'default' },
      spec: { completions: 3, parallelism: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'w', image: 'busybox', command: ['sh', '-c', 'sleep 0.05; echo ok'] }] } } },
    });
    let maxActive = 0;
    const unsub = lab.store.subscribe(() => {
      maxActive = Math.max(maxActive, lab!.get('Job', 'default', 'par')?.status?.active ?? 0);
    });
    await waitFor(() => lab!.get('Job', 'default', 'par')!.status?.conditions?.some((c: any) => c.type === 'Complete'), 5000, 'complete');
    unsub();
    expect(maxActive).toBe(2);
    expect(lab.get('Job', 'default', 'par')!.status.succeeded).toBe(3);
    expect(owned(lab, 'Pod', job)).toHaveLength(3);
  });

  it('fails after backoffLimit with sh -c "exit 3"', async () => {
    lab = await startLab();
    const job = lab.create({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'boom', namespace: 'default' },
      spec: { backoffLimit: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'boom', image: 'busybox', command: ['sh', '-c', 'echo failing; exit 3'] }] } } },
    });
    const failed = await waitFor(() => {
      const j = lab!.get('Job', 'default', 'boom')!;
      return (j.status?.conditions ?? []).some((c: any) => c.type === 'Failed' && c.status === 'True') && j;
    }, 6000, 'job failed');
    expect(failed.status.failed).toBe(2);
    expect(failed.status.conditions.map((c: any) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ['Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
    ]);
    const pods = owned(lab, 'Pod', job);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.status.phase).toBe('Failed');
      expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    }
    expect(lab.events(job).some((e) => e.type === 'Warning' && e.reason === 'BackoffLimitExceeded')).toBe(true);
  });

  it('a pod past activeDeadlineSeconds fails with DeadlineExceeded', async () => {
    lab = await startLab();
    const pod = lab.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'slow', namespace: 'default' },
      spec: { restartPolicy: 'Never', activeDeadlineSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '3600'] }] },
    });
    const p = await waitFor(() => {
      const x = lab!.get('Pod', 'default', 'slow')!;
      return x.status?.phase === 'Failed' && x;
    }, 4000, 'deadline');
    expect(p.status.reason).toBe('DeadlineExceeded');
    expect(p.status.message).toBe('Pod was active on the node longer than the specified deadline');
    expect(p.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
    expect(lab.events(pod).find((e) => e.reason === 'DeadlineExceeded')).toMatchObject({ type: 'Warning', message: 'Pod was active on the node longer than the specified deadline' });
  });
});

describe('scheduler', () => {
  it('reports nodes that do not match the node selector with the upstream message', async () => {
    lab = await startLab();
    const pod = lab.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'picky', namespace: 'default' },
      spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'c', image: 'nginx' }] },
    });
    const msg = "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.";
    const p = await waitFor(() => {
      const x = lab!.get('Pod', 'default', 'picky')!;
      return x.status?.conditions?.some((c: any) => c.type === 'PodScheduled' && c.status === 'False') && x;
    }, 2000);
    expect(p.status.phase).toBe('Pending');
    expect(p.status.conditions.find((c: any) => c.type === 'PodScheduled')).toMatchObject({ reason: 'Unschedulable', message: msg });
    expect(lab.events(pod).find((e) => e.reason === 'FailedScheduling')).toMatchObject({ type: 'Warning', message: msg });
    // a matching node appears: the pod is retried and bound
    lab.store.mutate(lab.registry.type('', 'nodes'), undefined, 'lab-worker-2', (n) => {
      n.metadata.labels = { ...n.metadata.labels, disk: 'ssd' };
    });
    await waitFor(() => lab!.get('Pod', 'default', 'picky')!.spec.nodeName === 'lab-worker-2', 2000, 'rescheduled');
  });

  it('honours taints, cordoned nodes and an empty cluster', async () => {
    lab = await startLab({ nodes: 2 });
    lab.store.mutate(lab.registry.type('', 'nodes'), undefined, 'lab-worker-1', (n) => {
      n.spec.taints = [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }];
    });
    lab.store.mutate(lab.registry.type('', 'nodes'), undefined, 'lab-worker-2', (n) => {
      n.spec.unschedulable = true;
    });
    lab.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const p = await waitFor(() => lab!.get('Pod', 'default', 'p')!.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False'), 2000);
    expect(p.message).toBe('0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: infra}, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.');
    lab.stop();
    lab = await startLab({ nodes: 0 });
    lab.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    const q = await waitFor(() => lab!.get('Pod', 'default', 'q')!.status?.conditions?.find((c: any) => c.type === 'PodScheduled' && c.status === 'False'), 2000);
    expect(q.message).toBe('no nodes available to schedule pods');
  });
});

describe('deletion', () => {
  it('deletes a pod gracefully: Killing, terminated containers, then removal', async () => {
    lab = await startLab();
    const pod = lab.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bye', namespace: 'default' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27.3' }] } });
    await waitFor(() => isReady(lab!.get('Pod', 'default', 'bye')!), 2000);
    const seen: KObject[] = [];
    const unsub = lab.store.subscribe((ev) => {
      if (ev.object.metadata.uid === pod.metadata.uid) seen.push(ev.object);
    });
    deleteObject(lab.mgr.ctx, lab.registry.type('', 'pods'), lab.get('Pod', 'default', 'bye')!);
    expect(lab.get('Pod', 'default', 'bye')!.metadata.deletionTimestamp).toBeTruthy();
    await waitFor(() => !lab!.get('Pod', 'default', 'bye'), 2000, 'removal');
    unsub();
    const last = seen.filter((o) => o.status?.containerStatuses?.[0]?.state?.terminated).at(-1)!;
    expect(last.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(last.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('False');
    expect(lab.store.list(lab.registry.type('', 'events'), 'default').some((e) => e.involvedObject.uid === pod.metadata.uid && e.reason === 'Killing' && e.message === 'Stopping container web')).toBe(true);
    // the kubelet frees the pod's log streams when it reconciles the removal (its queue runs after the DELETED event)
    await waitFor(() => !lab!.logs.has(pod.metadata.uid!, 'web'), 2000, 'logs dropped');
  });

  it('deleting a namespace deletes everything in it, then the namespace', async () => {
    lab = await startLab();
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const ns = lab.get('Namespace', undefined, n)!;
      expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': n });
      expect(ns.spec.finalizers).toEqual(['kubernetes']);
      expect(ns.status.phase).toBe('Active');
    }
    lab.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    lab.create(deployment('web', 'shop', 2));
    lab.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'shop' }, data: { a: 'b' } });
    await waitFor(() => lab!.get('Deployment', 'shop', 'web')?.status?.availableReplicas === 2, 4000);
    deleteObject(lab.mgr.ctx, lab.registry.type('', 'namespaces'), lab.get('Namespace', undefined, 'shop')!);
    expect(lab.get('Namespace', undefined, 'shop')!.status.phase).toBe('Terminating');
    await waitFor(() => !lab!.get('Namespace', undefined, 'shop'), 3000, 'namespace gone');
    for (const k of ['Pod', 'ReplicaSet', 'Deployment', 'ConfigMap', 'Event']) expect(lab.list(k, 'shop')).toEqual([]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { isReady, startLab, type TestLab, waitFor } from './harness.ts';
import { goDuration, normalizeImage, parseDuration } from '../../../../src/lab/controllers/kubelet.ts';
import type { KObject } from '../../../../src/lab/types.ts';

let lab: TestLab | undefined;
afterEach(() => {
  lab?.stop();
  lab = undefined;
});

function pod(name: string, spec: any, annotations?: Record<string, string>): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) }, spec };
}

const get = (name: string) => lab!.get('Pod', 'default', name)!;
const events = (name: string) => lab!.events(get(name));
const cond = (p: KObject, type: string) => p.status?.conditions?.find((c: any) => c.type === type);

describe('helpers', () => {
  it('parses and prints Go durations', () => {
    expect(parseDuration('4s')).toBe(4000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('nope')).toBeUndefined();
    expect(goDuration(583)).toBe('583ms');
    expect(goDuration(1234)).toBe('1.234s');
    expect(goDuration(10_000)).toBe('10s');
    expect(goDuration(80_000)).toBe('1m20s');
    expect(goDuration(300_000)).toBe('5m0s');
    expect(normalizeImage('nginx:1.27')).toBe('docker.io/library/nginx:1.27');
    expect(normalizeImage('nginx')).toBe('docker.io/library/nginx:latest');
    expect(normalizeImage('ghcr.io/stefanprodan/podinfo:6.7.1')).toBe('ghcr.io/stefanprodan/podinfo:6.7.1');
    expect(normalizeImage('bitnami/redis')).toBe('docker.io/bitnami/redis:latest');
  });
});

describe('kubelet', () => {
  it('starts a pod: IPs from the node, statuses, conditions, events and nginx logs', async () => {
    lab = await startLab();
    lab.create(pod('web', { nodeName: 'lab-worker-1', containers: [{ name: 'nginx', image: 'nginx:1.27.3', ports: [{ containerPort: 80 }] }] }));
    const p = await waitFor(() => isReady(get('web')) && get('web'), 2000, 'ready');
    expect(p.status.phase).toBe('Running');
    expect(p.status.hostIP).toBe('127.0.1.1');
    expect(p.status.hostIPs).toEqual([{ ip: '127.0.1.1' }]);
    expect(p.status.podIP).toMatch(/^127\.1\.1\.([2-9]|[1-9]\d|1\d\d|2[0-4]\d|25[0-4])$/);
    expect(p.status.podIPs).toEqual([{ ip: p.status.podIP }]);
    expect(p.status.startTime).toBeTruthy();
    expect(p.status.conditions.map((c: any) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    for (const c of p.status.conditions) expect(c.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const cs = p.status.containerStatuses[0];
    expect(cs).toMatchObject({ name: 'nginx', ready: true, started: true, restartCount: 0, image: 'docker.io/library/nginx:1.27.3', lastState: {} });
    expect(cs.imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(cs.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(cs.state.running.startedAt).toBeTruthy();
    const evs = events('web').map((e) => [e.reason, e.message]);
    expect(evs).toHaveLength(4);
    expect(evs).toContainEqual(['Pulling', 'Pulling image "nginx:1.27.3"']);
    expect(evs).toContainEqual(['Created', 'Created container: nginx']);
    expect(evs).toContainEqual(['Started', 'Started container nginx']);
    const pulled = evs.find((e) => e[0] === 'Pulled')!;
    expect(pulled[1]).toMatch(/^Successfully pulled image "nginx:1\.27\.3" in \d+(\.\d+)?m?s \(\d+(\.\d+)?m?s including waiting\)\. Image size: \d+ bytes\.$/);
    expect(events('web').every((e) => e.source.component === 'kubelet' && e.source.host === 'lab-worker-1')).toBe(true);
    const logs = lab.logs.current(p.metadata.uid!, 'nginx').snapshot().map((l) => l.text);
    expect(logs[0]).toBe('/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration');
    expect(logs.some((l) => /\[notice\] 1#1: nginx\/1\.27\.3$/.test(l))).toBe(true);

    // a second pod with the same image on the node: already present; a different IP
    lab.create(pod('web2', { nodeName: 'lab-worker-1', containers: [{ name: 'nginx', image: 'nginx:1.27.3' }] }));
    const p2 = await waitFor(() => isReady(get('web2')) && get('web2'), 2000);
    expect(p2.status.podIP).not.toBe(p.status.podIP);
    expect(events('web2').find((e) => e.reason === 'Pulled')!.message).toBe('Container image "nginx:1.27.3" already present on machine');
  });

  it('runs init containers first; hostNetwork pods use the node IP', async () => {
    lab = await startLab();
    lab.create(pod('init', {
      nodeName: 'lab-worker-2',
      hostNetwork: true,
      initContainers: [{ name: 'wait', image: 'busybox:1.36', command: ['sh', '-c', 'echo waiting; sleep 0.05; echo done'] }],
      containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/orders:3.2.0', ports: [{ containerPort: 8080 }] }],
    }));
    const early = await waitFor(() => get('init').status?.initContainerStatuses?.[0]?.state?.running && get('init'), 2000);
    expect(early.status.phase).toBe('Pending');
    expect(cond(early, 'Initialized')).toMatchObject({ status: 'False', reason: 'ContainersNotInitialized', message: 'containers with incomplete status: [wait]' });
    expect(early.status.containerStatuses[0].state.waiting.reason).toBe('PodInitializing');
    const p = await waitFor(() => isReady(get('init')) && get('init'), 3000);
    expect(p.status.podIP).toBe('127.0.1.2');
    expect(p.status.initContainerStatuses[0]).toMatchObject({ ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
    expect(lab.logs.current(p.metadata.uid!, 'wait').snapshot().map((l) => l.text)).toEqual(['waiting', 'done']);
    expect(lab.logs.current(p.metadata.uid!, 'app').snapshot().map((l) => l.text).at(-1)).toMatch(/INFO listening on :8080$/);
  });

  it('a failing readiness probe posts Unhealthy events and keeps the pod not Ready', async () => {
    lab = await startLab();
    lab.create(pod('rf', {
      containers: [{
        name: 'orders',
        image: 'ghcr.io/netpath-lab/orders:3.2.0',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
      }],
    }, { 'lab.netpath.dev/responses': '{"/ready": 503}' }));
    const ev = await waitFor(() => events('rf').find((e) => e.reason === 'Unhealthy'), 3000, 'Unhealthy');
    expect(ev).toMatchObject({ type: 'Warning', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503' });
    const p = get('rf');
    expect(p.status.phase).toBe('Running');
    expect(cond(p, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [orders]' });
    expect(p.status.containerStatuses[0]).toMatchObject({ ready: false, started: true });

    // a probe on a port the container does not declare: connection refused
    lab.create(pod('rp', {
      containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/app:1', ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: '/ready', port: 9090 }, periodSeconds: 1 } }],
    }));
    const ev2 = await waitFor(() => events('rp').find((e) => e.reason === 'Unhealthy'), 3000);
    const ip = get('rp').status.podIP;
    expect(ev2.message).toBe(`Readiness probe failed: Get "http://${ip}:9090/ready": dial tcp ${ip}:9090: connect: connection refused`);
  });

  it('a passing readiness probe makes the pod Ready', async () => {
    lab = await startLab();
    lab.create(pod('ok', {
      containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/app:1', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 1 } }],
    }));
    await waitFor(() => isReady(get('ok')), 2000);
    expect(events('ok').some((e) => e.reason === 'Unhealthy')).toBe(false);
  });

  it('flap toggles readiness', async () => {
    lab = await startLab();
    lab.create(pod('flap', { containers: [{ name: 'app', image: 'ghcr.io/stefanprodan/podinfo:6.7.1', ports: [{ containerPort: 9898 }] }] }, { 'lab.netpath.dev/flap': '150ms' }));
    const seen = new Set<string>();
    let transitions = 0;
    let last: string | undefined;
    const unsub = lab.store.subscribe((ev) => {
      if (ev.object.metadata.name !== 'flap' || ev.object.kind !== 'Pod') return;
      const r = cond(ev.object, 'Ready')?.status;
      if (!r || ev.object.status?.phase !== 'Running') return;
      seen.add(r);
      if (last && r !== last) transitions++;
      last = r;
    });
    await waitFor(() => transitions >= 3, 3000, 'ready to flip a few times');
    unsub();
    expect([...seen].sort()).toEqual(['False', 'True']);
    const logs = lab.logs.current(get('flap').metadata.uid!, 'app').snapshot().map((l) => JSON.parse(l.text));
    expect(logs[0]).toMatchObject({ level: 'info', msg: 'Starting podinfo', version: '6.7.1' });
  });

  it('crash-after: exits 1, restarts with back-off, keeps the previous log', async () => {
    lab = await startLab();
    lab.create(pod('crash', { containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/app:1', ports: [{ containerPort: 8080 }] }] }, { 'lab.netpath.dev/crash-after': '80ms' }));
    const p = await waitFor(() => (get('crash').status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 && get('crash'), 3000, 'restart');
    const cs = p.status.containerStatuses[0];
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(cs.lastState.terminated.finishedAt).toBeTruthy();
    const prev = lab.logs.previous(p.metadata.uid!, 'app');
    expect(prev?.snapshot().map((l) => l.text).at(-1)).toMatch(/fatal error/);
    // the second crash goes into CrashLoopBackOff
    const loop = await waitFor(() => get('crash').status.containerStatuses[0].state.waiting?.reason === 'CrashLoopBackOff' && get('crash'), 3000, 'CrashLoopBackOff');
    expect(loop.status.containerStatuses[0].state.waiting.message).toBe(`back-off 10s restarting failed container=app pod=crash_default(${p.metadata.uid})`);
    expect(loop.status.phase).toBe('Running');
    expect(events('crash').find((e) => e.reason === 'BackOff')).toMatchObject({ type: 'Warning', message: `Back-off restarting failed container app in pod crash_default(${p.metadata.uid})` });
    await waitFor(() => get('crash').status.containerStatuses[0].restartCount >= 2, 3000, 'second restart');
  });

  it('image-pull fail: ErrImagePull then ImagePullBackOff', async () => {
    lab = await startLab();
    lab.create(pod('pull', { containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/missing:9.9.9' }] }, { 'lab.netpath.dev/image-pull': 'fail' }));
    const p = await waitFor(() => get('pull').status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' && get('pull'), 3000);
    expect(p.status.phase).toBe('Pending');
    expect(p.status.containerStatuses[0].state.waiting.message).toBe('Back-off pulling image "ghcr.io/netpath-lab/missing:9.9.9"');
    const msgs = events('pull').map((e) => `${e.type} ${e.reason}: ${e.message}`);
    expect(msgs).toContain('Warning Failed: Failed to pull image "ghcr.io/netpath-lab/missing:9.9.9": rpc error: code = NotFound desc = failed to pull and unpack image "ghcr.io/netpath-lab/missing:9.9.9": failed to resolve reference "ghcr.io/netpath-lab/missing:9.9.9": ghcr.io/netpath-lab/missing:9.9.9: not found');
    expect(msgs).toContain('Warning Failed: Error: ErrImagePull');
    expect(msgs).toContain('Normal BackOff: Back-off pulling image "ghcr.io/netpath-lab/missing:9.9.9"');
    expect(msgs).toContain('Warning Failed: Error: ImagePullBackOff');
  });

  it('a failing liveness probe restarts the container', async () => {
    lab = await startLab();
    lab.create(pod('live', {
      containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/app:1', ports: [{ containerPort: 8080 }], livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 } }],
    }, { 'lab.netpath.dev/responses': '{"/healthz": 500}' }));
    await waitFor(() => get('live').status?.containerStatuses?.[0]?.restartCount >= 1, 3000, 'liveness restart');
    const msgs = events('live').map((e) => `${e.reason}: ${e.message}`);
    expect(msgs).toContain('Unhealthy: Liveness probe failed: HTTP probe failed with statuscode: 500');
    expect(msgs).toContain('Killing: Container app failed liveness probe, will be restarted');
  });

  it('writes the ingress-nginx controller and CoreDNS startup logs', async () => {
    lab = await startLab();
    lab.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ingress-nginx' } });
    lab.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ingress-nginx-controller-abc', namespace: 'ingress-nginx' },
      spec: { containers: [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.12.0', args: ['/nginx-ingress-controller', '--election-id=ingress-nginx-leader', '--ingress-class=nginx'], ports: [{ containerPort: 80 }] }] },
    });
    lab.create(pod('coredns', { containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.3', args: ['-conf', '/etc/coredns/Corefile'] }] }));
    const ing = await waitFor(() => isReady(lab!.get('Pod', 'ingress-nginx', 'ingress-nginx-controller-abc')!) && lab!.get('Pod', 'ingress-nginx', 'ingress-nginx-controller-abc')!, 2000);
    const lines = lab.logs.current(ing.metadata.uid!, 'controller').snapshot().map((l) => l.text);
    expect(lines.slice(0, 3)).toEqual(['-------------------------------------------------------------------------------', 'NGINX Ingress controller', '  Release:       v1.12.0']);
    expect(lines.some((l) => /^I\d{4} \d\d:\d\d:\d\d\.\d{6}       7 leaderelection\.go:\d+\] successfully acquired lease ingress-nginx\/ingress-nginx-leader$/.test(l))).toBe(true);
    const dns = await waitFor(() => isReady(get('coredns')) && get('coredns'), 2000);
    const dl = lab.logs.current(dns.metadata.uid!, 'coredns').snapshot().map((l) => l.text);
    expect(dl[0]).toBe('.:53');
    expect(dl[2]).toBe('CoreDNS-1.11.3');
  });

  it('a helper pod with an unknown command fails with 127', async () => {
    lab = await startLab();
    lab.create(pod('nf', { restartPolicy: 'Never', containers: [{ name: 't', image: 'busybox', command: ['sh', '-c', 'frobnicate --now'] }] }));
    const p = await waitFor(() => get('nf').status?.phase === 'Failed' && get('nf'), 2000);
    expect(p.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 127, reason: 'Error' });
    expect(lab.logs.current(p.metadata.uid!, 't').snapshot().map((l) => l.text)).toEqual(['sh: frobnicate: not found']);
    expect(cond(p, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
  });
});

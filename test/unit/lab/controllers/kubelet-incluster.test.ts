// The kubelet for in-cluster probes: ephemeral containers in the target pod's sandbox, images that cannot be
// pulled, runAsNonRoot against a root image, activeDeadlineSeconds, and raw sockets by capability.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLab, type TestLab, waitFor } from './harness.ts';
import { imagePullFailure, netAdmin, rawSockets } from '../../../../src/lab/runtime/security.ts';
import type { KObject } from '../../../../src/lab/types.ts';

let lab: TestLab;
beforeEach(async () => {
  lab = await startLab();
  lab.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
});
afterEach(() => lab.stop());

const pod = (name: string, c: any, spec: any = {}): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'app' },
  spec: { nodeName: 'lab-worker-1', restartPolicy: 'Never', ...spec, containers: [{ name: 'c', image: 'nicolaka/netshoot:v0.13', ...c }] },
});
const get = (name: string) => lab.get('Pod', 'app', name)!;
const logOf = (p: KObject, c: string) => lab.logs.current(p.metadata.uid!, c).snapshot().map((l) => l.text);
const reasons = (p: KObject) => lab.events(p).map((e) => `${e.reason}: ${e.message}`);

describe('ephemeral containers', () => {
  it('run in the running pod with its IP, report ephemeralContainerStatuses and keep their log; the pod stays Running', async () => {
    lab.create(pod('web', { image: 'nginx:1.27.3', ports: [{ containerPort: 80 }] }, { restartPolicy: 'Always' }));
    const running = await waitFor(() => (get('web').status?.phase === 'Running' ? get('web') : undefined));
    const def = lab.registry.type('', 'pods');
    lab.store.mutate(def, 'app', 'web', (p) => {
      p.spec.ephemeralContainers = [{ name: 'debugger-x1', image: 'nicolaka/netshoot:v0.13', command: ['sh', '-c', 'echo from $HOSTNAME; hostname; exit 3'], targetContainerName: 'c' }];
    });
    const done = await waitFor(() => get('web').status?.ephemeralContainerStatuses?.[0]?.state?.terminated && get('web'));
    const st = done.status.ephemeralContainerStatuses[0];
    expect(st.name).toBe('debugger-x1');
    expect(st.state.terminated.exitCode).toBe(3);
    expect(st.ready).toBe(false);
    expect(st.restartCount).toBe(0);
    expect(done.status.phase).toBe('Running');
    expect(done.status.podIP).toBe(running.status.podIP);
    expect(logOf(done, 'debugger-x1')).toEqual(['from web', 'web']);
    expect(reasons(done)).toContain('Started: Started container debugger-x1');
  });
});

describe('node tools', () => {
  it('ss in an ephemeral container lists the app\'s listeners; netfilter tools need NET_ADMIN', async () => {
    lab.create(pod('app1', { image: 'nginx:1.27.3', ports: [{ containerPort: 80 }] }, { restartPolicy: 'Always' }));
    await waitFor(() => get('app1').status?.phase === 'Running');
    lab.store.mutate(lab.registry.type('', 'pods'), 'app', 'app1', (p) => {
      p.spec.ephemeralContainers = [
        { name: 'ss', image: 'nicolaka/netshoot:v0.13', command: ['ss', '-tln'] },
        { name: 'ipt', image: 'nicolaka/netshoot:v0.13', command: ['iptables-save'] },
      ];
    });
    const done = await waitFor(() => (get('app1').status?.ephemeralContainerStatuses ?? []).filter((s: any) => s.state?.terminated).length === 2 && get('app1'));
    const ss = logOf(done, 'ss');
    expect(ss[0]).toMatch(/^State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port$/);
    expect(ss.some((l) => /^LISTEN\s+0\s+4096\s+\*:80\s+\*:\*$/.test(l))).toBe(true);
    expect(logOf(done, 'ipt')).toEqual(['iptables-save v1.8.10 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)']);
    expect(done.status.ephemeralContainerStatuses.find((s: any) => s.name === 'ipt').state.terminated.exitCode).toBe(1);
  });

  it('a privileged hostNetwork pod reads the Services\' kube-proxy chains', async () => {
    lab.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'app' }, spec: { clusterIP: '127.2.9.9', clusterIPs: ['127.2.9.9'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
    lab.create(pod('nv', { command: ['sh', '-c', 'iptables-save -t filter | grep app/web'], securityContext: { privileged: true } }, { hostNetwork: true }));
    const p = await waitFor(() => get('nv').status?.phase === 'Succeeded' && get('nv'));
    expect(logOf(p, 'c')).toEqual(['-A KUBE-SERVICES -d 127.2.9.9/32 -p tcp -m comment --comment "app/web:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable']);
  });
});

describe('image pulls that cannot succeed', () => {
  it('a registry under .invalid: ErrImagePull, then ImagePullBackOff, with containerd\'s lookup error', async () => {
    lab.create(pod('p', { image: 'registry.invalid/tools/netshoot:v1' }));
    const w = await waitFor(() => get('p').status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff' && get('p'));
    expect(w.status.phase).toBe('Pending');
    const ev = reasons(w);
    expect(ev.some((e) => e.startsWith('Failed: Failed to pull image "registry.invalid/tools/netshoot:v1": rpc error: code = Unknown desc = failed to pull and unpack image "registry.invalid/tools/netshoot:v1"') && e.endsWith('dial tcp: lookup registry.invalid: no such host'))).toBe(true);
    expect(ev).toContain('Failed: Error: ErrImagePull');
    expect(ev).toContain('Failed: Error: ImagePullBackOff');
  });

  it('a namespace annotated lab.netpath.dev/image-pull: fail fails every pull', () => {
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'air', annotations: { 'lab.netpath.dev/image-pull': 'fail' } } } as KObject;
    expect(imagePullFailure('nicolaka/netshoot:v0.13', ns)).toMatch(/^rpc error: code = NotFound desc = failed to pull and unpack image "docker\.io\/nicolaka\/netshoot:v0\.13"/);
    expect(imagePullFailure('nicolaka/netshoot:v0.13')).toBeUndefined();
  });
});

describe('security context', () => {
  it('runAsNonRoot with a root image and no runAsUser: CreateContainerConfigError', async () => {
    lab.create(pod('nr', { securityContext: { runAsNonRoot: true } }));
    const w = await waitFor(() => get('nr').status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError' && get('nr'));
    expect(w.status.containerStatuses[0].state.waiting.message).toMatch(/^container has runAsNonRoot and image will run as root \(pod: "nr_app\(.+\)", container: c\)$/);
  });

  it('raw sockets follow root + NET_RAW; NET_ADMIN must be added', () => {
    const p = pod('x', {});
    expect(rawSockets(p, {})).toBe(true);
    expect(rawSockets(p, { securityContext: { runAsUser: 1000 } })).toBe(false);
    expect(rawSockets(p, { securityContext: { capabilities: { drop: ['ALL'] } } })).toBe(false);
    expect(rawSockets(p, { securityContext: { capabilities: { drop: ['ALL'], add: ['NET_RAW'] } } })).toBe(true);
    expect(netAdmin(p, {})).toBe(false);
    expect(netAdmin(p, { securityContext: { capabilities: { add: ['NET_ADMIN'] } } })).toBe(true);
    expect(netAdmin(p, { securityContext: { privileged: true, runAsUser: 1000 } })).toBe(true);
  });

  it('a traceroute -T without NET_RAW fails in the container log', async () => {
    lab.create(pod('tr', { command: ['traceroute', '-T', '-p', '443', '127.0.10.10'], securityContext: { runAsUser: 1000 } }));
    const p = await waitFor(() => get('tr').status?.phase === 'Failed' && get('tr'));
    expect(logOf(p, 'c')).toEqual(['You do not have enough privileges to use this traceroute method.', 'socket: Operation not permitted']);
  });
});

describe('activeDeadlineSeconds', () => {
  it('kills the containers and fails the pod with DeadlineExceeded', async () => {
    lab.create(pod('dl', { command: ['sleep', '3600'] }, { activeDeadlineSeconds: 1 }));
    const p = await waitFor(() => get('dl').status?.phase === 'Failed' && get('dl'), 4000);
    expect(p.status.reason).toBe('DeadlineExceeded');
    expect(p.status.message).toBe('Pod was active on the node longer than the specified deadline');
    expect(p.status.containerStatuses[0].state.terminated.exitCode).toBe(137);
  });
});

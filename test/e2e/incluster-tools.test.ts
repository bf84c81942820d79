// In-cluster tools against the lab data plane: traceroute and dig stream, PodSecurity-labelled namespaces refuse
// privileged helpers as the admission does and the tool adapts, image pull failures name --image, the node view,
// an ephemeral container (--from-pod) and the port-forward bisect. Needs the data plane (flock).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { ForbiddenError } from '../../src/kube/errors.ts';
import { createPod } from '../../src/kube/pods.ts';
import { Lab } from '../../src/lab/lab.ts';
import { diagnose } from '../../src/path/diagnose.ts';
import { parseTarget } from '../../src/path/target.ts';
import { portForwardBisect, type BisectEvent } from '../../src/probes/incluster/bisect.ts';
import { ladderToEnd } from '../../src/probes/incluster/ladder.ts';
import { HelperError, helperPod, nextPodName } from '../../src/probes/incluster/runner.ts';
import { type ToolEvent, curl, dig, nodeView, traceroute } from '../../src/probes/incluster/tools.ts';
import { eventually } from './harness.ts';

let lab: Lab;
let client: KubeClient;
const pods = (ns?: string) => lab.store.list(lab.registry.type('', 'pods'), ns);
const helperPods = () => pods().filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-netpath' && !p.metadata.deletionTimestamp);
const ready = (p: any) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

async function all(it: AsyncIterable<ToolEvent | BisectEvent>): Promise<(ToolEvent | BisectEvent)[]> {
  const out = [];
  for await (const e of it) out.push(e);
  return out;
}
const result = (evs: any[]) => evs.find((e) => e.type === 'result')?.run;

beforeAll(async () => {
  lab = await Lab.start({ scenarios: ['lb-pending', 'stale-dns'] });
  if (!lab.dataplane?.info().enabled) throw new Error('the lab has no data plane: run under flock /tmp/netpath-dataplane.lock');
  for (const [name, level] of [['psa-restricted', 'restricted'], ['psa-baseline', 'baseline']] as const)
    lab.api.applyObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/enforce-version': 'latest' } } });
  await eventually(() => pods().length > 0 && pods().every((p) => p.status?.phase === 'Running') && pods('ingress-nginx').every(ready), 60_000, 250);
  client = KubeClient.create({ kubeconfig: lab.kubeconfig }, { KUBECONFIG: '' });
}, 90_000);

afterAll(async () => {
  await client?.close();
  await lab?.stop();
});

const lbAddress = () => lab.store.get(lab.registry.type('', 'services'), 'ingress-nginx', 'ingress-nginx-controller')?.status?.loadBalancer?.ingress?.[0]?.ip as string;

describe('in-cluster tools', () => {
  it('traceroute -T -p streams hops before its result and reaches the load balancer', async () => {
    const evs = await all(traceroute(client, { namespace: 'lb-pending', host: lbAddress(), port: 80, deadlineSeconds: 60 }, AbortSignal.timeout(30_000)));
    const firstHop = evs.findIndex((e) => e.type === 'hop');
    expect(firstHop, JSON.stringify(evs.slice(0, 8))).toBeGreaterThan(0);
    expect(firstHop).toBeLessThan(evs.findIndex((e) => e.type === 'result'));
    const r = result(evs);
    expect(r.title).toMatch(/-T -p 80/);
    expect(r.summary).toMatch(new RegExp(`reached ${lbAddress().replace(/\./g, '\\.')}`));
    await eventually(() => helperPods().length === 0, 5000);
  });

  it('dig compares cluster DNS, an upstream resolver and the workstation', async () => {
    const resolver = lab.ready().resolver!;
    const evs = await all(dig(client, { namespace: 'stale-dns', name: 'stale-dns.netpath.test', upstreams: [resolver], workstation: [{ label: resolver, server: resolver }], deadlineSeconds: 60 }, AbortSignal.timeout(30_000)));
    expect(evs.filter((e) => e.type === 'line').length).toBeGreaterThan(5);
    const r = result(evs);
    expect(r.summary).toContain('cluster DNS: 127.0.10.250');
    expect(r.summary).toContain(`${resolver}: 127.0.10.250`);
    expect(r.summary).toContain(`workstation ${resolver}: 127.0.10.250`);
    // The workstation's own system resolver does not know the lab's names: a real disagreement, reported as such.
    expect(r.summary).toMatch(/workstation system: ENOTFOUND.*they disagree$/);
    expect(r.status).toBe('warn');
  });

  it('restricted and baseline namespaces refuse privileged helpers as the admission does; the tool adapts', async () => {
    // What the admission says to a NET_RAW helper, server-side dry run.
    for (const ns of ['psa-restricted', 'psa-baseline']) {
      const pod = helperPod({ namespace: ns, name: nextPodName(), purpose: 'test', profile: 'netraw', command: ['sleep', '1'] });
      const err = await createPod(client, pod, { dryRun: true }).catch((e) => e);
      expect(err, ns).toBeInstanceOf(ForbiddenError);
      expect(err.message).toMatch(new RegExp(`violates PodSecurity "${ns.slice(4)}:latest"`));
    }
    // The tool picks the restricted profile there and traces without raw sockets.
    const events = await all(traceroute(client, { namespace: 'psa-restricted', host: lbAddress(), port: 80, deadlineSeconds: 60 }, AbortSignal.timeout(30_000)));
    const prof = events.find((e) => e.type === 'profile') as any;
    expect(prof).toMatchObject({ profile: 'restricted', level: 'restricted' });
    expect(result(events).summary).toMatch(/UDP/);
    const b = await all(curl(client, { namespace: 'psa-baseline', url: 'http://web.lb-pending.svc.cluster.local/', deadlineSeconds: 60 }, AbortSignal.timeout(30_000)));
    expect((b.find((e) => e.type === 'profile') as any).profile).toBe('baseline');
    expect(result(b).summary).toMatch(/^HTTP 200/);
    // The node view is refused in one line, before anything is created.
    const before = helperPods().length;
    const nv = await all(nodeView(client, { namespace: 'psa-baseline', allowPrivileged: true, input: { node: 'lab-worker-1', service: { namespace: 'lb-pending', name: 'web' }, endpoints: [] } }, AbortSignal.timeout(10_000))).catch((e) => e);
    expect(nv).toBeInstanceOf(HelperError);
    expect(nv.message).toMatch(/^namespace "psa-baseline" enforces PodSecurity "baseline".*--probe-namespace/);
    expect(helperPods().length).toBe(before);
  });

  it('the ladder runs from a restricted namespace (no privilege needed) and still names the hop', async () => {
    const report = await diagnose(client, { target: parseTarget('svc/web'), namespace: 'lb-pending', probe: false });
    const r = await ladderToEnd(client, report.paths[0]!, { namespace: 'psa-restricted', deadlineSeconds: 60, timeoutSeconds: 2 }, AbortSignal.timeout(30_000));
    expect(r?.helper).toMatchObject({ namespace: 'psa-restricted', profile: 'restricted' });
    expect(r?.verdict).toMatchObject({ status: 'fail', rung: 'lb', hop: 'loadbalancer' });
    expect(r?.rungs.find((x) => x.id === 'pod')?.status).toBe('pass');
  });

  it('an image that cannot be pulled names --image; the pod is deleted', async () => {
    const err = await all(curl(client, { namespace: 'lb-pending', url: 'http://web/', image: 'registry.invalid/netshoot:v1', deadlineSeconds: 60 }, AbortSignal.timeout(30_000))).catch((e) => e);
    expect(err).toBeInstanceOf(HelperError);
    expect(err.message).toMatch(/registry\.invalid\/netshoot:v1.*(ErrImagePull|ImagePullBackOff).*--image/);
    await eventually(() => helperPods().length === 0, 5000);
  });

  it('the node view shows the Service\'s rules against its endpoints (--allow-privileged only)', async () => {
    const svc = lab.store.get(lab.registry.type('', 'services'), 'lb-pending', 'web')!;
    const eps = pods('lb-pending').filter((p) => p.metadata.labels?.app === 'web').map((p) => `${p.status.podIP}:8080`);
    const node = pods('lb-pending').find((p) => p.metadata.labels?.app === 'web')!.spec.nodeName;
    const input = { node, service: { namespace: 'lb-pending', name: 'web', clusterIP: svc.spec.clusterIP, port: 80 }, endpoints: eps };
    const refused = await all(nodeView(client, { namespace: 'default', allowPrivileged: false, input }, AbortSignal.timeout(10_000))).catch((e) => e);
    expect(refused.message).toMatch(/--allow-privileged/);
    const evs = await all(nodeView(client, { namespace: 'default', allowPrivileged: true, input, deadlineSeconds: 60 }, AbortSignal.timeout(30_000)));
    expect((evs.find((e) => e.type === 'profile') as any).profile).toBe('node');
    const r = result(evs);
    expect(r.summary, r.lines.slice(0, 20).join('\n')).toMatch(/\(iptables\) forwards lb-pending\/web to 2 endpoints/);
    expect(r.status).toBe('ok');
  });

  it('--from-pod runs in an ephemeral container and says it cannot be removed', async () => {
    const target = pods('lb-pending').find((p) => p.metadata.labels?.app === 'web')!.metadata.name;
    const evs = await all(curl(client, { namespace: 'lb-pending', fromPod: target, url: 'http://web.lb-pending.svc.cluster.local/', deadlineSeconds: 60 }, AbortSignal.timeout(30_000)));
    expect((evs.find((e) => e.type === 'profile') as any).note).toMatch(/cannot be removed/);
    expect(result(evs).summary).toMatch(/^HTTP 200/);
    const pod = lab.store.get(lab.registry.type('', 'pods'), 'lb-pending', target!)!;
    expect(pod.spec.ephemeralContainers?.length).toBe(1);
  });

  it('--from-pod runs the ladder from the target pod\'s own network namespace', async () => {
    const report = await diagnose(client, { target: parseTarget('svc/web'), namespace: 'lb-pending', probe: false });
    const target = pods('lb-pending').filter((p) => p.metadata.labels?.app === 'web').at(-1)!.metadata.name!;
    const r = await ladderToEnd(client, report.paths[0]!, { namespace: 'lb-pending', fromPod: target, deadlineSeconds: 60, timeoutSeconds: 2 }, AbortSignal.timeout(30_000));
    expect(r?.helper?.pod).toContain(`${target} (ephemeral container netpath-`);
    expect(r?.helper?.note).toMatch(/cannot be removed/);
    expect(r?.verdict).toMatchObject({ status: 'fail', rung: 'lb' });
    expect(r?.rungs.find((x) => x.id === 'pod')?.status).toBe('pass');
  });

  it('port-forward bisect: the backend and the controller both answer for a healthy path', async () => {
    const report = await diagnose(client, { target: parseTarget('svc/web'), namespace: 'stale-dns', probe: false });
    const path = report.paths[0]!;
    const backend = pods('stale-dns').find((p) => p.metadata.labels?.app === 'web')!;
    const ctrl = pods('ingress-nginx').find(ready)!;
    const evs = await all(portForwardBisect(client, path, { backend: { namespace: 'stale-dns', pod: backend.metadata.name!, port: 8080 }, controller: { namespace: 'ingress-nginx', pod: ctrl.metadata.name!, port: 80 } }, AbortSignal.timeout(20_000)));
    const answers = evs.filter((e) => e.type === 'answer') as any[];
    expect(answers.map((a) => a.response.status), JSON.stringify(answers)).toEqual([200, 200]);
    expect(result(evs).summary).toMatch(/outside the pods/);
  });
});

// The isolation ladder against the lab's data plane: a real helper pod (netshoot image, run by the lab's kubelet
// against the loopback data plane) curls each hop, and the first failing rung names the hop the scenario breaks.
// Also: the ladder in the CLI's reports, PodSecurity namespaces, and no helper pod left afterwards.
// Needs the data plane: run under `flock /tmp/netpath-dataplane.lock`.
import { execa } from 'execa';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { Lab } from '../../src/lab/lab.ts';
import { diagnose } from '../../src/path/diagnose.ts';
import type { LadderResult, Report } from '../../src/path/model.ts';
import { parseTarget } from '../../src/path/target.ts';
import { type LadderEvent, defaultProbeNamespaces, ladderToEnd } from '../../src/probes/incluster/ladder.ts';
import { HELPER_SELECTOR } from '../../src/probes/incluster/runner.ts';
import { CLI, eventually } from './harness.ts';

const SCENARIOS = ['selector-mismatch', 'wrong-targetport', 'netpol-blocks-controller', 'lb-pending', 'stale-dns', 'demo'];
let lab: Lab;
let client: KubeClient;
const tmp = mkdtempSync(join(tmpdir(), 'netpath-ladder-'));

const pods = (ns?: string) => lab.store.list(lab.registry.type('', 'pods'), ns);
const helperPods = () => pods().filter((p) => p.metadata.labels?.['app.kubernetes.io/managed-by'] === 'kubectl-netpath');
const ready = (p: any) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

beforeAll(async () => {
  lab = await Lab.start({ scenarios: SCENARIOS });
  if (!lab.dataplane?.info().enabled) throw new Error('the lab has no data plane (another lab holds it?): run under flock /tmp/netpath-dataplane.lock');
  await eventually(
    () => {
      const all = pods().filter((p) => !p.metadata.labels?.['app.kubernetes.io/managed-by']);
      if (!all.length || all.some((p) => p.status?.phase !== 'Running')) return false;
      if (!pods('ingress-nginx').every(ready)) return false;
      const ings = lab.store.list(lab.registry.type('networking.k8s.io', 'ingresses'));
      return ings.every((i) => (i.status?.loadBalancer?.ingress ?? []).length);
    },
    60_000,
    250,
  );
  client = KubeClient.create({ kubeconfig: lab.kubeconfig }, { KUBECONFIG: '' });
}, 90_000);

afterAll(async () => {
  await client?.close();
  await lab?.stop();
});

async function ladderFor(ns: string, target = 'svc/web', events?: LadderEvent[]): Promise<{ report: Report; result: LadderResult }> {
  const report = await diagnose(client, { target: parseTarget(target), namespace: ns, probe: false });
  const path = report.paths[0]!;
  const [first, ...fallbackNamespaces] = defaultProbeNamespaces(path, ns);
  const result = await ladderToEnd(client, path, { namespace: first!, fallbackNamespaces, deadlineSeconds: 60, timeoutSeconds: 2 }, AbortSignal.timeout(60_000), (e) => events?.push(e));
  expect(result, `ladder for ${ns}`).toBeDefined();
  return { report, result: result! };
}

const statuses = (r: LadderResult) => Object.fromEntries(r.rungs.map((x) => [x.id, x.status]));

describe('isolation ladder on the lab data plane', () => {
  it('healthy path: every rung answers, events stream in order, the helper is deleted', async () => {
    const events: LadderEvent[] = [];
    const { result } = await ladderFor('shop', 'svc/web', events);
    expect(result.verdict.status, JSON.stringify(result.rungs.map((r) => [r.id, r.status, r.message]))).toBe('ok');
    expect(statuses(result)).toMatchObject({ pod: 'pass', 'cluster-ip': 'pass', 'service-dns': 'pass' });
    const kinds = events.map((e) => e.type);
    expect(kinds[0]).toBe('plan');
    expect(kinds.at(-1)).toBe('verdict');
    expect(kinds.indexOf('rung-started')).toBeLessThan(kinds.indexOf('rung-passed'));
    expect(events.some((e) => e.type === 'helper' && e.event.type === 'profile')).toBe(true);
    expect(result.helper?.pod).toMatch(/^kubectl-netpath-[a-z0-9]+-\d+$/);
    await eventually(() => helperPods().length === 0, 5000);
  });

  it('selector-mismatch: no pod to try, the ClusterIP refuses: the Service is the hop', async () => {
    const { result } = await ladderFor('selector-mismatch');
    expect(result.rungs[0]).toMatchObject({ id: 'pod', status: 'skipped' });
    expect(result.verdict).toMatchObject({ status: 'fail', rung: 'cluster-ip', hop: 'service', layer: 'service' });
  });

  it('wrong-targetport: the pods answer on their declared port, not the targetPort', async () => {
    const { result } = await ladderFor('wrong-targetport');
    expect(result.verdict).toMatchObject({ status: 'fail', rung: 'pod', hop: 'targetPort', layer: 'service' });
    expect(result.verdict.message).toMatch(/8080/);
  });

  it('netpol-blocks-controller: the pod rung times out: dropped at the pods', async () => {
    const { result } = await ladderFor('netpol-blocks-controller');
    expect(result.verdict).toMatchObject({ status: 'fail', rung: 'pod', hop: 'pod', layer: 'pods' });
    expect(result.verdict.message).toMatch(/timed out|dropped/);
  });

  it('lb-pending: everything inside answers; the load balancer has no address', async () => {
    const { result } = await ladderFor('lb-pending');
    expect(statuses(result)).toMatchObject({ pod: 'pass', 'cluster-ip': 'pass', 'service-dns': 'pass', controller: 'skipped' });
    expect(result.verdict).toMatchObject({ status: 'fail', rung: 'lb', hop: 'loadbalancer', layer: 'loadbalancer' });
  });

  it('stale-dns: the load balancer answers for the host; the name points elsewhere', async () => {
    const { result } = await ladderFor('stale-dns');
    expect(statuses(result)).toMatchObject({ pod: 'pass', 'cluster-ip': 'pass', 'service-dns': 'pass', controller: 'pass', lb: 'pass' });
    expect(result.verdict).toMatchObject({ status: 'fail', rung: 'external', hop: 'dns', layer: 'dns' });
  });

  it('the CLI puts the ladder in json, text and markdown reports and leaves no helper pod', async () => {
    const run = (o: string) =>
      execa(process.execPath, [CLI, 'svc/web', '-n', 'lb-pending', '--no-probe', '--ladder', '--helper-deadline', '60s', '-o', o, '--kubeconfig', lab.kubeconfig], {
        reject: false,
        timeout: 60_000,
        env: { KUBECONFIG: '', NO_COLOR: '1', HOME: tmp },
      });
    const j = await run('json');
    expect(j.exitCode, String(j.stderr)).toBe(1);
    const report = JSON.parse(String(j.stdout)) as Report;
    expect(report.probes.ladder?.[0]?.verdict).toMatchObject({ status: 'fail', hop: 'loadbalancer' });
    const lbLayer = report.layers.find((l) => l.id === 'loadbalancer')!;
    expect(lbLayer.checks.map((c) => c.id)).toContain('ladder.lb');
    expect(report.layers.find((l) => l.id === 'service')!.checks.find((c) => c.id === 'ladder.cluster-ip')?.status).toBe('ok');
    const t = await run('text');
    expect(String(t.stdout)).toMatch(/ladder/);
    expect(String(t.stdout)).toMatch(/loadbalancer/);
    const m = await run('markdown');
    expect(String(m.stdout)).toMatch(/## Isolation ladder/);
    const k = await execa('kubectl', ['--kubeconfig', lab.kubeconfig, 'get', 'pods', '-A', '-l', HELPER_SELECTOR, '-o', 'name'], { reject: false, env: { KUBECONFIG: '' } });
    expect(String(k.stdout).trim()).toBe('');
  }, 120_000);
});

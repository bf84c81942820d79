// In-cluster probes without a cluster: the PodSecurity choice, the ladder's plan and verdict over fake rung results,
// and the helper runner (dry run, events, exit code, deletion on every path) against a fake API transport.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '../../../src/kube/errors.ts';
import type { KObject } from '../../../src/kube/types.ts';
import type { Path, Report } from '../../../src/path/model.ts';
import type { CurlTiming } from '../../../src/probes/parsers/curl.ts';
import { RUN_ID, deleteLive, isOrphan, livePods, remember, resetSweep, sweepOrphans } from '../../../src/probes/incluster/cleanup.ts';
import { applyLadder, judgeRung, ladderScript, ladderVerdict, planLadder } from '../../../src/probes/incluster/ladder.ts';
import { HelperError, type HelperEvent, runHelper } from '../../../src/probes/incluster/runner.ts';
import { admits, chooseProfile, enforceLevel, refusedLevel, securityFor, stepDown } from '../../../src/probes/incluster/security.ts';

describe('PodSecurity-aware profile choice', () => {
  it('reads the enforce label; absent or unknown is privileged', () => {
    expect(enforceLevel(undefined)).toBe('privileged');
    expect(enforceLevel({ 'pod-security.kubernetes.io/enforce': 'restricted' })).toBe('restricted');
    expect(enforceLevel({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' })).toBe('baseline');
    expect(enforceLevel({ 'pod-security.kubernetes.io/warn': 'restricted' })).toBe('privileged');
  });

  it('asks for NET_RAW only where privileged allows it, never under baseline or restricted', () => {
    expect(chooseProfile('privileged', { raw: true })).toBe('netraw');
    expect(chooseProfile('baseline', { raw: true })).toBe('baseline');
    expect(chooseProfile('restricted', { raw: true })).toBe('restricted');
    expect(chooseProfile('privileged')).toBe('baseline');
    expect(securityFor('netraw').container).toEqual({ capabilities: { add: ['NET_RAW'] } });
    expect(securityFor('baseline').container).toEqual({});
  });

  it('restricted: non-root, no escalation, every capability dropped, seccomp RuntimeDefault', () => {
    const s = securityFor('restricted');
    expect(s.pod).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect((s.pod as any).runAsUser).toBeGreaterThan(0);
    expect(s.container).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect((s.container as any).capabilities.add).toBeUndefined();
  });

  it('the node view needs privileged; refusals step down to what the refusing level admits', () => {
    expect(chooseProfile('privileged', { node: true })).toBe('node');
    expect(chooseProfile('baseline', { node: true })).toBeUndefined();
    expect(securityFor('node')).toMatchObject({ hostNetwork: true, container: { privileged: true } });
    expect(refusedLevel('pods "x" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "netpath" must not include "NET_RAW" in securityContext.capabilities.add)')).toBe('baseline');
    expect(refusedLevel('pods "x" is forbidden: User "u" cannot create resource "pods"')).toBeUndefined();
    expect(stepDown('netraw', 'baseline')).toBe('baseline');
    expect(stepDown('netraw', 'restricted')).toBe('restricted');
    expect(stepDown('restricted', 'restricted')).toBeUndefined();
    expect(stepDown('node')).toBeUndefined();
    for (const p of ['node', 'netraw', 'baseline', 'restricted'] as const) expect(admits('privileged', p)).toBe(true);
    expect(admits('baseline', 'netraw')).toBe(false);
    expect(admits('restricted', 'baseline')).toBe(false);
  });
});

// ── the ladder ──

function path(over: Partial<Path> = {}): Path {
  return {
    id: 'web.example.test/',
    host: 'web.example.test',
    path: '/',
    scheme: 'http',
    via: 'ingress',
    loadBalancer: { service: { kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }, addresses: ['127.0.10.10'], pending: false },
    service: { kind: 'Service', name: 'web', namespace: 'shop', port: 80, targetPort: 'http' },
    endpoints: [
      { address: '127.1.1.5', ready: true, serving: true, terminating: false, pod: 'web-a' },
      { address: '127.1.2.5', ready: true, serving: true, terminating: false, pod: 'web-b' },
    ],
    pods: [],
    nodes: [],
    layers: ['dns', 'loadbalancer', 'ingress', 'service', 'endpoints', 'pods'].map((id) => ({ id: id as any, status: 'ok' as const, summary: 'ok', checks: [{ id: `${id}.x`, status: 'ok' as const, message: 'ok', evidence: [] }], objects: [] })),
    ...over,
  };
}

const facts = {
  service: { metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '127.2.0.7', ports: [{ name: 'http', port: 80, targetPort: 8081 }] } },
  slices: [{ metadata: { name: 'web-x' }, ports: [{ name: 'http', port: 8081 }] }],
  pods: [{ metadata: { name: 'web-a' }, spec: { containers: [{ ports: [{ containerPort: 8080 }, { containerPort: 8081 }, { containerPort: 9090, protocol: 'UDP' }] }] } }],
  lbService: { metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }, spec: { clusterIP: '127.2.0.20', ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] } },
} as any;

const ok = (code = 200, ip?: string): CurlTiming => ({ httpCode: code, exitCode: 0, totalMs: 2, ...(ip ? { remoteIp: ip } : {}) });
const refused: CurlTiming = { httpCode: 0, exitCode: 7, error: 'Failed to connect to 127.1.1.5 port 8081 after 0 ms: Couldn\'t connect to server' };
const timeout: CurlTiming = { httpCode: 0, exitCode: 28, error: 'Connection timed out after 2000 milliseconds' };

describe('ladder plan', () => {
  it('plans the six rungs with resolved ports, the Host via --resolve, and alternative declared ports', () => {
    const plan = planLadder(path(), facts);
    expect(plan.map((r) => r.id)).toEqual(['pod', 'cluster-ip', 'service-dns', 'controller', 'lb', 'external']);
    expect(plan[0]!.targets.map((t) => t.url)).toEqual(['http://127.1.1.5:8081/', 'http://127.1.2.5:8081/', 'http://127.1.1.5:8080/']);
    expect(plan[0]!.targets[2]!.alt).toBe(true);
    expect(plan[1]!.targets[0]!.url).toBe('http://127.2.0.7:80/');
    expect(plan[2]!.targets[0]!.url).toBe('http://web.shop.svc.cluster.local:80/');
    expect(plan[3]!.targets[0]).toMatchObject({ url: 'http://web.example.test:80/', resolve: 'web.example.test:80:127.2.0.20' });
    expect(plan[4]!.targets[0]).toMatchObject({ url: 'http://web.example.test:80/', resolve: 'web.example.test:80:127.0.10.10' });
    expect(plan[5]!.targets[0]!.url).toBe('http://web.example.test/');
    const script = ladderScript(plan, 3);
    expect(script.match(/@@rung /g)).toHaveLength(6);
    expect(script).toContain("curl -s -k -o /dev/null --connect-timeout 2 -m 3 -w '@@curl t=pod.0 ");
    expect(script).toMatch(/t=pod\.0 [^;]*\|\| curl [^;]*t=pod\.0\.alt0/);
  });

  it('skips what the path lacks and fails a pending load balancer without probing', () => {
    const plan = planLadder(path({ via: 'service', endpoints: [], host: undefined, loadBalancer: { addresses: [], pending: true } }), { ...facts, lbService: undefined });
    const by = Object.fromEntries(plan.map((r) => [r.id, r]));
    expect(by.pod!.skip).toMatch(/no endpoints/);
    expect(by.controller!.skip).toMatch(/no Ingress or Gateway/);
    expect(by.lb!.fail).toMatch(/<pending>/);
    expect(by.external!.skip).toMatch(/no hostname/);
    expect(ladderScript(plan, 3)).not.toContain('@@rung pod');
  });

  it('never puts untrusted text into the helper\'s shell unquoted', () => {
    const evil = path({ host: "x'; rm -rf /; echo '", path: "/a'b c", endpoints: [{ address: '1.2.3.4; reboot', ready: true, serving: true, terminating: false }] });
    const script = ladderScript(planLadder(evil, facts), 3);
    expect(script).not.toContain('rm -rf');
    expect(script).not.toContain('reboot');
    expect(script).toContain('/a%27b%20c');
  });
});

describe('ladder verdict', () => {
  const plan = planLadder(path(), facts);
  const judgeAll = (res: Record<string, CurlTiming>, ctx = {}) => plan.map((r) => judgeRung(r, new Map(Object.entries(res)), { lbAddresses: ['127.0.10.10'], ...ctx }));
  const healthy = { 'pod.0': ok(), 'pod.1': ok(), 'cluster-ip.0': ok(), 'service-dns.0': ok(), 'controller.0': ok(), 'lb.0': ok(), 'external.0': ok(200, '127.0.10.10') };

  it('every rung answering is ok', () => {
    expect(ladderVerdict(judgeAll(healthy))).toMatchObject({ status: 'ok' });
  });

  it('the first failing rung names the hop', () => {
    const cases: [Record<string, CurlTiming>, string, string][] = [
      [{ ...healthy, 'cluster-ip.0': refused }, 'cluster-ip', 'service'],
      [{ ...healthy, 'service-dns.0': { httpCode: 0, exitCode: 6, error: 'Could not resolve host: web.shop.svc.cluster.local' } }, 'service-dns', 'cluster-dns'],
      [{ ...healthy, 'controller.0': ok(503) }, 'controller', 'controller'],
      [{ ...healthy, 'controller.0': ok(404) }, 'controller', 'controller'],
      [{ ...healthy, 'lb.0': timeout }, 'lb', 'loadbalancer'],
      [{ ...healthy, 'external.0': ok(200, '127.0.10.250') }, 'external', 'dns'],
      [{ ...healthy, 'external.0': timeout }, 'external', 'dns'],
      [{ ...healthy, 'pod.0': timeout, 'pod.1': timeout }, 'pod', 'pod'],
      [{ ...healthy, 'pod.0': refused, 'pod.1': refused, 'pod.0.alt0': ok() }, 'pod', 'targetPort'],
      [{ ...healthy, 'pod.0': refused, 'pod.1': refused, 'cluster-ip.0': refused }, 'pod', 'pod'],
    ];
    for (const [res, rung, hop] of cases) expect(ladderVerdict(judgeAll(res)), `${rung}/${hop}`).toMatchObject({ status: 'fail', rung, hop });
  });

  it('one answering pod passes the pod rung; a 404 through the controller passes when the pods answer 404 too', () => {
    expect(judgeRung(plan[0]!, new Map([['pod.0', timeout], ['pod.1', ok()]])).status).toBe('pass');
    expect(judgeRung(plan[3]!, new Map([['controller.0', ok(404)]]), { podCode: 404 }).status).toBe('pass');
    expect(judgeRung(plan[3]!, new Map([['controller.0', ok(404)]]), { podCode: 200 }).status).toBe('fail');
  });

  it('a rung without results is unknown, never passing', () => {
    const rungs = judgeAll({ 'pod.0': ok() });
    expect(rungs[1]!.status).toBe('unknown');
    expect(ladderVerdict(rungs).status).toBe('unknown');
  });

  it('applyLadder adds passing rungs and the first failing one as checks and recomputes the verdict', () => {
    const p = path();
    const report: Report = { target: 'svc/web', generatedAt: '', verdict: { status: 'ok', layer: null, summary: '' }, layers: p.layers, probes: { dns: [], tcp: [], http: [] }, paths: [p] };
    const rungs = judgeAll({ ...healthy, 'lb.0': timeout, 'external.0': timeout });
    rungs[5] = { ...rungs[5]!, status: 'not-run', message: 'not run: a lower rung failed' };
    const out = applyLadder(report, { path: p.id, rungs, verdict: ladderVerdict(rungs) });
    expect(out.verdict).toMatchObject({ status: 'fail', layer: 'loadbalancer' });
    expect(out.layers.find((l) => l.id === 'loadbalancer')!.checks.map((c) => c.id)).toContain('ladder.lb');
    expect(out.layers.find((l) => l.id === 'service')!.checks.find((c) => c.id === 'ladder.cluster-ip')?.status).toBe('ok');
    expect(out.layers.find((l) => l.id === 'dns')!.checks.some((c) => c.id === 'ladder.external')).toBe(false);
    expect(out.probes.ladder).toHaveLength(1);
    expect(report.probes.ladder).toBeUndefined(); // pure
  });
});

// ── the runner against a fake API ──

interface Fake {
  calls: string[];
  created: KObject[];
  deleted: string[];
  send: (method: string, path: string, o?: any) => Promise<any>;
  open: (method: string, path: string, o?: any) => Promise<any>;
}

function fakeApi(o: { labels?: Record<string, string>; refuse?: (pod: KObject) => string | undefined; states?: (pod: KObject) => any[]; log?: string[]; createDelayMs?: number; pods?: KObject[] } = {}): Fake {
  const f: Fake = {
    calls: [],
    created: [],
    deleted: [],
    async send(method, path, opts = {}) {
      f.calls.push(`${method} ${path}${opts.query?.dryRun ? '?dryRun' : ''}`);
      if (method === 'GET' && /^\/api\/v1\/namespaces\/[^/]+$/.test(path)) return { metadata: { name: path.split('/').pop(), labels: o.labels ?? {} } };
      if (method === 'GET' && path.endsWith('/pods')) return { items: o.pods ?? [] };
      if (method === 'POST') {
        const why = o.refuse?.(opts.body);
        if (why) throw new ForbiddenError(why);
        if (!opts.query?.dryRun) {
          if (o.createDelayMs) await new Promise((r) => setTimeout(r, o.createDelayMs));
          f.created.push(opts.body);
        }
        return opts.body;
      }
      if (method === 'DELETE') {
        const name = path.split('/').pop()!;
        if (!f.created.some((p) => p.metadata.name === name) && !(o.pods ?? []).some((p) => p.metadata.name === name)) throw new NotFoundError(`pods "${name}" not found`);
        f.deleted.push(name);
        return {};
      }
      throw new Error(`unexpected ${method} ${path}`);
    },
    async open(method, path, opts = {}) {
      f.calls.push(`${method} ${path}${opts.query?.watch ? '?watch' : ''}`);
      if (opts.query?.watch) {
        const pod = f.created.at(-1)!;
        const states = o.states?.(pod) ?? [
          { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ContainerCreating' } } }] },
          { phase: 'Running', podIP: '10.0.0.9', containerStatuses: [{ state: { running: {} } }] },
          { phase: 'Succeeded', containerStatuses: [{ state: { terminated: { exitCode: 3, reason: 'Error' } } }] },
        ];
        const evs = states.map((s, i) => JSON.stringify({ type: i ? 'MODIFIED' : 'ADDED', object: { ...pod, metadata: { ...pod.metadata, resourceVersion: String(i + 1) }, status: s } }) + '\n');
        // the watch stays open after the last event (as a real one does) until aborted
        const body = Readable.from((async function* () {
          for (const e of evs) {
            await new Promise((r) => setTimeout(r, 5));
            yield Buffer.from(e);
          }
          await new Promise<void>((r) => opts.signal?.addEventListener('abort', () => r(), { once: true }));
        })());
        return { status: 200, url: path, headers: {}, body };
      }
      if (path.endsWith('/log')) return { status: 200, url: path, headers: {}, body: Readable.from([Buffer.from((o.log ?? ['one', 'two']).join('\n') + '\n')]) };
      throw new Error(`unexpected open ${path}`);
    },
  };
  return f;
}

async function collect(it: AsyncIterable<HelperEvent>, stopAfter?: (e: HelperEvent) => boolean): Promise<HelperEvent[]> {
  const out: HelperEvent[] = [];
  for await (const e of it) {
    out.push(e);
    if (stopAfter?.(e)) break;
  }
  return out;
}

const spec = { purpose: 'test', command: () => ['sh', '-c', 'echo hi'] };

describe('helper runner', () => {
  it('dry-runs, creates the pod as documented, streams the log, reads the exit code and deletes the pod', async () => {
    resetSweep();
    const f = fakeApi({ log: ['hello', 'world'] });
    const evs = await collect(runHelper(f as any, spec, { namespace: 'shop', deadlineSeconds: 42, imagePullSecrets: ['regcred'] }, new AbortController().signal));
    expect(evs[0]).toMatchObject({ type: 'profile', profile: 'baseline', level: 'privileged', namespace: 'shop' });
    expect(evs.filter((e) => e.type === 'line').map((e) => (e as any).line)).toEqual(['hello', 'world']);
    expect(evs.at(-1)).toEqual({ type: 'exit', code: 3, reason: 'Error' });
    const dry = f.calls.indexOf('POST /api/v1/namespaces/shop/pods?dryRun');
    const real = f.calls.indexOf('POST /api/v1/namespaces/shop/pods');
    expect(dry).toBeGreaterThanOrEqual(0);
    expect(real).toBeGreaterThan(dry);
    const pod = f.created[0]!;
    expect(pod.metadata.name).toMatch(new RegExp(`^kubectl-netpath-${RUN_ID}-\\d+$`));
    expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kubectl-netpath', 'netpath.dev/run': RUN_ID });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', activeDeadlineSeconds: 42, terminationGracePeriodSeconds: 0, imagePullSecrets: [{ name: 'regcred' }] });
    expect(pod.spec.containers[0].image).toMatch(/^nicolaka\/netshoot:v[\d.]+$/);
    expect(pod.spec.containers[0].resources.limits).toBeDefined();
    expect(f.deleted).toEqual([pod.metadata.name]);
    expect(livePods()).toEqual([]);
  });

  it('steps down when the dry run is refused by PodSecurity, and says so', async () => {
    const f = fakeApi({
      refuse: (p) => (p.spec.containers[0].securityContext?.capabilities?.add ? `pods "${p.metadata.name}" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities` : undefined),
    });
    const evs = await collect(runHelper(f as any, { ...spec, needs: { raw: true } }, { namespace: 'shop' }, new AbortController().signal));
    const prof = evs.find((e) => e.type === 'profile') as any;
    expect(prof).toMatchObject({ profile: 'baseline', level: 'baseline' });
    expect(prof.note).toMatch(/forbids adding NET_RAW/);
    expect(f.created[0]!.spec.containers[0].securityContext).toBeUndefined();
  });

  it('restricted namespaces get a restricted pod; the node view is refused in one line, nothing created', async () => {
    const f = fakeApi({ labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } });
    await collect(runHelper(f as any, { ...spec, needs: { raw: true } }, { namespace: 'locked' }, new AbortController().signal));
    expect(f.created[0]!.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    const g = fakeApi({ labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } });
    const err = await collect(runHelper(g as any, { ...spec, needs: { node: true } }, { namespace: 'locked' }, new AbortController().signal)).catch((e) => e);
    expect(err).toBeInstanceOf(HelperError);
    expect(err.kind).toBe('podsecurity');
    expect(err.message).toMatch(/^namespace "locked" enforces PodSecurity "baseline".*--probe-namespace/);
    expect(err.message).not.toContain('\n');
    expect(g.calls.some((c) => c.startsWith('POST'))).toBe(false);
  });

  it('an image that cannot be pulled names --image, and the pod is deleted', async () => {
    const f = fakeApi({ states: () => [{ phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nicolaka/netshoot:v0.14"' } } }] }] });
    const err = await collect(runHelper(f as any, spec, { namespace: 'shop' }, new AbortController().signal)).catch((e) => e);
    expect(err).toBeInstanceOf(HelperError);
    expect(err.kind).toBe('image');
    expect(err.message).toMatch(/ImagePullBackOff.*--image REGISTRY/);
    expect(f.deleted).toHaveLength(1);
  });

  it('deletes the pod when the consumer aborts or breaks out mid-stream', async () => {
    const f = fakeApi({ states: (p) => [{ phase: 'Running', containerStatuses: [{ state: { running: {} } }] }] });
    const ac = new AbortController();
    const evs = await collect(runHelper(f as any, spec, { namespace: 'shop' }, ac.signal), (e) => e.type === 'line');
    expect(evs.at(-1)).toMatchObject({ type: 'line' });
    expect(f.deleted).toHaveLength(1);
    const g = fakeApi({ states: () => [{ phase: 'Running', containerStatuses: [{ state: { running: {} } }] }], log: [] });
    const ac2 = new AbortController();
    setTimeout(() => ac2.abort(), 50);
    await collect(runHelper(g as any, spec, { namespace: 'shop' }, ac2.signal));
    expect(g.deleted).toHaveLength(1);
    expect(livePods()).toEqual([]);
  });

  it('--no-helpers never talks to the API', async () => {
    const f = fakeApi();
    const err = await collect(runHelper(f as any, spec, { namespace: 'shop', noHelpers: true }, new AbortController().signal)).catch((e) => e);
    expect(err.kind).toBe('disabled');
    expect(f.calls).toEqual([]);
  });

  it('deleteLive waits for an in-flight create so the delete cannot overtake it', async () => {
    const f = fakeApi({ createDelayMs: 50 });
    const creating = f.send('POST', '/api/v1/namespaces/shop/pods', { body: { metadata: { name: 'kubectl-netpath-x-1', namespace: 'shop' } } });
    remember(f as any, 'shop', 'kubectl-netpath-x-1', creating);
    expect(await deleteLive(2000)).toBe(1);
    expect(f.deleted).toEqual(['kubectl-netpath-x-1']);
    expect(livePods()).toEqual([]);
  });

  it('the sweep deletes finished and expired helper pods of other runs only', async () => {
    const now = Date.now();
    const mk = (name: string, phase: string, ageS: number, run = 'other'): KObject => ({
      metadata: { name, namespace: 'shop', creationTimestamp: new Date(now - ageS * 1000).toISOString(), labels: { 'netpath.dev/run': run } },
      spec: { activeDeadlineSeconds: 30 },
      status: { phase },
    });
    const pods = [mk('done', 'Succeeded', 5), mk('failed', 'Failed', 5), mk('young', 'Running', 5), mk('stuck', 'Pending', 200), mk('mine', 'Failed', 5, RUN_ID)];
    expect(pods.map((p) => isOrphan(p, now))).toEqual([true, true, false, true, true]);
    const f = fakeApi({ pods });
    const r = await sweepOrphans(f as any, { namespace: 'shop', allNamespaces: true, exceptRun: RUN_ID });
    expect(r.deleted).toEqual(['shop/done', 'shop/failed', 'shop/stuck']);
    const all = await sweepOrphans(fakeApi({ pods }) as any, { namespace: 'shop', all: true });
    expect(all.deleted).toHaveLength(5);
  });
});

describe('node view comparison and CoreDNS upstreams', async () => {
  const { compareNodeView, coreDnsUpstreams } = await import('../../../src/probes/incluster/tools.ts');
  const { bisectVerdict } = await import('../../../src/probes/incluster/bisect.ts');
  const { readFileSync, existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const FIX = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'commands');

  it.skipIf(!existsSync(FIX))('compares the real iptables-save and ipvsadm samples with the Service\'s endpoints', () => {
    const ipt = new Map([['iptables', readFileSync(join(FIX, 'k8s-debug-service/iptables-save-kube-svc.txt'), 'utf8')], ['conntrack', '42\n'], ['ss', 'State Recv-Q Send-Q Local Address:Port Peer Address:Port\nESTAB 0 0 10.0.0.1:80 10.0.0.2:5000\n']]);
    const r = compareNodeView(ipt, { node: 'n1', service: { namespace: 'default', name: 'hostnames', clusterIP: '10.0.1.175', port: 80 }, endpoints: ['10.244.1.7:9376', '10.244.2.3:9376', '10.244.9.9:9376'] });
    expect(r).toMatchObject({ mode: 'iptables', missing: ['10.244.9.9:9376'], stale: ['10.244.3.6:9376'], conntrack: 42, sockets: { ESTAB: 1 } });
    const ipvs = new Map([['ipvs', readFileSync(join(FIX, 'k8s-debug-service/ipvsadm-ln.txt'), 'utf8')]]);
    const v = compareNodeView(ipvs, { node: 'n1', service: { namespace: 'default', name: 'hostnames', clusterIP: '10.0.1.175', port: 80 }, endpoints: ['10.244.0.5:9376', '10.244.0.6:9376', '10.244.0.7:9376'] });
    expect(v).toMatchObject({ mode: 'ipvs', missing: [], stale: [] });
    expect(compareNodeView(new Map(), { node: 'n1', service: { namespace: 'a', name: 'b' }, endpoints: [] }).mode).toBe('unknown');
  });

  it('reads CoreDNS forward targets', async () => {
    const c = { send: async () => ({ data: { Corefile: '.:53 {\n    errors\n    forward . 8.8.8.8 dns://1.1.1.1:53 /etc/resolv.conf {\n       max_concurrent 1000\n    }\n}\n' } }) };
    expect(await coreDnsUpstreams(c as any)).toEqual(['8.8.8.8', '1.1.1.1:53']);
    expect(await coreDnsUpstreams({ send: async () => { throw new Error('forbidden'); } } as any)).toEqual([]);
  });

  it('bisect verdicts', () => {
    expect(bisectVerdict({ status: 502, head: '', ms: 1 }, { status: 200, head: '', ms: 1 }).hop).toBe('pod');
    expect(bisectVerdict({ status: 200, head: '', ms: 1 }, { status: 503, head: '', ms: 1 }).hop).toBe('controller');
    expect(bisectVerdict({ status: 200, head: '', ms: 1 }, { status: 200, head: '', ms: 1 }).hop).toBe('outside');
    expect(bisectVerdict(undefined, { head: '', ms: 1, error: 'no answer' }).hop).toBe('controller');
    expect(bisectVerdict().hop).toBe('unknown');
  });
});

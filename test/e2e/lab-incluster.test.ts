// In-cluster probes against the lab with REAL kubectl: helper pods whose dig/curl/traceroute are real traffic on the
// data plane, server-side dry run, Pod Security admission as kubectl prints it, activeDeadlineSeconds,
// ImagePullBackOff, ephemeral containers via `kubectl debug`, and pods/portforward through client-node.
// Run it under the data-plane lock: `flock /tmp/netpath-dataplane.lock npx vitest run test/e2e/lab-incluster.test.ts`.
import { PassThrough } from 'node:stream';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { eventually, kubectl, type LabProcess, startLab } from './harness.ts';

let lab: LabProcess;
let dataplane = false;
const NS = 'netpol-blocks-controller';
const tmp = mkdtempSync(join(tmpdir(), 'netpath-incluster-'));

beforeAll(async () => {
  lab = await startLab(['--scenario', 'psa', '--scenario', NS]);
  dataplane = !!lab.ready.resolver;
  // every app pod ready: the kubelet probes them for real
  await eventually(async () => {
    const r = await kubectl(lab, ['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}']);
    const s = r.stdout.trim().split(/\s+/).filter(Boolean);
    return (s.length > 0 && s.every((x) => x === 'True')) || undefined;
  }, 30_000);
}, 60_000);

afterAll(async () => {
  await lab?.stop();
});

/** `kubectl run NAME … -- ARGS`, then waits for the pod to finish; resolves with its phase, exit code and log. */
async function runPod(name: string, args: string[], opts: { ns?: string; labels?: string; image?: string } = {}) {
  const ns = opts.ns ?? 'default';
  const r = await kubectl(lab, ['run', name, '-n', ns, `--image=${opts.image ?? 'nicolaka/netshoot:v0.13'}`, '--restart=Never', ...(opts.labels ? [`--labels=${opts.labels}`] : []), '--', ...args]);
  expect(r.exitCode, r.stderr).toBe(0);
  const phase = await eventually(async () => {
    const p = await kubectl(lab, ['get', 'pod', name, '-n', ns, '-o', 'jsonpath={.status.phase}']);
    return ['Succeeded', 'Failed'].includes(p.stdout) ? p.stdout : undefined;
  }, 30_000, 200);
  const code = (await kubectl(lab, ['get', 'pod', name, '-n', ns, '-o', 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}'])).stdout;
  const log = (await kubectl(lab, ['logs', name, '-n', ns])).stdout;
  return { phase, code: Number(code), log };
}

describe('helper pods on the real data plane', () => {
  it('dig through cluster DNS answers with the Service ClusterIP', async (t) => {
    if (!dataplane) t.skip();
    const ip = (await kubectl(lab, ['get', 'svc', 'web', '-n', 'psa-baseline', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const r = await runPod('dig1', ['dig', 'web.psa-baseline.svc.cluster.local']);
    expect(r.phase).toBe('Succeeded');
    expect(r.log).toMatch(/status: NOERROR/);
    expect(r.log).toMatch(new RegExp(`^web\\.psa-baseline\\.svc\\.cluster\\.local\\.\\s+\\d+\\s+IN\\s+A\\s+${ip.replace(/\./g, '\\.')}$`, 'm'));
    expect(r.log).toContain(';; SERVER: 127.2.0.10#53(127.2.0.10) (UDP)');
  });

  it('curl -w: 200 on the path the NetworkPolicy admits, a timeout on the one it drops', async (t) => {
    if (!dataplane) t.skip();
    const ok = await runPod('curl-ok', ['curl', '-sS', '-m', '5', '-o', '/dev/null', '-w', '%{http_code} %{time_connect} %{time_total} %{local_ip}', 'http://web'], { ns: NS, labels: 'role=frontend' });
    expect(ok.phase).toBe('Succeeded');
    const [code, connect, total, local] = ok.log.trim().split(' ');
    expect(code).toBe('200');
    expect(Number(total)).toBeGreaterThanOrEqual(Number(connect));
    const podIP = (await kubectl(lab, ['get', 'pod', 'curl-ok', '-n', NS, '-o', 'jsonpath={.status.podIP}'])).stdout;
    expect(local).toBe(podIP);
    const blocked = await runPod('curl-blocked', ['curl', '-sS', '-m', '2', 'http://web'], { ns: NS });
    expect(blocked.phase).toBe('Failed');
    expect(blocked.code).toBe(28);
    expect(blocked.log).toMatch(/^curl: \(28\) Connection timed out after \d+ milliseconds$/m);
  });

  it('traceroute -T -p 80: synthesised hops, the Service reached by real connects', async (t) => {
    if (!dataplane) t.skip();
    const ip = (await kubectl(lab, ['get', 'svc', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const r = await runPod('tr1', ['traceroute', '-n', '-T', '-p', '80', 'web'], { ns: NS, labels: 'role=frontend' });
    const lines = r.log.trim().split('\n');
    expect(lines[0]).toBe(`traceroute to web (${ip}), 30 hops max, 60 byte packets`);
    expect(lines.at(-1)).toMatch(new RegExp(`^ ?\\d+  ${ip.replace(/\./g, '\\.')}  \\d+\\.\\d{3} ms  \\d+\\.\\d{3} ms  \\d+\\.\\d{3} ms$`));
  });
});

describe('node view', () => {
  it('a privileged hostNetwork pod reads kube-proxy\'s rules for the real Services and the tracked connections', async (t) => {
    if (!dataplane) t.skip();
    const file = join(tmp, 'node.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Pod\nmetadata: {name: nodeview}\nspec:\n  hostNetwork: true\n  restartPolicy: Never\n  containers: [{name: c, image: nicolaka/netshoot:v0.13, command: [sh, -c, "iptables-save -t nat; ipvsadm -Ln; conntrack -C"], securityContext: {privileged: true}}]\n',
    );
    expect((await kubectl(lab, ['apply', '-f', file])).exitCode).toBe(0);
    await eventually(async () => (await kubectl(lab, ['get', 'pod', 'nodeview', '-o', 'jsonpath={.status.phase}'])).stdout === 'Succeeded' || undefined, 20_000, 200);
    const log = (await kubectl(lab, ['logs', 'nodeview'])).stdout;
    const ip = (await kubectl(lab, ['get', 'svc', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    expect(log).toMatch(new RegExp(`^-A KUBE-SERVICES -d ${ip.replace(/\./g, '\\.')}/32 -p tcp -m comment --comment "${NS}/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-[A-Z2-7]{16}$`, 'm'));
    const podIPs = (await kubectl(lab, ['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[*].status.podIP}'])).stdout.split(' ');
    for (const p of podIPs) expect(log).toContain(`-j DNAT --to-destination ${p}:8080`);
    expect(log).toContain('IP Virtual Server version 1.2.1 (size=4096)');
    // the curl through the ClusterIP earlier in this file went through the data plane's kube-proxy
    expect(Number(log.trim().split('\n').at(-1))).toBeGreaterThan(0);
  });
});

describe('admission', () => {
  it('kubectl apply --dry-run=server validates and admits without storing', async () => {
    const file = join(tmp, 'dry.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: dry}\nspec:\n  containers: [{name: c, image: nicolaka/netshoot:v0.13}]\n');
    const r = await kubectl(lab, ['apply', '--dry-run=server', '-f', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('pod/dry created (server dry run)');
    const g = await kubectl(lab, ['get', 'pod', 'dry']);
    expect(g.stderr).toContain('Error from server (NotFound): pods "dry" not found');
  });

  it('PodSecurity restricted refuses a netshoot pod with the real wording; a server dry run is refused the same way', async () => {
    const r = await kubectl(lab, ['run', 'bad', '-n', 'psa-restricted', '--image=nicolaka/netshoot:v0.13', '--restart=Never', '--', 'dig', 'web']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "bad" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "bad" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "bad" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "bad" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "bad" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    const dry = await kubectl(lab, ['run', 'bad', '-n', 'psa-restricted', '--image=nicolaka/netshoot:v0.13', '--restart=Never', '--dry-run=server', '--', 'dig', 'web']);
    expect(dry.stderr).toContain('violates PodSecurity "restricted:latest"');
  });

  it('baseline refuses NET_RAW and warns at restricted', async () => {
    const file = join(tmp, 'netraw.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: raw, namespace: psa-baseline}\nspec:\n  containers: [{name: c, image: nicolaka/netshoot:v0.13, securityContext: {capabilities: {add: [NET_RAW]}}}]\n');
    const r = await kubectl(lab, ['apply', '-f', file]);
    expect(r.stderr).toContain('Error from server (Forbidden): error when creating');
    expect(r.stderr).toContain('pods "raw" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "c" must not include "NET_RAW" in securityContext.capabilities.add)');
    const ok = await kubectl(lab, ['run', 'ok', '-n', 'psa-baseline', '--image=nicolaka/netshoot:v0.13', '--restart=Never', '--', 'sleep', '1']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/^Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/m);
  });
});

describe('kubelet', () => {
  it('activeDeadlineSeconds: the pod fails with DeadlineExceeded', async () => {
    const file = join(tmp, 'deadline.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Pod\nmetadata: {name: dl}\nspec:\n  restartPolicy: Never\n  activeDeadlineSeconds: 2\n  containers: [{name: c, image: nicolaka/netshoot:v0.13, command: [sleep, "3600"]}]\n');
    expect((await kubectl(lab, ['apply', '-f', file])).exitCode).toBe(0);
    const st = await eventually(async () => {
      const r = await kubectl(lab, ['get', 'pod', 'dl', '-o', 'jsonpath={.status.phase}/{.status.reason}/{.status.containerStatuses[0].state.terminated.exitCode}']);
      return r.stdout.startsWith('Failed/') ? r.stdout : undefined;
    }, 15_000, 300);
    expect(st).toBe('Failed/DeadlineExceeded/137');
    const ev = await kubectl(lab, ['get', 'events', '--field-selector', 'involvedObject.name=dl,reason=DeadlineExceeded', '-o', 'jsonpath={.items[0].message}']);
    expect(ev.stdout).toBe('Pod was active on the node longer than the specified deadline');
  });

  it('an image that cannot exist: ErrImagePull, then ImagePullBackOff in kubectl get pods', async () => {
    const r = await kubectl(lab, ['run', 'nopull', '--image=registry.invalid/tools/netshoot:v1', '--restart=Never']);
    expect(r.exitCode, r.stderr).toBe(0);
    await eventually(async () => /\sImagePullBackOff\s/.test((await kubectl(lab, ['get', 'pods', 'nopull', '--no-headers'])).stdout) || undefined, 15_000, 300);
    const ev = await kubectl(lab, ['get', 'events', '--field-selector', 'involvedObject.name=nopull', '-o', 'jsonpath={.items[*].message}']);
    expect(ev.stdout).toContain('lookup registry.invalid: no such host');
    expect(ev.stdout).toContain('Error: ErrImagePull');
  });

  it('kubectl debug adds an ephemeral container in the pod; kubectl logs -c reads it', async (t) => {
    if (!dataplane) t.skip();
    const pod = (await kubectl(lab, ['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const ip = (await kubectl(lab, ['get', 'svc', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
    const r = await kubectl(lab, ['debug', '-n', NS, pod, '--image=nicolaka/netshoot:v0.13', '-c', 'dbg', '--', 'dig', '+short', `web.${NS}.svc.cluster.local`]);
    expect(r.exitCode, r.stderr).toBe(0);
    await eventually(async () => {
      const s = await kubectl(lab, ['get', 'pod', pod, '-n', NS, '-o', 'jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.exitCode}']);
      return s.stdout === '0' || undefined;
    }, 15_000, 300);
    const logs = await kubectl(lab, ['logs', pod, '-n', NS, '-c', 'dbg']);
    expect(logs.stdout.trim()).toBe(ip);
  });
});

describe('pods/portforward', () => {
  it('client-node PortForward reaches the pod\'s real listener', async (t) => {
    if (!dataplane) t.skip();
    const pod = (await kubectl(lab, ['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const kc = new KubeConfig();
    kc.loadFromFile(lab.ready.kubeconfig);
    const pf = new PortForward(kc);
    const out = new PassThrough();
    const err = new PassThrough();
    const input = new PassThrough();
    let received = '';
    out.on('data', (d) => (received += d.toString()));
    const ws = await pf.portForward(NS, pod, [8080], out, err, input);
    input.write('GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
    await eventually(() => received.includes('\r\n\r\n') || undefined, 5000, 50);
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    (ws as { close(): void }).close();
  });

  it('client-node PortForward to a port nothing listens on gets the kubelet error on the error channel', async (t) => {
    if (!dataplane) t.skip();
    const pod = (await kubectl(lab, ['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const kc = new KubeConfig();
    kc.loadFromFile(lab.ready.kubeconfig);
    const err = new PassThrough();
    let text = '';
    err.on('data', (d) => (text += d.toString()));
    const ws = await new PortForward(kc).portForward(NS, pod, [1], new PassThrough(), err, new PassThrough());
    await eventually(() => text.includes('connection refused') || undefined, 5000, 50);
    expect(text).toMatch(/^error forwarding port 1 to pod /);
    (ws as { close(): void }).close();
  });

  it('kubectl exec still gets a clean refusal through the upgrade path', async () => {
    const pod = (await kubectl(lab, ['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const r = await kubectl(lab, ['exec', '-n', NS, pod, '--', 'ls'], { timeoutMs: 15_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('does not implement pods/exec');
  });

  it('kubectl port-forward (SPDY) fails with a one-line error instead of hanging', async () => {
    const pod = (await kubectl(lab, ['get', 'pods', '-n', NS, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    const r = await kubectl(lab, ['port-forward', '-n', NS, `pod/${pod}`, '0:8080'], { timeoutMs: 15_000 });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^error: /m);
    expect(r.stderr).not.toMatch(/goroutine|panic/);
  });
});

// `--scale services=N,pods=M,ingresses=K`: a large cluster for scale benchmarks. Pods are generated already
// bound and running (as a cluster that has been up for a while), with the status their kubelet wrote, so the
// lab's kubelet adopts them (as a restarted kubelet finds running containers) and the controllers only have to
// build EndpointSlices, not to start 50k containers.
import { randomBytes } from 'node:crypto';
import { labNode } from './nodes.ts';
import type { KObject } from './types.ts';

export interface ScaleSpec {
  services: number;
  pods: number;
  ingresses: number;
  /** Namespaces to spread objects over. */
  namespaces: number;
}

export function parseScale(spec: string): ScaleSpec {
  const out: ScaleSpec = { services: 0, pods: 0, ingresses: 0, namespaces: 0 };
  for (const part of spec.split(',')) {
    const m = /^\s*(services|pods|ingresses|namespaces)=(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`invalid --scale "${spec}" (expected services=N,pods=M,ingresses=K)`);
    out[m[1] as keyof ScaleSpec] = Number(m[2]);
  }
  if (out.pods > 63_500) throw new Error('--scale: at most 63500 pods (the lab pod range is 127.1.0.0/16)');
  out.namespaces ||= Math.max(1, Math.ceil(Math.max(out.services, 1) / 100));
  return out;
}

const PODS_PER_NODE = 250;
const IMAGE_ID = 'ghcr.io/netpath-lab/scale-app@sha256:' + '0'.repeat(64);

export function scaleObjects(s: ScaleSpec): KObject[] {
  const out: KObject[] = [];
  const nodeCount = Math.max(2, Math.ceil(s.pods / PODS_PER_NODE));
  const zones = ['lab-zone-a', 'lab-zone-b', 'lab-zone-c'];
  for (let i = 1; i <= nodeCount; i++) out.push(labNode(i, zones[(i - 1) % zones.length]!));
  const ns = (i: number) => `scale-${String(i % s.namespaces).padStart(3, '0')}`;
  for (let i = 0; i < s.namespaces; i++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns(i) } });
  const svcCount = Math.max(s.services, 1);
  const started = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  for (let i = 0; i < s.services; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: ns(i), labels: { app: `app-${i}` } },
      spec: { selector: { app: `app-${i}` }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
  }
  for (let p = 0; p < s.pods; p++) {
    const svc = p % svcCount;
    const node = Math.floor(p / PODS_PER_NODE) + 1;
    const ip = `127.1.${node}.${(p % PODS_PER_NODE) + 2}`;
    const name = `app-${svc}-${p.toString(36).padStart(5, '0')}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns(svc), labels: { app: `app-${svc}` } },
      spec: {
        nodeName: `lab-worker-${node}`,
        containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/scale-app:1.0', ports: [{ name: 'http', containerPort: 8080 }] }],
      },
      // what the kubelet writes for a running, ready pod (field for field, in its order)
      status: {
        phase: 'Running',
        conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
          lastProbeTime: null,
          lastTransitionTime: started,
          status: 'True',
          type,
        })),
        containerStatuses: [
          {
            containerID: `containerd://${randomBytes(32).toString('hex')}`,
            image: 'ghcr.io/netpath-lab/scale-app:1.0',
            imageID: IMAGE_ID,
            lastState: {},
            name: 'app',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: started } },
          },
        ],
        hostIP: `127.0.1.${node}`,
        hostIPs: [{ ip: `127.0.1.${node}` }],
        podIP: ip,
        podIPs: [{ ip }],
        startTime: started,
      },
    });
  }
  for (let i = 0; i < s.ingresses; i++) {
    const svc = i % svcCount;
    out.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: `ing-${i}`, namespace: ns(svc) },
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: `app-${i}.scale.netpath.test`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `svc-${svc}`, port: { number: 80 } } } }] } }],
      },
    });
  }
  return out;
}

// `--scale services=N,pods=M,ingresses=K`: a large cluster for scale benchmarks. Pods are generated already
// bound and running (as a cluster that has been up for a while), with the status their kubelet wrote, so the
// lab's kubelet adopts them (as a restarted kubelet finds running containers) and the controllers only have to
// build EndpointSlices, not to start 50k containers.
import { randomBytes } from 'node:crypto';
import { labNode } from './nodes.ts';
import { flat } from './store/store.ts';
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
  if (out.pods > MAX_SCALE_PODS) throw new Error(`--scale: at most ${MAX_SCALE_PODS} pods (${MAX_SCALE_NODES} nodes of ${PODS_PER_NODE} pods: node IPs 127.0.1.3-254, pod CIDRs 127.1.3-254.0/24)`);
  out.namespaces ||= Math.max(1, Math.ceil(Math.max(out.services, 1) / 100));
  return out;
}

/**
 * Generated pods per node. Scale nodes take `maxPods: 250` (as large-node clusters configure the kubelet), so each
 * keeps room for 30 more pods — and its /24 podCIDR 33 free addresses — for pods a scenario adds.
 */
const PODS_PER_NODE = 220;
const SCALE_NODE_MAX_PODS = 250;
/**
 * Scale nodes are lab-worker-3 … (InternalIP 127.0.1.N, podCIDR 127.1.N.0/24): lab-worker-1 and -2 stay free for
 * the nodes of the platform scenario (or the default nodes), so `--scale … --scenario X` loads both.
 */
const FIRST_SCALE_NODE = 3;
const MAX_SCALE_NODES = 254 - FIRST_SCALE_NODE + 1;
export const MAX_SCALE_PODS = MAX_SCALE_NODES * PODS_PER_NODE;
const IMAGE = 'ghcr.io/netpath-lab/scale-app:1.0';
const IMAGE_ID = flat('ghcr.io/netpath-lab/scale-app@sha256:' + '0'.repeat(64));
/**
 * What every stored pod carries the same: the DefaultTolerationSeconds tolerations and empty resources and
 * security context. Shared between the generated pods (stored objects are never modified in place).
 */
const TOLERATIONS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'].map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }));
const EMPTY = {};

const ID_PREFIX = Buffer.from('containerd://');
const HEX = Buffer.from('0123456789abcdef');

/** `containerd://<64 hex>` as one flat string (a template literal would keep two pieces per pod). */
function containerID(): string {
  const buf = Buffer.allocUnsafe(ID_PREFIX.length + 64);
  ID_PREFIX.copy(buf);
  const r = randomBytes(32);
  for (let i = 0; i < 32; i++) {
    buf[ID_PREFIX.length + 2 * i] = HEX[r[i]! >> 4]!;
    buf[ID_PREFIX.length + 2 * i + 1] = HEX[r[i]! & 15]!;
  }
  return buf.toString('latin1'); // flat (see store.ts flat())
}

export function scaleObjects(s: ScaleSpec): KObject[] {
  const out: KObject[] = [];
  const nodeCount = Math.max(2, Math.ceil(s.pods / PODS_PER_NODE));
  const zones = ['lab-zone-a', 'lab-zone-b', 'lab-zone-c'];
  // node n (1-based among the generated ones) is lab-worker-(n + FIRST_SCALE_NODE - 1)
  const idx = (n: number) => n + FIRST_SCALE_NODE - 1;
  for (let i = 1; i <= nodeCount; i++) out.push(labNode(idx(i), zones[(idx(i) - 1) % zones.length]!, SCALE_NODE_MAX_PODS));
  // one (flat) string per distinct value, as the same values read back from storage would share them
  const nsNames = Array.from({ length: s.namespaces }, (_, i) => `scale-${String(i).padStart(3, '0')}`);
  const ns = (i: number) => nsNames[i % s.namespaces]!;
  const apps = Array.from({ length: Math.max(s.services, 1) }, (_, i) => `app-${i}`);
  const nodeNames = Array.from({ length: nodeCount + 1 }, (_, i) => flat(`lab-worker-${idx(i)}`));
  const hostIPs = Array.from({ length: nodeCount + 1 }, (_, i) => `127.0.1.${idx(i)}`);
  // status.hostIPs is the same list for every pod of a node
  const hostIPLists = hostIPs.map((ip) => [{ ip }]);
  for (let i = 0; i < s.namespaces; i++) out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns(i) } });
  const svcCount = Math.max(s.services, 1);
  // pods started over the last hour, a few per second, as a cluster that has been up for a while
  const hourAgo = Math.floor(Date.now() / 1000) - 3600;
  const startTimes = new Map<number, string>();
  const startedAt = (p: number) => {
    const sec = hourAgo + Math.floor((p * 3600) / Math.max(s.pods, 1));
    let t = startTimes.get(sec);
    if (!t) startTimes.set(sec, (t = flat(new Date(sec * 1000).toISOString().replace(/\.\d+Z$/, 'Z'))));
    return t;
  };
  for (let i = 0; i < s.services; i++) {
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `svc-${i}`, namespace: ns(i), labels: { app: apps[i]! } },
      spec: { selector: { app: apps[i]! }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
  }
  for (let p = 0; p < s.pods; p++) {
    const svc = p % svcCount;
    const node = Math.floor(p / PODS_PER_NODE) + 1;
    const ip = flat(`127.1.${idx(node)}.${(p % PODS_PER_NODE) + 2}`);
    const name = flat(`app-${svc}-${p.toString(36).padStart(5, '0')}`);
    const started = startedAt(p);
    const hostIP = hostIPs[node]!;
    out.push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns(svc), labels: { app: apps[svc]! } },
      // as stored: with the fields admission defaults
      spec: {
        nodeName: nodeNames[node]!,
        containers: [
          {
            name: 'app',
            image: IMAGE,
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            imagePullPolicy: 'IfNotPresent',
            resources: EMPTY,
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        securityContext: EMPTY,
        serviceAccountName: 'default',
        serviceAccount: 'default',
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
        priority: 0,
        tolerations: TOLERATIONS,
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
            containerID: containerID(),
            image: IMAGE,
            imageID: IMAGE_ID,
            lastState: EMPTY,
            name: 'app',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: started } },
          },
        ],
        hostIP,
        hostIPs: hostIPLists[node]!,
        podIP: ip,
        podIPs: [{ ip }],
        startTime: started,
        qosClass: 'BestEffort',
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
        rules: [{ host: flat(`app-${i}.scale.netpath.test`), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `svc-${svc}`, port: { number: 80 } } } }] } }],
      },
    });
  }
  return out;
}

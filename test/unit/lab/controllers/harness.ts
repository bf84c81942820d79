// A lab without the API server: Store + controllers, objects created the way the apiserver creates them.
import { ResourceRegistry } from '../../../../src/lab/resources.ts';
import { Store } from '../../../../src/lab/store/store.ts';
import { LogStore } from '../../../../src/lab/runtime/logs.ts';
import { type CertificateAuthority, createCA } from '../../../../src/lab/pki.ts';
import { admit } from '../../../../src/lab/apiserver/admission.ts';
import { type Controller, ControllerManager, type LabSettings } from '../../../../src/lab/controllers/runtime.ts';
import { namespaceController } from '../../../../src/lab/controllers/namespace.ts';
import { garbageCollector } from '../../../../src/lab/controllers/gc.ts';
import { deploymentController } from '../../../../src/lab/controllers/deployment.ts';
import { replicaSetController } from '../../../../src/lab/controllers/replicaset.ts';
import { daemonSetController } from '../../../../src/lab/controllers/daemonset.ts';
import { jobController } from '../../../../src/lab/controllers/job.ts';
import { scheduler } from '../../../../src/lab/controllers/scheduler.ts';
import { kubelet } from '../../../../src/lab/controllers/kubelet.ts';
import { labNode } from '../../../../src/lab/nodes.ts';
import type { KObject } from '../../../../src/lab/types.ts';

let ca: CertificateAuthority | undefined;

export interface TestLab {
  store: Store;
  registry: ResourceRegistry;
  logs: LogStore;
  mgr: ControllerManager;
  create(obj: KObject): KObject;
  get(kind: string, ns: string | undefined, name: string): KObject | undefined;
  list(kind: string, ns?: string): KObject[];
  events(obj: KObject): KObject[];
  stop(): void;
}

const KINDS: Record<string, [string, string]> = {
  Pod: ['', 'pods'],
  Node: ['', 'nodes'],
  Namespace: ['', 'namespaces'],
  Event: ['', 'events'],
  Service: ['', 'services'],
  ConfigMap: ['', 'configmaps'],
  Deployment: ['apps', 'deployments'],
  ReplicaSet: ['apps', 'replicasets'],
  DaemonSet: ['apps', 'daemonsets'],
  ControllerRevision: ['apps', 'controllerrevisions'],
  Job: ['batch', 'jobs'],
};

export async function startLab(opts: { nodes?: number; settings?: Partial<LabSettings> & { backoffScale?: number }; controllers?: Controller[] } = {}): Promise<TestLab> {
  ca ??= await createCA();
  const store = new Store();
  const registry = new ResourceRegistry();
  const logs = new LogStore();
  const settings = { containerStartMs: 20, maxGraceMs: 100, backoffScale: 0.01, ...(opts.settings ?? {}) };
  const mgr = new ControllerManager(store, registry, logs, ca, settings as Partial<LabSettings>).add(
    ...(opts.controllers ?? [namespaceController(), garbageCollector(), deploymentController(), replicaSetController(), daemonSetController(), jobController(), scheduler(), kubelet()]),
  );
  mgr.start();
  const def = (kind: string) => registry.type(...KINDS[kind]!);
  const create = (obj: KObject) => {
    const d = registry.forKind(obj.apiVersion, obj.kind)!;
    const o = structuredClone(obj);
    admit(d, o);
    return store.create(d, o);
  };
  const zones = ['lab-zone-a', 'lab-zone-b', 'lab-zone-c'];
  for (let i = 1; i <= (opts.nodes ?? 2); i++) create(labNode(i, zones[(i - 1) % zones.length]!));
  return {
    store,
    registry,
    logs,
    mgr,
    create,
    get: (kind, ns, name) => store.get(def(kind), ns, name),
    list: (kind, ns) => store.list(def(kind), ns),
    events: (obj) => store.list(def('Event'), obj.metadata.namespace ?? 'default').filter((e) => e.involvedObject?.uid === obj.metadata.uid),
    stop: () => mgr.stop(),
  };
}

/** Polls until fn returns a truthy value (returned) or the timeout passes (throws with the last error). */
export async function waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 4000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function isReady(p: KObject): boolean {
  return (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
}

export function deployment(name: string, ns: string, replicas: number, extra: { image?: string; annotations?: Record<string, string>; container?: any; strategy?: any } = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas,
      ...(extra.strategy ? { strategy: extra.strategy } : {}),
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
        spec: { containers: [{ name: 'web', image: extra.image ?? 'nginx:1.27.3', ports: [{ name: 'http', containerPort: 80 }], ...(extra.container ?? {}) }] },
      },
    },
  };
}

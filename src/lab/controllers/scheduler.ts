// default-scheduler: binds pending pods to nodes. Filters as the default plugins do (NodeUnschedulable,
// TaintToleration, NodeAffinity incl. nodeSelector and matchFields, NodePorts, NodeResourcesFit), scores by
// spreading one owner's pods across zones, then across nodes, then fewest pods; on failure it writes the
// PodScheduled=False condition and the FailedScheduling event with the real FitError wording, and retries when
// nodes change or pods go away.
import type { KObject } from '../types.ts';
import { controllerOf, isPodActive } from './replicaset.ts';
import { type Controller, type ControllerContext, keyOf, nowIso, splitKey, WorkQueue } from './runtime.ts';

const COMPONENT = 'default-scheduler';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

// ─── node matching, shared with the DaemonSet controller ─────────────────────────────────────────────────

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

function matchRequirement(r: Requirement, value: string | undefined): boolean {
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && vals.includes(value);
    case 'NotIn':
      return value === undefined || !vals.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || vals.length !== 1) return false;
      const a = parseInt(value, 10);
      const b = parseInt(vals[0]!, 10);
      if (Number.isNaN(a) || Number.isNaN(b)) return false;
      return r.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A NodeSelectorTerm: all matchExpressions (labels) and matchFields (metadata.name) must hold; an empty term matches nothing. */
function matchTerm(term: any, node: KObject): boolean {
  const exprs: Requirement[] = term?.matchExpressions ?? [];
  const fields: Requirement[] = term?.matchFields ?? [];
  if (!exprs.length && !fields.length) return false;
  const labels = node.metadata.labels ?? {};
  for (const e of exprs) if (!matchRequirement(e, labels[e.key])) return false;
  for (const f of fields) {
    const v = f.key === 'metadata.name' ? node.metadata.name : undefined;
    if (!matchRequirement(f, v)) return false;
  }
  return true;
}

/** spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (terms ORed). */
export function nodeMatchesPod(spec: any, node: KObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries((spec?.nodeSelector ?? {}) as Record<string, string>)) if (labels[k] !== v) return false;
  const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req) {
    const terms: any[] = req.nodeSelectorTerms ?? [];
    if (!terms.some((t) => matchTerm(t, node))) return false;
  }
  return true;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export function tolerates(tolerations: any[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

/** The node's taints, plus the not-ready taint the node lifecycle controller would add to a node that is not Ready. */
export function nodeTaints(node: KObject): Taint[] {
  const taints: Taint[] = [...(node.spec?.taints ?? [])];
  const ready = (node.status?.conditions ?? []).find((c: any) => c.type === 'Ready');
  if (ready && ready.status !== 'True' && !taints.some((t) => t.key === 'node.kubernetes.io/not-ready' || t.key === 'node.kubernetes.io/unreachable')) {
    taints.push({ key: ready.status === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable && !taints.some((t) => t.key === 'node.kubernetes.io/unschedulable'))
    taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  return taints;
}

/** The first taint with one of `effects` the pod does not tolerate. */
export function untoleratedTaint(spec: any, node: KObject, effects = ['NoSchedule', 'NoExecute']): Taint | undefined {
  return nodeTaints(node).find((t) => effects.includes(t.effect) && !tolerates(spec?.tolerations, t));
}

export function nodeZone(node: KObject | undefined): string {
  return node?.metadata.labels?.[ZONE_LABEL] ?? node?.metadata.labels?.['failure-domain.beta.kubernetes.io/zone'] ?? '';
}

// ─── resources ─────────────────────────────────────────────────────────────────────────────────────────

const SUFFIX: Record<string, number> = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** resource.Quantity → number (cpu in cores, memory in bytes). */
export function parseQuantity(q: unknown): number {
  if (typeof q === 'number') return q;
  if (typeof q !== 'string') return 0;
  const m = /^([+-]?[0-9.]+)(?:[eE]([+-]?\d+))?([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  const base = parseFloat(m[1]!);
  const exp = m[2] ? 10 ** parseInt(m[2], 10) : 1;
  const mult = SUFFIX[m[3] ?? ''];
  return mult === undefined ? 0 : base * exp * mult;
}

function podRequests(spec: any): { cpu: number; memory: number } {
  const req = (c: any, r: string) => parseQuantity(c.resources?.requests?.[r] ?? c.resources?.limits?.[r] ?? 0);
  let cpu = 0;
  let memory = 0;
  for (const c of spec?.containers ?? []) {
    cpu += req(c, 'cpu');
    memory += req(c, 'memory');
  }
  for (const c of spec?.initContainers ?? []) {
    cpu = Math.max(cpu, req(c, 'cpu'));
    memory = Math.max(memory, req(c, 'memory'));
  }
  return { cpu, memory };
}

// ─── the scheduler ─────────────────────────────────────────────────────────────────────────────────────

interface FilterResult {
  reasons: string[];
  /** UnschedulableAndUnresolvable: preemption cannot help. */
  unresolvable: boolean;
}

/** What the scheduler's cache keeps of a node's assigned pods (the scheduler framework's NodeInfo). */
interface NodeInfo {
  pods: Map<string, KObject>;
  /** Requests summed over the assigned pods. */
  cpu: number;
  memory: number;
  /** Assigned pods that are active (not terminating). */
  active: number;
}

export function scheduler(): Controller {
  let ctx: ControllerContext;
  /** pods that did not fit, retried when the cluster changes */
  const waiting = new Set<string>();
  // The scheduler's cache, kept from pod events as kube-scheduler's is: assigned pods per node with their summed
  // requests, and the active assigned pods of each controller (for spreading). Scheduling one pod then costs
  // O(nodes), not O(pods) — a 50k-pod cluster's DaemonSet pods used to take ~30 s to place.
  const nodeInfos = new Map<string, NodeInfo>();
  const podNodeOf = new Map<string, { node: string; cpu: number; memory: number; active: boolean; owner?: string }>();
  const byOwner = new Map<string, Map<string, string>>();

  function forget(key: string): void {
    const was = podNodeOf.get(key);
    if (!was) return;
    podNodeOf.delete(key);
    const info = nodeInfos.get(was.node);
    if (info) {
      info.pods.delete(key);
      info.cpu -= was.cpu;
      info.memory -= was.memory;
      if (was.active) info.active--;
      if (!info.pods.size) nodeInfos.delete(was.node);
    }
    if (was.owner && was.active) {
      const m = byOwner.get(was.owner);
      m?.delete(key);
      if (m && !m.size) byOwner.delete(was.owner);
    }
  }

  function track(p: KObject, deleted = false): void {
    const key = keyOf(p);
    const node: string | undefined = p.spec?.nodeName;
    const assigned = !deleted && !!node && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
    const was = podNodeOf.get(key);
    if (!assigned) {
      forget(key);
      return;
    }
    const active = isPodActive(p);
    const owner = controllerOf(p)?.uid;
    // the common case — a status update of a pod that stays where it is — changes nothing but the object
    if (was && was.node === node && was.active === active && was.owner === owner) {
      const info = nodeInfos.get(node)!;
      info.pods.set(key, p);
      return;
    }
    forget(key);
    const r = podRequests(p.spec);
    let info = nodeInfos.get(node!);
    if (!info) nodeInfos.set(node!, (info = { pods: new Map(), cpu: 0, memory: 0, active: 0 }));
    info.pods.set(key, p);
    info.cpu += r.cpu;
    info.memory += r.memory;
    if (active) info.active++;
    podNodeOf.set(key, { node: node!, cpu: r.cpu, memory: r.memory, active, owner });
    if (owner && active) {
      let m = byOwner.get(owner);
      if (!m) byOwner.set(owner, (m = new Map()));
      m.set(key, node!);
    }
  }
  const queue = new WorkQueue((k) => schedule(k), (k, e) => console.error(`lab: scheduler ${k}:`, e));

  const podDef = () => ctx.type('', 'pods');
  const nodeDef = () => ctx.type('', 'nodes');

  function needsScheduling(p: KObject): boolean {
    if (p.spec?.nodeName || p.metadata.deletionTimestamp) return false;
    if ((p.spec?.schedulerName ?? COMPONENT) !== COMPONENT) return false;
    const phase = p.status?.phase;
    return phase !== 'Succeeded' && phase !== 'Failed';
  }

  function filter(pod: KObject, node: KObject, info: NodeInfo | undefined): FilterResult | undefined {
    const onNode = info?.pods.values() ?? [];
    const count = info?.pods.size ?? 0;
    const spec = pod.spec ?? {};
    if (node.spec?.unschedulable && !tolerates(spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))
      return { reasons: ['node(s) were unschedulable'], unresolvable: true };
    const taint = untoleratedTaint(spec, node);
    if (taint && taint.key !== 'node.kubernetes.io/unschedulable')
      return { reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`], unresolvable: true };
    if (!nodeMatchesPod(spec, node)) return { reasons: ["node(s) didn't match Pod's node affinity/selector"], unresolvable: true };
    const wanted = new Set<string>();
    for (const c of spec.containers ?? []) for (const p of c.ports ?? []) if (p.hostPort) wanted.add(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
    if (wanted.size) {
      for (const o of onNode)
        for (const c of o.spec?.containers ?? [])
          for (const p of c.ports ?? []) if (p.hostPort && wanted.has(`${p.protocol ?? 'TCP'}/${p.hostPort}`))
            return { reasons: ["node(s) didn't have free ports for the requested pod ports"], unresolvable: false };
    }
    const alloc = node.status?.allocatable ?? {};
    const reasons: string[] = [];
    if (alloc.pods !== undefined && count + 1 > parseQuantity(alloc.pods)) reasons.push('Too many pods');
    const want = podRequests(spec);
    if (want.cpu || want.memory) {
      const cpu = info?.cpu ?? 0;
      const memory = info?.memory ?? 0;
      if (want.cpu && alloc.cpu !== undefined && cpu + want.cpu > parseQuantity(alloc.cpu) + 1e-9) reasons.push('Insufficient cpu');
      if (want.memory && alloc.memory !== undefined && memory + want.memory > parseQuantity(alloc.memory)) reasons.push('Insufficient memory');
    }
    return reasons.length ? { reasons, unresolvable: false } : undefined;
  }

  function fail(pod: KObject, message: string): void {
    const ns = pod.metadata.namespace;
    waiting.add(keyOf(pod));
    const cur = (pod.status?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
    if (!(cur && cur.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message)) {
      ctx.store.mutate(podDef(), ns, pod.metadata.name!, (p) => {
        p.status ??= {};
        const others = (p.status.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
        p.status.conditions = [
          ...others,
          { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: cur?.status === 'False' ? cur.lastTransitionTime : nowIso(), reason: 'Unschedulable', message },
        ];
      });
    }
    ctx.event(pod, 'Warning', 'FailedScheduling', message, COMPONENT);
  }

  function schedule(key: string): void {
    const [ns, name] = splitKey(key);
    const pod = ctx.store.get(podDef(), ns, name);
    if (!pod || !needsScheduling(pod)) {
      waiting.delete(key);
      return;
    }
    const nodes = ctx.store.list(nodeDef());
    if (nodes.length === 0) return fail(pod, 'no nodes available to schedule pods');
    const feasible: KObject[] = [];
    const reasons = new Map<string, number>();
    const preemption = new Map<string, number>();
    for (const node of nodes) {
      const r = filter(pod, node, nodeInfos.get(node.metadata.name!));
      if (!r) {
        feasible.push(node);
        continue;
      }
      for (const reason of r.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      const pre = r.unresolvable ? 'Preemption is not helpful for scheduling' : 'No preemption victims found for incoming pod';
      preemption.set(pre, (preemption.get(pre) ?? 0) + 1);
    }
    if (!feasible.length) {
      const hist = (m: Map<string, number>) => [...m].map(([r, n]) => `${n} ${r}`).sort().join(', ');
      const n = nodes.length;
      return fail(pod, `0/${n} nodes are available: ${hist(reasons)}. preemption: 0/${n} nodes are available: ${hist(preemption)}.`);
    }
    // score: spread the owner's pods across zones, then nodes, then fewest pods overall
    const owner = controllerOf(pod)?.uid;
    const mine = owner ? (byOwner.get(owner) ?? new Map<string, string>()) : new Map<string, string>();
    const nodeByName = new Map(nodes.map((n) => [n.metadata.name!, n]));
    const perZone = new Map<string, number>();
    const perNodeMine = new Map<string, number>();
    for (const nodeName of mine.values()) {
      const z = nodeZone(nodeByName.get(nodeName));
      perZone.set(z, (perZone.get(z) ?? 0) + 1);
      perNodeMine.set(nodeName, (perNodeMine.get(nodeName) ?? 0) + 1);
    }
    const score = (n: KObject): [number, number, number] => [
      perZone.get(nodeZone(n)) ?? 0,
      perNodeMine.get(n.metadata.name!) ?? 0,
      nodeInfos.get(n.metadata.name!)?.active ?? 0,
    ];
    feasible.sort((a, b) => {
      const sa = score(a);
      const sb = score(b);
      for (let i = 0; i < 3; i++) if (sa[i] !== sb[i]) return sa[i]! - sb[i]!;
      return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
    });
    const target = feasible[0]!.metadata.name!;
    waiting.delete(key);
    const before = pod;
    ctx.store.mutate(podDef(), ns, name, (p) => {
      p.spec.nodeName = target;
      p.status ??= {};
      const others = (p.status.conditions ?? []).filter((c: any) => c.type !== 'PodScheduled');
      p.status.conditions = [...others, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowIso() }];
    });
    ctx.event(before, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${target}`, COMPONENT);
  }

  function retryWaiting(): void {
    for (const k of waiting) queue.add(k);
  }

  return {
    name: 'scheduler',
    start(c) {
      ctx = c;
      for (const p of c.store.list(c.type('', 'pods'))) {
        track(p);
        if (needsScheduling(p)) queue.add(keyOf(p));
      }
    },
    onEvent(ev, def) {
      if (def.group !== '') return;
      if (def.plural === 'nodes') {
        retryWaiting();
        return;
      }
      if (def.plural !== 'pods') return;
      const p = ev.object;
      track(p, ev.type === 'DELETED');
      if (ev.type === 'DELETED') {
        waiting.delete(keyOf(p));
        if (p.spec?.nodeName) retryWaiting();
        return;
      }
      if (needsScheduling(p)) {
        if (ev.type === 'ADDED' || !waiting.has(keyOf(p)) || JSON.stringify(ev.old?.spec) !== JSON.stringify(p.spec)) queue.add(keyOf(p));
        return;
      }
      if (ev.old?.spec?.nodeName && ev.old && isPodActive(ev.old) && !isPodActive(p)) retryWaiting();
    },
    stop() {
      queue.stop();
    },
  };
}

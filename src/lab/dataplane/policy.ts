// NetworkPolicy (networking.k8s.io/v1) ingress enforcement for the pod listeners, and the cluster index the data
// plane shares (pods by IP, nodes by name and IP).
//
// Semantics, as the API documents them and CNIs (Calico, Cilium, kindnet's kube-network-policies) enforce them:
// - A pod is isolated for ingress when any policy in its namespace selects it (spec.podSelector) and has
//   "Ingress" in policyTypes. Without policyTypes the API server defaults them to ["Ingress"] (plus "Egress" when
//   egress rules exist), so a policy with neither policyTypes nor ingress rules isolates too (deny all).
// - A connection to an isolated pod is allowed when some rule of some such policy matches both the source (`from`
//   empty or missing: every source; a peer: podSelector in the policy's namespace, namespaceSelector (all pods of
//   the selected namespaces), both (selected pods in selected namespaces), or ipBlock cidr minus except) and the
//   port (`ports` empty or missing: every port; a number, a named port resolved on the target pod's containers
//   with the same protocol, endPort ranges; protocol defaults to TCP).
// - Sources are identified by IP: a running pod's podIP is that pod; anything else (node IPs, 127.0.0.1, LB
//   addresses) is outside the cluster and only ipBlock peers match it. ipBlock also matches pod IPs (as Calico
//   and Cilium do; the API leaves it to the implementation).
// - The pod's own node IP is always admitted: real kubelets probe from the node and most CNIs exempt host-to-
//   local-pod traffic from policy, so probes pass while other sources are dropped.
// - hostNetwork pods are not subject to NetworkPolicy.
// - Egress, the same way from the other end: a pod is isolated for egress when a policy selecting it has "Egress"
//   in policyTypes; its connections (and UDP datagrams) are then allowed only when some egress rule matches the
//   destination (`to`: podSelector / namespaceSelector / ipBlock, against the destination as it is after kube-
//   proxy's DNAT — an endpoint pod, or the API server's address for the `kubernetes` Service) and the port (named
//   ports resolved on the destination pod). DNS is no exception: a pod isolated for egress needs a rule admitting
//   UDP (and TCP) 53 to the cluster DNS pods, as in real clusters. A connection passes only when the source's
//   egress and the destination's ingress both admit it; a denied one is dropped (clients time out).
import type { ResourceDef } from '../resources.ts';
import type { KObject, StoreEvent } from '../types.ts';
import { fromLabelSelectorObject, matchesLabels } from '../store/selectors.ts';
import type { ControllerContext } from '../controllers/runtime.ts';
import type { PolicyCheck } from './types.ts';
import { inCidr, plainIP } from './net.ts';

// ─── pure evaluation ────────────────────────────────────────────────────────────────────────────────────

export interface PolicySource {
  ip: string;
  /** The pod with this IP, when the source is a pod. */
  pod?: KObject;
}

export interface IngressInput {
  target: KObject;
  port: number;
  protocol?: string;
  source: PolicySource;
  /** The NetworkPolicies of the target's namespace (others are ignored). */
  policies: KObject[];
  /** Labels of a namespace (undefined when it does not exist). */
  namespaceLabels(ns: string): Record<string, string> | undefined;
}

export interface IngressDecision {
  allowed: boolean;
  /** Whether any policy isolates the target for ingress. */
  isolated: boolean;
  /** The isolating policies (namespace/name) or the one that allowed the connection. */
  policies: string[];
  reason: string;
}

/** policyTypes as the API server defaults them. */
export function policyTypesOf(np: KObject): string[] {
  const types: unknown = np.spec?.policyTypes;
  if (Array.isArray(types) && types.length) return types.map(String);
  const out = ['Ingress'];
  if (Array.isArray(np.spec?.egress) && np.spec.egress.length) out.push('Egress');
  return out;
}

/** Whether the policy's podSelector selects the pod (same namespace). */
export function selectsPod(np: KObject, pod: KObject): boolean {
  if ((np.metadata.namespace ?? 'default') !== (pod.metadata.namespace ?? 'default')) return false;
  return matchesLabels(fromLabelSelectorObject(np.spec?.podSelector ?? {}), pod.metadata.labels);
}

export function isolatesIngress(np: KObject, pod: KObject): boolean {
  return policyTypesOf(np).includes('Ingress') && selectsPod(np, pod);
}

function peerMatches(peer: any, np: KObject, src: PolicySource, namespaceLabels: IngressInput['namespaceLabels']): boolean {
  if (!peer || typeof peer !== 'object') return false;
  if (peer.ipBlock) {
    const cidr: string | undefined = peer.ipBlock.cidr;
    if (!cidr || !inCidr(src.ip, cidr)) return false;
    for (const ex of peer.ipBlock.except ?? []) if (inCidr(src.ip, String(ex))) return false;
    return true;
  }
  const hasPodSel = peer.podSelector !== undefined && peer.podSelector !== null;
  const hasNsSel = peer.namespaceSelector !== undefined && peer.namespaceSelector !== null;
  if (!hasPodSel && !hasNsSel) return false;
  const pod = src.pod;
  if (!pod) return false;
  const podNs = pod.metadata.namespace ?? 'default';
  if (hasNsSel) {
    const labels = namespaceLabels(podNs);
    if (!labels) return false;
    if (!matchesLabels(fromLabelSelectorObject(peer.namespaceSelector), labels)) return false;
  } else if (podNs !== (np.metadata.namespace ?? 'default')) {
    return false;
  }
  if (hasPodSel && !matchesLabels(fromLabelSelectorObject(peer.podSelector), pod.metadata.labels)) return false;
  return true;
}

/** The numbers a named port stands for on the target pod (every container, init sidecars included). */
export function namedPortNumbers(pod: KObject, name: string, protocol: string): number[] {
  const out: number[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of c?.ports ?? []) if (p?.name === name && (p.protocol ?? 'TCP') === protocol) out.push(Number(p.containerPort));
  }
  return out;
}

/**
 * Whether a rule's `ports` entry admits port/protocol: no port means every port, a number (with an optional
 * endPort range) itself, a name the numbers `named` resolves it to.
 */
function rulePortMatches(rulePort: any, port: number, protocol: string, named: (name: string) => number[]): boolean {
  if (!rulePort || typeof rulePort !== 'object') return false;
  if ((rulePort.protocol ?? 'TCP') !== protocol) return false;
  const p = rulePort.port;
  if (p === undefined || p === null || p === '') return true;
  if (typeof p === 'number' || /^\d+$/.test(String(p))) {
    const n = Number(p);
    const end = rulePort.endPort;
    if (Number.isInteger(end) && end >= n) return port >= n && port <= end;
    return port === n;
  }
  return named(String(p)).includes(port);
}

/** Ingress: a named port is looked up on the target pod. */
function portMatches(rulePort: any, target: KObject, port: number, protocol: string): boolean {
  return rulePortMatches(rulePort, port, protocol, (name) => namedPortNumbers(target, name, protocol));
}

function ruleMatches(rule: any, np: KObject, input: IngressInput, protocol: string): boolean {
  const ports: any[] | undefined = rule?.ports;
  if (Array.isArray(ports) && ports.length && !ports.some((rp) => portMatches(rp, input.target, input.port, protocol))) return false;
  const from: any[] | undefined = rule?.from;
  if (!Array.isArray(from) || !from.length) return true;
  return from.some((peer) => peerMatches(peer, np, input.source, input.namespaceLabels));
}

const nameOf = (np: KObject) => `${np.metadata.namespace ?? 'default'}/${np.metadata.name}`;

/** Decides one connection. Pure. */
export function evaluateIngress(input: IngressInput): IngressDecision {
  const protocol = input.protocol ?? 'TCP';
  const target = input.target;
  if (target.spec?.hostNetwork) return { allowed: true, isolated: false, policies: [], reason: 'hostNetwork pods are not subject to NetworkPolicy' };
  const src = plainIP(input.source.ip);
  const nodeIP = target.status?.hostIP;
  const isolating = input.policies.filter((np) => isolatesIngress(np, target));
  if (!isolating.length) return { allowed: true, isolated: false, policies: [], reason: 'no NetworkPolicy selects the pod for ingress' };
  if (nodeIP && src === nodeIP) return { allowed: true, isolated: true, policies: isolating.map(nameOf), reason: "the pod's own node (kubelet probes) is always admitted" };
  for (const np of isolating) {
    const rules: any[] = Array.isArray(np.spec?.ingress) ? np.spec.ingress : [];
    for (const rule of rules) {
      if (ruleMatches(rule, np, { ...input, source: { ...input.source, ip: src } }, protocol)) {
        return { allowed: true, isolated: true, policies: [nameOf(np)], reason: `allowed by NetworkPolicy ${nameOf(np)}` };
      }
    }
  }
  return { allowed: false, isolated: true, policies: isolating.map(nameOf), reason: `no ingress rule of ${isolating.map(nameOf).join(', ')} admits ${src}:${protocol}/${input.port}` };
}

export interface EgressInput {
  /** The pod the connection comes from. */
  source: KObject;
  /** The destination after DNAT (ip, and the pod using it when it is a pod). */
  dest: PolicySource;
  port: number;
  protocol?: string;
  /** The NetworkPolicies of the source's namespace (others are ignored). */
  policies: KObject[];
  namespaceLabels(ns: string): Record<string, string> | undefined;
}

export function isolatesEgress(np: KObject, pod: KObject): boolean {
  return policyTypesOf(np).includes('Egress') && selectsPod(np, pod);
}

/** Egress: a named port is looked up on the destination pod; a destination that is no pod has none. */
function egressPortMatches(rulePort: any, dest: PolicySource, port: number, protocol: string): boolean {
  return rulePortMatches(rulePort, port, protocol, (name) => (dest.pod ? namedPortNumbers(dest.pod, name, protocol) : []));
}

/** Decides one outgoing connection of a pod. Pure. */
export function evaluateEgress(input: EgressInput): IngressDecision {
  const protocol = input.protocol ?? 'TCP';
  const src = input.source;
  if (src.spec?.hostNetwork) return { allowed: true, isolated: false, policies: [], reason: 'hostNetwork pods are not subject to NetworkPolicy' };
  const isolating = input.policies.filter((np) => isolatesEgress(np, src));
  if (!isolating.length) return { allowed: true, isolated: false, policies: [], reason: 'no NetworkPolicy selects the pod for egress' };
  const dest = { ...input.dest, ip: plainIP(input.dest.ip) };
  for (const np of isolating) {
    const rules: any[] = Array.isArray(np.spec?.egress) ? np.spec.egress : [];
    for (const rule of rules) {
      const ports: any[] | undefined = rule?.ports;
      if (Array.isArray(ports) && ports.length && !ports.some((rp) => egressPortMatches(rp, dest, input.port, protocol))) continue;
      const to: any[] | undefined = rule?.to;
      if (Array.isArray(to) && to.length && !to.some((peer) => peerMatches(peer, np, dest, input.namespaceLabels))) continue;
      return { allowed: true, isolated: true, policies: [nameOf(np)], reason: `egress allowed by NetworkPolicy ${nameOf(np)}` };
    }
  }
  return { allowed: false, isolated: true, policies: isolating.map(nameOf), reason: `no egress rule of ${isolating.map(nameOf).join(', ')} admits ${dest.ip}:${protocol}/${input.port}` };
}

// ─── the cluster index ──────────────────────────────────────────────────────────────────────────────────

function isTerminal(pod: KObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function nodeInternalIP(node: KObject): string | undefined {
  return (node.status?.addresses ?? []).find((a: any) => a?.type === 'InternalIP')?.address;
}

/**
 * Pods by IP (running, non-hostNetwork pods with a podIP: what a source address means) and nodes by name and
 * InternalIP. Fed from Store events; reads are O(1).
 */
export class ClusterIndex {
  private podsByIP = new Map<string, Map<string, KObject>>();
  private podIPOf = new Map<string, string>();
  private nodes = new Map<string, KObject>();
  private nodeNameByIP = new Map<string, string>();
  private readonly ctx: ControllerContext;

  constructor(ctx: ControllerContext) {
    this.ctx = ctx;
    for (const n of ctx.store.list(ctx.type('', 'nodes'))) this.putNode(n);
    for (const p of ctx.store.list(ctx.type('', 'pods'))) this.putPod(p);
  }

  onEvent(ev: StoreEvent, def: ResourceDef): void {
    if (def.group !== '') return;
    if (def.plural === 'pods') {
      if (ev.type === 'DELETED') this.dropPod(ev.object);
      else this.putPod(ev.object);
    } else if (def.plural === 'nodes') {
      if (ev.type === 'DELETED') this.dropNode(ev.object);
      else this.putNode(ev.object);
    }
  }

  private podKey(p: KObject): string {
    return `${p.metadata.namespace}/${p.metadata.name}`;
  }

  private putPod(p: KObject): void {
    const key = this.podKey(p);
    const ip: string | undefined = p.status?.podIP;
    const usable = !!ip && !p.spec?.hostNetwork && !isTerminal(p);
    const old = this.podIPOf.get(key);
    if (old && (!usable || old !== ip)) {
      const m = this.podsByIP.get(old);
      m?.delete(key);
      if (m && !m.size) this.podsByIP.delete(old);
      this.podIPOf.delete(key);
    }
    if (!usable) return;
    let m = this.podsByIP.get(ip!);
    if (!m) this.podsByIP.set(ip!, (m = new Map()));
    m.set(key, p);
    this.podIPOf.set(key, ip!);
  }

  private dropPod(p: KObject): void {
    const key = this.podKey(p);
    const old = this.podIPOf.get(key);
    if (!old) return;
    const m = this.podsByIP.get(old);
    m?.delete(key);
    if (m && !m.size) this.podsByIP.delete(old);
    this.podIPOf.delete(key);
  }

  private putNode(n: KObject): void {
    const name = n.metadata.name!;
    const before = this.nodes.get(name);
    const oldIP = before && nodeInternalIP(before);
    if (oldIP) this.nodeNameByIP.delete(oldIP);
    this.nodes.set(name, n);
    const ip = nodeInternalIP(n);
    if (ip) this.nodeNameByIP.set(ip, name);
  }

  private dropNode(n: KObject): void {
    const name = n.metadata.name!;
    const ip = nodeInternalIP(this.nodes.get(name) ?? n);
    if (ip && this.nodeNameByIP.get(ip) === name) this.nodeNameByIP.delete(ip);
    this.nodes.delete(name);
  }

  /** The pod using an IP (the one not being deleted when two briefly share it). */
  podByIP(ip: string): KObject | undefined {
    const m = this.podsByIP.get(plainIP(ip));
    if (!m) return undefined;
    let best: KObject | undefined;
    for (const p of m.values()) if (!best || (best.metadata.deletionTimestamp && !p.metadata.deletionTimestamp)) best = p;
    return best;
  }

  nodeNames(): string[] {
    return [...this.nodes.keys()].sort();
  }

  node(name: string): KObject | undefined {
    return this.nodes.get(name);
  }

  nodeIP(name: string): string | undefined {
    const n = this.nodes.get(name);
    return n ? nodeInternalIP(n) : undefined;
  }

  nodeNameByIPAddress(ip: string): string | undefined {
    return this.nodeNameByIP.get(plainIP(ip));
  }

  /** The node a source address is on: a pod's node, or the node owning that InternalIP. */
  nodeOfSource(ip: string): string | undefined {
    const pod = this.podByIP(ip);
    if (pod?.spec?.nodeName) return pod.spec.nodeName;
    return this.nodeNameByIPAddress(ip);
  }

  get store() {
    return this.ctx.store;
  }
}

// ─── the check the listeners call ───────────────────────────────────────────────────────────────────────

export interface PolicyEngine {
  /** The source's egress and the target's ingress both admit the connection. */
  check: PolicyCheck;
  /**
   * Whether the egress policies of the pod using `sourceIP` (if any) admit a connection to destIP:port, for
   * destinations that are not pod listeners (the API server, addresses outside the cluster).
   */
  egressAllowed(sourceIP: string, destIP: string, port: number, protocol: string): boolean;
  /** The egress decision, for logs and tests. */
  explainEgress(sourceIP: string, destIP: string, port: number, protocol: string): IngressDecision;
  /** The full decision, for logs and tests. */
  explain(pod: KObject, port: number, protocol: string, sourceIP: string): IngressDecision;
  onEvent(ev: StoreEvent, def: ResourceDef): void;
}

/** A PolicyCheck over the Store: policies cached per namespace, sources resolved through the index. */
export function createPolicyEngine(ctx: ControllerContext, index: ClusterIndex): PolicyEngine {
  const npDef = ctx.type('networking.k8s.io', 'networkpolicies');
  const nsDef = ctx.type('', 'namespaces');
  const cache = new Map<string, KObject[]>();
  const policiesIn = (ns: string): KObject[] => {
    let list = cache.get(ns);
    if (!list) cache.set(ns, (list = ctx.store.list(npDef, ns)));
    return list;
  };
  const namespaceLabels = (ns: string) => {
    const o = ctx.store.get(nsDef, undefined, ns);
    if (!o) return undefined;
    return { 'kubernetes.io/metadata.name': ns, ...(o.metadata.labels ?? {}) };
  };
  const explain = (pod: KObject, port: number, protocol: string, sourceIP: string): IngressDecision => {
    const ip = plainIP(sourceIP);
    return evaluateIngress({
      target: pod,
      port,
      protocol,
      source: { ip, pod: index.podByIP(ip) },
      policies: policiesIn(pod.metadata.namespace ?? 'default'),
      namespaceLabels,
    });
  };
  const explainEgress = (sourceIP: string, destIP: string, port: number, protocol: string, destPod?: KObject): IngressDecision => {
    const src = index.podByIP(sourceIP);
    if (!src) return { allowed: true, isolated: false, policies: [], reason: 'the source is not a pod' };
    return evaluateEgress({
      source: src,
      dest: { ip: plainIP(destIP), pod: destPod ?? index.podByIP(destIP) },
      port,
      protocol,
      policies: policiesIn(src.metadata.namespace ?? 'default'),
      namespaceLabels,
    });
  };
  const egressAllowed = (sourceIP: string, destIP: string, port: number, protocol: string, destPod?: KObject): boolean => {
    const src = index.podByIP(sourceIP);
    if (!src || src.spec?.hostNetwork) return true;
    if (!policiesIn(src.metadata.namespace ?? 'default').length) return true;
    return explainEgress(sourceIP, destIP, port, protocol, destPod).allowed;
  };
  return {
    explain,
    explainEgress: (s, d, p, proto) => explainEgress(s, d, p, proto),
    egressAllowed: (s, d, p, proto) => egressAllowed(s, d, p, proto),
    check: (pod, port, protocol, sourceIP) => {
      if (!egressAllowed(sourceIP, pod.status?.podIP ?? '', port, protocol, pod)) return false;
      if (pod.spec?.hostNetwork) return true;
      const list = policiesIn(pod.metadata.namespace ?? 'default');
      if (!list.length) return true;
      return explain(pod, port, protocol, sourceIP).allowed;
    },
    onEvent(ev, def) {
      if (def.group === 'networking.k8s.io' && def.plural === 'networkpolicies') cache.delete(ev.object.metadata.namespace ?? 'default');
      else if (def.group === '' && def.plural === 'namespaces' && ev.type === 'DELETED') cache.delete(ev.object.metadata.name!);
    },
  };
}

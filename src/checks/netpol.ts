// NetworkPolicy evaluation (networking.k8s.io/v1 semantics): which policies isolate a pod for ingress or egress,
// and whether one of their rules admits a given peer on a given port. Peers match by podSelector (in the policy's
// namespace), namespaceSelector, both together, or ipBlock (cidr minus except).
import { BlockList, isIP } from 'node:net';
import type { KObject } from '../kube/types.ts';
import { matchesSelector } from '../kube/selectors.ts';

export interface PeerEndpoint {
  /** The pod, when the peer is one (its labels and IP are used). */
  pod?: KObject;
  namespace?: string;
  /** Labels of the pod's namespace; `kubernetes.io/metadata.name` is added automatically. */
  namespaceLabels?: Record<string, string>;
  ip?: string;
  /** A client outside the cluster with an unknown address. */
  external?: boolean;
}

export interface TargetPort {
  port: number;
  name?: string;
  protocol?: string;
}

export interface PolicyVerdict {
  /** Whether some policy selects the pod for this direction (if none does, everything is allowed). */
  isolated: boolean;
  allowed: boolean;
  /** Names of the policies that select the pod. */
  policies: string[];
  /** The policy and rule that admit the peer. */
  admittedBy?: string;
  /** The result depends on something unknown (an external client's address vs an ipBlock). */
  uncertain?: boolean;
}

function policyTypes(p: KObject): string[] {
  const t = p.spec?.policyTypes;
  if (Array.isArray(t) && t.length) return t.map(String);
  return ['Ingress', ...(Array.isArray(p.spec?.egress) ? ['Egress'] : [])];
}

/** Whether the policy selects `pod` for `direction`. */
export function policySelects(p: KObject, pod: KObject, direction: 'Ingress' | 'Egress'): boolean {
  if (p.metadata.namespace !== pod.metadata.namespace) return false;
  if (!policyTypes(p).includes(direction)) return false;
  return matchesSelector(p.spec?.podSelector ?? {}, pod.metadata.labels);
}

export function ipInCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const fam = isIP(net ?? '');
  if (!fam || fam !== isIP(ip)) return false;
  const bl = new BlockList();
  try {
    bl.addSubnet(net!, Number(bits ?? (fam === 4 ? 32 : 128)), fam === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return bl.check(ip, fam === 4 ? 'ipv4' : 'ipv6');
}

function nsLabels(peer: PeerEndpoint): Record<string, string> {
  const ns = peer.namespace ?? peer.pod?.metadata.namespace;
  return { ...(peer.namespaceLabels ?? {}), ...(ns ? { 'kubernetes.io/metadata.name': ns } : {}) };
}

/** Whether one NetworkPolicyPeer matches the peer. `policyNs` is the policy's namespace. Undefined: unknown. */
export function peerMatches(rulePeer: any, peer: PeerEndpoint, policyNs: string): boolean | undefined {
  if (rulePeer?.ipBlock) {
    if (peer.external && !peer.ip) {
      const cidr = String(rulePeer.ipBlock.cidr ?? '');
      return cidr === '0.0.0.0/0' || cidr === '::/0' ? !(rulePeer.ipBlock.except ?? []).length || undefined : undefined;
    }
    const ip = peer.ip ?? peer.pod?.status?.podIP;
    if (!ip) return undefined;
    if (!ipInCidr(ip, String(rulePeer.ipBlock.cidr ?? ''))) return false;
    return !(rulePeer.ipBlock.except ?? []).some((c: string) => ipInCidr(ip, String(c)));
  }
  if (peer.external || !peer.pod) return false; // pod/namespace selectors never match traffic from outside the cluster
  const podNs = peer.pod.metadata.namespace;
  const hasPodSel = rulePeer?.podSelector !== undefined && rulePeer?.podSelector !== null;
  const hasNsSel = rulePeer?.namespaceSelector !== undefined && rulePeer?.namespaceSelector !== null;
  if (!hasPodSel && !hasNsSel) return false;
  if (hasNsSel) {
    if (!matchesSelector(rulePeer.namespaceSelector, nsLabels(peer))) return false;
  } else if (podNs !== policyNs) return false;
  if (hasPodSel && !matchesSelector(rulePeer.podSelector, peer.pod.metadata.labels)) return false;
  return true;
}

/** Whether a rule's ports admit the target port (empty: all ports). Named ports match the container port's name. */
export function portsMatch(rulePorts: any[] | undefined | null, target: TargetPort): boolean {
  if (!Array.isArray(rulePorts) || !rulePorts.length) return true;
  return rulePorts.some((p) => {
    if ((p?.protocol ?? 'TCP') !== (target.protocol ?? 'TCP')) return false;
    if (p?.port === undefined || p?.port === null) return true;
    if (typeof p.port === 'string' && !/^\d+$/.test(p.port)) return p.port === target.name;
    const n = Number(p.port);
    const end = typeof p.endPort === 'number' ? p.endPort : n;
    return target.port >= n && target.port <= end;
  });
}

function evaluate(policies: KObject[], subject: KObject, direction: 'Ingress' | 'Egress', peer: PeerEndpoint, port: TargetPort): PolicyVerdict {
  const selecting = policies.filter((p) => policySelects(p, subject, direction));
  if (!selecting.length) return { isolated: false, allowed: true, policies: [] };
  let uncertain = false;
  for (const p of selecting) {
    const rules: any[] = (direction === 'Ingress' ? p.spec?.ingress : p.spec?.egress) ?? [];
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      const peers: any[] | undefined = direction === 'Ingress' ? r?.from : r?.to;
      if (!portsMatch(r?.ports, port)) continue;
      if (!Array.isArray(peers) || !peers.length) return { isolated: true, allowed: true, policies: selecting.map((x) => x.metadata.name), admittedBy: `${p.metadata.name} ${direction.toLowerCase()}[${i}]` };
      for (const rp of peers) {
        const m = peerMatches(rp, peer, p.metadata.namespace!);
        if (m === true) return { isolated: true, allowed: true, policies: selecting.map((x) => x.metadata.name), admittedBy: `${p.metadata.name} ${direction.toLowerCase()}[${i}]` };
        if (m === undefined) uncertain = true;
      }
    }
  }
  return { isolated: true, allowed: false, policies: selecting.map((x) => x.metadata.name), ...(uncertain ? { uncertain } : {}) };
}

/** Ingress to `target` (a pod) from `peer` on `port`, under the policies of the target's namespace. */
export function ingressAllowed(policies: KObject[], target: KObject, peer: PeerEndpoint, port: TargetPort): PolicyVerdict {
  return evaluate(policies, target, 'Ingress', peer, port);
}

/** Egress from `source` (a pod) to `peer` on `port`, under the policies of the source's namespace. */
export function egressAllowed(policies: KObject[], source: KObject, peer: PeerEndpoint, port: TargetPort): PolicyVerdict {
  return evaluate(policies, source, 'Egress', peer, port);
}

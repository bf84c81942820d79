// The cloud load balancer: every Service of type LoadBalancer with an address in status.loadBalancer.ingress
// listens on ip:port for each TCP port and forwards like a network load balancer in instance mode — to a healthy
// target node, through that node's NodePort path (kubeproxy.ts), client address preserved.
//
// - Target nodes: every node, minus those labelled node.kubernetes.io/exclude-from-external-load-balancers, or
//   exactly the nodes named by the Service annotation `lab.netpath.dev/lb-nodes` (comma-separated; it stands for
//   a real node-pool restriction such as AWS's aws-load-balancer-target-node-labels).
// - Health: with externalTrafficPolicy Local, a node is healthy when kube-proxy's healthCheckNodePort would answer
//   200 there (the node has a ready endpoint of the Service: the same count /healthz serves); with Cluster, every
//   target node is healthy (kube-proxy's own health, which the lab's nodes always pass). Health is evaluated per
//   connection, so there is no health-check lag.
// - No healthy target: `lab.netpath.dev/lb-unhealthy: timeout` (default) holds the connection without answering
//   and closes it after 10 s — on loopback the handshake completes, so clients see a connection that never
//   answers; `reset` resets it at once (what some load balancers do).
// - loadBalancerSourceRanges: a client outside every range is dropped (held, never answered, closed after 120 s).
// - Clients inside the cluster (pod IPs, node IPs) never reach the cloud load balancer: kube-proxy captures
//   traffic to the load-balancer IP on their own node (ipMode VIP) and sends it to any endpoint, as the KUBE-EXT
//   chain does; source ranges still apply.
// A Service without NodePorts (allocateLoadBalancerNodePorts: false) is forwarded the same way, as an IP-target
// load balancer would. UDP ports listen on the address too and forward each datagram through kube-proxy's UDP
// path (conntrack, kubeproxy.ts); a flow stays on the target node it started on while that node is healthy, and
// datagrams that would be held (no healthy target, outside the source ranges) are dropped.
import type * as net from 'node:net';
import type { ResourceDef } from '../resources.ts';
import type { KObject, StoreEvent } from '../types.ts';
import { type Controller, type ControllerContext, keyOf, splitKey, WorkQueue } from '../controllers/runtime.ts';
import { type Blackhole, CLUSTER_CIDR, inCidr, isLoopback, type ListenerManager, type ListenerSpec, plainIP } from './net.ts';
import type { ClusterIndex } from './policy.ts';
import type { KubeProxy } from './kubeproxy.ts';
import type { UdpListeners, UdpListenerSpec, UdpPeer } from './udp.ts';

export const ANN_LB_NODES = 'lab.netpath.dev/lb-nodes';
export const ANN_LB_UNHEALTHY = 'lab.netpath.dev/lb-unhealthy';
export const LABEL_EXCLUDE_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';
/** How long a connection with no healthy target is held (lb-unhealthy: timeout). */
export const UNHEALTHY_HOLD_MS = 10_000;
/** How long a connection from outside loadBalancerSourceRanges is held. */
export const SOURCE_RANGE_DROP_MS = 120_000;

export interface LbTarget {
  node: string;
  healthy: boolean;
  /** Why it is (un)healthy, as a cloud console would show it. */
  reason: string;
}

/** The target nodes of a load balancer (pure: nodes and the Service). */
export function targetNodes(svc: KObject, nodes: KObject[]): string[] {
  const ann = svc.metadata.annotations?.[ANN_LB_NODES];
  const names = nodes.map((n) => n.metadata.name!);
  if (ann !== undefined && ann.trim()) {
    const wanted = ann.split(',').map((s) => s.trim()).filter(Boolean);
    return wanted.filter((n) => names.includes(n));
  }
  return nodes.filter((n) => n.metadata.labels?.[LABEL_EXCLUDE_LB] === undefined).map((n) => n.metadata.name!);
}

/** Whether the client may use the load balancer (loadBalancerSourceRanges; none = everyone). */
export function sourceAllowed(svc: KObject, client: string): boolean {
  const ranges: unknown = svc.spec?.loadBalancerSourceRanges;
  let list: string[] = Array.isArray(ranges) ? ranges.map(String).filter(Boolean) : [];
  if (!list.length) {
    // The legacy annotation service.beta.kubernetes.io/load-balancer-source-ranges, honoured by cloud providers.
    const ann = svc.metadata.annotations?.['service.beta.kubernetes.io/load-balancer-source-ranges'];
    if (ann) list = ann.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if (!list.length) return true;
  return list.some((r) => inCidr(client, r));
}

export interface LoadBalancerDeps {
  listeners: ListenerManager;
  /** UDP ports of LoadBalancer Services are served only with it. */
  udp?: UdpListeners;
  index: ClusterIndex;
  kubeProxy: KubeProxy;
  blackhole: Blackhole;
  log?: (line: string) => void;
}

export interface LoadBalancers extends Controller {
  /** The targets of a Service's load balancer and their health right now. */
  targets(key: string): LbTarget[];
}

export function loadBalancers(deps: LoadBalancerDeps): LoadBalancers {
  let ctx: ControllerContext;
  let svcDef: ResourceDef;
  let nodeDef: ResourceDef;
  const served = new Set<string>();
  const flowTargets = new Map<string, string>();
  const log = deps.log ?? ((l: string) => console.error(`lab: data plane: ${l}`));
  const queue = new WorkQueue(
    (k) => reconcile(k),
    (k, e) => log(`load balancer ${k}: ${(e as Error)?.stack ?? e}`),
  );

  function reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const svc = ctx.store.get(svcDef, ns, name);
    const ips: string[] =
      svc && (svc.spec?.type ?? 'ClusterIP') === 'LoadBalancer'
        ? (svc.status?.loadBalancer?.ingress ?? []).map((i: any) => i?.ip).filter((ip: unknown): ip is string => typeof ip === 'string' && isLoopback(ip))
        : [];
    const wanted: ListenerSpec[] = [];
    const udpWanted: UdpListenerSpec[] = [];
    for (const ip of ips) {
      for (const p of svc!.spec?.ports ?? []) {
        if (p?.protocol === 'UDP' && Number.isInteger(p?.port)) {
          const portName: string = p.name ?? '';
          const vip = `${ip}:${p.port}`;
          udpWanted.push({ address: ip, port: p.port, handler: (msg, from, reply) => datagram(msg, from, reply, vip, key, portName) });
          continue;
        }
        if ((p?.protocol ?? 'TCP') !== 'TCP' || !Number.isInteger(p?.port)) continue;
        const portName: string = p.name ?? '';
        wanted.push({ address: ip, port: p.port, dropConnectionsOnClose: false, handler: (s) => accepted(s, key, portName) });
      }
    }
    if (wanted.length || udpWanted.length) served.add(key);
    else served.delete(key);
    deps.listeners.sync(`lb:${key}`, wanted);
    deps.udp?.sync(`lb:${key}`, udpWanted);
  }

  /** One datagram to a UDP load balancer: the same decisions as for a TCP connection; dropped ones get no answer. */
  function datagram(msg: Buffer, from: UdpPeer, reply: (buf: Buffer) => void, vip: string, key: string, portName: string): void {
    const client = from.address;
    const state = deps.kubeProxy.service(key);
    const p = state?.ports.find((x) => x.name === portName && x.protocol === 'UDP');
    if (!state || !p || !sourceAllowed(state.svc, client)) return;
    const clientNode = inCidr(client, CLUSTER_CIDR) || deps.index.nodeNameByIPAddress(client) ? deps.index.nodeOfSource(client) : undefined;
    if (clientNode) return deps.kubeProxy.forwardExternalUdp(msg, from, reply, vip, key, p, clientNode, 'loadBalancer');
    const healthy = targets(key).filter((t) => t.healthy);
    if (!healthy.length) return;
    // a flow stays on its target node (the load balancer's own flow table), as long as that node is healthy
    const flowNode = flowTargets.get(`${client}:${from.port}>${vip}`);
    const t = (flowNode && healthy.find((h) => h.node === flowNode)) || healthy[Math.floor(Math.random() * healthy.length)]!;
    flowTargets.set(`${client}:${from.port}>${vip}`, t.node);
    if (flowTargets.size > 10_000) flowTargets.clear();
    deps.kubeProxy.forwardExternalUdp(msg, from, reply, vip, key, p, t.node, 'loadBalancer');
  }

  function targets(key: string): LbTarget[] {
    const state = deps.kubeProxy.service(key);
    const [ns, name] = splitKey(key);
    const svc = state?.svc ?? ctx.store.get(svcDef, ns, name);
    if (!svc) return [];
    const nodes = ctx.store.list(nodeDef);
    const local = svc.spec?.externalTrafficPolicy === 'Local';
    return targetNodes(svc, nodes).map((node) => {
      if (!local) return { node, healthy: true, reason: 'kube-proxy healthy' };
      const n = deps.kubeProxy.localReadyEndpoints(key, node);
      return n > 0
        ? { node, healthy: true, reason: `healthCheckNodePort: 200 (localEndpoints ${n})` }
        : { node, healthy: false, reason: 'healthCheckNodePort: 503 (localEndpoints 0)' };
    });
  }

  function accepted(socket: net.Socket, key: string, portName: string): void {
    const client = plainIP(socket.remoteAddress);
    const state = deps.kubeProxy.service(key);
    const p = state?.ports.find((x) => x.name === portName);
    if (!state || !p) {
      socket.resetAndDestroy();
      return;
    }
    const svc = state.svc;
    if (!sourceAllowed(svc, client)) {
      deps.blackhole.hold(socket, SOURCE_RANGE_DROP_MS);
      return;
    }
    // In-cluster clients: kube-proxy on their node answers for the load-balancer IP.
    const clientNode = inCidr(client, CLUSTER_CIDR) || deps.index.nodeNameByIPAddress(client) ? deps.index.nodeOfSource(client) : undefined;
    if (clientNode) return deps.kubeProxy.forwardExternal(socket, key, p, clientNode, 'loadBalancer');
    const healthy = targets(key).filter((t) => t.healthy);
    if (!healthy.length) {
      if (svc.metadata.annotations?.[ANN_LB_UNHEALTHY] === 'reset') socket.resetAndDestroy();
      else deps.blackhole.hold(socket, UNHEALTHY_HOLD_MS);
      return;
    }
    const t = healthy[Math.floor(Math.random() * healthy.length)]!;
    deps.kubeProxy.forwardExternal(socket, key, p, t.node, 'loadBalancer');
  }

  return {
    name: 'dataplane-load-balancer',
    start(c) {
      ctx = c;
      svcDef = c.type('', 'services');
      nodeDef = c.type('', 'nodes');
      for (const s of c.store.list(svcDef)) queue.add(keyOf(s));
    },
    onEvent(ev: StoreEvent, def: ResourceDef) {
      if (!ctx) return;
      if (def.group === '' && def.plural === 'services') queue.add(keyOf(ev.object));
    },
    stop() {
      queue.stop();
      for (const key of served) {
        deps.listeners.release(`lb:${key}`);
        deps.udp?.release(`lb:${key}`);
      }
      served.clear();
    },
    targets,
  };
}

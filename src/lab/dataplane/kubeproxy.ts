// kube-proxy in iptables mode, as real TCP listeners (and UDP sockets for UDP Service ports, forwarded per flow
// through UdpConntrack — udp.ts): every Service ClusterIP:port and every NodePort on every
// node IP (127.0.1.N:nodePort) accepts connections and splices them to an endpoint from the Service's
// EndpointSlices, chosen at random (sessionAffinity ClientIP: sticky per client address).
//
// Semantics ported from pkg/proxy/iptables and pkg/proxy/topology.go (CategorizeEndpoints):
// - Usable endpoints are the ready ones; when none is ready anywhere, serving-and-terminating ones.
// - A Service port with no usable endpoint is REJECTed: its listeners are not bound, so clients get a real
//   ECONNREFUSED. The lab also unbinds them when every usable endpoint is known to refuse (a pod IP:port no pod
//   listens on — a wrong targetPort), so that a connection through the Service is refused exactly as the
//   pod's RST would refuse it through DNAT. When only some endpoints refuse, a connection that lands on one of
//   them is reset right after it was accepted (a listener cannot refuse a single connection).
// - externalTrafficPolicy Local, on NodePorts (and on load-balancer traffic, which arrives on them): only
//   endpoints on that node; none there while others exist → DROP (the connection is held, never answered). Pod
//   sources and the node itself short-circuit to all endpoints, as the KUBE-EXT chain does.
// - internalTrafficPolicy Local on ClusterIPs: only endpoints on the client's node, DROP when there are none.
// - Source addresses, as DNAT and KUBE-MARK-MASQ leave them: preserved for ClusterIP traffic and for external
//   traffic with externalTrafficPolicy Local; external traffic with policy Cluster is masqueraded to the IP of the
//   node that received it; a pod reaching itself through its Service (hairpin) is masqueraded to its node's IP.
//   Traffic from outside the cluster to a ClusterIP (the machine running the lab, 127.0.0.1) keeps its address.
// - The health check kube-proxy serves on healthCheckNodePort (Services of type LoadBalancer with
//   externalTrafficPolicy Local): http://<node IP>:<port>/<any path> → 200 or 503 with the JSON body of
//   pkg/proxy/healthcheck/service_health.go; localEndpoints counts the node's ready endpoints by IP.
// - Endpoints outside 127.0.0.0/8 are never dialled (the lab stays on loopback): connections to them are held.
//   The `kubernetes` Service's endpoint (127.0.0.1:6443) is the lab's API server, wherever it listens.
import * as http from 'node:http';
import type * as net from 'node:net';
import type { ResourceDef } from '../resources.ts';
import type { KObject, StoreEvent } from '../types.ts';
import { type Controller, type ControllerContext, keyOf, splitKey, WorkQueue } from '../controllers/runtime.ts';
import { type Blackhole, CLUSTER_CIDR, connectFrom, inCidr, isLoopback, type ListenerManager, type ListenerSpec, plainIP, splice } from './net.ts';
import type { ClusterIndex } from './policy.ts';
import type { UdpConntrack, UdpListeners, UdpListenerSpec, UdpPeer } from './udp.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** DROPped connections are held this long before the lab closes them. */
export const DROP_HOLD_MS = 120_000;
const APISERVER_ENDPOINT = '127.0.0.1:6443';
const HC = Symbol('lab.healthcheck-service');
const HC_NODE = Symbol('lab.healthcheck-node');

export interface Endpoint {
  ip: string;
  port: number;
  nodeName?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface PortState {
  /** The Service port's name ('' when unnamed). */
  name: string;
  port: number;
  protocol: string;
  nodePort?: number;
  endpoints: Endpoint[];
}

export interface ServiceState {
  key: string;
  svc: KObject;
  ports: PortState[];
}

export type Via = 'clusterIP' | 'nodePort' | 'loadBalancer';

export interface Flow {
  at: number;
  client: string;
  service: string;
  port: number;
  via: Via;
  node?: string;
  /** 'UDP' for datagram flows (TCP otherwise). */
  protocol?: string;
  /** The endpoint dialled (ip:port), when one was. */
  endpoint?: string;
  /** The source address the endpoint sees ('' = the kernel's choice). */
  source?: string;
  result: 'forwarded' | 'dropped' | 'rejected';
  reason?: string;
}

// ─── pure helpers ───────────────────────────────────────────────────────────────────────────────────────

/** The endpoints of one Service port from its EndpointSlices (matched by port name and protocol). */
export function endpointsFromSlices(slices: KObject[], portName: string, protocol = 'TCP'): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  for (const s of slices) {
    if (s.addressType && s.addressType !== 'IPv4') continue;
    const sp = (s.ports ?? []).find((p: any) => (p?.name ?? '') === portName && (p?.protocol ?? 'TCP') === protocol);
    const port = Number(sp?.port);
    if (!sp || !Number.isInteger(port) || port <= 0) continue;
    for (const ep of s.endpoints ?? []) {
      const c = ep?.conditions ?? {};
      const ready = c.ready === undefined || c.ready === null ? true : !!c.ready;
      const serving = c.serving === undefined || c.serving === null ? ready : !!c.serving;
      const terminating = !!c.terminating;
      for (const ip of ep?.addresses ?? []) {
        const id = `${ip}:${port}`;
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ ip, port, nodeName: ep.nodeName, ready, serving, terminating });
      }
    }
  }
  return out;
}

/** CategorizeEndpoints: ready endpoints, or serving-terminating ones when none is ready. */
export function usableEndpoints(eps: Endpoint[], filter: (e: Endpoint) => boolean = () => true): Endpoint[] {
  const ready = eps.filter((e) => e.ready && filter(e));
  if (ready.length) return ready;
  return eps.filter((e) => e.serving && e.terminating && filter(e));
}

/** kube-proxy's LocalReadyEndpoints for one Service: ready endpoints on `node`, counted by IP. */
export function localReadyEndpoints(state: ServiceState | undefined, node: string): number {
  if (!state) return 0;
  const ips = new Set<string>();
  for (const p of state.ports) for (const e of p.endpoints) if (e.ready && e.nodeName === node) ips.add(e.ip);
  return ips.size;
}

/** The body kube-proxy's service health server writes (dedented, trimmed of newlines, tab-indented). */
export function healthzBody(namespace: string, name: string, localEndpoints: number, serviceProxyHealthy = true): string {
  return `{\n\t"service": {\n\t\t"namespace": ${JSON.stringify(namespace)},\n\t\t"name": ${JSON.stringify(name)}\n\t},\n\t"localEndpoints": ${localEndpoints},\n\t"serviceProxyHealthy": ${serviceProxyHealthy}\n}`;
}

function svcType(svc: KObject): string {
  return svc.spec?.type ?? 'ClusterIP';
}

function etpLocal(svc: KObject): boolean {
  const t = svcType(svc);
  return (t === 'NodePort' || t === 'LoadBalancer') && svc.spec?.externalTrafficPolicy === 'Local';
}

// ─── the controller ─────────────────────────────────────────────────────────────────────────────────────

export interface KubeProxyDeps {
  listeners: ListenerManager;
  /** UDP Service ports are served only with these two. */
  udp?: UdpListeners;
  conntrack?: UdpConntrack;
  index: ClusterIndex;
  blackhole: Blackhole;
  /**
   * The egress NetworkPolicy check for endpoints that are not pods (the API server, addresses outside the
   * cluster); pod endpoints check egress and ingress themselves when the connection arrives.
   */
  egress?: (sourceIP: string, destIP: string, port: number, protocol: string) => boolean;
  /** Where the `kubernetes` Service's endpoint really is (the lab API server). */
  apiServer?: { host: string; port: number };
  log?: (line: string) => void;
}

export interface KubeProxy extends Controller {
  service(key: string): ServiceState | undefined;
  /** Ready endpoints of a Service on a node, by IP (the healthCheckNodePort answer). */
  localReadyEndpoints(key: string, node: string): number;
  /**
   * Handles a connection as if it arrived on `node`'s NodePort for the Service port (the path a cloud load
   * balancer in instance mode uses), or — with `node` being the client's own node — as the KUBE-EXT chain does
   * for in-cluster traffic to an external address.
   */
  forwardExternal(socket: net.Socket, key: string, port: PortState, node: string, via: Via): void;
  /** forwardExternal for one datagram of a UDP flow to `vip` (the address:port the client sent it to). */
  forwardExternalUdp(msg: Buffer, from: UdpPeer, reply: (buf: Buffer) => void, vip: string, key: string, port: PortState, node: string, via: Via): void;
  /** Recent connections (newest last), like `conntrack -L`. */
  flows(): Flow[];
}

const FLOW_MAX = 2000;

export function kubeProxy(deps: KubeProxyDeps): KubeProxy {
  let ctx: ControllerContext;
  let svcDef: ResourceDef;
  let sliceDef: ResourceDef;
  const states = new Map<string, ServiceState>();
  /** endpoint IP → Service keys using it (to react to pod listeners coming and going). */
  const byEndpointIP = new Map<string, Set<string>>();
  const affinity = new Map<string, { ip: string; port: number; until: number }>();
  const flowLog: Flow[] = [];
  const log = deps.log ?? ((l: string) => console.error(`lab: data plane: ${l}`));
  const queue = new WorkQueue(
    (k) => reconcile(k),
    (k, e) => log(`kube-proxy ${k}: ${(e as Error)?.stack ?? e}`),
  );
  let unsubscribeListeners: (() => void) | undefined;

  const health = http.createServer((req, res) => {
    const key: string | undefined = (req.socket as any)[HC];
    const node: string | undefined = (req.socket as any)[HC_NODE];
    req.resume();
    const [ns, name] = splitKey(key ?? '');
    const count = key && node ? localReadyEndpoints(states.get(key), node) : 0;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.statusCode = count !== 0 ? 200 : 503;
    res.end(healthzBody(ns ?? '', name, count, true));
  });
  health.on('clientError', (_e, s: net.Socket) => s.destroy());

  function record(f: Omit<Flow, 'at'>): void {
    flowLog.push({ at: Date.now(), ...f });
    if (flowLog.length > 2 * FLOW_MAX) flowLog.splice(0, flowLog.length - FLOW_MAX); // amortised O(1)
  }

  function nodeIPs(): [string, string][] {
    const out: [string, string][] = [];
    for (const n of deps.index.nodeNames()) {
      const ip = deps.index.nodeIP(n);
      if (ip) out.push([n, ip]);
    }
    return out;
  }

  function isNodeIP(ip: string): boolean {
    return deps.index.nodeNameByIPAddress(ip) !== undefined;
  }

  /** Whether dialling an endpoint can succeed: lab-managed addresses only when something listens there. */
  function reachable(e: Endpoint, protocol = 'TCP'): boolean {
    if (protocol === 'UDP') return inCidr(e.ip, CLUSTER_CIDR) || isNodeIP(e.ip) ? !!deps.udp?.isBound(e.ip, e.port) : true;
    if (`${e.ip}:${e.port}` === APISERVER_ENDPOINT) return true;
    if (inCidr(e.ip, CLUSTER_CIDR) || isNodeIP(e.ip)) return deps.listeners.isBound(e.ip, e.port) || deps.listeners.isReserved(e.ip, e.port);
    return true;
  }

  function indexEndpoints(key: string, before: ServiceState | undefined, after: ServiceState | undefined): void {
    for (const p of before?.ports ?? []) for (const e of p.endpoints) byEndpointIP.get(e.ip)?.delete(key);
    for (const p of after?.ports ?? []) {
      for (const e of p.endpoints) {
        let s = byEndpointIP.get(e.ip);
        if (!s) byEndpointIP.set(e.ip, (s = new Set()));
        s.add(key);
      }
    }
  }

  function reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const svc = ctx.store.get(svcDef, ns, name);
    const before = states.get(key);
    if (!svc || svcType(svc) === 'ExternalName') {
      states.delete(key);
      indexEndpoints(key, before, undefined);
      deps.listeners.release(`svc:${key}`);
      deps.udp?.release(`svc:${key}`);
      return;
    }
    const slices = ctx.store.list(sliceDef, ns, { labelSelector: [{ key: SERVICE_NAME_LABEL, op: 'in', values: [name] }] });
    const ports: PortState[] = [];
    for (const p of svc.spec?.ports ?? []) {
      const protocol = p?.protocol ?? 'TCP';
      const port = Number(p?.port);
      if (!Number.isInteger(port)) continue;
      ports.push({
        name: p.name ?? '',
        port,
        protocol,
        nodePort: Number.isInteger(p.nodePort) && p.nodePort > 0 ? p.nodePort : undefined,
        endpoints: endpointsFromSlices(slices, p.name ?? '', protocol),
      });
    }
    const state: ServiceState = { key, svc, ports };
    states.set(key, state);
    indexEndpoints(key, before, state);

    const wanted: ListenerSpec[] = [];
    const udpWanted: UdpListenerSpec[] = [];
    const clusterIP: string | undefined = svc.spec?.clusterIP;
    const nodes = nodeIPs();
    for (const p of ports) {
      if (p.protocol === 'UDP') {
        // REJECT as for TCP: nothing bound → the kernel's ICMP port unreachable (ECONNREFUSED on a connected socket)
        if (!usableEndpoints(p.endpoints).some((e) => reachable(e, 'UDP'))) continue;
        if (clusterIP && clusterIP !== 'None' && isLoopback(clusterIP)) {
          const vip = `${clusterIP}:${p.port}`;
          udpWanted.push({ address: clusterIP, port: p.port, handler: (msg, from, reply) => onClusterIPUdp(msg, from, reply, vip, key, p.name) });
        }
        if (p.nodePort && (svcType(svc) === 'NodePort' || svcType(svc) === 'LoadBalancer')) {
          for (const [node, ip] of nodes) {
            const vip = `${ip}:${p.nodePort}`;
            udpWanted.push({
              address: ip,
              port: p.nodePort,
              handler: (msg, from, reply) => {
                const cur = portOf(key, p.name, 'UDP');
                if (cur) forwardExternalUdp(msg, from, reply, vip, key, cur, node, 'nodePort');
              },
            });
          }
        }
        continue;
      }
      if (p.protocol !== 'TCP') continue;
      const usable = usableEndpoints(p.endpoints);
      // REJECT: no endpoints (or every one refuses) → nothing listens → ECONNREFUSED.
      const open = usable.some((e) => reachable(e));
      if (!open) continue;
      if (clusterIP && clusterIP !== 'None' && isLoopback(clusterIP)) {
        wanted.push({ address: clusterIP, port: p.port, dropConnectionsOnClose: false, handler: (s) => onClusterIP(s, key, p.name) });
      }
      if (p.nodePort && (svcType(svc) === 'NodePort' || svcType(svc) === 'LoadBalancer')) {
        for (const [node, ip] of nodes) {
          wanted.push({ address: ip, port: p.nodePort, dropConnectionsOnClose: false, handler: (s) => onNodePort(s, key, p.name, node) });
        }
      }
    }
    const hc = Number(svc.spec?.healthCheckNodePort);
    if (svcType(svc) === 'LoadBalancer' && etpLocal(svc) && Number.isInteger(hc) && hc > 0) {
      for (const [node, ip] of nodes) {
        wanted.push({
          address: ip,
          port: hc,
          handler: (s) => {
            (s as any)[HC] = key;
            (s as any)[HC_NODE] = node;
            health.emit('connection', s);
          },
        });
      }
    }
    deps.listeners.sync(`svc:${key}`, wanted);
    deps.udp?.sync(`svc:${key}`, udpWanted);
    // UDP flows pinned to an endpoint that is no longer usable are forgotten (conntrack entries flushed, as
    // kube-proxy deletes stale UDP conntrack entries when an endpoint goes away).
    if (deps.conntrack && before) {
      const live = new Set<string>();
      for (const p of ports) if (p.protocol === 'UDP') for (const e of usableEndpoints(p.endpoints)) live.add(`${e.ip}:${e.port}`);
      const had = new Set<string>();
      for (const p of before.ports) if (p.protocol === 'UDP') for (const e of p.endpoints) had.add(`${e.ip}:${e.port}`);
      if (had.size) deps.conntrack.prune((ep) => had.has(ep) && !live.has(ep));
    }
  }

  function portOf(key: string, portName: string, protocol = 'TCP'): PortState | undefined {
    return states.get(key)?.ports.find((p) => p.name === portName && p.protocol === protocol);
  }

  /** DNAT of one datagram to `ep`, through the flow's conntrack entry (sticky for the flow's life). */
  function dialUdp(msg: Buffer, from: UdpPeer, reply: (buf: Buffer) => void, vip: string, ep: Endpoint, source: string, f: Omit<Flow, 'at' | 'result' | 'endpoint' | 'source'>): void {
    if (!deps.conntrack) return;
    if (!isLoopback(ep.ip)) {
      record({ ...f, protocol: 'UDP', endpoint: `${ep.ip}:${ep.port}`, result: 'dropped', reason: 'endpoint outside the lab (not dialled)' });
      return;
    }
    const endpoint = `${ep.ip}:${ep.port}`;
    if (!inCidr(ep.ip, CLUSTER_CIDR) && deps.egress && !deps.egress(f.client, ep.ip, ep.port, 'UDP')) {
      record({ ...f, protocol: 'UDP', endpoint, result: 'dropped', reason: 'egress denied by NetworkPolicy' });
      return;
    }
    if (deps.conntrack.endpointOf(from, vip) !== endpoint) record({ ...f, protocol: 'UDP', endpoint, source, result: 'forwarded' });
    deps.conntrack.forward(msg, from, vip, endpoint, source, reply);
  }

  /** An existing flow keeps its endpoint while that endpoint is still usable. */
  function pickUdp(key: string, p: PortState, eps: Endpoint[], from: UdpPeer, vip: string): Endpoint {
    const cur = deps.conntrack?.endpointOf(from, vip);
    const same = cur ? eps.find((e) => `${e.ip}:${e.port}` === cur) : undefined;
    return same ?? pick(key, p, eps, from.address);
  }

  function onClusterIPUdp(msg: Buffer, from: UdpPeer, reply: (buf: Buffer) => void, vip: string, key: string, portName: string): void {
    const p = portOf(key, portName, 'UDP');
    const client = from.address;
    const base = { client, service: key, port: p?.port ?? 0, via: 'clusterIP' as const, protocol: 'UDP' };
    if (!p) return record({ ...base, result: 'rejected', reason: 'no such service port' });
    const svc = states.get(key)!.svc;
    let eps = usableEndpoints(p.endpoints);
    if (!eps.length) return record({ ...base, result: 'rejected', reason: 'has no endpoints' });
    if (svc.spec?.internalTrafficPolicy === 'Local') {
      const node = deps.index.nodeOfSource(client);
      eps = node ? usableEndpoints(p.endpoints, (e) => e.nodeName === node) : [];
      if (!eps.length) return record({ ...base, node, result: 'dropped', reason: 'has no local endpoints' });
    }
    const ep = pickUdp(key, p, eps, from, vip);
    let source = isLoopback(client) ? client : '';
    if (client === ep.ip) source = (ep.nodeName && deps.index.nodeIP(ep.nodeName)) || '';
    dialUdp(msg, from, reply, vip, ep, source, base);
  }

  function forwardExternalUdp(msg: Buffer, from: UdpPeer, reply: (buf: Buffer) => void, vip: string, key: string, p: PortState, node: string, via: Via): void {
    const client = from.address;
    const base = { client, service: key, port: p.port, via, node, protocol: 'UDP' };
    const state = states.get(key);
    if (!state) return record({ ...base, result: 'rejected', reason: 'no such service' });
    const all = usableEndpoints(p.endpoints);
    if (!all.length) return record({ ...base, result: 'rejected', reason: 'has no endpoints' });
    const nodeIP = deps.index.nodeIP(node) ?? '';
    if (etpLocal(state.svc)) {
      const inCluster = inCidr(client, CLUSTER_CIDR) || client === nodeIP;
      const eps = inCluster ? all : usableEndpoints(p.endpoints, (e) => e.nodeName === node);
      if (!eps.length) return record({ ...base, result: 'dropped', reason: 'has no local endpoints' });
      const ep = pickUdp(key, p, eps, from, vip);
      const source = client === ep.ip ? nodeIP : isLoopback(client) ? client : '';
      return dialUdp(msg, from, reply, vip, ep, source, base);
    }
    const ep = pickUdp(key, p, all, from, vip);
    dialUdp(msg, from, reply, vip, ep, nodeIP, base); // masqueraded to the receiving node's IP
  }

  function pick(key: string, p: PortState, eps: Endpoint[], client: string): Endpoint {
    const svc = states.get(key)?.svc;
    if (svc?.spec?.sessionAffinity === 'ClientIP') {
      const id = `${key}/${p.name}/${client}`;
      const a = affinity.get(id);
      const now = Date.now();
      if (a && a.until > now) {
        const same = eps.find((e) => e.ip === a.ip && e.port === a.port);
        if (same) {
          a.until = now + affinityTimeout(svc);
          return same;
        }
      }
      const e = eps[Math.floor(Math.random() * eps.length)]!;
      affinity.set(id, { ip: e.ip, port: e.port, until: now + affinityTimeout(svc) });
      if (affinity.size > 10_000) for (const [k, v] of affinity) if (v.until <= now) affinity.delete(k);
      return e;
    }
    return eps[Math.floor(Math.random() * eps.length)]!;
  }

  function affinityTimeout(svc: KObject): number {
    const t = Number(svc.spec?.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800);
    return (Number.isFinite(t) && t > 0 ? t : 10800) * 1000;
  }

  function reject(socket: net.Socket, f: Omit<Flow, 'at' | 'result'>): void {
    record({ ...f, result: 'rejected' });
    socket.on('error', () => {});
    socket.resetAndDestroy();
  }

  function drop(socket: net.Socket, f: Omit<Flow, 'at' | 'result'>): void {
    record({ ...f, result: 'dropped' });
    deps.blackhole.hold(socket, DROP_HOLD_MS);
  }

  /** DNAT to the endpoint, from `source` ('' = the kernel's choice). */
  function dial(socket: net.Socket, ep: Endpoint, source: string, f: Omit<Flow, 'at' | 'result' | 'endpoint' | 'source'>): void {
    let host = ep.ip;
    let port = ep.port;
    if (`${ep.ip}:${ep.port}` === APISERVER_ENDPOINT && deps.apiServer) {
      host = deps.apiServer.host;
      port = deps.apiServer.port;
    }
    if (!inCidr(ep.ip, CLUSTER_CIDR) && deps.egress && !deps.egress(f.client, ep.ip, ep.port, 'TCP')) {
      return drop(socket, { ...f, endpoint: `${ep.ip}:${ep.port}`, reason: 'egress denied by NetworkPolicy' });
    }
    if (!isLoopback(host)) return drop(socket, { ...f, endpoint: `${ep.ip}:${ep.port}`, reason: 'endpoint outside the lab (not dialled)' });
    record({ ...f, endpoint: `${ep.ip}:${ep.port}`, source, result: 'forwarded' });
    const up = connectFrom(source || undefined, host, port, { allowHalfOpen: true });
    splice(socket, up, () => {
      // The endpoint refused or reset: through DNAT the client gets the endpoint's RST.
      socket.resetAndDestroy();
    });
  }

  function onClusterIP(socket: net.Socket, key: string, portName: string): void {
    const p = portOf(key, portName);
    const client = plainIP(socket.remoteAddress);
    const base = { client, service: key, port: p?.port ?? 0, via: 'clusterIP' as const };
    if (!p) return reject(socket, { ...base, reason: 'no such service port' });
    const svc = states.get(key)!.svc;
    let eps = usableEndpoints(p.endpoints);
    if (!eps.length) return reject(socket, { ...base, reason: 'has no endpoints' });
    if (svc.spec?.internalTrafficPolicy === 'Local') {
      const node = deps.index.nodeOfSource(client);
      eps = node ? usableEndpoints(p.endpoints, (e) => e.nodeName === node) : [];
      if (!eps.length) return drop(socket, { ...base, node, reason: 'has no local endpoints' });
    }
    const ep = pick(key, p, eps, client);
    let source = isLoopback(client) ? client : '';
    if (client === ep.ip) source = (ep.nodeName && deps.index.nodeIP(ep.nodeName)) || ''; // hairpin: masqueraded
    dial(socket, ep, source, base);
  }

  function onNodePort(socket: net.Socket, key: string, portName: string, node: string): void {
    const p = portOf(key, portName);
    if (!p) {
      record({ client: plainIP(socket.remoteAddress), service: key, port: 0, via: 'nodePort', node, result: 'rejected', reason: 'no such service port' });
      socket.resetAndDestroy();
      return;
    }
    forwardExternal(socket, key, p, node, 'nodePort');
  }

  function forwardExternal(socket: net.Socket, key: string, p: PortState, node: string, via: Via): void {
    const client = plainIP(socket.remoteAddress);
    const base = { client, service: key, port: p.port, via, node };
    const state = states.get(key);
    if (!state) return reject(socket, { ...base, reason: 'no such service' });
    const all = usableEndpoints(p.endpoints);
    if (!all.length) return reject(socket, { ...base, reason: 'has no endpoints' });
    const nodeIP = deps.index.nodeIP(node) ?? '';
    if (etpLocal(state.svc)) {
      // KUBE-EXT: pod sources and the node itself go to every endpoint; the rest only to local ones.
      const inCluster = inCidr(client, CLUSTER_CIDR) || client === nodeIP;
      const eps = inCluster ? all : usableEndpoints(p.endpoints, (e) => e.nodeName === node);
      if (!eps.length) return drop(socket, { ...base, reason: 'has no local endpoints' });
      const ep = pick(key, p, eps, client);
      const source = client === ep.ip ? nodeIP : isLoopback(client) ? client : '';
      return dial(socket, ep, source, base);
    }
    const ep = pick(key, p, all, client);
    dial(socket, ep, nodeIP, base); // masqueraded to the receiving node's IP
  }

  function enqueueAll(): void {
    for (const s of ctx.store.list(svcDef)) queue.add(keyOf(s));
  }

  return {
    name: 'dataplane-kube-proxy',
    start(c) {
      ctx = c;
      svcDef = c.type('', 'services');
      sliceDef = c.type('discovery.k8s.io', 'endpointslices');
      const onListener = (address: string) => {
        const keys = byEndpointIP.get(address);
        if (keys) for (const k of keys) queue.add(k);
      };
      const offTcp = deps.listeners.onChange(onListener);
      const offUdp = deps.udp?.onChange(onListener);
      unsubscribeListeners = () => {
        offTcp();
        offUdp?.();
      };
      enqueueAll();
    },
    onEvent(ev: StoreEvent, def: ResourceDef) {
      if (!ctx) return;
      if (def.group === '' && def.plural === 'services') queue.add(keyOf(ev.object));
      else if (def.group === 'discovery.k8s.io' && def.plural === 'endpointslices') {
        const svc = ev.object.metadata.labels?.[SERVICE_NAME_LABEL] ?? ev.old?.metadata.labels?.[SERVICE_NAME_LABEL];
        if (svc) queue.add(`${ev.object.metadata.namespace}/${svc}`);
      } else if (def.group === '' && def.plural === 'nodes') {
        const ip = (o?: KObject) => JSON.stringify(o?.status?.addresses ?? null);
        if (ev.type !== 'MODIFIED' || ip(ev.object) !== ip(ev.old)) enqueueAll();
      }
    },
    stop() {
      queue.stop();
      unsubscribeListeners?.();
      for (const key of states.keys()) {
        deps.listeners.release(`svc:${key}`);
        deps.udp?.release(`svc:${key}`);
      }
      states.clear();
      health.close();
    },
    service: (key) => states.get(key),
    localReadyEndpoints: (key, node) => localReadyEndpoints(states.get(key), node),
    forwardExternal,
    forwardExternalUdp,
    flows: () => flowLog.slice(-FLOW_MAX),
  };
}

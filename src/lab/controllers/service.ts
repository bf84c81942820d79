// The Service side of the control plane: what kube-apiserver's Service REST storage allocates (ClusterIPs from
// the service CIDR, NodePorts, healthCheckNodePort), the `kubernetes` Service its bootstrap controller keeps, and
// what a cloud load-balancer controller (cloud-controller-manager's service controller) writes into
// status.loadBalancer, from the lab pool (docs/LAB.md).
import type { ResourceDef, ResourceRegistry } from '../resources.ts';
import type { KObject } from '../types.ts';
import { clone, type Store } from '../store/store.ts';
import { invalid } from '../store/errors.ts';
import { deepEqual } from '../store/equal.ts';
import { type Controller, type ControllerContext, keyOf, splitKey, WorkQueue } from './runtime.ts';

export const SERVICE_CIDR = '127.2.0.0/16';
export const KUBERNETES_SERVICE_IP = '127.2.0.1';
export const KUBE_DNS_SERVICE_IP = '127.2.0.10';
export const NODE_PORT_MIN = 30000;
export const NODE_PORT_MAX = 32767;
export const LB_POOL_FIRST = '127.0.10.10';
export const LB_POOL_LAST = '127.0.10.250';
/** `lab.netpath.dev/lb: pending`: no load-balancer controller ever provisions this Service. */
export const LB_ANNOTATION = 'lab.netpath.dev/lb';
/** Where the lab's `kubernetes` Endpoints point (the API server listens on loopback). */
export const APISERVER_ENDPOINT_IP = '127.0.0.1';

const SERVICE_CONTROLLER = 'service-controller';

// ─── Address arithmetic ─────────────────────────────────────────────────────────────────────────────────

export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

export function intToIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const CIDR_BASE = ipToInt('127.2.0.0')!;
const CIDR_SIZE = 1 << 16;
/** The first addresses of the range are kept for static (requested) allocation, as the apiserver's allocator does. */
const CIDR_STATIC_BAND = Math.min(Math.max(16, Math.floor((CIDR_SIZE - 2) / 16)), 256);
const NODE_PORT_STATIC_BAND = Math.min(Math.max(16, Math.floor((NODE_PORT_MAX - NODE_PORT_MIN + 1) / 32)), 128);

function inServiceCIDR(ip: string): boolean {
  const n = ipToInt(ip);
  return n !== undefined && n > CIDR_BASE && n < CIDR_BASE + CIDR_SIZE - 1;
}

function inLBPool(ip: string): boolean {
  const n = ipToInt(ip);
  return n !== undefined && n >= ipToInt(LB_POOL_FIRST)! && n <= ipToInt(LB_POOL_LAST)!;
}

// ─── Allocation bookkeeping ─────────────────────────────────────────────────────────────────────────────

interface Held {
  ips: string[];
  ports: number[];
  lb: string[];
}

/** Who holds which ClusterIP, NodePort and load-balancer address, kept current from the Store's change feed. */
class Allocations {
  readonly clusterIPs = new Map<string, string>();
  readonly nodePorts = new Map<number, string>();
  readonly lbIPs = new Map<string, string>();
  private held = new Map<string, Held>();

  constructor(store: Store, def: ResourceDef) {
    for (const s of store.list(def)) this.add(s);
    store.subscribe((ev, d) => {
      if (d.group !== '' || d.plural !== 'services') return;
      const key = keyOf(ev.object);
      this.drop(key);
      if (ev.type !== 'DELETED') this.add(ev.object);
    });
  }

  private add(svc: KObject): void {
    const key = keyOf(svc);
    const h = heldBy(svc);
    for (const ip of h.ips) if (!this.clusterIPs.has(ip)) this.clusterIPs.set(ip, key);
    for (const p of h.ports) if (!this.nodePorts.has(p)) this.nodePorts.set(p, key);
    for (const ip of h.lb) if (!this.lbIPs.has(ip)) this.lbIPs.set(ip, key);
    this.held.set(key, h);
  }

  private drop(key: string): void {
    const h = this.held.get(key);
    if (!h) return;
    for (const ip of h.ips) if (this.clusterIPs.get(ip) === key) this.clusterIPs.delete(ip);
    for (const p of h.ports) if (this.nodePorts.get(p) === key) this.nodePorts.delete(p);
    for (const ip of h.lb) if (this.lbIPs.get(ip) === key) this.lbIPs.delete(ip);
    this.held.delete(key);
  }
}

function heldBy(svc: KObject): Held {
  const s = svc.spec ?? {};
  const ips = new Set<string>();
  for (const ip of [s.clusterIP, ...(Array.isArray(s.clusterIPs) ? s.clusterIPs : [])]) {
    if (typeof ip === 'string' && ip && ip !== 'None') ips.add(ip);
  }
  const ports = new Set<number>();
  for (const p of s.ports ?? []) if (Number.isInteger(p?.nodePort) && p.nodePort > 0) ports.add(p.nodePort);
  if (Number.isInteger(s.healthCheckNodePort) && s.healthCheckNodePort > 0) ports.add(s.healthCheckNodePort);
  const lb = new Set<string>();
  for (const i of svc.status?.loadBalancer?.ingress ?? []) if (typeof i?.ip === 'string' && i.ip) lb.add(i.ip);
  return { ips: [...ips], ports: [...ports], lb: [...lb] };
}

const ALLOCATIONS = new WeakMap<Store, Allocations>();

function allocations(store: Store, registry: ResourceRegistry): Allocations {
  let a = ALLOCATIONS.get(store);
  if (!a) ALLOCATIONS.set(store, (a = new Allocations(store, registry.type('', 'services'))));
  return a;
}

function randomFree(lo: number, hi: number, taken: (n: number) => boolean): number | undefined {
  const size = hi - lo + 1;
  if (size <= 0) return undefined;
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const n = lo + ((start + i) % size);
    if (!taken(n)) return n;
  }
  return undefined;
}

export interface AllocateOptions {
  /**
   * Throw a 422 Invalid (the apiserver's wording) when a requested ClusterIP or NodePort is outside its range or
   * held by another Service. Without it, conflicting requested values are left as they are (the controller path:
   * rejecting is admission's job) and only missing allocations are filled.
   */
  strict?: boolean;
}

/**
 * Allocates what kube-apiserver allocates synchronously on a Service create or update: `spec.clusterIP`/`clusterIPs`
 * from 127.2.0.0/16 (dynamic allocations avoid the low static band, where `kubernetes` = 127.2.0.1 and
 * `kube-dns` = 127.2.0.10 live; a requested address is honoured; `None` is headless), a NodePort for every port of
 * a NodePort Service and of a LoadBalancer Service with allocateLoadBalancerNodePorts, and `healthCheckNodePort`
 * for a LoadBalancer with externalTrafficPolicy Local. Fields that no longer apply to the type are dropped.
 * With `old` (an update), allocations the new object leaves empty are carried over, as the apiserver does.
 * Mutates and returns `obj`. Pure apart from reading who holds what in the Store.
 */
export function allocateServiceAddresses(store: Store, registry: ResourceRegistry, obj: KObject, old?: KObject, opts: AllocateOptions = {}): KObject {
  const a = allocations(store, registry);
  const spec = (obj.spec ??= {});
  const type: string = spec.type ?? 'ClusterIP';
  const self = obj.metadata?.name ? `${obj.metadata.namespace ?? ''}/${obj.metadata.name}` : undefined;
  const mine = (holder: string | undefined) => holder === undefined || holder === self;
  const causes: { field: string; message: string }[] = [];
  const ports: any[] = Array.isArray(spec.ports) ? spec.ports : [];

  if (old?.spec) carryOver(spec, old.spec, type);

  // ClusterIP
  if (type === 'ExternalName') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  } else {
    let ip: string | undefined = spec.clusterIP || (Array.isArray(spec.clusterIPs) ? spec.clusterIPs[0] : undefined) || undefined;
    if (ip === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
    } else {
      if (ip !== undefined) {
        const problem = !inServiceCIDR(ip)
          ? `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${SERVICE_CIDR}`
          : !mine(a.clusterIPs.get(ip))
            ? 'provided IP is already allocated'
            : undefined;
        if (problem) causes.push({ field: 'spec.clusterIPs', message: `Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: ${problem}` });
      } else {
        const taken = (n: number) => a.clusterIPs.has(intToIp(n));
        const n =
          randomFree(CIDR_BASE + CIDR_STATIC_BAND + 1, CIDR_BASE + CIDR_SIZE - 2, taken) ??
          randomFree(CIDR_BASE + 1, CIDR_BASE + CIDR_STATIC_BAND, (x) => taken(x) || x === ipToInt(KUBERNETES_SERVICE_IP) || x === ipToInt(KUBE_DNS_SERVICE_IP));
        if (n === undefined) causes.push({ field: 'spec.clusterIPs', message: `Internal error: failed to allocate a serviceIP: range is full` });
        else ip = intToIp(n);
      }
      if (ip !== undefined) {
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
    }
  }

  // NodePorts
  const wantsNodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
  const usedHere = new Set<number>();
  const portTaken = (n: number) => usedHere.has(n) || !mine(a.nodePorts.get(n));
  const check = (field: string, n: number) => {
    if (n < NODE_PORT_MIN || n > NODE_PORT_MAX)
      causes.push({ field, message: `Invalid value: ${n}: provided port is not in the valid range. The range of valid ports is ${NODE_PORT_MIN}-${NODE_PORT_MAX}` });
    else if (!mine(a.nodePorts.get(n))) causes.push({ field, message: `Invalid value: ${n}: provided port is already allocated` });
  };
  const fresh = () => randomFree(NODE_PORT_MIN + NODE_PORT_STATIC_BAND, NODE_PORT_MAX, portTaken) ?? randomFree(NODE_PORT_MIN, NODE_PORT_MAX, portTaken);
  if (type === 'ClusterIP' || type === 'ExternalName') {
    for (const p of ports) delete p.nodePort;
  } else {
    // Requested ports first, so automatic ones never collide with them.
    ports.forEach((p, i) => {
      if (Number.isInteger(p.nodePort) && p.nodePort > 0) {
        if (opts.strict && !usedHere.has(p.nodePort)) check(`spec.ports[${i}].nodePort`, p.nodePort);
        usedHere.add(p.nodePort);
      }
    });
    if (wantsNodePorts) {
      // One port number served over two protocols shares its NodePort, as the apiserver allocates it.
      const byPort = new Map<number, number>();
      for (const p of ports) if (p.nodePort) byPort.set(p.port, p.nodePort);
      for (const p of ports) {
        if (p.nodePort) continue;
        const n = byPort.get(p.port) ?? fresh();
        if (n === undefined) {
          causes.push({ field: 'spec.ports', message: 'Internal error: failed to allocate a nodePort: range is full' });
          break;
        }
        p.nodePort = n;
        usedHere.add(n);
        byPort.set(p.port, n);
      }
    }
  }

  // healthCheckNodePort
  if (type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local') {
    if (Number.isInteger(spec.healthCheckNodePort) && spec.healthCheckNodePort > 0) {
      if (opts.strict) check('spec.healthCheckNodePort', spec.healthCheckNodePort);
    } else {
      const n = fresh();
      if (n === undefined) causes.push({ field: 'spec.healthCheckNodePort', message: 'Internal error: failed to allocate a nodePort: range is full' });
      else spec.healthCheckNodePort = n;
    }
  } else {
    delete spec.healthCheckNodePort;
  }

  if (causes.length && opts.strict) throw invalid('Service', '', obj.metadata?.name ?? '', causes);
  return obj;
}

/** patchAllocatedValues: an update that leaves an allocated field empty keeps the old value. */
function carryOver(spec: any, oldSpec: any, type: string): void {
  if (type !== 'ExternalName' && (oldSpec.type ?? 'ClusterIP') !== 'ExternalName') {
    if (!spec.clusterIP && !(spec.clusterIPs?.length) && oldSpec.clusterIP) {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = clone(oldSpec.clusterIPs ?? [oldSpec.clusterIP]);
    }
  }
  if (type === 'NodePort' || type === 'LoadBalancer') {
    const oldPorts: any[] = oldSpec.ports ?? [];
    for (const p of spec.ports ?? []) {
      if (p.nodePort) continue;
      const prev = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP') && o.nodePort);
      if (prev) p.nodePort = prev.nodePort;
    }
    if (!spec.healthCheckNodePort && oldSpec.healthCheckNodePort && type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local')
      spec.healthCheckNodePort = oldSpec.healthCheckNodePort;
  }
}

// ─── The `kubernetes` Service ───────────────────────────────────────────────────────────────────────────

function kubernetesService(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      clusterIP: KUBERNETES_SERVICE_IP,
      clusterIPs: [KUBERNETES_SERVICE_IP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  };
}

/** The Endpoints and EndpointSlice kube-apiserver's endpoint reconciler keeps for `kubernetes`. */
function ensureKubernetesEndpoints(ctx: ControllerContext): void {
  const { store } = ctx;
  const epDef = ctx.type('', 'endpoints');
  if (!store.get(epDef, 'default', 'kubernetes')) {
    store.create(epDef, {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: APISERVER_ENDPOINT_IP }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }],
    });
  }
  const esDef = ctx.type('discovery.k8s.io', 'endpointslices');
  if (!store.get(esDef, 'default', 'kubernetes')) {
    store.create(esDef, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [APISERVER_ENDPOINT_IP], conditions: { ready: true } }],
      ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
    });
  }
}

// ─── The controller ─────────────────────────────────────────────────────────────────────────────────────

const BOOTSTRAP = '\0kubernetes';

export function serviceController(): Controller {
  let queue: WorkQueue | undefined;
  let ctx: ControllerContext;
  const lastFailure = new Map<string, string>();

  function reconcile(key: string): void {
    const { store, registry } = ctx;
    const def = ctx.type('', 'services');
    if (key === BOOTSTRAP) {
      if (!store.get(def, 'default', 'kubernetes')) store.create(def, kubernetesService());
      ensureKubernetesEndpoints(ctx);
      return;
    }
    const [ns, name] = splitKey(key);
    const svc = store.get(def, ns, name);
    if (!svc || svc.metadata.deletionTimestamp) {
      lastFailure.delete(key);
      return;
    }
    const draft = clone(svc);
    allocateServiceAddresses(store, registry, draft);

    const type = draft.spec?.type ?? 'ClusterIP';
    const lb = (draft.status ??= {}).loadBalancer ?? {};
    const had: any[] = Array.isArray(lb.ingress) ? lb.ingress : [];
    const events: [type: 'Normal' | 'Warning', reason: string, message: string][] = [];
    if (type === 'LoadBalancer' && draft.metadata.annotations?.[LB_ANNOTATION] !== 'pending') {
      const want: string | undefined = draft.spec.loadBalancerIP || undefined;
      const current = had.map((i) => i?.ip).filter((ip): ip is string => typeof ip === 'string' && inLBPool(ip));
      if (current.length && (!want || current[0] === want)) {
        draft.status.loadBalancer = { ingress: [{ ip: current[0], ipMode: 'VIP' }] };
      } else {
        const a = allocations(store, registry);
        const free = (ip: string) => {
          const holder = a.lbIPs.get(ip);
          return holder === undefined || holder === key;
        };
        let ip: string | undefined;
        let failure: string | undefined;
        if (want) {
          if (inLBPool(want) && free(want)) ip = want;
          else failure = `requested loadBalancerIP "${want}" is not available`;
        } else {
          for (let n = ipToInt(LB_POOL_FIRST)!; n <= ipToInt(LB_POOL_LAST)!; n++) {
            if (free(intToIp(n))) {
              ip = intToIp(n);
              break;
            }
          }
          if (!ip) failure = 'no available address in the load balancer pool';
        }
        events.push(['Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer']);
        if (ip) {
          draft.status.loadBalancer = { ingress: [{ ip, ipMode: 'VIP' }] };
          events.push(['Normal', 'EnsuredLoadBalancer', 'Ensured load balancer']);
        } else {
          draft.status.loadBalancer = {};
          events.push(['Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: failed to ensure load balancer: ${failure}`]);
        }
      }
    } else {
      draft.status.loadBalancer = {};
      // A load balancer that existed goes away with the type change (no events for the lab's "no controller" case).
      if (had.length && type !== 'LoadBalancer') {
        events.push(['Normal', 'DeletingLoadBalancer', 'Deleting load balancer']);
        events.push(['Normal', 'DeletedLoadBalancer', 'Deleted load balancer']);
      }
    }
    const stored = deepEqual(draft, svc) ? svc : store.update(def, draft);
    // A failure is reported once per distinct message, not on every resync of the Service.
    const failure = events.find(([t]) => t === 'Warning')?.[2];
    if (failure !== undefined && lastFailure.get(key) === failure) return;
    if (failure !== undefined) lastFailure.set(key, failure);
    else lastFailure.delete(key);
    for (const [t, reason, msg] of events) ctx.event(stored, t, reason, msg, SERVICE_CONTROLLER);
  }

  return {
    name: 'service',
    start(c) {
      ctx = c;
      queue = new WorkQueue(reconcile, (k, e) => console.error(`lab: service controller: ${k}: ${(e as Error)?.stack ?? e}`));
      allocations(c.store, c.registry);
      // The apiserver's bootstrap controller creates `kubernetes` before anything else runs.
      reconcile(BOOTSTRAP);
      for (const s of c.store.list(c.type('', 'services'))) queue.add(keyOf(s));
    },
    onEvent(ev, def) {
      if (!queue) return;
      if (def.group === '' && def.plural === 'services') {
        if (ev.type === 'DELETED') {
          if (ev.object.metadata.namespace === 'default' && ev.object.metadata.name === 'kubernetes') queue.add(BOOTSTRAP);
          return;
        }
        queue.add(keyOf(ev.object));
      } else if (ev.type === 'DELETED' && ev.object.metadata.namespace === 'default' && ev.object.metadata.name === 'kubernetes') {
        if ((def.group === '' && def.plural === 'endpoints') || (def.group === 'discovery.k8s.io' && def.plural === 'endpointslices')) queue.add(BOOTSTRAP);
      }
    },
    stop() {
      queue?.stop();
    },
  };
}

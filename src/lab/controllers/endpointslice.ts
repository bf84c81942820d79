// kube-controller-manager's EndpointSlice controller (pkg/controller/endpointslice, k8s.io/endpointslice) and
// its legacy Endpoints controller (pkg/controller/endpoint), ported rule for rule: which pods become endpoints,
// how named targetPorts resolve per pod (pods that resolve a name differently land in separate slices), the
// ready/serving/terminating conditions, slice packing (100 per slice), in-place updates that keep slice names,
// the empty placeholder slice, and the last-change-trigger-time annotation.
import type { ResourceDef } from '../resources.ts';
import type { KObject } from '../types.ts';
import { clone, flat } from '../store/store.ts';
import { deepEqual } from '../store/equal.ts';
import { fromMap, type LabelSelector, matchesLabels } from '../store/selectors.ts';
import { type Controller, type ControllerContext, keyOf, splitKey, WorkQueue } from './runtime.ts';

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const MAX_ENDPOINTS_PER_SLICE = 100;
/** The legacy Endpoints controller's cap (maxCapacity) and the annotation it sets when truncating. */
const ENDPOINTS_MAX_CAPACITY = 1000;
const OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

// ─── Pod helpers (endpointslice/util, api/v1/pod) ─────────────────────────────────────────────────────

function isPodReady(pod: KObject): boolean {
  return (pod.status?.conditions ?? []).some((c: any) => c?.type === 'Ready' && c.status === 'True');
}

function isPodTerminal(pod: KObject): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

function podIPs(pod: KObject): string[] {
  const list: string[] = (pod.status?.podIPs ?? []).map((p: any) => p?.ip).filter((ip: unknown): ip is string => typeof ip === 'string' && !!ip);
  if (!list.length && typeof pod.status?.podIP === 'string' && pod.status.podIP) list.push(pod.status.podIP);
  return list;
}

function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/** ShouldPodBeInEndpoints: not terminal, has an IP, and (unless terminating pods are included) not being deleted. */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!podIPs(pod).length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** FindPort: a numeric targetPort as is; a named one looked up in the pod's containers (and sidecars) by name and protocol. */
export function findPort(pod: KObject, svcPort: any): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  const proto = svcPort.protocol ?? 'TCP';
  const lookIn = (containers: any[] | undefined, sidecarsOnly: boolean) => {
    for (const c of containers ?? []) {
      if (sidecarsOnly && c?.restartPolicy !== 'Always') continue;
      for (const p of c?.ports ?? []) if (p?.name === target && (p.protocol ?? 'TCP') === proto) return p.containerPort as number;
    }
    return undefined;
  };
  return lookIn(pod.spec?.containers, false) ?? lookIn(pod.spec?.initContainers, true);
}

function shouldSetHostname(pod: KObject, svc: KObject): boolean {
  return !!pod.spec?.hostname && pod.spec?.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

function hasSelector(svc: KObject): boolean {
  const sel = svc.spec?.selector;
  // An empty selector does not survive the apiserver's storage round trip: it reads back as none.
  return !!sel && typeof sel === 'object' && Object.keys(sel).length > 0;
}

/**
 * podEndpointsChanged (endpointslice/util): whether a pod update can change endpoints: labels, hostname/subdomain,
 * deletion, readiness, IPs; plus node and terminal phase, which the lab also reads.
 */
function podEndpointsChanged(old: KObject, cur: KObject): boolean {
  if (old.metadata.deletionTimestamp !== cur.metadata.deletionTimestamp) return true;
  if (isPodReady(old) !== isPodReady(cur)) return true;
  if (isPodTerminal(old) !== isPodTerminal(cur)) return true;
  const a = podIPs(old);
  const b = podIPs(cur);
  if (a.length !== b.length || a.some((ip, i) => ip !== b[i])) return true;
  if (old.spec?.nodeName !== cur.spec?.nodeName || old.spec?.hostname !== cur.spec?.hostname || old.spec?.subdomain !== cur.spec?.subdomain) return true;
  return !deepEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
}

function isHeadless(svc: KObject): boolean {
  return svc.spec?.clusterIP === 'None' || !svc.spec?.clusterIP;
}

// ─── Trigger times (endpointslice/util TriggerTimeTracker) ─────────────────────────────────────────────

/** What the last compute saw: each pod's Ready transition time (parallel arrays, kept small) and the Service's. */
interface TrackerState {
  names: string[];
  times: number[];
  service: number;
}

class TriggerTimeTracker {
  private states = new Map<string, TrackerState>();

  /** The earliest trigger time among pods and the Service that changed since the last call, or undefined. */
  compute(key: string, svc: KObject, pods: KObject[]): number | undefined {
    const state = this.states.get(key);
    const seen = new Map<string, number>();
    if (state) for (let i = 0; i < state.names.length; i++) seen.set(state.names[i]!, state.times[i]!);
    const names: string[] = [];
    const times: number[] = [];
    let min: number | undefined;
    const consider = (t: number) => (min = min === undefined ? t : Math.min(min, t));
    for (const pod of pods) {
      const ready = (pod.status?.conditions ?? []).find((c: any) => c?.type === 'Ready');
      const t = ready?.lastTransitionTime ? Date.parse(ready.lastTransitionTime) : NaN;
      if (!Number.isFinite(t)) continue;
      names.push(pod.metadata.name!);
      times.push(t);
      if (t > (seen.get(pod.metadata.name!) ?? -Infinity)) consider(t);
    }
    const next: TrackerState = { names: names.slice(), times: times.slice(), service: 0 };
    const st = Date.parse(svc.metadata.creationTimestamp ?? '');
    if (Number.isFinite(st)) {
      next.service = st;
      if (st > (state?.service ?? 0)) consider(st);
    }
    this.states.set(key, next);
    return min;
  }

  delete(key: string): void {
    this.states.delete(key);
  }
}

/** time.RFC3339Nano in UTC: fractional seconds without trailing zeros. */
let lastNano: { ms: number; s: string } | undefined;

function rfc3339Nano(ms: number): string {
  if (lastNano?.ms === ms) return lastNano.s; // one string for the many slices and Endpoints stamped alike
  lastNano = { ms, s: flat(rfc3339NanoOf(ms)) };
  return lastNano.s;
}

function rfc3339NanoOf(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d+)Z$/, (_, f: string) => (/^0+$/.test(f) ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

function setTriggerTime(obj: KObject, t: number | undefined): void {
  const ann = (obj.metadata.annotations ??= {});
  if (t !== undefined) ann[LAST_CHANGE_TRIGGER_TIME] = rfc3339Nano(t);
  else delete ann[LAST_CHANGE_TRIGGER_TIME];
  if (!Object.keys(ann).length) delete obj.metadata.annotations;
}

// ─── EndpointSlice shapes ───────────────────────────────────────────────────────────────────────────────

type AddressType = 'IPv4' | 'IPv6';

function addressTypesFor(svc: KObject): AddressType[] {
  const fams: string[] = svc.spec?.ipFamilies ?? [];
  const out = new Set<AddressType>();
  for (const f of fams) if (f === 'IPv4' || f === 'IPv6') out.add(f);
  if (out.size) return [...out];
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') return [isIPv6(ip) ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

function endpointPorts(svc: KObject, pod: KObject): any[] {
  const out: any[] = [];
  const ports: any[] = svc.spec?.ports ?? [];
  if (!ports.length && svc.spec?.clusterIP === 'None') return out;
  for (const sp of ports) {
    const n = findPort(pod, sp);
    if (n === undefined) continue; // upstream logs "Failed to find port for service" and leaves this port out for this pod
    out.push({ name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** NewPortMapKey: pods whose resolved port sets are equal share slices. */
function portMapKey(ports: any[] | null | undefined): string {
  return JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? null, p.protocol ?? 'TCP', p.appProtocol ?? null]).sort());
}

const CONDITIONS: { ready: boolean; serving: boolean; terminating: boolean }[] = [];

/** One shared (never modified) conditions object per combination: there are eight, and one per endpoint otherwise. */
function endpointConditions(ready: boolean, serving: boolean, terminating: boolean): { ready: boolean; serving: boolean; terminating: boolean } {
  const k = (ready ? 4 : 0) | (serving ? 2 : 0) | (terminating ? 1 : 0);
  return (CONDITIONS[k] ??= { ready, serving, terminating });
}

/**
 * The targetRef of a pod. Within one reconcile the EndpointSlice and the Endpoints share it (`refs`): stored
 * objects are never modified, and a 50k-pod cluster keeps one instead of two.
 */
function podRef(pod: KObject, refs?: Map<KObject, any>): any {
  let ref = refs?.get(pod);
  if (!ref) {
    ref = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
    refs?.set(pod, ref);
  }
  return ref;
}

function podToEndpoint(pod: KObject, node: KObject | undefined, svc: KObject, addressType: AddressType, refs?: Map<KObject, any>): any {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const addresses = podIPs(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')).slice(); // exact size: 50k of these are kept
  const conditions = endpointConditions(ready, serving, terminating);
  const targetRef = podRef(pod, refs);
  const nodeName = pod.spec?.nodeName;
  const zone = node?.metadata.labels?.['topology.kubernetes.io/zone'];
  const hostname = shouldSetHostname(pod, svc);
  // the usual shape built whole (compact); the same fields in the same order otherwise
  if (!hostname && nodeName && zone) return { addresses, conditions, targetRef, nodeName, zone };
  const ep: any = { addresses, conditions };
  if (hostname) ep.hostname = pod.spec.hostname;
  ep.targetRef = targetRef;
  if (nodeName) ep.nodeName = nodeName;
  if (zone) ep.zone = zone;
  return ep;
}

/** The EndpointSet hash: the same pod with the same addresses is the same endpoint. */
function endpointKey(ep: any): string {
  const addrs = [...(ep?.addresses ?? [])].sort().join(',');
  const ref = ep?.targetRef ? `${ep.targetRef.namespace ?? ''}/${ep.targetRef.name ?? ''}` : '';
  return `${addrs}|${ref}|${ep?.hostname ?? ''}`;
}

function ownedBy(slice: KObject, svc: KObject): boolean {
  return (slice.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata.uid && o.kind === 'Service' && o.apiVersion === 'v1');
}

/** setEndpointSliceLabels: the Service's labels minus the reserved ones, plus service-name, managed-by and headless. */
function sliceLabels(slice: KObject | undefined, svc: KObject): { labels: Record<string, string>; changed: boolean } {
  const reserved = (k: string) => k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS;
  const current: Record<string, string> = {};
  for (const [k, v] of Object.entries(slice?.metadata.labels ?? {})) if (!reserved(k)) current[k] = v;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (!reserved(k)) labels[k] = v;
  const changed = !deepEqual(current, labels);
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  labels[LABEL_SERVICE_NAME] = svc.metadata.name!;
  labels[LABEL_MANAGED_BY] = ENDPOINTSLICE_CONTROLLER_NAME;
  return { labels, changed };
}

function newSlice(svc: KObject, ports: any[], addressType: AddressType): KObject {
  const name = svc.metadata.name!;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      // getEndpointSlicePrefix: `<svc>-` unless that is too long to be a name prefix
      generateName: name.length + 1 <= 253 - 5 ? `${name}-` : name,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(undefined, svc).labels,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

/** As stored: empty lists read back from etcd as null. */
function normalizeSlice(slice: KObject): KObject {
  if (!slice.endpoints?.length) slice.endpoints = null;
  if (!slice.ports?.length) slice.ports = null;
  return slice;
}

function isPlaceholderOf(slice: KObject, placeholder: KObject): boolean {
  return (
    slice.addressType === placeholder.addressType &&
    !(slice.endpoints?.length) &&
    !(slice.ports?.length) &&
    deepEqual(slice.metadata.labels ?? {}, placeholder.metadata.labels ?? {}) &&
    deepEqual(slice.metadata.ownerReferences ?? [], placeholder.metadata.ownerReferences ?? [])
  );
}

interface Plan {
  create: KObject[];
  update: KObject[];
  delete: KObject[];
}

// ─── The controller ─────────────────────────────────────────────────────────────────────────────────────

export function endpointSliceController(): Controller {
  let queue: WorkQueue | undefined;
  let ctx: ControllerContext;
  // Upstream runs a tracker in each of the two controllers; here both reconcile from the same pods at the same
  // moment, so their trackers would always agree: one serves both.
  const triggerTimes = new TriggerTimeTracker();
  /** Pod targetRefs during one reconcile (podRef). */
  let refs: Map<KObject, any> | undefined;
  /**
   * Set while this controller writes: the events of its own writes do not requeue the Service (upstream's
   * EndpointSliceTracker.ShouldSync is false for a slice at the generation the controller itself wrote).
   */
  let writing = false;
  let defs: { svc: ResourceDef; pod: ResourceDef; node: ResourceDef; slice: ResourceDef; ep: ResourceDef };
  /** Parsed selectors, per stored Service object (a changed Service is a new object, so this never goes stale). */
  const selectors = new WeakMap<KObject, LabelSelector>();
  /**
   * Services with a selector, per namespace, keyed by one `key=value` of their selector: a pod can only match a
   * Service whose indexed pair is among its labels.
   */
  const servicesByLabel = new Map<string, Map<string, Map<string, KObject>>>();
  /** `namespace/name` → the pair it is indexed under. */
  const serviceIndexKey = new Map<string, string>();

  function selectorOf(svc: KObject): LabelSelector {
    let sel = selectors.get(svc);
    if (!sel) selectors.set(svc, (sel = fromMap(svc.spec?.selector)));
    return sel;
  }

  function indexService(svc: KObject | undefined, key: string, ns: string): void {
    const before = serviceIndexKey.get(key);
    if (before !== undefined) {
      const m = servicesByLabel.get(ns)?.get(before);
      m?.delete(key);
      if (m?.size === 0) servicesByLabel.get(ns)!.delete(before);
      serviceIndexKey.delete(key);
    }
    if (!svc || !hasSelector(svc)) return;
    const [k, v] = Object.entries(svc.spec.selector as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))[0]!;
    const pair = `${k}=${v}`;
    let byPair = servicesByLabel.get(ns);
    if (!byPair) servicesByLabel.set(ns, (byPair = new Map()));
    let m = byPair.get(pair);
    if (!m) byPair.set(pair, (m = new Map()));
    m.set(key, svc);
    serviceIndexKey.set(key, pair);
  }

  function reconcile(key: string): void {
    writing = true;
    try {
      reconcileService(key);
    } finally {
      writing = false;
    }
  }

  function reconcileService(key: string): void {
    const { store } = ctx;
    const [ns, name] = splitKey(key);
    const svc = store.get(defs.svc, ns, name);
    if (!svc) {
      triggerTimes.delete(key);
      // The garbage collector removes the slices through their ownerReference; the Endpoints controller deletes
      // the Endpoints of a deleted Service itself.
      for (const s of managedSlices(ns!, name)) if (!s.metadata.deletionTimestamp) store.remove(defs.slice, ns, s.metadata.name!);
      if (store.get(defs.ep, ns, name)) store.remove(defs.ep, ns, name);
      return;
    }
    if (svc.spec?.type === 'ExternalName') return;
    // Services without a selector get their endpoints out of band; what the controllers wrote before a selector
    // was removed stays (kubernetes/kubernetes#118376).
    if (!hasSelector(svc)) return;
    const pods = store.list(defs.pod, ns, { labelSelector: selectorOf(svc) });
    const triggerTime = triggerTimes.compute(key, svc, pods);
    refs = new Map();
    try {
      reconcileSlices(svc, pods, triggerTime);
      reconcileEndpoints(svc, pods, triggerTime);
    } finally {
      refs = undefined;
    }
  }

  function managedSlices(ns: string, svcName: string): KObject[] {
    return ctx.store.list(defs.slice, ns, {
      labelSelector: [
        { key: LABEL_SERVICE_NAME, op: 'in', values: [svcName] },
        { key: LABEL_MANAGED_BY, op: 'in', values: [ENDPOINTSLICE_CONTROLLER_NAME] },
      ],
    });
  }

  function reconcileSlices(svc: KObject, pods: KObject[], triggerTime: number | undefined): void {
    const { store } = ctx;
    const ns = svc.metadata.namespace!;
    const existing = managedSlices(ns, svc.metadata.name!).filter((s) => !s.metadata.deletionTimestamp);
    const families = addressTypesFor(svc);
    const plan: Plan = { create: [], update: [], delete: [] };
    const byType = new Map<AddressType, KObject[]>();
    for (const s of existing) {
      if (!families.includes(s.addressType)) plan.delete.push(s);
      else byType.set(s.addressType, [...(byType.get(s.addressType) ?? []), s]);
    }
    const nodes = new Map<string, KObject | undefined>();
    const nodeOf = (n: string) => {
      if (!nodes.has(n)) nodes.set(n, store.get(defs.node, undefined, n));
      return nodes.get(n);
    };
    for (const at of families) {
      const p = reconcileByAddressType(svc, pods, byType.get(at) ?? [], at, nodeOf);
      plan.create.push(...p.create);
      plan.update.push(...p.update);
      plan.delete.push(...p.delete);
    }
    // finalize: turn creates into updates of slices that would otherwise be deleted, keeping their names.
    for (let i = 0; i < plan.delete.length && plan.create.length; ) {
      const del = plan.delete[i]!;
      const slice = plan.create[plan.create.length - 1]!;
      if (del.addressType === slice.addressType && ownedBy(del, svc)) {
        slice.metadata.name = del.metadata.name;
        plan.create.pop();
        plan.update.push(slice);
        plan.delete.splice(i, 1);
      } else i++;
    }
    if (!svc.metadata.deletionTimestamp) {
      for (const s of plan.create) {
        setTriggerTime(s, triggerTime);
        store.create(defs.slice, normalizeSlice(s), { owned: true });
      }
    }
    for (const s of plan.update) {
      setTriggerTime(s, triggerTime);
      const current = store.get(defs.slice, ns, s.metadata.name!);
      if (!current) continue;
      const next = normalizeSlice(s);
      // Keep the stored identity; everything the controller owns comes from the desired slice.
      next.metadata = { ...current.metadata, labels: next.metadata.labels, annotations: next.metadata.annotations, ownerReferences: next.metadata.ownerReferences };
      if (!next.metadata.annotations) delete next.metadata.annotations;
      store.update(defs.slice, next, { owned: true });
    }
    for (const s of plan.delete) if (store.get(defs.slice, ns, s.metadata.name!)) store.remove(defs.slice, ns, s.metadata.name!);
  }

  function reconcileByAddressType(
    svc: KObject,
    pods: KObject[],
    existingSlices: KObject[],
    addressType: AddressType,
    nodeOf: (name: string) => KObject | undefined,
  ): Plan {
    const plan: Plan = { create: [], update: [], delete: [] };
    const existingByPortMap = new Map<string, KObject[]>();
    for (const s of existingSlices) {
      if (ownedBy(s, svc)) {
        const k = portMapKey(s.ports);
        existingByPortMap.set(k, [...(existingByPortMap.get(k) ?? []), s]);
      } else plan.delete.push(s);
    }
    const desiredPorts = new Map<string, any[]>();
    const desired = new Map<string, Map<string, any>>();
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ports = endpointPorts(svc, pod);
      const k = portMapKey(ports);
      if (!desired.has(k)) desired.set(k, new Map());
      if (!desiredPorts.has(k)) desiredPorts.set(k, ports);
      const node = pod.spec?.nodeName ? nodeOf(pod.spec.nodeName) : undefined;
      // A pod on a Node that does not exist is left out (and retried), unless the Service publishes not-ready addresses.
      if (!node && svc.spec?.publishNotReadyAddresses !== true) continue;
      const ep = podToEndpoint(pod, node, svc, addressType, refs);
      if (ep.addresses.length) desired.get(k)!.set(endpointKey(ep), ep);
    }
    for (const [k, set] of desired) {
      const p = reconcileByPortMapping(svc, existingByPortMap.get(k) ?? [], set, desiredPorts.get(k)!, addressType);
      plan.create.push(...p.create);
      plan.update.push(...p.update);
      plan.delete.push(...p.delete);
    }
    for (const [k, slices] of existingByPortMap) if (!desired.has(k)) plan.delete.push(...slices);
    // When no slice would exist, a placeholder without ports or endpoints stands for the Service.
    if (existingSlices.length === plan.delete.length && plan.create.length < 1) {
      const placeholder = newSlice(svc, [], addressType);
      if (plan.delete.length === 1 && isPlaceholderOf(plan.delete[0]!, placeholder)) plan.delete = [];
      else plan.create.push(placeholder);
    }
    return plan;
  }

  function reconcileByPortMapping(svc: KObject, existingSlices: KObject[], desiredSet: Map<string, any>, ports: any[], addressType: AddressType): Plan {
    const byName = new Map<string, KObject>();
    const unchanged: string[] = [];
    const toUpdate: string[] = [];
    const toDelete: string[] = [];
    // 1. Drop endpoints no longer desired, refresh the ones that changed, re-label when the Service's labels changed.
    for (const s of existingSlices) {
      byName.set(s.metadata.name!, s);
      const kept: any[] = [];
      let updated = false;
      for (const ep of s.endpoints ?? []) {
        const k = endpointKey(ep);
        const want = desiredSet.get(k);
        if (want) {
          kept.push(want);
          if (!deepEqual(want, ep)) updated = true;
          desiredSet.delete(k);
        }
      }
      const { labels, changed } = sliceLabels(s, svc);
      const count = s.endpoints?.length ?? 0;
      if (updated || count !== kept.length) {
        if (!kept.length) toDelete.push(s.metadata.name!);
        else {
          const copy = clone(s);
          copy.endpoints = kept;
          copy.metadata.labels = labels;
          byName.set(copy.metadata.name!, copy);
          toUpdate.push(copy.metadata.name!);
        }
      } else if (changed) {
        const copy = clone(s);
        copy.metadata.labels = labels;
        byName.set(copy.metadata.name!, copy);
        toUpdate.push(copy.metadata.name!);
      } else unchanged.push(s.metadata.name!);
    }
    const remaining = [...desiredSet.values()];
    const take = () => remaining.shift();
    // 2. Fill the slices being updated anyway, fullest first.
    if (remaining.length && toUpdate.length) {
      const slices = toUpdate.map((n) => byName.get(n)!).sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
      for (const s of slices) while (remaining.length && (s.endpoints ??= []).length < MAX_ENDPOINTS_PER_SLICE) s.endpoints.push(take());
    }
    // 3. Fit what is left into an unchanged slice with room, else new slices.
    const create: KObject[] = [];
    while (remaining.length) {
      let fill: KObject | undefined;
      if (remaining.length < MAX_ENDPOINTS_PER_SLICE && unchanged.length) {
        let closest = MAX_ENDPOINTS_PER_SLICE;
        for (const n of unchanged) {
          const s = byName.get(n)!;
          const diff = MAX_ENDPOINTS_PER_SLICE - (remaining.length + (s.endpoints?.length ?? 0));
          if (diff >= 0 && diff < closest) {
            closest = diff;
            fill = s;
            if (diff === 0) break;
          }
        }
      }
      if (!fill) fill = newSlice(svc, clone(ports), addressType);
      else {
        fill = clone(fill);
        byName.set(fill.metadata.name!, fill);
      }
      while (remaining.length && (fill.endpoints ??= []).length < MAX_ENDPOINTS_PER_SLICE) fill.endpoints.push(take());
      if (fill.metadata.name) {
        if (!toUpdate.includes(fill.metadata.name)) toUpdate.push(fill.metadata.name);
        unchanged.splice(unchanged.indexOf(fill.metadata.name), 1);
      } else create.push(fill);
    }
    return { create, update: toUpdate.map((n) => byName.get(n)!), delete: toDelete.map((n) => byName.get(n)!) };
  }

  // ─── Legacy Endpoints ────────────────────────────────────────────────────────────────────────────────

  function reconcileEndpoints(svc: KObject, pods: KObject[], triggerTime: number | undefined): void {
    const { store } = ctx;
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
    const family: AddressType = addressTypesFor(svc)[0]!;
    // port (as JSON) → address key → [address, ready]
    const byPort = new Map<string, { port: any; addrs: Map<string, [any, boolean]> }>();
    const allAddrs = new Map<string, any>();
    const add = (addr: any, port: any, ready: boolean) => {
      const pk = JSON.stringify(port);
      if (!byPort.has(pk)) byPort.set(pk, { port, addrs: new Map() });
      const ak = `${addr.ip}|${addr.targetRef?.uid ?? ''}`;
      allAddrs.set(ak, addr);
      byPort.get(pk)!.addrs.set(ak, [addr, ready]);
    };
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
      const ip = podIPs(pod).find((i) => isIPv6(i) === (family === 'IPv6'));
      if (!ip) continue;
      let addr: any;
      if (!shouldSetHostname(pod, svc) && pod.spec?.nodeName) addr = { ip, nodeName: pod.spec.nodeName, targetRef: podRef(pod, refs) };
      else {
        addr = { ip };
        if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec.hostname;
        if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
        addr.targetRef = podRef(pod, refs);
      }
      const ready = tolerateUnready || isPodReady(pod);
      const ports: any[] = svc.spec?.ports ?? [];
      if (!ports.length) {
        if (svc.spec?.clusterIP === 'None') add(addr, null, ready);
        continue;
      }
      for (const sp of ports) {
        const n = findPort(pod, sp);
        if (n === undefined) continue;
        const epp: any = {};
        if (sp.name) epp.name = sp.name;
        epp.port = n;
        epp.protocol = sp.protocol ?? 'TCP';
        if (sp.appProtocol !== undefined) epp.appProtocol = sp.appProtocol;
        add(addr, epp, ready);
      }
    }
    let subsets = repackSubsets(byPort);
    const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
    let truncated = false;
    if (total > ENDPOINTS_MAX_CAPACITY) {
      truncated = true;
      subsets = truncateSubsets(subsets, ENDPOINTS_MAX_CAPACITY);
    }
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    delete labels[LABEL_HEADLESS];
    if (svc.spec?.clusterIP === 'None') labels[LABEL_HEADLESS] = '';

    const current = store.get(defs.ep, ns, name);
    const currentLabels = { ...(current?.metadata.labels ?? {}) };
    delete currentLabels[LABEL_HEADLESS];
    const wantLabels = { ...labels };
    delete wantLabels[LABEL_HEADLESS];
    const capacityOk = truncated ? current?.metadata.annotations?.[OVER_CAPACITY] === 'truncated' : current?.metadata.annotations?.[OVER_CAPACITY] === undefined;
    if (current && deepEqual(current.subsets ?? [], subsets) && deepEqual(currentLabels, wantLabels) && capacityOk) return;

    const next: KObject = current
      ? clone(current)
      : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace: ns } };
    next.metadata.labels = labels;
    if (!Object.keys(labels).length) delete next.metadata.labels;
    setTriggerTime(next, triggerTime);
    if (truncated) (next.metadata.annotations ??= {})[OVER_CAPACITY] = 'truncated';
    else if (next.metadata.annotations) {
      delete next.metadata.annotations[OVER_CAPACITY];
      if (!Object.keys(next.metadata.annotations).length) delete next.metadata.annotations;
    }
    if (subsets.length) next.subsets = subsets;
    else delete next.subsets;
    if (current) store.update(defs.ep, next, { owned: true });
    else store.create(defs.ep, next, { owned: true });
  }

  function enqueueServicesForPod(pod: KObject, old: KObject | undefined, type: string): void {
    if (type === 'MODIFIED' && old && !podEndpointsChanged(old, pod)) return;
    const byPair = servicesByLabel.get(pod.metadata.namespace ?? '');
    if (!byPair) return;
    for (const p of old && old.metadata.labels !== pod.metadata.labels ? [pod, old] : [pod]) {
      for (const [k, v] of Object.entries(p.metadata.labels ?? {})) {
        const m = byPair.get(`${k}=${v}`);
        if (!m) continue;
        for (const [key, svc] of m) if (matchesLabels(selectorOf(svc), p.metadata.labels)) queue!.add(key);
      }
    }
  }

  return {
    name: 'endpointslice',
    start(c) {
      ctx = c;
      defs = {
        svc: c.type('', 'services'),
        pod: c.type('', 'pods'),
        node: c.type('', 'nodes'),
        slice: c.type('discovery.k8s.io', 'endpointslices'),
        ep: c.type('', 'endpoints'),
      };
      queue = new WorkQueue(reconcile, (k, e) => console.error(`lab: endpointslice controller: ${k}: ${(e as Error)?.stack ?? e}`));
      for (const s of c.store.list(defs.svc)) {
        indexService(s, keyOf(s), s.metadata.namespace ?? '');
        queue.add(keyOf(s));
      }
    },
    onEvent(ev, def) {
      if (!queue) return;
      const o = ev.object;
      if (def.group === '' && def.plural === 'services') {
        indexService(ev.type === 'DELETED' ? undefined : o, keyOf(o), o.metadata.namespace ?? '');
        queue.add(keyOf(o));
      }
      else if (def.group === '' && def.plural === 'pods') enqueueServicesForPod(o, ev.old, ev.type);
      else if (writing) return;
      else if (def.group === 'discovery.k8s.io' && def.plural === 'endpointslices') {
        const managed = (s?: KObject) => s?.metadata.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME;
        for (const s of [o, ev.old]) {
          const svcName = s?.metadata.labels?.[LABEL_SERVICE_NAME];
          if (s && svcName && (managed(s) || managed(ev.old))) queue.add(`${s.metadata.namespace}/${svcName}`);
        }
      } else if (def.group === '' && def.plural === 'endpoints') {
        queue.add(keyOf(o));
      } else if (def.group === '' && def.plural === 'nodes') {
        const zone = (n?: KObject) => n?.metadata.labels?.['topology.kubernetes.io/zone'];
        if (ev.type !== 'MODIFIED' || zone(o) !== zone(ev.old)) {
          for (const svc of ctx.store.list(defs.svc)) if (hasSelector(svc)) queue.add(keyOf(svc));
        }
      }
    },
    stop() {
      queue?.stop();
    },
  };
}

// RepackSubsets: addresses that offer the same set of ports (with the same readiness) share one subset.
function repackSubsets(byPort: Map<string, { port: any; addrs: Map<string, [any, boolean]> }>): any[] {
  const groups = new Map<string, { addrs: Map<string, [any, boolean]>; ports: any[] }>();
  for (const { port, addrs } of byPort.values()) {
    const gk = JSON.stringify([...addrs.entries()].map(([k, [, r]]) => [k, r]).sort());
    if (!groups.has(gk)) groups.set(gk, { addrs, ports: [] });
    if (port) groups.get(gk)!.ports.push(port);
  }
  const byIp = (a: any, b: any) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.uid ?? '') < (b.targetRef?.uid ?? '') ? -1 : 1);
  const out: any[] = [];
  for (const { addrs, ports } of groups.values()) {
    const ready = [...addrs.values()].filter(([, r]) => r).map(([a]) => a).sort(byIp);
    const notReady = [...addrs.values()].filter(([, r]) => !r).map(([a]) => a).sort(byIp);
    const subset: any = {};
    if (ready.length) subset.addresses = ready;
    if (notReady.length) subset.notReadyAddresses = notReady;
    if (ports.length) subset.ports = ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || a.protocol.localeCompare(b.protocol));
    out.push(subset);
  }
  const first = (s: any) => (s.addresses ?? s.notReadyAddresses ?? [])[0]?.ip ?? '';
  return out.sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : 0));
}

/** truncateEndpoints: keep at most `max` addresses, ready ones first, spread across subsets proportionally. */
function truncateSubsets(subsets: any[], max: number): any[] {
  const total = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  let budget = max;
  const out = clone(subsets);
  for (const s of out) {
    const ready = s.addresses ?? [];
    const keep = Math.min(ready.length, Math.max(0, Math.floor((ready.length / Math.max(total, 1)) * max)), budget);
    s.addresses = ready.slice(0, keep);
    budget -= keep;
  }
  for (const s of out) {
    const nr = s.notReadyAddresses ?? [];
    const keep = Math.min(nr.length, budget);
    s.notReadyAddresses = nr.slice(0, keep);
    budget -= keep;
    if (!s.addresses.length) delete s.addresses;
    if (!s.notReadyAddresses.length) delete s.notReadyAddresses;
  }
  return out.filter((s) => s.addresses || s.notReadyAddresses);
}

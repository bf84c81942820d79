// The lab's Gateway API implementation, behaving as Envoy Gateway (controllerName
// gateway.envoyproxy.io/gatewayclass-controller) does: it accepts its GatewayClasses, provisions one proxy per
// Gateway in envoy-gateway-system (Deployment, LoadBalancer Service, ServiceAccount, ConfigMap named
// `envoy-<ns>-<name>-<hash>`), and computes Gateway, listener and route status with Envoy Gateway's reasons and
// messages (internal/gatewayapi: listener validation, parentRef attachment, backendRef resolution,
// ReferenceGrants). Like Envoy Gateway's translator it recomputes everything from the Store on any relevant change.
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../resources.ts';
import type { KObject } from '../types.ts';
import { clone } from '../store/store.ts';
import { deepEqual } from '../store/equal.ts';
import { fromLabelSelectorObject, type LabelSelector, matchesLabels } from '../store/selectors.ts';
import { admit } from '../apiserver/admission.ts';
import { type Controller, type ControllerContext, nowIso, WorkQueue } from './runtime.ts';
import { allocateServiceAddresses } from './service.ts';

export const GATEWAY_CONTROLLER_NAME = 'gateway.envoyproxy.io/gatewayclass-controller';
export const PROXY_NAMESPACE = 'envoy-gateway-system';
export const ENVOY_IMAGE = 'docker.io/envoyproxy/envoy:distroless-v1.35.0';
export const SHUTDOWN_MANAGER_IMAGE = 'docker.io/envoyproxy/gateway:v1.5.0';
export const OWNING_GATEWAY_NAME = 'gateway.envoyproxy.io/owning-gateway-name';
export const OWNING_GATEWAY_NAMESPACE = 'gateway.envoyproxy.io/owning-gateway-namespace';
export const GATEWAYCLASS_FINALIZER = 'gateway-exists-finalizer.gateway.networking.k8s.io';
const GROUP = 'gateway.networking.k8s.io';
const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute'] as const;
type RouteKind = (typeof ROUTE_KINDS)[number];

// ─── Naming (internal/utils GetHashedName, proxy.ExpectedResourceHashedName) ─────────────────────────────

export function hashedName(nsName: string, length: number): string {
  const hash = createHash('sha256').update(nsName).digest('hex');
  const resource = nsName.replaceAll('/', '-');
  if (length > 0 && resource.length > length) return `${resource.slice(0, length).replace(/-+$/, '')}-${hash.slice(0, 8)}`;
  return `${resource}-${hash.slice(0, 8)}`;
}

/** The name of a Gateway's proxy Deployment, Service, ServiceAccount and ConfigMap: `envoy-<ns>-<name>-<8 hex>`. */
export function proxyResourceName(gatewayNamespace: string, gatewayName: string): string {
  return `envoy-${hashedName(`${gatewayNamespace}/${gatewayName}`, 48)}`;
}

/** Envoy runs as non-root: listener ports below 1024 are served on port + 10000. */
export function containerPortFor(port: number): number {
  return port < 1024 ? port + 10000 : port;
}

// ─── Conditions (status.MergeConditions) ───────────────────────────────────────────────────────────────

interface Cond {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

function setCond(list: Cond[], c: Cond): void {
  const i = list.findIndex((x) => x.type === c.type);
  if (i >= 0) list[i] = c;
  else list.push(c);
}

/** metav1.Condition objects; lastTransitionTime kept while the status does not change. */
function toConditions(conds: Cond[], previous: any[] | undefined, generation: number | undefined): any[] {
  const now = nowIso();
  return conds.map((c) => {
    const prev = (previous ?? []).find((p) => p?.type === c.type);
    return {
      type: c.type,
      status: c.status,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
      lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
      reason: c.reason,
      message: c.message,
    };
  });
}

// ─── ReferenceGrants (validateCrossNamespaceRef) ──────────────────────────────────────────────────────

interface RefFrom {
  group: string;
  kind: string;
  namespace: string;
}
interface RefTo {
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

function refGranted(grants: KObject[], from: RefFrom, to: RefTo): boolean {
  return grants.some(
    (g) =>
      g.metadata.namespace === to.namespace &&
      (g.spec?.from ?? []).some((f: any) => f?.namespace === from.namespace && (f?.group ?? '') === from.group && f?.kind === from.kind) &&
      (g.spec?.to ?? []).some((t: any) => (t?.group ?? '') === to.group && t?.kind === to.kind && (!t?.name || t.name === to.name)),
  );
}

// ─── Hostnames ─────────────────────────────────────────────────────────────────────────────────────────

/** Whether a listener hostname and a route hostname can both match some request host (wildcards cover ≥ 1 label). */
export function hostnamesIntersect(listener: string | undefined, route: string | undefined): boolean {
  if (!listener || !route) return true;
  if (listener === route) return true;
  const lw = listener.startsWith('*.');
  const rw = route.startsWith('*.');
  if (lw && rw) return listener.endsWith(route.slice(1)) || route.endsWith(listener.slice(1));
  if (lw) return route.endsWith(listener.slice(1));
  if (rw) return listener.endsWith(route.slice(1));
  return false;
}

// ─── Listeners ─────────────────────────────────────────────────────────────────────────────────────────

interface ListenerCtx {
  spec: any;
  name: string;
  port: number;
  protocol: string;
  hostname?: string;
  conds: Cond[];
  supportedKinds: any[];
  from: string;
  selector?: LabelSelector;
  selectorInvalid: boolean;
  attached: number;
  ready: boolean;
}

interface GatewayCtx {
  gw: KObject;
  gc: KObject;
  key: string;
  listeners: ListenerCtx[];
  proxyName: string;
}

function kindsFor(l: any): string[] {
  switch (l.protocol) {
    case 'TLS': {
      const mode = l.tls?.mode;
      if (l.tls && mode === 'Passthrough') return ['TLSRoute'];
      if (l.tls && mode === 'Terminate') return ['TCPRoute'];
      return ['TCPRoute', 'TLSRoute'];
    }
    case 'HTTP':
    case 'HTTPS':
      return ['HTTPRoute', 'GRPCRoute'];
    case 'TCP':
      return ['TCPRoute'];
    case 'UDP':
      return ['UDPRoute'];
    default:
      return [];
  }
}

export function gatewayController(): Controller {
  let queue: WorkQueue | undefined;
  let ctx: ControllerContext;
  let defs: Record<'gc' | 'gw' | 'httproute' | 'grpcroute' | 'grant' | 'svc' | 'secret' | 'ns' | 'slice' | 'deploy' | 'sa' | 'cm', ResourceDef>;

  function sync(): void {
    const { store } = ctx;
    const grants = store.list(defs.grant);
    const namespaces = new Map(store.list(defs.ns).map((n) => [n.metadata.name!, n]));

    // GatewayClasses
    const gateways = store.list(defs.gw);
    const accepted = new Map<string, KObject>();
    for (const gc of store.list(defs.gc)) {
      if (gc.spec?.controllerName !== GATEWAY_CONTROLLER_NAME) continue;
      const inUse = gateways.some((g) => g.spec?.gatewayClassName === gc.metadata.name && !g.metadata.deletionTimestamp);
      const cond = classCondition(gc);
      if (cond.status === 'True') accepted.set(gc.metadata.name!, gc);
      const next = clone(gc);
      next.status = { ...(gc.status ?? {}), conditions: toConditions([cond], gc.status?.conditions, gc.metadata.generation) };
      const fins = (gc.metadata.finalizers ?? []).filter((f) => f !== GATEWAYCLASS_FINALIZER);
      if (inUse) fins.push(GATEWAYCLASS_FINALIZER);
      if (fins.length) next.metadata.finalizers = fins;
      else delete next.metadata.finalizers;
      if (!deepEqual(next, gc)) store.update(defs.gc, next);
    }

    // Gateways and their listeners
    const managed: GatewayCtx[] = [];
    for (const gw of gateways) {
      const gc = accepted.get(gw.spec?.gatewayClassName);
      if (!gc || gw.metadata.deletionTimestamp) continue;
      managed.push(processGateway(gw, gc, grants));
    }
    const byKey = new Map(managed.map((g) => [g.key, g]));

    // Routes
    for (const kind of ROUTE_KINDS) {
      for (const route of store.list(kind === 'HTTPRoute' ? defs.httproute : defs.grpcroute)) processRoute(route, kind, byKey, namespaces, grants);
    }

    // Proxy infrastructure, then Gateway status (which reads it)
    const wanted = new Set<string>();
    for (const g of managed) {
      if (ensureInfra(g)) wanted.add(g.proxyName);
      writeGatewayStatus(g);
    }
    cleanupInfra(wanted);
  }

  function classCondition(gc: KObject): Cond {
    const p = gc.spec?.parametersRef;
    if (p && !(p.group === 'gateway.envoyproxy.io' && p.kind === 'EnvoyProxy'))
      return { type: 'Accepted', status: 'False', reason: 'InvalidParameters', message: 'Invalid parametersRef: unsupported parametersRef for gatewayclass' };
    return { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Valid GatewayClass' };
  }

  function processGateway(gw: KObject, gc: KObject, grants: KObject[]): GatewayCtx {
    const ns = gw.metadata.namespace!;
    const specListeners: any[] = gw.spec?.listeners ?? [];
    const listeners: ListenerCtx[] = specListeners.map((l) => ({
      spec: l,
      name: l.name,
      port: l.port,
      protocol: l.protocol,
      hostname: l.hostname || undefined,
      conds: [],
      supportedKinds: [],
      from: l.allowedRoutes?.namespaces?.from ?? 'Same',
      selectorInvalid: false,
      attached: 0,
      ready: false,
    }));

    // validateConflictedLayer7Listeners / validateConflictedLayer4Listeners
    const l7 = new Map<number, ListenerCtx[]>();
    for (const l of listeners) if (l.protocol !== 'TCP' && l.protocol !== 'UDP') l7.set(l.port, [...(l7.get(l.port) ?? []), l]);
    for (const group of l7.values()) {
      const protos = new Set(group.map((l) => (l.protocol === 'HTTPS' || l.protocol === 'TLS' ? 'https/tls' : l.protocol)));
      const hosts = new Map<string, number>();
      for (const l of group) hosts.set(l.hostname ?? '', (hosts.get(l.hostname ?? '') ?? 0) + 1);
      for (const l of group) {
        if (protos.size > 1) setCond(l.conds, { type: 'Conflicted', status: 'True', reason: 'ProtocolConflict', message: 'All listeners for a given port must use a compatible protocol' });
        if (hosts.get(l.hostname ?? '')! > 1) setCond(l.conds, { type: 'Conflicted', status: 'True', reason: 'HostnameConflict', message: 'All listeners for a given port must use a unique hostname' });
      }
    }
    for (const proto of ['TCP', 'UDP']) {
      const seenPorts = new Set<number>();
      for (const l of listeners) {
        if (l.protocol !== proto) continue;
        if (seenPorts.has(l.port)) setCond(l.conds, { type: 'Conflicted', status: 'True', reason: 'ProtocolConflict', message: `Only one ${proto} listener is allowed in a given port` });
        seenPorts.add(l.port);
      }
    }

    for (const l of listeners) {
      const kinds = kindsFor(l.spec);
      if (!kinds.length) {
        setCond(l.conds, { type: 'Accepted', status: 'False', reason: 'UnsupportedProtocol', message: `Protocol ${l.protocol} is unsupported, must be HTTP, HTTPS, TCP or UDP.` });
      } else validateAllowedRoutes(l, kinds);
      validateAllowedNamespaces(l);
      validateTLS(l, ns, grants);
      if ((l.protocol === 'TCP' || l.protocol === 'UDP') && l.hostname)
        setCond(l.conds, { type: 'Programmed', status: 'False', reason: 'Invalid', message: `Listener must not have hostname set when protocol is ${l.protocol}.` });
      l.ready = validateListenerConditions(l);
    }
    return { gw, gc, key: `${ns}/${gw.metadata.name}`, listeners, proxyName: proxyResourceName(ns, gw.metadata.name!) };
  }

  function validateAllowedRoutes(l: ListenerCtx, kinds: string[]): void {
    const wanted: any[] = l.spec.allowedRoutes?.kinds ?? [];
    if (!wanted.length) {
      l.supportedKinds = kinds.map((kind) => ({ group: GROUP, kind }));
      return;
    }
    const supported: any[] = [];
    const unsupported: any[] = [];
    for (const k of wanted) {
      if (k?.group !== undefined && k.group !== GROUP) {
        setCond(l.conds, { type: 'ResolvedRefs', status: 'False', reason: 'InvalidRouteKinds', message: `Group is not supported, group must be ${GROUP}` });
        continue;
      }
      if (kinds.includes(k?.kind)) supported.push(k);
      else unsupported.push(k);
    }
    for (const k of unsupported) {
      const print = supported.length ? supported.map((s) => s.kind) : kinds;
      setCond(l.conds, { type: 'ResolvedRefs', status: 'False', reason: 'InvalidRouteKinds', message: `${k?.kind} is not supported, kind must be one of [${print.join(' ')}]` });
    }
    l.supportedKinds = supported;
  }

  function validateAllowedNamespaces(l: ListenerCtx): void {
    if (l.from !== 'Selector') return;
    const sel = l.spec.allowedRoutes?.namespaces?.selector;
    if (!sel) {
      l.selectorInvalid = true;
      setCond(l.conds, {
        type: 'Programmed',
        status: 'False',
        reason: 'Invalid',
        message: 'The allowedRoutes.namespaces.selector field must be specified when allowedRoutes.namespaces.from is set to "Selector".',
      });
      return;
    }
    l.selector = fromLabelSelectorObject(sel);
  }

  function validateTLS(l: ListenerCtx, gwNs: string, grants: KObject[]): void {
    const tls = l.spec.tls;
    const invalid = (message: string, reason = 'Invalid') => setCond(l.conds, { type: 'Programmed', status: 'False', reason, message });
    switch (l.protocol) {
      case 'HTTP':
      case 'TCP':
      case 'UDP':
        if (tls) invalid(`Listener must not have TLS set when protocol is ${l.protocol}.`);
        return;
      case 'HTTPS':
        if (!tls) return invalid(`Listener must have TLS set when protocol is ${l.protocol}.`);
        if (tls.mode && tls.mode !== 'Terminate') return invalid(`TLS ${tls.mode} mode is not supported, TLS mode must be Terminate.`, 'UnsupportedTLSMode');
        if (!(tls.certificateRefs?.length)) return invalid('Listener must have at least 1 TLS certificate ref');
        return validateCertificateRefs(l, gwNs, grants);
      case 'TLS':
        if (!tls) return invalid(`Listener must have TLS set when protocol is ${l.protocol}.`);
        if (tls.mode === 'Passthrough' && tls.certificateRefs?.length) return invalid('Listener must not have TLS certificate refs set for TLS mode Passthrough.');
        if (tls.mode === 'Terminate') {
          if (!(tls.certificateRefs?.length)) return invalid('Listener must have TLS certificate refs set for TLS mode Terminate.');
          return validateCertificateRefs(l, gwNs, grants);
        }
    }
  }

  function validateCertificateRefs(l: ListenerCtx, gwNs: string, grants: KObject[]): void {
    const errors: string[] = [];
    let reason = 'InvalidCertificateRef';
    let valid = 0;
    (l.spec.tls.certificateRefs as any[]).forEach((ref, i) => {
      const fail = (msg: string, r = 'InvalidCertificateRef') => {
        if (!errors.length) reason = r;
        errors.push(`certificate refs ${i}: ${msg}`);
      };
      if (ref?.group) return fail("Listener's TLS certificate ref group must be unspecified/empty.");
      if (ref?.kind !== undefined && ref.kind !== 'Secret') return fail("Listener's TLS certificate ref kind must be Secret.");
      const ns = ref?.namespace || gwNs;
      if (ns !== gwNs && !refGranted(grants, { group: GROUP, kind: 'Gateway', namespace: gwNs }, { group: '', kind: 'Secret', namespace: ns, name: ref.name }))
        return fail(`Certificate ref to secret ${ns}/${ref.name} not permitted by any ReferenceGrant.`, 'RefNotPermitted');
      const secret = ctx.store.get(defs.secret, ns, ref?.name ?? '');
      if (!secret) return fail(`Secret ${ns}/${ref?.name} does not exist.`);
      if (secret.type !== 'kubernetes.io/tls') return fail(`Secret ${ns}/${ref.name} must be of type kubernetes.io/tls.`);
      if (!secret.data?.['tls.crt'] || !secret.data?.['tls.key']) return fail(`Secret ${ns}/${ref.name} must contain tls.crt and tls.key.`);
      if (!Buffer.from(secret.data['tls.crt'], 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----'))
        return fail(`Secret ${ns}/${ref.name} must contain a valid PEM certificate in tls.crt.`);
      valid++;
    });
    if (!valid && errors.length) setCond(l.conds, { type: 'ResolvedRefs', status: 'False', reason, message: `No valid secrets exist: ${errors.join(', ')}` });
  }

  /** validateListenerConditions: no condition yet means valid; anything else makes the listener not programmed. */
  function validateListenerConditions(l: ListenerCtx): boolean {
    if (!l.conds.length) {
      setCond(l.conds, { type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Sending translated listener configuration to the data plane' });
      setCond(l.conds, { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Listener has been successfully translated' });
      setCond(l.conds, { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Listener references have been resolved' });
      return true;
    }
    if (!l.conds.some((c) => c.type === 'Programmed'))
      setCond(l.conds, { type: 'Programmed', status: 'False', reason: 'Invalid', message: 'Listener is invalid, see other Conditions for details.' });
    if (!l.conds.some((c) => c.type === 'ResolvedRefs'))
      setCond(l.conds, { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Listener references have been resolved' });
    return false;
  }

  function listenerAllows(l: ListenerCtx, g: GatewayCtx, routeKind: string, routeNs: string, namespaces: Map<string, KObject>): boolean {
    if (!l.supportedKinds.some((k) => k?.kind === routeKind && (k.group === undefined || k.group === GROUP))) return false;
    switch (l.from) {
      case 'All':
        return true;
      case 'Selector':
        return !l.selectorInvalid && !!l.selector && matchesLabels(l.selector, namespaces.get(routeNs)?.metadata.labels);
      default:
        return routeNs === g.gw.metadata.namespace;
    }
  }

  // ─── Routes ────────────────────────────────────────────────────────────────────────────────────────

  function resolveBackends(route: KObject, kind: RouteKind, grants: KObject[]): { resolved: Cond; available?: Cond } {
    const ns = route.metadata.namespace!;
    let available: Cond | undefined;
    const rules: any[] = route.spec?.rules ?? [];
    for (let i = 0; i < rules.length; i++) {
      const refs: any[] = rules[i]?.backendRefs ?? [];
      for (let j = 0; j < refs.length; j++) {
        const ref = refs[j] ?? {};
        const fail = (reason: string, msg: string): { resolved: Cond } => ({
          resolved: { type: 'ResolvedRefs', status: 'False', reason, message: `Failed to process route rule ${i} backendRef ${j}: ${msg}` },
        });
        const group = ref.group ?? '';
        const bkind = ref.kind ?? 'Service';
        if (group !== '' && group !== 'multicluster.x-k8s.io')
          return fail('InvalidKind', 'Group is invalid, only the core API group (specified by omitting the group field or setting it to an empty string) and multicluster.x-k8s.io are supported.');
        if (bkind !== 'Service' && bkind !== 'ServiceImport') return fail('InvalidKind', 'Kind is invalid, only Service and MCS ServiceImport are supported.');
        if (ref.filters?.length) return fail('UnsupportedRefValue', 'The filters field within BackendRef is not supported.');
        const bns = ref.namespace || ns;
        if (bns !== ns && !refGranted(grants, { group: GROUP, kind, namespace: ns }, { group, kind: bkind, namespace: bns, name: ref.name }))
          return fail('RefNotPermitted', `Backend ref to ${bkind} ${bns}/${ref.name} not permitted by any ReferenceGrant.`);
        if (ref.port === undefined || ref.port === null) return fail('PortNotSpecified', 'A valid port number corresponding to a port on the Service must be specified.');
        if (bkind !== 'Service') return fail('BackendNotFound', `serviceimport ${bns}/${ref.name} not found.`);
        const svc = ctx.store.get(defs.svc, bns, ref.name ?? '');
        if (!svc) return fail('BackendNotFound', `service ${bns}/${ref.name} not found.`);
        const portFound = (svc.spec?.ports ?? []).some((p: any) => p?.port === ref.port && (p.protocol ?? 'TCP') === 'TCP');
        if (!portFound) return fail('PortNotFound', `TCP Port ${ref.port} not found on Service ${bns}/${ref.name}.`);
        if (!available && !hasReadyEndpoints(bns, ref.name))
          available = {
            type: 'BackendsAvailable',
            status: 'False',
            reason: 'EndpointsNotFound',
            message: `Failed to find endpoints: no ready endpoints for the related Service ${bns}/${ref.name}.`,
          };
      }
    }
    return { resolved: { type: 'ResolvedRefs', status: 'True', reason: 'ResolvedRefs', message: 'Resolved all the Object references for the Route' }, available };
  }

  function hasReadyEndpoints(ns: string, svcName: string): boolean {
    const slices = ctx.store.list(defs.slice, ns, { labelSelector: [{ key: 'kubernetes.io/service-name', op: 'in', values: [svcName] }] });
    return slices.some((s) => (s.endpoints ?? []).some((e: any) => (e?.addresses ?? []).length && e?.conditions?.ready !== false));
  }

  function processRoute(route: KObject, kind: RouteKind, gateways: Map<string, GatewayCtx>, namespaces: Map<string, KObject>, grants: KObject[]): void {
    const ns = route.metadata.namespace!;
    const parents: any[] = [];
    let refs: { resolved: Cond; available?: Cond } | undefined;
    const hostnames: string[] = route.spec?.hostnames ?? [];
    for (const pr of (route.spec?.parentRefs ?? []) as any[]) {
      if ((pr?.group ?? GROUP) !== GROUP || (pr?.kind ?? 'Gateway') !== 'Gateway') continue;
      const g = gateways.get(`${pr.namespace || ns}/${pr.name}`);
      if (!g) continue;
      refs ??= resolveBackends(route, kind, grants);
      const selected = g.listeners.filter((l) => (!pr.sectionName || l.name === pr.sectionName) && (pr.port === undefined || pr.port === null || l.port === pr.port));
      let accepted: Cond;
      if (!selected.length) {
        accepted = { type: 'Accepted', status: 'False', reason: 'NoMatchingParent', message: 'No listeners match this parent ref' };
      } else {
        const allowed = selected.filter((l) => listenerAllows(l, g, kind, ns, namespaces));
        if (!allowed.length) {
          accepted = { type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'No listeners included by this parent ref allowed this attachment.' };
        } else {
          for (const l of allowed) l.attached++;
          const intersects = allowed.some((l) => !hostnames.length || hostnames.some((h) => hostnamesIntersect(l.hostname, h)));
          accepted = intersects
            ? { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route is accepted' }
            : {
                type: 'Accepted',
                status: 'False',
                reason: 'NoMatchingListenerHostname',
                message: `There were no hostname intersections between the ${kind} and this parent ref's Listener(s).`,
              };
        }
      }
      const conds = [accepted, ...(refs.available ? [refs.available] : []), refs.resolved];
      const prev = (route.status?.parents ?? []).find((p: any) => p?.controllerName === GATEWAY_CONTROLLER_NAME && deepEqual(p.parentRef, pr));
      parents.push({ parentRef: clone(pr), controllerName: GATEWAY_CONTROLLER_NAME, conditions: toConditions(conds, prev?.conditions, route.metadata.generation) });
    }
    const foreign = (route.status?.parents ?? []).filter((p: any) => p?.controllerName !== GATEWAY_CONTROLLER_NAME);
    const next = [...foreign, ...parents];
    if (deepEqual(route.status?.parents ?? [], next)) return;
    if (!parents.length && !(route.status?.parents ?? []).some((p: any) => p?.controllerName === GATEWAY_CONTROLLER_NAME)) return;
    ctx.store.mutate(kind === 'HTTPRoute' ? defs.httproute : defs.grpcroute, ns, route.metadata.name!, (d) => {
      d.status = { ...(d.status ?? {}), parents: next };
    });
  }

  // ─── Proxy infrastructure ──────────────────────────────────────────────────────────────────────────

  function proxyLabels(g: GatewayCtx): Record<string, string> {
    return {
      'app.kubernetes.io/component': 'proxy',
      'app.kubernetes.io/managed-by': 'envoy-gateway',
      'app.kubernetes.io/name': 'envoy',
      [OWNING_GATEWAY_NAME]: g.gw.metadata.name!,
      [OWNING_GATEWAY_NAMESPACE]: g.gw.metadata.namespace!,
    };
  }

  function ownerRefs(g: GatewayCtx): any[] {
    return [{ apiVersion: `${GROUP}/v1`, kind: 'GatewayClass', name: g.gc.metadata.name!, uid: g.gc.metadata.uid! }];
  }

  /** The proxy's ports: one per ready listener, unique per (port, protocol), as the infra IR has them. */
  function infraPorts(g: GatewayCtx): { name: string; protocol: string; servicePort: number; containerPort: number }[] {
    const out: { name: string; protocol: string; servicePort: number; containerPort: number }[] = [];
    for (const l of g.listeners) {
      if (!l.ready) continue;
      const l4 = l.protocol === 'UDP' ? 'UDP' : 'TCP';
      if (out.some((p) => p.servicePort === l.port && p.protocol === l4)) continue;
      out.push({ name: `${l.protocol.toLowerCase()}-${l.port}`, protocol: l4, servicePort: l.port, containerPort: containerPortFor(l.port) });
    }
    return out;
  }

  function desiredDeployment(g: GatewayCtx, ports: ReturnType<typeof infraPorts>): KObject {
    const labels = proxyLabels(g);
    const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath } } });
    const env = [
      { name: 'ENVOY_GATEWAY_NAMESPACE', value: PROXY_NAMESPACE },
      fieldEnv('ENVOY_SERVICE_ZONE', "metadata.annotations['topology.kubernetes.io/zone']"),
      fieldEnv('ENVOY_POD_NAME', 'metadata.name'),
    ];
    const httpProbe = (path: string, port: number, periodSeconds: number, failureThreshold: number) => ({
      failureThreshold,
      httpGet: { path, port, scheme: 'HTTP' },
      periodSeconds,
      successThreshold: 1,
      timeoutSeconds: 1,
    });
    const securityContext = {
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      runAsGroup: 65532,
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    };
    const nsName = `${g.gw.metadata.namespace}/${g.gw.metadata.name}`;
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: g.proxyName, namespace: PROXY_NAMESPACE, labels, ownerReferences: ownerRefs(g) },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 600,
        revisionHistoryLimit: 10,
        selector: { matchLabels: { ...labels } },
        strategy: { type: 'RollingUpdate' },
        template: {
          metadata: {
            annotations: { 'prometheus.io/path': '/stats/prometheus', 'prometheus.io/port': '19001', 'prometheus.io/scrape': 'true' },
            labels: { ...labels },
          },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                name: 'envoy',
                image: ENVOY_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['envoy'],
                args: [
                  `--service-cluster ${nsName}`,
                  '--service-node $(ENVOY_POD_NAME)',
                  '--config-yaml {"admin":{"address":{"socket_address":{"address":"127.0.0.1","port_value":19000}}},"dynamic_resources":{"ads_config":{"api_type":"DELTA_GRPC","grpc_services":[{"envoy_grpc":{"cluster_name":"xds_cluster"}}]}}}',
                  '--log-level warn',
                  '--cpuset-threads',
                  '--drain-strategy immediate',
                  '--drain-time-s 60',
                ],
                env,
                // The lab declares the listener ports so its data plane knows what the proxy serves; Envoy Gateway
                // itself only declares metrics and readiness.
                ports: [
                  ...ports.map((p) => ({ containerPort: p.containerPort, name: p.name, protocol: p.protocol })),
                  { containerPort: 19001, name: 'metrics', protocol: 'TCP' },
                  { containerPort: 19003, name: 'readiness', protocol: 'TCP' },
                ],
                lifecycle: { preStop: { httpGet: { path: '/shutdown/ready', port: 19002, scheme: 'HTTP' } } },
                livenessProbe: httpProbe('/ready', 19003, 10, 3),
                readinessProbe: httpProbe('/ready', 19003, 5, 1),
                startupProbe: httpProbe('/ready', 19003, 10, 30),
                resources: { requests: { cpu: '100m', memory: '512Mi' } },
                securityContext,
                volumeMounts: [
                  { mountPath: '/certs', name: 'certs', readOnly: true },
                  { mountPath: '/sds', name: 'sds' },
                ],
              },
              {
                name: 'shutdown-manager',
                image: SHUTDOWN_MANAGER_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['envoy-gateway'],
                args: ['envoy', 'shutdown-manager'],
                env,
                // Envoy Gateway probes 19002 without declaring it; declared for the lab's readiness rule (docs/LAB.md).
                ports: [{ containerPort: 19002, name: 'shutdown', protocol: 'TCP' }],
                lifecycle: { preStop: { exec: { command: ['envoy-gateway', 'envoy', 'shutdown'] } } },
                livenessProbe: httpProbe('/healthz', 19002, 10, 3),
                readinessProbe: httpProbe('/healthz', 19002, 10, 3),
                startupProbe: httpProbe('/healthz', 19002, 10, 30),
                resources: { requests: { cpu: '10m', memory: '32Mi' } },
                securityContext,
              },
            ],
            dnsPolicy: 'ClusterFirst',
            restartPolicy: 'Always',
            schedulerName: 'default-scheduler',
            serviceAccountName: g.proxyName,
            terminationGracePeriodSeconds: 360,
            volumes: [
              { name: 'certs', secret: { defaultMode: 420, secretName: 'envoy' } },
              {
                name: 'sds',
                configMap: {
                  defaultMode: 420,
                  items: [
                    { key: 'xds-trusted-ca.json', path: 'xds-trusted-ca.json' },
                    { key: 'xds-certificate.json', path: 'xds-certificate.json' },
                  ],
                  name: g.proxyName,
                  optional: false,
                },
              },
            ],
          },
        },
      },
    };
  }

  function desiredService(g: GatewayCtx, ports: ReturnType<typeof infraPorts>): KObject {
    const labels = proxyLabels(g);
    const externalIPs = ((g.gw.spec?.addresses ?? []) as any[]).filter((a) => (a?.type ?? 'IPAddress') === 'IPAddress' && a.value).map((a) => a.value);
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: g.proxyName, namespace: PROXY_NAMESPACE, labels, ownerReferences: ownerRefs(g) },
      spec: {
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        sessionAffinity: 'None',
        selector: { ...labels },
        ports: ports.map((p) => ({ name: p.name, port: p.servicePort, protocol: p.protocol, targetPort: p.containerPort })),
        ...(externalIPs.length ? { externalIPs } : {}),
      },
    };
  }

  /** Creates or updates the Gateway's proxy. False (and the proxy removed) when no listener can be served. */
  function ensureInfra(g: GatewayCtx): boolean {
    const { store, registry } = ctx;
    const ports = infraPorts(g);
    if (!ports.length) return false;
    const labels = proxyLabels(g);

    const sa = store.get(defs.sa, PROXY_NAMESPACE, g.proxyName);
    if (!sa) store.create(defs.sa, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: g.proxyName, namespace: PROXY_NAMESPACE, labels, ownerReferences: ownerRefs(g) } });
    if (!store.get(defs.cm, PROXY_NAMESPACE, g.proxyName)) {
      store.create(defs.cm, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: g.proxyName, namespace: PROXY_NAMESPACE, labels, ownerReferences: ownerRefs(g) },
        data: {
          'xds-certificate.json':
            '{"resources":[{"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret","name":"xds_certificate","tls_certificate":{"certificate_chain":{"filename":"/certs/tls.crt"},"private_key":{"filename":"/certs/tls.key"}}}]}',
          'xds-trusted-ca.json':
            '{"resources":[{"@type":"type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret","name":"xds_trusted_ca","validation_context":{"trusted_ca":{"filename":"/certs/ca.crt"},"match_typed_subject_alt_names":[{"san_type":"DNS","matcher":{"exact":"envoy-gateway"}}]}}]}',
        },
      });
    }

    const dep = desiredDeployment(g, ports);
    admit(defs.deploy, dep);
    const curDep = store.get(defs.deploy, PROXY_NAMESPACE, g.proxyName);
    if (!curDep) store.create(defs.deploy, dep);
    else {
      const next = clone(curDep);
      next.metadata.labels = { ...(curDep.metadata.labels ?? {}), ...labels };
      next.metadata.ownerReferences = dep.metadata.ownerReferences;
      next.spec = dep.spec;
      if (!deepEqual(next, curDep)) store.update(defs.deploy, next);
    }

    const svc = desiredService(g, ports);
    admit(defs.svc, svc);
    const curSvc = store.get(defs.svc, PROXY_NAMESPACE, g.proxyName);
    if (!curSvc) {
      allocateServiceAddresses(store, registry, svc);
      store.create(defs.svc, svc);
    } else {
      const next = clone(curSvc);
      next.metadata.labels = { ...(curSvc.metadata.labels ?? {}), ...labels };
      next.metadata.ownerReferences = svc.metadata.ownerReferences;
      for (const f of ['type', 'externalTrafficPolicy', 'sessionAffinity', 'selector', 'externalIPs']) {
        if (svc.spec[f] === undefined) delete next.spec[f];
        else next.spec[f] = svc.spec[f];
      }
      next.spec.ports = svc.spec.ports;
      allocateServiceAddresses(store, registry, next, curSvc);
      if (!deepEqual(next, curSvc)) store.update(defs.svc, next);
    }
    return true;
  }

  function cleanupInfra(wanted: Set<string>): void {
    const { store } = ctx;
    const sel: LabelSelector = [
      { key: 'app.kubernetes.io/managed-by', op: 'in', values: ['envoy-gateway'] },
      { key: 'app.kubernetes.io/name', op: 'in', values: ['envoy'] },
      { key: OWNING_GATEWAY_NAME, op: 'exists' },
    ];
    for (const def of [defs.deploy, defs.svc, defs.sa, defs.cm]) {
      for (const o of store.list(def, PROXY_NAMESPACE, { labelSelector: sel })) {
        if (!wanted.has(o.metadata.name!) && !o.metadata.deletionTimestamp) store.remove(def, PROXY_NAMESPACE, o.metadata.name!);
      }
    }
  }

  // ─── Gateway status ────────────────────────────────────────────────────────────────────────────────

  function writeGatewayStatus(g: GatewayCtx): void {
    const { store } = ctx;
    const gw = g.gw;
    const svc = store.get(defs.svc, PROXY_NAMESPACE, g.proxyName);
    const dep = store.get(defs.deploy, PROXY_NAMESPACE, g.proxyName);
    const addresses: any[] = [];
    if (svc) {
      if (gw.spec?.addresses?.length) {
        for (const ip of svc.spec?.externalIPs?.length ? svc.spec.externalIPs : (svc.spec?.clusterIPs ?? [])) addresses.push({ type: 'IPAddress', value: ip });
      } else if (svc.spec?.type === 'LoadBalancer') {
        const hosts: any[] = [];
        for (const i of svc.status?.loadBalancer?.ingress ?? []) {
          if (i?.ip) addresses.push({ type: 'IPAddress', value: i.ip });
          else if (i?.hostname) hosts.push({ type: 'Hostname', value: i.hostname });
        }
        addresses.push(...hosts);
      }
    }
    const conds: Cond[] = [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'The Gateway has been scheduled by Envoy Gateway' }];
    const available = dep?.status?.availableReplicas ?? 0;
    if (!addresses.length) {
      conds.push({ type: 'Programmed', status: 'False', reason: 'AddressNotAssigned', message: 'No addresses have been assigned to the Gateway' });
    } else if (addresses.length > 16) {
      conds.push({ type: 'Programmed', status: 'False', reason: 'Invalid', message: `Too many addresses (${addresses.length}) have been assigned to the Gateway, the maximum number of addresses is 16` });
      addresses.length = 16;
    } else if (available > 0) {
      conds.push({
        type: 'Programmed',
        status: 'True',
        reason: 'Programmed',
        message: `Address assigned to the Gateway, ${available}/${dep?.status?.replicas ?? 0} envoy Deployment replicas available`,
      });
    } else {
      conds.push({ type: 'Programmed', status: 'False', reason: 'NoResources', message: 'Deployment replicas unavailable' });
    }
    const prevListeners: any[] = gw.status?.listeners ?? [];
    const status: any = { ...(gw.status ?? {}) };
    if (addresses.length) status.addresses = addresses;
    else delete status.addresses;
    status.conditions = toConditions(conds, gw.status?.conditions, gw.metadata.generation);
    status.listeners = g.listeners.map((l) => ({
      name: l.name,
      supportedKinds: l.supportedKinds.map((k) => ({ ...(k.group !== undefined ? { group: k.group } : {}), kind: k.kind })),
      attachedRoutes: l.attached,
      conditions: toConditions(l.conds, prevListeners.find((p) => p?.name === l.name)?.conditions, gw.metadata.generation),
    }));
    if (deepEqual(gw.status ?? {}, status)) return;
    store.mutate(defs.gw, gw.metadata.namespace, gw.metadata.name!, (d) => {
      d.status = status;
    });
  }

  const RELEVANT = new Set([
    `${GROUP}/gatewayclasses`,
    `${GROUP}/gateways`,
    `${GROUP}/httproutes`,
    `${GROUP}/grpcroutes`,
    `${GROUP}/referencegrants`,
    '/services',
    '/secrets',
    '/namespaces',
    'discovery.k8s.io/endpointslices',
  ]);

  return {
    name: 'gateway',
    start(c) {
      ctx = c;
      defs = {
        gc: c.type(GROUP, 'gatewayclasses'),
        gw: c.type(GROUP, 'gateways'),
        httproute: c.type(GROUP, 'httproutes'),
        grpcroute: c.type(GROUP, 'grpcroutes'),
        grant: c.type(GROUP, 'referencegrants'),
        svc: c.type('', 'services'),
        secret: c.type('', 'secrets'),
        ns: c.type('', 'namespaces'),
        slice: c.type('discovery.k8s.io', 'endpointslices'),
        deploy: c.type('apps', 'deployments'),
        sa: c.type('', 'serviceaccounts'),
        cm: c.type('', 'configmaps'),
      };
      queue = new WorkQueue(sync, (_k, e) => console.error(`lab: gateway controller: ${(e as Error)?.stack ?? e}`));
      queue.add('sync');
    },
    onEvent(ev, def) {
      if (!queue) return;
      const t = `${def.group}/${def.plural}`;
      const inProxyNs = ev.object.metadata.namespace === PROXY_NAMESPACE;
      if (RELEVANT.has(t) || (inProxyNs && (t === 'apps/deployments' || t === '/serviceaccounts' || t === '/configmaps'))) queue.add('sync');
    },
    stop() {
      queue?.stop();
    },
  };
}

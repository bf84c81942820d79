// Resolution: from a target to every path it stands for, with the objects on each. Reads are targeted (by name,
// by label selector, by namespace) and issued as soon as what they depend on is known, and a few cheap ones are
// read ahead of what they depend on (shared through the Fetcher, so the facts are the same). `svc/NAME` takes two
// sequential round trips: (1) the Service, the routing objects, cluster context and the Service's EndpointSlices,
// Events and NetworkPolicies; (2) the pods its selector picks (and, when its slices name no pod, the pods with its
// label keys), the controller's pods and Service, and — read ahead by labels and by the install's usual namespace —
// the load balancer's EndpointSlices and the controller's namespace. `ingress/NAME` and hosts take three (the
// backend Service is known only after the first), and one more when a read ahead missed.
import { R } from '../kube/resources.ts';
import { mapToSelectorString, matchesMap } from '../kube/selectors.ts';
import type { KObject } from '../kube/types.ts';
import {
  type ControllerSpec, controllerForGatewayClass, controllerForIngressClass, controllerForLegacyClass,
} from './controllers.ts';
import type { BackendFacts, ClusterFacts, ControllerFacts, PathFacts, RouteFacts, SourceFacts, TlsFacts } from './facts.ts';
import { type Fetcher, type Got, got, valueOr } from './fetch.ts';
import { gatewayHostMatches, hostnamesIntersect, matchRoutes, refersToGateway, selectedListeners } from './httproute-match.ts';
import { type IngressMatch, ingressHostMatches, matchIngress } from './ingress-match.ts';
import type { ObjectRef } from './model.ts';
import type { Target } from './target.ts';

export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const EXTERNAL_DNS_HOSTNAME = 'external-dns.alpha.kubernetes.io/hostname';
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const MAX_PATHS = 24;

/** The target object does not exist (exit 2). */
export class TargetNotFoundError extends Error {}

/** The target itself could not be read (403 on the object the user named): not authorised (exit 3). */
export class TargetUnreadableError extends Error {}

export interface ResolveOptions {
  namespace: string;
  /** -A: look the named object up in every namespace. */
  allNamespaces?: boolean;
  /** DNS answers from the workstation probe, awaited only when nothing in the cluster names the host. */
  dnsAddresses?: () => Promise<string[]>;
}

export interface Resolution {
  paths: PathFacts[];
  cluster: ClusterFacts;
  /** The namespace the target lives in (for the report header). */
  namespace?: string;
}

export function refOf(o: KObject, fallbackKind?: string): ObjectRef {
  return {
    kind: o.kind ?? fallbackKind ?? 'Object',
    name: o.metadata.name,
    ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
    ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}),
  };
}

function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const k = key(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const podKey = (p: KObject) => `${p.metadata.namespace}/${p.metadata.name}`;

/** Lists with several selectors and merges the results; the first failure wins when nothing could be read. */
async function listUnion(f: Fetcher, type: typeof R.pods, selectors: string[], namespace?: string): Promise<Got<KObject[]>> {
  if (!selectors.length) return got([]);
  const results = await Promise.all(selectors.map((s) => f.list(type, { labelSelector: s, ...(namespace ? { namespace } : {}) })));
  const ok = results.filter((r): r is { ok: true; value: KObject[] } => r.ok);
  if (!ok.length) return results[0]!;
  return got(uniqueBy(ok.flatMap((r) => r.value), podKey));
}

/** Addresses in an Ingress/Service status.loadBalancer. */
export function statusAddresses(o: KObject | undefined): string[] {
  const ing: any[] = o?.status?.loadBalancer?.ingress ?? [];
  return ing.map((i) => i?.ip ?? i?.hostname).filter((a): a is string => typeof a === 'string' && !!a);
}

export function gatewayAddresses(gw: KObject | undefined): string[] {
  return ((gw?.status?.addresses ?? []) as any[]).map((a) => a?.value).filter((v): v is string => typeof v === 'string' && !!v);
}

/** The IngressClass an Ingress uses: spec.ingressClassName, the legacy annotation, or the default class. */
export function ingressClassOf(ing: KObject, classes: KObject[]): { name?: string; source: 'spec' | 'annotation' | 'default' | 'none' } {
  const byName = ing.spec?.ingressClassName;
  if (typeof byName === 'string' && byName) return { name: byName, source: 'spec' };
  const ann = ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (typeof ann === 'string' && ann) return { name: ann, source: 'annotation' };
  const dflt = classes
    .filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
  if (dflt) return { name: dflt.metadata.name, source: 'default' };
  return { source: 'none' };
}

/** The ServicePort an Ingress/route backend port refers to (number or name). */
export function findServicePort(svc: KObject | undefined, port: number | string | undefined): any {
  const ports: any[] = Array.isArray(svc?.spec?.ports) ? svc!.spec.ports : [];
  if (port === undefined || port === '') return ports.length === 1 ? ports[0] : undefined;
  return ports.find((p) => (typeof port === 'number' ? p?.port === port : p?.name === port));
}

/** `ns/name` from a controller's `--publish-service`, with $(POD_NAMESPACE) expanded. */
export function publishServiceOf(pod: KObject): string | undefined {
  for (const c of pod.spec?.containers ?? []) {
    const argv: string[] = [...(c?.command ?? []), ...(c?.args ?? [])].map(String);
    for (let i = 0; i < argv.length; i++) {
      const m = /^--publish-service(?:=(.*))?$/.exec(argv[i]!);
      if (!m) continue;
      let v = m[1] ?? argv[i + 1] ?? '';
      v = v.replace(/\$\(POD_NAMESPACE\)/g, pod.metadata.namespace ?? '');
      if (!v) return undefined;
      return v.includes('/') ? v : `${pod.metadata.namespace}/${v}`;
    }
  }
  return undefined;
}

// ─── Seeds: what each path starts from ───────────────────────────────────────────────────────────────

type Seed =
  | { via: 'ingress'; ingress: KObject; match: IngressMatch; host?: string; path: string; scheme?: 'http' | 'https'; port?: number; noRoute?: PathFacts['noRoute'] }
  | {
      via: 'httproute';
      route: KObject;
      gateway?: KObject;
      gatewayRef: ObjectRef;
      parentRef: any;
      listeners: any[];
      ruleIndex?: number;
      match?: any;
      hostname?: string;
      backendRef?: any;
      host?: string;
      path: string;
      scheme?: 'http' | 'https';
      port?: number;
      noRoute?: PathFacts['noRoute'];
    }
  | { via: 'service'; service: KObject; host?: string; path: string; scheme?: 'http' | 'https'; port?: number; notExposed?: boolean; noRoute?: PathFacts['noRoute'] };

function ingressBackendRef(backend: any, ns: string): { namespace: string; name: string; port?: number | string } | 'resource' | undefined {
  if (!backend) return undefined;
  if (backend.service?.name) {
    const p = backend.service.port;
    return { namespace: ns, name: String(backend.service.name), port: typeof p?.number === 'number' ? p.number : typeof p?.name === 'string' ? p.name : undefined };
  }
  if (backend.serviceName) return { namespace: ns, name: String(backend.serviceName), port: backend.servicePort };
  if (backend.resource) return 'resource';
  return undefined;
}

function schemeFor(tlsHosts: boolean, requested?: 'http' | 'https'): 'http' | 'https' {
  return requested ?? (tlsHosts ? 'https' : 'http');
}

function ingressCoversTls(ing: KObject, host: string | undefined): boolean {
  const tls: any[] = Array.isArray(ing.spec?.tls) ? ing.spec.tls : [];
  return tls.some((t) => !Array.isArray(t?.hosts) || !t.hosts.length || (host !== undefined && t.hosts.some((h: string) => ingressHostMatches(h, host) !== undefined && h !== '')));
}

/** Seeds for every rule/path of one Ingress (ingress/NAME and reverse lookups). */
function ingressSeeds(ing: KObject, filter?: (backend: any) => boolean): Seed[] {
  const out: Seed[] = [];
  const rules: any[] = Array.isArray(ing.spec?.rules) ? ing.spec.rules : [];
  rules.forEach((rule, ruleIndex) => {
    const paths: any[] = Array.isArray(rule?.http?.paths) ? rule.http.paths : [];
    paths.forEach((p, pathIndex) => {
      if (filter && !filter(p?.backend)) return;
      const host = typeof rule?.host === 'string' && rule.host ? rule.host : undefined;
      const path = typeof p?.path === 'string' && p.path ? p.path : '/';
      const entry = { ingress: ing, ruleIndex, pathIndex, ...(rule?.host ? { host: rule.host } : {}), path, pathType: (p?.pathType ?? 'ImplementationSpecific') as any, backend: p?.backend };
      out.push({
        via: 'ingress',
        ingress: ing,
        match: { entry, hostMatch: rule?.host ? (rule.host.startsWith('*.') ? 'wildcard' : 'exact') : 'any', shadowed: [], candidates: [entry], ingresses: [ing] },
        host,
        path,
        scheme: schemeFor(ingressCoversTls(ing, host)),
      });
    });
  });
  if (ing.spec?.defaultBackend && (!filter || filter(ing.spec.defaultBackend))) {
    const entry = { ingress: ing, ruleIndex: -1, pathIndex: -1, path: '/', pathType: 'Prefix' as const, backend: ing.spec.defaultBackend };
    out.push({ via: 'ingress', ingress: ing, match: { entry, viaDefaultBackend: true, shadowed: [], candidates: [entry], ingresses: [ing] }, path: '/', scheme: 'http' });
  }
  return out;
}

function routeBackendRefs(route: KObject, ruleIndex: number): any[] {
  const refs: any[] = route.spec?.rules?.[ruleIndex]?.backendRefs ?? [];
  return refs.filter((r) => (r?.weight ?? 1) !== 0 || refs.length === 1);
}

/** Seeds for every rule of an HTTPRoute on every Gateway it attaches to (httproute/NAME, gateway/NAME, reverse). */
function routeSeeds(route: KObject, gateways: Map<string, KObject>, filter?: (ref: any) => boolean, onlyGateway?: KObject): Seed[] {
  const out: Seed[] = [];
  const ns = route.metadata.namespace!;
  const parentRefs: any[] = Array.isArray(route.spec?.parentRefs) ? route.spec.parentRefs : [];
  const hostnames: string[] = Array.isArray(route.spec?.hostnames) ? route.spec.hostnames : [];
  for (const pr of parentRefs) {
    if ((pr?.kind ?? 'Gateway') !== 'Gateway') continue;
    const gwNs = pr?.namespace ?? ns;
    if (onlyGateway && !refersToGateway(pr, ns, onlyGateway)) continue;
    const gw = gateways.get(`${gwNs}/${pr?.name}`);
    const listeners = gw ? selectedListeners(gw, pr) : [];
    const https = listeners.find((l) => l?.protocol === 'HTTPS');
    const listener = https ?? listeners[0];
    const listenerHost: string | undefined = listener?.hostname;
    const rawHost = hostnames.find((h) => hostnamesIntersect(h, listenerHost)) ?? listenerHost;
    const host = rawHost || undefined;
    const rules: any[] = Array.isArray(route.spec?.rules) ? route.spec.rules : [];
    rules.forEach((rule, ruleIndex) => {
      const match = Array.isArray(rule?.matches) && rule.matches.length ? rule.matches[0] : { path: { type: 'PathPrefix', value: '/' } };
      const path = match?.path?.value ?? '/';
      const refs = routeBackendRefs(route, ruleIndex).filter((r) => !filter || filter(r));
      for (const backendRef of refs.length ? refs : filter ? [] : [undefined]) {
        out.push({
          via: 'httproute',
          route,
          gateway: gw,
          gatewayRef: { kind: 'Gateway', name: String(pr?.name), namespace: gwNs, apiVersion: 'gateway.networking.k8s.io/v1' },
          parentRef: pr,
          listeners: listener ? [listener] : [],
          ruleIndex,
          match,
          hostname: rawHost,
          backendRef,
          host,
          path,
          scheme: listener?.protocol === 'HTTPS' ? 'https' : 'http',
          ...(listener?.port ? { port: listener.port } : {}),
        });
      }
    });
  }
  return out;
}

function isServiceRef(ref: any): boolean {
  return (ref?.group ?? '') === '' && (ref?.kind ?? 'Service') === 'Service';
}

// ─── The resolver ────────────────────────────────────────────────────────────────────────────────────

export async function resolve(target: Target, f: Fetcher, opts: ResolveOptions): Promise<Resolution> {
  const cluster: ClusterFacts = {} as ClusterFacts;
  const clusterP = Promise.all([
    f.list(R.nodes),
    f.list(R.daemonsets, { namespace: 'kube-system' }),
    f.get(R.configmaps, 'kube-proxy', 'kube-system'),
    f.list(R.ingressclasses),
    f.list(R.gatewayclasses),
  ]).then(([nodes, daemonsets, kubeProxy, ingressClasses, gatewayClasses]) => Object.assign(cluster, { nodes, daemonsets, kubeProxy, ingressClasses, gatewayClasses }));
  // Awaited below; a fatal error (401, unreachable) may end the run before that, so never leave it unhandled.
  clusterP.catch(() => {});

  const seeds: Seed[] = [];
  let namespace: string | undefined;

  /** The named object, in -n's namespace, or found by name across namespaces with -A. */
  const named = async (type: typeof R.services, name: string, label: string): Promise<KObject> => {
    if (opts.allNamespaces) {
      const l = await f.list(type, { fieldSelector: `metadata.name=${name}` });
      if (!l.ok) throw new TargetUnreadableError(`cannot look ${label} "${name}" up in all namespaces: ${l.error.message}`);
      if (!l.value.length) throw new TargetNotFoundError(`${label} "${name}" not found in any namespace`);
      if (l.value.length > 1)
        throw new TargetNotFoundError(`${label} "${name}" exists in several namespaces (${l.value.map((o) => o.metadata.namespace).join(', ')}): pick one with -n`);
      return l.value[0]!;
    }
    const g = await f.get(type, name, opts.namespace);
    if (!g.ok) {
      if (g.error.reason === 'NotInstalled') throw new TargetNotFoundError(`the cluster does not serve ${type.plural} (${type.apiVersion})`);
      throw new TargetUnreadableError(`cannot read ${label} "${name}": ${g.error.message}`);
    }
    if (!g.value) throw new TargetNotFoundError(`${label} "${name}" not found in namespace "${opts.namespace}"`);
    return g.value;
  };

  const gatewaysByKey = (l: KObject[]) => new Map(l.map((g) => [`${g.metadata.namespace}/${g.metadata.name}`, g]));

  switch (target.kind) {
    case 'service': {
      // The routing objects are read alongside the Service (its namespace is known unless -A).
      const early = opts.allNamespaces ? undefined : f.list(R.ingresses, { namespace: opts.namespace });
      const routesP = f.list(R.httproutes);
      const gwsP = f.list(R.gateways);
      for (const p of [early, routesP, gwsP]) p?.catch(() => {});
      // Read ahead: every path of svc/NAME ends at this Service, so its EndpointSlices, Events and NetworkPolicies
      // (the same reads expand() makes, shared through the Fetcher) need not wait for the Service (3 requests that
      // are wasted only when the Service does not exist).
      if (!opts.allNamespaces) readAhead(backendReads(f, { namespace: opts.namespace, name: target.name }));
      const svc = await named(R.services, target.name, 'service');
      namespace = svc.metadata.namespace!;
      const [ings, routes, gws] = await Promise.all([early ?? f.list(R.ingresses, { namespace }), routesP, gwsP]);
      const isSvc = (b: any) => {
        const r = ingressBackendRef(b, namespace!);
        return typeof r === 'object' && r.name === svc.metadata.name;
      };
      for (const ing of valueOr(ings, [])) seeds.push(...ingressSeeds(ing, isSvc));
      const gwMap = gatewaysByKey(valueOr(gws, []));
      for (const route of valueOr(routes, [])) {
        const refsSvc = (ref: any) => isServiceRef(ref) && ref?.name === svc.metadata.name && (ref?.namespace ?? route.metadata.namespace) === namespace;
        seeds.push(...routeSeeds(route, gwMap, refsSvc));
      }
      await addMissingGateways(f, seeds);
      if (svc.spec?.type === 'LoadBalancer' || svc.spec?.type === 'NodePort') {
        const host = String(svc.metadata.annotations?.[EXTERNAL_DNS_HOSTNAME] ?? '').split(',')[0]?.trim() || undefined;
        seeds.push({ via: 'service', service: svc, host, path: '/', scheme: 'http' });
      }
      if (!seeds.length) seeds.push({ via: 'service', service: svc, path: '/', notExposed: true });
      // Reads of routing objects that failed still leave the Service itself to check.
      if (!ings.ok || !routes.ok) {
        const failedRead = !ings.ok ? ings : routes;
        if (!failedRead.ok && failedRead.error.reason === 'Forbidden' && seeds.every((s) => s.via === 'service' && s.notExposed)) {
          seeds[0] = { via: 'service', service: svc, path: '/', noRoute: { message: `could not look for Ingresses/HTTPRoutes that route to the Service`, evidence: [`${failedRead.error.what}: ${failedRead.error.message}`] } };
        }
      }
      break;
    }
    case 'ingress': {
      const ing = await named(R.ingresses, target.name, 'ingress');
      namespace = ing.metadata.namespace!;
      seeds.push(...ingressSeeds(ing));
      if (!seeds.length)
        seeds.push({
          via: 'ingress',
          ingress: ing,
          match: { shadowed: [], candidates: [], ingresses: [ing] },
          path: '/',
          noRoute: { message: `Ingress ${ing.metadata.name} has no rules and no default backend`, evidence: ['spec.rules: []', 'spec.defaultBackend: none'] },
        });
      break;
    }
    case 'httproute': {
      const [route, gws] = await Promise.all([named(R.httproutes, target.name, 'httproute'), f.list(R.gateways)]);
      namespace = route.metadata.namespace!;
      seeds.push(...routeSeeds(route, gatewaysByKey(valueOr(gws, []))));
      await addMissingGateways(f, seeds);
      if (!seeds.length)
        seeds.push({
          via: 'httproute',
          route,
          gatewayRef: { kind: 'Gateway', name: '(none)' },
          parentRef: undefined,
          listeners: [],
          path: '/',
          noRoute: { message: `HTTPRoute ${route.metadata.name} has no parentRefs to a Gateway or no rules`, evidence: [`parentRefs: ${JSON.stringify(route.spec?.parentRefs ?? [])}`] },
        });
      break;
    }
    case 'gateway': {
      const [gw, routes] = await Promise.all([named(R.gateways, target.name, 'gateway'), f.list(R.httproutes)]);
      namespace = gw.metadata.namespace!;
      const gwMap = gatewaysByKey([gw]);
      for (const route of valueOr(routes, [])) seeds.push(...routeSeeds(route, gwMap, undefined, gw));
      if (!seeds.length) {
        seeds.push({
          via: 'httproute',
          route: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: '(none)', namespace: gw.metadata.namespace } },
          gateway: gw,
          gatewayRef: refOf(gw, 'Gateway'),
          parentRef: { name: gw.metadata.name, namespace: gw.metadata.namespace },
          listeners: Array.isArray(gw.spec?.listeners) ? gw.spec.listeners : [],
          path: '/',
          noRoute: {
            message: routes.ok ? `no HTTPRoute attaches to Gateway ${gw.metadata.name}` : `could not list HTTPRoutes: ${routes.error.message}`,
            evidence: routes.ok ? [`${routes.value.length} HTTPRoutes in the cluster, none with a parentRef to ${gw.metadata.namespace}/${gw.metadata.name}`] : [routes.error.what],
          },
        });
      }
      break;
    }
    case 'host': {
      const [ings, routes, gws] = await Promise.all([f.list(R.ingresses), f.list(R.httproutes), f.list(R.gateways)]);
      await clusterP;
      const classes = valueOr(cluster.ingressClasses, []);
      const host = target.host;
      if (!target.ip) {
        // Ingresses, grouped by the controller class that serves them.
        const groups = new Map<string, KObject[]>();
        for (const ing of valueOr(ings, [])) {
          const cls = ingressClassOf(ing, classes).name ?? '';
          groups.set(cls, [...(groups.get(cls) ?? []), ing]);
        }
        for (const group of groups.values()) {
          const m = matchIngress(group, host, target.path);
          if (!m.hostMatch) continue;
          const first = m.entry?.ingress ?? m.ingresses[0]!;
          const covers = m.ingresses.some((i) => ingressCoversTls(i, host));
          const seed: Seed = { via: 'ingress', ingress: first, match: m, host, path: target.path, scheme: schemeFor(covers, target.scheme), ...(target.port ? { port: target.port } : {}) };
          if (!m.entry) {
            seed.noRoute = {
              message: `no Ingress rule for ${host}${target.path}: the controller answers 404`,
              evidence: m.candidates.map((c) => `ingress/${c.ingress.metadata.name} -n ${c.ingress.metadata.namespace}: ${c.host ?? '*'} ${c.path} (${c.pathType})`),
              next: `kubectl get ingress -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,HOSTS:.spec.rules[*].host,PATHS:.spec.rules[*].http.paths[*].path`,
            };
          }
          seeds.push(seed);
        }
        // HTTPRoutes, per Gateway listener that takes the host.
        const gwList = valueOr(gws, []);
        const routeList = valueOr(routes, []);
        for (const gw of gwList) {
          const listeners: any[] = (Array.isArray(gw.spec?.listeners) ? gw.spec.listeners : []).filter(
            (l: any) =>
              (l?.protocol === 'HTTP' || l?.protocol === 'HTTPS') &&
              (!target.scheme || (target.scheme === 'https') === (l.protocol === 'HTTPS')) &&
              (!target.port || l.port === target.port) &&
              gatewayHostMatches(l?.hostname, host),
          );
          if (!listeners.length) continue;
          // Prefer HTTPS listeners when the URL does not say.
          listeners.sort((a, b) => (a.protocol === 'HTTPS' ? 0 : 1) - (b.protocol === 'HTTPS' ? 0 : 1));
          let best: { c: ReturnType<typeof matchRoutes>[number]; listener: any; parentRef: any } | undefined;
          let attachedWithHost: KObject[] = [];
          for (const listener of listeners) {
            const attached = routeList.filter((r) =>
              (Array.isArray(r.spec?.parentRefs) ? r.spec.parentRefs : []).some(
                (pr: any) => refersToGateway(pr, r.metadata.namespace!, gw) && selectedListeners(gw, pr).includes(listener),
              ),
            );
            const candidates = matchRoutes(attached, { host, path: target.path }, listener?.hostname);
            const withHost = attached.filter((r) => matchRoutes([r], { host, path: '/' }, listener?.hostname).length || (Array.isArray(r.spec?.hostnames) && r.spec.hostnames.some((h: string) => gatewayHostMatches(h, host))));
            attachedWithHost = attachedWithHost.concat(withHost);
            if (candidates.length && !best) {
              const c = candidates[0]!;
              const parentRef = (c.route.spec.parentRefs as any[]).find((pr) => refersToGateway(pr, c.route.metadata.namespace!, gw) && selectedListeners(gw, pr).includes(listener));
              best = { c, listener, parentRef };
            }
          }
          const gwRef = refOf(gw, 'Gateway');
          if (best) {
            const refs = routeBackendRefs(best.c.route, best.c.ruleIndex);
            for (const backendRef of refs.length ? refs : [undefined]) {
              seeds.push({
                via: 'httproute',
                route: best.c.route,
                gateway: gw,
                gatewayRef: gwRef,
                parentRef: best.parentRef,
                listeners: [best.listener],
                ruleIndex: best.c.ruleIndex,
                match: best.c.match,
                hostname: best.c.hostname,
                backendRef,
                host,
                path: target.path,
                scheme: best.listener.protocol === 'HTTPS' ? 'https' : 'http',
                ...(target.port ? { port: target.port } : {}),
              });
            }
          } else if (uniqueBy(attachedWithHost, podKey).length) {
            const r = uniqueBy(attachedWithHost, podKey);
            seeds.push({
              via: 'httproute',
              route: r[0]!,
              gateway: gw,
              gatewayRef: gwRef,
              parentRef: (r[0]!.spec.parentRefs as any[]).find((pr) => refersToGateway(pr, r[0]!.metadata.namespace!, gw)),
              listeners: [listeners[0]],
              host,
              path: target.path,
              scheme: listeners[0].protocol === 'HTTPS' ? 'https' : 'http',
              noRoute: {
                message: `no HTTPRoute rule on Gateway ${gw.metadata.name} matches ${host}${target.path}: the gateway answers 404`,
                evidence: r.map((x) => `httproute/${x.metadata.name} -n ${x.metadata.namespace}: ${(x.spec?.rules ?? []).flatMap((rule: any) => (rule?.matches ?? [{ path: { type: 'PathPrefix', value: '/' } }]).map((m: any) => `${m?.path?.type ?? 'PathPrefix'} ${m?.path?.value ?? '/'}`)).join(', ')}`),
              },
            });
          }
        }
        if (!ings.ok && !seeds.length) throw new TargetUnreadableError(`cannot list Ingresses to find host "${host}": ${ings.error.message}`);
      }
      if (!seeds.length) {
        // Nothing routes the host: a LoadBalancer Service that publishes it (external-dns) or its address.
        const [svcs, dnsAddrs] = await Promise.all([f.list(R.services), opts.dnsAddresses ? opts.dnsAddresses().catch(() => []) : Promise.resolve([] as string[])]);
        const wanted = new Set([...(target.ip ? [host] : []), ...dnsAddrs]);
        for (const svc of valueOr(svcs, [])) {
          if (svc.spec?.type !== 'LoadBalancer' && svc.spec?.type !== 'NodePort') continue;
          const names = String(svc.metadata.annotations?.[EXTERNAL_DNS_HOSTNAME] ?? '').split(',').map((s) => s.trim().toLowerCase().replace(/\.$/, ''));
          const byName = !target.ip && names.includes(host);
          const addrs = statusAddresses(svc);
          if (byName || addrs.some((a) => wanted.has(a))) {
            seeds.push({ via: 'service', service: svc, host: target.ip ? undefined : host, path: target.path, scheme: target.scheme ?? 'http', ...(target.port ? { port: target.port } : {}) });
          }
        }
        if (!seeds.length && !svcs.ok) throw new TargetUnreadableError(`cannot list Services to find host "${host}": ${svcs.error.message}`);
      }
      if (!seeds.length)
        throw new TargetNotFoundError(
          target.ip
            ? `no LoadBalancer Service or Gateway in the cluster has the address ${host}`
            : `no Ingress, HTTPRoute or LoadBalancer Service in the cluster serves host "${host}"`,
        );
      break;
    }
  }

  await clusterP;
  const limited = dedupeSeeds(seeds).slice(0, MAX_PATHS);
  const paths = await expandAll(limited, f, cluster);
  const ids = new Map<string, number>();
  for (const p of paths) {
    const n = (ids.get(p.id) ?? 0) + 1;
    ids.set(p.id, n);
    if (n > 1) p.id = `${p.id}#${n}`;
  }
  return { paths, cluster, namespace };
}

/** Gateways named by parentRefs that the cluster-wide list could not return (forbidden): read them by name. */
async function addMissingGateways(f: Fetcher, seeds: Seed[]): Promise<void> {
  await Promise.all(
    seeds.map(async (s) => {
      if (s.via !== 'httproute' || s.gateway || !s.gatewayRef.namespace) return;
      const g = await f.get(R.gateways, s.gatewayRef.name, s.gatewayRef.namespace);
      if (g.ok && g.value) {
        s.gateway = g.value;
        const listeners = selectedListeners(g.value, s.parentRef);
        const listener = listeners.find((l) => l?.protocol === 'HTTPS') ?? listeners[0];
        s.listeners = listener ? [listener] : [];
        if (listener) s.scheme = listener.protocol === 'HTTPS' ? 'https' : 'http';
        if (!s.host && listener?.hostname) s.host = String(listener.hostname);
      }
    }),
  );
}

function seedKey(s: Seed): string {
  const backend =
    s.via === 'ingress'
      ? JSON.stringify(s.match.entry?.backend ?? null)
      : s.via === 'httproute'
        ? `${s.route.metadata.namespace}/${s.route.metadata.name}/${s.gatewayRef.namespace}/${s.gatewayRef.name}/${s.ruleIndex}/${JSON.stringify(s.backendRef ?? null)}`
        : `${s.service.metadata.namespace}/${s.service.metadata.name}`;
  return `${s.via}|${s.host ?? ''}|${s.path}|${backend}`;
}

function dedupeSeeds(seeds: Seed[]): Seed[] {
  return uniqueBy(seeds, seedKey);
}

function pathId(s: Seed): string {
  if (s.via === 'service' && !s.host) return `svc/${s.service.metadata.namespace}/${s.service.metadata.name}`;
  return `${s.host ?? '*'}${s.path}`;
}

// ─── Expanding seeds into the objects behind them ────────────────────────────────────────────────────
// Three phases, each one batch of parallel reads over every path (the Fetcher shares identical reads):
//   A. the front end's controller and data-plane pods and Services, TLS Secrets, ReferenceGrants, and the
//      backend Service, its EndpointSlices, Events and NetworkPolicies;
//   B. what A names: the load balancer's EndpointSlices, the controller namespace and its policies, the pods the
//      Service selector matches, Secrets of the same name elsewhere (only when one is missing);
//   C. only when needed: pods the EndpointSlices name that the selector missed, pods with the selector's keys.

interface TlsEntry {
  hosts: string[];
  secretName?: string;
  namespace: string;
  from: string;
}

interface Work {
  seed: Seed;
  facts: PathFacts;
  backendRef?: { namespace: string; name: string; port?: number | string };
  spec?: ControllerSpec;
  controller?: ControllerFacts;
  tlsEntries: TlsEntry[];
  // reads that need only the seed
  ctrlPods?: Got<KObject[]>;
  proxyPods?: Got<KObject[]>;
  lbCandidates?: Got<KObject[]>;
  lbSelectors: string[];
  secrets: (Got<KObject | undefined> | undefined)[];
  grants?: Got<KObject[]>;
  gateway?: Got<KObject | undefined>;
  svc?: Got<KObject | undefined>;
  slices?: Got<KObject[]>;
  events?: Got<KObject[]>;
  netpols?: Got<KObject[]>;
  // reads that need one of those first
  publishSvc?: Got<KObject | undefined>;
  lbSvc?: KObject;
  selected?: Got<KObject[]>;
  source?: SourceFacts;
  elsewhere: (Got<KObject[]> | undefined)[];
  // and one more step
  extraRefs: { namespace: string; name: string }[];
  extra?: Got<KObject | undefined>[];
  related?: Got<KObject[]>;
}

/** Starts reads whose answers are used later through the Fetcher's cache; a fatal error surfaces where they are used. */
function readAhead(ps: Promise<unknown>[]): void {
  for (const p of ps) p.catch(() => {});
}

/** The reads of a backend Service that need only its name: EndpointSlices, the namespace's Events and NetworkPolicies. */
function backendReads(f: Fetcher, be: { namespace: string; name: string }): [Promise<Got<KObject[]>>, Promise<Got<KObject[]>>, Promise<Got<KObject[]>>] {
  return [
    f.list(R.endpointslices, { namespace: be.namespace, labelSelector: `${SERVICE_NAME_LABEL}=${be.name}` }),
    f.list(R.events, { namespace: be.namespace }),
    f.list(R.networkpolicies, { namespace: be.namespace }),
  ];
}

/** Whether EndpointSlices name any pod (when none do, the Service's selector most likely matches nothing). */
function slicesNamePods(slices: Got<KObject[]> | undefined): boolean {
  return valueOr(slices, []).some((sl) => (Array.isArray(sl.endpoints) ? sl.endpoints : []).some((e: any) => e?.targetRef?.kind === 'Pod'));
}

async function controllerPods(f: Fetcher, spec: ControllerSpec | undefined): Promise<Got<KObject[]> | undefined> {
  if (!spec || !spec.inCluster || !spec.podSelectors.length) return undefined;
  return listUnion(f, R.pods, spec.podSelectors);
}

function newWork(seed: Seed, cluster: ClusterFacts): Work {
  const facts: PathFacts = {
    id: pathId(seed),
    via: seed.via,
    ...(seed.host ? { host: seed.host } : {}),
    path: seed.path,
    ...(seed.scheme ? { scheme: seed.scheme } : {}),
    ...(seed.port ? { port: seed.port } : {}),
    ...(seed.noRoute ? { noRoute: seed.noRoute } : {}),
    lb: { published: [] },
    cluster,
  };
  const w: Work = { seed, facts, tlsEntries: [], lbSelectors: [], secrets: [], elsewhere: [], extraRefs: [] };
  if (seed.via === 'ingress') {
    const ing = seed.ingress;
    const ns = ing.metadata.namespace!;
    const classes = valueOr(cluster.ingressClasses, []);
    const cls = ingressClassOf(ing, classes);
    const classObj = cls.name ? classes.find((c) => c.metadata.name === cls.name) : undefined;
    const controllerName: string | undefined = classObj?.spec?.controller;
    const spec = controllerName ? controllerForIngressClass(controllerName) : cls.source === 'annotation' && cls.name ? controllerForLegacyClass(cls.name) : undefined;
    w.controller = { ...(controllerName ? { controllerName } : {}), ...(spec ? { spec } : {}) };
    if (classObj || cls.source === 'annotation') w.spec = spec;
    const ingresses = seed.match.ingresses.length ? seed.match.ingresses : [ing];
    w.tlsEntries = ingresses.flatMap((i) =>
      (Array.isArray(i.spec?.tls) ? i.spec.tls : [])
        .filter((t: any) => !seed.host || !Array.isArray(t?.hosts) || !t.hosts.length || t.hosts.some((h: string) => ingressHostMatches(h, seed.host!) !== undefined || h === seed.host))
        .map((t: any) => ({ hosts: Array.isArray(t?.hosts) ? t.hosts.map(String) : [], ...(t?.secretName ? { secretName: String(t.secretName) } : {}), namespace: i.metadata.namespace!, from: `ingress/${i.metadata.name}` })),
    );
    facts.ingress = { object: ing, match: seed.match, ...(cls.name ? { className: cls.name } : {}), classSource: cls.source, ...(classObj ? { classObj } : {}), controller: w.controller, tls: [] };
    const b = seed.match.entry ? ingressBackendRef(seed.match.entry.backend, ns) : undefined;
    if (b === 'resource') facts.unsupportedBackend = `the Ingress backend is a resource (${seed.match.entry?.backend?.resource?.kind ?? 'unknown kind'}), not a Service`;
    else if (b) w.backendRef = b;
    facts.lb.published = uniqueBy(ingresses.flatMap(statusAddresses), (x) => x);
    facts.lb.publishedBy = refOf(ing, 'Ingress');
    if (!w.spec) {
      facts.lb.unknownReason = !classObj && cls.source !== 'annotation' ? 'the Ingress has no IngressClass that a controller claims' : 'the Ingress controller is not one netpath recognises, so its load balancer Service is unknown';
    } else if (!w.spec.inCluster) {
      facts.lb.unknownReason = `${w.spec.name} provisions a cloud load balancer outside the cluster; its address is the Ingress status`;
    } else w.lbSelectors = w.spec.serviceSelectors;
  } else if (seed.via === 'httproute') {
    const route = seed.route;
    const gw = seed.gateway;
    const gwClass = gw ? valueOr(cluster.gatewayClasses, []).find((c) => c.metadata.name === gw.spec?.gatewayClassName) : undefined;
    const controllerName: string | undefined = gwClass?.spec?.controllerName;
    w.spec = controllerForGatewayClass(controllerName);
    w.controller = { ...(controllerName ? { controllerName } : {}), ...(w.spec ? { spec: w.spec } : {}) };
    if (gw && (!w.spec || w.spec.inCluster)) {
      const id = { name: gw.metadata.name, namespace: gw.metadata.namespace! };
      w.lbSelectors = w.spec?.gatewaySelectors?.(id) ?? [`gateway.networking.k8s.io/gateway-name=${id.name}`];
    } else if (!gw) facts.lb.unknownReason = 'the Gateway could not be read';
    else facts.lb.unknownReason = `${w.spec!.name} provisions a load balancer outside the cluster; its address is the Gateway status`;
    w.tlsEntries = (seed.listeners ?? [])
      .filter((l) => l?.protocol === 'HTTPS' && l?.tls?.mode !== 'Passthrough')
      .flatMap((l) =>
        (Array.isArray(l?.tls?.certificateRefs) ? l.tls.certificateRefs : []).map((c: any) => ({
          hosts: l.hostname ? [String(l.hostname)] : [],
          ...(c?.name ? { secretName: String(c.name) } : {}),
          namespace: String(c?.namespace ?? gw?.metadata.namespace ?? ''),
          from: `gateway/${gw?.metadata.name} listener ${l.name}`,
        })),
      );
    const ref = seed.backendRef;
    const crossNs = ref && isServiceRef(ref) && ref.namespace && ref.namespace !== route.metadata.namespace ? String(ref.namespace) : undefined;
    if (ref && isServiceRef(ref) && ref.name) w.backendRef = { namespace: crossNs ?? route.metadata.namespace!, name: String(ref.name), ...(ref.port !== undefined ? { port: ref.port } : {}) };
    else if (ref) facts.unsupportedBackend = `the backendRef is a ${ref.group ? `${ref.group}/` : ''}${ref.kind ?? 'Service'}, not a core Service`;
    facts.lb.published = gatewayAddresses(gw);
    if (gw) facts.lb.publishedBy = refOf(gw, 'Gateway');
    facts.route = {
      object: route,
      ...(seed.ruleIndex !== undefined ? { ruleIndex: seed.ruleIndex } : {}),
      ...(seed.match ? { match: seed.match } : {}),
      ...(seed.hostname ? { hostname: seed.hostname } : {}),
      parentRef: seed.parentRef,
      gateway: got(gw),
      gatewayRef: seed.gatewayRef,
      ...(gwClass ? { gatewayClass: gwClass } : {}),
      listeners: seed.listeners,
      controller: w.controller,
      ...(ref ? { backendRef: ref } : {}),
      tls: [],
    } satisfies RouteFacts;
  } else {
    const svc = seed.service;
    facts.notExposed = seed.notExposed;
    facts.lb = { service: got(svc), serviceRef: refOf(svc, 'Service'), published: statusAddresses(svc), publishedBy: refOf(svc, 'Service') };
    w.lbSvc = svc;
    const port = svc.spec?.ports?.[0]?.port;
    w.backendRef = { namespace: svc.metadata.namespace!, name: svc.metadata.name, ...(port !== undefined ? { port } : {}) };
    if (!seed.port && typeof port === 'number' && port !== 80 && !seed.notExposed) facts.port = port;
  }
  return w;
}

/**
 * Every read of one path, each started as soon as what it depends on has arrived (not phase by phase): the
 * Service's pods go out as soon as the Service is known (often already, from resolution: a cache hit), the
 * controller's namespace as soon as its pods are. That keeps the sequential round trips to what the data truly
 * needs (`-v` counts them). The reads and the facts are the same as a phase-by-phase walk would give.
 */
async function expand(w: Work, f: Fetcher): Promise<void> {
  const s = w.seed;
  const be = w.backendRef;
  const front = s.via === 'ingress' || s.via === 'httproute';
  const after = <T>(p: Promise<T>, set: (v: T) => void): Promise<void> => p.then(set);
  // What nothing else has to be read for first.
  const ctrlP = front ? after(controllerPods(f, w.spec), (g) => void (w.ctrlPods = g)) : undefined;
  const candidatesP = front && w.lbSelectors.length ? after(listUnion(f, R.services, w.lbSelectors), (g) => void (w.lbCandidates = g)) : undefined;
  const secretsP = front
    ? after(Promise.all(w.tlsEntries.map((t) => (t.secretName ? f.get(R.secrets, t.secretName, t.namespace) : Promise.resolve(undefined)))), (g) => void (w.secrets = g))
    : undefined;
  const proxyP = s.via === 'httproute' && w.lbSelectors.length ? after(listUnion(f, R.pods, w.lbSelectors), (g) => void (w.proxyPods = g)) : undefined;
  const grantsP =
    s.via === 'httproute' && be && be.namespace !== s.route.metadata.namespace ? after(f.list(R.referencegrants, { namespace: be.namespace }), (g) => void (w.grants = g)) : undefined;
  const svcP = be ? after(f.get(R.services, be.name, be.namespace), (g) => void (w.svc = g)) : undefined;
  const [slicesR, eventsR, netpolsR] = be ? backendReads(f, be) : [];
  const slicesP = slicesR ? after(slicesR, (g) => void (w.slices = g)) : undefined;
  const eventsP = eventsR ? after(eventsR, (g) => void (w.events = g)) : undefined;
  const netpolsP = netpolsR ? after(netpolsR, (g) => void (w.netpols = g)) : undefined;
  // Read ahead, so the front end's second step does not cost a round trip of its own: the load balancer's
  // EndpointSlices by the labels its Service carries (the EndpointSlice controller copies a Service's labels onto
  // its slices; lbSlices() falls back to the read by name when none matches), and the namespace and
  // NetworkPolicies of the namespace the controller (or the Gateway's proxies) usually runs in.
  const lbSlicesAhead = front && w.lbSelectors.length ? listUnion(f, R.endpointslices, w.lbSelectors) : undefined;
  if (lbSlicesAhead) readAhead([lbSlicesAhead]);
  const usualNs =
    s.via === 'ingress' && w.spec?.inCluster && w.spec.podSelectors.length
      ? w.spec.usualNamespace
      : s.via === 'httproute' && w.lbSelectors.length
        ? (w.spec?.usualNamespace ?? s.gateway?.metadata.namespace)
        : undefined;
  if (usualNs) readAhead([f.get(R.namespaces, usualNs), f.list(R.networkpolicies, { namespace: usualNs })]);

  // The front end: its load-balancer Service (--publish-service first, else the labelled LoadBalancer/NodePort one),
  // who connects to the pods, TLS secrets in other namespaces; then the load balancer's slices and events.
  const frontChain = async (): Promise<void> => {
    const jobs: Promise<unknown>[] = [];
    let publishP: Promise<void> | undefined;
    if (front) {
      await Promise.all([ctrlP, candidatesP, secretsP, proxyP]);
      const pods = valueOr(w.ctrlPods, []);
      const publish = s.via === 'ingress' ? pods.map(publishServiceOf).find(Boolean) : undefined;
      const listed = valueOr(w.lbCandidates, []);
      const fromList = publish ? listed.find((x) => `${x.metadata.namespace}/${x.metadata.name}` === publish) : undefined;
      if (publish && !fromList) publishP = after(f.get(R.services, publish.split('/')[1]!, publish.split('/')[0]), (g) => void (w.publishSvc = g));
      else w.lbSvc = fromList ?? listed.find((x) => x.spec?.type === 'LoadBalancer') ?? listed.find((x) => x.spec?.type === 'NodePort');
      // Who connects to the pods, for NetworkPolicy evaluation.
      const srcPods = s.via === 'ingress' ? (w.ctrlPods ? pods : undefined) : w.proxyPods ? valueOr(w.proxyPods, []) : undefined;
      if (srcPods) {
        const name = s.via === 'ingress' ? (w.spec?.name ?? 'the ingress controller') : `${w.spec?.name ?? 'Gateway'} proxies of gateway/${s.gateway?.metadata.name}`;
        const ns = srcPods[0]?.metadata.namespace;
        const src: SourceFacts = { kind: s.via === 'ingress' ? 'controller' : 'proxy', name, pods: srcPods };
        w.source = src;
        if (ns) jobs.push(Promise.all([f.get(R.namespaces, ns), f.list(R.networkpolicies, { namespace: ns })]).then(([n, p]) => Object.assign(src, { namespace: n, netpols: p })));
      }
      w.elsewhere = w.tlsEntries.map(() => undefined);
      w.secrets.forEach((g, i) => {
        const t = w.tlsEntries[i]!;
        if (g?.ok && !g.value && t.secretName) jobs.push(f.list(R.secrets, { fieldSelector: `metadata.name=${t.secretName}` }).then((e) => void (w.elsewhere[i] = e)));
      });
    } else if (!w.facts.notExposed) {
      w.source = { kind: 'external', name: 'clients outside the cluster', pods: [] };
    }
    if (w.lbSvc) jobs.push(lbSlices(f, w, lbSlicesAhead));
    if (publishP) {
      await publishP;
      if (w.publishSvc?.ok && w.publishSvc.value) {
        w.lbSvc = w.publishSvc.value;
        jobs.push(lbSlices(f, w, lbSlicesAhead));
      }
    }
    // A pending load balancer: the cloud controller's events say why (quota, shape, subnet…).
    const lb = w.lbSvc;
    if (lb && lb.spec?.type === 'LoadBalancer' && !statusAddresses(lb).length) {
      const ns = lb.metadata.namespace!;
      await eventsP;
      if (w.backendRef?.namespace === ns && w.events) w.facts.lb.events = w.events;
      else jobs.push(f.list(R.events, { namespace: ns }).then((g) => void (w.facts.lb.events = g)));
    }
    await Promise.all(jobs);
  };

  // The backend: the pods its selector picks (and, when none, the pods that carry its label keys), and pods the
  // EndpointSlices name that the selector did not pick.
  const backendChain = async (): Promise<void> => {
    if (!be) return;
    await svcP;
    const sel = w.svc?.ok ? w.svc.value?.spec?.selector : undefined;
    const jobs: Promise<unknown>[] = [];
    if (sel && typeof sel === 'object' && Object.keys(sel).length) {
      const related = () => f.list(R.pods, { namespace: be.namespace, labelSelector: Object.keys(sel).sort().join(',') });
      const selectedP = f.list(R.pods, { namespace: be.namespace, labelSelector: mapToSelectorString(sel) });
      // When the EndpointSlices (usually here by now) name no pod, the selector most likely matches none: read the
      // pods with its label keys alongside, not after (one request, used only if the selector indeed returns none).
      if (slicesP)
        readAhead([
          slicesP.then(() => {
            if (!w.selected && !slicesNamePods(w.slices)) readAhead([related()]);
          }),
        ]);
      w.selected = await selectedP;
      if (w.selected.ok && !w.selected.value.length) jobs.push(related().then((g) => void (w.related = g)));
    }
    await slicesP;
    const have = new Set(valueOr(w.selected, []).map(podKey));
    w.extraRefs = uniqueBy(
      valueOr(w.slices, [])
        .flatMap((sl) => (Array.isArray(sl.endpoints) ? sl.endpoints : []))
        .map((e: any) => e?.targetRef)
        .filter((t: any) => t?.kind === 'Pod' && t.name)
        .map((t: any) => ({ namespace: String(t.namespace ?? be.namespace), name: String(t.name) })),
      (t) => `${t.namespace}/${t.name}`,
    ).filter((t) => !have.has(`${t.namespace}/${t.name}`));
    if (w.extraRefs.length) jobs.push(Promise.all(w.extraRefs.map((t) => f.get(R.pods, t.name, t.namespace))).then((g) => void (w.extra = g)));
    await Promise.all(jobs);
  };

  await Promise.all([frontChain(), backendChain(), grantsP, eventsP, netpolsP, slicesP]);
}

/** The load balancer Service's EndpointSlices: from the read ahead by its labels when that has them, else by name. */
async function lbSlices(f: Fetcher, w: Work, ahead?: Promise<Got<KObject[]>>): Promise<void> {
  const svc = w.lbSvc!;
  const ns = svc.metadata.namespace!;
  const name = svc.metadata.name;
  const early = ahead ? await ahead : undefined;
  const mine = early?.ok ? early.value.filter((sl) => sl.metadata.namespace === ns && sl.metadata.labels?.[SERVICE_NAME_LABEL] === name) : [];
  w.facts.lb.slices = mine.length ? got(mine) : await f.list(R.endpointslices, { namespace: ns, labelSelector: `${SERVICE_NAME_LABEL}=${name}` });
}

function finish(w: Work): PathFacts {
  const facts = w.facts;
  const s = w.seed;
  const tls: TlsFacts[] = w.tlsEntries.map((t, i) => ({
    hosts: t.hosts,
    secretNamespace: t.namespace,
    from: t.from,
    ...(t.secretName ? { secretName: t.secretName } : {}),
    ...(w.secrets[i] ? { secret: w.secrets[i]! } : {}),
    ...(w.elsewhere[i] ? { elsewhere: w.elsewhere[i]! } : {}),
  }));
  if (w.controller && w.ctrlPods) w.controller.pods = w.ctrlPods;
  if (facts.ingress) facts.ingress.tls = tls;
  if (facts.route) {
    facts.route.tls = tls;
    if (w.proxyPods) facts.route.proxyPods = w.proxyPods;
    if (w.grants) facts.route.referenceGrants = w.grants;
  }
  if (s.via !== 'service') {
    if (w.lbSvc) {
      facts.lb.service = got(w.lbSvc);
      facts.lb.serviceRef = refOf(w.lbSvc, 'Service');
    } else if (w.publishSvc && !w.publishSvc.ok) facts.lb.service = w.publishSvc;
    else if (w.lbCandidates && !w.lbCandidates.ok) facts.lb.service = w.lbCandidates as Got<never>;
    else if (!facts.lb.unknownReason && w.spec)
      facts.lb.unknownReason =
        w.ctrlPods && !w.ctrlPods.ok ? 'the controller\'s pods could not be read' : `no LoadBalancer or NodePort Service of ${w.spec.name} was found (labels ${w.lbSelectors.join(' or ') || 'unknown'})`;
    else if (!facts.lb.unknownReason && s.via === 'httproute') facts.lb.unknownReason = `no LoadBalancer Service for gateway/${s.gateway?.metadata.name} was found (labels ${w.lbSelectors.join(' or ')})`;
  }
  if (w.source) facts.source = w.source;
  const be = w.backendRef;
  if (be && w.svc && w.slices && w.events && w.netpols) {
    const podReadErrors: string[] = [];
    const pods = [...valueOr(w.selected, [])];
    (w.extra ?? []).forEach((g, i) => {
      if (g.ok && g.value) pods.push(g.value);
      else if (!g.ok) podReadErrors.push(`${w.extraRefs[i]!.namespace}/${w.extraRefs[i]!.name}: ${g.error.message}`);
    });
    const svc = w.svc.ok ? w.svc.value : undefined;
    facts.backend = {
      namespace: be.namespace,
      name: be.name,
      ...(be.port !== undefined ? { port: be.port } : {}),
      service: w.svc,
      ...(svc ? { servicePort: findServicePort(svc, be.port) } : {}),
      slices: w.slices,
      ...(w.selected ? { selectedPods: w.selected } : {}),
      pods: uniqueBy(pods, podKey),
      podReadErrors,
      ...(w.related ? { relatedPods: w.related } : {}),
      events: w.events,
      netpols: w.netpols,
    } satisfies BackendFacts;
  }
  return facts;
}

async function expandAll(seeds: Seed[], f: Fetcher, cluster: ClusterFacts): Promise<PathFacts[]> {
  const work = seeds.map((s) => newWork(s, cluster));
  await Promise.all(work.map((w) => expand(w, f)));
  return work.map(finish);
}

/** Whether a pod is selected by a Service selector (exported for checks). */
export function serviceSelects(svc: KObject | undefined, pod: KObject): boolean {
  return matchesMap(svc?.spec?.selector, pod.metadata.labels);
}

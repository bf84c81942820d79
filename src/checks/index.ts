// Runs every layer's checks on a path and turns them into the model's layers.
import type { KObject } from '../kube/types.ts';
import type { PathFacts } from '../path/facts.ts';
import { type Check, LAYERS, type Layer, type LayerId, type ObjectRef, type Path, type Probes, layerStatus } from '../path/model.ts';
import { dnsChecks } from './dns.ts';
import { endpointsChecks } from './endpoints.ts';
import { gatewayChecks } from './gateway.ts';
import { ingressChecks } from './ingress.ts';
import { loadBalancerChecks } from './loadbalancer.ts';
import { podsChecks } from './pods.ts';
import { serviceChecks } from './service.ts';
import { type CheckContext, endpointsOf, mk } from './util.ts';
import { entry } from './catalogue.ts';
import { statusAddresses } from '../path/resolve.ts';

export type { CheckContext } from './util.ts';

function ingressLayerChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  if (f.via === 'ingress') return ingressChecks(ctx);
  if (f.via === 'httproute') return gatewayChecks(ctx);
  return [mk('ing.no-rule', 'skipped', 'traffic goes straight to the LoadBalancer Service: no Ingress or Gateway on this path')];
}

const RUNNERS: Record<LayerId, (ctx: CheckContext) => Check[]> = {
  dns: dnsChecks,
  loadbalancer: loadBalancerChecks,
  ingress: ingressLayerChecks,
  service: serviceChecks,
  endpoints: endpointsChecks,
  pods: podsChecks,
};

/** The check whose ok message best says what a healthy layer is. */
const SUMMARY_CHECK: Partial<Record<LayerId, string[]>> = {
  loadbalancer: ['lb.pending'],
  ingress: ['ing.no-rule', 'route.no-match'],
  service: ['svc.selector-no-pods', 'svc.exists'],
  endpoints: ['ep.none'],
  pods: ['pod.not-ready'],
};

function summaryOf(id: LayerId, checks: Check[], probeSkipped?: string): string {
  const preferred = (SUMMARY_CHECK[id] ?? []).map((x) => checks.find((c) => c.id === x && c.status === 'ok')).find(Boolean);
  const first = preferred ?? checks.find((c) => c.status === 'ok' && !entry(c.id)?.info);
  const fail = checks.find((c) => c.status === 'fail');
  if (fail) return fail.message;
  // Unknown because probes are off is less telling than a warning or what the API showed.
  const probeOff = (c: Check) => !!probeSkipped && !!entry(c.id)?.probe;
  const unknown = checks.find((c) => c.status === 'unknown' && !probeOff(c));
  if (unknown) return unknown.message;
  const warn = checks.find((c) => c.status === 'warn');
  if (warn) return warn.message;
  const offline = checks.find((c) => c.status === 'unknown');
  if (offline) return first ? `${first.message}; not probed` : offline.message;
  return (first ?? checks[0])?.message ?? `${id}: nothing to check`;
}

function objectsOf(id: LayerId, f: PathFacts): ObjectRef[] {
  const r = (o: KObject | undefined, kind: string): ObjectRef[] => (o ? [{ kind: o.kind ?? kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) }] : []);
  switch (id) {
    case 'dns':
      return [];
    case 'loadbalancer':
      return f.lb.service?.ok && f.lb.service.value ? r(f.lb.service.value, 'Service') : [];
    case 'ingress':
      return f.ingress ? [...r(f.ingress.object, 'Ingress'), ...r(f.ingress.classObj, 'IngressClass')] : f.route ? [...r(f.route.object, 'HTTPRoute'), ...(f.route.gateway.ok ? r(f.route.gateway.value, 'Gateway') : [])] : [];
    case 'service':
      return f.backend?.service.ok ? r(f.backend.service.value, 'Service') : [];
    case 'endpoints':
      return f.backend?.slices.ok ? f.backend.slices.value.flatMap((s) => r(s, 'EndpointSlice')) : [];
    case 'pods':
      return (f.backend?.pods ?? []).flatMap((p) => r(p, 'Pod'));
  }
}

/** Checks one path and fills the model's Path. */
export function checkPath(f: PathFacts, probes: Probes | undefined, opts: { probeSkipped?: string; now?: number } = {}): Path {
  const ctx: CheckContext = { facts: f, ...(probes ? { probes } : {}), ...(opts.probeSkipped ? { probeSkipped: opts.probeSkipped } : {}), now: opts.now ?? Date.now() };
  const layers: Layer[] = LAYERS.map((id) => {
    let checks: Check[];
    try {
      checks = RUNNERS[id](ctx);
    } catch (e) {
      // A check that crashes on odd input must not take the run down: the layer is unknown, with the reason.
      checks = [{ id: `${id}.internal-error`, status: 'unknown', message: `not checked: internal error (${(e as Error).message})`, evidence: [] }];
    }
    return { id, status: layerStatus(checks), summary: summaryOf(id, checks, opts.probeSkipped), checks, objects: objectsOf(id, f) };
  });
  const b = f.backend;
  const eps = b?.slices.ok ? endpointsOf(b.slices.value, b.servicePort?.name) : [];
  const lbSvc = f.lb.service?.ok ? f.lb.service.value : undefined;
  return {
    id: f.id,
    ...(f.host ? { host: f.host } : {}),
    path: f.path,
    ...(f.scheme ? { scheme: f.scheme } : {}),
    ...(f.port ? { port: f.port } : {}),
    via: f.via,
    ...(f.ingress
      ? {
          ingress: {
            kind: 'Ingress',
            name: f.ingress.object.metadata.name,
            namespace: f.ingress.object.metadata.namespace,
            apiVersion: 'networking.k8s.io/v1',
            ...(f.ingress.match.entry ? { rule: `${f.ingress.match.entry.host ?? '*'}${f.ingress.match.entry.path} (${f.ingress.match.entry.pathType})` } : {}),
            ...(f.ingress.className ? { className: f.ingress.className } : {}),
            ...(f.ingress.controller.spec || f.ingress.controller.controllerName ? { controller: f.ingress.controller.spec?.name ?? f.ingress.controller.controllerName } : {}),
          },
        }
      : {}),
    ...(f.route
      ? {
          route: {
            kind: 'HTTPRoute',
            name: f.route.object.metadata.name,
            namespace: f.route.object.metadata.namespace,
            apiVersion: 'gateway.networking.k8s.io/v1',
            gateway: f.route.gatewayRef,
            ...(f.route.ruleIndex !== undefined ? { rule: f.route.ruleIndex } : {}),
            ...(f.route.controller.spec || f.route.controller.controllerName ? { controller: f.route.controller.spec?.name ?? f.route.controller.controllerName } : {}),
          },
        }
      : {}),
    ...(!f.notExposed
      ? {
          loadBalancer: {
            ...(f.lb.serviceRef ? { service: f.lb.serviceRef } : {}),
            ...(f.route ? { gateway: f.route.gatewayRef } : {}),
            addresses: [...new Set([...f.lb.published, ...statusAddresses(lbSvc)])],
            pending: !!lbSvc && lbSvc.spec?.type === 'LoadBalancer' && !statusAddresses(lbSvc).length,
          },
        }
      : {}),
    ...(b
      ? {
          service: {
            kind: 'Service',
            name: b.name,
            namespace: b.namespace,
            ...(b.servicePort ? { port: b.servicePort.port, targetPort: b.servicePort.targetPort ?? b.servicePort.port } : b.port !== undefined ? { port: b.port } : {}),
          },
        }
      : {}),
    endpoints: eps.map((e) => ({ address: e.address, ready: e.ready, serving: e.serving, terminating: e.terminating, ...(e.pod ? { pod: e.pod } : {}), ...(e.node ? { node: e.node } : {}), ...(e.zone ? { zone: e.zone } : {}) })),
    pods: (b?.pods ?? []).map((p) => ({ kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace })),
    nodes: [...new Set((b?.pods ?? []).map((p) => p.spec?.nodeName).filter((n): n is string => !!n))],
    layers,
  } satisfies Path;
}

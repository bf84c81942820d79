// Ingress layer for Gateway API paths: GatewayClass, Gateway and listener conditions, the route's status for its
// parent (Accepted, ResolvedRefs incl. RefNotPermitted), cross-namespace ReferenceGrants, the backend reference,
// control-plane and proxy pods, and listener TLS.
import type { KObject } from '../kube/types.ts';
import type { Check } from '../path/model.ts';
import { controllerPodChecks } from './ingress.ts';
import { tlsChecks } from './tls.ts';
import { type CheckContext, mk, unreadable } from './util.ts';

function cond(conds: any[] | undefined, type: string): any {
  return (Array.isArray(conds) ? conds : []).find((c) => c?.type === type);
}

function condLine(c: any): string {
  return `${c.type}=${c.status} ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`;
}

/** Whether a ReferenceGrant in the target namespace admits an HTTPRoute from `fromNs` to Service `name`. */
export function referenceGranted(grants: KObject[], fromNs: string, toKind: string, toName: string, fromKind = 'HTTPRoute'): KObject | undefined {
  return grants.find(
    (g) =>
      (Array.isArray(g.spec?.from) ? g.spec.from : []).some((f: any) => f?.group === 'gateway.networking.k8s.io' && f?.kind === fromKind && f?.namespace === fromNs) &&
      (Array.isArray(g.spec?.to) ? g.spec.to : []).some((t: any) => (t?.group ?? '') === '' && t?.kind === toKind && (!t?.name || t.name === toName)),
  );
}

function sameParent(a: any, b: any, routeNs: string): boolean {
  return (
    a?.name === b?.name &&
    (a?.namespace ?? routeNs) === (b?.namespace ?? routeNs) &&
    (a?.sectionName ?? '') === (b?.sectionName ?? '') &&
    (a?.port ?? '') === (b?.port ?? '') &&
    (a?.kind ?? 'Gateway') === (b?.kind ?? 'Gateway')
  );
}

export function gatewayChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  const r = f.route!;
  const route = r.object;
  const routeNs = route.metadata.namespace!;
  const out: Check[] = [];
  const gwName = `${r.gatewayRef.namespace}/${r.gatewayRef.name}`;

  // Gateway and class.
  if (!r.gateway.ok) out.push(unreadable('gw.not-programmed', `gateway ${gwName}`, r.gateway.error));
  else if (!r.gateway.value) {
    if (r.gatewayRef.name !== '(none)') out.push(mk('gw.not-programmed', 'fail', `Gateway ${gwName} does not exist`, [`httproute/${route.metadata.name} parentRef ${gwName}`], `kubectl get gateways -A`));
  } else {
    const gw = r.gateway.value;
    const cls = r.gatewayClass;
    if (!f.cluster.gatewayClasses.ok) out.push(unreadable('gw.class-missing', 'GatewayClasses', f.cluster.gatewayClasses.error));
    else if (!cls) out.push(mk('gw.class-missing', 'fail', `GatewayClass ${gw.spec?.gatewayClassName} does not exist: no controller programs Gateway ${gw.metadata.name}`, [], 'kubectl get gatewayclass'));
    else {
      const acc = cond(cls.status?.conditions, 'Accepted');
      out.push(
        acc?.status === 'False'
          ? mk('gw.class-missing', 'fail', `GatewayClass ${cls.metadata.name} is not accepted: ${acc.reason}`, [condLine(acc)], `kubectl describe gatewayclass ${cls.metadata.name}`)
          : mk('gw.class-missing', acc ? 'ok' : 'warn', acc ? `GatewayClass ${cls.metadata.name} → ${cls.spec?.controllerName}` : `GatewayClass ${cls.metadata.name} has no Accepted condition (no controller for ${cls.spec?.controllerName}?)`),
      );
    }
    const conds = gw.status?.conditions;
    const accepted = cond(conds, 'Accepted');
    const programmed = cond(conds, 'Programmed');
    const bad = [accepted, programmed].filter((c) => c?.status === 'False');
    if (bad.length) out.push(mk('gw.not-programmed', 'fail', `Gateway ${gw.metadata.name} is not ${bad[0].type.toLowerCase()}: ${bad[0].reason}${bad[0].message ? ` (${bad[0].message})` : ''}`, bad.map(condLine), `kubectl describe gateway ${gw.metadata.name} -n ${gw.metadata.namespace}`));
    else if (!accepted && !programmed) out.push(mk('gw.not-programmed', 'warn', `Gateway ${gw.metadata.name} has no status: its controller has not processed it`, [], `kubectl describe gateway ${gw.metadata.name} -n ${gw.metadata.namespace}`));
    else out.push(mk('gw.not-programmed', 'ok', `Gateway ${gw.metadata.name} is accepted and programmed${f.lb.published.length ? ` at ${f.lb.published.join(', ')}` : ''}`));
    // The listener(s) of this path.
    for (const l of r.listeners) {
      const ls = (Array.isArray(gw.status?.listeners) ? gw.status.listeners : []).find((x: any) => x?.name === l?.name);
      if (!ls) continue;
      const badL = (ls.conditions ?? []).filter((c: any) => ['Accepted', 'Programmed', 'ResolvedRefs'].includes(c?.type) && c.status === 'False');
      out.push(
        badL.length
          ? mk('gw.listener-invalid', 'fail', `listener ${l.name} of Gateway ${gw.metadata.name} is not valid: ${badL[0].reason}${badL[0].message ? ` (${badL[0].message})` : ''}`, badL.map(condLine), `kubectl describe gateway ${gw.metadata.name} -n ${gw.metadata.namespace}`)
          : mk('gw.listener-invalid', 'ok', `listener ${l.name} (${l.protocol} ${l.port}${l.hostname ? ` ${l.hostname}` : ''}) is programmed, ${ls.attachedRoutes ?? 0} routes attached`),
      );
    }
  }

  // Controller and proxies.
  const ctrl = r.controller;
  if (ctrl.controllerName && !ctrl.spec) out.push(mk('gw.controller-not-ready', 'unknown', `not checked: Gateway controller "${ctrl.controllerName}" is not one netpath recognises`));
  else if (ctrl.spec) {
    // Proxies carry the traffic; the control plane only programs them (they keep their last configuration).
    out.push(...controllerPodChecks(ctrl, 'gw.controller-not-ready', `${ctrl.spec.name} control-plane`, 'warn'));
    if (ctrl.pods?.ok && !ctrl.pods.value.length && ctrl.spec.inCluster)
      out.push(mk('gw.controller-not-ready', 'warn', `no ${ctrl.spec.name} control-plane pods found: route changes are not applied`, [`looked for ${ctrl.spec.podSelectors.join(' or ')} in every namespace`], `kubectl get pods -A -l ${ctrl.spec.podSelectors[0]}`));
    if (r.proxyPods?.ok && !r.proxyPods.value.length && ctrl.spec.inCluster)
      out.push(mk('gw.controller-not-ready', 'fail', `no proxy pods of gateway/${r.gatewayRef.name} found: nothing serves the Gateway`, [`looked for ${(ctrl.spec.gatewaySelectors?.({ name: r.gatewayRef.name, namespace: r.gatewayRef.namespace ?? '' }) ?? []).join(' or ')}`], `kubectl get pods -A -l gateway.networking.k8s.io/gateway-name=${r.gatewayRef.name}`));
    if (r.proxyPods) out.push(...controllerPodChecks({ ...ctrl, pods: r.proxyPods }, 'gw.controller-not-ready', `gateway/${r.gatewayRef.name} proxy`));
  }

  // No route / no match.
  if (f.noRoute) {
    out.push(mk('route.no-match', 'fail', f.noRoute.message, f.noRoute.evidence, f.noRoute.next ?? `kubectl get httproutes -A`));
    return [...out, ...tlsChecks(ctx, r.tls)];
  }
  out.push(
    mk(
      'route.no-match',
      'ok',
      `rule ${r.ruleIndex ?? 0} of httproute/${route.metadata.name}${r.match?.path ? ` (${r.match.path.type ?? 'PathPrefix'} ${r.match.path.value ?? '/'})` : ''} serves ${f.host ?? '*'}${f.path}`,
    ),
  );

  // Route status for this parent.
  const parents: any[] = Array.isArray(route.status?.parents) ? route.status.parents : [];
  const mine = parents.filter((p) => sameParent(p?.parentRef, r.parentRef, routeNs) && (!ctrl.controllerName || p?.controllerName === ctrl.controllerName));
  const st = mine[0] ?? parents.find((p) => p?.parentRef?.name === r.parentRef?.name);
  const next = `kubectl describe httproute ${route.metadata.name} -n ${routeNs}`;
  if (!st) out.push(mk('route.no-status', 'warn', `httproute/${route.metadata.name} has no status from ${ctrl.controllerName ?? 'the Gateway controller'} for ${gwName}: it has not been processed`, [], next));
  else {
    out.push(mk('route.no-status', 'ok', `${st.controllerName ?? 'the controller'} reports status for ${gwName}`));
    const acc = cond(st.conditions, 'Accepted');
    if (acc?.status === 'False') out.push(mk('route.not-accepted', 'fail', `Gateway ${gwName} does not accept httproute/${route.metadata.name}: ${acc.reason}`, [condLine(acc)], next));
    else if (acc) out.push(mk('route.not-accepted', 'ok', `accepted by Gateway ${gwName}`));
  }
  const resolved = st ? cond(st.conditions, 'ResolvedRefs') : undefined;

  // Cross-namespace backend and ReferenceGrant.
  const ref = r.backendRef;
  const backendNs = ref?.namespace ?? routeNs;
  if (ref && backendNs !== routeNs) {
    if (r.referenceGrants && !r.referenceGrants.ok) out.push(unreadable('route.ref-not-permitted', `ReferenceGrants in ${backendNs}`, r.referenceGrants.error));
    else {
      const grant = r.referenceGrants?.ok ? referenceGranted(r.referenceGrants.value, routeNs, ref.kind ?? 'Service', ref.name) : undefined;
      if (grant) out.push(mk('route.ref-not-permitted', 'ok', `referencegrant/${grant.metadata.name} in ${backendNs} admits the reference to ${ref.kind ?? 'Service'} ${ref.name}`));
      else
        out.push(
          mk(
            'route.ref-not-permitted',
            'fail',
            `httproute/${route.metadata.name} (namespace ${routeNs}) refers to Service ${backendNs}/${ref.name}, and no ReferenceGrant in ${backendNs} permits it`,
            [
              ...(resolved ? [condLine(resolved)] : []),
              `ReferenceGrants in ${backendNs}: ${r.referenceGrants?.ok ? r.referenceGrants.value.map((g) => g.metadata.name).join(', ') || '(none)' : '(not read)'}`,
              `needed: from {group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ${routeNs}} to {group: "", kind: Service, name: ${ref.name}}`,
            ],
            `kubectl get referencegrants -n ${backendNs} -o yaml`,
            [{ kind: 'HTTPRoute', name: route.metadata.name, namespace: routeNs }],
          ),
        );
    }
  } else if (resolved?.status === 'False' && resolved.reason === 'RefNotPermitted') {
    out.push(mk('route.ref-not-permitted', 'fail', `httproute/${route.metadata.name}: ${resolved.message ?? 'RefNotPermitted'}`, [condLine(resolved)], next));
  }

  // Backend resolution.
  const b = f.backend;
  if (f.unsupportedBackend) out.push(mk('route.backend-unresolved', 'unknown', `not checked: ${f.unsupportedBackend}`));
  else if (!ref) out.push(mk('route.backend-unresolved', 'fail', `rule ${r.ruleIndex ?? 0} of httproute/${route.metadata.name} has no backendRefs: the gateway answers 500`, [], next));
  else if (resolved?.status === 'False' && resolved.reason !== 'RefNotPermitted')
    out.push(mk('route.backend-unresolved', 'fail', `httproute/${route.metadata.name} backend does not resolve: ${resolved.reason}`, [condLine(resolved)], next));
  else if (b && !b.service.ok) out.push(unreadable('route.backend-unresolved', `service ${b.namespace}/${b.name}`, b.service.error));
  else if (b && b.service.ok && !b.service.value) out.push(mk('route.backend-unresolved', 'fail', `backend Service ${b.namespace}/${b.name} does not exist`, [`backendRef ${JSON.stringify(ref)}`], `kubectl get svc -n ${b.namespace}`));
  else if (b && !b.servicePort)
    out.push(mk('route.backend-unresolved', 'fail', `Service ${b.namespace}/${b.name} has no port ${ref.port}`, [`Service ports: ${(b.service.ok ? b.service.value?.spec?.ports ?? [] : []).map((p: any) => p.port).join(', ')}`], next));
  else if (b) out.push(mk('route.backend-unresolved', 'ok', `backendRef → svc/${b.name}:${ref.port} in ${b.namespace}`));

  out.push(...tlsChecks(ctx, r.tls));
  return out;
}

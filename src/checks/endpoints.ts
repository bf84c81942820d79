// Endpoints layer: what the EndpointSlices say about the Service's port — endpoints at all, ready ones,
// terminating ones, drift from the pods, and flapping readiness. A symptom another layer explains (no pods
// selected, pods not ready) is a warning here with a pointer; a failure here is an endpoints problem.
import type { KObject } from '../kube/types.ts';
import type { Check } from '../path/model.ts';
import { lbTargetNodes } from './loadbalancer.ts';
import { noBackendReason } from './service.ts';
import { type CheckContext, type EndpointView, ageText, endpointsOf, eventTime, eventsFor, isPodReady, mk, plural, podReadyCondition, unreadable } from './util.ts';

export interface FlapSignal {
  pod: string;
  reason: string;
}

function startedAt(pod: KObject): number {
  const times = (pod.status?.containerStatuses ?? [])
    .map((c: any) => Date.parse(c?.state?.running?.startedAt ?? ''))
    .filter((n: number) => !Number.isNaN(n));
  return times.length ? Math.max(...times) : NaN;
}

function readinessPeriod(pod: KObject): number {
  const ps = (pod.spec?.containers ?? []).map((c: any) => Number(c?.readinessProbe?.periodSeconds ?? 10)).filter((n: number) => n > 0);
  return ps.length ? Math.min(...ps) : 10;
}

function readinessThreshold(pod: KObject): number {
  const ts = (pod.spec?.containers ?? []).map((c: any) => Number(c?.readinessProbe?.failureThreshold ?? 3)).filter((n: number) => n > 0);
  return ts.length ? Math.min(...ts) : 3;
}

/**
 * Whether a pod's readiness keeps going up and down (at least two transitions), from the API alone:
 * - its readiness-probe Unhealthy events have gaps: the failures spread over a span much longer than consecutive
 *   probes would take, so the probe succeeded in between (a slow start fails consecutively, then stays ready;
 *   the event recorder's spam filter freezes count and lastTimestamp together, which keeps this sound);
 * - it is not ready, its Ready condition changed after its containers started (it was ready), and readiness
 *   failures were already recorded well before that change (an earlier episode).
 */
export function flapSignal(pod: KObject, events: KObject[]): FlapSignal | undefined {
  const cond = podReadyCondition(pod);
  const start = startedAt(pod);
  const period = readinessPeriod(pod);
  const threshold = readinessThreshold(pod);
  const name = pod.metadata.name;
  const unhealthy = events.filter((e) => e.reason === 'Unhealthy' && /readiness/i.test(String(e.message ?? '')));
  const firstOf = (e: KObject) => Date.parse(e.firstTimestamp ?? e.eventTime ?? '');
  for (const e of unhealthy) {
    const count = Number(e.count ?? e.series?.count ?? 1);
    const first = firstOf(e);
    const last = eventTime(e);
    if (count < 2 || Number.isNaN(first) || !last) continue;
    const consecutive = Math.floor((last - first) / 1000 / period) + 1;
    if (consecutive >= count + 2) return { pod: name, reason: `pod/${name}: ${count} readiness failures spread over ${ageText(last - first)} (probe every ${period}s): it recovered in between` };
  }
  if (cond && cond.status !== 'True' && !Number.isNaN(start)) {
    const t = Date.parse(cond.lastTransitionTime ?? '');
    const earlier = unhealthy.map(firstOf).filter((f) => !Number.isNaN(f) && f < t - (threshold + 2) * period * 1000);
    if (!Number.isNaN(t) && t > start + 1000 && earlier.length)
      return { pod: name, reason: `pod/${name} was ready and became not ready again at ${cond.lastTransitionTime}; readiness failures since ${new Date(Math.min(...earlier)).toISOString()}` };
  }
  return undefined;
}

export function endpointsChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  const b = f.backend;
  if (!b) return [mk('ep.none', f.noRoute ? 'skipped' : 'unknown', `not checked: ${noBackendReason(ctx)}`)];
  if (!b.service.ok || !b.service.value) return [mk('ep.none', 'unknown', 'not checked: the backend Service could not be read or does not exist (see service)')];
  const svc = b.service.value;
  if (svc.spec?.type === 'ExternalName') return [mk('ep.none', 'skipped', 'ExternalName Service: no endpoints')];
  if (!b.slices.ok) return [unreadable('ep.none', `EndpointSlices of ${b.name}`, b.slices.error, `kubectl get endpointslices -n ${b.namespace} -l kubernetes.io/service-name=${b.name}`)];
  const next = `kubectl get endpointslices -n ${b.namespace} -l kubernetes.io/service-name=${b.name} -o wide`;
  const eps = endpointsOf(b.slices.value, b.servicePort?.name);
  const out: Check[] = [];
  const selected = b.selectedPods?.ok ? b.selectedPods.value : undefined;
  const podsByName = new Map(b.pods.map((p) => [p.metadata.name, p]));
  const epLine = (e: EndpointView) => `${e.address}${e.port ? `:${e.port}` : ''} ${e.pod ? `pod/${e.pod}` : ''} ready=${e.ready} serving=${e.serving} terminating=${e.terminating}${e.node ? ` node=${e.node}` : ''}`;

  if (!eps.length) {
    if (selected && !selected.length && Object.keys(svc.spec?.selector ?? {}).length)
      out.push(mk('ep.none', 'warn', 'no endpoints: the Service selector matches no pods (see service)', [`${plural(b.slices.value.length, 'EndpointSlice')}, 0 endpoints`], next));
    else if (b.pods.length && !b.pods.some(isPodReady))
      out.push(mk('ep.none', 'warn', 'no endpoints: none of the pods is ready (see pods)', [], next));
    else if (b.pods.length && b.servicePort && typeof b.servicePort.targetPort === 'string')
      out.push(mk('ep.none', 'warn', `no endpoints: the named targetPort "${b.servicePort.targetPort}" resolves on no pod (see service)`, [], next));
    else if (b.pods.length)
      out.push(mk('ep.none', 'fail', `no endpoints although ${plural(b.pods.filter(isPodReady).length, 'ready pod')} match the selector: the EndpointSlices are out of date`, b.pods.map((p) => `pod/${p.metadata.name} ready=${isPodReady(p)}`), next));
    else out.push(mk('ep.none', 'warn', 'no endpoints and no pods', [], next));
    return out;
  }
  const ready = eps.filter((e) => e.ready);
  const term = eps.filter((e) => e.terminating);
  out.push(mk('ep.none', 'ok', `${plural(eps.length, 'endpoint')}, ${ready.length} ready`, eps.slice(0, 10).map(epLine)));

  // Readiness: the pods layer explains unready pods; only stale slices fail here.
  if (!ready.length) {
    const podsReady = eps.map((e) => (e.pod ? podsByName.get(e.pod) : undefined)).filter((p): p is KObject => !!p && isPodReady(p));
    out.push(
      podsReady.length
        ? mk('ep.none-ready', 'fail', `no endpoint is ready although ${plural(podsReady.length, 'pod')} report Ready: the EndpointSlices are stale`, eps.map(epLine), next)
        : mk('ep.none-ready', 'warn', `none of the ${plural(eps.length, 'endpoint')} is ready: the pods are not ready (see pods)`, eps.map(epLine), next),
    );
  } else if (ready.length < eps.length) {
    out.push(mk('ep.none-ready', 'warn', `${ready.length} of ${plural(eps.length, 'endpoint')} ready`, eps.filter((e) => !e.ready).map(epLine), next));
  }
  if (term.length) out.push(mk('ep.terminating', term.length === eps.length ? 'warn' : 'warn', `${plural(term.length, 'endpoint')} terminating${term.some((e) => e.serving) ? ' (still serving)' : ''}`, term.map(epLine), next));

  // Flapping.
  const signals = b.pods.map((p) => flapSignal(p, eventsFor(b.events, 'Pod', p.metadata.name))).filter((s): s is FlapSignal => !!s);
  if (!b.events.ok && !signals.length) out.push(unreadable('ep.flapping', `events in ${b.namespace}`, b.events.error));
  else if (signals.length) {
    const many = signals.length * 2 >= Math.max(1, b.pods.length);
    out.push(
      mk(
        'ep.flapping',
        many ? 'fail' : 'warn',
        `endpoints are flapping: ${plural(signals.length, 'pod')} of ${b.pods.length} keep going in and out of the EndpointSlice as readiness toggles`,
        [
          ...signals.map((s) => s.reason),
          ...b.pods.flatMap((p) => eventsFor(b.events, 'Pod', p.metadata.name).filter((e) => e.reason === 'Unhealthy').slice(-1).map((e) => `pod/${p.metadata.name}: ${e.message} (x${e.count ?? 1})`)).slice(0, 5),
        ],
        `kubectl get endpointslices -n ${b.namespace} -l kubernetes.io/service-name=${b.name} -w`,
        [{ kind: 'Service', name: b.name, namespace: b.namespace }],
      ),
    );
  } else out.push(mk('ep.flapping', 'ok', 'no readiness flapping seen in pod conditions and events'));

  // Drift between the selector's ready pods and the slices.
  if (selected) {
    const inSlices = new Set(eps.map((e) => e.pod).filter(Boolean));
    const missing = selected.filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp && !inSlices.has(p.metadata.name));
    const ghosts = eps.filter((e) => e.pod && !podsByName.has(e.pod) && !b.podReadErrors.some((x) => x.includes(`/${e.pod}:`)));
    if (missing.length || ghosts.length)
      out.push(
        mk(
          'ep.drift',
          missing.length && !ready.length ? 'fail' : 'warn',
          `${missing.length ? `${plural(missing.length, 'ready pod')} missing from the EndpointSlices` : ''}${missing.length && ghosts.length ? '; ' : ''}${ghosts.length ? `${plural(ghosts.length, 'endpoint')} name pods that no longer exist` : ''}`,
          [...missing.map((p) => `pod/${p.metadata.name} ready, not in any EndpointSlice`), ...ghosts.map((e) => `endpoint ${e.address} → pod/${e.pod} (not found)`)],
          next,
        ),
      );
  }

  // Endpoints on the nodes of a LoadBalancer Service with externalTrafficPolicy Local (direct LB paths).
  if (f.via === 'service' && svc.spec?.externalTrafficPolicy === 'Local' && f.cluster.nodes.ok) {
    const target = lbTargetNodes(svc, f.cluster.nodes.value);
    const names = new Set(target.nodes.map((n) => n.metadata.name));
    const onTargets = ready.filter((e) => e.node && names.has(e.node));
    out.push(
      onTargets.length
        ? mk('ep.lb-nodes', 'ok', `${plural(onTargets.length, 'ready endpoint')} on nodes the load balancer targets`)
        : mk('ep.lb-nodes', 'warn', `no ready endpoint runs on a node the load balancer targets (${[...names].join(', ') || 'none'}) (see loadbalancer)`, ready.map(epLine), next),
    );
  }
  return out;
}

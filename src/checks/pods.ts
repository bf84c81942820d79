// Pods layer: readiness (with the kubelet's Unhealthy events), restarts, probes, nodes, NetworkPolicies between
// the front end and the pods, the CNI, and — with probes — what the backend answered.
import type { KObject } from '../kube/types.ts';
import type { Check } from '../path/model.ts';
import { valueOr } from '../path/fetch.ts';
import { egressAllowed, ingressAllowed, type PolicyVerdict } from './netpol.ts';
import { noBackendReason, resolveTargetPort } from './service.ts';
import { probeUrl } from './tls.ts';
import { type CheckContext, eventLine, eventsFor, isNodeReady, isPodReady, mk, plural, podLine, unreadable } from './util.ts';

interface CniInfo {
  name: string;
  policy: boolean | 'addon';
  note: string;
}

/** CNI plugins by their kube-system DaemonSet names. */
const CNIS: [RegExp, CniInfo][] = [
  [/^cilium$/, { name: 'Cilium', policy: true, note: 'eBPF data path; VXLAN/Geneve overlay (~50 bytes per packet) or native routing; enforces NetworkPolicy and CiliumNetworkPolicy' }],
  [/^calico-node$/, { name: 'Calico', policy: true, note: 'BGP routing without encapsulation, or IP-in-IP/VXLAN overlay (20/50 bytes per packet); iptables or eBPF data plane; enforces NetworkPolicy' }],
  [/^kindnet$/, { name: 'kindnet', policy: true, note: 'kind\'s simple routed CNI (no overlay between nodes on one network); enforces NetworkPolicy since v0.24 (kube-network-policies)' }],
  [/^kube-flannel-ds|^flannel/, { name: 'Flannel', policy: false, note: 'VXLAN overlay (~50 bytes per packet, MTU 1450); does NOT enforce NetworkPolicy on its own (add Calico as Canal, or kube-network-policies)' }],
  [/^canal$/, { name: 'Canal (Flannel + Calico policy)', policy: true, note: 'Flannel VXLAN overlay with Calico policy enforcement' }],
  [/^weave-net$/, { name: 'Weave Net', policy: true, note: 'VXLAN (fast datapath) or sleeve overlay; enforces NetworkPolicy; project archived' }],
  [/^aws-node$/, { name: 'AWS VPC CNI', policy: 'addon', note: 'pods get VPC IPs (no overlay, native ENI routing); NetworkPolicy only with the network policy agent enabled' }],
  [/^azure-cni|^azure-ip-masq|^cns$/, { name: 'Azure CNI', policy: 'addon', note: 'pods get VNet IPs; NetworkPolicy through Azure NPM, Calico or Cilium' }],
  [/^netd$|^gke-metadata|^anetd$/, { name: 'GKE networking', policy: 'addon', note: 'VPC-native alias IPs; NetworkPolicy with GKE Dataplane V2 (Cilium) or Calico' }],
  [/^antrea-agent$/, { name: 'Antrea', policy: true, note: 'Open vSwitch data path, Geneve overlay; enforces NetworkPolicy' }],
  [/^kube-router$/, { name: 'kube-router', policy: true, note: 'BGP routing, IPVS service proxy; enforces NetworkPolicy' }],
  [/^ovnkube-node$|^ovs-node$/, { name: 'OVN-Kubernetes', policy: true, note: 'OVN/OVS Geneve overlay; enforces NetworkPolicy' }],
];

export function identifyCni(daemonsets: KObject[]): (CniInfo & { ds: KObject }) | undefined {
  for (const ds of daemonsets) {
    const hit = CNIS.find(([re]) => re.test(ds.metadata.name));
    if (hit) return { ...hit[1], ds };
  }
  return undefined;
}

function cniCheck(ctx: CheckContext): Check {
  const c = ctx.facts.cluster.daemonsets;
  if (!c.ok) return mk('net.cni', 'skipped', `CNI not identified: kube-system DaemonSets could not be read (${c.error.message})`);
  const cni = identifyCni(c.value);
  if (!cni) return mk('net.cni', 'skipped', 'CNI not identified from kube-system DaemonSets', [`DaemonSets: ${c.value.map((d) => d.metadata.name).join(', ') || '(none)'}`]);
  const ready = Number(cni.ds.status?.numberReady ?? 0);
  const desired = Number(cni.ds.status?.desiredNumberScheduled ?? 0);
  return mk(
    'net.cni',
    desired && ready < desired ? 'warn' : 'ok',
    `CNI: ${cni.name} (${ready}/${desired} ready)${cni.policy === false ? '; NetworkPolicy is not enforced' : ''}`,
    [cni.note],
    `kubectl -n kube-system get daemonset ${cni.ds.metadata.name}`,
  );
}

function policyNames(v: PolicyVerdict): string {
  return v.policies.map((p) => `networkpolicy/${p}`).join(', ');
}

function netpolCheck(ctx: CheckContext): Check | undefined {
  const f = ctx.facts;
  const b = f.backend!;
  const src = f.source;
  const pods = b.pods.filter((p) => !p.metadata.deletionTimestamp);
  if (!pods.length || !src) return undefined;
  const id = src.kind === 'external' ? 'pod.netpol-blocks-external' : 'pod.netpol-blocks-controller';
  if (!b.netpols.ok) return unreadable(id, `NetworkPolicies in ${b.namespace}`, b.netpols.error, `kubectl get networkpolicy -n ${b.namespace}`);
  const policies = b.netpols.value;
  const sp = b.servicePort;
  const tp = sp?.targetPort ?? sp?.port;
  const next = `kubectl get networkpolicy -n ${b.namespace} -o yaml`;
  const portOf = (p: KObject) => {
    if (tp === undefined) return undefined;
    const r = resolveTargetPort(p, typeof tp === 'string' && /^\d+$/.test(tp) ? Number(tp) : tp, sp?.protocol ?? 'TCP');
    return r ? { port: r.port, ...(r.name ? { name: r.name } : {}), protocol: sp?.protocol ?? 'TCP' } : typeof tp === 'number' ? { port: tp, protocol: sp?.protocol ?? 'TCP' } : undefined;
  };
  const selecting = policies.filter((pol) => pods.some((p) => ingressAllowed([pol], p, { external: true }, { port: 0 }).isolated));
  const cni = valueOr(f.cluster.daemonsets, []).length ? identifyCni(valueOr(f.cluster.daemonsets, [])) : undefined;
  const noEnforce = cni?.policy === false ? ` (but ${cni.name} does not enforce NetworkPolicy)` : '';

  if (src.kind === 'external') {
    if (!selecting.length) return mk(id, 'ok', 'no NetworkPolicy selects the pods: clients outside the cluster are admitted');
    const verdicts = pods.map((p) => ({ p, port: portOf(p) })).filter((x) => x.port).map((x) => ({ p: x.p, v: ingressAllowed(policies, x.p, { external: true }, x.port!) }));
    const blocked = verdicts.filter((x) => !x.v.allowed && !x.v.uncertain);
    const uncertain = verdicts.filter((x) => !x.v.allowed && x.v.uncertain);
    if (blocked.length === verdicts.length && verdicts.length)
      return mk(id, noEnforce ? 'warn' : 'fail', `${policyNames(blocked[0]!.v)} select the pods and admit no clients from outside the cluster on port ${portOf(pods[0]!)?.port}${noEnforce}`, blocked.map((x) => `pod/${x.p.metadata.name}: isolated by ${x.v.policies.join(', ')}`), next);
    if (uncertain.length) return mk(id, 'warn', `${policyNames(uncertain[0]!.v)} admit outside clients only from some ipBlocks: check the client addresses`, [], next);
    return mk(id, 'ok', `NetworkPolicies admit outside clients (${verdicts.map((x) => x.v.admittedBy).filter(Boolean)[0] ?? 'open'})`);
  }

  // From the controller's (or the Gateway proxies') pods.
  if (!selecting.length && !(src.netpols?.ok && src.netpols.value.length)) return mk(id, 'ok', `no NetworkPolicy selects the pods: ${src.name} is admitted`);
  if (!src.pods.length) return mk(id, 'unknown', `not checked: ${plural(selecting.length, 'NetworkPolicy', 'NetworkPolicies')} select the pods, but ${src.name}'s pods are unknown`, selecting.map((p) => `networkpolicy/${p.metadata.name}`), next);
  const nsLabels = src.namespace?.ok ? (src.namespace.value?.metadata.labels ?? {}) : undefined;
  const evidence: string[] = [];
  let blockedPairs = 0;
  let total = 0;
  let uncertain = false;
  let admitted: string | undefined;
  for (const p of pods) {
    const port = portOf(p);
    if (!port) continue;
    for (const s of src.pods) {
      total++;
      const peer = { pod: s, namespace: s.metadata.namespace, ...(nsLabels ? { namespaceLabels: nsLabels } : {}) };
      const inV = ingressAllowed(policies, p, peer, port);
      const egV = src.netpols?.ok ? egressAllowed(src.netpols.value, s, { pod: p, namespace: p.metadata.namespace }, port) : { allowed: true, isolated: false, policies: [] as string[] };
      if (inV.allowed && egV.allowed) {
        admitted ??= inV.admittedBy ?? (inV.isolated ? undefined : 'no policy selects the pods');
        continue;
      }
      if (inV.uncertain) uncertain = true;
      blockedPairs++;
      if (evidence.length < 6) {
        if (!inV.allowed) evidence.push(`pod/${p.metadata.name}:${port.port} ← pod/${s.metadata.name} (ns ${s.metadata.namespace}): denied by ${inV.policies.join(', ')} (no ingress rule admits it)`);
        if (!egV.allowed) evidence.push(`pod/${s.metadata.name} → pod/${p.metadata.name}:${port.port}: egress denied by ${egV.policies.join(', ')} in ${s.metadata.namespace}`);
      }
    }
  }
  if (!total) return mk(id, 'unknown', 'not checked: the target port of the pods is unknown', [], next);
  if (!nsLabels && src.namespace && !src.namespace.ok) evidence.push(`namespace ${src.pods[0]!.metadata.namespace} labels not read (${src.namespace.error.message}); only kubernetes.io/metadata.name was used`);
  for (const pol of selecting.slice(0, 3)) evidence.push(`networkpolicy/${pol.metadata.name}: podSelector ${JSON.stringify(pol.spec?.podSelector ?? {})}, ingress from ${JSON.stringify((pol.spec?.ingress ?? []).map((r: any) => r?.from ?? 'any'))}`.slice(0, 300));
  if (blockedPairs === total)
    return mk(
      id,
      noEnforce ? 'warn' : uncertain ? 'warn' : 'fail',
      `NetworkPolicies block ${src.name} (namespace ${src.pods[0]!.metadata.namespace}) from the pods on port ${portOf(pods[0]!)?.port ?? tp}: connections time out (504)${noEnforce}`,
      evidence,
      next,
      selecting.map((p) => ({ kind: 'NetworkPolicy', name: p.metadata.name, namespace: p.metadata.namespace })),
    );
  if (blockedPairs) return mk(id, 'warn', `NetworkPolicies block ${src.name} from some pods`, evidence, next);
  return mk(id, 'ok', `NetworkPolicies admit ${src.name}${admitted ? ` (${admitted})` : ''}`);
}

function httpResponseCheck(ctx: CheckContext): Check | undefined {
  const f = ctx.facts;
  if (f.notExposed) return undefined;
  const url = probeUrl(ctx);
  const curl = `curl -sS -o /dev/null ${f.lb.published[0] && f.host ? `--resolve ${f.host}:${f.port ?? (f.scheme === 'https' ? 443 : 80)}:${f.lb.published[0]} ` : ''}-k -w 'dns %{time_namelookup} connect %{time_connect} tls %{time_appconnect} ttfb %{time_starttransfer} total %{time_total} status %{http_code}\\n' ${url}`;
  if (!ctx.probes) return mk('pod.http-response', 'unknown', `not checked: ${ctx.probeSkipped ?? 'probes disabled'}`, [], curl);
  const h = ctx.probes.http.find((x) => x.url === url);
  if (!h) return mk('pod.http-response', 'unknown', 'not checked: no address to send the request to', [], curl);
  const timing = `dns ${h.dns ?? '-'} ms, connect ${h.connect ?? '-'} ms, tls ${h.tls ?? '-'} ms, first byte ${h.firstByte ?? '-'} ms, total ${h.total ?? '-'} ms`;
  const ev = [`${url} via ${h.address ?? '?'}: ${h.status ? `HTTP ${h.status}` : h.error}`, timing];
  if (h.status === undefined) return mk('pod.http-response', 'unknown', `the request did not get an answer: ${h.error}`, ev, curl);
  if (h.status >= 500) {
    const readTimeout = f.ingress?.object.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'];
    const why =
      h.status === 504
        ? `504 Gateway Time-out after ${h.total} ms${readTimeout ? ` (proxy-read-timeout ${readTimeout} s)` : ''}: the backend is too slow or unreachable`
        : h.status === 503
          ? '503 Service Unavailable: no ready endpoint behind the front end'
          : h.status === 502
            ? '502 Bad Gateway: the front end could not talk to the backend (refused, reset or wrong protocol)'
            : `HTTP ${h.status} from the backend`;
    return mk('pod.http-response', 'fail', why, ev, curl);
  }
  if (h.status >= 400) return mk('pod.http-response', 'warn', `HTTP ${h.status} in ${h.total} ms`, ev, curl);
  return mk('pod.http-response', 'ok', `HTTP ${h.status} in ${h.total} ms`, ev);
}

export function podsChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  const b = f.backend;
  if (!b) return [mk('pod.none', f.noRoute ? 'skipped' : 'unknown', `not checked: ${noBackendReason(ctx)}`)];
  if (!b.service.ok || !b.service.value) return [mk('pod.none', 'unknown', 'not checked: the backend Service could not be read or does not exist (see service)')];
  const out: Check[] = [];
  const pods = b.pods;
  if (!pods.length) {
    const sel = b.service.value.spec?.selector;
    if (b.selectedPods && !b.selectedPods.ok) out.push(unreadable('pod.none', `pods in ${b.namespace}`, b.selectedPods.error, `kubectl get pods -n ${b.namespace}`));
    else out.push(mk('pod.none', 'warn', sel && Object.keys(sel).length ? 'no pods: the Service selector matches none (see service)' : 'no pods behind the Service', [], `kubectl get pods -n ${b.namespace} --show-labels`));
    if (b.podReadErrors.length) out.push(mk('pod.not-ready', 'unknown', 'not checked: pods named by the EndpointSlices could not be read', b.podReadErrors));
    out.push(cniCheck(ctx));
    const h = httpResponseCheck(ctx);
    if (h) out.push(h);
    return out;
  }
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  const ready = live.filter(isPodReady);
  const notReady = live.filter((p) => !isPodReady(p));
  const evFor = (p: KObject) => eventsFor(b.events, 'Pod', p.metadata.name);
  const next = `kubectl describe pod -n ${b.namespace} ${notReady[0]?.metadata.name ?? pods[0]!.metadata.name}`;

  // Readiness.
  if (!notReady.length) out.push(mk('pod.not-ready', 'ok', `${plural(ready.length, 'pod')} ready`, live.map(podLine)));
  else {
    const evidence: string[] = [];
    for (const p of notReady.slice(0, 5)) {
      evidence.push(podLine(p));
      const rc = (p.status?.conditions ?? []).find((c: any) => c?.type === 'Ready');
      if (rc?.reason && rc.reason !== 'ContainersNotReady') evidence.push(`  Ready=${rc.status} ${rc.reason}${rc.message ? `: ${rc.message}` : ''}`);
      for (const c of p.status?.containerStatuses ?? []) {
        const w = c?.state?.waiting;
        if (w?.reason) evidence.push(`  container ${c.name}: ${w.reason}${w.message ? ` — ${w.message}` : ''}`);
        const t = c?.state?.terminated;
        if (t?.reason) evidence.push(`  container ${c.name}: terminated ${t.reason} (exit ${t.exitCode})`);
      }
      const probeEvents = evFor(p).filter((e) => e.type === 'Warning').slice(-2);
      for (const e of probeEvents) evidence.push(`  ${eventLine(e, ctx.now)}`);
    }
    if (!b.events.ok) evidence.push(`events not read: ${b.events.error.message}`);
    const reasons = [
      ...new Set([
        ...notReady.flatMap((p) => (p.status?.containerStatuses ?? []).map((c: any) => c?.state?.waiting?.reason).filter(Boolean)),
        ...notReady.map((p) => (p.status?.conditions ?? []).find((c: any) => c?.type === 'Ready')?.reason).filter((r: any) => r && r !== 'ContainersNotReady'),
      ]),
    ];
    const unhealthy = notReady.flatMap(evFor).filter((e) => e.reason === 'Unhealthy').slice(-1)[0];
    const cause = reasons.length ? reasons.join(', ') : unhealthy ? `readiness probe failing: ${String(unhealthy.message ?? '').trim()}` : 'not ready';
    out.push(
      mk(
        'pod.not-ready',
        ready.length ? 'warn' : 'fail',
        ready.length ? `${notReady.length} of ${plural(live.length, 'pod')} not ready (${cause})` : `none of the ${plural(live.length, 'pod')} is ready: ${cause}`,
        evidence,
        next,
        notReady.map((p) => ({ kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace })),
      ),
    );
  }

  // Restarts.
  const restarting = live.filter((p) => (p.status?.containerStatuses ?? []).some((c: any) => Number(c?.restartCount) > 0));
  if (restarting.length) {
    const crash = live.filter((p) => (p.status?.containerStatuses ?? []).some((c: any) => c?.state?.waiting?.reason === 'CrashLoopBackOff'));
    out.push(
      mk(
        'pod.restarting',
        crash.length === live.length ? 'fail' : 'warn',
        `${plural(restarting.length, 'pod')} restarting${crash.length ? ` (${crash.length} in CrashLoopBackOff)` : ''}`,
        restarting.slice(0, 5).flatMap((p) =>
          (p.status?.containerStatuses ?? [])
            .filter((c: any) => Number(c?.restartCount) > 0)
            .map((c: any) => `pod/${p.metadata.name} ${c.name}: ${c.restartCount} restarts${c.lastState?.terminated ? `, last ${c.lastState.terminated.reason ?? ''} exit ${c.lastState.terminated.exitCode}` : ''}`),
        ),
        `kubectl logs -n ${b.namespace} ${restarting[0]!.metadata.name} --previous`,
      ),
    );
  } else out.push(mk('pod.restarting', 'ok', 'no container restarts'));

  // Probe failures on pods that are ready now.
  const flaky = ready.filter((p) => evFor(p).some((e) => e.reason === 'Unhealthy'));
  if (flaky.length)
    out.push(
      mk('pod.probe-failing', 'warn', `probes failed recently on ${plural(flaky.length, 'ready pod')}`, flaky.slice(0, 4).flatMap((p) => evFor(p).filter((e) => e.reason === 'Unhealthy').slice(-1).map((e) => `pod/${p.metadata.name}: ${eventLine(e, ctx.now)}`)), `kubectl get events -n ${b.namespace} --field-selector reason=Unhealthy`),
    );

  // Nodes.
  if (f.cluster.nodes.ok) {
    const nodes = new Map(f.cluster.nodes.value.map((n) => [n.metadata.name, n]));
    const bad = live.filter((p) => p.spec?.nodeName && nodes.get(p.spec.nodeName) && !isNodeReady(nodes.get(p.spec.nodeName)!));
    if (bad.length) out.push(mk('pod.node-not-ready', 'fail', `${plural(bad.length, 'pod')} on nodes that are not Ready`, bad.map((p) => `pod/${p.metadata.name} on ${p.spec.nodeName}`), `kubectl get nodes`));
    else out.push(mk('pod.node-not-ready', 'ok', `nodes ${[...new Set(live.map((p) => p.spec?.nodeName).filter(Boolean))].join(', ') || '(unscheduled)'} are Ready`));
  }

  const np = netpolCheck(ctx);
  if (np) out.push(np);
  out.push(cniCheck(ctx));
  const h = httpResponseCheck(ctx);
  if (h) out.push(h);
  return out;
}

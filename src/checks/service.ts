// Service layer: the backend Service exists, its selector matches pods (compared with EndpointSlice membership,
// the source of truth), and its targetPort is a port the pods declare. kube-proxy's mode is identified here.
import type { KObject } from '../kube/types.ts';
import { mapToSelectorString } from '../kube/selectors.ts';
import type { Check } from '../path/model.ts';
import type { BackendFacts } from '../path/facts.ts';
import { type CheckContext, endpointsOf, isPodReady, labelsText, mk, plural, unreadable } from './util.ts';

/** Why a backend layer has nothing to check (no route, unsupported backend), or undefined when it has a backend. */
export function noBackendReason(ctx: CheckContext): string | undefined {
  const f = ctx.facts;
  if (f.backend) return undefined;
  if (f.noRoute) return 'no rule or route serves this path, so there is no backend';
  if (f.unsupportedBackend) return f.unsupportedBackend;
  return 'the path names no backend Service';
}

/** The containerPort a Service targetPort resolves to on a pod, if any. */
export function resolveTargetPort(pod: KObject, targetPort: number | string, protocol = 'TCP'): { container: string; port: number; name?: string } | undefined {
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c?.ports ?? []) {
      if ((p?.protocol ?? 'TCP') !== protocol) continue;
      if (typeof targetPort === 'string' ? p?.name === targetPort : p?.containerPort === targetPort)
        return { container: String(c.name), port: Number(p.containerPort), ...(p?.name ? { name: String(p.name) } : {}) };
    }
  }
  return undefined;
}

function declaredPorts(pod: KObject): string {
  const ps = (pod.spec?.containers ?? []).flatMap((c: any) => (c?.ports ?? []).map((p: any) => `${c.name}:${p.name ? `${p.name}/` : ''}${p.containerPort}`));
  return ps.join(', ') || 'none';
}

/** targetPort checks for one ServicePort against the pods behind it. */
export function targetPortCheck(b: BackendFacts, sp: any): Check | undefined {
  const pods = b.pods;
  if (!pods.length) return undefined;
  const tp: number | string = sp.targetPort ?? sp.port;
  const proto = sp.protocol ?? 'TCP';
  const numeric = typeof tp === 'number' || /^\d+$/.test(String(tp));
  const target = numeric ? Number(tp) : String(tp);
  const missing = pods.filter((p) => !resolveTargetPort(p, target, proto));
  const next = `kubectl get pods -n ${b.namespace} -l ${mapToSelectorString(svcOf(b)?.spec?.selector ?? {}) || '…'} -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.spec.containers[*].ports}{"\\n"}{end}'`;
  const desc = `Service ${b.name} port ${sp.port}${sp.name ? ` (${sp.name})` : ''} → targetPort ${tp}`;
  if (!missing.length) {
    const r = resolveTargetPort(pods[0]!, target, proto)!;
    return mk('svc.targetport-unresolved', 'ok', `${desc} → containerPort ${r.port}${r.name ? ` (${r.name})` : ''} on ${plural(pods.length, 'pod')}`);
  }
  const evidence = missing.slice(0, 5).map((p) => `pod/${p.metadata.name} declares ${declaredPorts(p)}`);
  const noneDeclared = missing.every((p) => (p.spec?.containers ?? []).every((c: any) => !(c?.ports ?? []).length));
  if (missing.length < pods.length)
    return mk('svc.targetport-unresolved', 'warn', `${desc}: ${missing.length} of ${plural(pods.length, 'pod')} do not declare it${numeric ? '' : ' and are left out of the EndpointSlices'}`, evidence, next);
  if (numeric && noneDeclared)
    return mk('svc.targetport-unresolved', 'warn', `${desc}: the pods declare no container ports, so netpath cannot confirm anything listens on ${tp}`, evidence, next);
  return mk(
    'svc.targetport-unresolved',
    'fail',
    numeric
      ? `${desc}, but no container declares port ${tp}: connections are refused (502 "connect() failed (111: Connection refused)")`
      : `${desc}, but no container declares a port named "${tp}": the pods are left out of the EndpointSlices`,
    evidence,
    next,
    [{ kind: 'Service', name: b.name, namespace: b.namespace }],
  );
}

function svcOf(b: BackendFacts): KObject | undefined {
  return b.service.ok ? b.service.value : undefined;
}

const PROXY_NOTES: Record<string, string> = {
  iptables: 'iptables mode: Service rules are evaluated sequentially per packet (KUBE-SVC/KUBE-SEP chains); each rule sync rewrites the table, so latency and sync time grow with thousands of Services and endpoints',
  ipvs: 'IPVS mode: kernel hash tables give O(1) lookups at any Service count; needs the ip_vs modules and a dummy kube-ipvs0 interface',
  nftables: 'nftables mode: verdict maps give near-constant lookups and incremental updates (GA in Kubernetes 1.33)',
  kernelspace: 'Windows kernelspace (HNS) mode',
};

function kubeProxyCheck(ctx: CheckContext): Check {
  const c = ctx.facts.cluster;
  const ds = c.daemonsets.ok ? c.daemonsets.value : [];
  const kp = ds.find((d) => d.metadata.name === 'kube-proxy' || d.metadata.labels?.['k8s-app'] === 'kube-proxy');
  const cilium = ds.find((d) => /cilium/.test(d.metadata.name));
  const ready = (d: KObject) => `${d.status?.numberReady ?? '?'}/${d.status?.desiredNumberScheduled ?? '?'} ready`;
  if (!kp) {
    if (cilium) return mk('net.kube-proxy', 'ok', 'no kube-proxy DaemonSet: Cilium replaces kube-proxy with eBPF Service handling (socket-level load balancing, no per-packet iptables walk)', [`daemonset/${cilium.metadata.name}: ${ready(cilium)}`]);
    return mk('net.kube-proxy', 'skipped', c.daemonsets.ok ? 'no kube-proxy DaemonSet in kube-system (managed data plane or an eBPF replacement)' : `kube-proxy not identified: ${c.daemonsets.error.message}`);
  }
  let mode = '';
  if (c.kubeProxy.ok && c.kubeProxy.value) {
    const cfg = String(c.kubeProxy.value.data?.['config.conf'] ?? '');
    mode = /^\s*mode:\s*"?([a-z]*)"?\s*$/m.exec(cfg)?.[1] ?? '';
  }
  const m = mode || 'iptables';
  const note = PROXY_NOTES[m] ?? `${m} mode`;
  const notReady = Number(kp.status?.numberReady ?? 0) < Number(kp.status?.desiredNumberScheduled ?? 0);
  return mk(
    'net.kube-proxy',
    notReady ? 'warn' : 'ok',
    `kube-proxy in ${m} mode${mode ? '' : ' (default; mode unset)'}, ${ready(kp)}`,
    [note, ...(ctx.facts.ingress?.controller.spec?.id === 'ingress-nginx' ? ['ingress-nginx sends to endpoint IPs directly and bypasses kube-proxy (unless nginx.ingress.kubernetes.io/service-upstream is set)'] : [])],
    `kubectl -n kube-system get configmap kube-proxy -o jsonpath='{.data.config\\.conf}' | grep mode`,
  );
}

export function serviceChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  const b = f.backend;
  if (!b) return [mk('svc.exists', f.noRoute ? 'skipped' : 'unknown', `not checked: ${noBackendReason(ctx)}`)];
  const out: Check[] = [];
  if (!b.service.ok) return [unreadable('svc.exists', `service ${b.name}`, b.service.error, `kubectl get svc ${b.name} -n ${b.namespace}`)];
  const svc = b.service.value;
  if (!svc) return [mk('svc.exists', 'fail', `Service ${b.name} does not exist in namespace ${b.namespace}`, [], `kubectl get svc -n ${b.namespace}`)];
  const type = svc.spec?.type ?? 'ClusterIP';
  out.push(
    mk(
      'svc.exists',
      'ok',
      `svc/${svc.metadata.name} ${type}${svc.spec?.clusterIP ? ` ${svc.spec.clusterIP}` : ''}${b.servicePort ? ` port ${b.servicePort.port}→${b.servicePort.targetPort ?? b.servicePort.port}` : ''}`,
    ),
  );
  if (type === 'ExternalName') {
    out.push(mk('svc.no-selector', 'warn', `Service ${svc.metadata.name} is ExternalName (${svc.spec?.externalName}): traffic leaves the cluster; there are no endpoints to check`));
    return out;
  }

  // Selector vs EndpointSlice membership.
  const sel: Record<string, string> = svc.spec?.selector ?? {};
  const selStr = mapToSelectorString(sel);
  const eps = b.slices.ok ? endpointsOf(b.slices.value, b.servicePort?.name) : [];
  const inSlices = new Set(eps.map((e) => e.pod).filter(Boolean));
  if (!Object.keys(sel).length) {
    out.push(
      b.slices.ok && eps.length
        ? mk('svc.no-selector', 'ok', `Service ${svc.metadata.name} has no selector; its ${plural(eps.length, 'endpoint')} are managed outside the EndpointSlice controller`)
        : mk('svc.no-selector', 'warn', `Service ${svc.metadata.name} has no selector and no endpoints: someone must create its EndpointSlices`, [], `kubectl get endpointslices -n ${b.namespace} -l kubernetes.io/service-name=${svc.metadata.name}`),
    );
  } else if (!b.selectedPods) {
    out.push(mk('svc.selector-no-pods', 'unknown', 'not checked: the selector\'s pods were not read'));
  } else if (!b.selectedPods.ok) {
    out.push(unreadable('svc.selector-no-pods', `pods matching ${selStr}`, b.selectedPods.error, `kubectl get pods -n ${b.namespace} -l ${selStr}`));
  } else if (!b.selectedPods.value.length) {
    const related = b.relatedPods?.ok ? b.relatedPods.value : [];
    const evidence = [
      `selector: ${selStr}`,
      `EndpointSlices: ${b.slices.ok ? `${plural(eps.length, 'endpoint')}` : `not read (${b.slices.error.message})`}`,
      ...(related.length
        ? [`pods with the selector's keys but other values (${Object.keys(sel).join(', ')}):`, ...related.slice(0, 6).map((p) => `  pod/${p.metadata.name}: ${Object.keys(sel).map((k) => `${k}=${p.metadata.labels?.[k]}`).join(',')}`)]
        : [`no pod in ${b.namespace} carries ${Object.keys(sel).join(', ')}`]),
    ];
    const hint = related.length ? ` (the pods are labelled ${[...new Set(related.map((p) => Object.keys(sel).map((k) => `${k}=${p.metadata.labels?.[k]}`).join(',')))].slice(0, 2).join(' / ')})` : '';
    out.push(mk('svc.selector-no-pods', 'fail', `Service ${svc.metadata.name} selects ${selStr}, which matches no pods${hint}: it has no endpoints`, evidence, `kubectl get pods -n ${b.namespace} --show-labels`, [{ kind: 'Service', name: svc.metadata.name, namespace: b.namespace }]));
  } else {
    const pods = b.selectedPods.value;
    out.push(mk('svc.selector-no-pods', 'ok', `selector ${selStr} matches ${plural(pods.length, 'pod')}; the EndpointSlices list ${plural(inSlices.size, 'pod')}`, pods.slice(0, 6).map((p) => `pod/${p.metadata.name} ${isPodReady(p) ? 'ready' : 'not ready'} labels ${labelsText(p.metadata.labels)}`.slice(0, 240))));
  }

  // targetPort.
  const ports: any[] = b.servicePort ? [b.servicePort] : (svc.spec?.ports ?? []);
  for (const sp of ports) {
    const c = targetPortCheck(b, sp);
    if (c) out.push(c);
  }
  if (!b.pods.length && Object.keys(sel).length && b.selectedPods?.ok) {
    out.push(mk('svc.targetport-unresolved', 'skipped', 'not checked: no pods to compare the targetPort with'));
  }
  out.push(kubeProxyCheck(ctx));
  return out;
}

// Load-balancer layer: the Service of type LoadBalancer the path enters through (the app's own, the Ingress
// controller's, or the Gateway's data plane): address, source ranges, cloud health checks, externalTrafficPolicy.
import type { KObject } from '../kube/types.ts';
import { parseSelectorString, matchesSelector } from '../kube/selectors.ts';
import type { Check } from '../path/model.ts';
import { statusAddresses } from '../path/resolve.ts';
import { type CheckContext, endpointsOf, eventLine, eventsFor, isNodeReady, mk, plural, unreadable } from './util.ts';

export const LAB_LB_NODES = 'lab.netpath.dev/lb-nodes';
export const EXCLUDE_FROM_LB = 'node.kubernetes.io/exclude-from-external-load-balancers';
const AWS = 'service.beta.kubernetes.io/aws-load-balancer-';
const AZURE = 'service.beta.kubernetes.io/azure-load-balancer-';
const ALIBABA = 'service.beta.kubernetes.io/alibaba-cloud-loadbalancer-';

function svcCmd(svc: KObject): string {
  return `kubectl describe svc ${svc.metadata.name} -n ${svc.metadata.namespace}`;
}

/** The nodes a cloud load balancer sends traffic to, and why (exclusion label, target-node labels, lab annotation). */
export function lbTargetNodes(svc: KObject, nodes: KObject[]): { nodes: KObject[]; rule: string } {
  let out = nodes.filter((n) => isNodeReady(n) && !n.spec?.unschedulable && n.metadata.labels?.[EXCLUDE_FROM_LB] === undefined);
  const rules = [`Ready nodes without ${EXCLUDE_FROM_LB}`];
  const lab = svc.metadata.annotations?.[LAB_LB_NODES];
  if (lab) {
    const names = lab.split(',').map((s) => s.trim()).filter(Boolean);
    out = out.filter((n) => names.includes(n.metadata.name));
    rules.push(`${LAB_LB_NODES}: ${lab}`);
  }
  const aws = svc.metadata.annotations?.[`${AWS}target-node-labels`];
  if (aws) {
    try {
      const req = parseSelectorString(aws);
      out = out.filter((n) => matchesSelector({ matchExpressions: req }, n.metadata.labels));
      rules.push(`${AWS}target-node-labels: ${aws}`);
    } catch {
      /* unparsable: ignore the restriction */
    }
  }
  return { nodes: out, rule: rules.join('; ') };
}

function healthCheckChecks(ctx: CheckContext, svc: KObject | undefined): Check[] {
  const f = ctx.facts;
  const ann: Record<string, string> = { ...(svc?.metadata.annotations ?? {}) };
  const ingAnn: Record<string, string> = f.ingress?.object.metadata.annotations ?? {};
  const local = svc?.spec?.externalTrafficPolicy === 'Local';
  const evidence: string[] = [];
  const warnings: string[] = [];
  const pick = (prefix: string, src: Record<string, string>) => Object.entries(src).filter(([k]) => k.startsWith(prefix));

  // AWS NLB/CLB (in-tree or AWS Load Balancer Controller), on the Service.
  const aws = pick(`${AWS}healthcheck-`, ann);
  const ipTargets = ann[`${AWS}nlb-target-type`] === 'ip';
  for (const [k, v] of aws) evidence.push(`${k}: ${v}`);
  if (aws.length && local && !ipTargets) {
    const proto = ann[`${AWS}healthcheck-protocol`]?.toLowerCase();
    const port = ann[`${AWS}healthcheck-port`];
    if (proto === 'tcp') warnings.push('AWS health check is TCP with externalTrafficPolicy Local: nodes without a local endpoint still pass and drop traffic');
    if (port && port !== String(svc?.spec?.healthCheckNodePort ?? ''))
      warnings.push(`AWS health-check port ${port} is not the healthCheckNodePort ${svc?.spec?.healthCheckNodePort ?? '(none)'}: kube-proxy's /healthz is not what the load balancer asks`);
  }
  // AWS ALB, on the Ingress.
  const alb = pick('alb.ingress.kubernetes.io/healthcheck-', ingAnn);
  for (const [k, v] of alb) evidence.push(`${k}: ${v}`);
  const albPath = ingAnn['alb.ingress.kubernetes.io/healthcheck-path'];
  if (albPath && f.backend?.pods.length) {
    const probePaths = new Set(f.backend.pods.flatMap((p) => (p.spec?.containers ?? []).map((c: any) => c?.readinessProbe?.httpGet?.path).filter(Boolean)));
    if (probePaths.size && !probePaths.has(albPath)) warnings.push(`ALB health-check path ${albPath} is not a path the pods' readiness probes use (${[...probePaths].join(', ')}): make sure it answers 200`);
  }
  // GCP: BackendConfig / NEG annotations.
  for (const k of ['cloud.google.com/backend-config', 'beta.cloud.google.com/backend-config', 'cloud.google.com/neg', 'cloud.google.com/l4-rbs']) {
    if (ann[k]) evidence.push(`${k}: ${ann[k]}`);
  }
  if (f.ingress?.controller.spec?.id === 'gce' && !ann['cloud.google.com/backend-config'] && !ann['beta.cloud.google.com/backend-config']) {
    const hasHttpProbe = f.backend?.pods.some((p) => (p.spec?.containers ?? []).some((c: any) => c?.readinessProbe?.httpGet));
    if (!hasHttpProbe) warnings.push('GKE Ingress health check defaults to GET / on the serving port (no BackendConfig, no HTTP readiness probe to copy): / must answer 200');
  }
  // Azure.
  const azure = Object.entries(ann).filter(([k]) => k.startsWith(`${AZURE}health-probe`) || /^service\.beta\.kubernetes\.io\/port_\d+_health-probe/.test(k));
  for (const [k, v] of azure) evidence.push(`${k}: ${v}`);
  if (local && azure.some(([k, v]) => /health-probe-protocol$/.test(k) && v.toLowerCase() === 'tcp'))
    warnings.push('Azure health probe is TCP with externalTrafficPolicy Local: nodes without a local endpoint stay in the backend pool');
  // Alibaba Cloud SLB.
  const ali = pick(`${ALIBABA}health-check`, ann);
  for (const [k, v] of ali) evidence.push(`${k}: ${v}`);
  if (ann[`${ALIBABA}health-check-flag`] === 'off') warnings.push('Alibaba Cloud SLB health checks are switched off: failed nodes stay in rotation');
  if (local && ann[`${ALIBABA}health-check-type`]?.toLowerCase() === 'tcp') warnings.push('Alibaba Cloud health check is TCP with externalTrafficPolicy Local: nodes without a local endpoint pass');

  if (!evidence.length && !warnings.length) return [];
  const next = svc ? svcCmd(svc) : undefined;
  if (warnings.length) return [mk('lb.health-check', 'warn', warnings[0]!, [...warnings.slice(1), ...evidence], next)];
  return [mk('lb.health-check', 'ok', 'cloud health-check settings are consistent with the Service', evidence, next)];
}

export function loadBalancerChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  const out: Check[] = [];
  if (f.notExposed) {
    const svc = f.lb.service?.ok ? f.lb.service.value : undefined;
    return [
      mk(
        'lb.not-exposed',
        'warn',
        `svc/${svc?.metadata.name} is ${svc?.spec?.type ?? 'ClusterIP'} and no Ingress or HTTPRoute routes to it: nothing outside the cluster reaches it`,
        [`spec.type: ${svc?.spec?.type ?? 'ClusterIP'}`],
        `kubectl get ingress,httproute -A | grep ${svc?.metadata.name}`,
      ),
    ];
  }
  const lbGot = f.lb.service;
  const published = f.lb.published;
  const pubBy = f.lb.publishedBy ? `${f.lb.publishedBy.kind.toLowerCase()}/${f.lb.publishedBy.name}` : 'status';

  // lb.pending
  if (!lbGot) {
    if (f.ingress && f.ingress.controller.spec && !f.ingress.controller.spec.inCluster) {
      out.push(
        published.length
          ? mk('lb.pending', 'ok', `${f.ingress.controller.spec.name} load balancer at ${published.join(', ')}`, [`${pubBy} status.loadBalancer: ${published.join(', ')}`])
          : mk('lb.pending', 'fail', `${f.ingress.controller.spec.name} has not provisioned a load balancer: the Ingress has no address`, [], `kubectl describe ingress ${f.ingress.object.metadata.name} -n ${f.ingress.object.metadata.namespace}`),
      );
    } else {
      out.push(
        mk(
          'lb.pending',
          'unknown',
          `not checked: ${f.lb.unknownReason ?? 'the load balancer of this path is unknown'}`,
          published.length ? [`${pubBy} publishes ${published.join(', ')}`] : [],
          f.ingress ? `kubectl get ingressclass ${f.ingress.className ?? ''}`.trim() : undefined,
        ),
      );
    }
  } else if (!lbGot.ok) {
    out.push(unreadable('lb.pending', 'the load balancer Service', lbGot.error));
  } else if (!lbGot.value) {
    out.push(mk('lb.pending', 'fail', `the load balancer Service ${f.lb.serviceRef?.namespace}/${f.lb.serviceRef?.name} does not exist`, [], `kubectl get svc -n ${f.lb.serviceRef?.namespace}`));
  } else {
    const svc = lbGot.value;
    const addrs = statusAddresses(svc);
    const type = svc.spec?.type ?? 'ClusterIP';
    const name = `svc/${svc.metadata.name} -n ${svc.metadata.namespace}`;
    const evSource = f.lb.events ?? (f.backend && f.backend.namespace === svc.metadata.namespace ? f.backend.events : undefined);
    const evs = evSource ? eventsFor(evSource, 'Service', svc.metadata.name).filter((e) => e.type === 'Warning' || /LoadBalancer/.test(e.reason ?? '')).slice(-4) : [];
    if (type === 'LoadBalancer') {
      if (addrs.length) out.push(mk('lb.pending', 'ok', `${name} has ${addrs.join(', ')}`, [`status.loadBalancer.ingress: ${addrs.join(', ')}`, ...(svc.spec?.ports ?? []).map((p: any) => `port ${p.port}/${p.protocol ?? 'TCP'}${p.nodePort ? ` (nodePort ${p.nodePort})` : ''}`)]));
      else
        out.push(
          mk(
            'lb.pending',
            'fail',
            `${name} has no external address: EXTERNAL-IP <pending> (${evs.some((e) => e.reason === 'SyncLoadBalancerFailed') ? `the cloud controller fails: ${String(evs.filter((e) => e.reason === 'SyncLoadBalancerFailed').at(-1)!.message ?? '').slice(0, 160)}` : 'no cloud load-balancer controller or address pool provisioned it'})`,
            ['status.loadBalancer: {}', ...(svc.spec?.loadBalancerClass ? [`spec.loadBalancerClass: ${svc.spec.loadBalancerClass}`] : []), ...evs.map((e) => eventLine(e, ctx.now))],
            svcCmd(svc),
            [{ kind: 'Service', name: svc.metadata.name, namespace: svc.metadata.namespace }],
          ),
        );
    } else if (type === 'NodePort') {
      out.push(mk('lb.pending', 'ok', `${name} is published through NodePorts ${(svc.spec?.ports ?? []).map((p: any) => p.nodePort).filter(Boolean).join(', ')} (no cloud load balancer)`, [`spec.type: NodePort`]));
    } else {
      out.push(mk('lb.pending', 'warn', `${name} is ${type}: it is not reachable from outside the cluster by itself`, [`spec.type: ${type}`], svcCmd(svc)));
    }

    // lb.address-mismatch
    if (published.length && addrs.length && f.lb.publishedBy?.kind !== 'Service') {
      const shared = published.filter((a) => addrs.includes(a));
      out.push(
        shared.length
          ? mk('lb.address-mismatch', 'ok', `${pubBy} publishes the load balancer's address ${shared.join(', ')}`)
          : mk('lb.address-mismatch', 'warn', `${pubBy} publishes ${published.join(', ')} but ${name} holds ${addrs.join(', ')}: a stale status`, [], svcCmd(svc)),
      );
    }

    // lb.source-ranges
    const ranges: string[] = Array.isArray(svc.spec?.loadBalancerSourceRanges) ? svc.spec.loadBalancerSourceRanges : [];
    const annRanges = svc.metadata.annotations?.['service.beta.kubernetes.io/load-balancer-source-ranges'];
    const all = [...ranges, ...(annRanges ? annRanges.split(',').map((s: string) => s.trim()) : [])].filter(Boolean);
    if (type === 'LoadBalancer') {
      out.push(
        all.length && !all.includes('0.0.0.0/0')
          ? mk('lb.source-ranges', 'warn', `only ${all.join(', ')} may connect to the load balancer`, [`spec.loadBalancerSourceRanges: ${all.join(', ')}`], svcCmd(svc))
          : mk('lb.source-ranges', 'ok', 'no source-range restriction'),
      );
    }

    // lb.health-check
    out.push(...healthCheckChecks(ctx, svc));

    // lb.etp-local-no-endpoints
    if (type === 'LoadBalancer' || type === 'NodePort') {
      const local = svc.spec?.externalTrafficPolicy === 'Local';
      if (!local) out.push(mk('lb.etp-local-no-endpoints', 'ok', `externalTrafficPolicy ${svc.spec?.externalTrafficPolicy ?? 'Cluster'}: every node forwards to any endpoint (client IPs are SNATed)`));
      else if (svc.metadata.annotations?.[`${AWS}nlb-target-type`] === 'ip')
        out.push(mk('lb.etp-local-no-endpoints', 'ok', 'externalTrafficPolicy Local with NLB ip targets: the load balancer sends to pods directly'));
      else if (!f.cluster.nodes.ok) out.push(unreadable('lb.etp-local-no-endpoints', 'nodes', f.cluster.nodes.error));
      else if (!f.lb.slices) out.push(mk('lb.etp-local-no-endpoints', 'unknown', 'not checked: the load balancer\'s EndpointSlices were not read'));
      else if (!f.lb.slices.ok) out.push(unreadable('lb.etp-local-no-endpoints', 'the load balancer\'s EndpointSlices', f.lb.slices.error));
      else {
        const target = lbTargetNodes(svc, f.cluster.nodes.value);
        const port = (svc.spec?.ports ?? [])[0]?.name;
        const eps = endpointsOf(f.lb.slices.value, port);
        const readyNodes = new Set(eps.filter((e) => e.ready && e.node).map((e) => e.node!));
        const withEp = target.nodes.filter((n) => readyNodes.has(n.metadata.name));
        const evidence = [
          `healthCheckNodePort: ${svc.spec?.healthCheckNodePort ?? '(none)'} (kube-proxy answers /healthz with 503 on nodes without a ready local endpoint)`,
          `load-balancer targets (${target.rule}): ${target.nodes.map((n) => n.metadata.name).join(', ') || '(none)'}`,
          `nodes with ready endpoints: ${[...readyNodes].join(', ') || '(none)'}`,
        ];
        const next = `kubectl get endpointslices -n ${svc.metadata.namespace} -l kubernetes.io/service-name=${svc.metadata.name} -o wide`;
        if (!target.nodes.length) out.push(mk('lb.etp-local-no-endpoints', 'fail', 'the load balancer targets no Ready node', evidence, `kubectl get nodes --show-labels`));
        else if (!readyNodes.size)
          // Nothing is ready anywhere: the cause is behind the load balancer (controller, proxies or pods), not its nodes.
          out.push(
            mk(
              'lb.etp-local-no-endpoints',
              'warn',
              `externalTrafficPolicy Local and no ready endpoint on any node: every node fails the health check (see ${f.via === 'service' ? 'pods' : 'ingress: the controller or proxy pods are not ready'})`,
              evidence,
              next,
            ),
          );
        else if (!withEp.length)
          out.push(
            mk(
              'lb.etp-local-no-endpoints',
              'fail',
              `externalTrafficPolicy Local, but ${target.nodes.length === 1 ? 'the only node' : `none of the ${target.nodes.length} nodes`} the load balancer targets (${target.nodes.map((n) => n.metadata.name).join(', ')}) ${target.nodes.length === 1 ? 'has no' : 'has a'} ready endpoint${readyNodes.size ? `: the endpoints run on ${[...readyNodes].join(', ')}` : ''}`,
              evidence,
              next,
            ),
          );
        else out.push(mk('lb.etp-local-no-endpoints', 'ok', `externalTrafficPolicy Local: ${withEp.length} of ${plural(target.nodes.length, 'target node')} have a ready endpoint${withEp.length < target.nodes.length ? ' (the others fail the health check, as intended)' : ''}`, evidence));
      }
    }
  }

  // lb.tcp-connect
  const addresses = [...new Set([...published, ...(lbGot?.ok && lbGot.value ? statusAddresses(lbGot.value) : [])])];
  if (addresses.length) {
    if (!ctx.probes) out.push(mk('lb.tcp-connect', 'unknown', `not checked: ${ctx.probeSkipped ?? 'probes disabled'}`, [], `nc -vz -w 3 ${addresses[0]} ${tcpPort(ctx)}`));
    else {
      const port = tcpPort(ctx);
      const results = ctx.probes.tcp.filter((t) => addresses.includes(t.address) && t.port === port);
      if (!results.length) out.push(mk('lb.tcp-connect', 'unknown', 'not checked: no TCP probe ran for these addresses'));
      else {
        const bad = results.filter((r) => !r.ok);
        const ev = results.map((r) => `${r.address}:${r.port} ${r.ok ? `connected in ${r.ms} ms` : r.error}`);
        out.push(
          bad.length
            ? mk('lb.tcp-connect', 'fail', `cannot connect to ${bad.map((b) => `${b.address}:${b.port}`).join(', ')}: ${bad[0]!.error}`, ev, `nc -vz -w 3 ${bad[0]!.address} ${bad[0]!.port}`)
            : mk('lb.tcp-connect', 'ok', `TCP connects to ${results.map((r) => `${r.address}:${r.port}`).join(', ')}`, ev),
        );
      }
    }
  }
  return out;
}

/** The port clients use on this path. */
export function tcpPort(ctx: CheckContext): number {
  const f = ctx.facts;
  if (f.port) return f.port;
  if (f.via === 'service') {
    const svc = f.lb.service?.ok ? f.lb.service.value : undefined;
    return Number(svc?.spec?.ports?.[0]?.port ?? 80);
  }
  return f.scheme === 'https' ? 443 : 80;
}

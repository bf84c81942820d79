// The isolation ladder: from one helper pod, curl with timing to each pod IP:targetPort, the Service's
// ClusterIP:port, the Service's DNS name, the controller's Service (with the Host), the load balancer's address
// (with the Host) and the external URL. The first rung that fails names the broken hop and becomes a check in
// the path model (applyLadder). planLadder and judgeRung are pure; runLadder does the I/O.
import type { KubeClient } from '../../kube/client.ts';
import type { KObject } from '../../kube/types.ts';
import type { Check, LadderResult, LadderRungResult, LayerId, Path, Report, RungHop, RungId } from '../../path/model.ts';
import { layerStatus, verdictOf } from '../../path/model.ts';
import { type CurlTiming, curlFailureKind, parseCurlWriteOut } from '../parsers/curl.ts';
import { runEphemeral } from './ephemeral.ts';
import { type HelperEvent, type HelperOptions, HelperError, runHelper } from './runner.ts';

export const RUNG_ORDER: RungId[] = ['pod', 'cluster-ip', 'service-dns', 'controller', 'lb', 'external'];

export const RUNG_INFO: Record<RungId, { title: string; hop: RungHop; layer: LayerId; check: string }> = {
  pod: { title: 'pod IP:targetPort', hop: 'pod', layer: 'pods', check: 'ladder.pod' },
  'cluster-ip': { title: 'Service ClusterIP:port', hop: 'service', layer: 'service', check: 'ladder.cluster-ip' },
  'service-dns': { title: 'Service DNS name', hop: 'cluster-dns', layer: 'dns', check: 'ladder.service-dns' },
  controller: { title: 'controller Service with Host', hop: 'controller', layer: 'ingress', check: 'ladder.controller' },
  lb: { title: 'load balancer with Host', hop: 'loadbalancer', layer: 'loadbalancer', check: 'ladder.lb' },
  external: { title: 'external URL', hop: 'dns', layer: 'dns', check: 'ladder.external' },
};

/** The check id and layer when a wrong targetPort is the cause (the pod answers on another declared port). */
export const TARGET_PORT_CHECK = { check: 'ladder.target-port', layer: 'service' as LayerId };

export interface LadderTarget {
  /** `pod.0`, `pod.0.alt1`, `lb.0`… */
  tag: string;
  label: string;
  url: string;
  /** curl --resolve HOST:PORT:ADDR (the Host header and SNI of the real name, sent to this address). */
  resolve?: string;
  /** Another declared containerPort, tried only when the targetPort fails. */
  alt?: boolean;
}

export interface PlannedRung {
  id: RungId;
  title: string;
  targets: LadderTarget[];
  /** Not applicable on this path (no Ingress, headless Service…). */
  skip?: string;
  /** Known to fail without probing (a pending load balancer). */
  fail?: string;
}

export interface LadderFacts {
  service?: KObject;
  slices: KObject[];
  /** The pods behind the first endpoints (their declared containerPorts). */
  pods: KObject[];
  /** The LoadBalancer Service on the path (the controller's, the Gateway's or the app's). */
  lbService?: KObject;
}

const SAFE = /^[A-Za-z0-9._:\[\]-]+$/;

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function safePath(p: string | undefined): string {
  const s = encodeURI(decodeURIComponentSafe(p || '/')).replace(/'/g, '%27');
  return s.startsWith('/') ? s : `/${s}`;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

/** The Service port the path uses. */
function servicePort(svc: KObject | undefined, ref: number | string | undefined): any {
  const ports: any[] = svc?.spec?.ports ?? [];
  if (ref === undefined) return ports[0];
  return ports.find((p) => p.port === ref || p.name === ref || String(p.port) === String(ref)) ?? ports[0];
}

/** Rungs for a path, from the path model and a few objects (see gatherLadderFacts). Pure. */
export function planLadder(path: Path, facts: LadderFacts, o: { maxEndpoints?: number } = {}): PlannedRung[] {
  const rungs: PlannedRung[] = [];
  const svc = facts.service;
  const sp = servicePort(svc, path.service?.port);
  const reqPath = safePath(path.path);
  const svcName = path.service?.name;
  const svcNs = path.service?.namespace;

  // 1. pods
  const slicePort = (() => {
    for (const s of facts.slices) for (const p of s.ports ?? []) if ((sp?.name ?? '') === (p.name ?? '') && p.port) return Number(p.port);
    return typeof sp?.targetPort === 'number' ? sp.targetPort : undefined;
  })();
  const eps = [...path.endpoints].filter((e) => SAFE.test(e.address)).sort((a, b) => Number(b.ready) - Number(a.ready)).slice(0, o.maxEndpoints ?? 2);
  if (!svc || !sp) rungs.push({ id: 'pod', title: RUNG_INFO.pod.title, targets: [], skip: 'the Service could not be read' });
  else if (!eps.length) rungs.push({ id: 'pod', title: RUNG_INFO.pod.title, targets: [], skip: `Service ${svcName} has no endpoints: there is no pod IP to try` });
  else if (!slicePort) rungs.push({ id: 'pod', title: RUNG_INFO.pod.title, targets: [], skip: `the targetPort ${sp.targetPort} is not resolved in the EndpointSlices` });
  else {
    const targets: LadderTarget[] = eps.map((e, i) => ({ tag: `pod.${i}`, label: `${e.pod ?? 'pod'} ${hostPort(e.address, slicePort)}`, url: `http://${hostPort(e.address, slicePort)}${reqPath}` }));
    // Other TCP ports the first endpoint's pod declares: tried when the targetPort fails, to tell a wrong
    // targetPort from a pod that answers nothing.
    const first = eps[0]!;
    const pod = facts.pods.find((p) => p.metadata.name === first.pod);
    const declared = new Set<number>();
    for (const c of pod?.spec?.containers ?? []) for (const p of c.ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP' && Number(p.containerPort) !== slicePort) declared.add(Number(p.containerPort));
    [...declared].slice(0, 2).forEach((port, j) => targets.push({ tag: `pod.0.alt${j}`, label: `${first.pod ?? 'pod'} ${hostPort(first.address, port)} (declared containerPort)`, url: `http://${hostPort(first.address, port)}${reqPath}`, alt: true }));
    rungs.push({ id: 'pod', title: RUNG_INFO.pod.title, targets });
  }

  // 2. ClusterIP
  const cip: string | undefined = svc?.spec?.clusterIP;
  if (!svc || !sp) rungs.push({ id: 'cluster-ip', title: RUNG_INFO['cluster-ip'].title, targets: [], skip: 'the Service could not be read' });
  else if (!cip || cip === 'None' || !SAFE.test(cip)) rungs.push({ id: 'cluster-ip', title: RUNG_INFO['cluster-ip'].title, targets: [], skip: 'headless Service (no ClusterIP)' });
  else rungs.push({ id: 'cluster-ip', title: RUNG_INFO['cluster-ip'].title, targets: [{ tag: 'cluster-ip.0', label: `svc/${svcName} ${hostPort(cip, sp.port)}`, url: `http://${hostPort(cip, sp.port)}${reqPath}` }] });

  // 3. the Service's DNS name (cluster DNS)
  if (!svc || !sp || !svcName || !svcNs || !SAFE.test(svcName) || !SAFE.test(svcNs)) rungs.push({ id: 'service-dns', title: RUNG_INFO['service-dns'].title, targets: [], skip: 'the Service could not be read' });
  else {
    const name = `${svcName}.${svcNs}.svc.cluster.local`;
    rungs.push({ id: 'service-dns', title: RUNG_INFO['service-dns'].title, targets: [{ tag: 'service-dns.0', label: `${name}:${sp.port}`, url: `http://${name}:${sp.port}${reqPath}` }] });
  }

  // 4. the controller's Service (Ingress controller / Gateway proxy), with the path's Host and SNI
  const scheme = path.scheme ?? 'http';
  const host = path.host && SAFE.test(path.host) && !path.host.startsWith('*') ? path.host : undefined;
  const extPort = path.port ?? (scheme === 'https' ? 443 : 80);
  const lbSvc = facts.lbService;
  const lbPorts: any[] = lbSvc?.spec?.ports ?? [];
  const lbPort = lbPorts.find((p) => p.port === extPort) ?? lbPorts.find((p) => p.name === scheme) ?? lbPorts[0];
  if (path.via === 'service') rungs.push({ id: 'controller', title: RUNG_INFO.controller.title, targets: [], skip: 'no Ingress or Gateway on this path' });
  else if (!lbSvc || !lbPort) rungs.push({ id: 'controller', title: RUNG_INFO.controller.title, targets: [], skip: 'the controller\'s Service is unknown' });
  else {
    const ip: string | undefined = lbSvc.spec?.clusterIP;
    if (!ip || ip === 'None' || !SAFE.test(ip)) rungs.push({ id: 'controller', title: RUNG_INFO.controller.title, targets: [], skip: 'the controller\'s Service has no ClusterIP' });
    else {
      const h = host ?? ip;
      rungs.push({
        id: 'controller',
        title: RUNG_INFO.controller.title,
        targets: [{ tag: 'controller.0', label: `svc/${lbSvc.metadata.name} -n ${lbSvc.metadata.namespace} ${hostPort(ip, lbPort.port)} Host ${h}`, url: `${scheme}://${hostPort(h, lbPort.port)}${reqPath}`, ...(host ? { resolve: `${host}:${lbPort.port}:${ip}` } : {}) }],
      });
    }
  }

  // 5. the load balancer's address, with the Host
  const lb = path.loadBalancer;
  if (!lb) rungs.push({ id: 'lb', title: RUNG_INFO.lb.title, targets: [], skip: 'no load balancer on this path' });
  else if (lb.pending || !lb.addresses.length) rungs.push({ id: 'lb', title: RUNG_INFO.lb.title, targets: [], fail: `the load balancer${lb.service ? ` svc/${lb.service.name}` : ''} has no address (EXTERNAL-IP <pending>)` });
  else {
    const addr = lb.addresses.find((a) => SAFE.test(a))!;
    const port = path.via === 'service' ? Number(sp?.port ?? extPort) : extPort;
    const h = host ?? addr;
    rungs.push({
      id: 'lb',
      title: RUNG_INFO.lb.title,
      targets: addr ? [{ tag: 'lb.0', label: `${hostPort(addr, port)} Host ${h}`, url: `${scheme}://${hostPort(h, port)}${reqPath}`, ...(host && /^[\d.]+$|:/.test(addr) ? { resolve: `${host}:${port}:${addr}` } : {}) }] : [],
      ...(addr ? {} : { skip: 'the load balancer address is not usable' }),
    });
  }

  // 6. the external URL, resolved as any client in the cluster resolves it
  if (!host) rungs.push({ id: 'external', title: RUNG_INFO.external.title, targets: [], skip: 'no hostname on this path' });
  else {
    const port = path.via === 'service' ? Number(sp?.port ?? extPort) : extPort;
    const def = (scheme === 'https' && port === 443) || (scheme === 'http' && port === 80);
    rungs.push({ id: 'external', title: RUNG_INFO.external.title, targets: [{ tag: 'external.0', label: `${scheme}://${host}${def ? '' : `:${port}`}${reqPath}`, url: `${scheme}://${host}${def ? '' : `:${port}`}${reqPath}` }] });
  }
  return rungs;
}

/** The tagged write-out for one target. */
export function writeOut(tag: string): string {
  return `@@curl t=${tag} code=%{http_code} ip=%{remote_ip} port=%{remote_port} dns=%{time_namelookup} connect=%{time_connect} tls=%{time_appconnect} ttfb=%{time_starttransfer} total=%{time_total} exit=%{exitcode} err=%{errormsg}\\n`;
}

/** The helper's shell script: one `@@rung ID` marker per rung, then one curl per target (alternatives after `||`). */
export function ladderScript(rungs: PlannedRung[], timeoutSeconds: number): string {
  const t = Math.max(1, Math.round(timeoutSeconds));
  const ct = Math.max(1, Math.min(t, 2));
  const curl = (x: LadderTarget) =>
    `curl -s -k -o /dev/null --connect-timeout ${ct} -m ${t}${x.resolve ? ` --resolve '${x.resolve}'` : ''} -w '${writeOut(x.tag)}' '${x.url}'`;
  const parts: string[] = [];
  for (const r of rungs) {
    if (r.skip || r.fail || !r.targets.length) continue;
    parts.push(`echo '@@rung ${r.id}'`);
    const main = r.targets.filter((x) => !x.alt);
    const alts = r.targets.filter((x) => x.alt);
    main.forEach((x, i) => parts.push(i === 0 && alts.length ? [curl(x), ...alts.map(curl)].join(' || ') : curl(x)));
  }
  parts.push(`echo '@@done'`);
  return parts.join('; ');
}

/** A curl result that shows the hop works: an HTTP answer (a 5xx is the pod's or the proxy's failure). */
function answered(t: CurlTiming): boolean {
  return t.httpCode > 0 && t.httpCode < 500;
}

function describe(t: CurlTiming): string {
  if (t.httpCode > 0) return `HTTP ${t.httpCode}${t.totalMs !== undefined ? ` in ${t.totalMs} ms` : ''}${t.remoteIp ? ` from ${t.remoteIp}` : ''}`;
  const kind = curlFailureKind(t.exitCode, t.error);
  const words = { resolve: 'name not resolved', refused: 'connection refused', timeout: 'timed out', reset: 'connection reset', tls: 'TLS failed', other: 'failed', ok: 'no HTTP answer' }[kind];
  return `${words}${t.error ? ` (curl ${t.exitCode}: ${t.error})` : t.exitCode !== undefined ? ` (curl ${t.exitCode})` : ''}`;
}

/**
 * Judges one rung from its targets' results. `ctx` carries what lower rungs showed: the pods' own status code
 * (a 404 through the controller is only a failure when the pod does not answer 404 itself), the load balancer's
 * addresses (an external answer from another address is a stale DNS record).
 */
export function judgeRung(r: PlannedRung, results: Map<string, CurlTiming>, ctx: { podCode?: number; lbAddresses?: string[]; from?: string } = {}): LadderRungResult {
  const info = RUNG_INFO[r.id];
  const base = { id: r.id, title: r.title, hop: info.hop, layer: info.layer, check: info.check };
  if (r.skip) return { ...base, status: 'skipped', message: r.skip, targets: [] };
  if (r.fail) return { ...base, status: 'fail', message: r.fail, targets: [] };
  const targets = r.targets.map((x) => {
    const t = results.get(x.tag);
    return { label: x.label, url: x.url, ...(x.alt ? { alt: true } : {}), ...(t ? { result: describe(t), timing: t } : { result: 'not run' }) };
  });
  const main = r.targets.filter((x) => !x.alt);
  const got = main.map((x) => results.get(x.tag)).filter((t): t is CurlTiming => !!t);
  if (!got.length) return { ...base, status: 'unknown', message: `${r.title}: no result (the helper ended early)`, targets };
  const through = r.id === 'controller' || r.id === 'lb' || r.id === 'external';
  const ok = (t: CurlTiming) => answered(t) && !(through && t.httpCode === 404 && ctx.podCode !== 404);
  const passing = got.filter(ok);
  if (r.id === 'external' && passing.length && ctx.lbAddresses?.length) {
    const ip = passing[0]!.remoteIp;
    if (ip && !ctx.lbAddresses.includes(ip)) return { ...base, status: 'fail', message: `${targets[0]!.label} answered from ${ip}, not from the load balancer (${ctx.lbAddresses.join(', ')}): DNS points elsewhere`, targets };
  }
  if (r.id === 'pod' ? passing.length > 0 : passing.length === got.length) {
    const t = passing[0]!;
    return { ...base, status: 'pass', message: `${r.title}: ${describe(t)}${got.length > 1 ? ` (${passing.length}/${got.length} answered)` : ''}`, targets };
  }
  const bad = got.find((t) => !ok(t))!;
  const what = describe(bad);
  // Pods: a declared containerPort that answers while the targetPort does not is a wrong targetPort.
  if (r.id === 'pod') {
    const altOk = r.targets.filter((x) => x.alt).find((x) => {
      const t = results.get(x.tag);
      return t && answered(t);
    });
    if (altOk)
      return { ...base, hop: 'targetPort', layer: TARGET_PORT_CHECK.layer, check: TARGET_PORT_CHECK.check, status: 'fail', message: `pods do not answer on the Service's targetPort (${what}) but answer on ${altOk.label.replace(/ \(declared containerPort\)$/, '')}: the targetPort is wrong`, targets };
    return {
      ...base,
      status: 'fail',
      message: `no pod answers on its IP:targetPort (${what})${curlFailureKind(bad.exitCode, bad.error) === 'timeout' ? `: packets are dropped (a NetworkPolicy that does not admit ${ctx.from ? `namespace ${ctx.from}` : 'the helper'}, or the pod hangs)` : ''}`,
      targets,
    };
  }
  if (r.id === 'external') {
    const kind = curlFailureKind(bad.exitCode, bad.error);
    const ip = bad.remoteIp;
    const elsewhere = ip && ctx.lbAddresses?.length && !ctx.lbAddresses.includes(ip);
    const msg =
      kind === 'resolve' ? `${targets[0]!.label}: the name does not resolve from inside the cluster` : `${targets[0]!.label}: ${what}${elsewhere ? `; it resolved to ${ip}, not the load balancer (${ctx.lbAddresses!.join(', ')})` : ''}`;
    // With the load balancer answering for the Host, an external failure is the name's (stale or missing record).
    return { ...base, status: 'fail', message: msg, targets };
  }
  const hopWords: Record<RungId, string> = {
    pod: '',
    'cluster-ip': 'pods answer but the ClusterIP does not: kube-proxy / the Service is the broken hop',
    'service-dns': 'the ClusterIP answers but the Service name does not: cluster DNS is the broken hop',
    controller: 'the Service answers but the controller does not serve the host: the Ingress/Gateway controller is the broken hop',
    lb: 'the controller answers but its load balancer does not: the load balancer is the broken hop',
    external: '',
  };
  return { ...base, status: 'fail', message: `${r.title}: ${what} — ${hopWords[r.id]}`, targets };
}

/** The ladder's verdict over judged rungs: the first failing rung names the hop. Pure. */
export function ladderVerdict(rungs: LadderRungResult[]): LadderResult['verdict'] {
  const fail = rungs.find((r) => r.status === 'fail');
  if (fail) return { status: 'fail', rung: fail.id, hop: fail.hop, layer: fail.layer, message: fail.message };
  const unknown = rungs.find((r) => r.status === 'unknown');
  if (unknown) return { status: 'unknown', rung: unknown.id, message: unknown.message };
  if (!rungs.some((r) => r.status === 'pass')) return { status: 'unknown', message: 'no rung could be tried on this path' };
  return { status: 'ok', message: `every rung answers (${rungs.filter((r) => r.status === 'pass').map((r) => r.id).join(', ')})` };
}

export type LadderEvent =
  | { type: 'plan'; path: string; rungs: { id: RungId; title: string; targets: string[]; skip?: string }[] }
  | { type: 'helper'; event: HelperEvent }
  | { type: 'rung-started'; id: RungId }
  | { type: 'rung-passed' | 'rung-failed' | 'rung-skipped' | 'rung-unknown'; result: LadderRungResult }
  | { type: 'verdict'; result: LadderResult };

/** Reads the objects planLadder needs: the Service, its EndpointSlices, the first endpoints' pods, the LB Service. */
export async function gatherLadderFacts(c: Pick<KubeClient, 'send'>, path: Path, signal?: AbortSignal): Promise<LadderFacts> {
  const opt = signal ? { signal } : {};
  const get = (p: string) => c.send('GET', p, opt).catch(() => undefined) as Promise<KObject | undefined>;
  const ns = path.service?.namespace;
  const name = path.service?.name;
  const lbRef = path.loadBalancer?.service;
  const [service, sliceList, lbService, ...pods] = await Promise.all([
    ns && name ? get(`/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}`) : undefined,
    ns && name ? c.send('GET', `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/endpointslices`, { query: { labelSelector: `kubernetes.io/service-name=${name}` }, ...opt }).catch(() => undefined) : undefined,
    lbRef?.namespace ? get(`/api/v1/namespaces/${encodeURIComponent(lbRef.namespace)}/services/${encodeURIComponent(lbRef.name)}`) : undefined,
    ...path.endpoints.filter((e) => e.pod).slice(0, 1).map((e) => get(`/api/v1/namespaces/${encodeURIComponent(ns ?? '')}/pods/${encodeURIComponent(e.pod!)}`)),
  ]);
  return { ...(service ? { service } : {}), slices: (sliceList as any)?.items ?? [], pods: pods.filter((p): p is KObject => !!p), ...(lbService ? { lbService } : {}) };
}

/**
 * Where the ladder's helper runs by default: next to the path's controller (the Ingress controller's or Gateway
 * proxy's namespace), so NetworkPolicies see it as they see the traffic the path carries; the Service's namespace
 * when nothing fronts the Service. The second namespace is the fallback when the first refuses the helper.
 */
export function defaultProbeNamespaces(path: Path, fallback: string): string[] {
  const svcNs = path.service?.namespace ?? fallback;
  const ctrlNs = path.via !== 'service' ? path.loadBalancer?.service?.namespace : undefined;
  return [...new Set([ctrlNs, svcNs].filter((x): x is string => !!x))];
}

export interface LadderOptions extends HelperOptions {
  /** --from-pod: run from an ephemeral container in this pod (in the path's Service namespace) instead of a helper pod. */
  fromPod?: string;
  /** Namespaces to try after `namespace` refuses the helper (RBAC, PodSecurity), in order. */
  fallbackNamespaces?: string[];
  /** Per-request limit (--timeout), seconds. */
  timeoutSeconds?: number;
  /** Keep probing the rungs above the first failing one (more evidence, slower). Default false. */
  full?: boolean;
}

/**
 * Runs the ladder for a path and yields its progress: the plan, the helper's events, each rung as it starts and
 * is judged, then the verdict. Stops the helper (and deletes it) at the first failing rung unless `full`.
 */
export async function* runLadder(c: KubeClient, path: Path, o: LadderOptions, signal: AbortSignal): AsyncGenerator<LadderEvent> {
  const started = Date.now();
  const facts = await gatherLadderFacts(c, path, signal);
  const plan = planLadder(path, facts);
  yield { type: 'plan', path: path.id, rungs: plan.map((r) => ({ id: r.id, title: r.title, targets: r.targets.map((t) => t.label), ...(r.skip ? { skip: r.skip } : r.fail ? { skip: r.fail } : {}) })) };
  const results = new Map<string, CurlTiming>();
  const judged: LadderRungResult[] = [];
  const ctx: { podCode?: number; lbAddresses?: string[]; from?: string } = { ...(path.loadBalancer?.addresses.length ? { lbAddresses: path.loadBalancer.addresses } : {}) };
  let next = 0;
  let helper: LadderResult['helper'];
  let stop = false;
  const judgeUpTo = function* (until: number): Generator<LadderEvent> {
    // Judges planned rungs [next, until): skipped/failing-without-probe ones and those whose curls are done.
    for (; next < until && next < plan.length; next++) {
      const r = judgeRung(plan[next]!, results, ctx);
      judged.push(r);
      if (r.id === 'pod' && r.status === 'pass') ctx.podCode = r.targets.find((t) => t.timing && answered(t.timing))?.timing?.httpCode;
      yield { type: r.status === 'pass' ? 'rung-passed' : r.status === 'fail' ? 'rung-failed' : r.status === 'skipped' ? 'rung-skipped' : 'rung-unknown', result: r };
      if (r.status === 'fail' && !o.full) stop = true;
      if (stop) {
        next++;
        return;
      }
    }
  };
  const probed = plan.filter((r) => !r.skip && !r.fail && r.targets.length);
  if (!probed.length) yield* judgeUpTo(plan.length);
  else {
    // Judge leading rungs that need no probe (skipped) before the helper starts.
    const firstProbed = plan.indexOf(probed[0]!);
    yield* judgeUpTo(firstProbed);
    if (!stop) {
      const inner = new AbortController();
      const onAbort = () => inner.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      const script = ladderScript(plan.slice(firstProbed), o.timeoutSeconds ?? 3);
      const candidates = [o.namespace, ...(o.fallbackNamespaces ?? []).filter((n) => n !== o.namespace)];
      let lines = 0;
      const attempt = async function* (): AsyncGenerator<HelperEvent> {
        for (let i = 0; ; i++) {
          try {
            const spec = { purpose: 'ladder', command: () => ['sh', '-c', script] };
            const source = o.fromPod
              ? runEphemeral(c, spec, { namespace: path.service?.namespace ?? o.namespace, pod: o.fromPod, ...(o.image ? { image: o.image } : {}), ...(o.noHelpers ? { noHelpers: true } : {}) }, inner.signal)
              : runHelper(c, spec, { ...o, namespace: candidates[i]! }, inner.signal);
            for await (const ev of source) {
              if (ev.type === 'line') lines++;
              yield ev;
            }
            return;
          } catch (e) {
            if (!(e instanceof HelperError) || (e.kind !== 'forbidden' && e.kind !== 'podsecurity') || lines || i + 1 >= candidates.length) throw e;
            yield { type: 'status', message: `${e.message}; trying namespace "${candidates[i + 1]}"` };
          }
        }
      };
      try {
        for await (const ev of attempt()) {
          if (ev.type === 'profile') {
            helper = { pod: ev.pod, namespace: ev.namespace, profile: ev.profile, ...(ev.note ? { note: ev.note } : {}) };
            ctx.from = ev.namespace;
          }
          if (ev.type === 'line') {
            const m = /^@@rung (\S+)/.exec(ev.line);
            if (m) {
              const idx = plan.findIndex((r) => r.id === m[1]);
              if (idx >= 0) {
                yield* judgeUpTo(idx);
                if (stop) break;
                yield { type: 'rung-started', id: plan[idx]!.id };
              }
              continue;
            }
            if (ev.line.startsWith('@@done')) {
              yield* judgeUpTo(plan.length);
              break;
            }
            const t = parseCurlWriteOut(ev.line);
            const tag = /@@curl t=(\S+)/.exec(ev.line)?.[1];
            if (t && tag) {
              results.set(tag, t);
              continue;
            }
          }
          yield { type: 'helper', event: ev };
          if (ev.type === 'exit') yield* judgeUpTo(plan.length);
        }
      } catch (e) {
        if (!(e instanceof HelperError)) throw e;
        judged.push(...plan.slice(next).map((r) => ({ id: r.id, title: r.title, hop: RUNG_INFO[r.id].hop, layer: RUNG_INFO[r.id].layer, check: RUNG_INFO[r.id].check, status: 'unknown' as const, message: e.message, targets: [] })));
        next = plan.length;
        const result: LadderResult = { path: path.id, rungs: judged, verdict: { status: 'unknown', message: e.message }, ms: Date.now() - started, ...(helper ? { helper } : {}) };
        yield { type: 'verdict', result };
        return;
      } finally {
        signal.removeEventListener('abort', onAbort);
        inner.abort();
      }
    }
  }
  if (signal.aborted) return;
  // Rungs not reached: not checked (never shown as passing).
  for (const r of plan.slice(next)) judged.push({ id: r.id, title: r.title, hop: RUNG_INFO[r.id].hop, layer: RUNG_INFO[r.id].layer, check: RUNG_INFO[r.id].check, status: 'not-run', message: stop ? 'not run: a lower rung failed' : 'not run', targets: [] });
  const result: LadderResult = { path: path.id, rungs: judged, verdict: ladderVerdict(judged), ms: Date.now() - started, ...(helper ? { helper } : {}) };
  yield { type: 'verdict', result };
}

/** Runs the ladder to its verdict. */
export async function ladderToEnd(c: KubeClient, path: Path, o: LadderOptions, signal: AbortSignal, onEvent?: (e: LadderEvent) => void): Promise<LadderResult | undefined> {
  let out: LadderResult | undefined;
  for await (const ev of runLadder(c, path, o, signal)) {
    onEvent?.(ev);
    if (ev.type === 'verdict') out = ev.result;
  }
  return out;
}

/** The check a judged rung becomes. */
export function rungCheck(r: LadderRungResult): Check {
  return {
    id: r.check,
    status: r.status === 'pass' ? 'ok' : r.status === 'fail' ? 'fail' : 'unknown',
    message: `ladder: ${r.message}`,
    evidence: r.targets.map((t) => `${t.alt ? 'also ' : ''}${t.label}: ${t.result}${t.timing?.httpCode && t.timing.connectMs !== undefined ? ` (connect ${t.timing.connectMs} ms, first byte ${t.timing.firstByteMs ?? '-'} ms)` : ''}`),
    ...(r.targets[0] && r.id !== 'controller' && r.id !== 'lb' ? { next: `kubectl run -it --rm netpath-check --image nicolaka/netshoot:v0.14 --restart Never -- curl -sv -m 5 '${r.targets[0].url}'` } : {}),
  };
}

/**
 * Puts a ladder's results into a report: `probes.ladder`, an ok check per passing rung and a fail check for the
 * first failing one in the matching layer of the path, then the layer statuses and the verdict again. Pure.
 */
export function applyLadder(report: Report, result: LadderResult): Report {
  const probes = { ...report.probes, ladder: [...(report.probes.ladder ?? []).filter((l) => l.path !== result.path), result] };
  const firstFail = result.rungs.find((r) => r.status === 'fail');
  const firstUnknown = firstFail ? undefined : result.rungs.find((r) => r.status === 'unknown');
  const checks = result.rungs.filter((r) => r.status === 'pass' || r === firstFail || r === firstUnknown).map((r) => ({ layer: r.layer, check: rungCheck(r) }));
  const paths = report.paths.map((p) => {
    if (p.id !== result.path) return p;
    const layers = p.layers.map((l) => {
      const add = checks.filter((c) => c.layer === l.id).map((c) => c.check);
      if (!add.length) return l;
      const all = [...l.checks.filter((c) => !c.id.startsWith('ladder.')), ...add];
      const status = layerStatus(all);
      return { ...l, checks: all, status, summary: status === 'fail' && l.status !== 'fail' ? add.find((c) => c.status === 'fail')!.message : l.summary };
    });
    return { ...p, layers };
  });
  const primary = paths[0];
  const layers = primary?.id === result.path ? primary.layers : report.layers;
  return { ...report, probes, paths, layers, verdict: verdictOf(layers) };
}

// The lab's scenario manifests (src/lab/scenarios/*.yaml): well-formed, served by the lab, and each one stages
// exactly the fault its header names, checked statically the way a reviewer would read the YAML.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// js-yaml v5 has no default export: the namespace import is what `import yaml from 'js-yaml'` meant.
import * as yaml from 'js-yaml';
import { ResourceRegistry } from '../../../src/lab/resources.ts';

// ─── Loading ──────────────────────────────────────────────────────────────────────────────────────────

type Any = any;
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: Any;
}
interface Header {
  scenario?: string;
  fault?: string;
  layer?: string;
  symptom?: string;
  requires?: string[];
  keys: string[];
}
interface Scenario {
  name: string;
  text: string;
  header: Header;
  docs: Obj[];
}

const DIR = fileURLToPath(new URL('../../../src/lab/scenarios/', import.meta.url));
const LAYERS = ['dns', 'loadbalancer', 'ingress', 'service', 'endpoints', 'pods', 'none'];
const BUILTIN_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const LAB_POOL = { first: ip4('127.0.10.10'), last: ip4('127.0.10.250') };
const registry = new ResourceRegistry();

/** The leading comment block: `# key: value` lines up to the first blank or non-comment line. */
function parseHeader(text: string): Header {
  const h: Header = { keys: [] };
  for (const line of text.split('\n')) {
    const m = /^#\s*([a-z]+):\s*(.*)$/.exec(line);
    if (!m) break;
    const key = m[1]!;
    const value = m[2]!.trim();
    h.keys.push(key);
    if (key === 'requires') h.requires = value.split(/[,\s]+/).filter(Boolean);
    else if (key === 'scenario' || key === 'fault' || key === 'layer' || key === 'symptom') h[key] = value;
  }
  return h;
}

function loadScenarios(): Map<string, Scenario> {
  const out = new Map<string, Scenario>();
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort()) {
    const text = readFileSync(DIR + file, 'utf8');
    const docs = yaml.loadAll(text).filter((d) => d !== null && d !== undefined) as Obj[];
    const name = file.slice(0, -'.yaml'.length);
    out.set(name, { name, text, header: parseHeader(text), docs });
  }
  return out;
}

const SCENARIOS = loadScenarios();
const NAMES = [...SCENARIOS.keys()];

/** The scenario's own objects after everything it requires, in apply order. */
function world(name: string, seen = new Set<string>()): Obj[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const s = SCENARIOS.get(name);
  if (!s) return [];
  return [...(s.header.requires ?? []).flatMap((r) => world(r, seen)), ...s.docs];
}

// ─── What each scenario must stage ────────────────────────────────────────────────────────────────────

/** Finding codes the static checks must report for each scenario: exactly these, nothing else. */
const EXPECTED: Record<string, string[]> = {
  platform: [],
  demo: [],
  'selector-mismatch': ['service-selects-nothing'],
  'wrong-targetport': ['service-targetport-undeclared'],
  'readiness-failing': ['readiness-probe-fails'],
  'missing-ingressclass': ['ingress-class-missing'],
  'wrong-backend': ['ingress-backend-missing'],
  'missing-tls-secret': ['tls-secret-missing'],
  'expired-cert': ['cert-expired'],
  'lb-pending': ['lb-pending'],
  'etp-local-no-endpoints': ['lb-targets-without-local-endpoint'],
  'netpol-blocks-controller': ['netpol-blocks-data-plane'],
  'flapping-endpoints': ['readiness-flaps'],
  'httproute-unresolved-backend': ['refgrant-missing'],
  'backend-https-no-protocol': ['backend-protocol-mismatch'],
  'stale-dns': ['dns-record-overrides-host'],
  'slow-upstream': ['upstream-slower-than-proxy-timeout'],
  psa: [],
};

/** Namespaces a failure scenario may create besides the one named after it. */
const EXTRA_NAMESPACES: Record<string, string[]> = {
  'httproute-unresolved-backend': ['catalog-backend'],
};

/** Namespaces and hosts of the scenarios that docs/LAB.md names explicitly. */
const DOCUMENTED: Record<string, { namespaces: string[]; hosts: string[] }> = {
  platform: { namespaces: ['kube-system', 'ingress-nginx', 'envoy-gateway-system', 'gateway-system'], hosts: [] },
  demo: { namespaces: ['shop'], hosts: ['shop.netpath.test', 'shop-gw.netpath.test'] },
  psa: { namespaces: ['psa-restricted', 'psa-baseline'], hosts: [] },
};

// ─── Small helpers ────────────────────────────────────────────────────────────────────────────────────

function ip4(s: string): number {
  return s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function subset(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

/** A metav1.LabelSelector; an empty one selects everything. */
function matches(sel: Any, labels: Record<string, string> = {}): boolean {
  if (!sel) return false;
  if (!subset(sel.matchLabels, labels)) return false;
  return (sel.matchExpressions ?? []).every((e: Any) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case 'In':
        return has && e.values.includes(labels[e.key]);
      case 'NotIn':
        return !has || !e.values.includes(labels[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

interface Template {
  owner: Obj;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  spec: Any;
}

const WORKLOADS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'];

function templates(objs: Obj[]): Template[] {
  const out: Template[] = [];
  for (const o of objs) {
    const t = WORKLOADS.includes(o.kind) ? o.spec?.template : o.kind === 'Pod' ? o : undefined;
    if (!t) continue;
    out.push({
      owner: o,
      namespace: o.metadata.namespace ?? 'default',
      labels: t.metadata?.labels ?? {},
      annotations: t.metadata?.annotations ?? {},
      spec: t.spec ?? {},
    });
  }
  return out;
}

function containers(t: Template): Any[] {
  return t.spec.containers ?? [];
}

/** A container port by number or name. */
function containerPort(c: Any, port: number | string): Any {
  return (c.ports ?? []).find((p: Any) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
}

/** The value of `lab.netpath.dev/responses` for a path (longest prefix wins), or undefined (200). */
function labResponse(t: Template, path: string): number | string | undefined {
  const raw = t.annotations['lab.netpath.dev/responses'];
  if (!raw) return undefined;
  const map = JSON.parse(raw) as Record<string, number | string>;
  const best = Object.keys(map)
    .filter((p) => path.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  return best === undefined ? undefined : map[best];
}

function slowMs(r: number | string | undefined): number {
  if (r === 'hang') return Infinity;
  const m = typeof r === 'string' ? /^slow:(\d+)$/.exec(r) : null;
  return m ? Number(m[1]) : 0;
}

function responseFails(r: number | string | undefined, timeoutMs: number): boolean {
  if (r === undefined) return false;
  if (typeof r === 'number') return r < 200 || r > 399;
  if (r === 'hang' || r === 'refuse' || r === 'reset') return true;
  return slowMs(r) > timeoutMs;
}

/** `-30d`, `80d`, `12h`, `5m` → minutes relative to lab start. */
function labDuration(s: string): number {
  const m = /^(-?\d+)([dhm])$/.exec(s);
  if (!m) throw new Error(`bad lab duration "${s}"`);
  return Number(m[1]) * { d: 1440, h: 60, m: 1 }[m[2] as 'd' | 'h' | 'm'];
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes('.');
  return pattern === host;
}

function byKind(objs: Obj[], kind: string, namespace?: string): Obj[] {
  return objs.filter((o) => o.kind === kind && (namespace === undefined || o.metadata.namespace === namespace));
}

function find(objs: Obj[], kind: string, namespace: string | undefined, name: string): Obj | undefined {
  return objs.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
}

function namespaceLabels(objs: Obj[], ns: string): Record<string, string> {
  // The API server adds kubernetes.io/metadata.name to every Namespace.
  return { ...(find(objs, 'Namespace', undefined, ns)?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns };
}

function ingressHosts(o: Obj): string[] {
  if (o.kind === 'Ingress') return [...(o.spec?.rules ?? []).map((r: Any) => r.host), ...(o.spec?.tls ?? []).flatMap((t: Any) => t.hosts ?? [])].filter(Boolean);
  if (o.kind === 'HTTPRoute' || o.kind === 'GRPCRoute') return o.spec?.hostnames ?? [];
  if (o.kind === 'DNSRecord') return [o.spec?.name];
  const dns = o.kind === 'Service' ? o.metadata.annotations?.['external-dns.alpha.kubernetes.io/hostname'] : undefined;
  return dns ? dns.split(',').map((h) => h.trim()) : [];
}

function ingressBackends(ing: Obj): { name: string; port: Any; path: string }[] {
  const out: { name: string; port: Any; path: string }[] = [];
  const add = (b: Any, path: string) => b?.service && out.push({ name: b.service.name, port: b.service.port ?? {}, path });
  add(ing.spec?.defaultBackend, '/');
  for (const r of ing.spec?.rules ?? []) for (const p of r.http?.paths ?? []) add(p.backend, p.path ?? '/');
  return out;
}

/** A Service's pods and, per pod template, the container port a Service port lands on. */
function serviceTargets(objs: Obj[], svc: Obj, svcPort: Any): { t: Template; port: Any | undefined }[] {
  const ns = svc.metadata.namespace!;
  const sel = svc.spec?.selector;
  if (!sel || Object.keys(sel).length === 0) return [];
  const target = svcPort.targetPort ?? svcPort.port;
  return templates(objs)
    .filter((t) => t.namespace === ns && subset(sel, t.labels))
    .map((t) => ({ t, port: containers(t).map((c) => containerPort(c, target)).find(Boolean) }));
}

function servicePort(svc: Obj, ref: Any): Any {
  return (svc.spec?.ports ?? []).find((p: Any) => (ref.number !== undefined ? p.port === ref.number : p.name === ref.name));
}

/** Does a NetworkPolicy ingress rule set admit a source pod to a target container port? */
function policyAdmits(objs: Obj[], pol: Obj, src: { ns: string; labels: Record<string, string> }, port: Any): boolean {
  const polNs = pol.metadata.namespace!;
  return (pol.spec?.ingress ?? []).some((rule: Any) => {
    const fromOk =
      !rule.from ||
      rule.from.length === 0 ||
      rule.from.some((peer: Any) => {
        if (peer.ipBlock) return false; // pod traffic is matched by pod and namespace selectors here
        const nsOk = peer.namespaceSelector ? matches(peer.namespaceSelector, namespaceLabels(objs, src.ns)) : src.ns === polNs;
        const podOk = peer.podSelector ? matches(peer.podSelector, src.labels) : true;
        return nsOk && podOk;
      });
    const portOk =
      !rule.ports ||
      rule.ports.length === 0 ||
      rule.ports.some((p: Any) => {
        if ((p.protocol ?? 'TCP') !== (port?.protocol ?? 'TCP')) return false;
        if (p.port === undefined) return true;
        if (typeof p.port === 'string') return p.port === port?.name;
        return port?.containerPort >= p.port && port?.containerPort <= (p.endPort ?? p.port);
      });
    return fromOk && portOk;
  });
}

/** Pods of the data plane that proxies to an Ingress's or HTTPRoute's backends. */
function dataPlane(objs: Obj[], route: Obj): { ns: string; labels: Record<string, string> }[] {
  if (route.kind === 'Ingress') {
    const cls = find(objs, 'IngressClass', undefined, route.spec?.ingressClassName ?? '');
    if (!cls) return [];
    return templates(objs)
      .filter((t) => containers(t).some((c) => (c.args ?? []).includes(`--controller-class=${cls.spec.controller}`)))
      .map((t) => ({ ns: t.namespace, labels: t.labels }));
  }
  // Envoy Gateway runs one proxy Deployment per Gateway in its own namespace, labelled like this.
  return (route.spec?.parentRefs ?? []).map((p: Any) => ({
    ns: 'envoy-gateway-system',
    labels: {
      'app.kubernetes.io/name': 'envoy',
      'app.kubernetes.io/component': 'proxy',
      'app.kubernetes.io/managed-by': 'envoy-gateway',
      'gateway.envoyproxy.io/owning-gateway-name': p.name,
      'gateway.envoyproxy.io/owning-gateway-namespace': p.namespace ?? route.metadata.namespace,
    },
  }));
}

// ─── Static checks ────────────────────────────────────────────────────────────────────────────────────

interface Finding {
  code: string;
  message: string;
}

const CATEGORIES: Record<string, string[]> = {
  workloads: ['workload-selector-mismatch', 'probe-port-undeclared', 'readiness-probe-fails', 'readiness-flaps'],
  services: ['service-selects-nothing', 'service-targetport-undeclared', 'lb-pending', 'lb-targets-without-local-endpoint', 'lb-nodes-unknown'],
  ingress: [
    'ingress-class-missing',
    'ingress-backend-missing',
    'tls-secret-missing',
    'tls-secret-malformed',
    'cert-expired',
    'cert-name-mismatch',
    'backend-protocol-mismatch',
    'upstream-slower-than-proxy-timeout',
  ],
  gateway: ['gateway-class-missing', 'gateway-cert-missing', 'route-parent-missing', 'route-not-allowed', 'route-backend-missing', 'refgrant-missing'],
  network: ['netpol-blocks-data-plane', 'dns-record-overrides-host', 'dns-record-malformed'],
};

function checkCertificate(secret: Obj, hosts: string[], where: string, out: Finding[]): void {
  if (secret.type !== 'kubernetes.io/tls' || !secret.data || !('tls.crt' in secret.data) || !('tls.key' in secret.data))
    out.push({ code: 'tls-secret-malformed', message: `${where}: Secret ${secret.metadata.name} is not a kubernetes.io/tls Secret with tls.crt/tls.key` });
  const raw = secret.metadata.annotations?.['lab.netpath.dev/certificate'];
  if (!raw) return;
  const cert = JSON.parse(raw) as { dnsNames: string[]; notBefore?: string; notAfter: string };
  if (labDuration(cert.notAfter) <= 0 || labDuration(cert.notBefore ?? '0m') > 0)
    out.push({ code: 'cert-expired', message: `${where}: certificate in ${secret.metadata.name} is not valid now (${cert.notBefore} … ${cert.notAfter})` });
  for (const h of hosts)
    if (!cert.dnsNames.some((d) => hostMatches(d, h)))
      out.push({ code: 'cert-name-mismatch', message: `${where}: certificate in ${secret.metadata.name} does not cover ${h}` });
}

function findings(all: Obj[], own: Obj[]): Finding[] {
  const out: Finding[] = [];
  const add = (code: string, message: string) => out.push({ code, message });

  // Workloads and probes.
  for (const o of own.filter((o) => WORKLOADS.includes(o.kind) && o.kind !== 'Job')) {
    if (!matches(o.spec?.selector, o.spec?.template?.metadata?.labels))
      add('workload-selector-mismatch', `${o.kind} ${o.metadata.name}: selector does not match its template labels`);
  }
  for (const t of templates(own)) {
    const id = `${t.owner.kind} ${t.owner.metadata.name}`;
    for (const c of containers(t)) {
      for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const p = c[kind];
        const port = p?.httpGet?.port ?? p?.tcpSocket?.port;
        if (port !== undefined && !containerPort(c, port)) add('probe-port-undeclared', `${id}: ${kind} port ${port} is not a declared containerPort`);
      }
      const rp = c.readinessProbe?.httpGet;
      if (rp && responseFails(labResponse(t, rp.path ?? '/'), (c.readinessProbe.timeoutSeconds ?? 1) * 1000))
        add('readiness-probe-fails', `${id}: lab responses make GET ${rp.path} fail`);
    }
    if (t.annotations['lab.netpath.dev/flap']) add('readiness-flaps', `${id}: readiness toggles every ${t.annotations['lab.netpath.dev/flap']}`);
  }

  // Services and load balancers.
  for (const svc of byKind(own, 'Service')) {
    const id = `Service ${svc.metadata.namespace}/${svc.metadata.name}`;
    const sel = svc.spec?.selector;
    if (sel && Object.keys(sel).length > 0) {
      const pods = templates(all).filter((t) => t.namespace === svc.metadata.namespace && subset(sel, t.labels));
      if (pods.length === 0) add('service-selects-nothing', `${id}: selector ${JSON.stringify(sel)} matches no pod template`);
      else
        for (const p of svc.spec.ports ?? [])
          if (serviceTargets(all, svc, p).some((x) => !x.port))
            add('service-targetport-undeclared', `${id}: targetPort ${p.targetPort ?? p.port} is not a containerPort of its pods`);
    }
    if (svc.spec?.type === 'LoadBalancer') {
      if (svc.metadata.annotations?.['lab.netpath.dev/lb'] === 'pending') add('lb-pending', `${id}: load balancer stays pending`);
      const lbNodes = svc.metadata.annotations?.['lab.netpath.dev/lb-nodes']?.split(',').map((s) => s.trim());
      if (lbNodes) {
        for (const n of lbNodes) if (!find(all, 'Node', undefined, n)) add('lb-nodes-unknown', `${id}: lb-nodes names unknown node ${n}`);
        const pinned = serviceTargets(all, svc, svc.spec.ports[0]).map((x) => x.t.spec.nodeSelector?.['kubernetes.io/hostname'] as string | undefined);
        if (svc.spec.externalTrafficPolicy === 'Local' && pinned.length > 0 && pinned.every((n) => n !== undefined && !lbNodes.includes(n)))
          add('lb-targets-without-local-endpoint', `${id}: externalTrafficPolicy Local, pods on ${pinned.join(',')}, LB targets ${lbNodes.join(',')}`);
      }
    }
  }

  // Ingresses.
  for (const ing of byKind(own, 'Ingress')) {
    const ns = ing.metadata.namespace!;
    const id = `Ingress ${ns}/${ing.metadata.name}`;
    const cls = ing.spec?.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
    const classes = byKind(all, 'IngressClass');
    const hasClass = cls
      ? classes.some((c) => c.metadata.name === cls)
      : classes.some((c) => c.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true');
    if (!hasClass) add('ingress-class-missing', `${id}: no IngressClass ${cls ?? '(default)'}`);
    for (const tls of ing.spec?.tls ?? []) {
      const secret = find(all, 'Secret', ns, tls.secretName);
      if (!secret) add('tls-secret-missing', `${id}: TLS Secret ${tls.secretName} does not exist`);
      else checkCertificate(secret, tls.hosts ?? [], id, out);
    }
    const protocol = (ing.metadata.annotations?.['nginx.ingress.kubernetes.io/backend-protocol'] ?? 'HTTP').toUpperCase();
    const readTimeoutMs = Number(ing.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'] ?? 60) * 1000;
    for (const b of ingressBackends(ing)) {
      const svc = find(all, 'Service', ns, b.name);
      const sp = svc && servicePort(svc, b.port);
      if (!svc || !sp) {
        add('ingress-backend-missing', `${id}: backend ${b.name}:${b.port.number ?? b.port.name} does not exist`);
        continue;
      }
      for (const { t, port } of serviceTargets(all, svc, sp)) {
        if (!port) continue;
        const tlsBackend = t.annotations['lab.netpath.dev/tls'] === 'true';
        if (tlsBackend !== ['HTTPS', 'GRPCS'].includes(protocol))
          add('backend-protocol-mismatch', `${id}: backend ${b.name} speaks ${tlsBackend ? 'TLS' : 'plain HTTP'}, backend-protocol is ${protocol}`);
        if (slowMs(labResponse(t, b.path)) > readTimeoutMs)
          add('upstream-slower-than-proxy-timeout', `${id}: ${b.name} answers ${b.path} slower than proxy-read-timeout ${readTimeoutMs} ms`);
      }
    }
  }

  // Gateway API.
  for (const gw of byKind(own, 'Gateway')) {
    const ns = gw.metadata.namespace!;
    const id = `Gateway ${ns}/${gw.metadata.name}`;
    if (!find(all, 'GatewayClass', undefined, gw.spec?.gatewayClassName)) add('gateway-class-missing', `${id}: no GatewayClass ${gw.spec?.gatewayClassName}`);
    for (const l of gw.spec?.listeners ?? []) {
      for (const ref of l.tls?.certificateRefs ?? []) {
        const secret = find(all, 'Secret', ref.namespace ?? ns, ref.name);
        if (!secret) add('gateway-cert-missing', `${id}: listener ${l.name} certificate ${ref.name} does not exist`);
        else checkCertificate(secret, l.hostname ? [l.hostname] : [], id, out);
      }
    }
  }
  for (const route of byKind(own, 'HTTPRoute')) {
    const ns = route.metadata.namespace!;
    const id = `HTTPRoute ${ns}/${route.metadata.name}`;
    for (const p of route.spec?.parentRefs ?? []) {
      const gw = find(all, 'Gateway', p.namespace ?? ns, p.name);
      const listeners = (gw?.spec?.listeners ?? []).filter((l: Any) => !p.sectionName || l.name === p.sectionName);
      if (!gw || listeners.length === 0) {
        add('route-parent-missing', `${id}: parent ${p.namespace ?? ns}/${p.name}/${p.sectionName ?? ''} does not exist`);
        continue;
      }
      const allowed = listeners.some((l: Any) => {
        const from = l.allowedRoutes?.namespaces?.from ?? 'Same';
        if (from === 'All') return true;
        if (from === 'Same') return ns === gw.metadata.namespace;
        return matches(l.allowedRoutes.namespaces.selector, namespaceLabels(all, ns));
      });
      if (!allowed) add('route-not-allowed', `${id}: ${gw.metadata.name} does not admit routes from ${ns}`);
    }
    for (const rule of route.spec?.rules ?? []) {
      for (const b of rule.backendRefs ?? []) {
        const bns = b.namespace ?? ns;
        const svc = find(all, 'Service', bns, b.name);
        if (!svc || !(svc.spec?.ports ?? []).some((sp: Any) => sp.port === b.port)) {
          add('route-backend-missing', `${id}: backend ${bns}/${b.name}:${b.port} does not exist`);
          continue;
        }
        if (bns === ns) continue;
        const granted = byKind(all, 'ReferenceGrant', bns).some(
          (g) =>
            (g.spec?.from ?? []).some((f: Any) => f.group === 'gateway.networking.k8s.io' && f.kind === 'HTTPRoute' && f.namespace === ns) &&
            (g.spec?.to ?? []).some((t: Any) => (t.group ?? '') === '' && t.kind === 'Service' && (!t.name || t.name === b.name)),
        );
        if (!granted) add('refgrant-missing', `${id}: no ReferenceGrant in ${bns} admits the reference to Service ${b.name}`);
      }
    }
  }

  // NetworkPolicies between the data plane and the backends of this scenario's routes.
  for (const route of [...byKind(own, 'Ingress'), ...byKind(own, 'HTTPRoute')]) {
    const ns = route.metadata.namespace!;
    const refs =
      route.kind === 'Ingress'
        ? ingressBackends(route).map((b) => ({ ns, name: b.name, port: b.port }))
        : (route.spec?.rules ?? []).flatMap((r: Any) => (r.backendRefs ?? []).map((b: Any) => ({ ns: b.namespace ?? ns, name: b.name, port: { number: b.port } })));
    for (const ref of refs) {
      const svc = find(all, 'Service', ref.ns, ref.name);
      const sp = svc && servicePort(svc, ref.port);
      if (!svc || !sp) continue;
      for (const { t, port } of serviceTargets(all, svc, sp)) {
        const policies = byKind(all, 'NetworkPolicy', ref.ns).filter(
          (pol) => matches(pol.spec?.podSelector, t.labels) && (pol.spec?.policyTypes ?? ['Ingress']).includes('Ingress'),
        );
        if (policies.length === 0) continue;
        for (const src of dataPlane(all, route))
          if (!policies.some((pol) => policyAdmits(all, pol, src, port)))
            add('netpol-blocks-data-plane', `${route.kind} ${ns}/${route.metadata.name}: NetworkPolicy keeps ${src.ns} pods from ${ref.name}`);
      }
    }
  }

  // DNS records.
  for (const rec of byKind(own, 'DNSRecord')) {
    const s = rec.spec ?? {};
    if (!['A', 'AAAA', 'CNAME'].includes(s.type) || !Array.isArray(s.values) || s.values.length === 0 || typeof s.ttl !== 'number')
      add('dns-record-malformed', `DNSRecord ${rec.metadata.name}: needs type, values and ttl`);
    const routes = all.filter((o) => ['Ingress', 'HTTPRoute'].includes(o.kind) && ingressHosts(o).includes(s.name));
    if (routes.length > 0) add('dns-record-overrides-host', `DNSRecord ${rec.metadata.name}: pins ${s.name}, which ${routes[0]!.kind} ${routes[0]!.metadata.name} serves`);
  }
  return out;
}

// ─── Tests ────────────────────────────────────────────────────────────────────────────────────────────

describe('lab scenarios', () => {
  it('are all registered here, platform and demo included', () => {
    expect(NAMES).toContain('platform');
    expect(NAMES).toContain('demo');
    expect([...NAMES].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('never define the same object twice, so any set of them loads together', () => {
    const seen = new Map<string, string>();
    for (const s of SCENARIOS.values())
      for (const o of s.docs) {
        const key = `${o.apiVersion.split('/').length > 1 ? o.apiVersion.split('/')[0] : ''}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
        expect(seen.get(key), `${key} in ${s.name} and ${seen.get(key)}`).toBeUndefined();
        seen.set(key, s.name);
      }
  });
});

describe.each(NAMES)('scenario %s', (name) => {
  const s = SCENARIOS.get(name)!;
  const own = s.docs;
  const all = world(name);
  const isFault = s.header.fault !== 'none';

  it('has the comment header', () => {
    const h = s.header;
    expect(h.keys.slice(0, 4)).toEqual(['scenario', 'fault', 'layer', 'symptom']);
    expect(h.scenario).toBe(name);
    expect(h.fault).toBeTruthy();
    expect(h.symptom).toBeTruthy();
    expect(LAYERS).toContain(h.layer);
    expect(h.layer === 'none').toBe(!isFault);
    if (name === 'platform') expect(h.requires).toBeUndefined();
    else {
      expect(h.keys[4]).toBe('requires');
      expect(h.requires).toContain('platform');
      for (const r of h.requires!) expect(NAMES, `requires ${r}`).toContain(r);
    }
  });

  it('parses the same under YAML 1.1 rules (kubectl) as under YAML 1.2', () => {
    expect(yaml.loadAll(s.text, { schema: yaml.YAML11_SCHEMA })).toEqual(yaml.loadAll(s.text));
  });

  it('holds objects the lab serves, with apiVersion, kind, name and the right scope', () => {
    expect(own.length).toBeGreaterThan(0);
    for (const o of own) {
      const id = `${o.kind ?? '?'} ${o.metadata?.name ?? '?'}`;
      expect(typeof o.apiVersion, id).toBe('string');
      expect(typeof o.kind, id).toBe('string');
      expect(typeof o.metadata?.name, id).toBe('string');
      const def = registry.forKind(o.apiVersion, o.kind);
      expect(def, `${o.apiVersion} ${o.kind} is not served by the lab`).toBeDefined();
      if (def!.namespaced) expect(o.metadata.namespace, `${id} needs metadata.namespace`).toBeTruthy();
      else expect(o.metadata.namespace, `${id} is cluster-scoped`).toBeUndefined();
    }
  });

  it('creates every namespace it uses (before using it)', () => {
    const namespaces = new Set(BUILTIN_NAMESPACES);
    for (const o of all) {
      if (o.kind === 'Namespace') namespaces.add(o.metadata.name);
      else if (o.metadata.namespace) expect([...namespaces], `${o.kind} ${o.metadata.name}`).toContain(o.metadata.namespace);
    }
  });

  it('uses its documented namespace and hosts', () => {
    const used = [...new Set(own.map((o) => o.metadata.namespace ?? (o.kind === 'Namespace' ? o.metadata.name : undefined)).filter(Boolean))];
    const hosts = [...new Set(own.flatMap(ingressHosts))];
    const doc = DOCUMENTED[name] ?? { namespaces: [name, ...(EXTRA_NAMESPACES[name] ?? [])], hosts: [`${name}.netpath.test`] };
    expect(used.sort()).toEqual([...doc.namespaces].sort());
    expect(hosts.sort()).toEqual([...doc.hosts].sort());
    if (!DOCUMENTED[name]) expect(own.some((o) => o.kind === 'Namespace' && o.metadata.name === name)).toBe(true);
  });

  const found = findings(all, own);
  const expected = EXPECTED[name] ?? [];

  it(isFault ? 'stages at least one fault finding' : 'stages no fault', () => {
    expect(expected.length > 0).toBe(isFault);
  });

  for (const [category, codes] of Object.entries(CATEGORIES)) {
    it(`${category}: finds exactly the staged fault`, () => {
      const got = found.filter((f) => codes.includes(f.code));
      expect([...new Set(got.map((f) => f.code))].sort(), got.map((f) => f.message).join('\n')).toEqual(
        expected.filter((c) => codes.includes(c)).sort(),
      );
    });
  }

  it('has no finding outside the known categories', () => {
    const known = Object.values(CATEGORIES).flat();
    expect(found.filter((f) => !known.includes(f.code))).toEqual([]);
    for (const c of expected) expect(known).toContain(c);
  });

  it('names container and Service ports as the API server requires (IANA_SVC_NAME)', () => {
    const valid = (n: string) => n.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(n) && /[a-z]/.test(n) && !n.includes('--');
    for (const t of templates(own))
      for (const c of containers(t))
        for (const p of c.ports ?? []) if (p.name !== undefined) expect(valid(p.name), `${t.owner.metadata.name}/${c.name} port ${p.name}`).toBe(true);
    for (const svc of byKind(own, 'Service'))
      for (const p of svc.spec?.ports ?? []) {
        if (typeof p.targetPort === 'string') expect(valid(p.targetPort), `${svc.metadata.name} targetPort ${p.targetPort}`).toBe(true);
        if (svc.spec.ports.length > 1) expect(p.name, `${svc.metadata.name}: multi-port Services name every port`).toBeTruthy();
      }
  });

  it('keeps fixed LoadBalancer and DNS addresses inside the lab pool', () => {
    for (const svc of byKind(own, 'Service').filter((o) => o.spec?.type === 'LoadBalancer')) {
      const ip = svc.spec.loadBalancerIP as string | undefined;
      if (ip) expect(ip4(ip) >= LAB_POOL.first && ip4(ip) <= LAB_POOL.last).toBe(true);
    }
    for (const rec of byKind(own, 'DNSRecord'))
      for (const v of rec.spec.values) if (rec.spec.type === 'A') expect(ip4(v) >= LAB_POOL.first && ip4(v) <= LAB_POOL.last, v).toBe(true);
  });
});

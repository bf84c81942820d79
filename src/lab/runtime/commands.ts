// Network commands run by the lab's helper pods (dig, nslookup, host, curl, wget, nc, ping, traceroute,
// tcptraceroute, openssl s_client, the node tools iptables-save/ipvsadm/conntrack/ss, sleep, echo and
// `sh -c "<those>"`), printing what the real tools print. The network they see is a NetModel:
// - on the lab's data plane, runtime/realnet.ts: real DNS packets to the lab's resolvers and real TCP/TLS/HTTP
//   connections bound to the pod's IP (NetModel methods may then return promises; the commands await them);
// - without it (`--no-dataplane`), `labNetModel` below: answers computed from the lab's objects — DNS from
//   Services/pods/DNSRecords, connections from ClusterIPs, load-balancer addresses, node ports and pod IPs, HTTP
//   from the pods' `lab.netpath.dev/responses` servers and the ingress-nginx/Envoy routing.
// The entry point is `runCommand(argv, env)`.
import { createHash, X509Certificate } from 'node:crypto';
import type { ResourceRegistry } from '../resources.ts';
import type { Store } from '../store/store.ts';
import { fromMap, matchesLabels } from '../store/selectors.ts';
import type { KObject } from '../types.ts';

// ─── interfaces ─────────────────────────────────────────────────────────────────────────────────────────

export interface CommandEnv {
  /** One line of output (stdout and stderr interleave, as in a container log). */
  write(line: string): void;
  /** Aborted when the container is killed. */
  signal?: AbortSignal;
  /** What the network looks like from the pod. */
  net: NetModel;
  /** The container's environment variables (for `$VAR` in `sh -c`). */
  vars?: Record<string, string>;
  /** The image, for tool flavours (busybox vs. GNU/bind). */
  image?: string;
  /** The pod's name (hostname). */
  hostname?: string;
  /**
   * Whether the process may open raw sockets (root with CAP_NET_RAW, containerd's default). False: ping,
   * traceroute -T/-I and tcptraceroute fail as they do without the capability. Default true.
   */
  rawSockets?: boolean;
  /** Node-level commands (iptables-save, ipvsadm, conntrack, ss) of hostNetwork pods; runtime/nodeview.ts. */
  node?: NodeView;
}

/** What node-level commands read: the node's kube-proxy rules, connection tracking and sockets. */
export interface NodeView {
  /** The container shares the node's network namespace (hostNetwork). */
  hostNetwork: boolean;
  /** The process has CAP_NET_ADMIN (root with it added, or privileged). */
  netAdmin: boolean;
  run(tool: 'iptables-save' | 'ipvsadm' | 'conntrack' | 'ss', args: string[]): { out: string; err: string; code: number };
}

const nodeTool = (tool: 'iptables-save' | 'ipvsadm' | 'conntrack' | 'ss'): Cmd => async (args, io, env) => {
  if (!env.node) {
    io.err(`sh: ${tool}: not found\n`);
    return 127;
  }
  const r = env.node.run(tool, args);
  if (r.out) io.out(r.out);
  if (r.err) io.err(r.err);
  return r.code;
};

export type RRType = 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'PTR' | 'TXT' | 'MX' | 'NS' | 'SOA' | 'ANY';

export interface RR {
  name: string;
  ttl: number;
  type: string;
  data: string;
}

export interface DnsReply {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  authoritative: boolean;
  answers: RR[];
  authority: RR[];
  /** Set by the real data plane: the reply's size on the wire, its id, how long it took and over which transport. */
  wire?: { size: number; id: number; ms: number; tcp: boolean; recursionAvailable: boolean; additional: number; edns: boolean };
}

export interface HttpRequest {
  method: string;
  scheme: 'http' | 'https';
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
}

export type HttpReply =
  | { kind: 'response'; status: number; reason: string; headers: [string, string][]; body: string; delayMs?: number; http2?: boolean; /** real data plane: ms from the request to the first response byte */ firstByteMs?: number }
  | { kind: 'hang'; /** the real data plane already waited this long */ waitedMs?: number }
  | { kind: 'reset' }
  | { kind: 'refused' }
  | { kind: 'empty' };

export interface TlsInfo {
  certPem?: string;
  /** Real data plane: the handshake failed (message as the TLS library words it). */
  error?: string;
  /** Real data plane: how long the handshake took, ms. */
  ms?: number;
  /** Real data plane: the negotiated protocol and cipher. */
  protocol?: string;
  cipher?: string;
  /** Fake/self-signed certificate (ingress-nginx default). */
  selfSigned?: boolean;
}

export interface RequestOptions {
  /** Give up waiting for the response after this long (the real data plane); Infinity: never. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type Connection =
  | {
      kind: 'open';
      request(req: HttpRequest, opts?: RequestOptions): HttpReply | Promise<HttpReply>;
      tls?(sni: string): TlsInfo | Promise<TlsInfo>;
      label: string;
      /** Real data plane: how long the TCP handshake took, ms, and the local port. */
      connectMs?: number;
      localPort?: number;
      close?(): void;
    }
  | { kind: 'refused' }
  | { kind: 'timeout' }
  | { kind: 'unreachable' };

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  ndots: number;
}

/** The lab's network as a pod sees it. */
export interface NetModel {
  resolvConf: ResolvConf;
  /** One query to one server; 'timeout' when nothing answers there. */
  dns(server: string, name: string, type: RRType, opts?: { tcp?: boolean; port?: number }): DnsReply | 'timeout' | Promise<DnsReply | 'timeout'>;
  /** A TCP connection from the pod. */
  connect(ip: string, port: number, opts?: RequestOptions): Connection | Promise<Connection>;
  /** Whether an ICMP echo to ip is answered. */
  pingable(ip: string): boolean;
  /** Router hops between the pod and ip (not including ip). */
  route(ip: string): string[];
  /** The source address of the pod. */
  sourceIP: string;
  /** True when connections and queries are real sockets on the lab's data plane (runtime/realnet.ts). */
  real?: boolean;
}

// ─── helpers ────────────────────────────────────────────────────────────────────────────────────────────

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
export const isIPv4 = (s: string) => IPV4.test(s);
const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`);
const bare = (n: string) => n.replace(/\.$/, '').toLowerCase();
const rnd = (a: number, b: number) => a + Math.random() * (b - a);
const ms3 = (x: number) => x.toFixed(3);

function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    if (!Number.isFinite(ms)) {
      signal?.addEventListener('abort', () => resolve(false), { once: true });
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, ms));
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Splits output into lines; text without a trailing newline stays pending until more arrives or flush(). */
class Out {
  private pending = '';
  private readonly sink: (line: string) => void;
  constructor(sink: (line: string) => void) {
    this.sink = sink;
  }
  text(s: string): void {
    const all = this.pending + s;
    const parts = all.split('\n');
    this.pending = parts.pop()!;
    for (const p of parts) this.sink(p);
  }
  line(s: string): void {
    this.text(`${s}\n`);
  }
  flush(): void {
    if (this.pending) this.sink(this.pending);
    this.pending = '';
  }
}

/** Where output goes for one command: stdout and stderr (either may be dropped by a redirection). */
interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin?: string[];
}

const PORT_NAMES: Record<number, string> = { 22: 'ssh', 53: 'domain', 80: 'http', 443: 'https', 8080: 'http-alt', 8443: 'https-alt', 5432: 'postgresql', 6379: 'redis', 3306: 'mysql' };

const HTTP_REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function httpDate(d = new Date()): string {
  return d.toUTCString();
}

function isBusybox(image: string | undefined): boolean {
  return /(^|\/)(busybox|alpine)(:|@|$)/.test(image ?? '');
}

// ─── the store-backed network model ─────────────────────────────────────────────────────────────────────

export interface PodIdentity {
  name: string;
  namespace: string;
  ip?: string;
  nodeName?: string;
  hostNetwork?: boolean;
  dnsPolicy?: string;
}

const CLUSTER_DOMAIN = 'cluster.local';
const CLUSTER_TTL = 30;

/** The network model computed from the lab's objects. */
/** The model answers synchronously (the lab's DNS server builds its replies from it). */
export type LabNetModel = Omit<NetModel, 'dns'> & { dns(server: string, name: string, type: RRType): DnsReply | 'timeout' };

export function labNetModel(store: Store, registry: ResourceRegistry, self: PodIdentity): LabNetModel {
  const T = (g: string, p: string) => registry.type(g, p);
  const pods = () => store.list(T('', 'pods'));
  const services = () => store.list(T('', 'services'));
  const nodes = () => store.list(T('', 'nodes'));
  const nodeIP = (n: KObject | undefined) => (n?.status?.addresses ?? []).find((a: any) => a.type === 'InternalIP')?.address as string | undefined;
  const node = (name: string | undefined) => (name ? store.get(T('', 'nodes'), undefined, name) : undefined);
  const selfNode = node(self.nodeName);
  const kubeDns = store.get(T('', 'services'), 'kube-system', 'kube-dns');
  const clusterDnsIP: string = kubeDns?.spec?.clusterIP && kubeDns.spec.clusterIP !== 'None' ? kubeDns.spec.clusterIP : '127.2.0.10';
  const NODE_RESOLVER = '127.0.0.53';
  const podReady = (p: KObject) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
  const running = (p: KObject) => p.status?.phase === 'Running' && !!p.status?.podIP;

  const clusterFirst = (self.dnsPolicy ?? 'ClusterFirst') === 'ClusterFirstWithHostNet' || ((self.dnsPolicy ?? 'ClusterFirst') === 'ClusterFirst' && !self.hostNetwork);
  const resolvConf: ResolvConf = clusterFirst
    ? { nameservers: [clusterDnsIP], search: [`${self.namespace}.svc.${CLUSTER_DOMAIN}`, `svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN], ndots: 5 }
    : { nameservers: [NODE_RESOLVER], search: [], ndots: 1 };

  /** Ready endpoints of a Service port: [ip, port, pod]. */
  function endpoints(svc: KObject, svcPort: any): { ip: string; port: number; pod?: KObject }[] {
    const out: { ip: string; port: number; pod?: KObject }[] = [];
    const ns = svc.metadata.namespace;
    const sel = svc.spec?.selector;
    const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
    if (sel && Object.keys(sel).length) {
      const req = fromMap(sel);
      for (const p of store.list(T('', 'pods'), ns, { labelSelector: req })) {
        if (!running(p) || p.metadata.deletionTimestamp) continue;
        if (!podReady(p) && !publishNotReady) continue;
        const tp = svcPort.targetPort ?? svcPort.port;
        let port: number | undefined;
        if (typeof tp === 'number') port = tp;
        else if (/^\d+$/.test(String(tp))) port = parseInt(String(tp), 10);
        else
          for (const c of p.spec?.containers ?? [])
            for (const cp of c.ports ?? []) if (cp.name === tp && (cp.protocol ?? 'TCP') === (svcPort.protocol ?? 'TCP')) port = cp.containerPort;
        if (port !== undefined) out.push({ ip: p.status.podIP, port, pod: p });
      }
      return out;
    }
    // selector-less Services: the EndpointSlices someone wrote
    const slices = store.list(T('discovery.k8s.io', 'endpointslices'), ns, {
      labelSelector: [{ key: 'kubernetes.io/service-name', op: 'in', values: [svc.metadata.name!] }],
    });
    for (const s of slices) {
      const port = (s.ports ?? []).find((p: any) => (p.name ?? '') === (svcPort.name ?? ''))?.port;
      if (port === undefined) continue;
      for (const e of s.endpoints ?? []) if (e.conditions?.ready !== false) for (const a of e.addresses ?? []) out.push({ ip: a, port });
    }
    return out;
  }

  function podByIP(ip: string): KObject | undefined {
    return pods().find((p) => running(p) && !p.spec?.hostNetwork && p.status.podIP === ip);
  }

  // ── DNS ──

  function soa(zone: string): RR {
    if (zone === CLUSTER_DOMAIN)
      return { name: `${CLUSTER_DOMAIN}.`, ttl: CLUSTER_TTL, type: 'SOA', data: `ns.dns.${CLUSTER_DOMAIN}. hostmaster.${CLUSTER_DOMAIN}. ${Math.floor(Date.now() / 1000)} 7200 1800 86400 ${CLUSTER_TTL}` };
    if (zone === '') return { name: '.', ttl: 86400, type: 'SOA', data: 'a.root-servers.net. nstld.verisign-grs.com. 2025010100 1800 900 604800 86400' };
    return { name: `${zone}.`, ttl: 300, type: 'SOA', data: `ns.${zone}. hostmaster.${zone}. 1 7200 1800 86400 300` };
  }

  function dnsRecords(): { name: string; type: string; values: string[]; ttl: number }[] {
    const def = registry.forType('lab.netpath.dev', 'dnsrecords');
    if (!def) return [];
    return store.list(def).map((r) => ({
      name: bare(r.spec?.name ?? r.metadata.name ?? ''),
      type: String(r.spec?.type ?? 'A').toUpperCase(),
      values: (r.spec?.values ?? []).map(String),
      ttl: Number(r.spec?.ttl ?? 300),
    }));
  }

  function clusterAnswer(name: string, type: RRType): DnsReply {
    const n = bare(name);
    const reply = (answers: RR[]): DnsReply => ({ rcode: 'NOERROR', authoritative: true, answers, authority: answers.length ? [] : [soa(CLUSTER_DOMAIN)] });
    const nx: DnsReply = { rcode: 'NXDOMAIN', authoritative: true, answers: [], authority: [soa(CLUSTER_DOMAIN)] };
    const labels = n.slice(0, -(CLUSTER_DOMAIN.length + 1)).split('.');
    // <svc>.<ns>.svc / _port._proto.<svc>.<ns>.svc
    if (labels.at(-1) === 'svc' && labels.length >= 3) {
      const svcName = labels.at(-3)!;
      const ns = labels.at(-2)!;
      const svc = store.get(T('', 'services'), ns, svcName);
      if (!svc) return nx;
      const fq = fqdn(`${svcName}.${ns}.svc.${CLUSTER_DOMAIN}`);
      if (labels.length === 5 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) {
        const port = (svc.spec?.ports ?? []).find((p: any) => `_${p.name}` === labels[0] && `_${String(p.protocol ?? 'TCP').toLowerCase()}` === labels[1]);
        if (!port) return nx;
        if (type !== 'SRV' && type !== 'ANY') return reply([]);
        return reply([{ name: fqdn(n), ttl: CLUSTER_TTL, type: 'SRV', data: `0 100 ${port.port} ${fq}` }]);
      }
      if (labels.length !== 3) {
        // <hostname>.<svc>.<ns>.svc for headless services
        if (labels.length === 4 && svc.spec?.clusterIP === 'None') {
          const eps = (svc.spec?.ports ?? [{}]).flatMap((p: any) => endpoints(svc, p));
          const hit = eps.find((e: { ip: string; pod?: KObject }) => e.pod?.spec?.hostname === labels[0] || e.ip.replace(/\./g, '-') === labels[0]);
          if (!hit) return nx;
          return reply(type === 'A' || type === 'ANY' ? [{ name: fqdn(n), ttl: CLUSTER_TTL, type: 'A', data: hit.ip }] : []);
        }
        return nx;
      }
      if (svc.spec?.type === 'ExternalName') {
        return reply([{ name: fq, ttl: CLUSTER_TTL, type: 'CNAME', data: fqdn(svc.spec.externalName) }]);
      }
      if (type !== 'A' && type !== 'ANY') return reply([]);
      if (svc.spec?.clusterIP === 'None') {
        const ips = new Set<string>();
        for (const p of svc.spec?.ports ?? [{}]) for (const e of endpoints(svc, p)) ips.add(e.ip);
        if (!(svc.spec?.ports ?? []).length) for (const e of endpoints(svc, {})) ips.add(e.ip);
        return reply([...ips].map((ip) => ({ name: fq, ttl: CLUSTER_TTL, type: 'A', data: ip })));
      }
      if (!svc.spec?.clusterIP) return nx;
      return reply([{ name: fq, ttl: CLUSTER_TTL, type: 'A', data: svc.spec.clusterIP }]);
    }
    // <a-b-c-d>.<ns>.pod
    if (labels.at(-1) === 'pod' && labels.length === 3) {
      const ip = labels[0]!.replace(/-/g, '.');
      if (!isIPv4(ip)) return nx;
      return reply(type === 'A' || type === 'ANY' ? [{ name: fqdn(n), ttl: CLUSTER_TTL, type: 'A', data: ip }] : []);
    }
    return nx;
  }

  function ptrName(ip: string): string | undefined {
    for (const s of services()) {
      const ips: string[] = s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : []);
      if (ips.includes(ip)) return `${s.metadata.name}.${s.metadata.namespace}.svc.${CLUSTER_DOMAIN}.`;
    }
    const p = podByIP(ip);
    if (p) {
      const svc = services().find((s) => s.metadata.namespace === p.metadata.namespace && s.spec?.selector && matchesLabels(fromMap(s.spec.selector), p.metadata.labels));
      if (svc) return `${ip.replace(/\./g, '-')}.${svc.metadata.name}.${svc.metadata.namespace}.svc.${CLUSTER_DOMAIN}.`;
    }
    return undefined;
  }

  function externalAnswer(name: string, type: RRType): DnsReply {
    const n = bare(name);
    const recs = dnsRecords();
    const matching = (rn: string) => rn === n || (rn.startsWith('*.') && n.endsWith(rn.slice(1)) && n.length > rn.length - 1);
    const exact = recs.filter((r) => matching(r.name));
    const answers: RR[] = [];
    if (n === 'localhost') {
      if (type === 'A' || type === 'ANY') answers.push({ name: 'localhost.', ttl: 0, type: 'A', data: '127.0.0.1' });
      return { rcode: 'NOERROR', authoritative: false, answers, authority: [] };
    }
    if (n.endsWith('.in-addr.arpa') && (type === 'PTR' || type === 'ANY')) {
      const ip = n.replace(/\.in-addr\.arpa$/, '').split('.').reverse().join('.');
      const p = clusterFirst ? ptrName(ip) : undefined;
      if (p) return { rcode: 'NOERROR', authoritative: true, answers: [{ name: fqdn(n), ttl: CLUSTER_TTL, type: 'PTR', data: p }], authority: [] };
      return { rcode: 'NXDOMAIN', authoritative: false, answers: [], authority: [soa('in-addr.arpa')] };
    }
    if (exact.length) {
      const cname = exact.find((r) => r.type === 'CNAME');
      if (cname) {
        answers.push({ name: fqdn(n), ttl: cname.ttl, type: 'CNAME', data: fqdn(cname.values[0] ?? '') });
        if (type !== 'CNAME') {
          const next = resolveAny(cname.values[0] ?? '', type);
          if (next) answers.push(...next.answers);
        }
      } else for (const r of exact) if (r.type === type || type === 'ANY') for (const v of r.values) answers.push({ name: fqdn(n), ttl: r.ttl, type: r.type, data: r.type === 'CNAME' || r.type === 'NS' ? fqdn(v) : v });
      const zone = n.split('.').slice(-2).join('.');
      return { rcode: 'NOERROR', authoritative: false, answers, authority: answers.length ? [] : [soa(zone)] };
    }
    // names published the way external-dns publishes them: Ingress hosts → the Ingress's load-balancer
    // address, Gateway/HTTPRoute hostnames → the Gateway's addresses, annotated LoadBalancer Services
    const published = publishedAddresses(n);
    if (published.length) {
      if (type === 'A' || type === 'ANY') for (const ip of published) answers.push({ name: fqdn(n), ttl: 300, type: 'A', data: ip });
      const zone = n.split('.').slice(-2).join('.');
      return { rcode: 'NOERROR', authoritative: false, answers, authority: answers.length ? [] : [soa(zone)] };
    }
    // NXDOMAIN: under a zone the lab knows records for, that zone's SOA; otherwise the root's
    const zone = recs.map((r) => r.name.replace(/^\*\./, '').split('.').slice(-2).join('.')).find((z) => n === z || n.endsWith(`.${z}`));
    return { rcode: 'NXDOMAIN', authoritative: false, answers: [], authority: [soa(zone ?? '')] };
  }

  function publishedAddresses(n: string): string[] {
    const ips = new Set<string>();
    const lbIPs = (o: KObject) => (o.status?.loadBalancer?.ingress ?? []).flatMap((i: any) => (i.ip ? [i.ip] : []));
    for (const ing of store.list(T('networking.k8s.io', 'ingresses'))) {
      const hosts: string[] = [...(ing.spec?.rules ?? []).map((r: any) => r.host), ...(ing.spec?.tls ?? []).flatMap((t: any) => t.hosts ?? [])].filter(Boolean);
      if (hosts.some((h) => hostMatches(h, n))) for (const ip of lbIPs(ing)) ips.add(ip);
    }
    const gwDef = registry.forType('gateway.networking.k8s.io', 'gateways');
    const routeDef = registry.forType('gateway.networking.k8s.io', 'httproutes');
    if (gwDef) {
      const gwIPs = (gw: KObject) => (gw.status?.addresses ?? []).map((a: any) => a.value).filter((v: string) => v && isIPv4(v));
      for (const gw of store.list(gwDef)) if ((gw.spec?.listeners ?? []).some((l: any) => l.hostname && hostMatches(l.hostname, n))) for (const ip of gwIPs(gw)) ips.add(ip);
      for (const r of routeDef ? store.list(routeDef) : []) {
        if (!(r.spec?.hostnames ?? []).some((h: string) => hostMatches(h, n))) continue;
        for (const ref of r.spec?.parentRefs ?? []) {
          const gw = store.get(gwDef, ref.namespace ?? r.metadata.namespace, ref.name);
          if (gw) for (const ip of gwIPs(gw)) ips.add(ip);
        }
      }
    }
    for (const svc of services()) {
      const names = String(svc.metadata.annotations?.['external-dns.alpha.kubernetes.io/hostname'] ?? '').split(',').map((x) => bare(x.trim())).filter(Boolean);
      if (names.includes(n)) for (const ip of lbIPs(svc)) ips.add(ip);
    }
    return [...ips];
  }

  function resolveAny(name: string, type: RRType): DnsReply | undefined {
    const n = bare(name);
    if (n === CLUSTER_DOMAIN || n.endsWith(`.${CLUSTER_DOMAIN}`)) return clusterFirst ? clusterAnswer(n, type) : undefined;
    return externalAnswer(n, type);
  }

  function coreDnsServing(): boolean {
    if (!kubeDns) return true; // no kube-dns Service modelled: answer directly
    return (kubeDns.spec?.ports ?? []).some((p: any) => endpoints(kubeDns, p).length > 0);
  }

  function coreDnsPodIPs(): string[] {
    if (!kubeDns?.spec?.selector) return [];
    return store.list(T('', 'pods'), 'kube-system', { labelSelector: fromMap(kubeDns.spec.selector) }).filter(running).map((p) => p.status.podIP);
  }

  function dns(server: string, name: string, type: RRType): DnsReply | 'timeout' {
    const n = bare(name);
    const isCluster = n === CLUSTER_DOMAIN || n.endsWith(`.${CLUSTER_DOMAIN}`) || n.endsWith('.in-addr.arpa');
    if (server === clusterDnsIP || coreDnsPodIPs().includes(server)) {
      if (server === clusterDnsIP && !coreDnsServing()) return 'timeout';
      if (isCluster && !n.endsWith('.in-addr.arpa')) return clusterAnswer(n, type);
      return externalAnswer(n, type);
    }
    if (server === NODE_RESOLVER || server === '127.0.0.11') {
      if (n === CLUSTER_DOMAIN || n.endsWith(`.${CLUSTER_DOMAIN}`)) return { rcode: 'NXDOMAIN', authoritative: false, answers: [], authority: [soa('')] };
      return externalAnswer(n, type);
    }
    return 'timeout';
  }

  // ── connections ──

  function serviceConn(svc: KObject, svcPort: any, viaLB: boolean): Connection {
    let eps = endpoints(svc, svcPort);
    if (viaLB && svc.spec?.externalTrafficPolicy === 'Local' && !eps.length) return { kind: 'timeout' };
    if (!eps.length) return { kind: 'refused' };
    if (svc.spec?.sessionAffinity === 'ClientIP') eps = [eps[0]!];
    const ep = eps[Math.floor(Math.random() * eps.length)]!;
    return podConn(ep.ip, ep.port);
  }

  function nodeByIP(ip: string): KObject | undefined {
    return nodes().find((n) => nodeIP(n) === ip);
  }

  function connect(ip: string, port: number): Connection {
    for (const s of services()) {
      if (s.spec?.type === 'ExternalName') continue;
      const ips: string[] = s.spec?.clusterIPs ?? (s.spec?.clusterIP && s.spec.clusterIP !== 'None' ? [s.spec.clusterIP] : []);
      if (ips.includes(ip)) {
        const p = (s.spec?.ports ?? []).find((x: any) => x.port === port && (x.protocol ?? 'TCP') === 'TCP');
        return p ? serviceConn(s, p, false) : { kind: 'timeout' };
      }
      const lbs: string[] = (s.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip).filter(Boolean);
      if (s.spec?.type === 'LoadBalancer' && lbs.includes(ip)) {
        const p = (s.spec?.ports ?? []).find((x: any) => x.port === port && (x.protocol ?? 'TCP') === 'TCP');
        return p ? serviceConn(s, p, true) : { kind: 'timeout' };
      }
    }
    const n = nodeByIP(ip);
    if (n) {
      for (const s of services()) {
        if (s.spec?.type !== 'NodePort' && s.spec?.type !== 'LoadBalancer') continue;
        const p = (s.spec?.ports ?? []).find((x: any) => x.nodePort === port && (x.protocol ?? 'TCP') === 'TCP');
        if (!p) continue;
        if (s.spec?.externalTrafficPolicy === 'Local') {
          const local = endpoints(s, p).filter((e) => e.pod?.spec?.nodeName === n.metadata.name);
          if (!local.length) return { kind: 'timeout' };
          const ep = local[Math.floor(Math.random() * local.length)]!;
          return podConn(ep.ip, ep.port);
        }
        return serviceConn(s, p, false);
      }
      // hostNetwork pods and hostPorts on that node
      for (const p of pods()) {
        if (p.spec?.nodeName !== n.metadata.name || p.status?.phase !== 'Running') continue;
        for (const c of p.spec?.containers ?? [])
          for (const cp of c.ports ?? []) {
            if (p.spec.hostNetwork && cp.containerPort === port) return podConnFor(p, cp.containerPort);
            if (cp.hostPort === port) return podConnFor(p, cp.containerPort);
          }
      }
      if (port === 10250) return { kind: 'open', label: 'kubelet', request: () => ({ kind: 'response', status: 404, reason: 'Not Found', headers: [['Content-Type', 'text/plain; charset=utf-8']], body: '404 page not found\n' }) };
      return { kind: 'refused' };
    }
    return podConn(ip, port);
  }

  function podConn(ip: string, port: number): Connection {
    const p = podByIP(ip);
    if (!p) {
      if (ip.startsWith('127.1.')) return { kind: 'unreachable' };
      if (ip.startsWith('127.')) return { kind: 'refused' };
      return { kind: 'timeout' };
    }
    return podConnFor(p, port);
  }

  function podConnFor(p: KObject, containerPort: number): Connection {
    const declared = (p.spec?.containers ?? []).some((c: any) => (c.ports ?? []).some((cp: any) => cp.containerPort === containerPort));
    const cs: any[] = p.status?.containerStatuses ?? [];
    const anyRunning = cs.some((c) => c.state?.running);
    if (!declared || !anyRunning) return { kind: 'refused' };
    return {
      kind: 'open',
      label: `${p.metadata.namespace}/${p.metadata.name}`,
      request: (req) => podServer(p, containerPort, req),
      tls: (sni) => podTls(p, sni),
    };
  }

  // ── HTTP servers ──

  function imageOf(p: KObject): string {
    return (p.spec?.containers ?? []).map((c: any) => c.image ?? '').join(' ');
  }

  function isIngressNginx(p: KObject): boolean {
    return /ingress-nginx\/controller|nginx-ingress-controller/.test(imageOf(p));
  }

  function isEnvoy(p: KObject): boolean {
    return /envoyproxy\/envoy(:|@|$)|envoyproxy\/envoy-/.test(imageOf(p)) || !!p.metadata.labels?.['gateway.envoyproxy.io/owning-gateway-name'];
  }

  function responsesOf(p: KObject): Record<string, unknown> {
    try {
      const raw = p.metadata.annotations?.['lab.netpath.dev/responses'];
      return raw ? JSON.parse(raw) : {};
    } catch {
      return {};
    }
  }

  /** What a pod's own HTTP server answers (LAB.md: `lab.netpath.dev/responses`, longest prefix wins). */
  function appReply(p: KObject, req: HttpRequest): HttpReply {
    const map = responsesOf(p);
    let best: string | undefined;
    for (const k of Object.keys(map)) if (req.path.startsWith(k) && (best === undefined || k.length > best.length)) best = k;
    const v = best !== undefined ? map[best] : undefined;
    let status = 200;
    let delayMs = 0;
    if (typeof v === 'number') status = v;
    else if (typeof v === 'string') {
      if (v === 'hang') return { kind: 'hang' };
      if (v === 'refuse') return { kind: 'refused' };
      if (v === 'reset') return { kind: 'reset' };
      const m = /^slow:(\d+)$/.exec(v);
      if (m) delayMs = parseInt(m[1]!, 10);
      else if (/^\d+$/.test(v)) status = parseInt(v, 10);
    }
    const image = imageOf(p);
    const headers: [string, string][] = [];
    let body: string;
    if (/(^|\/)nginx(:|@|$)/.test(image) || /nginx:/.test(image)) {
      const ver = /nginx:(\d+\.\d+\.\d+)/.exec(image)?.[1] ?? '1.27.3';
      headers.push(['Server', `nginx/${ver}`], ['Date', httpDate()], ['Content-Type', 'text/html']);
      body = status === 200 ? NGINX_WELCOME : nginxErrorPage(status, `nginx/${ver}`);
      headers.push(['Content-Length', String(Buffer.byteLength(body))], ['Connection', 'keep-alive']);
      if (status === 200) headers.push(['Last-Modified', 'Tue, 26 Nov 2024 15:55:00 GMT'], ['ETag', '"6745ef54-267"'], ['Accept-Ranges', 'bytes']);
    } else if (/podinfo/.test(image)) {
      const ver = /podinfo:(\S+)/.exec(image)?.[1] ?? '6.7.1';
      body = status === 200
        ? `${JSON.stringify({ hostname: p.metadata.name, version: ver, revision: '', color: '#34577c', logo: 'https://raw.githubusercontent.com/stefanprodan/podinfo/gh-pages/cuddle_clap.gif', message: `greetings from podinfo v${ver}`, goos: 'linux', goarch: 'amd64', runtime: 'go1.23.2', num_goroutine: '8', num_cpu: '4' }, null, 2)}\n`
        : `${JSON.stringify({ code: status, message: HTTP_REASONS[status] ?? '' })}\n`;
      headers.push(['Content-Type', 'application/json; charset=utf-8'], ['X-Content-Type-Options', 'nosniff'], ['Date', httpDate()], ['Content-Length', String(Buffer.byteLength(body))]);
    } else {
      body = status < 400
        ? `${JSON.stringify({ pod: p.metadata.name, namespace: p.metadata.namespace, path: req.path, host: req.headers['host'] ?? req.host })}\n`
        : `${HTTP_REASONS[status] ?? 'Error'}\n`;
      headers.push(['Content-Type', status < 400 ? 'application/json' : 'text/plain; charset=utf-8'], ['Date', httpDate()], ['Content-Length', String(Buffer.byteLength(body))]);
    }
    return { kind: 'response', status, reason: HTTP_REASONS[status] ?? '', headers, body, delayMs };
  }

  function podServer(p: KObject, port: number, req: HttpRequest): HttpReply {
    if (isIngressNginx(p) && (port === 80 || port === 443 || port === 8443)) return ingressNginx(p, req);
    if (isEnvoy(p) && port !== 19000) return envoy(p, req);
    if (/coredns/.test(imageOf(p)) && port === 53) return { kind: 'empty' };
    return appReply(p, req);
  }

  function backendReply(svc: KObject | undefined, portRef: any, req: HttpRequest): HttpReply | 'no-endpoints' | 'bad-gateway' {
    if (!svc) return 'no-endpoints';
    const sp = (svc.spec?.ports ?? []).find((p: any) => (portRef?.number !== undefined ? p.port === portRef.number : portRef?.name !== undefined ? p.name === portRef.name : p.port === portRef));
    if (!sp) return 'no-endpoints';
    const eps = endpoints(svc, sp);
    if (!eps.length) return 'no-endpoints';
    const ep = eps[Math.floor(Math.random() * eps.length)]!;
    const c = podConn(ep.ip, ep.port);
    if (c.kind !== 'open') return 'bad-gateway';
    return c.request({ ...req, scheme: 'http' }) as HttpReply; // the model's connections answer synchronously
  }

  function hostMatches(pattern: string | undefined, host: string): boolean {
    if (!pattern) return true;
    const h = host.toLowerCase();
    const p = pattern.toLowerCase();
    if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.split('.').length === p.split('.').length;
    return h === p;
  }

  function pathMatch(type: string, path: string, reqPath: string): number {
    const rp = reqPath.split('?')[0]!;
    if (type === 'Exact') return rp === path ? path.length + 1000 : -1;
    if (path === '/' || path === '') return 0;
    const p = path.replace(/\/$/, '');
    if (type === 'Prefix') return rp === p || rp.startsWith(`${p}/`) ? p.length : -1;
    return rp.startsWith(path) ? path.length : -1;
  }

  function ingressNginx(ctrl: KObject, req: HttpRequest): HttpReply {
    const args: string[] = (ctrl.spec?.containers ?? []).flatMap((c: any) => [...(c.command ?? []), ...(c.args ?? [])]);
    const arg = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
    const controllerClass = arg('controller-class') ?? 'k8s.io/ingress-nginx';
    const ingressClass = arg('ingress-class') ?? 'nginx';
    const withoutClass = arg('watch-ingress-without-class') === 'true';
    const classes = store.list(T('networking.k8s.io', 'ingressclasses'));
    const mine = new Set(classes.filter((c) => c.spec?.controller === controllerClass).map((c) => c.metadata.name!));
    const defaultMine = classes.some((c) => mine.has(c.metadata.name!) && c.metadata.annotations?.['ingressclass.kubernetes.io/is-default-class'] === 'true');
    const host = (req.headers['host'] ?? req.host).replace(/:\d+$/, '');
    let best: { ing: KObject; backend: any; score: number } | undefined;
    for (const ing of store.list(T('networking.k8s.io', 'ingresses'))) {
      const cls = ing.spec?.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
      const claimed = cls ? mine.has(cls) || cls === ingressClass : defaultMine || withoutClass;
      if (!claimed) continue;
      for (const rule of ing.spec?.rules ?? []) {
        if (!hostMatches(rule.host, host)) continue;
        for (const p of rule.http?.paths ?? []) {
          const s = pathMatch(p.pathType ?? 'ImplementationSpecific', p.path ?? '/', req.path) + (rule.host ? 10_000 : 0);
          if (s >= 0 && (!best || s > best.score)) best = { ing, backend: p.backend, score: s };
        }
      }
      if (!best && ing.spec?.defaultBackend) best = { ing, backend: ing.spec.defaultBackend, score: -1 };
    }
    const page = (status: number): HttpReply => {
      const body = nginxErrorPage(status, 'nginx');
      return {
        kind: 'response', status, reason: NGINX_REASONS[status] ?? HTTP_REASONS[status] ?? '', http2: req.scheme === 'https',
        headers: [['Date', httpDate()], ['Content-Type', 'text/html'], ['Content-Length', String(Buffer.byteLength(body))], ['Connection', 'keep-alive'], ...(req.scheme === 'https' ? ([['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']] as [string, string][]) : [])],
        body,
      };
    };
    if (!best) return page(404);
    const ing = best.ing;
    const tlsHosts: string[] = (ing.spec?.tls ?? []).flatMap((t: any) => t.hosts ?? []);
    const sslRedirect = ing.metadata.annotations?.['nginx.ingress.kubernetes.io/ssl-redirect'] !== 'false';
    if (req.scheme === 'http' && sslRedirect && tlsHosts.some((h) => hostMatches(h, host))) {
      const r = page(308);
      if (r.kind === 'response') r.headers.push(['Location', `https://${host}${req.path}`]);
      return r;
    }
    const svcName = best.backend?.service?.name;
    const svc = svcName ? store.get(T('', 'services'), ing.metadata.namespace, svcName) : undefined;
    const r = backendReply(svc, best.backend?.service?.port, req);
    if (r === 'no-endpoints') return page(503);
    if (r === 'bad-gateway') return page(502);
    if (r.kind === 'refused' || r.kind === 'reset' || r.kind === 'empty') return page(502);
    // proxy-read-timeout (60 s by default) turns a silent upstream into a 504
    const readTimeoutS = parseInt(ing.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'] ?? '60', 10) || 60;
    if (r.kind === 'hang' || (r.delayMs ?? 0) > readTimeoutS * 1000) {
      const t = page(504);
      return t.kind === 'response' ? { ...t, delayMs: readTimeoutS * 1000 } : t;
    }
    const headers = r.headers.filter(([k]) => !/^(server|connection|date)$/i.test(k));
    return { ...r, http2: req.scheme === 'https', headers: [['Date', httpDate()], ...headers, ['Connection', 'keep-alive'], ...(req.scheme === 'https' ? ([['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']] as [string, string][]) : [])] };
  }

  function envoy(proxy: KObject, req: HttpRequest): HttpReply {
    const gwName = proxy.metadata.labels?.['gateway.envoyproxy.io/owning-gateway-name'];
    const gwNs = proxy.metadata.labels?.['gateway.envoyproxy.io/owning-gateway-namespace'];
    const host = (req.headers['host'] ?? req.host).replace(/:\d+$/, '');
    const plain = (status: number, body: string): HttpReply => ({
      kind: 'response', status, reason: HTTP_REASONS[status] ?? '', http2: req.scheme === 'https',
      headers: [['content-length', String(Buffer.byteLength(body))], ['content-type', 'text/plain'], ['date', httpDate()]],
      body,
    });
    const routeDef = registry.forType('gateway.networking.k8s.io', 'httproutes');
    let best: { route: KObject; rule: any; score: number } | undefined;
    for (const route of routeDef ? store.list(routeDef) : []) {
      const attached = (route.spec?.parentRefs ?? []).some((r: any) => (!gwName || r.name === gwName) && (!gwNs || (r.namespace ?? route.metadata.namespace) === gwNs));
      if (!attached) continue;
      const hosts: string[] = route.spec?.hostnames ?? [];
      if (hosts.length && !hosts.some((h) => hostMatches(h, host))) continue;
      for (const rule of route.spec?.rules ?? []) {
        const matches: any[] = rule.matches?.length ? rule.matches : [{ path: { type: 'PathPrefix', value: '/' } }];
        for (const m of matches) {
          const t = m.path?.type ?? 'PathPrefix';
          const s = pathMatch(t === 'PathPrefix' ? 'Prefix' : t, m.path?.value ?? '/', req.path) + (hosts.length ? 10_000 : 0);
          if (s >= 0 && (!best || s > best.score)) best = { route, rule, score: s };
        }
      }
    }
    if (!best) return plain(404, '');
    const ref = (best.rule.backendRefs ?? [])[0];
    if (!ref) return plain(500, '');
    const svc = store.get(T('', 'services'), ref.namespace ?? best.route.metadata.namespace, ref.name);
    if (!svc) return plain(500, '');
    const r = backendReply(svc, { number: ref.port }, req);
    if (r === 'no-endpoints') return plain(503, 'no healthy upstream');
    if (r === 'bad-gateway' || r.kind === 'refused') return plain(503, 'upstream connect error or disconnect/reset before headers. reset reason: remote connection failure, transport failure reason: delayed connect error: Connection refused');
    if (r.kind === 'reset' || r.kind === 'empty') return plain(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination');
    // Envoy's default route timeout is 15 s
    if (r.kind === 'hang' || (r.delayMs ?? 0) > 15_000) return { ...(plain(504, 'upstream request timeout') as Extract<HttpReply, { kind: 'response' }>), delayMs: 15_000 };
    return { ...r, http2: req.scheme === 'https', headers: r.headers.map(([k, v]) => [k.toLowerCase(), v] as [string, string]) };
  }

  function podTls(p: KObject, sni: string): TlsInfo {
    if (isIngressNginx(p)) {
      for (const ing of store.list(T('networking.k8s.io', 'ingresses'))) {
        for (const t of ing.spec?.tls ?? []) {
          if (!(t.hosts ?? []).some((h: string) => hostMatches(h, sni))) continue;
          const sec = t.secretName ? store.get(T('', 'secrets'), ing.metadata.namespace, t.secretName) : undefined;
          const crt = sec?.data?.['tls.crt'];
          if (crt) return { certPem: Buffer.from(crt, 'base64').toString() };
        }
      }
      return { selfSigned: true };
    }
    if (isEnvoy(p)) {
      const gwDef = registry.forType('gateway.networking.k8s.io', 'gateways');
      for (const gw of gwDef ? store.list(gwDef) : []) {
        for (const l of gw.spec?.listeners ?? []) {
          if (l.protocol !== 'HTTPS' || (l.hostname && !hostMatches(l.hostname, sni))) continue;
          const ref = l.tls?.certificateRefs?.[0];
          const sec = ref ? store.get(T('', 'secrets'), ref.namespace ?? gw.metadata.namespace, ref.name) : undefined;
          const crt = sec?.data?.['tls.crt'];
          if (crt) return { certPem: Buffer.from(crt, 'base64').toString() };
        }
      }
      return {};
    }
    return { selfSigned: true };
  }

  function pingable(ip: string): boolean {
    if (ip.startsWith('127.0.0.') || nodeByIP(ip) || podByIP(ip)) return true;
    if (/^127\.1\.\d+\.1$/.test(ip)) return true; // pod network gateways
    // ClusterIPs are virtual: iptables-mode kube-proxy does not answer ICMP for them
    return false;
  }

  function route(ip: string): string[] {
    if (ip.startsWith('127.0.0.')) return [];
    const myNodeIP = nodeIP(selfNode);
    const gw = self.hostNetwork ? undefined : self.ip?.replace(/\.\d+$/, '.1');
    const dstPod = podByIP(ip);
    const hops: string[] = [];
    if (gw) hops.push(gw);
    if (dstPod && dstPod.spec?.nodeName === self.nodeName) return gw ? [] : [];
    const dstNode = dstPod ? node(dstPod.spec?.nodeName) : nodeByIP(ip);
    const dstNodeIP = nodeIP(dstNode);
    if (dstNodeIP && dstNodeIP !== myNodeIP && dstNodeIP !== ip) hops.push(dstNodeIP);
    return hops;
  }

  return {
    resolvConf,
    dns,
    connect,
    pingable,
    route,
    sourceIP: self.ip ?? nodeIP(selfNode) ?? '127.0.0.1',
  };
}

const NGINX_REASONS: Record<number, string> = { 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out', 308: 'Permanent Redirect' };

function nginxErrorPage(status: number, server: string): string {
  const title = `${status} ${NGINX_REASONS[status] ?? HTTP_REASONS[status] ?? ''}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>${server}</center>\r\n</body>\r\n</html>\r\n`;
}

const NGINX_WELCOME = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

// ─── resolver (libc-style: search list + ndots) ─────────────────────────────────────────────────────────

interface Resolved {
  name: string;
  /** canonical name after CNAMEs */
  canonical: string;
  addresses: string[];
  error?: 'NXDOMAIN' | 'timeout';
}

async function lookupHost(net: NetModel, host: string): Promise<Resolved> {
  if (isIPv4(host)) return { name: host, canonical: host, addresses: [host] };
  if (bare(host) === 'localhost') return { name: host, canonical: 'localhost', addresses: ['127.0.0.1'] };
  const rc = net.resolvConf;
  const absolute = host.endsWith('.');
  const dots = host.split('.').length - 1;
  const candidates: string[] = [];
  if (absolute) candidates.push(bare(host));
  else {
    if (dots >= rc.ndots) candidates.push(bare(host));
    for (const s of rc.search) candidates.push(`${bare(host)}.${s}`);
    if (dots < rc.ndots) candidates.push(bare(host));
  }
  let timedOut = false;
  for (const name of candidates) {
    let reply: DnsReply | 'timeout' = 'timeout';
    for (const server of rc.nameservers) {
      reply = await net.dns(server, name, 'A');
      if (reply !== 'timeout') break;
    }
    if (reply === 'timeout') {
      timedOut = true;
      continue;
    }
    if (reply.rcode !== 'NOERROR') continue;
    const addrs = reply.answers.filter((a) => a.type === 'A').map((a) => a.data);
    const cn = reply.answers.filter((a) => a.type === 'CNAME');
    if (addrs.length) return { name, canonical: bare(cn.at(-1)?.data ?? name), addresses: addrs };
    if (cn.length) {
      const next = await lookupHost(net, fqdn(cn.at(-1)!.data));
      if (next.addresses.length) return { ...next, name };
    }
  }
  return { name: host, canonical: host, addresses: [], error: timedOut ? 'timeout' : 'NXDOMAIN' };
}

// ─── command table ──────────────────────────────────────────────────────────────────────────────────────

type Cmd = (args: string[], io: Io, env: CommandEnv) => Promise<number>;

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);

const COMMANDS: Record<string, Cmd> = {
  dig: cmdDig,
  nslookup: cmdNslookup,
  host: cmdHost,
  curl: cmdCurl,
  wget: cmdWget,
  nc: cmdNc,
  netcat: cmdNc,
  ping: cmdPing,
  traceroute: cmdTraceroute,
  tcptraceroute: (a, io, env) => cmdTraceroute(['-T', ...a], io, env, true),
  openssl: cmdOpenssl,
  'iptables-save': nodeTool('iptables-save'),
  'iptables-legacy-save': nodeTool('iptables-save'),
  'iptables-nft-save': nodeTool('iptables-save'),
  ipvsadm: nodeTool('ipvsadm'),
  conntrack: nodeTool('conntrack'),
  ss: nodeTool('ss'),
  sleep: cmdSleep,
  echo: async (a, io) => {
    let args = a;
    let nl = true;
    if (args[0] === '-n') {
      nl = false;
      args = args.slice(1);
    }
    io.out(args.join(' ') + (nl ? '\n' : ''));
    return 0;
  },
  printf: async (a, io) => {
    const [fmt = '', ...rest] = a;
    let i = 0;
    const s = fmt.replace(/%[sd]/g, () => rest[i++] ?? '').replace(/\\n/g, '\n').replace(/\\t/g, '\t');
    io.out(s);
    return 0;
  },
  true: async () => 0,
  false: async () => 1,
  ':': async () => 0,
  hostname: async (_a, io, env) => {
    io.out(`${env.hostname ?? 'localhost'}\n`);
    return 0;
  },
  date: async (_a, io) => {
    io.out(`${new Date().toUTCString().replace(/GMT$/, 'UTC')}\n`);
    return 0;
  },
  cat: async (_a, io) => {
    for (const l of io.stdin ?? []) io.out(`${l}\n`);
    return 0;
  },
  head: async (a, io) => {
    const n = parseInt(a.find((x) => /^-?\d+$/.test(x.replace(/^-n/, '')))?.replace(/^-n?/, '') ?? a[a.indexOf('-n') + 1] ?? '10', 10) || 10;
    for (const l of (io.stdin ?? []).slice(0, n)) io.out(`${l}\n`);
    return 0;
  },
  tail: async (a, io) => {
    const n = parseInt(a.find((x) => /^-?\d+$/.test(x.replace(/^-n/, '')))?.replace(/^-n?/, '') ?? a[a.indexOf('-n') + 1] ?? '10', 10) || 10;
    for (const l of (io.stdin ?? []).slice(-n)) io.out(`${l}\n`);
    return 0;
  },
  grep: async (a, io) => {
    const flags = a.filter((x) => x.startsWith('-') && x.length > 1).join('');
    const pat = a.find((x) => !x.startsWith('-')) ?? '';
    const re = new RegExp(pat, flags.includes('i') ? 'i' : '');
    const hits = (io.stdin ?? []).filter((l) => re.test(l) !== flags.includes('v'));
    if (flags.includes('c')) io.out(`${hits.length}\n`);
    else if (!flags.includes('q')) for (const l of hits) io.out(`${l}\n`);
    return hits.length ? 0 : 1;
  },
  wc: async (a, io) => {
    const lines = io.stdin ?? [];
    io.out(a.includes('-l') ? `${lines.length}\n` : `${lines.length} ${lines.join(' ').split(/\s+/).filter(Boolean).length} ${lines.join('\n').length + lines.length}\n`);
    return 0;
  },
};

const basename = (s: string) => s.slice(s.lastIndexOf('/') + 1);

/** Whether argv is something runCommand knows (a network tool, a simple builtin or `sh -c`). */
export function isKnownCommand(argv: string[]): boolean {
  const name = basename(argv[0] ?? '');
  if (SHELLS.has(name)) return true;
  return Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

/** Runs one command line as a container's process; output lines go to env.write. */
export async function runCommand(argv: string[], env: CommandEnv): Promise<{ exitCode: number }> {
  const out = new Out((l) => env.write(l));
  const io: Io = { out: (s) => out.text(s), err: (s) => out.text(s) };
  try {
    const code = await runArgv(argv, io, env);
    return { exitCode: code };
  } catch (e) {
    if (e instanceof ShellExit) return { exitCode: e.code };
    throw e;
  } finally {
    out.flush();
  }
}

class ShellExit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

async function runArgv(argv: string[], io: Io, env: CommandEnv, shellName = 'sh'): Promise<number> {
  if (!argv.length) return 0;
  const name = basename(argv[0]!);
  if (SHELLS.has(name)) {
    const i = argv.findIndex((a, j) => j > 0 && /^-[a-z]*c[a-z]*$/.test(a));
    if (i < 0) return 0; // an interactive shell without a terminal reads EOF and exits
    return runScript(argv[i + 1] ?? '', io, env, name);
  }
  if (name === 'exit') throw new ShellExit(parseInt(argv[1] ?? '0', 10) & 255);
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(shellName === 'bash' ? `bash: line 1: ${argv[0]}: command not found\n` : `${shellName}: ${argv[0]}: not found\n`);
    return 127;
  }
  return cmd(argv.slice(1), io, env);
}

// ─── a small POSIX-ish shell: ; && || | redirections, while/for loops, $VAR ─────────────────────────────

type Tok = { t: 'word'; v: string } | { t: 'op'; v: string };

/** Variables are expanded when a command runs, not when the script is parsed: words carry references. */
const VAR_OPEN = '\u0000';
const VAR_CLOSE = '\u0001';
const ref = (name: string) => `${VAR_OPEN}${name}${VAR_CLOSE}`;

function expandWord(w: string, vars: Record<string, string>): string {
  return w.includes(VAR_OPEN) ? w.replace(/\u0000([^\u0001]*)\u0001/g, (_m, n: string) => vars[n] ?? '') : w;
}

function tokenize(script: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let cur = '';
  let inWord = false;
  const push = () => {
    if (inWord) out.push({ t: 'word', v: cur });
    cur = '';
    inWord = false;
  };
  while (i < script.length) {
    const c = script[i]!;
    if (c === "'") {
      const j = script.indexOf("'", i + 1);
      cur += script.slice(i + 1, j < 0 ? undefined : j);
      inWord = true;
      i = j < 0 ? script.length : j + 1;
      continue;
    }
    if (c === '"') {
      i++;
      inWord = true;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '\\' && i + 1 < script.length && '"\\$`'.includes(script[i + 1]!)) {
          cur += script[i + 1];
          i += 2;
          continue;
        }
        if (script[i] === '$') {
          const m = /^\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|\?)/.exec(script.slice(i));
          if (m) {
            cur += ref(m[0] === '$?' ? '?' : (m[2] ?? m[3]!));
            i += m[0].length;
            continue;
          }
        }
        cur += script[i];
        i++;
      }
      i++;
      continue;
    }
    if (c === '\\' && i + 1 < script.length) {
      if (script[i + 1] !== '\n') cur += script[i + 1];
      inWord = script[i + 1] !== '\n' || inWord;
      i += 2;
      continue;
    }
    if (c === '$') {
      const m = /^\$(\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*)|\?)/.exec(script.slice(i));
      if (m) {
        cur += ref(m[0] === '$?' ? '?' : (m[2] ?? m[3]!));
        inWord = true;
        i += m[0].length;
        continue;
      }
    }
    if (c === '#' && !inWord) {
      while (i < script.length && script[i] !== '\n') i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      push();
      i++;
      continue;
    }
    const two = script.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '2>' || two === '>>' || two === '&>') {
      push();
      if (two === '2>' && script[i + 2] === '&') {
        out.push({ t: 'op', v: '2>&1' });
        i += 4;
        continue;
      }
      out.push({ t: 'op', v: two });
      i += 2;
      continue;
    }
    if (c === ';' || c === '\n' || c === '|' || c === '>' || c === '<' || c === '&') {
      push();
      out.push({ t: 'op', v: c === '\n' ? ';' : c });
      i++;
      continue;
    }
    cur += c;
    inWord = true;
    i++;
  }
  push();
  return out;
}

interface Simple {
  argv: string[];
  dropOut: boolean;
  dropErr: boolean;
  errToOut: boolean;
}

interface Pipeline {
  cmds: Simple[];
}

type Node =
  | { k: 'list'; items: { pipe: Pipeline | Node; op: string }[] }
  | { k: 'while'; cond: Node; body: Node; until: boolean }
  | { k: 'for'; name: string; words: string[]; body: Node };

/** Parses tokens into a list of `and-or` items. */
function parse(toks: Tok[]): Node {
  let i = 0;
  const peek = () => toks[i];
  const isWord = (v: string) => peek()?.t === 'word' && peek()!.v === v;
  function parseList(stop: string[]): Node {
    const items: { pipe: Pipeline | Node; op: string }[] = [];
    while (i < toks.length) {
      const t = peek()!;
      if (t.t === 'word' && stop.includes(t.v)) break;
      if (t.t === 'op' && t.v === ';') {
        i++;
        continue;
      }
      let unit: Pipeline | Node;
      if (isWord('while') || isWord('until')) {
        const until = peek()!.v === 'until';
        i++;
        const cond = parseList(['do']);
        i++; // do
        const body = parseList(['done']);
        i++; // done
        unit = { k: 'while', cond, body, until };
      } else if (isWord('for')) {
        i++;
        const name = (toks[i++] as { v: string }).v;
        const words: string[] = [];
        if (isWord('in')) {
          i++;
          while (i < toks.length && peek()!.t === 'word' && peek()!.v !== 'do') words.push(toks[i++]!.v);
        }
        while (peek()?.t === 'op' && peek()!.v === ';') i++;
        if (isWord('do')) i++;
        const body = parseList(['done']);
        i++;
        unit = { k: 'for', name, words, body };
      } else unit = parsePipeline(stop);
      let op = ';';
      const n = peek();
      if (n?.t === 'op' && (n.v === '&&' || n.v === '||' || n.v === ';' || n.v === '&')) {
        op = n.v === '&' ? ';' : n.v;
        i++;
      }
      items.push({ pipe: unit, op });
    }
    return { k: 'list', items };
  }
  function parsePipeline(stop: string[]): Pipeline {
    const cmds: Simple[] = [];
    let cur: Simple = { argv: [], dropOut: false, dropErr: false, errToOut: false };
    while (i < toks.length) {
      const t = peek()!;
      if (t.t === 'word') {
        if (cur.argv.length === 0 && stop.includes(t.v)) break;
        cur.argv.push(t.v);
        i++;
        continue;
      }
      if (t.v === '|') {
        cmds.push(cur);
        cur = { argv: [], dropOut: false, dropErr: false, errToOut: false };
        i++;
        continue;
      }
      if (t.v === '>' || t.v === '>>' || t.v === '2>' || t.v === '&>' || t.v === '<') {
        i++;
        if (toks[i]?.t === 'word') i++; // the target: output is dropped (there is no file system)
        if (t.v === '>' || t.v === '>>') cur.dropOut = true;
        else if (t.v === '2>') cur.dropErr = true;
        else if (t.v === '&>') {
          cur.dropOut = true;
          cur.dropErr = true;
        }
        continue;
      }
      if (t.v === '2>&1') {
        cur.errToOut = true;
        i++;
        continue;
      }
      break;
    }
    cmds.push(cur);
    return { cmds };
  }
  return parseList([]);
}

async function runScript(script: string, io: Io, env: CommandEnv, shell: string): Promise<number> {
  const vars: Record<string, string> = { HOSTNAME: env.hostname ?? '', ...(env.vars ?? {}), '?': '0' };
  const tree = parse(tokenize(script));
  let last = 0;
  async function runPipeline(p: Pipeline): Promise<number> {
    let input: string[] | undefined;
    let code = 0;
    for (let k = 0; k < p.cmds.length; k++) {
      const c = p.cmds[k]!;
      if (!c.argv.length) continue;
      const isLast = k === p.cmds.length - 1;
      const captured: string[] = [];
      let pending = '';
      const capture = (s: string) => {
        const parts = (pending + s).split('\n');
        pending = parts.pop()!;
        captured.push(...parts);
      };
      const out = c.dropOut ? () => {} : isLast ? io.out : capture;
      const err = c.dropErr ? () => {} : c.errToOut ? out : io.err;
      code = await runArgv(c.argv.map((w) => expandWord(w, vars)), { out, err, stdin: input }, env, shell);
      if (pending) captured.push(pending);
      input = captured;
      if (env.signal?.aborted) return 143;
    }
    return code;
  }
  async function run(n: Node | Pipeline): Promise<number> {
    if (!('k' in n)) return runPipeline(n);
    if (n.k === 'list') {
      let prevOp = ';';
      for (const item of n.items) {
        const go = prevOp === ';' || (prevOp === '&&' && last === 0) || (prevOp === '||' && last !== 0);
        if (go) {
          last = await run(item.pipe);
          vars['?'] = String(last);
        }
        if (env.signal?.aborted) return last;
        prevOp = item.op;
      }
      return last;
    }
    if (n.k === 'while') {
      let code = 0;
      for (;;) {
        const c = await run(n.cond);
        if (env.signal?.aborted) return 143;
        if ((c === 0) === n.until) break;
        code = await run(n.body);
        if (env.signal?.aborted) return 143;
        await sleep(0);
      }
      return code;
    }
    let code = 0;
    for (const w of n.words) {
      vars[n.name] = expandWord(w, vars);
      code = await run(n.body);
      if (env.signal?.aborted) return 143;
    }
    return code;
  }
  return run(tree);
}

// ─── sleep ──────────────────────────────────────────────────────────────────────────────────────────────

async function cmdSleep(args: string[], io: Io, env: CommandEnv): Promise<number> {
  let total = 0;
  for (const a of args) {
    if (a === 'infinity' || a === 'inf') total = Infinity;
    else {
      const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(a);
      if (!m) {
        io.err(`sleep: invalid time interval '${a}'\n`);
        return 1;
      }
      total += parseFloat(m[1]!) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]!]! * 1000;
    }
  }
  if (!args.length) {
    io.err('sleep: missing operand\n');
    return 1;
  }
  const ok = await sleep(total, env.signal);
  return ok ? 0 : 143;
}

// ─── dig ────────────────────────────────────────────────────────────────────────────────────────────────

const DIG_VERSION = '9.18.30';

function msgSize(q: string, answers: RR[], authority: RR[]): number {
  const nameLen = (n: string) => bare(n).split('.').filter(Boolean).reduce((s, l) => s + l.length + 1, 0) + 1;
  const rdata = (r: RR) => (r.type === 'A' ? 4 : r.type === 'AAAA' ? 16 : r.type === 'SRV' ? 6 + nameLen(r.data.split(' ')[3] ?? '') : r.type === 'SOA' ? 20 + r.data.split(' ').slice(0, 2).reduce((s, n) => s + nameLen(n), 0) : nameLen(r.data));
  let size = 12 + nameLen(q) + 4;
  for (const r of [...answers, ...authority]) size += (r.name === fqdn(q) ? 2 : nameLen(r.name)) + 10 + rdata(r);
  return size + 11 + 28; // OPT with a COOKIE
}

function rrLine(r: RR): string {
  const name = r.name;
  const pad = name.length < 8 ? '\t\t\t' : name.length < 16 ? '\t\t' : name.length < 24 ? '\t' : ' ';
  return `${name}${pad}${r.ttl}\tIN\t${r.type}\t${r.data}`;
}

async function cmdDig(args: string[], io: Io, env: CommandEnv): Promise<number> {
  let server: string | undefined;
  let name: string | undefined;
  let type: RRType = 'A';
  let short = false;
  let showAll = true;
  let showAnswer = true;
  let search = false;
  let reverse = false;
  let tcp = false;
  let timeMs = 5000;
  let tries = 3;
  let port = 53;
  const qtypes = new Set(['A', 'AAAA', 'CNAME', 'SRV', 'PTR', 'TXT', 'MX', 'NS', 'SOA', 'ANY']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('@')) server = a.slice(1);
    else if (a === '+short') short = true;
    else if (a === '+noall') showAll = false;
    else if (a === '+answer') showAnswer = true;
    else if (a === '+search') search = true;
    else if (a === '+tcp' || a === '+vc') tcp = true;
    else if (/^\+time=\d+$/.test(a)) timeMs = Math.max(1, parseInt(a.slice(6), 10)) * 1000;
    else if (/^\+tries=\d+$/.test(a)) tries = Math.max(1, parseInt(a.slice(7), 10));
    else if (/^\+retry=\d+$/.test(a)) tries = parseInt(a.slice(7), 10) + 1;
    else if (a.startsWith('+')) continue;
    else if (a === '-t') type = (args[++i] ?? 'A').toUpperCase() as RRType;
    else if (a === '-p') port = parseInt(args[++i] ?? '53', 10);
    else if (a === '-x') {
      reverse = true;
      name = args[++i];
    } else if (qtypes.has(a.toUpperCase()) && name !== undefined) type = a.toUpperCase() as RRType;
    else if (name === undefined) name = a;
  }
  if (reverse && name) {
    name = `${name.split('.').reverse().join('.')}.in-addr.arpa`;
    type = 'PTR';
  }
  if (!name) {
    name = '.';
    type = 'NS';
  }
  const rc = env.net.resolvConf;
  let serverName = server;
  let serverIP = server;
  if (server && !isIPv4(server)) {
    const r = await lookupHost(env.net, server);
    serverIP = r.addresses[0];
    if (!serverIP) {
      io.err(`dig: couldn't get address for '${server}': not found\n`);
      return 10;
    }
  }
  serverIP ??= rc.nameservers[0]!;
  serverName ??= serverIP;
  const cmdline = `${args.join(' ')}`;
  const t0 = Date.now();
  let qname = bare(name) === '' ? '.' : bare(name);
  let reply: DnsReply | 'timeout' = port === 53 || env.net.real ? await env.net.dns(serverIP, qname, type, { tcp, port }) : 'timeout';
  if (search && reply !== 'timeout' && reply.rcode === 'NXDOMAIN' && !name.endsWith('.')) {
    for (const s of rc.search) {
      const r = await env.net.dns(serverIP, `${qname}.${s}`, type, { tcp, port });
      if (r !== 'timeout' && r.rcode === 'NOERROR') {
        reply = r;
        qname = `${qname}.${s}`;
        break;
      }
    }
  }
  if (reply === 'timeout') {
    if (!short && showAll) {
      io.out(`\n; <<>> DiG ${DIG_VERSION} <<>> ${cmdline}\n`);
      if (server) io.out('; (1 server found)\n');
      io.out(';; global options: +cmd\n');
    }
    for (let k = 0; k < tries; k++) {
      // on the data plane a try waits +time as dig does (the model answers at once)
      if (!(await sleep(env.net.real ? timeMs : k === 0 ? 50 : 20, env.signal))) return 143;
      io.out(`;; communications error to ${serverIP}#${port}: timed out\n`);
    }
    if (!short && showAll) io.out('\n');
    io.out(';; no servers could be reached\n');
    if (!short && showAll) io.out('\n');
    return 9;
  }
  const qfq = qname === '.' ? '.' : fqdn(qname);
  if (short) {
    for (const a of reply.answers) io.out(`${a.data}\n`);
    return 0;
  }
  const took = reply.wire ? Math.round(reply.wire.ms) : Math.max(0, Date.now() - t0);
  if (!showAll) {
    if (showAnswer) for (const a of reply.answers) io.out(`${rrLine(a)}\n`);
    return 0;
  }
  const id = reply.wire?.id ?? Math.floor(Math.random() * 65536);
  const flags = reply.wire ? `qr${reply.authoritative ? ' aa' : ''} rd${reply.wire.recursionAvailable ? ' ra' : ''}` : reply.authoritative ? 'qr aa rd' : 'qr rd ra';
  const cookie = createHash('sha256').update(`${serverIP}${id}`).digest('hex').slice(0, 16);
  const lines = [
    '',
    `; <<>> DiG ${DIG_VERSION} <<>> ${cmdline}`,
    ...(server ? ['; (1 server found)'] : []),
    ';; global options: +cmd',
    ';; Got answer:',
    `;; ->>HEADER<<- opcode: QUERY, status: ${reply.rcode}, id: ${id}`,
    `;; flags: ${flags}; QUERY: 1, ANSWER: ${reply.answers.length}, AUTHORITY: ${reply.authority.length}, ADDITIONAL: ${reply.wire?.additional ?? 1}`,
    ...((reply.wire ? !reply.wire.recursionAvailable : reply.authoritative) ? [';; WARNING: recursion requested but not available'] : []),
    '',
    ...(reply.wire && !reply.wire.edns ? [] : [';; OPT PSEUDOSECTION:', '; EDNS: version: 0, flags:; udp: 1232']),
    ...(reply.wire ? [] : [`; COOKIE: ${cookie} (echoed)`]), // the lab's resolvers do not implement DNS cookies
    ';; QUESTION SECTION:',
    `;${qfq}${qfq.length < 7 ? '\t\t\t' : qfq.length < 15 ? '\t\t' : '\t'}IN\t${type}`,
    '',
  ];
  if (reply.answers.length) lines.push(';; ANSWER SECTION:', ...reply.answers.map(rrLine), '');
  if (reply.authority.length) lines.push(';; AUTHORITY SECTION:', ...reply.authority.map(rrLine), '');
  lines.push(
    `;; Query time: ${took} msec`,
    `;; SERVER: ${serverIP}#${port}(${serverName}) (${reply.wire?.tcp || tcp ? 'TCP' : 'UDP'})`,
    `;; WHEN: ${digWhen(new Date())}`,
    `;; MSG SIZE  rcvd: ${reply.wire?.size ?? msgSize(qfq, reply.answers, reply.authority)}`,
    '',
  );
  for (const l of lines) io.out(`${l}\n`);
  return 0;
}

function digWhen(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

// ─── nslookup / host ────────────────────────────────────────────────────────────────────────────────────

async function cmdNslookup(args: string[], io: Io, env: CommandEnv): Promise<number> {
  const pos = args.filter((a) => !a.startsWith('-'));
  const name = pos[0];
  if (!name) {
    io.err('nslookup: interactive mode is not supported here\n');
    return 1;
  }
  const server = pos[1] ?? env.net.resolvConf.nameservers[0]!;
  const busybox = isBusybox(env.image);
  const rc = env.net.resolvConf;
  const candidates = name.endsWith('.') || name.split('.').length - 1 >= rc.ndots ? [bare(name), ...rc.search.map((s) => `${bare(name)}.${s}`)] : [...rc.search.map((s) => `${bare(name)}.${s}`), bare(name)];
  let found: { qname: string; answers: RR[] } | undefined;
  let timedOut = false;
  for (const q of isIPv4(name) ? [`${name.split('.').reverse().join('.')}.in-addr.arpa`] : candidates) {
    const r = await env.net.dns(server, q, isIPv4(name) ? 'PTR' : 'A');
    if (r === 'timeout') {
      timedOut = true;
      break;
    }
    if (r.rcode === 'NOERROR' && r.answers.length) {
      found = { qname: q, answers: r.answers };
      break;
    }
  }
  if (timedOut) {
    await sleep(50, env.signal);
    io.out(busybox ? `;; connection timed out; no servers could be reached\n\n` : `;; communications error to ${server}#53: timed out\n;; communications error to ${server}#53: timed out\n;; communications error to ${server}#53: timed out\n;; no servers could be reached\n\n`);
    return 1;
  }
  io.out(`Server:\t\t${server}\n`);
  io.out(busybox ? `Address:\t${server}:53\n\n` : `Address:\t${server}#53\n\n`);
  if (!found) {
    io.out(`** server can't find ${isIPv4(name) ? `${name.split('.').reverse().join('.')}.in-addr.arpa` : busybox ? candidates.at(-1) : name}: NXDOMAIN\n\n`);
    return 1;
  }
  if (isIPv4(name)) {
    for (const a of found.answers) io.out(`${found.qname}\tname = ${a.data}\n`);
    io.out('\n');
    return 0;
  }
  for (const a of found.answers) {
    if (a.type === 'CNAME') io.out(`${bare(a.name)}\tcanonical name = ${a.data}\n`);
    else io.out(`Name:\t${bare(a.name)}\nAddress: ${a.data}\n`);
  }
  io.out('\n');
  return 0;
}

async function cmdHost(args: string[], io: Io, env: CommandEnv): Promise<number> {
  const pos = args.filter((a) => !a.startsWith('-'));
  const name = pos[0];
  if (!name) {
    io.err('Usage: host [-aCdilrTvVw] [-c class] [-N ndots] [-t type] [-W time]\n');
    return 1;
  }
  const server = pos[1] ?? env.net.resolvConf.nameservers[0]!;
  if (pos[1]) io.out(`Using domain server:\nName: ${server}\nAddress: ${server}#53\nAliases: \n\n`);
  if (isIPv4(name)) {
    const q = `${name.split('.').reverse().join('.')}.in-addr.arpa`;
    const r = await env.net.dns(server, q, 'PTR');
    if (r === 'timeout') {
      io.out(`;; connection timed out; no servers could be reached\n`);
      return 1;
    }
    if (!r.answers.length) {
      io.out(`Host ${q} not found: 3(NXDOMAIN)\n`);
      return 1;
    }
    for (const a of r.answers) io.out(`${q} domain name pointer ${a.data}\n`);
    return 0;
  }
  const rc = env.net.resolvConf;
  const candidates = name.endsWith('.') || name.split('.').length - 1 >= rc.ndots ? [bare(name), ...rc.search.map((s) => `${bare(name)}.${s}`)] : [...rc.search.map((s) => `${bare(name)}.${s}`), bare(name)];
  for (const q of candidates) {
    const r = await env.net.dns(server, q, 'A');
    if (r === 'timeout') {
      io.out(`;; connection timed out; no servers could be reached\n`);
      return 1;
    }
    if (r.rcode === 'NOERROR' && r.answers.length) {
      for (const a of r.answers) {
        if (a.type === 'CNAME') io.out(`${bare(a.name)} is an alias for ${a.data}\n`);
        else if (a.type === 'A') io.out(`${bare(a.name)} has address ${a.data}\n`);
      }
      return 0;
    }
  }
  io.out(`Host ${name} not found: 3(NXDOMAIN)\n`);
  return 1;
}

// ─── curl ───────────────────────────────────────────────────────────────────────────────────────────────

const CURL_VERSION = '8.11.1';

interface CurlTimes {
  namelookup: number;
  connect: number;
  appconnect: number;
  pretransfer: number;
  starttransfer: number;
  total: number;
}

function parseUrl(raw: string): { scheme: 'http' | 'https'; host: string; port: number; path: string } | undefined {
  const m = /^(?:(https?):\/\/)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?([/?][^#]*)?/i.exec(raw);
  if (!m) return undefined;
  const scheme = (m[1]?.toLowerCase() ?? 'http') as 'http' | 'https';
  return { scheme, host: m[2]!, port: m[3] ? parseInt(m[3], 10) : scheme === 'https' ? 443 : 80, path: m[4] ? (m[4].startsWith('?') ? `/${m[4]}` : m[4]) : '/' };
}

function certDate(s: string): string {
  // X509Certificate gives "Jan  1 00:00:00 2025 GMT"-style strings already
  return s.replace(/\s+/g, ' ').replace(/^(\w{3}) (\d) /, '$1  $2 ');
}

interface CertCheck {
  ok: boolean;
  error?: string;
  cert?: X509Certificate;
}

function checkCert(tls: TlsInfo, host: string, trustLab: boolean): CertCheck {
  if (!tls.certPem) return { ok: false, error: 'SSL certificate problem: self-signed certificate' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(tls.certPem);
  } catch {
    return { ok: false, error: 'SSL certificate problem: unable to get local issuer certificate' };
  }
  if (tls.selfSigned) return { ok: false, error: 'SSL certificate problem: self-signed certificate', cert };
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) return { ok: false, error: 'SSL certificate problem: certificate has expired', cert };
  if (Date.parse(cert.validFrom) > now) return { ok: false, error: 'SSL certificate problem: certificate is not yet valid', cert };
  if (!cert.checkHost(host) && !(isIPv4(host) && cert.checkIP(host))) return { ok: false, error: `SSL: no alternative certificate subject name matches target host name '${host}'`, cert };
  if (!trustLab) return { ok: false, error: 'SSL certificate problem: unable to get local issuer certificate', cert };
  return { ok: true, cert };
}

const CURL_60_TAIL = [
  'More details here: https://curl.se/docs/sslcerts.html',
  '',
  'curl failed to verify the legitimacy of the server and therefore could not',
  'establish a secure connection to it. To learn more about this situation and',
  'how to fix it, please visit the webpage mentioned above.',
];

function formatWriteOut(fmt: string, vars: Record<string, string>): string {
  return fmt
    .replace(/%\{([a-z_]+)\}/g, (m, k: string) => vars[k] ?? (k in vars ? '' : m))
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\r/g, '\r')
    .replace(/%%/g, '%');
}

async function cmdCurl(args: string[], io: Io, env: CommandEnv): Promise<number> {
  let silent = false;
  let showError = false;
  let verbose = false;
  let insecure = false;
  let head = false;
  let include = false;
  let fail = false;
  let follow = false;
  let output: string | undefined;
  let writeOut: string | undefined;
  let method: string | undefined;
  let maxTime = Infinity;
  let connectTimeout = Infinity;
  let trustLab = false;
  const headers: Record<string, string> = {};
  const resolves = new Map<string, string>();
  const urls: string[] = [];
  const takesArg = new Set(['-o', '--output', '-w', '--write-out', '-H', '--header', '-X', '--request', '-d', '--data', '--data-raw', '--data-binary', '-m', '--max-time', '--connect-timeout', '--resolve', '-A', '--user-agent', '--cacert', '--retry', '-u', '--user', '-e', '--referer', '--cert', '--key', '-x', '--proxy']);
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    let val: string | undefined;
    if (a.startsWith('--') && a.includes('=')) {
      val = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    const next = () => val ?? args[++i] ?? '';
    if (a.startsWith('-') && !a.startsWith('--') && a.length > 2 && !takesArg.has(a)) {
      // combined short flags: -sSk, -svo /dev/null
      const letters = a.slice(1).split('');
      for (let j = 0; j < letters.length; j++) {
        const f = `-${letters[j]}`;
        if (takesArg.has(f)) {
          const rest = letters.slice(j + 1).join('');
          const v = rest || args[++i] || '';
          applyOpt(f, v);
          break;
        }
        applyFlag(f);
      }
      continue;
    }
    if (takesArg.has(a)) applyOpt(a, next());
    else if (a.startsWith('-')) applyFlag(a);
    else urls.push(a);
  }
  function applyFlag(f: string): void {
    if (f === '-s' || f === '--silent') silent = true;
    else if (f === '-S' || f === '--show-error') showError = true;
    else if (f === '-v' || f === '--verbose') verbose = true;
    else if (f === '-k' || f === '--insecure') insecure = true;
    else if (f === '-I' || f === '--head') head = true;
    else if (f === '-i' || f === '--include') include = true;
    else if (f === '-f' || f === '--fail') fail = true;
    else if (f === '-L' || f === '--location') follow = true;
  }
  function applyOpt(f: string, v: string): void {
    if (f === '-o' || f === '--output') output = v;
    else if (f === '-w' || f === '--write-out') writeOut = v;
    else if (f === '-H' || f === '--header') {
      const k = v.indexOf(':');
      if (k > 0) headers[v.slice(0, k).trim().toLowerCase()] = v.slice(k + 1).trim();
    } else if (f === '-X' || f === '--request') method = v;
    else if (f === '-d' || f === '--data' || f === '--data-raw' || f === '--data-binary') method ??= 'POST';
    else if (f === '-m' || f === '--max-time') maxTime = parseFloat(v) * 1000;
    else if (f === '--connect-timeout') connectTimeout = parseFloat(v) * 1000;
    else if (f === '--resolve') {
      const [h, p, addr] = v.split(':');
      if (h && p && addr) resolves.set(`${h.toLowerCase()}:${p}`, addr);
    } else if (f === '-A' || f === '--user-agent') headers['user-agent'] = v;
    else if (f === '--cacert') trustLab = true;
  }
  if (!urls.length) {
    io.err("curl: try 'curl --help' or 'curl --manual' for more information\n");
    return 2;
  }
  const toStdout = output === undefined || output === '-';
  const errOut = (code: number, msg: string, extra: string[] = []) => {
    if (!silent || showError) {
      io.err(`curl: (${code}) ${msg}\n`);
      for (const l of extra) io.err(`${l}\n`);
    }
  };
  const vlog = (s: string) => {
    if (verbose) io.err(`${s}\n`);
  };
  let exit = 0;
  for (let u = 0; u < urls.length; u++) {
    let target = parseUrl(urls[u]!);
    let redirects = 0;
    for (;;) {
      if (!target) {
        errOut(3, 'URL rejected: Malformed input to a URL function');
        exit = 3;
        break;
      }
      const times: CurlTimes = { namelookup: 0, connect: 0, appconnect: 0, pretransfer: 0, starttransfer: 0, total: 0 };
      const wvars: Record<string, string> = { http_code: '000', response_code: '000', remote_ip: '', remote_port: '', local_ip: env.net.sourceIP, size_download: '0', size_header: '0', url_effective: urls[u]!, url: urls[u]!, ssl_verify_result: '0', exitcode: '0', errormsg: '', scheme: target.scheme.toUpperCase(), http_version: '0', num_redirects: String(redirects), content_type: '', method: method ?? (head ? 'HEAD' : 'GET') };
      const finish = (code: number, msg?: string, extra: string[] = []) => {
        for (const [k, v] of Object.entries(times)) wvars[`time_${k}`] = v.toFixed(6);
        wvars.time_redirect ??= '0.000000';
        wvars.speed_download = String(times.total > 0 ? Math.round(Number(wvars.size_download) / times.total) : 0);
        wvars.speed_upload ??= '0';
        wvars.size_upload ??= '0';
        wvars.size_request ??= '0';
        wvars.http_connect ??= '000';
        wvars.num_connects = times.connect > 0 ? '1' : '0';
        wvars.local_port ??= '';
        wvars.exitcode = String(code);
        if (msg) wvars.errormsg = msg;
        if (writeOut !== undefined) io.out(formatWriteOut(writeOut, wvars));
        if (code && msg) errOut(code, msg, extra);
        return code;
      };
      const t0 = Date.now();
      const elapsed = () => (Date.now() - t0) / 1000;
      let ip: string | undefined = resolves.get(`${target.host.toLowerCase()}:${target.port}`);
      const hostIsIP = isIPv4(target.host);
      if (!ip) {
        if (hostIsIP) ip = target.host;
        else {
          const r = await lookupHost(env.net, target.host);
          if (r.error === 'timeout') {
            const waited = Math.min(maxTime, 200);
            if (!(await sleep(waited, env.signal))) return 143;
            if (maxTime <= 200) {
              times.total = elapsed();
              exit = finish(28, `Resolving timed out after ${Math.round(maxTime)} milliseconds`);
              break;
            }
          }
          ip = r.addresses[0];
          times.namelookup = rnd(0.0008, 0.004);
          if (!ip) {
            times.total = times.namelookup;
            exit = finish(6, `Could not resolve host: ${target.host}`);
            break;
          }
          vlog(`* Host ${target.host}:${target.port} was resolved.`);
          vlog('* IPv6: (none)');
          vlog(`* IPv4: ${r.addresses.join(', ')}`);
        }
      } else vlog(`* Added ${target.host}:${target.port}:${ip} to DNS cache`);
      vlog(`*   Trying ${ip}:${target.port}...`);
      const conn = await env.net.connect(ip, target.port);
      wvars.remote_ip = ip;
      wvars.remote_port = String(target.port);
      if (conn.kind === 'refused' || conn.kind === 'unreachable') {
        const waitMs = conn.kind === 'unreachable' ? Math.min(3000, maxTime, connectTimeout) : 0;
        if (waitMs && !(await sleep(waitMs, env.signal))) return 143;
        times.connect = 0;
        times.total = times.namelookup + waitMs / 1000 + rnd(0.0001, 0.0004);
        if (conn.kind === 'unreachable' && waitMs < 3000) {
          exit = finish(28, `Failed to connect to ${target.host} port ${target.port} after ${waitMs} ms: Timeout was reached`);
          break;
        }
        vlog(`* connect to ${ip} port ${target.port} from ${env.net.sourceIP} port ${40000 + Math.floor(Math.random() * 20000)} failed: ${conn.kind === 'refused' ? 'Connection refused' : 'No route to host'}`);
        vlog(`* Failed to connect to ${target.host} port ${target.port} after ${Math.round(waitMs)} ms: Couldn't connect to server`);
        vlog('* closing connection #0');
        exit = finish(7, `Failed to connect to ${target.host} port ${target.port} after ${Math.round(waitMs)} ms: Couldn't connect to server`);
        break;
      }
      if (conn.kind === 'timeout') {
        const limit = Math.min(maxTime, connectTimeout);
        if (!(await sleep(Number.isFinite(limit) ? limit : 134_000, env.signal))) return 143;
        times.total = elapsed();
        const ms = Math.round(Number.isFinite(limit) ? limit : 134_000);
        exit = Number.isFinite(limit)
          ? finish(28, `${limit === connectTimeout ? 'Connection' : 'Connection'} timed out after ${ms} milliseconds`)
          : finish(28, `Failed to connect to ${target.host} port ${target.port} after ${ms} ms: Couldn't connect to server`);
        break;
      }
      times.connect = times.namelookup + (conn.connectMs !== undefined ? conn.connectMs / 1000 : rnd(0.0001, 0.0006));
      if (conn.localPort !== undefined) wvars.local_port = String(conn.localPort);
      vlog(`* Connected to ${target.host} (${ip}) port ${target.port}`);
      let http2 = false;
      if (target.scheme === 'https') {
        const sni = hostIsIP ? '' : target.host;
        const tls = await conn.tls?.(sni) ?? { selfSigned: true };
        if (tls.error) {
          times.total = elapsed();
          conn.close?.();
          exit = finish(35, tls.error);
          break;
        }
        const check = checkCert(tls, target.host, trustLab);
        times.appconnect = times.connect + (tls.ms !== undefined ? tls.ms / 1000 : rnd(0.002, 0.006));
        if (verbose) {
          vlog('* ALPN: curl offers h2,http/1.1');
          vlog('* TLSv1.3 (OUT), TLS handshake, Client hello (1):');
          if (!insecure) {
            vlog('*  CAfile: /etc/ssl/certs/ca-certificates.crt');
            vlog('*  CApath: /etc/ssl/certs');
          }
          vlog('* TLSv1.3 (IN), TLS handshake, Server hello (2):');
          vlog('* TLSv1.3 (IN), TLS handshake, Encrypted Extensions (8):');
          vlog('* TLSv1.3 (IN), TLS handshake, Certificate (11):');
          vlog('* TLSv1.3 (IN), TLS handshake, CERT verify (15):');
          vlog('* TLSv1.3 (IN), TLS handshake, Finished (20):');
          vlog('* TLSv1.3 (OUT), TLS change cipher, Change cipher spec (1):');
          vlog('* TLSv1.3 (OUT), TLS handshake, Finished (20):');
          vlog(`* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384 / x25519 / ${check.cert?.publicKey.asymmetricKeyType === 'rsa' ? 'RSASSA-PSS' : 'id-ecPublicKey'}`);
          vlog('* ALPN: server accepted h2');
          vlog('* Server certificate:');
          if (check.cert) {
            vlog(`*  subject: ${check.cert.subject.replace(/\n/g, '; ')}`);
            vlog(`*  start date: ${certDate(check.cert.validFrom)}`);
            vlog(`*  expire date: ${certDate(check.cert.validTo)}`);
            vlog(`*  subjectAltName: host "${target.host}" matched cert's "${(check.cert.subjectAltName ?? '').replace(/^DNS:/, '').split(', DNS:')[0]}"`);
            vlog(`*  issuer: ${check.cert.issuer.replace(/\n/g, '; ')}`);
          } else {
            vlog('*  subject: O=Acme Co; CN=Kubernetes Ingress Controller Fake Certificate');
            vlog('*  issuer: O=Acme Co; CN=Kubernetes Ingress Controller Fake Certificate');
          }
          if (!check.ok && insecure) vlog(`*  SSL certificate verify result: ${check.error?.replace(/^SSL certificate problem: /, '')} (${check.error?.includes('expired') ? 10 : check.error?.includes('self-signed') ? 18 : 20}), continuing anyway.`);
          else if (check.ok) vlog('*  SSL certificate verify ok.');
        }
        if (!check.ok && !insecure) {
          times.total = times.appconnect;
          wvars.ssl_verify_result = check.error?.includes('expired') ? '10' : check.error?.includes('self-signed') ? '18' : '20';
          exit = finish(60, check.error!, CURL_60_TAIL);
          break;
        }
        if (!check.ok) wvars.ssl_verify_result = check.error?.includes('expired') ? '10' : check.error?.includes('self-signed') ? '18' : '20';
      }
      const m = method ?? (head ? 'HEAD' : 'GET');
      const hostHeader = headers['host'] ?? (target.port === (target.scheme === 'https' ? 443 : 80) ? target.host : `${target.host}:${target.port}`);
      const req: HttpRequest = { method: m, scheme: target.scheme, host: target.host, port: target.port, path: target.path, headers: { ...headers, host: hostHeader } };
      const reply = await conn.request(req, { timeoutMs: maxTime - (Date.now() - t0), signal: env.signal });
      conn.close?.();
      if (env.signal?.aborted) return 143;
      http2 = reply.kind === 'response' && !!reply.http2;
      const proto = http2 ? 'HTTP/2' : 'HTTP/1.1';
      times.pretransfer = Math.max(times.connect, times.appconnect) + rnd(0.00002, 0.0001);
      if (verbose) {
        vlog(`> ${m} ${target.path} ${proto}`);
        vlog(`> Host: ${hostHeader}`);
        vlog(`> User-Agent: ${headers['user-agent'] ?? `curl/${CURL_VERSION}`}`);
        vlog('> Accept: */*');
        for (const [k, v] of Object.entries(headers)) if (k !== 'host' && k !== 'user-agent') vlog(`> ${k}: ${v}`);
        vlog('> ');
        vlog('* Request completely sent off');
      }
      if (reply.kind === 'hang') {
        const ok = reply.waitedMs !== undefined || (await sleep(maxTime, env.signal));
        if (!ok) return 143;
        times.total = elapsed();
        exit = finish(28, `Operation timed out after ${Math.round(maxTime)} milliseconds with 0 bytes received`);
        break;
      }
      if (reply.kind === 'reset') {
        times.total = times.pretransfer + rnd(0.0002, 0.001);
        vlog('* Recv failure: Connection reset by peer');
        vlog('* closing connection #0');
        exit = finish(56, 'Recv failure: Connection reset by peer');
        break;
      }
      if (reply.kind === 'empty') {
        times.total = times.pretransfer + rnd(0.0002, 0.001);
        vlog('* Empty reply from server');
        vlog('* shutting down connection #0');
        exit = finish(52, 'Empty reply from server');
        break;
      }
      if (reply.kind === 'refused') {
        times.total = times.pretransfer;
        exit = finish(7, `Failed to connect to ${target.host} port ${target.port} after 0 ms: Couldn't connect to server`);
        break;
      }
      if (reply.delayMs) {
        if (reply.delayMs > maxTime) {
          if (!(await sleep(maxTime, env.signal))) return 143;
          times.total = elapsed();
          exit = finish(28, `Operation timed out after ${Math.round(maxTime)} milliseconds with 0 bytes received`);
          break;
        }
        if (!(await sleep(reply.delayMs, env.signal))) return 143;
      }
      if (reply.firstByteMs !== undefined) {
        times.starttransfer = times.pretransfer + reply.firstByteMs / 1000;
        times.total = Math.max(times.starttransfer, elapsed());
      } else {
        times.starttransfer = times.pretransfer + (reply.delayMs ?? 0) / 1000 + rnd(0.0004, 0.002);
        times.total = times.starttransfer + rnd(0.00005, 0.0003);
      }
      wvars.http_code = wvars.response_code = String(reply.status);
      wvars.http_version = http2 ? '2' : '1.1';
      wvars.size_download = head ? '0' : String(Buffer.byteLength(reply.body));
      wvars.content_type = reply.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
      const statusLine = http2 ? `HTTP/2 ${reply.status} ` : `HTTP/1.1 ${reply.status} ${reply.reason}`;
      const shown = http2 ? reply.headers.filter(([k]) => !/^(connection|keep-alive|transfer-encoding)$/i.test(k)) : reply.headers;
      const headerLines = [statusLine, ...shown.map(([k, v]) => `${http2 ? k.toLowerCase() : k}: ${v}`)];
      wvars.size_header = String(headerLines.reduce((n, l) => n + l.length + 2, 2));
      if (verbose) {
        for (const l of headerLines) vlog(`< ${l}`);
        vlog('< ');
      }
      const location = reply.headers.find(([k]) => k.toLowerCase() === 'location')?.[1];
      if (fail && reply.status >= 400) {
        vlog(`* The requested URL returned error: ${reply.status}`);
        vlog(`* Connection #0 to host ${target.host} left intact`);
        exit = finish(22, `The requested URL returned error: ${reply.status}`);
        break;
      }
      if ((head || include) && toStdout) {
        for (const l of headerLines) io.out(`${l}\r\n`);
        io.out('\r\n');
      }
      if (!head && toStdout) io.out(reply.body);
      vlog(`* Connection #0 to host ${target.host} left intact`);
      if (follow && location && reply.status >= 300 && reply.status < 400 && redirects < 50) {
        redirects++;
        vlog(`* Issue another request to this URL: '${location}'`);
        target = parseUrl(location.startsWith('/') ? `${target.scheme}://${target.host}:${target.port}${location}` : location);
        continue;
      }
      wvars.url_effective = `${target.scheme}://${target.host}${target.port === (target.scheme === 'https' ? 443 : 80) ? '' : `:${target.port}`}${target.path}`;
      exit = finish(0);
      break;
    }
  }
  return exit;
}

// ─── wget (busybox) ────────────────────────────────────────────────────────────────────────────────────

async function cmdWget(args: string[], io: Io, env: CommandEnv): Promise<number> {
  let quiet = false;
  let output: string | undefined;
  let spider = false;
  let timeout = Infinity;
  const headers: Record<string, string> = {};
  const urls: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-q') quiet = true;
    else if (a === '-O') output = args[++i];
    else if (a.startsWith('-O') && a.length > 2) output = a.slice(2);
    else if (a === '-qO-' || a === '-qO' ) {
      quiet = true;
      output = a === '-qO-' ? '-' : args[++i];
    } else if (a === '--spider') spider = true;
    else if (a === '-T') timeout = parseFloat(args[++i] ?? '0') * 1000;
    else if (a.startsWith('--timeout=')) timeout = parseFloat(a.slice(10)) * 1000;
    else if (a === '--header') {
      const h = args[++i] ?? '';
      const k = h.indexOf(':');
      if (k > 0) headers[h.slice(0, k).trim().toLowerCase()] = h.slice(k + 1).trim();
    } else if (!a.startsWith('-')) urls.push(a);
  }
  const url = urls[0];
  const target = url ? parseUrl(url) : undefined;
  if (!target) {
    io.err('BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n');
    return 1;
  }
  let ip = isIPv4(target.host) ? target.host : undefined;
  if (!ip) {
    const r = await lookupHost(env.net, target.host);
    ip = r.addresses[0];
    if (!ip) {
      io.err(`wget: bad address '${target.host}'\n`);
      return 1;
    }
  }
  const file = output ?? (target.path.split('?')[0]!.split('/').pop() || 'index.html');
  if (!quiet) io.err(`Connecting to ${target.host}${target.port !== 80 && target.port !== 443 ? `:${target.port}` : ''} (${ip}:${target.port})\n`);
  const conn = await env.net.connect(ip, target.port);
  if (conn.kind === 'refused') {
    io.err(`wget: can't connect to remote host (${ip}): Connection refused\n`);
    return 1;
  }
  if (conn.kind === 'unreachable') {
    io.err(`wget: can't connect to remote host (${ip}): No route to host\n`);
    return 1;
  }
  if (conn.kind === 'timeout') {
    if (!(await sleep(Number.isFinite(timeout) ? timeout : 60_000, env.signal))) return 143;
    io.err('wget: download timed out\n');
    return 1;
  }
  if (target.scheme === 'https') {
    const tls = await conn.tls?.(target.host) ?? { selfSigned: true };
    const check = checkCert(tls, target.host, false);
    if (!check.ok && !args.includes('--no-check-certificate')) {
      io.err(`wget: TLS certificate verification is not implemented; use --no-check-certificate\n`);
    }
  }
  const reply = await conn.request({ method: spider ? 'HEAD' : 'GET', scheme: target.scheme, host: target.host, port: target.port, path: target.path, headers: { host: target.host, ...headers } }, { timeoutMs: Number.isFinite(timeout) ? timeout : 900_000, signal: env.signal });
  conn.close?.();
  if (reply.kind === 'hang') {
    if (reply.waitedMs === undefined && !(await sleep(Number.isFinite(timeout) ? timeout : 900_000, env.signal))) return 143;
    if (env.signal?.aborted) return 143;
    io.err('wget: download timed out\n');
    return 1;
  }
  if (reply.kind === 'reset' || reply.kind === 'refused') {
    io.err(`wget: error getting response: Connection reset by peer\n`);
    return 1;
  }
  if (reply.kind === 'empty') {
    io.err('wget: error getting response\n');
    return 1;
  }
  if (reply.delayMs && !(await sleep(reply.delayMs, env.signal))) return 143;
  if (reply.status >= 400) {
    io.err(`wget: server returned error: HTTP/1.1 ${reply.status} ${reply.reason}\n`);
    return 1;
  }
  if (spider) {
    if (!quiet) io.err('remote file exists\n');
    return 0;
  }
  const size = Buffer.byteLength(reply.body);
  if (file === '-') {
    if (!quiet) io.err('writing to stdout\n');
    io.out(reply.body);
    if (!quiet) io.err(`-                    100% |********************************| ${String(size).padStart(5)}  0:00:00 ETA\nwritten to stdout\n`);
  } else if (!quiet) {
    io.err(`saving to '${file}'\n`);
    io.err(`${file.padEnd(20).slice(0, 20)} 100% |********************************| ${String(size).padStart(5)}  0:00:00 ETA\n`);
    io.err(`'${file}' saved\n`);
  }
  return 0;
}

// ─── nc ─────────────────────────────────────────────────────────────────────────────────────────────────

async function cmdNc(args: string[], io: Io, env: CommandEnv): Promise<number> {
  let verbose = false;
  let zero = false;
  let wait = Infinity;
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-w') wait = parseFloat(args[++i] ?? '0') * 1000;
    else if (a.startsWith('-') && a.length > 1) {
      if (a.includes('v')) verbose = true;
      if (a.includes('z')) zero = true;
      if (a.includes('w') && a.endsWith('w')) wait = parseFloat(args[++i] ?? '0') * 1000;
    } else pos.push(a);
  }
  const [host, ...portArgs] = pos;
  if (!host || !portArgs.length) {
    io.err('usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n');
    return 1;
  }
  const busybox = isBusybox(env.image);
  const ports: number[] = [];
  for (const p of portArgs) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(p);
    if (!m) continue;
    for (let x = parseInt(m[1]!, 10); x <= parseInt(m[2] ?? m[1]!, 10); x++) ports.push(x);
  }
  let ip = isIPv4(host) ? host : undefined;
  if (!ip) {
    const r = await lookupHost(env.net, host);
    ip = r.addresses[0];
    if (!ip) {
      io.err(busybox ? `nc: bad address '${host}'\n` : `nc: getaddrinfo for host "${host}" port ${ports[0]}: Name or service not known\n`);
      return 1;
    }
  }
  let code = 0;
  for (const port of ports) {
    const c = await env.net.connect(ip, port);
    const svcName = PORT_NAMES[port] ?? '*';
    if (c.kind === 'open') {
      if (verbose) io.err(busybox ? `${host} (${ip}:${port}) open\n` : `Connection to ${host} (${ip}) ${port} port [tcp/${svcName}] succeeded!\n`);
      if (!zero) {
        // without -z nc would wait on stdin; the container has none
        if (!(await sleep(Number.isFinite(wait) ? wait : Infinity, env.signal))) return 143;
      }
      continue;
    }
    code = 1;
    if (c.kind === 'timeout') {
      if (!(await sleep(Number.isFinite(wait) ? wait : 130_000, env.signal))) return 143;
      if (verbose || !busybox) io.err(busybox ? `nc: ${host} (${ip}:${port}): Connection timed out\n` : `nc: connect to ${host} (${ip}) port ${port} (tcp) timed out: Operation now in progress\n`);
      continue;
    }
    const why = c.kind === 'refused' ? 'Connection refused' : 'No route to host';
    if (verbose || !busybox) io.err(busybox ? `nc: ${host} (${ip}:${port}): ${why}\n` : `nc: connect to ${host} (${ip}) port ${port} (tcp) failed: ${why}\n`);
  }
  return code;
}

// ─── ping ───────────────────────────────────────────────────────────────────────────────────────────────

async function cmdPing(args: string[], io: Io, env: CommandEnv): Promise<number> {
  let count = Infinity;
  let interval = 1000;
  let deadline = Infinity;
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-c') count = parseInt(args[++i] ?? '1', 10);
    else if (a.startsWith('-c') && a.length > 2) count = parseInt(a.slice(2), 10);
    else if (a === '-i') interval = parseFloat(args[++i] ?? '1') * 1000;
    else if (a === '-w' || a === '-W') deadline = parseFloat(args[++i] ?? '1') * 1000;
    else if (!a.startsWith('-')) pos.push(a);
  }
  const host = pos[0];
  if (!host) {
    io.err('ping: usage error: Destination address required\n');
    return 2;
  }
  if (env.rawSockets === false) {
    io.err(isBusybox(env.image) ? 'ping: permission denied (are you root?)\n' : 'ping: socket: Operation not permitted\n');
    return isBusybox(env.image) ? 1 : 2;
  }
  let ip = isIPv4(host) ? host : undefined;
  if (!ip) {
    const r = await lookupHost(env.net, host);
    ip = r.addresses[0];
    if (!ip) {
      io.err(`ping: ${host}: Name or service not known\n`);
      return 2;
    }
  }
  const busybox = isBusybox(env.image);
  io.out(busybox ? `PING ${host} (${ip}): 56 data bytes\n` : `PING ${host} (${ip}) 56(84) bytes of data.\n`);
  const ok = env.net.pingable(ip);
  const rtts: number[] = [];
  let sent = 0;
  const start = Date.now();
  while (sent < count && Date.now() - start < deadline) {
    sent++;
    if (ok) {
      const rtt = rnd(0.03, 0.12) + env.net.route(ip).length * 0.05;
      rtts.push(rtt);
      io.out(busybox ? `64 bytes from ${ip}: seq=${sent - 1} ttl=${64 - env.net.route(ip).length} time=${ms3(rtt)} ms\n` : `64 bytes from ${ip}: icmp_seq=${sent} ttl=${64 - env.net.route(ip).length} time=${rtt < 1 ? ms3(rtt) : rtt.toFixed(2)} ms\n`);
    }
    if (sent >= count) break;
    if (!(await sleep(interval, env.signal))) break;
  }
  const took = Date.now() - start;
  const recv = rtts.length;
  const loss = sent ? Math.round(((sent - recv) / sent) * 100) : 0;
  io.out(`\n--- ${host} ping statistics ---\n`);
  if (busybox) io.out(`${sent} packets transmitted, ${recv} packets received, ${loss}% packet loss\n`);
  else io.out(`${sent} packets transmitted, ${recv} received, ${loss}% packet loss, time ${took}ms\n`);
  if (recv) {
    const min = Math.min(...rtts);
    const max = Math.max(...rtts);
    const avg = rtts.reduce((a, b) => a + b, 0) / recv;
    const mdev = Math.sqrt(rtts.reduce((a, b) => a + (b - avg) ** 2, 0) / recv);
    io.out(busybox ? `round-trip min/avg/max = ${ms3(min)}/${ms3(avg)}/${ms3(max)} ms\n` : `rtt min/avg/max/mdev = ${ms3(min)}/${ms3(avg)}/${ms3(max)}/${ms3(mdev)} ms\n`);
  }
  return recv ? 0 : 1;
}

// ─── traceroute / tcptraceroute ─────────────────────────────────────────────────────────────────────────

async function cmdTraceroute(args: string[], io: Io, env: CommandEnv, tcptraceroute = false): Promise<number> {
  let tcp = false;
  let numeric = false;
  let maxHops = 30;
  let queries = 3;
  let port: number | undefined;
  let waitMs = 5000;
  let icmp = false;
  const pos: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-T') tcp = true;
    else if (a === '-n') numeric = true;
    else if (a === '-m') maxHops = parseInt(args[++i] ?? '30', 10);
    else if (a === '-q') queries = parseInt(args[++i] ?? '3', 10);
    else if (a === '-p') port = parseInt(args[++i] ?? '80', 10);
    else if (a === '-w') waitMs = (parseFloat((args[++i] ?? '5').split(',')[0]!) || 5) * 1000;
    else if (a === '-I') icmp = true;
    else if (a.startsWith('-') && a.length > 1) {
      if (a.includes('n')) numeric = true;
      if (a.includes('T')) tcp = true;
      if (a.includes('I')) icmp = true;
    } else pos.push(a);
  }
  const host = pos[0];
  if (tcptraceroute && pos[1]) port = parseInt(pos[1], 10);
  if (env.rawSockets === false && (tcp || icmp || tcptraceroute)) {
    // TCP SYN and ICMP probes need a raw socket: without CAP_NET_RAW (non-root, or capabilities dropped)
    if (tcptraceroute) io.err('tcptraceroute: socket: Operation not permitted\n');
    else io.err('You do not have enough privileges to use this traceroute method.\nsocket: Operation not permitted\n');
    return 1;
  }
  if (!host) {
    io.err(tcptraceroute ? 'Usage: tcptraceroute [-nNFSAE] [-i <interface>] [-f <first ttl>]\n' : 'Usage:\n  traceroute [ -46dFITnreAUDV ] [ -f first_ttl ] [ -g gate,... ] [ -i device ] [ -m max_ttl ] [ -N squeries ] [ -p port ] [ -t tos ] [ -l flow_label ] [ -w MAX,HERE,NEAR ] [ -q nqueries ] [ -s src_addr ] [ -z sendwait ] [ --fwmark=num ] host [ packetlen ]\n');
    return 2;
  }
  let ip = isIPv4(host) ? host : undefined;
  if (!ip) {
    const r = await lookupHost(env.net, host);
    ip = r.addresses[0];
    if (!ip) {
      io.err(tcptraceroute ? `Error: Unknown host ${host}\n` : `${host}: Name or service not known\nCannot handle "host" cmdline arg \`${host}' on position 1 (argc ${args.length})\n`);
      return tcptraceroute ? 1 : 2;
    }
  }
  const dport = port ?? 80;
  const ptr = async (addr: string): Promise<string> => {
    if (numeric) return addr;
    const q = `${addr.split('.').reverse().join('.')}.in-addr.arpa`;
    const r = await env.net.dns(env.net.resolvConf.nameservers[0]!, q, 'PTR');
    return r !== 'timeout' && r.answers[0] ? bare(r.answers[0].data) : addr;
  };
  const label = async (addr: string) => (numeric ? addr : `${await ptr(addr)} (${addr})`);
  // A loopback path has no router hops to discover: they come from the lab's topology (pod → node → node).
  const hops = env.net.route(ip);
  const times = (n: number, base: number) => Array.from({ length: n }, () => `${ms3(base + rnd(0.005, 0.06))} ms`).join('  ');
  /** The destination hop: with the data plane, one real TCP connect per query (RTT = handshake time). */
  let reached: 'open' | 'closed' | 'none';
  let finalTimes: string | undefined;
  if (tcp || tcptraceroute) {
    if (env.net.real) {
      const rtts: number[] = [];
      reached = 'none';
      for (let q = 0; q < queries; q++) {
        const t0 = performance.now();
        const c = await env.net.connect(ip, dport, { timeoutMs: waitMs, signal: env.signal });
        if (env.signal?.aborted) return 143;
        if (c.kind === 'open') c.close?.();
        if (c.kind === 'open' || c.kind === 'refused') {
          reached = reached === 'open' || c.kind === 'open' ? 'open' : 'closed';
          rtts.push(c.kind === 'open' && c.connectMs !== undefined ? c.connectMs : performance.now() - t0);
        }
      }
      if (reached !== 'none') finalTimes = rtts.map((x) => `${ms3(x)} ms`).join('  ');
    } else {
      const c = await env.net.connect(ip, dport);
      reached = c.kind === 'open' ? 'open' : c.kind === 'refused' ? 'closed' : 'none';
    }
  } else reached = env.net.pingable(ip) || ip.startsWith('127.') ? 'open' : 'none';
  if (tcptraceroute) {
    io.out(`Selected device eth0, address ${env.net.sourceIP}, port ${33000 + Math.floor(Math.random() * 20000)} for outgoing packets\n`);
    io.out(`Tracing the path to ${host} (${ip}) on TCP port ${dport} (${PORT_NAMES[dport] ?? dport}), ${maxHops} hops max\n`);
  } else io.out(`traceroute to ${host} (${ip}), ${maxHops} hops max, 60 byte packets\n`);
  let ttl = 0;
  for (const h of hops) {
    ttl++;
    if (ttl > maxHops) break;
    if (!(await sleep(2, env.signal))) return 143;
    io.out(`${String(ttl).padStart(2)}  ${tcptraceroute ? (numeric ? h : await ptr(h)) : await label(h)}  ${times(queries, 0.02 * ttl)}\n`);
  }
  if (reached !== 'none') {
    ttl++;
    const mark = tcptraceroute ? ` [${reached}]` : '';
    io.out(`${String(ttl).padStart(2)}  ${tcptraceroute ? (numeric ? ip : `${await ptr(ip)} (${ip})`) : await label(ip)}${mark}  ${finalTimes ?? times(queries, 0.03 * ttl)}\n`);
    return 0;
  }
  // nothing answers: traceroute sends its probes in parallel and prints a star per probe once they time out
  if (env.net.real && !(await sleep(Math.min(waitMs, 5000), env.signal))) return 143;
  for (ttl++; ttl <= maxHops; ttl++) {
    if (!(await sleep(5, env.signal))) return 143;
    io.out(`${String(ttl).padStart(2)}  ${Array.from({ length: queries }, () => '*').join(' ')}\n`);
  }
  return tcptraceroute ? 1 : 0;
}

// ─── openssl s_client ───────────────────────────────────────────────────────────────────────────────────

async function cmdOpenssl(args: string[], io: Io, env: CommandEnv): Promise<number> {
  if (args[0] !== 's_client') {
    io.err(`Invalid command '${args[0] ?? ''}'; type "help" for a list.\n`);
    return 1;
  }
  let connect: string | undefined;
  let servername: string | undefined;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-connect') connect = args[++i];
    else if (a === '-servername') servername = args[++i];
  }
  if (!connect) connect = 'localhost:4433';
  const [host, portS] = connect.split(':');
  const port = parseInt(portS ?? '443', 10);
  let ip = isIPv4(host!) ? host : undefined;
  if (!ip) {
    const r = await lookupHost(env.net, host!);
    ip = r.addresses[0];
    if (!ip) {
      io.err(`BIO_lookup_ex:system lib:crypto/bio/bio_addr.c:759:Name or service not known\nconnect:errno=0\n`);
      return 1;
    }
  }
  const c = await env.net.connect(ip, port);
  if (c.kind !== 'open') {
    if (c.kind === 'timeout' && !(await sleep(130_000, env.signal))) return 143;
    const errno = c.kind === 'refused' ? 111 : c.kind === 'unreachable' ? 113 : 110;
    io.err(`${c.kind === 'refused' ? '4007E0E1E37F0000' : '40F7B1C4E07F0000'}:error:8000006F:system library:BIO_connect:${c.kind === 'refused' ? 'Connection refused' : c.kind === 'unreachable' ? 'No route to host' : 'Connection timed out'}:../crypto/bio/bio_sock2.c:114:calling connect()\n`);
    io.err(`connect:errno=${errno}\n`);
    return 1;
  }
  const sni = servername ?? (isIPv4(host!) ? '' : host!);
  const tls = await c.tls?.(sni) ?? { selfSigned: true };
  c.close?.();
  io.out('CONNECTED(00000003)\n');
  if (tls.error) {
    // the peer closed or reset the connection during the handshake
    io.err(`40F7B1C4E07F0000:error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:../ssl/record/rec_layer_s3.c:303:\n---\nno peer certificate available\n---\nNo client certificate CA names sent\n---\nSSL handshake has read 0 bytes and written 311 bytes\n`);
    return 1;
  }
  const check = checkCert(tls, sni || host!, false);
  const cert = check.cert;
  const subj = cert ? cert.subject.replace(/\n/g, ', ').replace(/=/g, ' = ') : 'O = Acme Co, CN = Kubernetes Ingress Controller Fake Certificate';
  const iss = cert ? cert.issuer.replace(/\n/g, ', ').replace(/=/g, ' = ') : subj;
  const expired = check.error?.includes('expired');
  const selfSigned = !cert || !!tls.selfSigned;
  if (selfSigned) {
    io.out(`depth=0 ${subj}\nverify error:num=18:self-signed certificate\nverify return:1\ndepth=0 ${subj}\nverify return:1\n`);
  } else {
    io.out(`depth=0 ${subj}\nverify error:num=20:unable to get local issuer certificate\nverify return:1\n`);
    io.out(`depth=0 ${subj}\nverify error:num=21:unable to verify the first certificate\nverify return:1\n`);
    if (expired) io.out(`depth=0 ${subj}\nverify error:num=10:certificate has expired\nnotAfter=${certDate(cert.validTo)}\nverify return:1\n`);
    io.out(`depth=0 ${subj}\nverify return:1\n`);
  }
  io.out('---\nCertificate chain\n');
  io.out(` 0 s:${subj}\n   i:${iss}\n`);
  if (cert) io.out(`   a:PKEY: ${cert.publicKey.asymmetricKeyType === 'rsa' ? 'rsaEncryption, 2048' : 'id-ecPublicKey, 256'} (bit); sigalg: ${cert.publicKey.asymmetricKeyType === 'rsa' ? 'RSA-SHA256' : 'ecdsa-with-SHA256'}\n   v:NotBefore: ${certDate(cert.validFrom)}; NotAfter: ${certDate(cert.validTo)}\n`);
  io.out('---\nServer certificate\n');
  if (tls.certPem) io.out(tls.certPem.split(/(?<=-----END CERTIFICATE-----)/)[0]!.trim() + '\n');
  io.out(`subject=${subj}\nissuer=${iss}\n---\nNo client certificate CA names sent\nPeer signing digest: SHA256\nPeer signature type: ECDSA\nServer Temp Key: X25519, 253 bits\n---\n`);
  const read = 900 + (tls.certPem?.length ?? 1200);
  io.out(`SSL handshake has read ${read} bytes and written 392 bytes\n`);
  const code = selfSigned ? 18 : expired ? 10 : 21;
  const why = selfSigned ? 'self-signed certificate' : expired ? 'certificate has expired' : 'unable to verify the first certificate';
  io.out(`Verification error: ${why}\n---\nNew, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384\nServer public key is 256 bit\nSecure Renegotiation IS NOT supported\nCompression: NONE\nExpansion: NONE\nNo ALPN negotiated\nEarly data was not sent\nVerify return code: ${code} (${why})\n---\nDONE\n`);
  return 0;
}

// The network as a helper pod sees it, on the lab's REAL data plane: DNS queries are UDP/TCP packets to the lab's
// resolvers, connections are TCP sockets bound to the pod's IP (so the pod listeners' NetworkPolicy checks and
// kube-proxy see the real client), TLS and HTTP run over them. The store-backed model (commands.ts
// `labNetModel`) still supplies what a loopback path cannot show: resolv.conf, the router hops traceroute prints,
// whether ICMP is answered.
//
// Addresses a pod talks to and where they really go:
// - the cluster DNS Service (kube-dns ClusterIP) and the CoreDNS pod IPs → the primary lab resolver, as
//   kube-proxy's DNAT would send them to CoreDNS; no ready CoreDNS endpoint → no answer (timeout);
// - the node-local resolver of hostNetwork/Default-DNS pods (127.0.0.53) → the primary resolver for external
//   names; cluster names are NXDOMAIN there (the node's upstream does not know cluster.local);
// - the lab resolvers themselves (127.0.53.1/2) → their real host:port;
// - anything else on loopback → that address, port 53 (nothing listens: timeout);
// - addresses outside 127.0.0.0/8 are never contacted (the lab stays on loopback): timeout.
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import * as packet from 'dns-packet';
import type { KObject } from '../types.ts';
import type { ControllerContext } from '../controllers/runtime.ts';
import type { Connection, DnsReply, HttpReply, HttpRequest, NetModel, RequestOptions, RR, RRType, TlsInfo } from './commands.ts';

/** What the helper pods need from the data plane (src/lab/dataplane/index.ts `DataPlane` satisfies it). */
export interface InClusterDataPlane {
  info(): { enabled: boolean; resolver: string | null; resolvers: string[] };
  readonly parts?: {
    policy: { check(pod: KObject, port: number, protocol: string, sourceIP: string): boolean };
    index: { podByIP(ip: string): KObject | undefined };
    kubeProxy: {
      service(key: string): { svc: KObject; ports: { port: number; protocol: string; endpoints: { ip: string; port: number; ready: boolean; serving: boolean; terminating: boolean }[] }[] } | undefined;
      flows(): { at: number; client: string; service: string; port: number; via: string; node?: string; endpoint?: string; source?: string; result: string }[];
    };
  };
}

declare module '../controllers/runtime.ts' {
  interface ControllerContext {
    /** The running data plane (set by the lab when it serves one); helper pods use it for real I/O. */
    dataplane?: InClusterDataPlane;
  }
}

const CLUSTER_DOMAIN = 'cluster.local';
const NODE_RESOLVER = '127.0.0.53';
const CLUSTER_CIDR_PREFIX = '127.1.';

const isLoopback = (ip: string) => /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
const bare = (n: string) => n.replace(/\.$/, '').toLowerCase();
const fq = (n: string) => (n === '' || n === '.' ? '.' : `${n.replace(/\.$/, '')}.`);

function hostPort(hp: string | null | undefined): { host: string; port: number } | undefined {
  const m = hp ? /^(.*):(\d+)$/.exec(hp) : null;
  return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
}

// ─── DNS on the wire ────────────────────────────────────────────────────────────────────────────────────

/** A dns-packet answer as dig prints its RDATA. */
export function rrFromPacket(a: packet.Answer): RR | undefined {
  const name = fq(a.name ?? '');
  const ttl = (a as { ttl?: number }).ttl ?? 0;
  const d = (a as { data?: unknown }).data as any;
  switch (a.type) {
    case 'A':
    case 'AAAA':
      return { name, ttl, type: a.type, data: String(d) };
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { name, ttl, type: a.type, data: fq(String(d)) };
    case 'SRV':
      return { name, ttl, type: 'SRV', data: `${d.priority ?? 0} ${d.weight ?? 0} ${d.port} ${fq(d.target ?? '')}` };
    case 'MX':
      return { name, ttl, type: 'MX', data: `${d.preference ?? 0} ${fq(d.exchange ?? '')}` };
    case 'SOA':
      return { name, ttl, type: 'SOA', data: `${fq(d.mname ?? '')} ${fq(d.rname ?? '')} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}` };
    case 'TXT': {
      const parts = (Array.isArray(d) ? d : [d]).map((x: unknown) => `"${Buffer.isBuffer(x) ? x.toString() : String(x)}"`);
      return { name, ttl, type: 'TXT', data: parts.join(' ') };
    }
    default:
      return undefined;
  }
}

/** A decoded DNS response as the commands use it, with what dig prints about the exchange. */
export function replyFromPacket(buf: Buffer, ms: number, tcp: boolean): DnsReply {
  const p = packet.decode(buf);
  const flags = p.flags ?? 0;
  const rcode = String((p as { rcode?: string }).rcode ?? 'NOERROR') as DnsReply['rcode'];
  return {
    rcode,
    authoritative: (flags & packet.AUTHORITATIVE_ANSWER) !== 0,
    answers: (p.answers ?? []).map(rrFromPacket).filter((r): r is RR => !!r),
    authority: (p.authorities ?? []).map(rrFromPacket).filter((r): r is RR => !!r),
    wire: {
      size: buf.length,
      id: p.id ?? 0,
      ms,
      tcp,
      recursionAvailable: (flags & packet.RECURSION_AVAILABLE) !== 0,
      additional: (p.additionals ?? []).length,
      edns: (p.additionals ?? []).some((a) => a.type === 'OPT'),
    },
  };
}

function encodeQuery(name: string, type: RRType, id: number): Buffer {
  return packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ type: type as packet.RecordType, name: bare(name) || '.', class: 'IN' }],
    additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] } as unknown as packet.Answer],
  });
}

type QueryResult = { buf: Buffer; ms: number } | 'timeout';

/**
 * The one-shot ending of a query or connection: the first result wins; it clears the timeout (which, like an abort,
 * ends it with `timedOut`), stops listening to the signal and runs `cleanup` with the result (close the socket).
 */
function settleOnce<T>(resolve: (v: T) => void, timeoutMs: number, signal: AbortSignal | undefined, timedOut: T, cleanup: (v: T) => void): (v: T) => void {
  let done = false;
  const finish = (v: T) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    cleanup(v);
    resolve(v);
  };
  const onAbort = () => finish(timedOut);
  const timer = Number.isFinite(timeoutMs) ? setTimeout(() => finish(timedOut), Math.max(1, timeoutMs)) : undefined;
  signal?.addEventListener('abort', onAbort, { once: true });
  return finish;
}

/** One UDP query from `local` (the pod IP); resolves with the raw reply or 'timeout'. */
export function udpQuery(local: string | undefined, host: string, port: number, name: string, type: RRType, timeoutMs: number, signal?: AbortSignal): Promise<QueryResult> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 65536);
    const sock = dgram.createSocket('udp4');
    const t0 = performance.now();
    const finish = settleOnce<QueryResult>(resolve, timeoutMs, signal, 'timeout', () => {
      try {
        sock.close();
      } catch {
        // already closed
      }
    });
    sock.on('error', () => finish('timeout'));
    sock.on('message', (msg) => {
      if (msg.length >= 2 && msg.readUInt16BE(0) === id) finish({ buf: msg, ms: performance.now() - t0 });
    });
    const send = () => sock.send(encodeQuery(name, type, id), port, host, (err) => err && finish('timeout'));
    if (local && local !== '127.0.0.1') sock.bind({ address: local, port: 0 }, send);
    else send();
  });
}

/** One query over TCP (dig +tcp, or a truncated UDP answer). */
export function tcpQuery(local: string | undefined, host: string, port: number, name: string, type: RRType, timeoutMs: number, signal?: AbortSignal): Promise<QueryResult> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 65536);
    const t0 = performance.now();
    const sock = net.connect({ host, port, ...(local && local !== '127.0.0.1' ? { localAddress: local } : {}) });
    let buf = Buffer.alloc(0);
    const finish = settleOnce<QueryResult>(resolve, timeoutMs, signal, 'timeout', () => sock.destroy());
    sock.on('error', () => finish('timeout'));
    sock.on('connect', () => {
      const q = encodeQuery(name, type, id);
      const head = Buffer.alloc(2);
      head.writeUInt16BE(q.length);
      sock.write(Buffer.concat([head, q]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish({ buf: buf.subarray(2, 2 + buf.readUInt16BE(0)), ms: performance.now() - t0 });
    });
  });
}

// ─── TCP, TLS, HTTP ─────────────────────────────────────────────────────────────────────────────────────

type ConnectResult = { kind: 'open'; socket: net.Socket; ms: number } | { kind: 'refused' | 'timeout' | 'reset' };

/** A TCP connection from `local` (the pod IP; 127.0.0.1 lets the kernel choose). */
export function tcpConnect(local: string | undefined, host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = net.connect({ host, port, noDelay: true, ...(local && local !== '127.0.0.1' ? { localAddress: local } : {}) });
    const finish = settleOnce<ConnectResult>(resolve, timeoutMs, signal, { kind: 'timeout' }, (r) => r.kind !== 'open' && socket.destroy());
    socket.once('error', (e: NodeJS.ErrnoException) => finish({ kind: e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ECONNRESET' ? 'reset' : 'timeout' }));
    socket.once('connect', () => finish({ kind: 'open', socket, ms: performance.now() - t0 }));
  });
}

function pemOf(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** Wraps a connected socket in TLS (no verification here: the commands verify as curl/openssl would). */
export function tlsHandshake(socket: net.Socket, sni: string, timeoutMs = 10_000): Promise<{ socket: tls.TLSSocket; info: TlsInfo }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = tls.connect({ socket, servername: sni && !net.isIP(sni) ? sni : undefined, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    let done = false;
    const timer = setTimeout(() => finish({ error: `Connection timed out after ${timeoutMs} milliseconds` }), timeoutMs);
    const finish = (info: TlsInfo) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ socket: s, info });
    };
    s.once('error', (e: NodeJS.ErrnoException) =>
      finish({ error: e.code === 'ECONNRESET' ? 'Recv failure: Connection reset by peer' : `OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to ${sni || socket.remoteAddress}:${socket.remotePort} ` }),
    );
    s.once('secureConnect', () => {
      const peer = s.getPeerCertificate(true);
      const chain: string[] = [];
      let cur: tls.DetailedPeerCertificate | undefined = peer?.raw ? peer : undefined;
      const seen = new Set<string>();
      while (cur?.raw && !seen.has(cur.fingerprint256)) {
        seen.add(cur.fingerprint256);
        chain.push(pemOf(cur.raw));
        cur = cur.issuerCertificate;
      }
      let selfSigned = false;
      if (chain[0]) {
        try {
          const c = new X509Certificate(chain[0]);
          selfSigned = c.subject === c.issuer && c.checkIssued(c);
        } catch {
          selfSigned = false;
        }
      }
      finish({ certPem: chain.join('') || undefined, selfSigned, ms: performance.now() - t0, protocol: s.getProtocol() ?? undefined, cipher: s.getCipher()?.name });
    });
  });
}

/** One HTTP/1.1 exchange on an open socket. */
export function httpExchange(socket: net.Socket, req: HttpRequest, opts: RequestOptions = {}): Promise<HttpReply> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let done = false;
    let gotBytes = false;
    const finish = (r: HttpReply) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const timeoutMs = opts.timeoutMs ?? Infinity;
    const timer = Number.isFinite(timeoutMs) ? setTimeout(() => {
      finish({ kind: 'hang', waitedMs: performance.now() - t0 });
      socket.destroy();
    }, Math.max(1, timeoutMs)) : undefined;
    const onAbort = () => {
      finish({ kind: 'hang', waitedMs: performance.now() - t0 });
      socket.destroy();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('data', () => (gotBytes = true));
    const headers: Record<string, string> = { 'User-Agent': 'curl/8.11.1', Accept: '*/*' };
    for (const [k, v] of Object.entries(req.headers)) {
      if (k.toLowerCase() === 'host') headers.Host = v;
      else if (k.toLowerCase() === 'user-agent') headers['User-Agent'] = v;
      else headers[k] = v;
    }
    const r = http.request({ createConnection: () => socket, method: req.method, path: req.path, headers, setHost: false } as http.RequestOptions);
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' && !gotBytes && e.message === 'socket hang up') finish({ kind: 'empty' });
      else if (e.code === 'ECONNRESET') finish({ kind: 'reset' });
      else finish({ kind: 'empty' });
    });
    r.on('response', (res) => {
      const firstByteMs = performance.now() - t0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 4_000_000) chunks.push(c);
        size += c.length;
      });
      const done2 = () => {
        const pairs: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        finish({ kind: 'response', status: res.statusCode ?? 0, reason: res.statusMessage ?? '', headers: pairs, body: Buffer.concat(chunks).toString(), firstByteMs });
      };
      res.on('end', done2);
      res.on('error', done2);
      res.on('aborted', done2);
    });
    r.end();
  });
}

// ─── the pod's view ─────────────────────────────────────────────────────────────────────────────────────

export interface RealNetOptions {
  ctx: ControllerContext;
  dataplane: InClusterDataPlane;
  /** The store-backed model for this pod (resolv.conf, hops, ICMP). */
  model: NetModel;
  /** The pod's IP (hostNetwork: the node's). */
  sourceIP: string;
  /** The pod itself (for hairpin and policy predictions). */
  self?: KObject;
}

/** A NetModel whose DNS and TCP are real sockets on the lab's data plane. */
export function realNet(o: RealNetOptions): NetModel {
  const { ctx, dataplane, model } = o;
  const T = (g: string, p: string) => ctx.registry.type(g, p);
  const resolvers = () => dataplane.info().resolvers.map(hostPort).filter((x): x is { host: string; port: number } => !!x);
  const primary = () => hostPort(dataplane.info().resolver) ?? resolvers()[0];

  function kubeDns(): KObject | undefined {
    return ctx.store.get(T('', 'services'), 'kube-system', 'kube-dns');
  }

  function coreDnsReady(): boolean {
    const svc = kubeDns();
    if (!svc) return true;
    const st = dataplane.parts?.kubeProxy.service('kube-system/kube-dns');
    if (!st) return true;
    return st.ports.some((p) => p.endpoints.some((e) => e.ready));
  }

  function coreDnsPodIPs(): string[] {
    const sel = kubeDns()?.spec?.selector;
    if (!sel) return [];
    return ctx.store
      .list(T('', 'pods'), 'kube-system')
      .filter((p) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v) && p.status?.podIP)
      .map((p) => p.status.podIP as string);
  }

  /** Where a query to server:port really goes, or why it gets no answer. */
  function dnsTarget(server: string, port: number): { host: string; port: number; nodeLocal?: boolean } | 'timeout' {
    const svc = kubeDns();
    const clusterIPs: string[] = svc?.spec?.clusterIPs ?? (svc?.spec?.clusterIP ? [svc.spec.clusterIP] : ['127.2.0.10']);
    if ((clusterIPs.includes(server) && port === 53) || (coreDnsPodIPs().includes(server) && port === 53)) {
      if (clusterIPs.includes(server) && !coreDnsReady()) return 'timeout';
      return primary() ?? 'timeout';
    }
    if (server === NODE_RESOLVER && port === 53) {
      const p = primary();
      return p ? { ...p, nodeLocal: true } : 'timeout';
    }
    for (const r of resolvers()) if (r.host === server && (port === 53 || port === r.port)) return r;
    if (!isLoopback(server)) return 'timeout';
    return { host: server, port };
  }

  async function dns(server: string, name: string, type: RRType, opts: { tcp?: boolean; port?: number } = {}): Promise<DnsReply | 'timeout'> {
    const target = dnsTarget(server, opts.port ?? 53);
    if (target === 'timeout') return 'timeout';
    const n = bare(name);
    if (target.nodeLocal && (n === CLUSTER_DOMAIN || n.endsWith(`.${CLUSTER_DOMAIN}`))) {
      // the node's resolver forwards upstream, which has never heard of cluster.local
      return { rcode: 'NXDOMAIN', authoritative: false, answers: [], authority: [{ name: '.', ttl: 86400, type: 'SOA', data: 'a.root-servers.net. nstld.verisign-grs.com. 2025010100 1800 900 604800 86400' }] };
    }
    const local = o.sourceIP;
    let r = opts.tcp ? await tcpQuery(local, target.host, target.port, n, type, 5000) : await udpQuery(local, target.host, target.port, n, type, 2000);
    if (r === 'timeout') return 'timeout';
    if (!opts.tcp && (r.buf.readUInt16BE(2) & packet.TRUNCATED_RESPONSE) !== 0) {
      // dig and libc retry a truncated answer over TCP
      const t = await tcpQuery(local, target.host, target.port, n, type, 5000);
      if (t !== 'timeout') return replyFromPacket(t.buf, r.ms + t.ms, true);
    }
    try {
      return replyFromPacket(r.buf, r.ms, !!opts.tcp);
    } catch {
      return 'timeout';
    }
  }

  /** Whether kube-proxy/the pod's policy would drop a SYN from this pod (loopback completes the handshake anyway). */
  function predictedDrop(ip: string, port: number): boolean {
    const parts = dataplane.parts;
    if (!parts) return false;
    const denies = (podIP: string, p: number) => {
      const pod = parts.index.podByIP(podIP);
      return !!pod && !parts.policy.check(pod, p, 'TCP', o.sourceIP);
    };
    if (ip.startsWith(CLUSTER_CIDR_PREFIX)) return denies(ip, port);
    for (const s of ctx.store.list(T('', 'services'))) {
      const ips: string[] = s.spec?.clusterIPs ?? (s.spec?.clusterIP && s.spec.clusterIP !== 'None' ? [s.spec.clusterIP] : []);
      if (!ips.includes(ip)) continue;
      const st = parts.kubeProxy.service(`${s.metadata.namespace}/${s.metadata.name}`);
      const sp = st?.ports.find((x) => x.port === port && x.protocol === 'TCP');
      if (!sp) return false;
      let eps = sp.endpoints.filter((e) => e.ready);
      if (!eps.length) eps = sp.endpoints.filter((e) => e.serving && e.terminating);
      // every endpoint kube-proxy may pick drops us: the connection can only time out
      return eps.length > 0 && eps.every((e) => denies(e.ip, e.port));
    }
    return false;
  }

  async function connect(ip: string, port: number, opts: RequestOptions = {}): Promise<Connection> {
    if (!isLoopback(ip)) return { kind: 'timeout' };
    const r = await tcpConnect(o.sourceIP, ip, port, Math.min(opts.timeoutMs ?? 10_000, 10_000), opts.signal);
    if (r.kind === 'refused') {
      // a pod IP nobody holds: nothing answers ARP on the node's bridge
      if (ip.startsWith(CLUSTER_CIDR_PREFIX) && !dataplane.parts?.index.podByIP(ip)) return { kind: 'unreachable' };
      return { kind: 'refused' };
    }
    if (r.kind !== 'open') return { kind: r.kind === 'reset' ? 'refused' : 'timeout' };
    let sock: net.Socket = r.socket;
    sock.on('error', () => {});
    if (predictedDrop(ip, port)) {
      sock.destroy();
      return { kind: 'timeout' };
    }
    const localPort = sock.localPort;
    return {
      kind: 'open',
      label: `${ip}:${port}`,
      connectMs: r.ms,
      localPort,
      close: () => sock.destroy(),
      async tls(sni: string) {
        const t = await tlsHandshake(sock, sni);
        sock = t.socket;
        sock.on('error', () => {});
        return t.info;
      },
      request: (req: HttpRequest, ro?: RequestOptions) => httpExchange(sock, req, ro),
    };
  }

  return {
    resolvConf: model.resolvConf,
    dns,
    connect,
    pingable: (ip) => model.pingable(ip),
    route: (ip) => model.route(ip),
    sourceIP: o.sourceIP,
    real: true,
  };
}

// The lab's DNS: two resolvers on loopback (primary 127.0.53.1, secondary 127.0.53.2), each over UDP and TCP,
// port 53 when it can be bound, else one free port per resolver. They answer, in this order:
//
// 1. DNSRecord objects (lab.netpath.dev/v1, cluster-scoped: spec {name, type A|AAAA|CNAME, values, ttl,
//    resolvers?}). A record that names `resolvers` ("primary", "secondary", an address or address:port) is served
//    only by those, so one resolver can disagree with the other (split horizon, a stale cache);
// 2. the names the lab publishes the way external-dns would: external-dns hostname annotations on LoadBalancer
//    Services, Ingress hosts → the Ingress's load-balancer address, Gateway listener / HTTPRoute hostnames → the
//    Gateway's addresses;
// 3. cluster names as CoreDNS answers them (`svc.ns.svc.cluster.local` → ClusterIP, headless → ready pod IPs,
//    `a-b-c-d.ns.pod.cluster.local`, SRV for named ports, PTR);
//
// else NXDOMAIN with the zone's SOA in the authority section; a name that exists without the asked type gets
// NOERROR and no answer. The rules themselves are the lab's NetModel (runtime/commands.ts), the same ones the
// helper pods' dig/nslookup print, read from the Store on every query.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import type { ControllerContext } from '../controllers/runtime.ts';
import { type DnsReply, labNetModel, type RR, type RRType } from '../runtime/commands.ts';
import type { Store } from '../store/store.ts';
import type { ResourceDef } from '../resources.ts';
import type { KObject } from '../types.ts';

export const PRIMARY_RESOLVER_IP = '127.0.53.1';
export const SECONDARY_RESOLVER_IP = '127.0.53.2';
const CLUSTER_DOMAIN = 'cluster.local';
const NODE_RESOLVER = '127.0.0.53';

export interface ResolverIdentity {
  /** `primary` or `secondary`. */
  name: string;
  ip: string;
  port: number;
}

/** Whether a DNSRecord is served by this resolver (no `resolvers` list: by all of them). */
export function servedBy(record: KObject, who: ResolverIdentity): boolean {
  const list: unknown = record.spec?.resolvers;
  if (!Array.isArray(list) || !list.length) return true;
  return list.some((r) => {
    const s = String(r).trim().toLowerCase();
    return s === who.name || s === who.ip || s === `${who.ip}:${who.port}`;
  });
}

/** The Store as one resolver sees it: DNSRecords it does not serve are invisible. */
function viewFor(store: Store, who: ResolverIdentity): Store {
  const view = Object.create(store) as Store;
  view.list = (def: ResourceDef, ns?: string, opts?: any) => {
    const all = store.list(def, ns, opts);
    return def.group === 'lab.netpath.dev' && def.plural === 'dnsrecords' ? all.filter((r) => servedBy(r, who)) : all;
  };
  view.get = (def: ResourceDef, ns: string | undefined, name: string) => {
    const o = store.get(def, ns, name);
    return o && def.group === 'lab.netpath.dev' && def.plural === 'dnsrecords' && !servedBy(o, who) ? undefined : o;
  };
  return view;
}

/** One question answered from the lab's objects, as this resolver sees them. */
export function answerQuestion(ctx: ControllerContext, who: ResolverIdentity, name: string, type: string): DnsReply | 'servfail' {
  const model = labNetModel(viewFor(ctx.store, who), ctx.registry, { name: 'lab-resolver', namespace: 'default', dnsPolicy: 'ClusterFirst' });
  const n = name.replace(/\.$/, '').toLowerCase();
  const cluster = n === CLUSTER_DOMAIN || n.endsWith(`.${CLUSTER_DOMAIN}`);
  // The cluster DNS Service answers cluster names; everything else is what the node's resolver answers.
  const server = cluster ? model.resolvConf.nameservers[0]! : NODE_RESOLVER;
  const r = model.dns(server, n, type as RRType);
  if (r === 'timeout') return 'servfail';
  return r;
}

function toAnswer(rr: RR): packet.Answer | undefined {
  const name = rr.name.replace(/\.$/, '') || '.';
  const ttl = rr.ttl;
  const host = (s: string) => s.replace(/\.$/, '');
  switch (rr.type) {
    case 'A':
    case 'AAAA':
      return { name, type: rr.type, ttl, data: rr.data } as packet.Answer;
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return { name, type: rr.type, ttl, data: host(rr.data) } as packet.Answer;
    case 'TXT':
      return { name, type: 'TXT', ttl, data: rr.data.replace(/^"|"$/g, '') };
    case 'MX': {
      const [pref, ex] = rr.data.split(/\s+/);
      return { name, type: 'MX', ttl, data: { preference: Number(pref), exchange: host(ex ?? '') } };
    }
    case 'SRV': {
      const [priority, weight, port, target] = rr.data.split(/\s+/);
      return { name, type: 'SRV', ttl, data: { priority: Number(priority), weight: Number(weight), port: Number(port), target: host(target ?? '') } };
    }
    case 'SOA': {
      const [mname, rname, serial, refresh, retry, expire, minimum] = rr.data.split(/\s+/);
      return {
        name,
        type: 'SOA',
        ttl,
        data: { mname: host(mname ?? ''), rname: host(rname ?? ''), serial: Number(serial), refresh: Number(refresh), retry: Number(retry), expire: Number(expire), minimum: Number(minimum) },
      };
    }
    default:
      return undefined;
  }
}

const RCODE: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

/** Builds the response packet for a decoded query. `maxSize` bounds UDP answers (TC set when they do not fit). */
export function respond(ctx: ControllerContext, who: ResolverIdentity, query: packet.Packet, maxSize = Infinity): Buffer {
  const q = query.questions?.[0];
  const rd = ((query.flags ?? 0) & packet.RECURSION_DESIRED) !== 0;
  const opt = (query.additionals ?? []).find((a) => a.type === 'OPT');
  const base = {
    id: query.id ?? 0,
    type: 'response' as const,
    questions: query.questions ?? [],
    additionals: (opt ? [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, options: [] }] : []) as unknown as packet.Answer[],
  };
  const enc = (p: object) => packet.encode(p as packet.Packet);
  const opcode = ((query.flags ?? 0) >> 11) & 0xf;
  let flags = (rd ? packet.RECURSION_DESIRED : 0) | packet.RECURSION_AVAILABLE;
  if (!q || opcode !== 0 || (query.questions?.length ?? 0) !== 1) {
    return enc({ ...base, flags: flags | (opcode ? RCODE.NOTIMP! : RCODE.FORMERR!) });
  }
  let reply: DnsReply | 'servfail';
  try {
    reply = q.class && q.class !== 'IN' ? { rcode: 'REFUSED', authoritative: false, answers: [], authority: [] } : answerQuestion(ctx, who, q.name, String(q.type));
  } catch {
    reply = 'servfail';
  }
  if (reply === 'servfail') return enc({ ...base, flags: flags | RCODE.SERVFAIL! });
  // Authoritative answers are CoreDNS's own zone (cluster.local, in-addr.arpa): like CoreDNS's kubernetes plugin it
  // answers `qr aa rd` without RA (dig: "recursion requested but not available"); forwarded names keep RA.
  if (reply.authoritative) flags = (flags | packet.AUTHORITATIVE_ANSWER) & ~packet.RECURSION_AVAILABLE;
  flags |= RCODE[reply.rcode] ?? 0;
  const answers = reply.answers.map(toAnswer).filter((a): a is packet.Answer => !!a);
  const authorities = reply.authority.map(toAnswer).filter((a): a is packet.Answer => !!a);
  const full = enc({ ...base, flags, answers, authorities });
  if (full.length <= maxSize) return full;
  return enc({ ...base, flags: flags | packet.TRUNCATED_RESPONSE });
}

/**
 * A DNS server for wire-format queries answered as resolver `who` answers them (the cluster DNS pods forward
 * non-cluster names to the node's resolver, the lab's primary). Undefined: not a DNS query (dropped).
 */
/** What a DNS server answers: the response to one wire-format query (`maxSize` bounds UDP answers). */
export type DnsAnswerer = (query: Buffer, maxSize: number) => Buffer | undefined;

export function dnsAnswerer(ctx: ControllerContext, who: ResolverIdentity): DnsAnswerer {
  return (msg, maxSize) => {
    let query: packet.Packet;
    try {
      query = packet.decode(msg);
    } catch {
      return undefined;
    }
    if (query.type !== 'query') return undefined;
    const opt = (query.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
    const max = maxSize === Infinity ? Infinity : Math.max(512, Math.min(opt?.udpPayloadSize ?? 512, 4096));
    return respond(ctx, who, query, max);
  };
}

/** DNS over TCP (two-byte length framing, several queries per connection) on an accepted socket. */
export function serveDnsOverTcp(sock: net.Socket, answer: DnsAnswerer): void {
  sock.setTimeout(10_000, () => sock.destroy());
  let buf = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const msg = buf.subarray(2, 2 + len);
      buf = buf.subarray(2 + len);
      const out = answer(msg, Infinity);
      if (!out) {
        sock.destroy();
        return;
      }
      const head = Buffer.alloc(2);
      head.writeUInt16BE(out.length);
      sock.write(Buffer.concat([head, out]));
    }
  });
}

interface Bound {
  udp: dgram.Socket;
  tcp: net.Server;
  port: number;
}

function bindUdp(ip: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: 'udp4' });
    s.once('error', (e) => {
      s.close();
      reject(e);
    });
    s.bind({ address: ip, port, exclusive: true }, () => {
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}

function bindTcp(ip: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: ip, port, exclusive: true }, () => {
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}

/** UDP and TCP on the same port: 53 when bindable, else a free one. */
async function bindPair(ip: string): Promise<Bound> {
  const wants = [53];
  let lastErr: unknown;
  for (let attempt = 0; attempt < 12; attempt++) {
    const want = wants[attempt] ?? 0;
    let udp: dgram.Socket | undefined;
    try {
      udp = await bindUdp(ip, want);
      const port = udp.address().port;
      const tcp = await bindTcp(ip, port);
      return { udp, tcp, port };
    } catch (e) {
      lastErr = e;
      udp?.close();
    }
  }
  throw new Error(`cannot bind a DNS resolver on ${ip}: ${(lastErr as Error)?.message ?? lastErr}`);
}

function serve(ctx: ControllerContext, who: ResolverIdentity, b: Bound): { close(): Promise<void> } {
  // UDP: garbage and non-queries are dropped, as resolvers drop them; answers are bounded by the EDNS size.
  const answerUdp = dnsAnswerer(ctx, who);
  b.udp.on('message', (msg, rinfo) => {
    const out = answerUdp(msg, 512);
    if (out) b.udp.send(out, rinfo.port, rinfo.address);
  });
  b.udp.on('error', () => {});
  // TCP: every decodable message is answered, unbounded; garbage closes the connection.
  const answerTcp: DnsAnswerer = (msg) => {
    let query: packet.Packet;
    try {
      query = packet.decode(msg);
    } catch {
      return undefined;
    }
    return respond(ctx, who, query);
  };
  const conns = new Set<net.Socket>();
  b.tcp.on('connection', (sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => {});
    serveDnsOverTcp(sock, answerTcp);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of conns) c.destroy();
        let n = 2;
        const done = () => --n === 0 && resolve();
        b.udp.close(done);
        b.tcp.close(() => done());
      }),
  };
}

/**
 * Starts the primary and secondary resolvers. `resolver` is the primary's `host:port` (the lab's ready line),
 * `resolvers` both.
 */
export async function startDns(ctx: ControllerContext): Promise<{ resolver: string; resolvers: string[]; stop(): Promise<void> }> {
  const servers: { close(): Promise<void> }[] = [];
  const addrs: string[] = [];
  try {
    for (const [name, ip] of [
      ['primary', PRIMARY_RESOLVER_IP],
      ['secondary', SECONDARY_RESOLVER_IP],
    ] as const) {
      const b = await bindPair(ip);
      servers.push(serve(ctx, { name, ip, port: b.port }, b));
      addrs.push(`${ip}:${b.port}`);
    }
  } catch (e) {
    await Promise.all(servers.map((s) => s.close()));
    throw e;
  }
  let stopped = false;
  return {
    resolver: addrs[0]!,
    resolvers: addrs,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

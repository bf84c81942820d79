// UDP for the data plane: a listener manager for datagram sockets on (address, port), and the connection
// tracking kube-proxy and the load balancers use to forward UDP flows.
//
// - `UdpListeners.sync(owner, wanted)` is the UDP twin of ListenerManager.sync (net.ts): idempotent, first owner
//   of an address:port keeps it, handlers swapped in place. A port nothing listens on answers with the kernel's
//   ICMP port unreachable, so a client's connected socket gets ECONNREFUSED — how kube-proxy's REJECT rule for a
//   Service without endpoints looks to a UDP client too.
// - `UdpConntrack.forward` relays one datagram of a flow (client address:port → a virtual address) to the endpoint
//   chosen for that flow, from a socket bound to the source address the endpoint must see, and relays answers
//   back from the virtual address (what conntrack's reverse NAT does). A flow keeps its endpoint until it has been
//   idle for 30 s (nf_conntrack_udp_timeout) or the endpoint goes away.
import * as dgram from 'node:dgram';
import { addrKey, plainIP } from './net.ts';

export interface UdpPeer {
  address: string;
  port: number;
}

/** Handles one datagram; `reply` sends from the listener's own address:port back to the sender. */
export type DatagramHandler = (msg: Buffer, from: UdpPeer, reply: (buf: Buffer) => void) => void;

export interface UdpListenerSpec {
  address: string;
  port: number;
  handler: DatagramHandler;
}

interface Entry {
  key: string;
  address: string;
  port: number;
  claims: { owner: string; spec: UdpListenerSpec }[];
  socket?: dgram.Socket;
  bound: boolean;
  op: Promise<void>;
  failed?: string;
}

export class UdpListeners {
  private entries = new Map<string, Entry>();
  private byOwner = new Map<string, Set<string>>();
  private reserved = new Set<string>();
  private changeListeners = new Set<(address: string, port: number, bound: boolean) => void>();
  private reported = new Set<string>();
  private closed = false;
  private readonly log: (line: string) => void;

  constructor(opts: { log?: (line: string) => void } = {}) {
    this.log = opts.log ?? ((l) => console.error(`lab: data plane: ${l}`));
  }

  reserve(address: string, port: number): void {
    this.reserved.add(addrKey(address, port));
  }

  isBound(address: string, port: number): boolean {
    return this.entries.get(addrKey(address, port))?.bound ?? false;
  }

  onChange(fn: (address: string, port: number, bound: boolean) => void): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  sync(owner: string, wanted: UdpListenerSpec[]): void {
    if (this.closed) return;
    const keys = new Set<string>();
    for (const spec of wanted) {
      const key = addrKey(spec.address, spec.port);
      if (keys.has(key) || this.reserved.has(key)) continue;
      keys.add(key);
      let e = this.entries.get(key);
      if (!e) {
        e = { key, address: spec.address, port: spec.port, claims: [], bound: false, op: Promise.resolve() };
        this.entries.set(key, e);
      }
      const mine = e.claims.find((c) => c.owner === owner);
      if (mine) mine.spec = spec;
      else {
        e.claims.push({ owner, spec });
        if (e.claims.length > 1) this.reportOnce(`conflict:${key}:${owner}`, `${owner} wants udp ${key}, which ${e.claims[0]!.owner} already listens on; it waits until that one lets go`);
      }
      if (!e.socket || e.failed) this.schedule(e);
    }
    for (const key of this.byOwner.get(owner) ?? []) {
      if (keys.has(key)) continue;
      const e = this.entries.get(key);
      if (!e) continue;
      e.claims = e.claims.filter((c) => c.owner !== owner);
      this.schedule(e);
    }
    if (keys.size) this.byOwner.set(owner, keys);
    else this.byOwner.delete(owner);
  }

  release(owner: string): void {
    this.sync(owner, []);
  }

  async settled(): Promise<void> {
    for (;;) {
      const ops = [...this.entries.values()].map((e) => e.op);
      await Promise.all(ops);
      const again = [...this.entries.values()].map((e) => e.op);
      if (again.every((op, i) => op === ops[i])) return;
    }
  }

  private schedule(e: Entry): void {
    e.op = e.op.then(() => this.apply(e)).catch(() => {});
  }

  private async apply(e: Entry): Promise<void> {
    const want = !this.closed && e.claims.length > 0;
    if (want && !e.socket) {
      const sock = dgram.createSocket({ type: 'udp4' });
      const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        sock.once('error', resolve);
        sock.bind({ address: e.address, port: e.port, exclusive: true }, () => {
          sock.removeListener('error', resolve);
          resolve(undefined);
        });
      });
      if (err) {
        try {
          sock.close();
        } catch {
          // never bound
        }
        e.failed = err.code ?? String(err);
        if (err.code === 'EACCES')
          this.reportOnce('eacces', `cannot bind privileged UDP ports (< 1024) without root (EACCES on ${e.key}); UDP listeners on low ports (cluster DNS on 53) are skipped — run as root or set net.ipv4.ip_unprivileged_port_start=0`);
        else this.reportOnce(`bind:${e.key}:${err.code}`, `cannot listen on udp ${e.key} for ${e.claims[0]?.owner ?? '?'}: ${err.code ?? err.message}`);
        return;
      }
      sock.on('error', () => {});
      sock.on('message', (msg, rinfo) => {
        const claim = e.claims[0];
        if (!claim) return;
        const from = { address: plainIP(rinfo.address), port: rinfo.port };
        try {
          claim.spec.handler(msg, from, (buf) => {
            if (e.socket === sock) sock.send(buf, from.port, from.address);
          });
        } catch (err2) {
          this.reportOnce(`handler:${e.key}`, `datagram handler on udp ${e.key} failed: ${(err2 as Error)?.message ?? err2}`);
        }
      });
      e.socket = sock;
      e.bound = true;
      e.failed = undefined;
      if (this.closed || !e.claims.length) return this.apply(e);
      this.emit(e.address, e.port, true);
      return;
    }
    if (!want && e.socket) {
      const sock = e.socket;
      e.socket = undefined;
      e.bound = false;
      await new Promise<void>((resolve) => sock.close(() => resolve()));
      this.emit(e.address, e.port, false);
    }
    if (!e.claims.length && !e.socket && this.entries.get(e.key) === e) this.entries.delete(e.key);
  }

  private emit(address: string, port: number, bound: boolean): void {
    for (const fn of this.changeListeners) {
      try {
        fn(address, port, bound);
      } catch {
        // observers must not break the manager
      }
    }
  }

  private reportOnce(id: string, line: string): void {
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.log(line);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) {
      e.claims = [];
      this.schedule(e);
    }
    await this.settled();
    this.byOwner.clear();
  }
}

/** nf_conntrack_udp_timeout: an idle UDP flow is forgotten after 30 s. */
export const UDP_FLOW_IDLE_MS = 30_000;

interface UdpFlow {
  sock: dgram.Socket;
  endpoint: string;
  timer: NodeJS.Timeout;
  reply: (buf: Buffer) => void;
  ready: boolean;
  queue: Buffer[];
}

/** UDP connection tracking: flows from a client to a virtual address, each pinned to one endpoint. */
export class UdpConntrack {
  private flows = new Map<string, UdpFlow>();
  private readonly idleMs: number;

  constructor(opts: { idleMs?: number } = {}) {
    this.idleMs = opts.idleMs ?? UDP_FLOW_IDLE_MS;
  }

  /** The endpoint (`ip:port`) an existing flow is pinned to, if any. */
  endpointOf(client: UdpPeer, vip: string): string | undefined {
    return this.flows.get(`${client.address}:${client.port}>${vip}`)?.endpoint;
  }

  /**
   * Relays `msg` of the flow client → vip to `endpoint` (ip:port) from `source` ('' = the kernel's choice);
   * answers go back through `reply`.
   */
  forward(msg: Buffer, client: UdpPeer, vip: string, endpoint: string, source: string, reply: (buf: Buffer) => void): void {
    const id = `${client.address}:${client.port}>${vip}`;
    let f = this.flows.get(id);
    if (f && f.endpoint !== endpoint) {
      this.drop(id);
      f = undefined;
    }
    if (!f) {
      const m = /^(.*):(\d+)$/.exec(endpoint);
      if (!m) return;
      const sock = dgram.createSocket({ type: 'udp4' });
      const flow: UdpFlow = { sock, endpoint, reply, ready: false, queue: [msg], timer: setTimeout(() => this.drop(id), this.idleMs) };
      flow.timer.unref();
      this.flows.set(id, flow);
      // ICMP errors from the endpoint (nothing listens) end the flow; the client sees no answer.
      sock.on('error', () => this.drop(id));
      sock.on('message', (buf) => {
        this.touch(id);
        flow.reply(buf);
      });
      const connect = () =>
        sock.connect(Number(m[2]), m[1]!, () => {
          flow.ready = true;
          for (const q of flow.queue.splice(0)) sock.send(q);
        });
      const local = plainIP(source) === '127.0.0.1' ? '' : plainIP(source);
      try {
        if (local) sock.bind({ address: local, port: 0 }, connect);
        else connect();
      } catch {
        this.drop(id);
      }
      return;
    }
    f.reply = reply;
    this.touch(id);
    if (f.ready) f.sock.send(msg);
    else f.queue.push(msg);
  }

  /** Forgets the flows pinned to endpoints `gone` says are gone (an endpoint removed from the Service). */
  prune(gone: (endpoint: string) => boolean): void {
    for (const [id, f] of this.flows) if (gone(f.endpoint)) this.drop(id);
  }

  get size(): number {
    return this.flows.size;
  }

  private touch(id: string): void {
    this.flows.get(id)?.timer.refresh();
  }

  private drop(id: string): void {
    const f = this.flows.get(id);
    if (!f) return;
    this.flows.delete(id);
    clearTimeout(f.timer);
    try {
      f.sock.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    for (const id of [...this.flows.keys()]) this.drop(id);
  }
}

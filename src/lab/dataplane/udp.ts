// UDP for the data plane: a listener manager for datagram sockets on (address, port), and the connection
// tracking kube-proxy and the load balancers use to forward UDP flows.
//
// - `UdpListeners.sync(owner, wanted)` is the UDP twin of ListenerManager.sync (net.ts; the shared bookkeeping is
//   listeners.ts): idempotent, first owner of an address:port keeps it, handlers swapped in place. A port nothing listens on answers with the kernel's
//   ICMP port unreachable, so a client's connected socket gets ECONNREFUSED — how kube-proxy's REJECT rule for a
//   Service without endpoints looks to a UDP client too.
// - `UdpConntrack.forward` relays one datagram of a flow (client address:port → a virtual address) to the endpoint
//   chosen for that flow, from a socket bound to the source address the endpoint must see, and relays answers
//   back from the virtual address (what conntrack's reverse NAT does). A flow keeps its endpoint until it has been
//   idle for 30 s (nf_conntrack_udp_timeout) or the endpoint goes away.
import * as dgram from 'node:dgram';
import { type BindResult, bindOutcome, ClaimedListeners, type ListenerEntry } from './listeners.ts';
import { plainIP } from './net.ts';

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

export class UdpListeners extends ClaimedListeners<UdpListenerSpec, dgram.Socket> {
  constructor(opts: { log?: (line: string) => void } = {}) {
    super('udp ', opts);
  }

  protected newEntry(base: ListenerEntry<UdpListenerSpec, dgram.Socket>): ListenerEntry<UdpListenerSpec, dgram.Socket> {
    return base;
  }

  protected async bind(e: ListenerEntry<UdpListenerSpec, dgram.Socket>): Promise<BindResult<dgram.Socket>> {
    const sock = dgram.createSocket({ type: 'udp4' });
    const err = await bindOutcome(sock, (listening) => sock.bind({ address: e.address, port: e.port, exclusive: true }, listening));
    if (err) {
      try {
        sock.close();
      } catch {
        // never bound
      }
      return { ok: false, err };
    }
    sock.on('error', () => {});
    sock.on('message', (msg, rinfo) => {
      const claim = e.claims[0];
      if (!claim) return;
      const from = { address: plainIP(rinfo.address), port: rinfo.port };
      try {
        claim.spec.handler(msg, from, (buf) => {
          if (e.handle === sock) sock.send(buf, from.port, from.address);
        });
      } catch (err2) {
        this.reportOnce(`handler:${e.key}`, `datagram handler on udp ${e.key} failed: ${(err2 as Error)?.message ?? err2}`);
      }
    });
    return { ok: true, handle: sock };
  }

  protected reportBindError(e: ListenerEntry<UdpListenerSpec, dgram.Socket>, err: NodeJS.ErrnoException): void {
    if (err.code === 'EACCES')
      this.reportOnce('eacces', `cannot bind privileged UDP ports (< 1024) without root (EACCES on ${e.key}); UDP listeners on low ports (cluster DNS on 53) are skipped — run as root or set net.ipv4.ip_unprivileged_port_start=0`);
    else this.reportOnce(`bind:${e.key}:${err.code}`, `cannot listen on udp ${e.key} for ${e.claims[0]?.owner ?? '?'}: ${err.code ?? err.message}`);
  }

  protected async unbind(_e: ListenerEntry<UdpListenerSpec, dgram.Socket>, sock: dgram.Socket): Promise<void> {
    await new Promise<void>((resolve) => sock.close(() => resolve()));
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

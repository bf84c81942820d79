// The data plane's sockets: a listener manager that binds and unbinds TCP listeners on (address, port) as the
// parts of the data plane reconcile, `connectFrom` for connections whose source is a lab address (a pod IP, a
// node IP), and the "drop" every part uses for silently discarded traffic.
//
// Every listener belongs to an owner (`pod:ns/name`, `svc:ns/name`, `lb:ns/name`, …). `sync(owner, wanted)` is
// idempotent: it binds what is missing, closes what the owner no longer wants and swaps connection handlers in
// place. Two owners wanting the same address and port: the first keeps it, the second gets it when the first lets
// go (the conflict is reported once, as EADDRINUSE would be).
//
// Privileged ports (< 1024) bind only as root (or with net.ipv4.ip_unprivileged_port_start lowered on Linux). On
// EACCES the lab reports once, in one line, and skips every such listener: Services and pods on low ports then
// refuse connections, everything else works.
//
// The owner/claim bookkeeping is shared with the UDP listener manager (udp.ts): see listeners.ts.
import * as net from 'node:net';
import { type BindResult, bindOutcome, type Claim, ClaimedListeners, type ListenerEntry } from './listeners.ts';

export type ConnectionHandler = (socket: net.Socket) => void;

export interface ListenerSpec {
  address: string;
  port: number;
  /** Called for every accepted connection (the socket already has an error handler). */
  handler: ConnectionHandler;
  /** Destroy the connections this listener accepted when it closes (a container exiting). Default true. */
  dropConnectionsOnClose?: boolean;
}

interface Entry extends ListenerEntry<ListenerSpec, net.Server> {
  sockets: Set<net.Socket>;
}

/** `::ffff:127.1.1.5` → `127.1.1.5` */
export function plainIP(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export class ListenerManager extends ClaimedListeners<ListenerSpec, net.Server, Entry> {
  private reportedEacces = false;

  constructor(opts: { log?: (line: string) => void } = {}) {
    super('', opts);
  }

  protected newEntry(base: ListenerEntry<ListenerSpec, net.Server>): Entry {
    return { ...base, sockets: new Set() };
  }

  /** Connections a listener accepted count as its own (closed with it when dropConnectionsOnClose). */
  private accept(e: Entry, socket: net.Socket): void {
    socket.on('error', () => {});
    const claim = e.claims[0];
    if (!claim) {
      socket.resetAndDestroy();
      return;
    }
    e.sockets.add(socket);
    socket.once('close', () => e.sockets.delete(socket));
    try {
      claim.spec.handler(socket);
    } catch (err) {
      this.reportOnce(`handler:${e.key}`, `connection handler on ${e.key} failed: ${(err as Error)?.message ?? err}`);
      socket.destroy();
    }
  }

  /** The connections `was` (the owner letting go) accepted go with it, unless it asked to keep them. */
  protected override letGo(e: Entry, was: Claim<ListenerSpec>): void {
    if (was.spec.dropConnectionsOnClose === false) return;
    for (const s of e.sockets) s.destroy();
    e.sockets.clear();
  }

  protected async bind(e: Entry): Promise<BindResult<net.Server>> {
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(e, s));
    const err = await bindOutcome(server, (listening) => server.listen({ host: e.address, port: e.port, exclusive: true }, listening));
    if (err) return { ok: false, err };
    server.on('error', () => {});
    return { ok: true, handle: server };
  }

  protected async unbind(e: Entry, server: net.Server): Promise<void> {
    // close() releases the listening socket at once; its callback waits for the accepted connections, which
    // may outlive the listener (kube-proxy's, the load balancer's) and must not hold up a rebind.
    server.close();
    if (this.closed) {
      for (const s of e.sockets) s.destroy();
      e.sockets.clear();
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  protected reportBindError(e: Entry, err: NodeJS.ErrnoException): void {
    if (err.code === 'EACCES') {
      if (this.reportedEacces) return;
      this.reportedEacces = true;
      this.log(
        `cannot bind privileged ports (< 1024) without root (EACCES on ${e.key}); listeners on low ports are skipped — run as root or set net.ipv4.ip_unprivileged_port_start=0`,
      );
      return;
    }
    this.reportOnce(`bind:${e.key}:${err.code}`, `cannot listen on ${e.key} for ${e.claims[0]?.owner ?? '?'}: ${err.code ?? err.message}`);
  }
}

/**
 * A TCP connection from `localAddress` (a pod or node IP, so that the server and NetworkPolicy see the real
 * client). An empty or undefined localAddress lets the kernel choose (127.0.0.1 towards loopback addresses).
 */
export function connectFrom(localAddress: string | undefined, host: string, port: number, opts: { allowHalfOpen?: boolean } = {}): net.Socket {
  // 127.0.0.1 is what the kernel picks anyway; not binding it lets the kernel share ephemeral ports across
  // destinations (an explicit bind reserves a port per source address for every connection).
  const local = plainIP(localAddress) === '127.0.0.1' ? '' : plainIP(localAddress);
  return net.connect({
    host,
    port,
    noDelay: true,
    allowHalfOpen: opts.allowHalfOpen ?? false,
    ...(local ? { localAddress: local } : {}),
  });
}

/**
 * Where silently dropped connections wait: never read, never answered, destroyed after `ms` or when the data
 * plane stops. On loopback the TCP handshake itself succeeds (the kernel completes it before the lab sees the
 * connection), so a client sees a connection that never answers — a read timeout rather than a connect timeout.
 */
export class Blackhole {
  private held = new Map<net.Socket, NodeJS.Timeout>();

  hold(socket: net.Socket, ms: number, end: 'destroy' | 'reset' = 'destroy'): void {
    socket.on('error', () => {});
    socket.pause();
    const t = setTimeout(() => {
      this.held.delete(socket);
      if (end === 'reset') socket.resetAndDestroy();
      else socket.destroy();
    }, ms);
    t.unref();
    this.held.set(socket, t);
    socket.once('close', () => {
      const timer = this.held.get(socket);
      if (timer) clearTimeout(timer);
      this.held.delete(socket);
    });
  }

  get size(): number {
    return this.held.size;
  }

  close(): void {
    for (const [s, t] of this.held) {
      clearTimeout(t);
      s.destroy();
    }
    this.held.clear();
  }
}

/** A duplex splice between an accepted connection and an upstream one, half-closes propagated. */
export function splice(client: net.Socket, upstream: net.Socket, onUpstreamFail: (err: NodeJS.ErrnoException) => void): void {
  let connected = false;
  client.on('error', () => upstream.destroy());
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected) return onUpstreamFail(err);
    if (err.code === 'ECONNRESET') client.resetAndDestroy();
    else client.destroy();
  });
  upstream.once('connect', () => {
    connected = true;
    client.pipe(upstream);
    upstream.pipe(client);
  });
  client.once('close', () => {
    if (!upstream.destroyed) upstream.destroy();
  });
}

// ─── addresses ──────────────────────────────────────────────────────────────────────────────────────────

export function ipToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

/** IPv4 CIDR membership (`10.0.0.0/8`, a bare address is a /32). IPv6 never matches an IPv4 address. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsRaw] = cidr.trim().split('/');
  const a = ipToInt(plainIP(ip));
  const b = ipToInt(base ?? '');
  if (a === undefined || b === undefined) return false;
  const bits = bitsRaw === undefined ? 32 : Number(bitsRaw);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  if (bits === 0) return true;
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

export const LOOPBACK_CIDR = '127.0.0.0/8';
/** The lab's cluster CIDR (every node's podCIDR is a /24 in it), as kube-proxy's clusterCIDR. */
export const CLUSTER_CIDR = '127.1.0.0/16';

export function isLoopback(ip: string): boolean {
  return inCidr(ip, LOOPBACK_CIDR);
}

/**
 * Whether extra loopback addresses can be bound (Linux routes all of 127/8 to lo; macOS only 127.0.0.1 unless
 * aliases were added). Resolves with a one-line reason when they cannot.
 */
export async function checkLoopback(addresses = ['127.0.10.1', '127.1.1.1']): Promise<{ ok: true } | { ok: false; reason: string }> {
  for (const address of addresses) {
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const s = net.createServer();
      s.once('error', resolve);
      s.listen({ host: address, port: 0, exclusive: true }, () => s.close(() => resolve(undefined)));
    });
    if (err) {
      return {
        ok: false,
        reason: `data plane disabled: cannot bind loopback address ${address} (${err.code ?? err.message}); on macOS add aliases (sudo ifconfig lo0 alias ${address} up) — running the control plane only`,
      };
    }
  }
  return { ok: true };
}

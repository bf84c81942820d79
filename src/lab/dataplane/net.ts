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
import * as net from 'node:net';

export type ConnectionHandler = (socket: net.Socket) => void;

export interface ListenerSpec {
  address: string;
  port: number;
  /** Called for every accepted connection (the socket already has an error handler). */
  handler: ConnectionHandler;
  /** Destroy the connections this listener accepted when it closes (a container exiting). Default true. */
  dropConnectionsOnClose?: boolean;
}

interface Claim {
  owner: string;
  spec: ListenerSpec;
}

interface Entry {
  key: string;
  address: string;
  port: number;
  claims: Claim[];
  server?: net.Server;
  bound: boolean;
  /** Serialises bind/close on this address:port. */
  op: Promise<void>;
  sockets: Set<net.Socket>;
  failed?: string;
}

export type ListenerChange = (address: string, port: number, bound: boolean) => void;

export function addrKey(address: string, port: number): string {
  return `${address}:${port}`;
}

/** `::ffff:127.1.1.5` → `127.1.1.5` */
export function plainIP(ip: string | undefined): string {
  if (!ip) return '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export class ListenerManager {
  private entries = new Map<string, Entry>();
  private byOwner = new Map<string, Set<string>>();
  private reserved = new Set<string>();
  private changeListeners = new Set<ListenerChange>();
  private reportedEacces = false;
  private reported = new Set<string>();
  private closed = false;
  private readonly log: (line: string) => void;

  constructor(opts: { log?: (line: string) => void } = {}) {
    this.log = opts.log ?? ((l) => console.error(`lab: data plane: ${l}`));
  }

  /** Keeps an address:port for someone else (the DNS server): never bound here. */
  reserve(address: string, port: number): void {
    this.reserved.add(addrKey(address, port));
  }

  isReserved(address: string, port: number): boolean {
    return this.reserved.has(addrKey(address, port));
  }

  /** True when a listener is accepting on address:port right now. */
  isBound(address: string, port: number): boolean {
    return this.entries.get(addrKey(address, port))?.bound ?? false;
  }

  /** Notified after a listener was bound or closed. Returns an unsubscribe function. */
  onChange(fn: ListenerChange): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /** What `owner` wants bound now; everything else it held is closed. */
  sync(owner: string, wanted: ListenerSpec[]): void {
    if (this.closed) return;
    const keys = new Set<string>();
    for (const spec of wanted) {
      const key = addrKey(spec.address, spec.port);
      if (keys.has(key) || this.reserved.has(key)) continue;
      keys.add(key);
      let e = this.entries.get(key);
      if (!e) {
        e = { key, address: spec.address, port: spec.port, claims: [], bound: false, op: Promise.resolve(), sockets: new Set() };
        this.entries.set(key, e);
      }
      const mine = e.claims.find((c) => c.owner === owner);
      if (mine) mine.spec = spec;
      else {
        e.claims.push({ owner, spec });
        if (e.claims.length > 1) this.reportOnce(`conflict:${key}:${owner}`, `${owner} wants ${key}, which ${e.claims[0]!.owner} already listens on; it waits until that one lets go`);
      }
      // Already listening: the new handler takes the next connection, nothing to bind.
      if (!e.server || e.failed) this.schedule(e);
    }
    const before = this.byOwner.get(owner);
    if (before) {
      for (const key of before) {
        if (keys.has(key)) continue;
        const e = this.entries.get(key);
        if (!e) continue;
        const first = e.claims[0];
        e.claims = e.claims.filter((c) => c.owner !== owner);
        if (first?.owner === owner) this.dropSockets(e, first);
        this.schedule(e);
      }
    }
    if (keys.size) this.byOwner.set(owner, keys);
    else this.byOwner.delete(owner);
  }

  /** Releases everything `owner` holds. */
  release(owner: string): void {
    this.sync(owner, []);
  }

  /** Resolves once every pending bind and close has finished (tests, start-up). */
  async settled(): Promise<void> {
    for (;;) {
      const ops = [...this.entries.values()].map((e) => e.op);
      await Promise.all(ops);
      const again = [...this.entries.values()].map((e) => e.op);
      if (again.every((op, i) => op === ops[i])) return;
    }
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
  private dropSockets(e: Entry, was: Claim): void {
    if (was.spec.dropConnectionsOnClose === false) return;
    for (const s of e.sockets) s.destroy();
    e.sockets.clear();
  }

  private schedule(e: Entry): void {
    e.op = e.op.then(() => this.apply(e)).catch(() => {});
  }

  private async apply(e: Entry): Promise<void> {
    const want = !this.closed && e.claims.length > 0;
    if (want && !e.server) {
      const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => this.accept(e, s));
      const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        server.once('error', resolve);
        server.listen({ host: e.address, port: e.port, exclusive: true }, () => {
          server.removeListener('error', resolve);
          resolve(undefined);
        });
      });
      if (err) {
        e.failed = err.code ?? String(err);
        this.reportBindError(e, err);
        return;
      }
      server.on('error', () => {});
      e.server = server;
      e.bound = true;
      e.failed = undefined;
      if (this.closed || !e.claims.length) return this.apply(e);
      this.emit(e.address, e.port, true);
      return;
    }
    if (!want && e.server) {
      const server = e.server;
      e.server = undefined;
      e.bound = false;
      // close() releases the listening socket at once; its callback waits for the accepted connections, which
      // may outlive the listener (kube-proxy's, the load balancer's) and must not hold up a rebind.
      server.close();
      if (this.closed) {
        for (const s of e.sockets) s.destroy();
        e.sockets.clear();
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.emit(e.address, e.port, false);
    }
    if (!e.claims.length && !e.server && this.entries.get(e.key) === e) this.entries.delete(e.key);
  }

  private emit(address: string, port: number, bound: boolean): void {
    for (const fn of this.changeListeners) {
      try {
        fn(address, port, bound);
      } catch {
        // a broken observer must not break the listener manager
      }
    }
  }

  private reportBindError(e: Entry, err: NodeJS.ErrnoException): void {
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

  private reportOnce(id: string, line: string): void {
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.log(line);
  }

  /** Closes every listener and every connection they accepted. */
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

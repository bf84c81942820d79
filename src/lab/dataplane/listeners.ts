// The bookkeeping the TCP listener manager (net.ts) and the UDP one (udp.ts) share: owners claim (address, port)
// pairs, `sync(owner, wanted)` is idempotent, the first owner of an address:port keeps it and the next one gets it
// when the first lets go, binds and closes on one address:port are serialised, observers hear of every bind and
// close. What a "listener" is — a net.Server or a dgram.Socket — and how it binds, reports a failed bind and closes
// is the subclass's.

export interface ListenerAddress {
  address: string;
  port: number;
}

export interface Claim<S> {
  owner: string;
  spec: S;
}

export interface ListenerEntry<S, H> {
  key: string;
  address: string;
  port: number;
  /** Owners wanting this address:port, in arrival order; the first one's spec serves it. */
  claims: Claim<S>[];
  /** The bound listener (server or socket), while there is one. */
  handle?: H;
  bound: boolean;
  /** Serialises bind/close on this address:port. */
  op: Promise<void>;
  failed?: string;
}

export type ListenerChange = (address: string, port: number, bound: boolean) => void;

export function addrKey(address: string, port: number): string {
  return `${address}:${port}`;
}

export type BindResult<H> = { ok: true; handle: H } | { ok: false; err: NodeJS.ErrnoException };

export abstract class ClaimedListeners<S extends ListenerAddress, H, E extends ListenerEntry<S, H> = ListenerEntry<S, H>> {
  protected entries = new Map<string, E>();
  private byOwner = new Map<string, Set<string>>();
  private reserved = new Set<string>();
  private changeListeners = new Set<ListenerChange>();
  private reported = new Set<string>();
  protected closed = false;
  protected readonly log: (line: string) => void;
  /** Names the kind of listener in conflict reports ('' for TCP, 'udp ' for UDP). */
  private readonly what: string;

  constructor(what: string, opts: { log?: (line: string) => void } = {}) {
    this.what = what;
    this.log = opts.log ?? ((l) => console.error(`lab: data plane: ${l}`));
  }

  /** A new, unbound entry for address:port. */
  protected abstract newEntry(base: ListenerEntry<S, H>): E;
  /** Binds a listener on e's address:port; the entry's claims serve what it receives. */
  protected abstract bind(e: E): Promise<BindResult<H>>;
  /** Reports a failed bind (once per kind of failure). */
  protected abstract reportBindError(e: E, err: NodeJS.ErrnoException): void;
  /** Closes a listener nobody wants any more (already taken off the entry). */
  protected abstract unbind(e: E, handle: H): Promise<void>;
  /** `was`, the claim that served e, was let go by its owner (another owner may take over). */
  protected letGo(_e: E, _was: Claim<S>): void {}

  /** Keeps an address:port for someone else (the DNS server): never bound here. */
  reserve(address: string, port: number): void {
    this.reserved.add(addrKey(address, port));
  }

  isReserved(address: string, port: number): boolean {
    return this.reserved.has(addrKey(address, port));
  }

  /** True when a listener is bound on address:port right now. */
  isBound(address: string, port: number): boolean {
    return this.entries.get(addrKey(address, port))?.bound ?? false;
  }

  /** Notified after a listener was bound or closed. Returns an unsubscribe function. */
  onChange(fn: ListenerChange): () => void {
    this.changeListeners.add(fn);
    return () => this.changeListeners.delete(fn);
  }

  /** What `owner` wants bound now; everything else it held is closed. */
  sync(owner: string, wanted: S[]): void {
    if (this.closed) return;
    const keys = new Set<string>();
    for (const spec of wanted) {
      const key = addrKey(spec.address, spec.port);
      if (keys.has(key) || this.reserved.has(key)) continue;
      keys.add(key);
      let e = this.entries.get(key);
      if (!e) {
        e = this.newEntry({ key, address: spec.address, port: spec.port, claims: [], bound: false, op: Promise.resolve() });
        this.entries.set(key, e);
      }
      const mine = e.claims.find((c) => c.owner === owner);
      if (mine) mine.spec = spec;
      else {
        e.claims.push({ owner, spec });
        if (e.claims.length > 1) this.reportOnce(`conflict:${key}:${owner}`, `${owner} wants ${this.what}${key}, which ${e.claims[0]!.owner} already listens on; it waits until that one lets go`);
      }
      // Already listening: the new handler takes the next connection or datagram, nothing to bind.
      if (!e.handle || e.failed) this.schedule(e);
    }
    for (const key of this.byOwner.get(owner) ?? []) {
      if (keys.has(key)) continue;
      const e = this.entries.get(key);
      if (!e) continue;
      const first = e.claims[0];
      e.claims = e.claims.filter((c) => c.owner !== owner);
      if (first?.owner === owner) this.letGo(e, first);
      this.schedule(e);
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

  /** Closes every listener (and, for TCP, every connection they accepted). */
  async close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) {
      e.claims = [];
      this.schedule(e);
    }
    await this.settled();
    this.byOwner.clear();
  }

  protected reportOnce(id: string, line: string): void {
    if (this.reported.has(id)) return;
    this.reported.add(id);
    this.log(line);
  }

  private schedule(e: E): void {
    e.op = e.op.then(() => this.apply(e)).catch(() => {});
  }

  private async apply(e: E): Promise<void> {
    const want = !this.closed && e.claims.length > 0;
    if (want && !e.handle) {
      const r = await this.bind(e);
      if (!r.ok) {
        e.failed = r.err.code ?? String(r.err);
        this.reportBindError(e, r.err);
        return;
      }
      e.handle = r.handle;
      e.bound = true;
      e.failed = undefined;
      if (this.closed || !e.claims.length) return this.apply(e);
      this.emit(e.address, e.port, true);
      return;
    }
    if (!want && e.handle) {
      const handle = e.handle;
      e.handle = undefined;
      e.bound = false;
      await this.unbind(e, handle);
      this.emit(e.address, e.port, false);
    }
    if (!e.claims.length && !e.handle && this.entries.get(e.key) === e) this.entries.delete(e.key);
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
}

/** Resolves with the error of a failed bind/listen, or undefined once `start`'s callback says it is listening. */
export function bindOutcome(target: NodeJS.EventEmitter, start: (listening: () => void) => void): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    target.once('error', resolve);
    start(() => {
      target.removeListener('error', resolve);
      resolve(undefined);
    });
  });
}

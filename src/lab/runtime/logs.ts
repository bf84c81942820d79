// Container log streams as the kubelet keeps them: the current instance of each container and the previous one.

export interface LogLine {
  /** Epoch milliseconds. */
  at: number;
  text: string;
}

type Follower = (line: LogLine | null) => void;

/** One container instance's log: a bounded buffer plus live followers. `null` to a follower means the container ended. */
export class ContainerLog {
  private lines: LogLine[] = [];
  private start = 0;
  private followers = new Set<Follower>();
  ended = false;
  /** Exact number of lines ever written (dropped ones included). */
  written = 0;

  private readonly max: number;

  constructor(max = 50_000) {
    this.max = max;
  }

  write(text: string, at = Date.now()): void {
    if (this.ended) return;
    for (const t of text.split('\n')) {
      const line = { at, text: t };
      this.lines.push(line);
      this.written++;
      for (const f of this.followers) f(line);
    }
    if (this.lines.length - this.start > this.max) this.start = this.lines.length - this.max;
    if (this.start > 4096 && this.start * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.start);
      this.start = 0;
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const f of this.followers) f(null);
    this.followers.clear();
  }

  snapshot(): LogLine[] {
    return this.lines.slice(this.start);
  }

  follow(f: Follower): () => void {
    if (this.ended) {
      f(null);
      return () => {};
    }
    this.followers.add(f);
    return () => this.followers.delete(f);
  }
}

interface Entry {
  current?: ContainerLog;
  previous?: ContainerLog;
  /** Lines of a running container the kubelet adopted, written when the log is first read (lazyCurrent). */
  seed?: { at: number; lines: () => string[] };
}

/** Logs of every container of every pod, keyed by pod uid. */
export class LogStore {
  private byPod = new Map<string, Map<string, Entry>>();
  private provider?: (podUid: string, container: string) => { at: number; lines: string[] } | undefined;

  /**
   * Where the lines of a log this store holds nothing for come from (the kubelet: containers of adopted pods it
   * keeps no state for). Asked once, when such a log is first read.
   */
  setProvider(p: (podUid: string, container: string) => { at: number; lines: string[] } | undefined): void {
    this.provider = p;
  }

  private entry(podUid: string, container: string, create: true): Entry;
  private entry(podUid: string, container: string, create?: false): Entry | undefined;
  private entry(podUid: string, container: string, create = false): Entry | undefined {
    let m = this.byPod.get(podUid);
    if (!m) {
      if (!create) return undefined;
      this.byPod.set(podUid, (m = new Map()));
    }
    let e = m.get(container);
    if (!e && create) m.set(container, (e = {}));
    return e;
  }

  /** The current instance's log, created on first use. */
  current(podUid: string, container: string): ContainerLog {
    const e = this.entry(podUid, container, true);
    if (!e.current) {
      const log = (e.current = new ContainerLog());
      if (e.seed) {
        const { at, lines } = e.seed;
        e.seed = undefined;
        for (const l of lines()) log.write(l, at);
      } else {
        const seed = this.provider?.(podUid, container);
        if (seed) for (const l of seed.lines) log.write(l, seed.at);
      }
    }
    return e.current;
  }

  /**
   * The log of a container already running when the kubelet (re)started: its lines are produced on first read, so
   * a cluster of 50k adopted pods keeps no log buffers until someone asks.
   */
  lazyCurrent(podUid: string, container: string, at: number, lines: () => string[]): void {
    const e = this.entry(podUid, container, true);
    if (!e.current) e.seed = { at, lines };
  }

  previous(podUid: string, container: string): ContainerLog | undefined {
    return this.entry(podUid, container)?.previous;
  }

  has(podUid: string, container: string): boolean {
    return this.entry(podUid, container) !== undefined;
  }

  /** A container restarted: the current log becomes the previous one. */
  rotate(podUid: string, container: string): ContainerLog {
    const e = this.entry(podUid, container, true);
    const prev = e.current ?? (e.seed ? this.current(podUid, container) : undefined);
    const fresh = new ContainerLog();
    if (prev) {
      prev.end();
      e.previous = prev;
    } else e.previous = undefined;
    e.current = fresh;
    return fresh;
  }

  /** Forgets a deleted pod's logs. */
  drop(podUid: string): void {
    const m = this.byPod.get(podUid);
    if (!m) return;
    for (const e of m.values()) e.current?.end();
    this.byPod.delete(podUid);
  }
}

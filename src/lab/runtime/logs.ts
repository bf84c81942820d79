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

/** Logs of every container of every pod, keyed by pod uid. */
export class LogStore {
  private byKey = new Map<string, { current: ContainerLog; previous?: ContainerLog }>();

  private key(podUid: string, container: string): string {
    return `${podUid}/${container}`;
  }

  /** The current instance's log, created on first use. */
  current(podUid: string, container: string): ContainerLog {
    const k = this.key(podUid, container);
    let e = this.byKey.get(k);
    if (!e) this.byKey.set(k, (e = { current: new ContainerLog() }));
    return e.current;
  }

  previous(podUid: string, container: string): ContainerLog | undefined {
    return this.byKey.get(this.key(podUid, container))?.previous;
  }

  has(podUid: string, container: string): boolean {
    return this.byKey.has(this.key(podUid, container));
  }

  /** A container restarted: the current log becomes the previous one. */
  rotate(podUid: string, container: string): ContainerLog {
    const k = this.key(podUid, container);
    const e = this.byKey.get(k);
    const fresh = new ContainerLog();
    if (e) {
      e.current.end();
      this.byKey.set(k, { current: fresh, previous: e.current });
    } else this.byKey.set(k, { current: fresh });
    return fresh;
  }

  /** Forgets a deleted pod's logs. */
  drop(podUid: string): void {
    for (const [k, e] of this.byKey) {
      if (k.startsWith(podUid + '/')) {
        e.current.end();
        this.byKey.delete(k);
      }
    }
  }
}

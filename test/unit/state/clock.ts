// A manual clock for store tests: time moves only when the test says so, and the flush ticker fires then.
import type { Clock } from '../../../src/state/types.ts';

export class ManualClock implements Clock {
  t = 1_700_000_000_000;
  private timers = new Map<number, { fn: () => void; ms: number; next: number }>();
  private id = 0;
  now = () => this.t;
  setInterval = (fn: () => void, ms: number) => {
    const id = ++this.id;
    this.timers.set(id, { fn, ms, next: this.t + ms });
    return id;
  };
  clearInterval = (h: unknown) => {
    this.timers.delete(h as number);
  };
  /** Advances time, firing due intervals in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: { fn: () => void; ms: number; next: number } | undefined;
      for (const t of this.timers.values()) if (t.next <= end && (!due || t.next < due.next)) due = t;
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.t = end;
  }
  get active(): number {
    return this.timers.size;
  }
}

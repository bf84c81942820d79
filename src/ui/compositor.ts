// Live rows drawn outside Ink's output grid.
//
// Ink builds every frame cell by cell: each character of each text becomes an object in a width×height grid, is
// tokenised twice and turned back into a string; for a 200×50 screen of log rows that is ~15 ms and most of the
// UI's garbage per frame, and a key waits behind it (docs/BENCHMARKS.md, TUI). The panes' rows do not need any of
// it: they are already cut to their pane's width, carry their colours as SGR codes and nothing else. So on a
// terminal the UI gives Ink an empty box of the right size for each block of rows (a region, RowsView) and the
// compositor draws the rows into it: after every frame Ink writes (appended to the same write, so it lands inside
// Ink's synchronized-output bracket), and on its own when rows changed but Ink's frame did not (Ink then writes
// nothing) or when a snapshot moved nothing but rows (`refresh`: a log flood's, which React never sees). Every draw is absolute cursor positioning inside
// DECSC/DECRC (save and restore the cursor), so Ink's own cursor bookkeeping (it erases its previous frame relative to
// the cursor) never sees it, and every row is padded to its region's width, so a draw overwrites the last one
// whatever Ink did in between. Positions are read from Ink's layout (Yoga) at the time of writing, so a region follows
// its box through resizes and layout changes.
//
// Not React: RowsView (src/ui/components/RowsView.tsx) registers its box and rows here; runApp (src/ui/run.tsx)
// hands Ink `stream` instead of the terminal's stdout. Ink's frames must be whole (each write the full screen, as
// it draws by default): with its incremental rendering a write may rewrite one line without a newline, which the
// compositor would not follow. Without a compositor (tests with ink-testing-library, a non-TTY stdout,
// NETPATH_TUI_COMPOSITOR=0, NETPATH_TUI_INCREMENTAL=1) RowsView draws through Ink.
import type { DOMElement } from 'ink';
import { type Row, fitRow } from './rows.ts';

const SAVE = '\x1b7';
const RESTORE = '\x1b8';
const BSU = '\x1b[?2026h';
const ESU = '\x1b[?2026l';

interface Region<S> {
  node?: DOMElement;
  rows: readonly Row[];
  /** Recomputes the rows from a newer snapshot without React (a log pane under a flood; see `refresh`). */
  refresh?: (snapshot: S) => readonly Row[];
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Rows of the box above its visible part (clipped by an ancestor): the region's first rows are not drawn. */
  skip: number;
}

type Writable = Pick<NodeJS.WriteStream, 'write'> & { columns?: number; rows?: number };

const hidden = (n: DOMElement) => n.style.overflowY === 'hidden' || n.style.overflow === 'hidden';

/**
 * Where a box is on the screen (Ink's layout: each node's offset is relative to its parent), clipped to the screen
 * and to every ancestor that clips its overflow; undefined when nothing of it is visible or it was never laid out.
 */
export function screenRect(node: DOMElement, columns: number, rows: number): Rect | undefined {
  const chain: DOMElement[] = [];
  for (let n: DOMElement | undefined = node; n; n = n.parentNode) chain.push(n);
  let x = 0;
  let y = 0;
  let top = 0;
  let bottom = rows;
  let left = 0;
  let right = columns;
  for (let i = chain.length - 1; i >= 0; i--) {
    const n = chain[i]!;
    const yn = n.yogaNode;
    if (!yn) return undefined;
    if (n.style.display === 'none') return undefined;
    x += yn.getComputedLeft();
    y += yn.getComputedTop();
    if (i > 0 && hidden(n)) {
      top = Math.max(top, y);
      bottom = Math.min(bottom, y + yn.getComputedHeight());
      left = Math.max(left, x);
      right = Math.min(right, x + yn.getComputedWidth());
    }
  }
  const yn = node.yogaNode!;
  const x1 = Math.max(left, x);
  const x2 = Math.min(right, x + yn.getComputedWidth());
  const y1 = Math.max(top, y);
  const y2 = Math.min(bottom, y + yn.getComputedHeight());
  if (x2 <= x1 || y2 <= y1) return undefined;
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1, skip: y1 - y };
}

export class Compositor<S = unknown> {
  readonly #out: Writable;
  readonly #regions = new Map<object, Region<S>>();
  /** The draw last written (appended to a frame or on its own). */
  #last = '';
  /** Rows or boxes changed since the last draw was written. */
  #dirty = false;
  #open = true;
  #scheduled = false;
  /** The stream to give Ink: the terminal's stdout, with every frame followed by the regions' rows. */
  readonly stream: NodeJS.WriteStream;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
    const write = (chunk: unknown, ...rest: unknown[]) => {
      // Ink's frames are multi-line strings; its other writes (cursor, alternate screen, synchronized-output
      // brackets) are one escape sequence each and get nothing appended.
      if (this.#open && typeof chunk === 'string' && chunk.includes('\n')) {
        const draw = this.draw();
        this.#last = draw;
        this.#dirty = false;
        chunk += draw;
      }
      return (out.write as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
    this.stream = new Proxy(out, {
      get(target, prop) {
        if (prop === 'write') return write;
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }

  /** Sets a region's rows (and its box once mounted); the rows are drawn after this commit's frame. */
  set(id: object, rows: readonly Row[], node?: DOMElement, refresh?: (snapshot: S) => readonly Row[]): void {
    if (!this.#open) return;
    const r = this.#regions.get(id);
    if (r) {
      r.rows = rows;
      if (node) r.node = node;
      r.refresh = refresh;
    } else this.#regions.set(id, { rows, ...(node ? { node } : {}), ...(refresh ? { refresh } : {}) });
    this.#dirty = true;
    this.schedule();
  }

  /**
   * A snapshot that changes nothing but rows (src/ui/run.tsx `gated` decides): the regions that can recompute
   * their rows do, and are drawn now; React and Ink never see it.
   */
  refresh(snapshot: S): void {
    if (!this.#open) return;
    for (const r of this.#regions.values()) if (r.refresh) r.rows = r.refresh(snapshot);
    this.#dirty = true;
    this.flush();
  }

  delete(id: object): void {
    this.#regions.delete(id);
  }

  /** Stops drawing (once the app has unmounted: nothing is drawn after Ink's last frame). */
  close(): void {
    this.#open = false;
    this.#regions.clear();
  }

  /**
   * Every region's rows at its current place: absolute cursor moves inside save/restore, each row padded to the
   * region's width, rows past the last drawn blank.
   */
  draw(): string {
    if (!this.#regions.size) return '';
    const columns = this.#out.columns ?? 80;
    const screenRows = this.#out.rows ?? 24;
    let s = '';
    for (const r of this.#regions.values()) {
      if (!r.node) continue;
      const rect = screenRect(r.node, columns, screenRows);
      if (!rect) continue;
      for (let i = 0; i < rect.height; i++) {
        const row = r.rows[i + rect.skip];
        s += `\x1b[${rect.y + i + 1};${rect.x + 1}H${row ? fitRow(row, rect.width) : ' '.repeat(rect.width)}`;
      }
    }
    // SGR reset first: the rows must not inherit the colour Ink left on (the restore brings it back)
    return s && `${SAVE}\x1b[0m${s}${RESTORE}`;
  }

  /**
   * Writes the regions now if they changed since the last draw was written (a microtask after a change: usually the
   * frame Ink wrote in between carried them, and nothing is built twice).
   */
  flush(): void {
    if (!this.#open || !this.#dirty) return;
    this.#dirty = false;
    const draw = this.draw();
    if (!draw || draw === this.#last) return;
    this.#last = draw;
    this.#out.write(`${BSU}${draw}${ESU}`);
  }

  private schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.flush();
    });
  }
}

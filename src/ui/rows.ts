// Rows: the one unit every view renders. A view turns its data into Row[] (pure, memoised by data identity), then
// a window of exactly `height` rows is drawn, one <Text wrap="truncate-end"> each, so no frame exceeds the terminal.
import { sanitize } from '../text/sanitize.ts';

export type Color = 'green' | 'yellow' | 'red' | 'magenta' | 'cyan' | 'blue' | 'gray' | 'white';

export interface Seg {
  t: string;
  c?: Color;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export interface Row {
  key: string | number;
  segs: Seg[];
}

export const row = (key: string | number, ...segs: (Seg | string)[]): Row => ({ key, segs: segs.map((s) => (typeof s === 'string' ? { t: s } : s)) });

/** Plain text of a row (filters match it). */
export const rowText = (r: Row): string => r.segs.map((s) => s.t).join('');

/** Untrusted text → one safe line. Idempotent; the store already sanitises streams on ingest, this is the backstop. */
export const safe = (s: unknown, max = 2000): string => sanitize(s, { max });

/** A case-insensitive regex from what the user typed, or an error message. */
export function compileFilter(src: string): RegExp | string | undefined {
  if (!src) return undefined;
  try {
    return new RegExp(src, 'i');
  } catch (e) {
    return `invalid regex: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
}

export function filterRows(rows: readonly Row[], src: string): readonly Row[] {
  const re = compileFilter(src);
  if (!(re instanceof RegExp)) return rows;
  return rows.filter((r) => re.test(rowText(r)));
}

/** Splits a row into rows of at most `width` characters (wrap mode). */
export function wrapRow(r: Row, width: number): Row[] {
  const text = rowText(r);
  if (text.length <= width || width < 1) return [r];
  const out: Row[] = [];
  let segs: Seg[] = [];
  let used = 0;
  let part = 0;
  for (const s of r.segs) {
    let t = s.t;
    while (t.length) {
      const room = width - used;
      const piece = t.slice(0, room);
      segs.push({ ...s, t: piece });
      used += piece.length;
      t = t.slice(piece.length);
      if (used >= width) {
        out.push({ key: `${r.key}/${part++}`, segs });
        segs = [];
        used = 0;
      }
    }
  }
  if (segs.length) out.push({ key: `${r.key}/${part}`, segs });
  return out;
}

export function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

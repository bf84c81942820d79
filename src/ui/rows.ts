// Rows: the one unit every view renders. A view turns its data into Row[] (pure, memoised by data identity), then
// a window of exactly `height` rows is drawn, one <Text wrap="truncate-end"> each, so no frame exceeds the terminal.
import stringWidth from 'string-width';
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

// ─── rows as terminal text ───────────────────────────────────────────────────────────────────────────────
// A row becomes one string whose only escape sequences are the SGR colours below: every text in it was sanitised
// (the store on ingest, `safe` for the rest), so nothing else can reach the terminal.

const PLAIN = !!process.env.NO_COLOR;
const FG: Record<Color, number> = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90 };

function sgr(s: Seg, t: string, plain: boolean): string {
  if (plain) return t;
  const codes: number[] = [];
  if (s.bold) codes.push(1);
  if (s.dim) codes.push(2);
  if (s.inverse) codes.push(7);
  if (s.c) codes.push(FG[s.c]);
  return codes.length ? `\x1b[${codes.join(';')}m${t}\x1b[0m` : t;
}

/** Text every character of which takes exactly one column (string-width agrees): printable ASCII, Latin-1 and
 *  Latin Extended letters, general punctuation (no zero-width or BiDi marks), arrows, box drawing, geometric shapes —
 *  what the UI's own glyphs and most log lines are made of. Its width is its length. */
const NARROW = /^[\x20-\x7e\u00a0-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u25fc\u25ff]*$/;
let graphemes: Intl.Segmenter | undefined;

/** `t` cut to at most `room` terminal columns, with `…` where it was cut; and the columns it takes. */
function cutToColumns(t: string, room: number): [string, number] {
  if (NARROW.test(t)) return t.length <= room ? [t, t.length] : [`${t.slice(0, room - 1)}…`, room];
  const w = stringWidth(t);
  if (w <= room) return [t, w];
  let out = '';
  let used = 0;
  for (const { segment } of (graphemes ??= new Intl.Segmenter()).segment(t)) {
    const gw = stringWidth(segment);
    if (used + gw > room - 1) break;
    out += segment;
    used += gw;
  }
  return [`${out}…`, used + 1];
}

/** The row's text and colours cut to `width` columns; and the columns left over. */
function cutRow(row: Row, width: number, plain: boolean): [string, number] {
  let out = '';
  let room = width;
  for (const seg of row.segs) {
    if (!seg.t || room <= 0) continue;
    const [t, w] = cutToColumns(seg.t, room);
    room -= w;
    out += sgr(seg, t, plain);
  }
  return [out, room];
}

/** The row as one string for an Ink <Text>, cut to `width` columns (Ink's own width-aware truncation of a
 *  2000-character log line on every frame is costly; its `truncate-end` is then only a guard). */
export function rowString(row: Row, width = Infinity, plain = PLAIN): string {
  // an empty <Text> takes no row at all: a blank row must hold a space
  return cutRow(row, width, plain)[0] || ' ';
}

/**
 * The row as exactly `width` terminal columns: cut by display width (wide characters take two, a cut ends in `…`)
 * and padded with spaces, so it overwrites whatever the cells held before (the live rows the UI draws outside Ink's
 * frame, src/ui/compositor.ts).
 */
export function fitRow(row: Row, width: number, plain = PLAIN): string {
  const [out, room] = cutRow(row, width, plain);
  return room > 0 ? out + ' '.repeat(room) : out;
}

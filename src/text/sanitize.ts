// Sanitising untrusted text (object fields, annotations, event messages, probe output, server error messages)
// before it reaches a terminal or a report: escape sequences, C0/C1 controls and BiDi overrides are removed so
// nothing from a cluster can move the cursor, clear the screen, set the window title, write the clipboard (OSC 52)
// or reorder what a person reads (Trojan Source, U+202E).

/**
 * Escape sequences, in the order they must be tried:
 * - OSC / DCS / SOS / PM / APC strings (7-bit `ESC ] P X ^ _` or 8-bit U+009D U+0090 U+0098 U+009E U+009F),
 *   ended by BEL, ST (`ESC \` or U+009C) or, if unterminated, the end of the text;
 * - CSI (`ESC [` or U+009B) with parameter, intermediate and final bytes;
 * - any other two-character `ESC x` sequence (and a lone ESC at the end).
 */
const STRING_SEQ = /(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[\s\S]*?(?:\x07|\x1b\\|\x9c|$)/g;
const CSI_SEQ = /(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?/g;
const ESC_SEQ = /\x1b[\x20-\x2f]*[\x30-\x7e]?/g;
/** C0 controls except TAB and LF, DEL, and C1 controls. */
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g;
/** BiDi embedding/override/isolate controls and marks (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export interface SanitizeOptions {
  /** Keep line feeds (evidence blocks, markdown); otherwise they become spaces. Default false. */
  multiline?: boolean;
  /** Cut to this many characters (an ellipsis marks the cut). */
  max?: number;
}

/** Makes one untrusted string safe to print. */
export function sanitize(input: unknown, opts: SanitizeOptions = {}): string {
  let s = typeof input === 'string' ? input : input === undefined || input === null ? '' : String(input);
  s = s.replace(STRING_SEQ, '').replace(CSI_SEQ, '').replace(ESC_SEQ, '');
  // CR would let text overwrite what is already on the line; CRLF is a line break.
  s = s.replace(/\r\n/g, '\n').replace(/\t/g, ' ');
  s = s.replace(CONTROLS, '').replace(BIDI, '');
  if (!opts.multiline) s = s.replace(/\n+/g, ' ');
  if (opts.max !== undefined && s.length > opts.max) s = s.slice(0, Math.max(0, opts.max - 1)) + '…';
  return s;
}

/** Sanitises every string in a JSON-like value (keys included), returning a new value. */
export function sanitizeDeep<T>(value: T, opts: SanitizeOptions = {}): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return sanitize(v, opts);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[sanitize(k)] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

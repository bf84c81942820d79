// The visible window of a log pane: exactly `height` rows from the ring buffer, following the tail or anchored at a
// seq. Only the visible lines are formatted, so a flood costs O(height) per frame whatever the buffer holds.
import type { LogLine, SessionState } from '../../state/types.ts';
import { anchorIndex } from '../input/commands.ts';
import { type Row, wrapRow } from '../rows.ts';
import type { ViewState } from '../state.ts';
import { logRow } from './rows.ts';

export function logWindow(lines: readonly LogLine[], v: ViewState, height: number, width: number): Row[] {
  if (height <= 0 || !lines.length) return [];
  const fmt = (l: LogLine) => logRow(l, v.timestamps);
  if (v.follow) {
    const out: Row[] = [];
    for (let i = lines.length - 1; i >= 0 && out.length < height; i--) {
      const r = fmt(lines[i]!);
      const parts = v.wrap ? wrapRow(r, width) : [r];
      for (let j = parts.length - 1; j >= 0 && out.length < height; j--) out.push(parts[j]!);
    }
    return out.reverse();
  }
  const out: Row[] = [];
  for (let i = anchorIndex(lines, v.anchor); i < lines.length && out.length < height; i++) {
    const r = fmt(lines[i]!);
    for (const p of v.wrap ? wrapRow(r, width) : [r]) if (out.length < height) out.push(p);
  }
  return out;
}

/**
 * Whether snapshot `b` differs from `a` only in what the log panes draw as rows — their lines, counters, streams and
 * membership (the status row) — as a flood's snapshots do: everything else is the same object or value, and so are
 * the panes' titles (Ink draws those). Such a snapshot needs no render, only the rows redrawn.
 */
export function logRowsOnly(a: SessionState, b: SessionState): boolean {
  const ka = Object.keys(a) as (keyof SessionState)[];
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (k === 'version' || k === 'now' || k === 'controllerLogs' || k === 'backendLogs') continue;
    if (a[k] !== b[k]) return false;
  }
  return a.controllerLogs.title === b.controllerLogs.title && a.backendLogs.title === b.backendLogs.title;
}

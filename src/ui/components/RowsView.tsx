// Draws exactly `height` rows: one truncated <Text> per row, keyed by the row's stable key (log seq, check index).
// A row is one string with its colours as SGR codes (the only escape sequences the UI ever emits; every text in
// it was sanitised), not one <Text> per segment: a quarter of the nodes for Ink to lay out and squash per frame.
// Rows are cut to the pane's width here, so no box needs horizontal clipping, which re-cuts and re-tokenises every
// line of every frame: the UI clips vertically only, and the terminal's auto-wrap is off while it runs
// (src/ui/run.tsx). Not one <Text> for the whole pane: Ink caches every text's measured size by its content in an
// LRU of 4096 entries, and a pane's text changes every frame (tens of MiB of retained 9-KB keys).
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { Color, Row } from '../rows.ts';

const FG: Record<Color, number> = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90 };
const plain = !!process.env.NO_COLOR;

/** The row as one string, cut to `width` code points first (cheap here; Ink's own width-aware truncation of a
 *  2000-character log line on every frame is not). Ink still truncates what is left (wide characters). */
export function rowString(row: Row, width = Infinity): string {
  let out = '';
  let room = width;
  for (const seg of row.segs) {
    if (!seg.t || room <= 0) continue;
    let t = seg.t;
    if (t.length > room) {
      const cps = Array.from(t);
      if (cps.length > room) t = cps.slice(0, Math.max(0, room - 1)).join('') + '…';
    }
    room -= t.length;
    const s = { ...seg, t };
    const codes: number[] = [];
    if (!plain) {
      if (s.bold) codes.push(1);
      if (s.dim) codes.push(2);
      if (s.inverse) codes.push(7);
      if (s.c) codes.push(FG[s.c]);
    }
    out += codes.length ? `\x1b[${codes.join(';')}m${s.t}\x1b[0m` : s.t;
  }
  // an empty <Text> takes no row at all: a blank row must hold a space
  return out || ' ';
}

export const RowLine = memo(function RowLine({ row, width }: { row: Row; width: number }) {
  return <Text wrap="truncate-end">{rowString(row, width)}</Text>;
});

export const RowsView = memo(function RowsView({ rows, height, width = Infinity }: { rows: readonly Row[]; height: number; width?: number }) {
  return (
    <Box flexDirection="column" height={Math.max(0, height)} overflowY="hidden">
      {rows.slice(0, Math.max(0, height)).map((r) => (
        <RowLine key={r.key} row={r} width={width} />
      ))}
    </Box>
  );
});

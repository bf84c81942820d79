// Draws exactly `height` rows. On a terminal (a Compositor in context, src/ui/compositor.ts) the rows are not Ink's:
// RowsView lays out an empty box of that size and the compositor draws the rows into it after Ink's frame, so Ink
// never builds them cell by cell. Without one (ink-testing-library, NETPATH_TUI_COMPOSITOR=0) each row is one
// truncated <Text>, keyed by the row's stable key (log seq, check index).
// A row is one string with its colours as SGR codes (the only escape sequences the UI ever emits; every text in
// it was sanitised), not one <Text> per segment: a quarter of the nodes for Ink to lay out and squash per frame.
// Rows are cut to the pane's width here, so no box needs horizontal clipping, which re-cuts and re-tokenises every
// line of every frame: the UI clips vertically only, and the terminal's auto-wrap is off while it runs
// (src/ui/run.tsx). Not one <Text> for the whole pane: Ink caches every text's measured size by its content in an
// LRU of 4096 entries, and a pane's text changes every frame (tens of MiB of retained 9-KB keys).
import { Box, type DOMElement, Text } from 'ink';
import { createContext, memo, useContext, useLayoutEffect, useRef, useState } from 'react';
import type { SessionState } from '../../state/types.ts';
import type { Compositor } from '../compositor.ts';
import { type Row, rowString } from '../rows.ts';

export const CompositorContext = createContext<Compositor<SessionState> | undefined>(undefined);

/** Recomputes a view's rows from a newer snapshot (the compositor calls it for snapshots that change only rows). */
export type Refresh = (snapshot: SessionState) => readonly Row[];

export const RowLine = memo(function RowLine({ row, width }: { row: Row; width: number }) {
  return <Text wrap="truncate-end">{rowString(row, width)}</Text>;
});

/** An empty box the compositor fills with `rows`. */
function LiveRows({ compositor, rows, height, width, refresh }: { compositor: Compositor<SessionState>; rows: readonly Row[]; height: number; width: number; refresh: Refresh | undefined }) {
  const [id] = useState(() => ({}));
  const box = useRef<DOMElement>(null);
  // Set while rendering (Ink's root is synchronous: every render commits), so the frame Ink writes in this commit
  // already carries these rows; the box itself is known once mounted (refs attach after Ink drew the first frame:
  // the compositor then draws on its own).
  compositor.set(id, rows, undefined, refresh);
  useLayoutEffect(() => {
    if (box.current) compositor.set(id, rows, box.current, refresh);
    return () => compositor.delete(id);
  }, [compositor, id]);
  return <Box ref={box} height={height} flexShrink={0} {...(Number.isFinite(width) ? { width } : {})} />;
}

/** `refresh`: how to recompute `rows` from a newer snapshot, for views whose rows move without anything else
 *  changing (log panes). Only the compositor uses it; through Ink every snapshot renders. */
export const RowsView = memo(function RowsView({ rows, height, width = Infinity, refresh }: { rows: readonly Row[]; height: number; width?: number; refresh?: Refresh }) {
  const compositor = useContext(CompositorContext);
  const h = Math.max(0, height);
  // the compositor draws as many rows as the box is high
  if (compositor) return <LiveRows compositor={compositor} rows={rows} height={h} width={width} refresh={refresh} />;
  return (
    <Box flexDirection="column" height={h} overflowY="hidden">
      {rows.slice(0, h).map((r) => (
        <RowLine key={r.key} row={r} width={width} />
      ))}
    </Box>
  );
});

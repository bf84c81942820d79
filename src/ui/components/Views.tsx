// The views of the body: the layer list, the detail, the split panes and the overlays. Each is memoised on its
// data's identity (snapshots share unchanged sub-objects), so a log flood re-renders only the log pane.
import { memo } from 'react';
import type { EndpointsPane, HelperPane, LogPane, ProbesPane, SessionState } from '../../state/types.ts';
import type { UiPath } from '../model.ts';
import { detailRows, listRows } from '../model.ts';
import { logWindow } from '../panes/logwindow.ts';
import { endpointsRows, helperRows, logStatusRow, probesRows } from '../panes/rows.ts';
import { type Row, clamp, filterRows } from '../rows.ts';
import type { ViewState } from '../state.ts';
import type { LayerId } from '../../path/model.ts';
import { PANE_CHROME, Pane } from './Pane.tsx';
import { RowsView } from './RowsView.tsx';

export type Metrics = { height: number; total: number };
type Report = (m: Metrics) => void;

/** A window of `height` rows starting at `top` (or the tail when following). */
function windowOf(rows: readonly Row[], top: number, height: number, follow: boolean): { rows: readonly Row[]; top: number } {
  const max = Math.max(0, rows.length - height);
  const t = follow ? max : clamp(top, 0, max);
  return { rows: rows.slice(t, t + height), top: t };
}

const scrollInfo = (top: number, height: number, total: number) => (total > height ? `${Math.min(total, top + 1)}-${Math.min(total, top + height)}/${total}` : '');

export const ListView = memo(function ListView({ paths, selected, title, focused, width, height, report }: { paths: UiPath[]; selected: number; title: string; focused: boolean; width: number; height: number; report: Report }) {
  const h = Math.max(0, height - PANE_CHROME);
  const { rows, selectedRow } = listRows(paths, selected);
  const top = clamp(selectedRow - Math.floor(h / 2), 0, Math.max(0, rows.length - h));
  report({ height: h, total: rows.length });
  return (
    <Pane title={title} focused={focused} width={width} height={height}>
      <RowsView rows={rows.slice(top, top + h)} height={h} width={width - 2} />
    </Pane>
  );
});

export const DetailView = memo(function DetailView({ path, layer, view, focused, width, height, report }: { path: UiPath | undefined; layer: LayerId | undefined; view: ViewState; focused: boolean; width: number; height: number; report: Report }) {
  const h = Math.max(0, height - PANE_CHROME);
  const all = filterRows(detailRows(path, layer), view.filter);
  const w = windowOf(all, view.top, h, false);
  report({ height: h, total: all.length });
  return (
    <Pane title={`Detail${view.filter ? ` /${view.filter}/` : ''}`} right={scrollInfo(w.top, h, all.length)} focused={focused} width={width} height={height}>
      <RowsView rows={w.rows} height={h} width={width - 2} />
    </Pane>
  );
});

/** A log pane. `select` picks its pane from any snapshot: under a flood the compositor redraws its rows from newer
 *  snapshots without rendering it again (src/ui/run.tsx `gated`, `logRowsOnly`). */
export const LogView = memo(function LogView({ title, pane, select, view, paused, focused, width, height, now, report }: { title: string; pane: LogPane; select: (s: SessionState) => LogPane; view: ViewState; paused: boolean; focused: boolean; width: number; height: number; now: number; report: Report }) {
  const h = Math.max(0, height - PANE_CHROME - 1);
  const rowsOf = (p: LogPane) => {
    report({ height: h, total: p.lines.length });
    return logWindow(p.lines, view, h, width - 2);
  };
  const flags = [view.follow ? 'autoscroll' : 'scrolled', view.wrap ? 'wrap' : '', view.timestamps ? 'time' : '', paused ? 'paused' : ''].filter(Boolean).join(' ');
  return (
    <Pane title={`${title} · ${pane.title}`} right={flags} focused={focused} width={width} height={height}>
      <RowsView rows={[logStatusRow(pane, now)]} height={1} width={width - 2} refresh={(s) => [logStatusRow(select(s), s.now)]} />
      <RowsView rows={rowsOf(pane)} height={h} width={width - 2} refresh={(s) => rowsOf(select(s))} />
    </Pane>
  );
});

function RowsPane({ title, all, view, follow, focused, width, height, report }: { title: string; all: readonly Row[]; view: ViewState; follow: boolean; focused: boolean; width: number; height: number; report: Report }) {
  const h = Math.max(0, height - PANE_CHROME);
  const rows = filterRows(all, view.filter);
  const w = windowOf(rows, view.top, h, follow);
  report({ height: h, total: rows.length });
  return (
    <Pane title={`${title}${view.filter ? ` /${view.filter}/` : ''}`} right={scrollInfo(w.top, h, rows.length)} focused={focused} width={width} height={height}>
      <RowsView rows={w.rows} height={h} width={width - 2} />
    </Pane>
  );
}

export const EndpointsView = memo(function EndpointsView(p: { pane: EndpointsPane; view: ViewState; focused: boolean; width: number; height: number; now: number; report: Report }) {
  return <RowsPane title="Endpoints timeline" all={endpointsRows(p.pane, p.now)} view={p.view} follow={false} focused={p.focused} width={p.width} height={p.height} report={p.report} />;
});

export const ProbesView = memo(function ProbesView(p: { pane: ProbesPane; view: ViewState; focused: boolean; width: number; height: number; now: number; report: Report }) {
  return <RowsPane title="Probes" all={probesRows(p.pane, p.now)} view={p.view} follow={false} focused={p.focused} width={p.width} height={p.height} report={p.report} />;
});

export const HelperView = memo(function HelperView(p: { pane: HelperPane; view: ViewState; focused: boolean; width: number; height: number; report: Report }) {
  return <RowsPane title="Helper pods" all={helperRows(p.pane, p.view.timestamps)} view={p.view} follow={p.view.follow} focused={p.focused} width={p.width} height={p.height} report={p.report} />;
});

export const OverlayView = memo(function OverlayView({ title, rows, top, width, height, report }: { title: string; rows: readonly Row[]; top: number; width: number; height: number; report: Report }) {
  const h = Math.max(0, height - PANE_CHROME);
  const w = windowOf(rows, top, h, false);
  report({ height: h, total: rows.length });
  return (
    <Pane title={title} right={`${scrollInfo(w.top, h, rows.length)} Esc close`} focused width={width} height={height}>
      <RowsView rows={w.rows} height={h} width={width - 2} />
    </Pane>
  );
});

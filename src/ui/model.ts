// From the Report to what the left list and the detail pane show. Pure functions, no React.
import type { Check, Layer, LayerId, ObjectRef, Path, Report, Status } from '../path/model.ts';
import { LAYERS, verdictOf } from '../path/model.ts';
import { type Color, type Row, row, safe } from './rows.ts';

export const GLYPH: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗', unknown: '?', skipped: '–' };
export const STATUS_COLOR: Record<Status, Color> = { ok: 'green', warn: 'yellow', fail: 'red', unknown: 'magenta', skipped: 'gray' };
export const LAYER_LABEL: Record<LayerId, string> = {
  dns: 'DNS',
  loadbalancer: 'Load balancer',
  ingress: 'Ingress/Route',
  service: 'Service',
  endpoints: 'Endpoints',
  pods: 'Pods',
};

/** A path as the UI lists it: the report's paths, or one pseudo path over `report.layers` when there are none. */
export interface UiPath {
  id: string;
  label: string;
  status: Status;
  layers: Layer[];
  path?: Path;
}

export function uiPaths(report: Report | undefined): UiPath[] {
  if (!report) return [];
  if (report.paths.length)
    return report.paths.map((p) => ({
      id: p.id,
      label: safe(p.host ? `${p.host}${p.path ?? ''}` : p.service ? `svc/${p.service.name}` : p.id, 200),
      status: verdictOf(p.layers).status,
      layers: orderLayers(p.layers),
      path: p,
    }));
  return [{ id: '', label: safe(report.target, 200), status: report.verdict.status, layers: orderLayers(report.layers) }];
}

function orderLayers(layers: Layer[]): Layer[] {
  return LAYERS.map((id) => layers.find((l) => l.id === id)).filter((l): l is Layer => !!l);
}

/** One selectable line of the layer list. */
export interface ListItem {
  path: number;
  layer: LayerId;
}

export function listItems(paths: UiPath[]): ListItem[] {
  return paths.flatMap((p, i) => p.layers.map((l) => ({ path: i, layer: l.id })));
}

/** The list's rows: a header per path (when there are several) and one row per layer; `index` maps to `listItems`. */
export function listRows(paths: UiPath[], selected: number): { rows: Row[]; selectedRow: number } {
  const rows: Row[] = [];
  let n = 0;
  let selectedRow = 0;
  for (const [pi, p] of paths.entries()) {
    if (paths.length > 1 || p.path) rows.push(row(`p:${pi}`, { t: `${GLYPH[p.status]} `, c: STATUS_COLOR[p.status] }, { t: p.label, bold: true }));
    for (const l of p.layers) {
      const sel = n === selected;
      if (sel) selectedRow = rows.length;
      rows.push(
        row(
          `l:${pi}:${l.id}`,
          { t: sel ? '▸' : ' ', c: 'cyan' },
          { t: ` ${GLYPH[l.status]} `, c: STATUS_COLOR[l.status], bold: l.status === 'fail' },
          { t: LAYER_LABEL[l.id].padEnd(14), bold: sel, inverse: sel },
          { t: ` ${safe(l.summary, 300)}`, dim: !sel },
        ),
      );
      n++;
    }
  }
  return { rows, selectedRow };
}

export const refText = (o: ObjectRef): string => `${o.kind.toLowerCase()}/${o.name}${o.namespace ? ` -n ${o.namespace}` : ''}`;

function checkRows(c: Check, key: string): Row[] {
  const rows: Row[] = [row(key, '  ', { t: `${GLYPH[c.status]} `, c: STATUS_COLOR[c.status] }, { t: safe(c.id, 80), c: STATUS_COLOR[c.status] }, `  ${safe(c.message, 500)}`)];
  c.evidence.forEach((e, i) => rows.push(row(`${key}/e${i}`, { t: `      ${safe(e, 1000)}`, dim: true })));
  if (c.next) rows.push(row(`${key}/n`, '      ', { t: 'next ', c: 'cyan' }, { t: `$ ${safe(c.next, 1000)}` }));
  return rows;
}

/** The detail pane's rows for one layer of one path. */
export function detailRows(p: UiPath | undefined, layerId: LayerId | undefined): Row[] {
  if (!p) return [row('none', { t: 'waiting for the first diagnosis…', dim: true })];
  const l = p.layers.find((x) => x.id === layerId) ?? p.layers[0];
  if (!l) return [row('none', { t: 'no layers in this path', dim: true })];
  const rows: Row[] = [];
  rows.push(row('h', { t: `${GLYPH[l.status]} ${LAYER_LABEL[l.id]}`, c: STATUS_COLOR[l.status], bold: true }, { t: `  ${l.status}`, c: STATUS_COLOR[l.status] }, `  ${safe(l.summary, 500)}`));
  rows.push(row('path', { t: `path ${safe(p.label, 300)}${p.path ? ` via ${p.path.via}` : ''}`, dim: true }));
  rows.push(row('s1', ''));
  if (l.objects.length) {
    rows.push(row('oh', { t: 'Objects', bold: true }));
    l.objects.forEach((o, i) => rows.push(row(`o${i}`, `  ${safe(refText(o), 300)}`)));
    rows.push(row('s2', ''));
  }
  rows.push(row('ch', { t: `Checks (${l.checks.length})`, bold: true }));
  l.checks.forEach((c, i) => rows.push(...checkRows(c, `c${i}`)));
  return rows;
}

/** The object `y` shows: the first object of the layer's first non-ok check, else the layer's first object. */
export function yamlTarget(p: UiPath | undefined, layerId: LayerId | undefined): ObjectRef | undefined {
  const l = p?.layers.find((x) => x.id === layerId);
  if (!l) return undefined;
  const bad = l.checks.find((c) => c.status !== 'ok' && c.objects?.length);
  return bad?.objects?.[0] ?? l.objects[0] ?? l.checks.find((c) => c.objects?.length)?.objects?.[0];
}

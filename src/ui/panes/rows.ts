// Row builders for the split panes (pure; memoised by the pane's snapshot identity in the components).
import type { EndpointsPane, HelperPane, LogLine, LogPane, ProbesPane, StreamState } from '../../state/types.ts';
import { type Color, type Row, row, safe } from '../rows.ts';

const pad2 = (n: number) => String(n).padStart(2, '0');
export function clock(ms: number, withMs = false): string {
  const d = new Date(ms);
  const s = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return withMs ? `${s}.${String(d.getMilliseconds()).padStart(3, '0')}` : s;
}

export function ago(now: number, at: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${pad2(s % 60)}s` : `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
}

export const STREAM_BADGE: Record<StreamState, { t: string; c: Color }> = {
  live: { t: '● live', c: 'green' },
  reconnecting: { t: '⟳ stream lost, reconnecting', c: 'yellow' },
  ended: { t: '■ ended', c: 'gray' },
};

const STATUS_CLASS_COLOR: Record<string, Color> = { '1xx': 'gray', '2xx': 'green', '3xx': 'cyan', '4xx': 'yellow', '5xx': 'red' };
const LEVEL_COLOR: Record<string, Color> = { error: 'red', warn: 'yellow', info: 'white', debug: 'gray' };

/** `ingress-nginx-controller-5d8f7c9b6-abcde` → `5d8f7c9b6-abcde` (the part that tells replicas apart). */
export function shortPod(name: string): string {
  const parts = name.split('-');
  return parts.length > 2 ? parts.slice(-2).join('-') : name;
}

/** One log line as a row: [time] pod, then parsed columns (status, method, path, upstream pod, latency) or the text. */
export function logRow(l: LogLine, timestamps: boolean): Row {
  const segs: Row['segs'] = [];
  if (timestamps) segs.push({ t: `${clock(l.ts, true)} `, dim: true });
  segs.push({ t: `${safe(shortPod(l.source.pod), 60)} `, c: 'cyan' });
  const p = l.parsed;
  if (p.status !== undefined) {
    const c = STATUS_CLASS_COLOR[p.statusClass ?? `${Math.floor(p.status / 100)}xx`] ?? 'white';
    segs.push({ t: String(p.status), c, bold: p.status >= 500 });
    segs.push({ t: ` ${safe(p.method ?? '-', 10).padEnd(6)} ` });
    segs.push({ t: safe(p.path ?? '-', 300) });
    const up = p.upstreamPod ?? p.upstream;
    if (up) segs.push({ t: ` → ${safe(up, 200)}`, c: p.upstreamPod ? 'blue' : undefined, dim: !p.upstreamPod });
    if (p.latencyMs !== undefined) segs.push({ t: ` ${p.latencyMs < 10 ? p.latencyMs.toFixed(1) : Math.round(p.latencyMs)}ms`, dim: true });
    if (p.host) segs.push({ t: `  ${safe(p.host, 100)}`, dim: true });
  } else if (p.level && p.message !== undefined) {
    segs.push({ t: `${p.level} `, c: LEVEL_COLOR[p.level] });
    segs.push({ t: safe(p.message, 2000) });
  } else segs.push({ t: safe(l.raw, 2000), c: p.level ? LEVEL_COLOR[p.level] : undefined });
  return { key: l.seq, segs };
}

/** The status line under a log pane's title: counters, stream state, the latest membership change. */
export function logStatusRow(p: LogPane, now: number): Row {
  const c = p.counters;
  const segs: Row['segs'] = [];
  if (p.unavailable) return row('status', { t: safe(p.unavailable, 300), c: 'yellow' });
  const badge = STREAM_BADGE[p.state];
  segs.push({ t: badge.t, c: badge.c });
  const reason = p.state === 'reconnecting' ? p.streams.find((s) => s.state === 'reconnecting')?.reason : undefined;
  if (reason) segs.push({ t: ` (${safe(reason, 100)})`, c: 'yellow' });
  segs.push({ t: ` · ${p.streams.filter((s) => s.state !== 'ended').length} streams · received ${c.received} · shown ${c.shown} · hidden ${c.filtered} · dropped ${c.dropped}` });
  segs.push({ t: p.filter.hostFilter ? ` · only ${safe(p.filter.hostLabel ?? 'the path', 100)}` : ' · all hosts', dim: true });
  if (p.filter.regex) segs.push({ t: ` · /${safe(p.filter.regex, 100)}/`, c: 'cyan' });
  const m = p.membership.at(-1);
  if (m) segs.push({ t: ` · ${m.change} ${safe(shortPod(m.pod), 60)} ${ago(now, m.at)} ago`, c: m.change === 'joined' ? 'green' : m.change === 'left' ? 'yellow' : 'red' });
  return { key: 'status', segs };
}

export function endpointsRows(p: EndpointsPane, now: number): Row[] {
  const rows: Row[] = [];
  const ready = p.rows.filter((r) => r.ready).length;
  const badge = STREAM_BADGE[p.stream.state];
  rows.push(
    row(
      'sum',
      { t: p.service ? `svc/${safe(p.service.name, 100)}${p.service.namespace ? ` -n ${safe(p.service.namespace, 100)}` : ''}` : 'no Service', bold: true },
      ` · ${p.rows.length} endpoints, ${ready} ready · `,
      { t: `${p.totalFlaps} flaps`, c: p.totalFlaps ? 'yellow' : undefined },
      ' · ',
      { t: badge.t, c: badge.c },
      p.stream.reason ? { t: ` (${safe(p.stream.reason, 100)})`, c: 'yellow' } : '',
    ),
  );
  rows.push(row('th', { t: `${'ADDRESS'.padEnd(16)} ${'POD'.padEnd(28)} ${'NODE'.padEnd(10)} READY SERVING TERM  FLAPS SINCE`, dim: true }));
  for (const r of p.rows) {
    rows.push(
      row(
        `e:${r.key}`,
        `${safe(r.address, 40).padEnd(16)} ${safe(r.pod ?? '-', 60).padEnd(28)} ${safe(r.node ?? '-', 40).padEnd(10)} `,
        { t: (r.ready ? 'yes' : 'no').padEnd(6), c: r.ready ? 'green' : 'red' },
        { t: (r.serving ? 'yes' : 'no').padEnd(8) },
        { t: (r.terminating ? 'yes' : 'no').padEnd(6), c: r.terminating ? 'yellow' : undefined },
        { t: String(r.flaps).padEnd(6), c: r.flaps ? 'yellow' : undefined },
        ago(now, r.since),
      ),
    );
  }
  rows.push(row('tlh', { t: `Timeline, newest first (${p.timeline.length}${p.timelineDropped ? `, ${p.timelineDropped} older dropped` : ''})`, bold: true }));
  const CH: Record<string, Color> = { added: 'green', removed: 'red', ready: 'green', 'not-ready': 'red', serving: 'green', 'not-serving': 'yellow', terminating: 'yellow', 'not-terminating': 'green' };
  for (let i = p.timeline.length - 1; i >= 0; i--) {
    const e = p.timeline[i]!;
    rows.push(
      row(`t:${e.seq}`, { t: `${clock(e.at)} `, dim: true }, { t: e.change.padEnd(16), c: CH[e.change] }, `${safe(e.address, 40).padEnd(16)} ${safe(e.pod ?? '', 60)}`, {
        t: e.flaps ? `  flaps ${e.flaps}` : '',
        c: 'yellow',
      }),
    );
  }
  return rows;
}

export function probesRows(p: ProbesPane, now: number): Row[] {
  const rows: Row[] = [];
  if (p.disabled) return [row('dis', { t: safe(p.disabled, 200), c: 'yellow' })];
  rows.push(
    row(
      'sum',
      { t: p.intervalMs ? `every ${p.intervalMs / 1000}s` : 'on demand', bold: true },
      p.running ? { t: ' · running…', c: 'cyan' } : '',
      p.nextAt && !p.running ? ` · next in ${Math.max(0, Math.ceil((p.nextAt - now) / 1000))}s` : '',
      ` · ${p.runs.length} runs`,
    ),
  );
  for (let i = p.runs.length - 1; i >= 0; i--) {
    const r = p.runs[i]!;
    rows.push(row(`r:${r.seq}`, { t: `${clock(r.at)} ${r.trigger} (${r.ms} ms)`, bold: true }, r.error ? { t: `  ${safe(r.error, 200)}`, c: 'red' } : ''));
    r.dns.forEach((d, j) =>
      rows.push(row(`r:${r.seq}:d${j}`, '  dns  ', `${safe(d.resolver, 40).padEnd(16)} ${safe(d.name, 100)} `, d.error ? { t: safe(d.error, 200), c: 'red' } : { t: safe(d.addresses.join(','), 200), c: 'green' }, { t: ` ${d.ms}ms`, dim: true })),
    );
    r.tcp.forEach((t, j) => rows.push(row(`r:${r.seq}:t${j}`, '  tcp  ', `${safe(t.address, 40)}:${t.port} `, t.ok ? { t: `ok ${t.ms ?? '?'}ms`, c: 'green' } : { t: safe(t.error ?? 'failed', 200), c: 'red' })));
    r.http.forEach((h, j) =>
      rows.push(
        row(
          `r:${r.seq}:h${j}`,
          '  http ',
          `${safe(h.url, 200)} `,
          h.status !== undefined ? { t: `HTTP ${h.status}`, c: h.status < 400 ? 'green' : h.status < 500 ? 'yellow' : 'red' } : { t: safe(h.error ?? 'failed', 200), c: 'red' },
          { t: `  dns ${h.dns ?? '-'} connect ${h.connect ?? '-'} tls ${h.tls ?? '-'} ttfb ${h.firstByte ?? '-'} total ${h.total ?? '-'} ms`, dim: true },
        ),
      ),
    );
  }
  if (!p.runs.length) rows.push(row('none', { t: 'no runs yet (r runs the probes now)', dim: true }));
  return rows;
}

export function helperRows(p: HelperPane, timestamps: boolean): Row[] {
  const rows: Row[] = [];
  if (!p.runs.length) return [row('none', { t: 'no helper pods yet', dim: true })];
  const SC: Record<string, Color> = { running: 'cyan', done: 'green', failed: 'red', cancelled: 'gray' };
  for (const r of p.runs) {
    rows.push(
      row(
        `h:${r.runId}`,
        { t: `▶ ${safe(r.title, 200)} `, bold: true },
        { t: r.state, c: SC[r.state] },
        r.exitCode !== undefined ? ` exit ${r.exitCode}` : '',
        r.reason ? { t: ` ${safe(r.reason, 200)}`, dim: true } : '',
        r.dropped ? { t: ` (${r.dropped} lines dropped)`, dim: true } : '',
      ),
    );
    for (const l of r.lines)
      rows.push(row(`h:${r.runId}:${l.seq}`, timestamps ? { t: `${clock(l.at, true)} `, dim: true } : '', { t: safe(l.text, 2000), c: l.stream === 'stderr' ? 'red' : l.stream === 'info' ? 'gray' : undefined }));
  }
  return rows;
}

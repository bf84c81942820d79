// The text report: the verdict first, then one block per layer of the primary path, the probes, and the other
// paths in one line each. Colour only when asked (a TTY without NO_COLOR); every string is sanitised first.
import type { Check, Layer, Path, Report, Status } from '../path/model.ts';
import { verdictOf } from '../path/model.ts';
import { sanitizeDeep } from '../text/sanitize.ts';
import { inClusterTextLines } from './incluster.ts';

export interface TextOptions {
  color?: boolean;
  /** Show the evidence of ok checks too. */
  verbose?: boolean;
}

const SYMBOL: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗', unknown: '?', skipped: '-' };
const CODE: Record<Status, string> = { ok: '32', warn: '33', fail: '31', unknown: '35', skipped: '2' };
const MAX_EVIDENCE = 8;

export function describePath(p: Path): string {
  const parts: string[] = [`${p.host ?? '*'}${p.path ?? ''}`];
  if (p.loadBalancer) {
    const lb = p.loadBalancer;
    parts.push(lb.addresses.length ? lb.addresses.join(',') : lb.pending ? 'LB <pending>' : 'LB ?');
  }
  if (p.ingress) parts.push(`ingress/${p.ingress.name}${p.ingress.className ? ` (${p.ingress.className}${p.ingress.controller ? `, ${p.ingress.controller}` : ''})` : ''}`);
  if (p.route) parts.push(`httproute/${p.route.name}${p.route.gateway ? ` on gateway/${p.route.gateway.name}` : ''}`);
  if (p.service) parts.push(`svc/${p.service.name}${p.service.port !== undefined ? `:${p.service.port}` : ''}${p.service.targetPort !== undefined ? `→${p.service.targetPort}` : ''}${p.service.namespace ? ` -n ${p.service.namespace}` : ''}`);
  const ready = p.endpoints.filter((e) => e.ready).length;
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  parts.push(`${n(p.endpoints.length, 'endpoint')} (${ready} ready)`);
  parts.push(`${n(p.pods.length, 'pod')}${p.nodes.length ? ` on ${p.nodes.join(',')}` : ''}`);
  return parts.join(' → ');
}

export function renderText(report: Report, o: TextOptions = {}): string {
  const r = sanitizeDeep(report);
  const paint = (code: string, s: string) => (o.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const bold = (s: string) => paint('1', s);
  const dim = (s: string) => paint('2', s);
  const st = (s: Status, text: string) => paint(CODE[s], text);
  const lines: string[] = [];

  const v = r.verdict;
  const head = v.status === 'fail' ? `FAIL  ${v.layer}: ${v.summary}` : v.status === 'ok' ? `OK  ${v.summary}` : `${v.status.toUpperCase()}  ${v.summary}`;
  lines.push(st(v.status, bold(`${SYMBOL[v.status]} ${head}`)));
  const ctx = [`target ${r.target}`, r.context ? `context ${r.context}` : '', r.namespace ? `namespace ${r.namespace}` : '', r.api ? `${r.api.requests} API requests in ${r.api.roundTrips} round trips` : '']
    .filter(Boolean)
    .join(' · ');
  lines.push(dim(`  ${ctx}`));
  const primary = r.paths[0];
  if (primary) lines.push(`  ${bold('path')}  ${describePath(primary)}`);
  lines.push('');

  const width = Math.max(...r.layers.map((l) => l.id.length), 5);
  const checkWidth = Math.min(34, Math.max(8, ...r.layers.flatMap((l) => l.checks.map((c) => c.id.length))));
  const renderCheck = (c: Check) => {
    lines.push(`    ${st(c.status, SYMBOL[c.status])} ${st(c.status, c.id.padEnd(checkWidth))} ${c.message}`);
    if (c.status !== 'ok' || o.verbose) {
      const ev = c.evidence.slice(0, MAX_EVIDENCE);
      for (const e of ev) lines.push(dim(`        ${e}`));
      if (c.evidence.length > MAX_EVIDENCE) lines.push(dim(`        … ${c.evidence.length - MAX_EVIDENCE} more (-o json for all)`));
      if (c.next && c.status !== 'ok' && c.status !== 'skipped') lines.push(`        ${paint('36', '→')} ${c.next}`);
    }
  };
  const renderLayer = (l: Layer) => {
    lines.push(`${st(l.status, SYMBOL[l.status])} ${bold(l.id.padEnd(width))}  ${st(l.status, l.status.padEnd(7))} ${l.summary}`);
    for (const c of l.checks) renderCheck(c);
  };
  for (const l of r.layers) renderLayer(l);

  const p = r.probes;
  if (p.http.length || p.tcp.length || p.dns.length) {
    lines.push('');
    lines.push(bold('probes'));
    for (const d of p.dns) {
      const ans = d.error ? d.error : d.chain.map((c) => `${c.type} ${c.value}${c.ttl !== undefined ? ` ttl ${c.ttl}` : ''}`).join(', ');
      lines.push(`  dns   ${d.resolver.padEnd(14)} ${d.name}: ${ans} (${d.ms} ms)`);
    }
    for (const t of p.tcp) lines.push(`  tcp   ${t.address}:${t.port} ${t.ok ? `connected in ${t.ms} ms` : t.error}`);
    for (const h of p.http) {
      const res = h.status !== undefined ? `HTTP ${h.status}` : h.error;
      lines.push(`  http  ${h.url} via ${h.address ?? '?'}: ${res}  dns ${h.dns ?? '-'} · connect ${h.connect ?? '-'} · tls ${h.tls ?? '-'} · first byte ${h.firstByte ?? '-'} · total ${h.total ?? '-'} ms`);
      if (h.certificate) lines.push(dim(`        served ${h.certificate.subject}; SANs ${h.certificate.sans.join(', ') || '-'}; until ${h.certificate.notAfter.slice(0, 10)}`));
    }
  }

  // In-cluster results (--ladder, traceroute/dig/node runs): src/report/incluster.ts.
  for (const l of inClusterTextLines(r)) lines.push(/^(ladder|traceroute|dig|curl|node|portforward|workstation)/.test(l) ? bold(l) : l.startsWith('        ') ? dim(l) : l);

  if (r.paths.length > 1) {
    lines.push('');
    lines.push(bold(`other paths (${r.paths.length - 1})`));
    for (const path of r.paths.slice(1)) {
      const pv = verdictOf(path.layers);
      lines.push(`  ${st(pv.status, `${SYMBOL[pv.status]} ${pv.status.padEnd(7)}`)} ${describePath(path)}`);
      lines.push(dim(`            ${pv.layer ? `${pv.layer}: ` : ''}${pv.summary}`));
    }
  }
  return lines.join('\n') + '\n';
}

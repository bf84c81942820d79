// The markdown incident report: verdict, per-layer table, findings with evidence, probe timings, next steps and the
// other paths — to paste into a ticket. Untrusted strings are sanitised and escaped for tables and code spans.
import type { Check, Report, Status } from '../path/model.ts';
import { verdictOf } from '../path/model.ts';
import { sanitizeDeep } from '../text/sanitize.ts';
import { inClusterMarkdown } from './incluster.ts';
import { describePath } from './text.ts';

const ICON: Record<Status, string> = { ok: '✅', warn: '⚠️', fail: '❌', unknown: '❔', skipped: '➖' };

/** Text for a table cell: no pipes, no line breaks, no HTML. */
export function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')).replace(/\n/g, ' ');
}

/** Inline code that cannot be broken out of: the fence is longer than any backtick run inside. */
export function code(s: string): string {
  const runs = s.match(/`+/g) ?? [];
  const fence = '`'.repeat(Math.max(0, ...runs.map((r) => r.length)) + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** Plain text outside code: markdown punctuation escaped so evidence cannot become links or HTML. */
export function text(s: string): string {
  return s.replace(/([\\`*_{}[\]<>#|!])/g, '\\$1');
}

export function renderMarkdown(report: Report): string {
  const r = sanitizeDeep(report);
  const v = r.verdict;
  const out: string[] = [];
  out.push(`# kubectl netpath: ${text(r.target)}`);
  out.push('');
  out.push(`**Verdict: ${ICON[v.status]} ${v.status.toUpperCase()}${v.layer ? ` — ${v.layer} layer` : ''}.** ${text(v.summary)}`);
  out.push('');
  const meta = [
    `Generated ${r.generatedAt}`,
    r.context ? `context ${code(r.context)}` : '',
    r.cluster ? `cluster ${code(r.cluster)}` : '',
    r.namespace ? `namespace ${code(r.namespace)}` : '',
    r.api ? `${r.api.requests} API requests, ${r.api.roundTrips} round trips` : '',
  ].filter(Boolean);
  out.push(meta.join(' · '));
  out.push('');
  if (r.paths[0]) {
    out.push(`**Path:** ${text(describePath(r.paths[0]))}`);
    out.push('');
  }

  out.push('## Layers');
  out.push('');
  out.push('| Layer | Status | Summary |');
  out.push('|---|---|---|');
  for (const l of r.layers) out.push(`| ${l.id} | ${ICON[l.status]} ${l.status} | ${cell(l.summary)} |`);
  out.push('');

  const findings = r.layers.flatMap((l) => l.checks.filter((c) => c.status === 'fail' || c.status === 'warn' || c.status === 'unknown').map((c) => ({ l: l.id, c })));
  out.push('## Findings');
  out.push('');
  if (!findings.length) out.push('No failing, warning or unchecked checks.');
  const finding = (layer: string, c: Check) => {
    out.push(`### ${ICON[c.status]} ${layer}: ${code(c.id)}`);
    out.push('');
    out.push(text(c.message));
    out.push('');
    if (c.evidence.length) {
      out.push('```text');
      for (const e of c.evidence) out.push(e.replace(/```/g, "'''"));
      out.push('```');
      out.push('');
    }
    if (c.next) {
      out.push(`Confirm: ${code(c.next)}`);
      out.push('');
    }
  };
  for (const { l, c } of findings) finding(l, c);

  const okChecks = r.layers.flatMap((l) => l.checks.filter((c) => c.status === 'ok').map((c) => ({ l: l.id, c })));
  if (okChecks.length) {
    out.push('<details><summary>Passing checks</summary>');
    out.push('');
    out.push('| Layer | Check | Result |');
    out.push('|---|---|---|');
    for (const { l, c } of okChecks) out.push(`| ${l} | ${code(c.id)} | ${cell(c.message)} |`);
    out.push('');
    out.push('</details>');
    out.push('');
  }

  const p = r.probes;
  out.push('## Probe timings');
  out.push('');
  if (!p.http.length && !p.tcp.length && !p.dns.length) out.push('No workstation probes ran (`--no-probe`, or nothing to probe).');
  if (p.http.length) {
    out.push('| URL | Address | Result | DNS | Connect | TLS | First byte | Total |');
    out.push('|---|---|---|---|---|---|---|---|');
    for (const h of p.http)
      out.push(`| ${cell(h.url)} | ${cell(h.address ?? '')} | ${cell(h.status !== undefined ? `HTTP ${h.status}` : (h.error ?? ''))} | ${h.dns ?? '–'} | ${h.connect ?? '–'} | ${h.tls ?? '–'} | ${h.firstByte ?? '–'} | ${h.total ?? '–'} |`);
    out.push('');
    out.push('Milliseconds from the start, as `curl -w` reports time_namelookup, time_connect, time_appconnect, time_starttransfer, time_total.');
    out.push('');
  }
  if (p.tcp.length) {
    out.push('| TCP | Result |');
    out.push('|---|---|');
    for (const t of p.tcp) out.push(`| ${cell(`${t.address}:${t.port}`)} | ${cell(t.ok ? `connected in ${t.ms} ms` : (t.error ?? 'failed'))} |`);
    out.push('');
  }
  if (p.dns.length) {
    out.push('| Resolver | Name | Answer | ms |');
    out.push('|---|---|---|---|');
    for (const d of p.dns) out.push(`| ${cell(d.resolver)} | ${cell(d.name)} | ${cell(d.error ?? d.chain.map((c) => `${c.type} ${c.value}${c.ttl !== undefined ? ` (ttl ${c.ttl})` : ''}`).join(', '))} | ${d.ms} |`);
    out.push('');
  }

  out.push(...inClusterMarkdown(r)); // --ladder and other in-cluster runs (src/report/incluster.ts)

  const steps = findings.filter((x) => x.c.next && x.c.status !== 'unknown').map((x) => x.c.next!);
  const unknownSteps = findings.filter((x) => x.c.next && x.c.status === 'unknown').map((x) => x.c.next!);
  out.push('## Next steps');
  out.push('');
  const all = [...new Set([...steps, ...unknownSteps])];
  if (!all.length) out.push('Nothing to do.');
  all.forEach((s, i) => out.push(`${i + 1}. ${code(s)}`));
  out.push('');

  if (r.paths.length > 1) {
    out.push('## Other paths');
    out.push('');
    out.push('| Path | Verdict | Summary |');
    out.push('|---|---|---|');
    for (const path of r.paths.slice(1)) {
      const pv = verdictOf(path.layers);
      out.push(`| ${cell(describePath(path))} | ${ICON[pv.status]} ${pv.status}${pv.layer ? ` (${pv.layer})` : ''} | ${cell(pv.summary)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

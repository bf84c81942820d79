// Report sections for in-cluster results (--ladder; traceroute, dig, node view runs): plain lines for the text
// report, markdown for the incident report. The report is sanitised by the caller.
import type { InClusterRun, LadderResult, Report } from '../path/model.ts';

const RUNG_SYMBOL: Record<string, string> = { pass: '✓', fail: '✗', skipped: '-', unknown: '?', 'not-run': '·' };
const MD_ICON: Record<string, string> = { pass: '✅', fail: '❌', skipped: '➖', unknown: '❔', 'not-run': '⏸️', ok: '✅', warn: '⚠️' };

function timing(t: LadderResult['rungs'][number]['targets'][number]['timing']): string {
  if (!t || !t.httpCode) return '';
  return ` · connect ${t.connectMs ?? '-'} · first byte ${t.firstByteMs ?? '-'} · total ${t.totalMs ?? '-'} ms`;
}

/** Text lines (unpainted) for the ladders and in-cluster runs of a report; empty when there are none. */
export function inClusterTextLines(r: Report): string[] {
  const lines: string[] = [];
  for (const l of r.probes.ladder ?? []) {
    const v = l.verdict;
    lines.push('');
    lines.push(`ladder  ${l.path}${l.helper ? ` (helper ${l.helper.namespace}/${l.helper.pod}, ${l.helper.profile})` : ''}: ${v.status === 'fail' ? `FAIL at ${v.rung} → hop ${v.hop}` : v.status.toUpperCase()}${l.ms !== undefined ? ` in ${l.ms} ms` : ''}`);
    for (const g of l.rungs) {
      lines.push(`  ${RUNG_SYMBOL[g.status] ?? '?'} ${g.id.padEnd(12)} ${g.message}`);
      if (g.status === 'pass' || g.status === 'fail') for (const t of g.targets.slice(0, 4)) lines.push(`        ${t.alt ? 'also ' : ''}${t.label}: ${t.result}${timing(t.timing)}`);
    }
    if (l.helper?.note) lines.push(`  note: ${l.helper.note}`);
  }
  for (const x of r.probes.inCluster ?? []) {
    lines.push('');
    lines.push(`${x.kind.padEnd(7)} ${x.title}: ${x.summary}`);
    for (const ln of x.lines.slice(0, 30)) lines.push(`        ${ln}`);
  }
  return lines;
}

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;')).replace(/\n/g, ' ');
}

/** Markdown sections (`## Isolation ladder`, `## In-cluster probes`); empty when there is nothing. */
export function inClusterMarkdown(r: Report): string[] {
  const out: string[] = [];
  for (const l of r.probes.ladder ?? []) {
    out.push('## Isolation ladder');
    out.push('');
    const v = l.verdict;
    out.push(`${MD_ICON[v.status === 'ok' ? 'pass' : v.status] ?? ''} **${v.status === 'fail' ? `The first failing rung is \`${v.rung}\`: the broken hop is ${v.hop}.` : v.status === 'ok' ? 'Every rung answers.' : 'The ladder could not decide.'}** ${cell(v.message)}`);
    out.push('');
    out.push('| Rung | Status | Result | Targets |');
    out.push('|---|---|---|---|');
    for (const g of l.rungs) out.push(`| ${g.id} | ${MD_ICON[g.status] ?? ''} ${g.status} | ${cell(g.message)} | ${cell(g.targets.map((t) => `${t.label}: ${t.result}`).join('; '))} |`);
    out.push('');
    if (l.helper) out.push(`From helper pod \`${l.helper.pod}\` in namespace \`${l.helper.namespace}\` (PodSecurity profile ${l.helper.profile}; deleted afterwards).${l.helper.note ? ` ${cell(l.helper.note)}` : ''}`);
    out.push('');
  }
  const runs: InClusterRun[] = r.probes.inCluster ?? [];
  if (runs.length) {
    out.push('## In-cluster probes');
    out.push('');
    for (const x of runs) {
      out.push(`### ${MD_ICON[x.status] ?? ''} ${x.kind}: ${cell(x.title)}`);
      out.push('');
      out.push(cell(x.summary));
      out.push('');
      if (x.lines.length) {
        out.push('```text');
        for (const ln of x.lines.slice(0, 60)) out.push(ln.replace(/```/g, "'''"));
        out.push('```');
        out.push('');
      }
    }
  }
  return out;
}

// Label selectors: metav1.LabelSelector objects and map selectors (Service.spec.selector) matched against labels,
// rendered to the query-string form, and parsed back from it (the in-memory reader of tests and fixtures).

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirement[] | null;
}

type Labels = Record<string, string> | undefined | null;

/** metav1.LabelSelector semantics: an empty selector matches everything; a null one matches nothing. */
export function matchesSelector(sel: LabelSelector | null | undefined, labels: Labels): boolean {
  if (sel === null || sel === undefined) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !vals.includes(l[e.key]!)) return false;
        break;
      case 'NotIn':
        if (has && vals.includes(l[e.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false; // an invalid operator selects nothing
    }
  }
  return true;
}

/** Service-style selector (a plain map): every pair must match. An empty map selects nothing (no selector). */
export function matchesMap(sel: Record<string, string> | null | undefined, labels: Labels): boolean {
  const entries = Object.entries(sel ?? {});
  if (!entries.length) return false;
  return entries.every(([k, v]) => (labels ?? {})[k] === v);
}

export function mapToSelectorString(sel: Record<string, string>): string {
  return Object.entries(sel)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function selectorToString(sel: LabelSelector): string {
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const vals = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${vals})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h` into requirements; throws on syntax it does not understand. */
export function parseSelectorString(s: string): LabelSelectorRequirement[] {
  const out: LabelSelectorRequirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p)))
      out.push({ key: m[1]!, operator: m[2] === 'in' ? 'In' : 'NotIn', values: m[3]!.split(',').map((v) => v.trim()).filter((v) => v !== '') });
    else if ((m = /^([^\s!=]+)\s*!=\s*(\S*)$/.exec(p))) out.push({ key: m[1]!, operator: 'NotIn', values: [m[2]!] });
    else if ((m = /^([^\s!=]+)\s*==?\s*(\S*)$/.exec(p))) out.push({ key: m[1]!, operator: 'In', values: [m[2]!] });
    else if ((m = /^!\s*([^\s!=]+)$/.exec(p))) out.push({ key: m[1]!, operator: 'DoesNotExist' });
    else if ((m = /^([^\s!=()]+)$/.exec(p))) out.push({ key: m[1]!, operator: 'Exists' });
    else throw new Error(`unable to parse requirement: ${p}`);
  }
  return out;
}

export function matchesSelectorString(s: string, labels: Labels): boolean {
  return matchesSelector({ matchExpressions: parseSelectorString(s) }, labels);
}

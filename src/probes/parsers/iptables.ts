// `iptables-save` output: rules per table and chain, and kube-proxy's chains for one Service (KUBE-SERVICES →
// KUBE-SVC-… → KUBE-SEP-… → DNAT). Pure.

export interface IptablesRule {
  table: string;
  chain: string;
  /** The rule as saved, without `-A CHAIN`. */
  spec: string;
  jump?: string;
  comment?: string;
  destination?: string;
  dport?: number;
  protocol?: string;
  /** `--to-destination` of a DNAT. */
  toDestination?: string;
  probability?: number;
}

export interface IptablesSave {
  tables: Record<string, { chains: Record<string, string>; rules: IptablesRule[] }>;
  rules: IptablesRule[];
}

/** Splits a rule like the shell would: quoted comments stay one token. */
function tokens(s: string): string[] {
  const out: string[] = [];
  for (const m of s.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!);
  return out;
}

export function parseIptablesRule(line: string, table = 'nat'): IptablesRule | undefined {
  const t = line.trim();
  if (!t.startsWith('-A ')) return undefined;
  const toks = tokens(t);
  const chain = toks[1];
  if (!chain) return undefined;
  const rule: IptablesRule = { table, chain, spec: t.slice(t.indexOf(chain) + chain.length).trim() };
  for (let i = 2; i < toks.length; i++) {
    const k = toks[i]!;
    const v = toks[i + 1];
    if ((k === '-j' || k === '-g') && v) rule.jump = v;
    else if (k === '--comment' && v !== undefined) rule.comment = v;
    else if (k === '-d' && v) rule.destination = v.replace(/\/32$/, '');
    else if (k === '--dport' && v) rule.dport = Number(v);
    else if (k === '-p' && v) rule.protocol = v;
    else if (k === '--to-destination' && v) rule.toDestination = v;
    else if (k === '--probability' && v) rule.probability = Number(v);
  }
  return rule;
}

export function parseIptablesSave(text: string): IptablesSave {
  const out: IptablesSave = { tables: {}, rules: [] };
  let table = 'nat';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1);
      out.tables[table] ??= { chains: {}, rules: [] };
      continue;
    }
    const c = /^:(\S+)\s+(\S+)/.exec(line);
    if (c) {
      (out.tables[table] ??= { chains: {}, rules: [] }).chains[c[1]!] = c[2]!;
      continue;
    }
    const r = parseIptablesRule(line, table);
    if (r) {
      (out.tables[table] ??= { chains: {}, rules: [] }).rules.push(r);
      out.rules.push(r);
    }
  }
  return out;
}

export interface KubeServiceChains {
  /** `ns/name[:port]` as kube-proxy writes it in comments. */
  service: string;
  /** KUBE-SERVICES entries for the Service (cluster IP, external IPs, load-balancer IPs). */
  entries: { destination?: string; dport?: number; chain: string; comment?: string }[];
  svcChains: string[];
  /** Endpoints the node DNATs to, with the random-mode probability of the rule that picks them. */
  endpoints: { chain: string; destination: string; probability?: number }[];
}

/** kube-proxy's rules for a Service (`namespace/name`, optionally `:portName`), following the jumps. */
export function kubeServiceChains(save: IptablesSave, namespace: string, name: string, portName?: string): KubeServiceChains {
  const id = `${namespace}/${name}`;
  const mine = (c?: string) => !!c && (c === id || c.startsWith(`${id}:`) || c.startsWith(`${id} `)) && (!portName || c.startsWith(`${id}:${portName}`));
  const rules = save.rules;
  const entries = rules.filter((r) => r.chain === 'KUBE-SERVICES' && mine(r.comment) && r.jump?.startsWith('KUBE-')).map((r) => ({
    ...(r.destination ? { destination: r.destination } : {}),
    ...(r.dport !== undefined ? { dport: r.dport } : {}),
    chain: r.jump!,
    ...(r.comment ? { comment: r.comment } : {}),
  }));
  const svcChains = new Set<string>();
  for (const e of entries) if (/^KUBE-(SVC|SVL|EXT|FW|XLB)-/.test(e.chain)) svcChains.add(e.chain);
  for (const r of rules) if (/^KUBE-(SVC|SVL)-/.test(r.chain) && mine(r.comment)) svcChains.add(r.chain);
  // follow EXT/FW/XLB → SVC chains
  let grew = true;
  while (grew) {
    grew = false;
    for (const r of rules) if (svcChains.has(r.chain) && r.jump && /^KUBE-(SVC|SVL|EXT|FW|XLB)-/.test(r.jump) && !svcChains.has(r.jump)) svcChains.add(r.jump), (grew = true);
  }
  const endpoints: KubeServiceChains['endpoints'] = [];
  for (const r of rules) {
    if (!svcChains.has(r.chain) || !r.jump?.startsWith('KUBE-SEP-')) continue;
    const dnat = rules.find((x) => x.chain === r.jump && x.toDestination);
    if (dnat?.toDestination) endpoints.push({ chain: r.jump, destination: dnat.toDestination, ...(r.probability !== undefined ? { probability: r.probability } : {}) });
  }
  return { service: id, entries, svcChains: [...svcChains], endpoints };
}

// dig output: full answers (one message per `;; Got answer:`), `+noall +answer` and `+short`, plus the error lines
// dig prints when no server answers. Pure: text in, messages out.

export interface DigRecord {
  name: string;
  ttl?: number;
  class: string;
  type: string;
  /** The record data as dig prints it (`151.101.1.67`, `turner-tls.map.fastly.net.`, `10 10 25395 host.`). */
  data: string;
}

export interface DigMessage {
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED… (undefined for +short / +noall output). */
  status?: string;
  flags: string[];
  question?: { name: string; class: string; type: string };
  answer: DigRecord[];
  authority: DigRecord[];
  additional: DigRecord[];
  queryMs?: number;
  /** `127.0.0.53#53(127.0.0.53)` → `127.0.0.53#53`. */
  server?: string;
  /** `connection timed out; no servers could be reached`, `communications error to …`. */
  error?: string;
}

const RR = /^(\S+)\s+(?:(\d+)\s+)?(IN|CH|HS|ANY)\s+([A-Z0-9]+)\s+(.*)$/;

export function parseDigRecord(line: string): DigRecord | undefined {
  const m = RR.exec(line.trim());
  if (!m) return undefined;
  return { name: m[1]!, ...(m[2] !== undefined ? { ttl: Number(m[2]) } : {}), class: m[3]!, type: m[4]!, data: m[5]!.trim().replace(/\s+/g, ' ') };
}

function empty(): DigMessage {
  return { flags: [], answer: [], authority: [], additional: [] };
}

/** Every message in dig's output, in order. `+short` output becomes one message whose answers have type `?`. */
export function parseDig(text: string): DigMessage[] {
  const out: DigMessage[] = [];
  let cur: DigMessage | undefined;
  let section: 'question' | 'answer' | 'authority' | 'additional' | undefined;
  const start = () => {
    cur = empty();
    out.push(cur);
    section = undefined;
    return cur;
  };
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const t = line.trim();
    if (!t) {
      section = undefined;
      continue;
    }
    if (/^;; Got answer:/.test(t)) {
      start();
      continue;
    }
    let m = /->>HEADER<<-\s*opcode:\s*\w+,\s*status:\s*(\w+)/.exec(t);
    if (m) {
      (cur ?? start()).status = m[1]!;
      continue;
    }
    m = /^;; flags:([^;]*);/.exec(t);
    if (m && cur) {
      cur.flags = m[1]!.trim().split(/\s+/).filter(Boolean);
      continue;
    }
    m = /^;; (QUESTION|ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(t);
    if (m) {
      cur ??= start();
      section = m[1]!.toLowerCase() as typeof section;
      continue;
    }
    m = /^;; Query time: (\d+) msec/.exec(t);
    if (m && cur) {
      cur.queryMs = Number(m[1]);
      continue;
    }
    m = /^;; SERVER: ([^(\s]+)/.exec(t);
    if (m && cur) {
      cur.server = m[1]!;
      continue;
    }
    m = /^;; (connection timed out; no servers could be reached|communications error to .*|connection refused.*|no servers could be reached)/.exec(t);
    if (m) {
      (cur && !cur.answer.length && !cur.status ? cur : start()).error = m[1]!;
      continue;
    }
    if (section === 'question' && t.startsWith(';')) {
      const q = /^;(\S+)\s+(\S+)\s+(\S+)/.exec(t);
      if (q && cur) cur.question = { name: q[1]!, class: q[2]!, type: q[3]! };
      continue;
    }
    if (t.startsWith(';')) continue;
    const rr = parseDigRecord(t);
    if (rr) {
      cur ??= start();
      if (section === 'authority') cur.authority.push(rr);
      else if (section === 'additional') cur.additional.push(rr);
      else cur.answer.push(rr);
      continue;
    }
    // +short: one value per line (addresses, names with a trailing dot, SRV/MX data).
    if (!section && !/\s{2,}/.test(t)) {
      if (!cur || cur.status) start();
      cur!.answer.push({ name: '', class: 'IN', type: /^\d{1,3}(\.\d{1,3}){3}$/.test(t) ? 'A' : /:/.test(t) ? 'AAAA' : /\.$/.test(t) ? 'CNAME' : '?', data: t });
    }
  }
  return out;
}

/** The addresses (A/AAAA data) a message answers, CNAMEs followed implicitly. */
export function digAddresses(m: DigMessage): string[] {
  return m.answer.filter((r) => r.type === 'A' || r.type === 'AAAA').map((r) => r.data);
}

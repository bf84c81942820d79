// traceroute / tcptraceroute output (Linux traceroute 2.x, BSD/macOS, with -n or names, -A AS numbers, !H-style
// annotations, tcptraceroute's [open]/[closed]). Pure: text in, hops out. Lines are parsed one at a time so a
// live stream can be shown as it arrives.

export interface TraceProbe {
  /** The replying address (IPv4 or IPv6); undefined for a `*`. */
  address?: string;
  /** The reverse name when traceroute printed one (not with -n). */
  name?: string;
  ms?: number;
  /** `!H`, `!N`, `!P`, `!X`, `!<num>` annotations. */
  annotation?: string;
  /** tcptraceroute's verdict on the last hop. */
  tcp?: 'open' | 'closed';
}

export interface TraceHop {
  ttl: number;
  probes: TraceProbe[];
  /** Every probe timed out (`* * *`). */
  silent: boolean;
}

export interface TraceHeader {
  target: string;
  address?: string;
  maxHops?: number;
  /** tcptraceroute and `traceroute -T -p`: the destination port. */
  port?: number;
}

export interface TraceResult {
  header?: TraceHeader;
  hops: TraceHop[];
}

const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-f]*:[0-9a-f:.]+$/i;

function isAddress(s: string): boolean {
  return IPV4.test(s) || IPV6.test(s);
}

/** `traceroute to HOST (ADDR), 30 hops max, 60 byte packets` or tcptraceroute's `Tracing the path to HOST (ADDR) on TCP port 443 (https), 30 hops max`. */
export function parseTraceHeader(line: string): TraceHeader | undefined {
  let m = /^traceroute(?:6)? to (\S+)\s+\(([^)]+)\)(?:,\s*(\d+) hops max)?/.exec(line.trim());
  if (m) return { target: m[1]!, address: m[2]!, ...(m[3] ? { maxHops: Number(m[3]) } : {}) };
  m = /^Tracing the path to (\S+) \(([^)]+)\) on TCP port (\d+)(?: \([^)]*\))?(?:,\s*(\d+) hops max)?/.exec(line.trim());
  if (m) return { target: m[1]!, address: m[2]!, port: Number(m[3]), ...(m[4] ? { maxHops: Number(m[4]) } : {}) };
  return undefined;
}

/** One hop line (`" 3  host (1.2.3.4)  1.0 ms  1.1 ms *"`); undefined for anything else. */
export function parseTraceHop(line: string): TraceHop | undefined {
  const m = /^\s*(\d+)\s+(.*)$/.exec(line);
  if (!m) return undefined;
  const ttl = Number(m[1]);
  // Tokens; `(addr)` and `[ASn]` are kept whole.
  const toks = m[2]!.trim().split(/\s+/).filter(Boolean);
  if (!toks.length) return undefined;
  const probes: TraceProbe[] = [];
  let name: string | undefined;
  let address: string | undefined;
  let sawReply = false;
  // tcptraceroute prints `[open]` after the address and before the times.
  let pendingTcp: 'open' | 'closed' | undefined;
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    if (t === '*') {
      probes.push({});
      continue;
    }
    if (/^\[(?:AS[\d/]*|\*)\]$/i.test(t)) continue; // AS numbers (-A)
    if (/^\[(open|closed)\]$/.test(t)) {
      const last = probes.at(-1);
      const tcp = t.slice(1, -1) as 'open' | 'closed';
      if (last) last.tcp = tcp;
      else pendingTcp = tcp;
      continue;
    }
    if (/^\(.+\)$/.test(t)) {
      const inner = t.slice(1, -1);
      if (isAddress(inner)) address = inner;
      continue;
    }
    const num = /^(\d+(?:\.\d+)?)$/.exec(t);
    if (num && toks[i + 1] === 'ms') {
      const p: TraceProbe = { ms: Number(num[1]) };
      if (address) p.address = address;
      if (name) p.name = name;
      if (pendingTcp) p.tcp = pendingTcp;
      probes.push(p);
      sawReply = true;
      i++;
      continue;
    }
    if (/^!/.test(t)) {
      const last = probes.at(-1);
      if (last) last.annotation = t;
      continue;
    }
    if (t === 'ms') continue;
    // A new responder: a bare address (-n) or a name followed by (address).
    if (isAddress(t)) {
      address = t;
      name = undefined;
    } else {
      name = t;
      address = undefined;
      if (/^\(.+\)$/.test(toks[i + 1] ?? '')) {
        const inner = toks[i + 1]!.slice(1, -1);
        if (isAddress(inner)) address = inner;
        else name = `${t} ${toks[i + 1]}`;
        i++;
      }
    }
  }
  // tcptraceroute prints `[open]` after the address and before the times.
  if (!probes.length) return undefined;
  return { ttl, probes, silent: !sawReply };
}

export function parseTraceroute(text: string): TraceResult {
  const out: TraceResult = { hops: [] };
  for (const line of text.split('\n')) {
    const h = parseTraceHeader(line);
    if (h) {
      out.header = h;
      continue;
    }
    const hop = parseTraceHop(line);
    if (hop) out.hops.push(hop);
  }
  return out;
}

/** The last hop that answered, and whether it is the destination. */
export function traceSummary(r: TraceResult): { reached: boolean; lastAddress?: string; hops: number; silentHops: number } {
  const dest = r.header?.address;
  const answered = r.hops.filter((h) => !h.silent);
  const last = answered.at(-1)?.probes.find((p) => p.address)?.address;
  const reached = !!dest && r.hops.some((h) => h.probes.some((p) => p.address === dest && (p.tcp ?? 'open') === 'open'));
  return { reached, ...(last ? { lastAddress: last } : {}), hops: r.hops.length, silentHops: r.hops.length - answered.length };
}

// `ss` output (`ss -tan`, `ss -tulnp`, `ss -anepW`…): one socket per line, with the header's columns. Pure.

export interface SsSocket {
  netid?: string;
  state: string;
  recvQ: number;
  sendQ: number;
  local: { address: string; port: string };
  peer: { address: string; port: string };
  process?: string;
}

function addrPort(s: string): { address: string; port: string } {
  const i = s.lastIndexOf(':');
  if (i < 0) return { address: s, port: '' };
  return { address: s.slice(0, i).replace(/^\[|\]$/g, ''), port: s.slice(i + 1) };
}

export function parseSs(text: string): SsSocket[] {
  const lines = text.split('\n').map((l) => l.trimEnd()).filter(Boolean);
  const out: SsSocket[] = [];
  let hasNetid = false;
  for (const line of lines) {
    if (/^(Netid\s+)?State\s+Recv-Q/.test(line.trim())) {
      hasNetid = /^Netid/.test(line.trim());
      continue;
    }
    const t = line.trim().split(/\s+/);
    let i = 0;
    const netid = hasNetid || /^(tcp|udp|u_str|u_dgr|u_seq|raw|nl|p_raw|p_dgr|icmp6?)$/.test(t[0]!) ? t[i++] : undefined;
    const state = t[i++];
    const recvQ = Number(t[i++]);
    const sendQ = Number(t[i++]);
    const local = t[i++];
    const peer = t[i++];
    if (!state || !Number.isFinite(recvQ) || !Number.isFinite(sendQ) || !local || !peer) continue;
    const rest = t.slice(i).join(' ');
    const proc = /users:\(\(.*?\)\)/.exec(rest)?.[0];
    out.push({ ...(netid ? { netid } : {}), state, recvQ, sendQ, local: addrPort(local), peer: addrPort(peer), ...(proc ? { process: proc } : {}) });
  }
  return out;
}

/** Socket counts per state (`ESTAB`, `TIME-WAIT`, `LISTEN`, …). */
export function ssCounts(sockets: SsSocket[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sockets) out[s.state] = (out[s.state] ?? 0) + 1;
  return out;
}

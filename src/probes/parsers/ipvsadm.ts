// `ipvsadm -Ln` output: virtual services and their real servers. Pure.

export interface IpvsRealServer {
  address: string;
  port: number;
  forward: string;
  weight: number;
  activeConn: number;
  inactConn: number;
}

export interface IpvsService {
  protocol: 'TCP' | 'UDP' | 'SCTP' | 'FWM';
  address: string;
  port: number;
  scheduler: string;
  flags: string[];
  servers: IpvsRealServer[];
}

/** `10.0.0.1:443`, `[fd00::1]:443` → address and port. */
function hostPort(s: string): { address: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  return m ? { address: m[1]!, port: Number(m[2]) } : undefined;
}

export function parseIpvsadm(text: string): IpvsService[] {
  const out: IpvsService[] = [];
  let cur: IpvsService | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    let m = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s+(\S+)(.*)$/.exec(line.trim());
    if (m && !line.startsWith(' ')) {
      const hp = hostPort(m[2]!);
      if (!hp) continue;
      cur = { protocol: m[1] as IpvsService['protocol'], ...hp, scheduler: m[3]!, flags: m[4]!.trim().split(/\s+/).filter(Boolean), servers: [] };
      out.push(cur);
      continue;
    }
    m = /^\s*->\s+(\S+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m && cur) {
      const hp = hostPort(m[1]!);
      if (!hp) continue; // the `-> RemoteAddress:Port` column header
      cur.servers.push({ ...hp, forward: m[2]!, weight: Number(m[3]), activeConn: Number(m[4]), inactConn: Number(m[5]) });
    }
  }
  return out;
}

/** The virtual service for address:port (and protocol), if the node programs one. */
export function ipvsFor(services: IpvsService[], address: string, port: number, protocol = 'TCP'): IpvsService | undefined {
  return services.find((s) => s.address === address && s.port === port && s.protocol === protocol);
}

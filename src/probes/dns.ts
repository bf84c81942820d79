// DNS from the workstation: the system resolver (resolv.conf servers through c-ares, then getaddrinfo for
// /etc/hosts) and every --resolver HOST[:PORT], each asked for the CNAME chain and A/AAAA records with TTLs.
import { isIP } from 'node:net';
import type { DnsAnswer } from '../path/model.ts';

/** node:dns, loaded when first used: loading it sets up c-ares, which reads the resolver configuration (a --no-probe run never needs it). */
const dns = () => process.getBuiltinModule('node:dns').promises;

export interface ResolverSpec {
  /** 'system' or the HOST[:PORT] as given. */
  label: string;
  /** `ip:port` / `[ip]:port` for Resolver.setServers; undefined for the system resolver. */
  server?: string;
}

/** Parses `--resolver` values: `1.1.1.1`, `1.1.1.1:5353`, `[::1]:53`, `::1`, `dns.example:53` (a name is looked up). */
export async function parseResolvers(values: string[]): Promise<ResolverSpec[]> {
  const out: ResolverSpec[] = [];
  for (const v of values) {
    let host: string;
    let port: number | undefined;
    const m6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
    if (m6) {
      host = m6[1]!;
      port = m6[2] ? Number(m6[2]) : undefined;
    } else if (isIP(v) === 6) host = v;
    else {
      const m = /^([^:]+)(?::(\d+))?$/.exec(v);
      if (!m) throw new Error(`invalid --resolver "${v}" (expected HOST[:PORT])`);
      host = m[1]!;
      port = m[2] ? Number(m[2]) : undefined;
    }
    if (port !== undefined && (port < 1 || port > 65535)) throw new Error(`invalid port in --resolver "${v}"`);
    if (!isIP(host)) {
      try {
        host = (await dns().lookup(host)).address;
      } catch (e) {
        throw new Error(`cannot resolve --resolver host "${host}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    const server = isIP(host) === 6 ? `[${host}]:${port ?? 53}` : `${host}:${port ?? 53}`;
    out.push({ label: v, server });
  }
  return out;
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  const map: Record<string, string> = {
    ENOTFOUND: 'ENOTFOUND (NXDOMAIN: no such name)',
    ENODATA: 'ENODATA (the name exists but has no A/AAAA records)',
    ETIMEOUT: 'ETIMEOUT (the resolver did not answer)',
    ECONNREFUSED: 'ECONNREFUSED (nothing answers DNS at that address)',
    ESERVFAIL: 'ESERVFAIL (the resolver failed to answer)',
    EREFUSED: 'EREFUSED (the resolver refused the query)',
  };
  return map[code] ?? (code ? `${code} ${err.message ?? ''}`.trim() : String(err?.message ?? e));
}

/** Asks one resolver about one name. Never throws: failures are in `error`. */
export async function queryName(name: string, spec: ResolverSpec, timeoutMs: number): Promise<DnsAnswer> {
  const t0 = performance.now();
  const r = new (dns().Resolver)({ timeout: Math.max(200, Math.min(timeoutMs, 10_000)), tries: 2 });
  if (spec.server) r.setServers([spec.server]);
  const chain: DnsAnswer['chain'] = [];
  const done = (extra: Partial<DnsAnswer>): DnsAnswer => ({ resolver: spec.label, name, chain, addresses: [], ms: Math.round(performance.now() - t0), ...extra });
  const deadline = new Promise<never>((_, rej) => setTimeout(() => rej(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })), timeoutMs).unref());
  try {
    // The CNAME chain (each hop asked separately, so every link is shown).
    let current = name;
    for (let i = 0; i < 8; i++) {
      let cn: string[] = [];
      try {
        cn = await Promise.race([r.resolveCname(current), deadline]);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENODATA' || code === 'ENOTFOUND') break;
        throw e;
      }
      if (!cn.length) break;
      chain.push({ name: current, type: 'CNAME', value: cn[0]! });
      current = cn[0]!;
    }
    const [a4, a6] = await Promise.allSettled([Promise.race([r.resolve4(current, { ttl: true }), deadline]), Promise.race([r.resolve6(current, { ttl: true }), deadline])]);
    for (const a of a4.status === 'fulfilled' ? a4.value : []) chain.push({ name: current, type: 'A', value: a.address, ttl: a.ttl });
    for (const a of a6.status === 'fulfilled' ? a6.value : []) chain.push({ name: current, type: 'AAAA', value: a.address, ttl: a.ttl });
    const addresses = chain.filter((c) => c.type !== 'CNAME').map((c) => c.value);
    if (addresses.length) return done({ addresses });
    const err = a4.status === 'rejected' ? a4.reason : a6.status === 'rejected' ? a6.reason : Object.assign(new Error('no records'), { code: 'ENODATA' });
    // The system resolver also reads /etc/hosts (getaddrinfo).
    if (!spec.server) {
      try {
        const all = await Promise.race([dns().lookup(name, { all: true }), deadline]);
        if (all.length) {
          for (const a of all) chain.push({ name, type: a.family === 6 ? 'AAAA' : 'A', value: a.address });
          return done({ addresses: all.map((a) => a.address), resolver: 'system (hosts file / getaddrinfo)' });
        }
      } catch {
        /* fall through to the DNS error */
      }
    }
    return done({ error: errText(err) });
  } catch (e) {
    return done({ error: errText(e) });
  } finally {
    r.cancel();
  }
}

/** Every resolver about every name, in parallel. */
export async function probeDns(names: string[], resolvers: ResolverSpec[], timeoutMs: number): Promise<DnsAnswer[]> {
  const specs: ResolverSpec[] = [{ label: 'system' }, ...resolvers];
  const jobs = names.flatMap((n) => specs.map((s) => queryName(n, s, timeoutMs)));
  return Promise.all(jobs);
}

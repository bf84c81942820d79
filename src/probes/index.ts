// Workstation probes for a diagnosis: DNS for the hosts, then TCP and HTTP(S) to the published load-balancer
// addresses of each path. Everything runs in parallel under one per-probe timeout; nothing here throws.
import type { PathFacts } from '../path/facts.ts';
import type { DnsAnswer, HttpTiming, Probes } from '../path/model.ts';
import { statusAddresses } from '../path/resolve.ts';
import { pathUrl } from '../checks/tls.ts';
import { probeDns, type ResolverSpec } from './dns.ts';
import { probeHttp, probeTcp } from './net.ts';

export { parseResolvers, type ResolverSpec } from './dns.ts';

export interface ProbeOptions {
  resolvers: ResolverSpec[];
  timeoutMs: number;
  /** Cap on HTTP requests per run. */
  maxHttp?: number;
}

const isAddr = (s: string) => /^[\d.]+$|:/.test(s);

/** Concrete hostnames worth resolving (wildcards and IPs are not). */
export function probeableHost(h: string | undefined): h is string {
  return !!h && !h.startsWith('*.') && !isAddr(h);
}

export function probeDnsFor(hosts: string[], o: ProbeOptions): Promise<DnsAnswer[]> {
  const names = [...new Set(hosts.filter(probeableHost))];
  return names.length ? probeDns(names, o.resolvers, o.timeoutMs) : Promise.resolve([]);
}

function pathAddresses(f: PathFacts): string[] {
  const lb = f.lb.service?.ok ? f.lb.service.value : undefined;
  return [...new Set([...f.lb.published, ...statusAddresses(lb)])];
}

function pathPort(f: PathFacts): number {
  if (f.port) return f.port;
  if (f.via === 'service') {
    const lb = f.lb.service?.ok ? f.lb.service.value : undefined;
    return Number(lb?.spec?.ports?.[0]?.port ?? 80);
  }
  return f.scheme === 'https' ? 443 : 80;
}

/** TCP and HTTP probes for every path, plus DNS for load-balancer hostnames (cloud LBs publish names). */
export async function probePaths(paths: PathFacts[], dns: DnsAnswer[], o: ProbeOptions): Promise<Probes> {
  const lbHostnames = [...new Set(paths.flatMap(pathAddresses).filter((a) => !isAddr(a)))];
  const lbDnsP = lbHostnames.length ? probeDns(lbHostnames, [], o.timeoutMs) : Promise.resolve([] as DnsAnswer[]);

  const tcpTargets = new Map<string, { address: string; port: number }>();
  for (const f of paths) {
    if (f.notExposed) continue;
    for (const a of pathAddresses(f)) tcpTargets.set(`${a}|${pathPort(f)}`, { address: a, port: pathPort(f) });
  }
  const tcpP = Promise.all([...tcpTargets.values()].map((t) => probeTcp(t.address, t.port, o.timeoutMs)));

  const httpJobs = new Map<string, Promise<HttpTiming>>();
  for (const f of paths) {
    if (f.notExposed || httpJobs.size >= (o.maxHttp ?? 8)) continue;
    const url = pathUrl(f);
    if (httpJobs.has(url)) continue;
    const sys = dns.find((d) => d.name === f.host && d.resolver.startsWith('system'));
    const address = pathAddresses(f)[0] ?? sys?.addresses[0];
    if (!address) continue;
    httpJobs.set(url, probeHttp({ url, address, timeoutMs: o.timeoutMs, ...(sys ? { dnsMs: sys.ms } : {}) }));
  }
  const [lbDns, tcp, http] = await Promise.all([lbDnsP, tcpP, Promise.all(httpJobs.values())]);
  return { dns: [...dns, ...lbDns], tcp, http };
}

// DNS layer: does the host resolve, on every resolver, to the address the path's load balancer publishes?
import type { Check, DnsAnswer } from '../path/model.ts';
import { statusAddresses } from '../path/resolve.ts';
import { type CheckContext, mk } from './util.ts';

export const TTL_WARN_SECONDS = 300;

/** Errors that mean "the name has no such record" (a real answer) rather than "the resolver could not be asked". */
const NO_DATA = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'NODATA']);

function digCmd(host: string, resolver?: string): string {
  if (!resolver || resolver === 'system') return `dig +noall +answer ${host} A ${host} AAAA`;
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(resolver);
  const [server, port] = m && resolver.split(':').length <= 2 ? [m[1], m[2]] : [resolver, undefined];
  return `dig @${server}${port ? ` -p ${port}` : ''} +noall +answer ${host} A`;
}

function errCode(a: DnsAnswer): string {
  return (a.error ?? '').split(/[\s:]/)[0] ?? '';
}

/** The addresses and hostnames the path's load balancer publishes. */
export function expectedTargets(ctx: CheckContext): { addresses: Set<string>; hostnames: Set<string>; from: string[] } {
  const f = ctx.facts;
  const all = [...f.lb.published];
  const from: string[] = [];
  if (f.lb.published.length && f.lb.publishedBy) from.push(`${f.lb.publishedBy.kind.toLowerCase()}/${f.lb.publishedBy.name}: ${f.lb.published.join(', ')}`);
  const svc = f.lb.service?.ok ? f.lb.service.value : undefined;
  const svcAddrs = statusAddresses(svc);
  if (svcAddrs.length && svc) {
    all.push(...svcAddrs);
    if (!f.lb.publishedBy || f.lb.publishedBy.name !== svc.metadata.name || f.lb.publishedBy.kind !== 'Service') from.push(`svc/${svc.metadata.name} -n ${svc.metadata.namespace}: ${svcAddrs.join(', ')}`);
  }
  const isAddr = (s: string) => /^[\d.]+$|:/.test(s);
  return {
    addresses: new Set(all.filter(isAddr)),
    hostnames: new Set(all.filter((s) => !isAddr(s)).map((s) => s.toLowerCase().replace(/\.$/, ''))),
    from,
  };
}

export function dnsChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  const host = f.host;
  if (!host) return [mk('dns.not-on-path', 'skipped', 'no hostname on this path: clients use the load balancer address directly')];
  if (/^[\d.]+$|:/.test(host)) return [mk('dns.not-on-path', 'skipped', `the target is an IP address (${host}): DNS is not involved`)];
  if (host.startsWith('*.'))
    return [mk('dns.resolves', 'skipped', `the rule's host is a wildcard (${host}); name a concrete host to check DNS`, [], `kubectl netpath https://NAME${host.slice(1)}`)];
  if (!ctx.probes) {
    const why = ctx.probeSkipped ?? 'probes disabled';
    return [
      mk('dns.resolves', 'unknown', `not checked: ${why}`, [], digCmd(host)),
      mk('dns.stale-answer', 'unknown', `not checked: ${why}; compare the answer with the published address`, expectedTargets(ctx).from, digCmd(host)),
    ];
  }
  const answers = ctx.probes.dns.filter((a) => a.name === host);
  if (!answers.length) return [mk('dns.resolves', 'unknown', 'not checked: no DNS probe ran for this host', [], digCmd(host))];
  const out: Check[] = [];
  const line = (a: DnsAnswer) =>
    `${a.resolver}: ${a.error ? a.error : a.chain.map((c) => `${c.name} ${c.ttl ?? '?'} ${c.type} ${c.value}`).join(' → ') || a.addresses.join(', ')} (${a.ms} ms)`;

  // dns.resolves
  const answered = answers.filter((a) => a.addresses.length);
  const nodata = answers.filter((a) => !a.addresses.length && NO_DATA.has(errCode(a)));
  const unreachable = answers.filter((a) => !a.addresses.length && !NO_DATA.has(errCode(a)));
  if (answered.length === answers.length) out.push(mk('dns.resolves', 'ok', `${host} resolves on ${answers.length === 1 ? 'the system resolver' : `all ${answers.length} resolvers`}`, answers.map(line)));
  else if (!answered.length && nodata.length)
    out.push(mk('dns.resolves', 'fail', `${host} does not resolve (${[...new Set(nodata.map(errCode))].join(', ')} from ${nodata.map((a) => a.resolver).join(', ')})`, answers.map(line), digCmd(host, nodata[0]!.resolver)));
  else if (!answered.length)
    out.push(mk('dns.resolves', 'unknown', `no resolver could be asked about ${host}: ${unreachable.map((a) => `${a.resolver} ${a.error}`).join('; ')}`, answers.map(line), digCmd(host, unreachable[0]?.resolver)));
  else
    out.push(
      mk('dns.resolves', 'warn', `${host} resolves on ${answered.map((a) => a.resolver).join(', ')} but not on ${answers.filter((a) => !a.addresses.length).map((a) => `${a.resolver} (${a.error})`).join(', ')}`, answers.map(line), digCmd(host, answers.find((a) => !a.addresses.length)?.resolver)),
    );

  // dns.stale-answer
  const exp = expectedTargets(ctx);
  if (answered.length) {
    if (!exp.addresses.size && !exp.hostnames.size) {
      out.push(mk('dns.stale-answer', 'unknown', 'not checked: the load balancer publishes no address to compare with', answered.map(line), digCmd(host)));
    } else {
      // Published hostnames (cloud LBs) match through the CNAME chain or through their own resolution.
      const lbHostAddrs = new Set(ctx.probes.dns.filter((a) => exp.hostnames.has(a.name)).flatMap((a) => a.addresses));
      const matches = (a: DnsAnswer) =>
        a.addresses.some((x) => exp.addresses.has(x) || lbHostAddrs.has(x)) || a.chain.some((c) => c.type === 'CNAME' && exp.hostnames.has(c.value.toLowerCase().replace(/\.$/, '')));
      const stale = answered.filter((a) => !matches(a));
      const expected = [...exp.addresses, ...exp.hostnames].join(', ');
      if (!stale.length) out.push(mk('dns.stale-answer', 'ok', `DNS answers point at the published load balancer (${expected})`, exp.from));
      else
        out.push(
          mk(
            'dns.stale-answer',
            'fail',
            `${stale.map((a) => a.resolver).join(', ')} answer${stale.length === 1 ? 's' : ''} ${[...new Set(stale.flatMap((a) => a.addresses))].join(', ')} for ${host}, but the load balancer publishes ${expected}: a stale record`,
            [...stale.map(line), ...exp.from.map((s) => `published: ${s}`)],
            digCmd(host, stale[0]!.resolver),
          ),
        );
    }
  }

  // dns.resolvers-disagree
  if (answered.length > 1) {
    const key = (a: DnsAnswer) => [...a.addresses].sort().join(',');
    const distinct = new Set(answered.map(key));
    out.push(
      distinct.size === 1
        ? mk('dns.resolvers-disagree', 'ok', `all ${answered.length} resolvers give the same answer`)
        : mk('dns.resolvers-disagree', 'warn', `resolvers disagree about ${host}`, answered.map(line), digCmd(host, answered[1]!.resolver)),
    );
  }

  // dns.ttl-long
  const ttls = answered.flatMap((a) => a.chain.map((c) => ({ r: a.resolver, c }))).filter((x) => typeof x.c.ttl === 'number');
  if (ttls.length) {
    const max = ttls.reduce((m, x) => (x.c.ttl! > m.c.ttl! ? x : m));
    out.push(
      max.c.ttl! > TTL_WARN_SECONDS
        ? mk('dns.ttl-long', 'warn', `TTL ${max.c.ttl} s on ${max.c.name} (${max.r}): after a load-balancer change, clients keep the old answer up to ${Math.round(max.c.ttl! / 60)} min`, ttls.map((x) => `${x.r}: ${x.c.name} ${x.c.type} ttl ${x.c.ttl}`), digCmd(host, max.r))
        : mk('dns.ttl-long', 'ok', `TTL ${max.c.ttl} s (≤ ${TTL_WARN_SECONDS} s)`),
    );
  }
  return out;
}

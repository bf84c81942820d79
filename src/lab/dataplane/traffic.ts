// Background traffic (`--traffic RPS`): GET requests spread across every Ingress host and HTTPRoute hostname,
// sent to the load-balancer address that publishes the name, with the name as Host and SNI (so the controllers'
// routing, TLS selection and access logs see what real clients produce). Certificates are not verified: broken
// scenarios serve expired and fake ones on purpose. Bounded (at most 64 requests in flight, short timeouts) and
// driven by the lab's timers, so it stops with the lab.
import type { LookupFunction } from 'node:net';
import type { ControllerContext } from '../controllers/runtime.ts';
import type { KObject } from '../types.ts';
import { gatewayHostMatches } from './proxies/common.ts';

export interface TrafficTarget {
  scheme: 'http' | 'https';
  host: string;
  address: string;
  port: number;
  paths: string[];
}

const MAX_IN_FLIGHT = 64;
const USER_AGENTS = [
  'curl/8.5.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:133.0) Gecko/20100101 Firefox/133.0',
  'python-requests/2.32.3',
  'Go-http-client/1.1',
];

function lbAddress(o: KObject): string | undefined {
  return (o.status?.loadBalancer?.ingress ?? []).map((i: any) => i?.ip).find(Boolean);
}

function pathsOf(paths: any[] | undefined): string[] {
  const out = (paths ?? [])
    .map((p: any) => (typeof p?.path === 'string' ? p.path : typeof p?.path?.value === 'string' ? p.path.value : '/'))
    .filter((p: string) => p.startsWith('/') && !/[\^$*+?()[\]{}|\\]/.test(p));
  return out.length ? [...new Set(out)] : ['/'];
}

/** Where background requests go: one target per concrete (non-wildcard) host with a published address. */
export function trafficTargets(ctx: ControllerContext): TrafficTarget[] {
  const out: TrafficTarget[] = [];
  const seen = new Set<string>();
  const add = (t: TrafficTarget) => {
    const k = `${t.scheme}://${t.host}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(t);
  };
  for (const ing of ctx.store.list(ctx.type('networking.k8s.io', 'ingresses'))) {
    const address = lbAddress(ing);
    if (!address) continue;
    const tlsHosts = new Set<string>((ing.spec?.tls ?? []).flatMap((t: any) => t?.hosts ?? []));
    for (const rule of ing.spec?.rules ?? []) {
      const host: string | undefined = rule?.host;
      if (!host || host.includes('*')) continue;
      const tls = tlsHosts.has(host);
      add({ scheme: tls ? 'https' : 'http', host, address, port: tls ? 443 : 80, paths: pathsOf(rule.http?.paths) });
    }
  }
  const gwDef = ctx.registry.forType('gateway.networking.k8s.io', 'gateways');
  const routeDef = ctx.registry.forType('gateway.networking.k8s.io', 'httproutes');
  if (gwDef && routeDef) {
    for (const r of ctx.store.list(routeDef)) {
      for (const pr of r.spec?.parentRefs ?? []) {
        const gw = ctx.store.get(gwDef, pr?.namespace ?? r.metadata.namespace, pr?.name ?? '');
        const address = (gw?.status?.addresses ?? []).map((a: any) => a?.value).find((v: string) => typeof v === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(v));
        if (!gw || !address) continue;
        const listeners = ((gw.spec?.listeners ?? []) as any[]).filter(
          (l) => (l?.protocol === 'HTTP' || l?.protocol === 'HTTPS') && (!pr.sectionName || l.name === pr.sectionName) && (pr.port === undefined || pr.port === null || l.port === pr.port),
        );
        const paths = pathsOf((r.spec?.rules ?? []).flatMap((rule: any) => rule?.matches ?? []));
        for (const host of (r.spec?.hostnames ?? []) as string[]) {
          if (host.includes('*')) continue;
          const l = listeners.filter((x) => !x.hostname || gatewayHostMatches(x.hostname, host)).sort((a, b) => (a.protocol === 'HTTPS' ? -1 : 0) - (b.protocol === 'HTTPS' ? -1 : 0))[0];
          if (!l) continue;
          add({ scheme: l.protocol === 'HTTPS' ? 'https' : 'http', host, address, port: l.port, paths });
        }
      }
    }
  }
  return out;
}

export function startTraffic(ctx: ControllerContext, rps: number): { stop(): void } {
  let targets: TrafficTarget[] = [];
  let addresses = new Map<string, string>();
  const refresh = () => {
    targets = trafficTargets(ctx);
    addresses = new Map(targets.map((t) => [t.host.toLowerCase(), t.address]));
  };
  refresh();
  const lookup: LookupFunction = (hostname, options, cb) => {
    const ip = addresses.get(hostname.toLowerCase());
    const err = ip ? null : Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    if ((options as any)?.all) (cb as any)(err, ip ? [{ address: ip, family: 4 }] : []);
    else (cb as any)(err, ip ?? '', 4);
  };
  // undici's Agent loads with the traffic (in dist/ it is a file of its own that the CLI's start need not read)
  const agent = import('undici').then(
    ({ Agent }) =>
      new Agent({
        connect: { rejectUnauthorized: false, lookup, timeout: 5_000 },
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 4_000,
        headersTimeout: 20_000,
        bodyTimeout: 20_000,
        connections: 16,
      }),
  );
  let inFlight = 0;
  let credit = 0;
  let stopped = false;
  let n = 0;
  const tickMs = 100;
  const fire = () => {
    if (!targets.length || inFlight >= MAX_IN_FLIGHT) return;
    const t = targets[n % targets.length]!;
    const path = t.paths[Math.floor(n / targets.length) % t.paths.length]!;
    const ua = USER_AGENTS[n % USER_AGENTS.length]!;
    n++;
    inFlight++;
    const port = t.port === (t.scheme === 'https' ? 443 : 80) ? '' : `:${t.port}`;
    // agent.request: the bundles carry only undici's Agent (scripts/build.mjs); it follows no redirects
    agent
      .then((a) => a.request({ origin: `${t.scheme}://${t.host}${port}`, path, method: 'GET', headers: { 'user-agent': ua, accept: '*/*' } }))
      .then((r) => r.body.dump())
      .catch(() => {})
      .finally(() => {
        inFlight--;
      });
  };
  const timer = ctx.setInterval(() => {
    if (stopped) return;
    credit = Math.min(credit + (rps * tickMs) / 1000, MAX_IN_FLIGHT);
    while (credit >= 1) {
      credit--;
      fire();
    }
  }, tickMs);
  const refresher = ctx.setInterval(refresh, 2_000);
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      ctx.clearTimer(timer);
      ctx.clearTimer(refresher);
      agent.then((a) => a.destroy()).catch(() => {});
    },
  };
}

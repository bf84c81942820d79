// A whole diagnosis: resolve the target's paths, probe from the workstation (unless disabled), check every
// layer of every path, and pick the verdict. Pure orchestration over a ClusterReader, so the CLI, the TUI and
// tests share it.
import type { ClusterReader } from '../kube/types.ts';
import type { ProbeOptions } from '../probes/index.ts';
import { Fetcher } from './fetch.ts';
import { type DnsAnswer, type Path, type Probes, type Report, verdictOf, worst } from './model.ts';
import { resolve } from './resolve.ts';
import { type Target, targetLabel } from './target.ts';

export interface DiagnoseOptions {
  target: Target;
  namespace: string;
  allNamespaces?: boolean;
  /** Workstation probes, or false for --no-probe. */
  probe: ProbeOptions | false;
  /** Why probes are off, shown in the checks that needed them. */
  probeSkipped?: string;
  /**
   * With `probe: false`, check against these earlier probe results instead of marking probe checks unknown
   * (the live session re-diagnoses on watch events without re-probing; added for issue 5).
   */
  reuseProbes?: Probes;
  context?: string;
  cluster?: string;
  now?: () => number;
}

/** The path whose layers the report leads with: the first one that fails, else the first one. */
export function primaryPath(paths: Path[]): Path | undefined {
  return paths.find((p) => verdictOf(p.layers).status === 'fail') ?? paths.find((p) => worst(p.layers.map((l) => l.status)) !== 'ok') ?? paths[0];
}

/**
 * The checks and the workstation probes load when first needed (a `--no-probe` run never loads the probes), so the
 * API requests go out first and the checks' code is evaluated while their answers are on the wire (the CLI starts
 * that with `warmUp`).
 */
const loadChecks = () => import('../checks/index.ts');
const loadProbes = () => import('../probes/index.ts');

/** Evaluates the code a diagnosis needs after its reads (call once the first requests are out). */
export function warmUp(probing: boolean): Promise<unknown> {
  return Promise.all([loadChecks(), probing ? loadProbes() : undefined]);
}

export async function diagnose(reader: ClusterReader, o: DiagnoseOptions): Promise<Report> {
  const f = new Fetcher(reader);
  const t = o.target;
  const probeOpts = o.probe;
  // A host's DNS answer is asked for with the first reads (resolution uses it); otherwise the probes' code is needed
  // only after them, and the reads go out first.
  const early = probeOpts && t.kind === 'host' ? loadProbes().then((m) => (m.probeableHost(t.host) ? m.probeDnsFor([t.host], probeOpts) : undefined)) : undefined;
  const resolution = await resolve(t, f, {
    namespace: o.namespace,
    ...(o.allNamespaces ? { allNamespaces: true } : {}),
    ...(early ? { dnsAddresses: () => early.then((a) => (a ?? []).flatMap((x) => x.addresses)) } : {}),
  });
  let probes: Probes | undefined = probeOpts ? undefined : o.reuseProbes;
  if (probeOpts) {
    const probesMod = await loadProbes();
    const dns: DnsAnswer[] = (await early) ?? [];
    const probed = new Set(dns.map((d) => d.name));
    const more = [...new Set(resolution.paths.map((p) => p.host).filter((h): h is string => probesMod.probeableHost(h) && !probed.has(h)))];
    dns.push(...(await probesMod.probeDnsFor(more, probeOpts)));
    probes = await probesMod.probePaths(resolution.paths, dns, probeOpts);
  }
  const { checkPath } = await loadChecks();
  const now = o.now?.() ?? Date.now();
  const paths = resolution.paths.map((p) => checkPath(p, probes, { now, probeSkipped: o.probeSkipped ?? (probeOpts || probes ? undefined : 'probes disabled') }));
  const primary = primaryPath(paths);
  const layers = primary?.layers ?? [];
  return {
    target: targetLabel(t),
    ...(o.context ? { context: o.context } : {}),
    ...(o.cluster ? { cluster: o.cluster } : {}),
    ...(resolution.namespace ? { namespace: resolution.namespace } : {}),
    generatedAt: new Date(now).toISOString(),
    verdict: verdictOf(layers),
    layers,
    probes: probes ?? { dns: [], tcp: [], http: [] },
    // The primary path first, the others in resolution order.
    paths: primary ? [primary, ...paths.filter((p) => p !== primary)] : paths,
  };
}

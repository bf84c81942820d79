// Ingress routing as the specification and ingress-nginx define it: host match (exact, then a one-label wildcard,
// then rules without host), the Ingresses of one class that share a host merged into one server, and path
// precedence (Exact, then the longest Prefix matched element by element; ImplementationSpecific is treated as
// Prefix; ties go to the oldest Ingress, as ingress-nginx resolves duplicate locations).
import type { KObject } from '../kube/types.ts';

export type HostMatchKind = 'exact' | 'wildcard' | 'any';

/** Ingress host semantics: `*.foo.com` matches exactly one extra label; no host matches every host. */
export function ingressHostMatches(ruleHost: string | undefined | null, host: string): HostMatchKind | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!ruleHost) return 'any';
  const r = ruleHost.toLowerCase();
  if (r === h) return 'exact';
  if (r.startsWith('*.')) {
    const suffix = r.slice(1); // ".foo.com"
    if (h.endsWith(suffix)) {
      const head = h.slice(0, -suffix.length);
      if (head && !head.includes('.')) return 'wildcard';
    }
  }
  return undefined;
}

/** Element-wise prefix match (`/foo` matches `/foo`, `/foo/` and `/foo/bar`, not `/foobar`). */
export function prefixMatches(prefix: string, path: string): boolean {
  const p = prefix.length > 1 ? prefix.replace(/\/+$/, '') : prefix;
  if (p === '/' || p === '') return true;
  const q = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return q === p || path.startsWith(p + '/');
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface IngressPathEntry {
  ingress: KObject;
  ruleIndex: number;
  pathIndex: number;
  host?: string;
  path: string;
  pathType: PathType;
  backend: any;
}

export interface IngressMatch {
  /** The winning entry, when a rule (or a default backend) serves the request. */
  entry?: IngressPathEntry;
  /** The request fell to an Ingress's spec.defaultBackend. */
  viaDefaultBackend?: boolean;
  hostMatch?: HostMatchKind;
  /** Entries with the same path and type in other Ingresses, which lose to the winner. */
  shadowed: IngressPathEntry[];
  /** Every entry of the matched host (for "no rule for this path" evidence). */
  candidates: IngressPathEntry[];
  /** The Ingresses merged into the host's server. */
  ingresses: KObject[];
}

/** Oldest first, then namespace/name: ingress-nginx's order for duplicate locations. */
export function byAge(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function normType(t: unknown): PathType {
  return t === 'Exact' || t === 'Prefix' ? t : 'ImplementationSpecific';
}

/** All path entries of the rules of `ingresses` that match `host`, in the best host tier. */
export function hostEntries(ingresses: KObject[], host: string): { kind?: HostMatchKind; entries: IngressPathEntry[]; ingresses: KObject[] } {
  const tiers: Record<HostMatchKind, IngressPathEntry[]> = { exact: [], wildcard: [], any: [] };
  const ings: Record<HostMatchKind, Set<KObject>> = { exact: new Set(), wildcard: new Set(), any: new Set() };
  for (const ing of ingresses) {
    const rules: any[] = Array.isArray(ing.spec?.rules) ? ing.spec.rules : [];
    rules.forEach((rule, ruleIndex) => {
      const kind = ingressHostMatches(rule?.host, host);
      if (!kind) return;
      ings[kind].add(ing);
      const paths: any[] = Array.isArray(rule?.http?.paths) ? rule.http.paths : [];
      paths.forEach((p, pathIndex) => {
        tiers[kind].push({
          ingress: ing,
          ruleIndex,
          pathIndex,
          ...(rule?.host ? { host: String(rule.host) } : {}),
          path: typeof p?.path === 'string' && p.path ? p.path : '/',
          pathType: normType(p?.pathType),
          backend: p?.backend,
        });
      });
    });
  }
  for (const kind of ['exact', 'wildcard', 'any'] as const) {
    if (ings[kind].size) return { kind, entries: tiers[kind], ingresses: [...ings[kind]].sort(byAge) };
  }
  return { entries: [], ingresses: [] };
}

/** Chooses the entry that serves `path` among the entries of one host. */
export function matchPath(entries: IngressPathEntry[], path: string): { entry?: IngressPathEntry; shadowed: IngressPathEntry[] } {
  const order = (a: IngressPathEntry, b: IngressPathEntry) => byAge(a.ingress, b.ingress) || a.ruleIndex - b.ruleIndex || a.pathIndex - b.pathIndex;
  const exact = entries.filter((e) => e.pathType === 'Exact' && e.path === path).sort(order);
  const pick = (list: IngressPathEntry[]) => {
    const [first, ...rest] = list;
    return { entry: first, shadowed: rest.filter((e) => e.path === first!.path && e.pathType === first!.pathType && e.ingress !== first!.ingress) };
  };
  if (exact.length) return pick(exact);
  const len = (e: IngressPathEntry) => (e.path.length > 1 ? e.path.replace(/\/+$/, '') : e.path).length;
  const prefix = entries
    .filter((e) => e.pathType !== 'Exact' && prefixMatches(e.path, path))
    .sort((a, b) => len(b) - len(a) || (a.pathType === 'Prefix' ? 0 : 1) - (b.pathType === 'Prefix' ? 0 : 1) || order(a, b));
  if (prefix.length) return pick(prefix);
  return { shadowed: [] };
}

/** Host, then path, over the Ingresses of one class. */
export function matchIngress(ingresses: KObject[], host: string, path: string): IngressMatch {
  const { kind, entries, ingresses: merged } = hostEntries(ingresses, host);
  if (!kind) return { shadowed: [], candidates: [], ingresses: [] };
  const { entry, shadowed } = matchPath(entries, path);
  if (entry) return { entry, hostMatch: kind, shadowed, candidates: entries, ingresses: merged };
  // No path: the server's default backend, from an Ingress of the host that defines one (oldest first).
  const withDefault = merged.find((i) => i.spec?.defaultBackend);
  if (withDefault)
    return {
      entry: { ingress: withDefault, ruleIndex: -1, pathIndex: -1, host, path: '/', pathType: 'Prefix', backend: withDefault.spec.defaultBackend },
      viaDefaultBackend: true,
      hostMatch: kind,
      shadowed: [],
      candidates: entries,
      ingresses: merged,
    };
  return { hostMatch: kind, shadowed: [], candidates: entries, ingresses: merged };
}

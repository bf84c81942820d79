// Legacy (unaggregated) discovery documents: /api, /apis, /apis/G, /api/v1 and /apis/G/V. kubectl and
// client-node accept these; kubectl then fetches one APIResourceList per group version it needs.
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceDef, type ResourceRegistry } from '../resources.ts';

/** Verbs of a main resource, as every built-in REST storage with full CRUD advertises them. */
const FULL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Kinds whose storage does not offer deletecollection (the namespace registry omits it). */
const NO_DELETECOLLECTION = new Set(['Namespace']);

interface SubresourceShape {
  /** Kind served at the subresource; defaults to the parent's kind. */
  kind?: string;
  group?: string;
  version?: string;
  verbs: string[];
}

/** How the real apiserver advertises each subresource the lab knows (kind, verbs, foreign group version). */
function subresourceShape(sub: string, parent: ResourceDef): SubresourceShape {
  switch (sub) {
    case 'status':
    case 'ephemeralcontainers':
      return { verbs: ['get', 'patch', 'update'] };
    case 'log':
      return { verbs: ['get'] };
    case 'exec':
      return { kind: 'PodExecOptions', verbs: ['create', 'get'] };
    case 'attach':
      return { kind: 'PodAttachOptions', verbs: ['create', 'get'] };
    case 'portforward':
      return { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] };
    case 'proxy':
      return { kind: `${parent.kind}ProxyOptions`, verbs: ['create', 'delete', 'get', 'patch', 'update'] };
    case 'binding':
      return { kind: 'Binding', verbs: ['create'] };
    case 'eviction':
      return { kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] };
    case 'scale':
      return { kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };
    case 'finalize':
      return { verbs: ['update'] };
    case 'token':
      return { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] };
    default:
      return { verbs: ['get'] };
  }
}

/** The apiserver's storageVersionHash: base64 of the first 8 bytes of sha256("group/version/kind"). */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

/** GET /api */
export function apiVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(name: string, versions: string[]): Record<string, unknown> {
  const gvs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

/** GET /apis: every non-core group with its versions, the preferred one first. */
export function apiGroupList(reg: ResourceRegistry): object {
  const groups: Record<string, unknown>[] = [];
  for (const [name, versions] of reg.groups()) {
    if (name === '') continue;
    groups.push(groupDoc(name, versions));
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** GET /apis/G, or undefined when the group is not served. */
export function apiGroup(reg: ResourceRegistry, group: string): object | undefined {
  if (group === '') return undefined;
  const versions = reg.groups().get(group);
  if (!versions || versions.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, versions) };
}

/** GET /api/v1 (group '') or /apis/G/V, or undefined when that group version is not served. */
export function apiResourceList(reg: ResourceRegistry, group: string, version: string): object | undefined {
  const defs = reg.all.filter((d) => d.group === group && d.version === version);
  if (defs.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const d of defs) {
    const main: Record<string, unknown> = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: NO_DELETECOLLECTION.has(d.kind) && d.group === '' ? FULL_VERBS.filter((v) => v !== 'deletecollection') : [...FULL_VERBS],
    };
    if (d.shortNames?.length) main.shortNames = [...d.shortNames];
    if (d.categories?.length) main.categories = [...d.categories];
    main.storageVersionHash = storageVersionHash(d.group, d.version, d.kind);
    resources.push(main);
    for (const sub of d.subresources ?? []) {
      const shape = subresourceShape(sub, d);
      const entry: Record<string, unknown> = { name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced };
      if (shape.group !== undefined) {
        entry.group = shape.group;
        entry.version = shape.version;
      }
      entry.kind = shape.kind ?? d.kind;
      entry.verbs = [...shape.verbs];
      resources.push(entry);
    }
  }
  resources.sort((a, b) => ((a.name as string) < (b.name as string) ? -1 : (a.name as string) > (b.name as string) ? 1 : 0));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
}

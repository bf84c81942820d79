// A minimal OpenAPI v3: just enough for kubectl.
//
// - `create`/`apply`/`replace` validate with --validate=strict by default. kubectl checks the per-group-version
//   document for a PATCH operation whose `x-kubernetes-group-version-kind` is the object's kind and that takes
//   the `fieldValidation` query parameter. If it finds one, it sends `fieldValidation=Strict` and leaves the
//   validation to the server. If it does not, it falls back to client-side validation against /openapi/v2,
//   which the lab does not serve, and fails.
// - The PATCH request body lists no `application/strategic-merge-patch+json`. With it, client-side apply would
//   compute the strategic merge patch from these schemas, which carry no patch metadata. Without it, kubectl
//   uses the patch metadata compiled into its binary.
// - `components.schemas` has one open schema per kind (`x-kubernetes-preserve-unknown-fields`), tagged with
//   its group/version/kind, so `kubectl explain` finds the kind and validation never rejects a field here.
import { createHash } from 'node:crypto';
import { apiVersionOf, type ResourceDef, type ResourceRegistry } from '../resources.ts';

/** Built-in API groups and the Go package name of their types (`io.k8s.api.<pkg>.<version>.<Kind>`). */
const BUILTIN_PKG: Record<string, string> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  policy: 'policy',
  autoscaling: 'autoscaling',
  'discovery.k8s.io': 'discovery',
  'networking.k8s.io': 'networking',
  'rbac.authorization.k8s.io': 'rbac',
  'admissionregistration.k8s.io': 'admissionregistration',
  'coordination.k8s.io': 'coordination',
  'scheduling.k8s.io': 'scheduling',
  'storage.k8s.io': 'storage',
  'events.k8s.io': 'events',
  'certificates.k8s.io': 'certificates',
  'node.k8s.io': 'node',
};

/** The schema name the real server uses for a kind: `io.k8s.api.core.v1.Pod`, `io.k8s.networking.gateway.v1.Gateway`. */
export function schemaName(def: Pick<ResourceDef, 'group' | 'version' | 'kind'>): string {
  if (def.group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${def.version}.${def.kind}`;
  const pkg = BUILTIN_PKG[def.group];
  if (pkg !== undefined) return `io.k8s.api.${pkg}.${def.version}.${def.kind}`;
  // Custom resources: the group reversed, like the apiextensions-apiserver names them.
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

/** `api/v1` or `apis/apps/v1`: the key of a group version in the index. */
export function gvPathOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `apis/${def.group}/${def.version}` : `api/${def.version}`;
}

/** Top-level fields per kind, for `kubectl explain`; everything else has spec and status. */
const TOP_LEVEL: Record<string, string[]> = {
  ConfigMap: ['binaryData', 'data', 'immutable'],
  Secret: ['data', 'immutable', 'stringData', 'type'],
  ServiceAccount: ['automountServiceAccountToken', 'imagePullSecrets', 'secrets'],
  Endpoints: ['subsets'],
  EndpointSlice: ['addressType', 'endpoints', 'ports'],
  Event: [
    'action', 'count', 'eventTime', 'firstTimestamp', 'involvedObject', 'lastTimestamp', 'message', 'reason',
    'related', 'reportingComponent', 'reportingInstance', 'series', 'source', 'type',
  ],
  Role: ['rules'],
  ClusterRole: ['aggregationRule', 'rules'],
  RoleBinding: ['roleRef', 'subjects'],
  ClusterRoleBinding: ['roleRef', 'subjects'],
  PriorityClass: ['description', 'globalDefault', 'preemptionPolicy', 'value'],
  StorageClass: ['allowVolumeExpansion', 'allowedTopologies', 'mountOptions', 'parameters', 'provisioner', 'reclaimPolicy', 'volumeBindingMode'],
  ControllerRevision: ['data', 'revision'],
  ValidatingWebhookConfiguration: ['webhooks'],
  MutatingWebhookConfiguration: ['webhooks'],
  IngressClass: ['spec'],
  LimitRange: ['spec'],
  Lease: ['spec'],
  ReferenceGrant: ['spec'],
};

const OPEN = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function kindSchema(def: ResourceDef): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
    kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
    metadata: { ...OPEN, description: "Standard object's metadata." },
  };
  for (const f of TOP_LEVEL[def.kind] ?? ['spec', 'status']) {
    properties[f] = { ...OPEN, description: `The ${def.kind}'s ${f} (the lab does not validate it).` };
  }
  return {
    description: `${def.kind} (${apiVersionOf(def)}). The lab serves an open schema: the server accepts any fields.`,
    type: 'object',
    properties,
    'x-kubernetes-preserve-unknown-fields': true,
    'x-kubernetes-group-version-kind': [{ group: def.group, kind: def.kind, version: def.version }],
  };
}

function queryParam(name: string, description: string, type: 'string' | 'boolean' = 'string'): Record<string, unknown> {
  return { name, in: 'query', description, schema: { type, uniqueItems: true } };
}

const PATCH_PARAMS = [
  queryParam('dryRun', 'When present, indicates that modifications should not be persisted.'),
  queryParam('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  queryParam(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields: Ignore, Warn or Strict.',
  ),
  queryParam('force', 'Force is going to "force" Apply requests. It must be unset for non-apply patch requests.', 'boolean'),
];

function pathParam(name: string, description: string): Record<string, unknown> {
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}

function operationId(def: ResourceDef): string {
  const grp = def.group === '' ? 'core' : def.group.replace(/\.k8s\.io$/, '').replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return `patch${cap(grp)}${cap(def.version)}${def.namespaced ? 'Namespaced' : ''}${def.kind}`;
}

function buildDoc(reg: ResourceRegistry, gvPath: string): Record<string, unknown> | undefined {
  const defs = reg.all.filter((d) => gvPathOf(d) === gvPath);
  if (defs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const d of defs) {
    const name = schemaName(d);
    const base = `/${gvPath}${d.namespaced ? '/namespaces/{namespace}' : ''}/${d.plural}/{name}`;
    const ref = { $ref: `#/components/schemas/${name}` };
    const body = { schema: { type: 'object', description: 'The patch to apply.' } };
    paths[base] = {
      parameters: [
        pathParam('name', `name of the ${d.kind}`),
        ...(d.namespaced ? [pathParam('namespace', 'object name and auth scope, such as for teams and projects')] : []),
      ],
      patch: {
        tags: [gvPath.replace(/^apis?\//, '').replace(/[./]/g, '_')],
        description: `partially update the specified ${d.kind}`,
        operationId: operationId(d),
        parameters: PATCH_PARAMS,
        requestBody: {
          content: {
            'application/apply-patch+yaml': body,
            'application/json-patch+json': body,
            'application/merge-patch+json': body,
          },
          required: true,
        },
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: ref } } },
          '201': { description: 'Created', content: { 'application/json': { schema: ref } } },
          '401': { description: 'Unauthorized' },
        },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: d.group, kind: d.kind, version: d.version },
      },
    };
    schemas[name] = kindSchema(d);
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

const cache = new WeakMap<ResourceRegistry, Map<string, { doc: Record<string, unknown>; hash: string } | undefined>>();

function docFor(reg: ResourceRegistry, gvPath: string): { doc: Record<string, unknown>; hash: string } | undefined {
  let m = cache.get(reg);
  if (!m) cache.set(reg, (m = new Map()));
  if (m.has(gvPath)) return m.get(gvPath);
  const doc = buildDoc(reg, gvPath);
  const entry = doc && { doc, hash: createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase() };
  m.set(gvPath, entry);
  return entry;
}

/** GET /openapi/v3: one entry per served group version, each with a content hash kubectl caches by. */
export function openapiIndex(reg: ResourceRegistry): object {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  const seen = new Set<string>();
  for (const d of reg.all) {
    const p = gvPathOf(d);
    if (seen.has(p)) continue;
    seen.add(p);
    const entry = docFor(reg, p)!;
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${entry.hash}` };
  }
  return { paths };
}

/** GET /openapi/v3/<gvPath> (`api/v1`, `apis/apps/v1`; a query string is ignored), or undefined if not served. */
export function openapiGroupVersion(reg: ResourceRegistry, gvPath: string): object | undefined {
  const p = gvPath.replace(/[?#].*$/, '').replace(/^\/+|\/+$/g, '');
  return docFor(reg, p)?.doc;
}

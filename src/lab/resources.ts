// The resource types the lab serves: the single table behind discovery, OpenAPI, routing and the store.

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Subresources served beside the main resource (status, log, scale, …). */
  subresources?: string[];
}

/** An object as a given version of its type serves it (the lab's types have one schema across versions). */
export function asVersion<T extends { apiVersion: string }>(def: Pick<ResourceDef, 'group' | 'version'>, obj: T): T {
  const v = apiVersionOf(def);
  return obj.apiVersion === v ? obj : { ...obj, apiVersion: v };
}

/** `apps/v1` or `v1` for the core group. */
export function apiVersionOf(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Store key of a resource type, stable across versions of one group: `apps/deployments`, `/pods`. */
export function typeKey(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return `${def.group}/${def.plural}`;
}

const ALL = ['all'];

function r(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced: boolean,
  extra: Partial<ResourceDef> = {},
): ResourceDef {
  return { group, version, kind, plural, singular: kind.toLowerCase(), namespaced, ...extra };
}

export const RESOURCES: ResourceDef[] = [
  // core/v1
  r('', 'v1', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status', 'finalize'] }),
  r('', 'v1', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  r('', 'v1', 'Pod', 'pods', true, {
    shortNames: ['po'],
    categories: ALL,
    subresources: ['status', 'log', 'ephemeralcontainers', 'exec', 'attach', 'portforward', 'binding', 'eviction'],
  }),
  r('', 'v1', 'Service', 'services', true, { shortNames: ['svc'], categories: ALL, subresources: ['status', 'proxy'] }),
  r('', 'v1', 'Endpoints', 'endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  r('', 'v1', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  r('', 'v1', 'Secret', 'secrets', true),
  r('', 'v1', 'Event', 'events', true, { shortNames: ['ev'] }),
  r('', 'v1', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'], subresources: ['token'] }),
  r('', 'v1', 'PersistentVolumeClaim', 'persistentvolumeclaims', true, { shortNames: ['pvc'], subresources: ['status'] }),
  r('', 'v1', 'PersistentVolume', 'persistentvolumes', false, { shortNames: ['pv'], subresources: ['status'] }),
  r('', 'v1', 'ResourceQuota', 'resourcequotas', true, { shortNames: ['quota'], subresources: ['status'] }),
  r('', 'v1', 'LimitRange', 'limitranges', true, { shortNames: ['limits'] }),
  r('', 'v1', 'ReplicationController', 'replicationcontrollers', true, { shortNames: ['rc'], categories: ALL, subresources: ['status', 'scale'] }),
  // apps/v1
  r('apps', 'v1', 'Deployment', 'deployments', true, { shortNames: ['deploy'], categories: ALL, subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'ReplicaSet', 'replicasets', true, { shortNames: ['rs'], categories: ALL, subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'DaemonSet', 'daemonsets', true, { shortNames: ['ds'], categories: ALL, subresources: ['status'] }),
  r('apps', 'v1', 'StatefulSet', 'statefulsets', true, { shortNames: ['sts'], categories: ALL, subresources: ['status', 'scale'] }),
  r('apps', 'v1', 'ControllerRevision', 'controllerrevisions', true),
  // batch/v1
  r('batch', 'v1', 'Job', 'jobs', true, { categories: ALL, subresources: ['status'] }),
  r('batch', 'v1', 'CronJob', 'cronjobs', true, { shortNames: ['cj'], categories: ALL, subresources: ['status'] }),
  // discovery.k8s.io/v1
  r('discovery.k8s.io', 'v1', 'EndpointSlice', 'endpointslices', true),
  // networking.k8s.io/v1
  r('networking.k8s.io', 'v1', 'Ingress', 'ingresses', true, { shortNames: ['ing'], subresources: ['status'] }),
  r('networking.k8s.io', 'v1', 'IngressClass', 'ingressclasses', false),
  r('networking.k8s.io', 'v1', 'NetworkPolicy', 'networkpolicies', true, { shortNames: ['netpol'] }),
  // policy/v1
  r('policy', 'v1', 'PodDisruptionBudget', 'poddisruptionbudgets', true, { shortNames: ['pdb'], subresources: ['status'] }),
  // rbac.authorization.k8s.io/v1
  r('rbac.authorization.k8s.io', 'v1', 'Role', 'roles', true),
  r('rbac.authorization.k8s.io', 'v1', 'RoleBinding', 'rolebindings', true),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRole', 'clusterroles', false),
  r('rbac.authorization.k8s.io', 'v1', 'ClusterRoleBinding', 'clusterrolebindings', false),
  // admissionregistration.k8s.io/v1
  r('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false),
  r('admissionregistration.k8s.io', 'v1', 'MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', false),
  // coordination.k8s.io/v1 (controllers' leader election)
  r('coordination.k8s.io', 'v1', 'Lease', 'leases', true),
  // autoscaling/v2
  r('autoscaling', 'v2', 'HorizontalPodAutoscaler', 'horizontalpodautoscalers', true, { shortNames: ['hpa'], categories: ALL, subresources: ['status'] }),
  // scheduling.k8s.io/v1
  r('scheduling.k8s.io', 'v1', 'PriorityClass', 'priorityclasses', false, { shortNames: ['pc'] }),
  // storage.k8s.io/v1
  r('storage.k8s.io', 'v1', 'StorageClass', 'storageclasses', false, { shortNames: ['sc'] }),
  // apiextensions.k8s.io/v1: stored so install bundles with CRDs apply; the built-in Gateway API types are served below
  r('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', 'customresourcedefinitions', false, { shortNames: ['crd', 'crds'], subresources: ['status'] }),
  // gateway.networking.k8s.io
  r('gateway.networking.k8s.io', 'v1', 'GatewayClass', 'gatewayclasses', false, { shortNames: ['gc'], categories: ['gateway-api'], subresources: ['status'] }),
  r('gateway.networking.k8s.io', 'v1', 'Gateway', 'gateways', true, { shortNames: ['gtw'], categories: ['gateway-api'], subresources: ['status'] }),
  r('gateway.networking.k8s.io', 'v1', 'HTTPRoute', 'httproutes', true, { categories: ['gateway-api'], subresources: ['status'] }),
  r('gateway.networking.k8s.io', 'v1', 'GRPCRoute', 'grpcroutes', true, { categories: ['gateway-api'], subresources: ['status'] }),
  r('gateway.networking.k8s.io', 'v1', 'ReferenceGrant', 'referencegrants', true, { shortNames: ['refgrant'], categories: ['gateway-api'] }),
  // served in a second version too, as the standard channel CRD does; the first version listed is the storage one
  r('gateway.networking.k8s.io', 'v1beta1', 'ReferenceGrant', 'referencegrants', true, { shortNames: ['refgrant'], categories: ['gateway-api'] }),
  // lab-only kinds
  r('lab.netpath.dev', 'v1', 'DNSRecord', 'dnsrecords', false, { shortNames: ['dnsrec'] }),
];

export class ResourceRegistry {
  readonly all: ResourceDef[];
  private byGVR = new Map<string, ResourceDef>();
  private byGVK = new Map<string, ResourceDef>();
  private byTypeKey = new Map<string, ResourceDef>();

  constructor(defs: ResourceDef[] = RESOURCES) {
    this.all = defs;
    for (const d of defs) {
      this.byGVR.set(`${d.group}/${d.version}/${d.plural}`, d);
      this.byGVK.set(`${apiVersionOf(d)}/${d.kind}`, d);
      if (!this.byTypeKey.has(typeKey(d))) this.byTypeKey.set(typeKey(d), d);
    }
  }

  /** By group, version and plural as they appear in a URL. */
  lookup(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byGVR.get(`${group}/${version}/${plural}`);
  }

  /** By an object's apiVersion and kind. */
  forKind(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.byGVK.get(`${apiVersion}/${kind}`);
  }

  /** By group and plural, whatever the version. */
  forType(group: string, plural: string): ResourceDef | undefined {
    return this.byTypeKey.get(`${group}/${plural}`);
  }

  /** Must-exist variant of {@link forType} for the lab's own code. */
  type(group: string, plural: string): ResourceDef {
    const d = this.forType(group, plural);
    if (!d) throw new Error(`lab: unknown resource ${group}/${plural}`);
    return d;
  }

  /** group → versions served (preferred first). */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const d of this.all) {
      const vs = out.get(d.group) ?? [];
      if (!vs.includes(d.version)) vs.push(d.version);
      out.set(d.group, vs);
    }
    return out;
  }
}

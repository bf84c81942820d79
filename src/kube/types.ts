// Plain shapes for what the API returns and the one interface the engine reads the cluster through.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid?: string; controller?: boolean }[];
  [key: string]: unknown;
}

/** Any Kubernetes object as JSON. Fields are read defensively: the API is untrusted input. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [key: string]: any;
}

/** A resource type as the REST API addresses it. */
export interface ResourceType {
  /** `v1` for the core group, `group/version` otherwise. */
  apiVersion: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}

export interface ListOptions {
  /** Undefined: all namespaces (for namespaced types). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * The only way the engine reads a cluster. `get` resolves undefined on 404; both throw the typed errors of
 * `errors.ts` (Forbidden, Unauthorized, Unreachable, NotInstalled for a list of a type the server does not serve).
 */
export interface ClusterReader {
  get(type: ResourceType, name: string, namespace?: string): Promise<KObject | undefined>;
  list(type: ResourceType, opts?: ListOptions): Promise<KObject[]>;
}

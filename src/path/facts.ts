// What resolution gathers for one path: the objects on it and every read that failed. Checks are pure functions
// over these facts (and the probe results), so unit tests feed them fixtures and nothing in a check does I/O.
import type { KObject } from '../kube/types.ts';
import type { ControllerSpec } from './controllers.ts';
import type { Got } from './fetch.ts';
import type { IngressMatch } from './ingress-match.ts';
import type { ObjectRef } from './model.ts';

export interface ClusterFacts {
  nodes: Got<KObject[]>;
  /** DaemonSets in kube-system (CNI, kube-proxy). */
  daemonsets: Got<KObject[]>;
  /** ConfigMap kube-system/kube-proxy. */
  kubeProxy: Got<KObject | undefined>;
  ingressClasses: Got<KObject[]>;
  gatewayClasses: Got<KObject[]>;
}

export interface ControllerFacts {
  /** The controller string the class names (IngressClass spec.controller, GatewayClass spec.controllerName). */
  controllerName?: string;
  spec?: ControllerSpec;
  /** The controller's (control-plane) pods, found by its well-known labels. */
  pods?: Got<KObject[]>;
}

export interface TlsFacts {
  /** Hosts of the TLS entry (or listener hostname). */
  hosts: string[];
  secretName?: string;
  secretNamespace: string;
  /** Where the reference comes from: `ingress/NAME` or `gateway/NAME listener https`. */
  from: string;
  secret?: Got<KObject | undefined>;
  /** Secrets of the same name in other namespaces (read only when the Secret is missing). */
  elsewhere?: Got<KObject[]>;
  /** Cross-namespace certificateRef without a ReferenceGrant (Gateway listeners). */
  refNotPermitted?: boolean;
}

export interface IngressFacts {
  object: KObject;
  match: IngressMatch;
  className?: string;
  classSource: 'spec' | 'annotation' | 'default' | 'none';
  classObj?: KObject;
  controller: ControllerFacts;
  tls: TlsFacts[];
}

export interface RouteFacts {
  object: KObject;
  ruleIndex?: number;
  match?: any;
  hostname?: string;
  parentRef: any;
  gateway: Got<KObject | undefined>;
  gatewayRef: ObjectRef;
  gatewayClass?: KObject;
  /** The listeners of the Gateway this path enters through. */
  listeners: any[];
  controller: ControllerFacts;
  /** The Gateway's data-plane pods (proxies). */
  proxyPods?: Got<KObject[]>;
  backendRef?: any;
  /** ReferenceGrants in the backend's namespace, read when the backend is in another namespace. */
  referenceGrants?: Got<KObject[]>;
  tls: TlsFacts[];
}

export interface LbFacts {
  /** The LoadBalancer (or NodePort) Service traffic enters through: the controller's, the Gateway's or the app's. */
  service?: Got<KObject | undefined>;
  serviceRef?: ObjectRef;
  /** Why no such Service is known. */
  unknownReason?: string;
  /** EndpointSlices of that Service (which nodes have ready endpoints). */
  slices?: Got<KObject[]>;
  /** Events in that Service's namespace, read only while its load balancer is pending (SyncLoadBalancerFailed). */
  events?: Got<KObject[]>;
  /** Addresses published for this path (Ingress status, Gateway status, or the Service's own status). */
  published: string[];
  publishedBy?: ObjectRef;
}

export interface BackendFacts {
  namespace: string;
  name: string;
  /** The port as the route or Ingress names it (number or name). */
  port?: number | string;
  service: Got<KObject | undefined>;
  /** The ServicePort the reference resolves to. */
  servicePort?: any;
  slices: Got<KObject[]>;
  /** Pods matching the Service's selector (undefined when it has none). */
  selectedPods?: Got<KObject[]>;
  /** Every pod the EndpointSlices or the selector name. */
  pods: KObject[];
  /** Pods named by EndpointSlices that could not be read. */
  podReadErrors: string[];
  /** Pods carrying the selector's keys with other values (read when the selector matches nothing). */
  relatedPods?: Got<KObject[]>;
  events: Got<KObject[]>;
  netpols: Got<KObject[]>;
}

export interface SourceFacts {
  /** Who opens connections to the pods: the Ingress controller, the Gateway's proxies, or clients outside. */
  kind: 'controller' | 'proxy' | 'external';
  name: string;
  pods: KObject[];
  namespace?: Got<KObject | undefined>;
  /** NetworkPolicies in the source pods' namespace (for egress). */
  netpols?: Got<KObject[]>;
}

export interface PathFacts {
  id: string;
  via: 'ingress' | 'httproute' | 'service';
  host?: string;
  path: string;
  scheme?: 'http' | 'https';
  port?: number;
  ingress?: IngressFacts;
  route?: RouteFacts;
  /** The host or path reached the front end but no rule or route serves it (a 404). */
  noRoute?: { message: string; evidence: string[]; next?: string };
  /** A Service nothing exposes outside the cluster. */
  notExposed?: boolean;
  lb: LbFacts;
  backend?: BackendFacts;
  /** The front end names a backend that is not a Service (Ingress resource backends, other kinds). */
  unsupportedBackend?: string;
  source?: SourceFacts;
  cluster: ClusterFacts;
}

// Every check id netpath emits, with the layer it belongs to and what it verifies. docs/OUTPUT.md documents the
// same list; a unit test keeps the two and the code in step.
import type { LayerId } from '../path/model.ts';

export interface CatalogueEntry {
  id: string;
  layer: LayerId;
  title: string;
  description: string;
  /** Needs workstation probes (unknown with --no-probe). */
  probe?: boolean;
  /** Informational: identifies something; never `unknown`, so it cannot hide a layer's health. */
  info?: boolean;
}

const e = (id: string, layer: LayerId, title: string, description: string, extra: Partial<CatalogueEntry> = {}): CatalogueEntry => ({ id, layer, title, description, ...extra });

export const CATALOGUE: CatalogueEntry[] = [
  // dns
  e('dns.not-on-path', 'dns', 'No hostname on this path', 'The path has no hostname (a Service without an external-dns hostname, or an IP target): DNS is not involved.'),
  e('dns.resolves', 'dns', 'The host resolves', 'The system resolver and every --resolver answer the host with at least one address (A/AAAA, following CNAMEs). NXDOMAIN or no data fails; a resolver that cannot be reached is unknown.', { probe: true }),
  e('dns.stale-answer', 'dns', 'DNS points at the published load balancer', 'Every resolver answers with an address (or CNAME to a hostname) the path\'s load balancer publishes. An answer nobody publishes is a stale record (external-dns "owner id does not match"); the check names the resolver that disagrees.', { probe: true }),
  e('dns.resolvers-disagree', 'dns', 'Resolvers agree', 'The system resolver and the --resolver servers return the same addresses; a difference means a change has not propagated everywhere.', { probe: true }),
  e('dns.ttl-long', 'dns', 'TTL allows a quick cutover', 'Warns when a record\'s TTL exceeds 300 s: after a load-balancer change, clients keep the old address that long.', { probe: true }),

  // loadbalancer
  e('lb.not-exposed', 'loadbalancer', 'Something exposes the Service', 'Warns when the Service is ClusterIP and no Ingress or HTTPRoute routes to it: nothing outside the cluster can reach it.'),
  e('lb.pending', 'loadbalancer', 'The load balancer has an address', 'The LoadBalancer Service on the path (the app\'s, the Ingress controller\'s or the Gateway\'s) has status.loadBalancer.ingress. Fails while EXTERNAL-IP is <pending> (no cloud controller, MetalLB pool or quota), with the service controller\'s events as evidence.'),
  e('lb.address-mismatch', 'loadbalancer', 'Published addresses agree', 'The address in the Ingress or Gateway status is one the load-balancer Service holds; a difference is a stale status.'),
  e('lb.source-ranges', 'loadbalancer', 'Source ranges', 'Warns when loadBalancerSourceRanges (or the service.beta.kubernetes.io/load-balancer-source-ranges annotation) restricts who may connect.'),
  e('lb.health-check', 'loadbalancer', 'Cloud health-check settings', 'Reads the health-check annotations of AWS (NLB/CLB and ALB), GCP, Azure and Alibaba Cloud and flags settings that disagree with the Service: a TCP or traffic-port health check with externalTrafficPolicy Local (nodes without a local pod stay in rotation), a health-check path no readiness probe serves.'),
  e('lb.etp-local-no-endpoints', 'loadbalancer', 'externalTrafficPolicy Local has local endpoints', 'With externalTrafficPolicy: Local only nodes with a ready local endpoint pass the healthCheckNodePort check. Fails when none of the nodes the load balancer targets has one (node exclusion labels, AWS target-node-labels, the lab\'s lb-nodes annotation).'),
  e('lb.tcp-connect', 'loadbalancer', 'TCP connects to the load balancer', 'A TCP connection from the workstation to each published address and port succeeds (the real error — ECONNREFUSED, timeout — otherwise).', { probe: true }),

  // ingress (Ingress API)
  e('ing.class-missing', 'ingress', 'The IngressClass exists', 'The Ingress names an IngressClass (spec.ingressClassName or the legacy annotation) that exists, or a default class applies. Otherwise no controller serves it: no ADDRESS, 404 from the default backend ("Ignoring ingress because of error while validating ingress class").'),
  e('ing.class-unclaimed', 'ingress', 'A controller claims the class', 'The IngressClass\'s spec.controller belongs to a recognised controller (ingress-nginx, F5 NGINX, Traefik, HAProxy, AWS ALB, GKE, Istio, Cilium, Kong, Contour) whose pods exist. Unknown for a controller netpath does not recognise.'),
  e('ing.controller-not-ready', 'ingress', 'Controller pods are ready', 'The controller\'s pods (found by their well-known labels) are Running and Ready.'),
  e('ing.no-address', 'ingress', 'The Ingress is published', 'The Ingress has an address in status.loadBalancer: its controller admitted it.'),
  e('ing.no-rule', 'ingress', 'A rule serves the host and path', 'An Ingress rule matches the host (exact, one-label wildcard, or no host) and the path (Exact, then the longest Prefix element-wise, ImplementationSpecific as Prefix), across every Ingress of the class for that host, as ingress-nginx merges them. No match is a 404.'),
  e('ing.rule-conflict', 'ingress', 'No duplicate rules', 'Warns when several Ingresses define the same host and path: the oldest wins and the others are ignored.'),
  e('ing.backend-not-found', 'ingress', 'The backend Service exists', 'The Service the matched rule names exists in the Ingress\'s namespace (describe shows <error: endpoints "x" not found> otherwise; 503).'),
  e('ing.backend-port-not-found', 'ingress', 'The backend port exists', 'The rule\'s service port (number or name) is a port of the Service.'),
  e('ing.backend-unsupported', 'ingress', 'Backend kind', 'The backend is not a Service (resource backends); netpath cannot follow it.'),
  e('ing.backend-https-no-protocol', 'ingress', 'Backend protocol matches the backend', 'The backend port speaks HTTPS (port name or appProtocol https, 443/8443, an HTTPS readiness probe) but the Ingress does not tell the controller (nginx.ingress.kubernetes.io/backend-protocol: HTTPS, alb.ingress.kubernetes.io/backend-protocol, Traefik serversscheme): 502 "upstream sent no valid HTTP/1.0 header".'),
  e('ing.timeouts', 'ingress', 'Proxy timeouts', 'Reports proxy-read/send/connect timeouts set on the Ingress (ingress-nginx defaults: 60 s read/send, 5 s connect); warns when the read timeout is under 10 s: a slower backend gets 504.'),
  e('ing.tls-host-not-covered', 'ingress', 'TLS covers the host', 'Warns when the path is HTTPS but no TLS entry lists the host: the controller serves its default (fake) certificate.'),
  e('ing.tls-secret-missing', 'ingress', 'The TLS Secret exists', 'The Secret named by spec.tls (or a Gateway listener certificateRef) exists in the namespace; names the namespaces where a Secret of that name exists instead. The controller serves "Kubernetes Ingress Controller Fake Certificate" otherwise.'),
  e('ing.tls-secret-malformed', 'ingress', 'The TLS Secret is valid', 'The Secret is of type kubernetes.io/tls with a non-empty tls.key and a parsable PEM certificate in tls.crt. Only tls.crt is parsed; the key is never read into any output.'),
  e('ing.tls-expired', 'ingress', 'The certificate has not expired', 'The leaf certificate in tls.crt is past its notAfter.'),
  e('ing.tls-expiring', 'ingress', 'The certificate is not about to expire', 'Warns when the certificate expires within 14 days.'),
  e('ing.tls-not-yet-valid', 'ingress', 'The certificate is valid now', 'The certificate\'s notBefore is in the future.'),
  e('ing.tls-san-mismatch', 'ingress', 'The certificate names the host', 'The certificate\'s subjectAltName (or CN) covers the host (RFC 6125 wildcards).'),
  e('ing.tls-served-mismatch', 'ingress', 'The served certificate is the Secret\'s', 'The certificate the load balancer serves for the host (SNI) has the same fingerprint as the Secret\'s; a different one is usually the controller\'s fake default certificate.', { probe: true }),

  // ingress (Gateway API)
  e('gw.class-missing', 'ingress', 'The GatewayClass exists and is accepted', 'The Gateway\'s GatewayClass exists and its controller accepted it (Accepted=True).'),
  e('gw.not-programmed', 'ingress', 'The Gateway is accepted and programmed', 'Gateway conditions Accepted and Programmed are True (AddressNotAssigned, NoResources, Invalid otherwise).'),
  e('gw.listener-invalid', 'ingress', 'The listener is valid', 'The listener the path enters through is Accepted, Programmed and has ResolvedRefs (certificate refs, allowed route kinds).'),
  e('gw.controller-not-ready', 'ingress', 'Gateway control plane and proxies are ready', 'The implementation\'s control-plane pods and the Gateway\'s data-plane (proxy) pods are Ready.'),
  e('route.not-accepted', 'ingress', 'The route is accepted by its Gateway', 'The HTTPRoute\'s status for this parentRef has Accepted=True (NotAllowedByListeners, NoMatchingListenerHostname, NoMatchingParent otherwise).'),
  e('route.no-status', 'ingress', 'The Gateway controller processed the route', 'The HTTPRoute has a status entry from the Gateway\'s controller for this parentRef.'),
  e('route.no-match', 'ingress', 'A route rule serves the host and path', 'An HTTPRoute attached to the Gateway matches the host (listener and route hostnames, suffix wildcards) and the path, with the specification\'s precedence. No match is a 404.'),
  e('route.ref-not-permitted', 'ingress', 'Cross-namespace references are granted', 'A backendRef (or certificateRef) into another namespace is admitted by a ReferenceGrant there (ResolvedRefs=False, reason RefNotPermitted otherwise; 500).'),
  e('route.backend-unresolved', 'ingress', 'The route\'s backend resolves', 'ResolvedRefs=True for the route, and the backendRef names an existing Service and port (BackendNotFound, PortNotFound, InvalidKind otherwise).'),

  // service
  e('svc.exists', 'service', 'The Service exists', 'The backend Service can be read.'),
  e('svc.selector-no-pods', 'service', 'The selector matches pods', 'The Service selector matches pods in its namespace, compared with EndpointSlice membership (the EndpointSlices are the source of truth); names the pods whose labels nearly match.'),
  e('svc.no-selector', 'service', 'Service without selector', 'The Service has no selector: its EndpointSlices are managed by hand or by another controller.'),
  e('svc.targetport-unresolved', 'service', 'targetPort matches a containerPort', 'The Service port\'s targetPort (number or name) is a declared containerPort of every backing pod. A number no container declares is likely refused (502, "connect() failed (111: Connection refused)"); a name no container declares leaves the pod out of the EndpointSlice.'),
  e('net.kube-proxy', 'service', 'kube-proxy mode', 'Identifies kube-proxy\'s mode (iptables, ipvs, nftables) from its ConfigMap, or an eBPF replacement, and whether its DaemonSet is ready, with notes on the overhead of each mode.', { info: true }),

  // endpoints
  e('ep.none', 'endpoints', 'The Service has endpoints', 'The EndpointSlices (label kubernetes.io/service-name) list at least one endpoint for the Service port. 503 "does not have any active endpoint" otherwise.'),
  e('ep.none-ready', 'endpoints', 'Endpoints are ready', 'At least one endpoint is ready; fails here only when the pods are ready and the EndpointSlices disagree (otherwise the pods layer explains it).'),
  e('ep.terminating', 'endpoints', 'No terminating endpoints', 'Warns about endpoints still terminating (serving=true/false, terminating=true) — traffic may hit pods shutting down.'),
  e('ep.flapping', 'endpoints', 'Endpoints are stable', 'Fails when endpoints keep entering and leaving the EndpointSlice: readiness transitions after the containers started, repeated readiness-probe failures (Unhealthy events) on pods that are ready again.'),
  e('ep.drift', 'endpoints', 'EndpointSlices match the pods', 'Ready pods the selector matches are in the EndpointSlices and the EndpointSlices name no pods that no longer exist or match.'),
  e('ep.lb-nodes', 'endpoints', 'Endpoints on the load balancer\'s nodes', 'With externalTrafficPolicy: Local, which target nodes have ready endpoints (evidence for lb.etp-local-no-endpoints).', { info: true }),

  // pods
  e('pod.none', 'pods', 'There are pods', 'At least one pod backs the path.'),
  e('pod.not-ready', 'pods', 'Pods are ready', 'The backing pods are Running and Ready; evidence lists container states (CrashLoopBackOff, ImagePullBackOff) and the kubelet\'s Unhealthy events.'),
  e('pod.restarting', 'pods', 'Pods are not restarting', 'Warns about container restarts (OOMKilled, exit codes, back-off); fails when every pod is in CrashLoopBackOff.'),
  e('pod.probe-failing', 'pods', 'Probes pass', 'Warns when readiness or liveness probes fail on pods that are currently ready (Unhealthy events).'),
  e('pod.node-not-ready', 'pods', 'Nodes are ready', 'The nodes running the pods are Ready.'),
  e('pod.netpol-blocks-controller', 'pods', 'NetworkPolicies admit the controller', 'Evaluates the NetworkPolicies selecting the pods (podSelector, namespaceSelector, ipBlock, ports) and the controller namespace\'s egress policies: the Ingress controller\'s or Gateway proxy\'s pods must be admitted on the target port. 504 "upstream timed out (110: Connection timed out) while connecting" otherwise.'),
  e('pod.netpol-blocks-external', 'pods', 'NetworkPolicies admit outside clients', 'For a LoadBalancer Service, the NetworkPolicies selecting the pods admit clients from outside the cluster on the target port.'),
  e('pod.http-response', 'pods', 'The backend answers', 'An HTTP(S) request to the host through the published load-balancer address returns a non-5xx status in time; 502/503/504 with the curl -w timing breakdown otherwise.', { probe: true }),
  e('net.cni', 'pods', 'CNI', 'Identifies the CNI plugin from kube-system DaemonSets (kindnet, Calico, Cilium, Flannel, Weave, AWS VPC CNI, Azure, GKE, Antrea, kube-router, OVN) and whether it enforces NetworkPolicy, with notes on its data-path overhead.', { info: true }),

  // in-cluster isolation ladder (--ladder, `L` in the UI; docs/PROBES.md). A helper pod curls each hop; passing rungs
  // are ok checks, the first failing rung is the fail check, rungs above it are not run.
  e('ladder.pod', 'pods', 'Pods answer on IP:targetPort', 'From a helper pod, an HTTP request to each ready endpoint\'s pod IP and targetPort gets an answer (below 500). A timeout means packets are dropped (a NetworkPolicy that does not admit the helper\'s namespace, or a hung pod); a refusal that no other declared port explains means the pod does not listen.'),
  e('ladder.target-port', 'service', 'targetPort reaches the container', 'The pods refuse the Service\'s targetPort but answer on another declared containerPort: the Service\'s targetPort is wrong.'),
  e('ladder.cluster-ip', 'service', 'The ClusterIP answers', 'From a helper pod, the Service\'s ClusterIP:port answers when the pods do. A failure here names kube-proxy or the Service (no endpoints, missing rules).'),
  e('ladder.service-dns', 'dns', 'Cluster DNS resolves the Service', 'From a helper pod, NAME.NAMESPACE.svc.cluster.local:port answers when the ClusterIP does. A failure here names cluster DNS.'),
  e('ladder.controller', 'ingress', 'The controller serves the host', 'From a helper pod, the Ingress controller\'s (or Gateway proxy\'s) Service, sent the path\'s Host and SNI, answers below 500 and not 404 (unless the pods answer 404 themselves). A failure here names the controller.'),
  e('ladder.lb', 'loadbalancer', 'The load balancer answers for the host', 'From a helper pod, the load balancer\'s address with the path\'s Host answers when the controller does; fails without probing when the load balancer has no address.'),
  e('ladder.external', 'dns', 'The external URL reaches the load balancer', 'From a helper pod, the external URL (resolved as cluster clients resolve it) answers, from one of the load balancer\'s addresses. An answer from elsewhere, a timeout or NXDOMAIN names DNS (a stale or missing record).'),
];

export const CHECK_IDS = new Set(CATALOGUE.map((c) => c.id));

export function entry(id: string): CatalogueEntry | undefined {
  return CATALOGUE.find((c) => c.id === id);
}

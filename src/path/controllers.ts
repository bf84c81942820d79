// The ingress and Gateway API controllers netpath recognises: how their IngressClass / GatewayClass names them,
// and the labels their pods and data-plane Services carry in the upstream install manifests and Helm charts.

export interface ControllerSpec {
  id: string;
  name: string;
  /** IngressClass spec.controller values. */
  ingressControllers: string[];
  /** GatewayClass spec.controllerName values (exact, or prefixes ending in `/`). */
  gatewayControllers: string[];
  /** Label selectors that find the controller's pods (any namespace); tried together. */
  podSelectors: string[];
  /** Label selectors for the Service that publishes the controller (Ingress controllers). */
  serviceSelectors: string[];
  /** Selectors for a Gateway's data-plane pods and Services (Gateway API implementations). */
  gatewaySelectors?: (gateway: { name: string; namespace: string }) => string[];
  /** False when the controller runs outside the cluster (GKE's managed ingress), so there are no pods to check. */
  inCluster: boolean;
  /** Whether netpath knows its annotations in depth (backend protocol, timeouts). */
  deep: boolean;
  /** Annotation prefix for Ingress settings. */
  annotationPrefix?: string;
  /**
   * The namespace the upstream manifests / Helm chart install the controller's pods into (for Gateway API
   * implementations: the data-plane proxies', when not the Gateway's own). Only a guess to read ahead with: the
   * pods' real namespace decides what the diagnosis uses.
   */
  usualNamespace?: string;
}

const STANDARD_GATEWAY_LABEL = (g: { name: string }) => [`gateway.networking.k8s.io/gateway-name=${g.name}`];

export const CONTROLLERS: ControllerSpec[] = [
  {
    id: 'ingress-nginx',
    name: 'ingress-nginx',
    ingressControllers: ['k8s.io/ingress-nginx'],
    gatewayControllers: [],
    podSelectors: ['app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller'],
    serviceSelectors: ['app.kubernetes.io/name=ingress-nginx,app.kubernetes.io/component=controller'],
    usualNamespace: 'ingress-nginx',
    inCluster: true,
    deep: true,
    annotationPrefix: 'nginx.ingress.kubernetes.io/',
  },
  {
    id: 'nginx-inc',
    name: 'NGINX Ingress Controller (F5 NGINX)',
    ingressControllers: ['nginx.org/ingress-controller'],
    gatewayControllers: [],
    podSelectors: ['app.kubernetes.io/name=nginx-ingress', 'app=nginx-ingress'],
    serviceSelectors: ['app.kubernetes.io/name=nginx-ingress', 'app=nginx-ingress'],
    usualNamespace: 'nginx-ingress',
    inCluster: true,
    deep: false,
    annotationPrefix: 'nginx.org/',
  },
  {
    id: 'traefik',
    name: 'Traefik',
    ingressControllers: ['traefik.io/ingress-controller'],
    gatewayControllers: ['traefik.io/gateway-controller'],
    podSelectors: ['app.kubernetes.io/name=traefik'],
    serviceSelectors: ['app.kubernetes.io/name=traefik'],
    gatewaySelectors: () => ['app.kubernetes.io/name=traefik'],
    usualNamespace: 'traefik',
    inCluster: true,
    deep: false,
    annotationPrefix: 'traefik.ingress.kubernetes.io/',
  },
  {
    id: 'haproxy',
    name: 'HAProxy Kubernetes Ingress',
    ingressControllers: ['haproxy.org/ingress-controller', 'haproxy-ingress.github.io/controller'],
    gatewayControllers: [],
    podSelectors: ['app.kubernetes.io/name=kubernetes-ingress', 'app.kubernetes.io/name=haproxy-ingress'],
    serviceSelectors: ['app.kubernetes.io/name=kubernetes-ingress', 'app.kubernetes.io/name=haproxy-ingress'],
    usualNamespace: 'haproxy-controller',
    inCluster: true,
    deep: false,
    annotationPrefix: 'haproxy.org/',
  },
  {
    id: 'aws-alb',
    name: 'AWS Load Balancer Controller (ALB)',
    ingressControllers: ['ingress.k8s.aws/alb'],
    gatewayControllers: ['gateway.k8s.aws/alb', 'gateway.k8s.aws/nlb'],
    podSelectors: ['app.kubernetes.io/name=aws-load-balancer-controller'],
    serviceSelectors: [],
    inCluster: true,
    deep: false,
    annotationPrefix: 'alb.ingress.kubernetes.io/',
  },
  {
    id: 'gce',
    name: 'GKE Ingress (ingress-gce)',
    ingressControllers: ['k8s.io/ingress-gce', 'k8s.io/gce-internal'],
    gatewayControllers: ['networking.gke.io/gateway'],
    podSelectors: [],
    serviceSelectors: [],
    inCluster: false,
    deep: false,
  },
  {
    id: 'envoy-gateway',
    name: 'Envoy Gateway',
    ingressControllers: [],
    gatewayControllers: ['gateway.envoyproxy.io/gatewayclass-controller'],
    podSelectors: ['control-plane=envoy-gateway,app.kubernetes.io/name=gateway-helm', 'control-plane=envoy-gateway'],
    serviceSelectors: [],
    gatewaySelectors: (g) => [
      `app.kubernetes.io/name=envoy,gateway.envoyproxy.io/owning-gateway-name=${g.name},gateway.envoyproxy.io/owning-gateway-namespace=${g.namespace}`,
    ],
    usualNamespace: 'envoy-gateway-system',
    inCluster: true,
    deep: true,
  },
  {
    id: 'istio',
    name: 'Istio',
    ingressControllers: ['istio.io/ingress-controller'],
    gatewayControllers: ['istio.io/gateway-controller', 'istio.io/mesh-controller'],
    podSelectors: ['app=istiod', 'app=istio-ingressgateway'],
    serviceSelectors: ['app=istio-ingressgateway', 'istio=ingressgateway'],
    gatewaySelectors: STANDARD_GATEWAY_LABEL,
    inCluster: true,
    deep: false,
  },
  {
    id: 'cilium',
    name: 'Cilium',
    ingressControllers: ['cilium.io/ingress-controller'],
    gatewayControllers: ['io.cilium/gateway-controller'],
    podSelectors: ['k8s-app=cilium', 'io.cilium/app=operator'],
    serviceSelectors: ['cilium.io/ingress=true'],
    gatewaySelectors: (g) => [`io.cilium.gateway/owning-gateway=${g.name}`, ...STANDARD_GATEWAY_LABEL(g)],
    inCluster: true,
    deep: false,
  },
  {
    id: 'nginx-gateway-fabric',
    name: 'NGINX Gateway Fabric',
    ingressControllers: [],
    gatewayControllers: ['gateway.nginx.org/nginx-gateway-controller'],
    podSelectors: ['app.kubernetes.io/name=nginx-gateway'],
    serviceSelectors: [],
    gatewaySelectors: STANDARD_GATEWAY_LABEL,
    inCluster: true,
    deep: false,
  },
  {
    id: 'kong',
    name: 'Kong',
    ingressControllers: ['ingress-controllers.konghq.com/kong'],
    gatewayControllers: ['konghq.com/kic-gateway-controller'],
    podSelectors: ['app.kubernetes.io/name=kong'],
    serviceSelectors: ['app.kubernetes.io/name=kong'],
    gatewaySelectors: () => ['app.kubernetes.io/name=kong'],
    usualNamespace: 'kong',
    inCluster: true,
    deep: false,
    annotationPrefix: 'konghq.com/',
  },
  {
    id: 'contour',
    name: 'Contour',
    ingressControllers: ['projectcontour.io/ingress-controller'],
    gatewayControllers: ['projectcontour.io/gateway-controller'],
    podSelectors: ['app.kubernetes.io/name=contour', 'app=contour'],
    serviceSelectors: ['app.kubernetes.io/component=envoy', 'app=envoy'],
    gatewaySelectors: (g) => [`gateway.projectcontour.io/owning-gateway-name=${g.name}`],
    usualNamespace: 'projectcontour',
    inCluster: true,
    deep: false,
  },
];

export function controllerForIngressClass(controller: string | undefined): ControllerSpec | undefined {
  if (!controller) return undefined;
  return CONTROLLERS.find((c) => c.ingressControllers.includes(controller));
}

export function controllerForGatewayClass(controllerName: string | undefined): ControllerSpec | undefined {
  if (!controllerName) return undefined;
  return CONTROLLERS.find((c) => c.gatewayControllers.some((g) => g === controllerName || (g.endsWith('/') && controllerName.startsWith(g))));
}

/** The legacy `kubernetes.io/ingress.class` annotation values of well-known controllers. */
export function controllerForLegacyClass(value: string): ControllerSpec | undefined {
  const map: Record<string, string> = { nginx: 'ingress-nginx', traefik: 'traefik', haproxy: 'haproxy', alb: 'aws-alb', gce: 'gce', 'gce-internal': 'gce', istio: 'istio', cilium: 'cilium', kong: 'kong', contour: 'contour' };
  return CONTROLLERS.find((c) => c.id === map[value]);
}

// The resource types the engine reads.
import type { ResourceType } from './types.ts';

const t = (apiVersion: string, kind: string, plural: string, namespaced = true): ResourceType => ({ apiVersion, kind, plural, namespaced });

export const R = {
  namespaces: t('v1', 'Namespace', 'namespaces', false),
  nodes: t('v1', 'Node', 'nodes', false),
  pods: t('v1', 'Pod', 'pods'),
  services: t('v1', 'Service', 'services'),
  secrets: t('v1', 'Secret', 'secrets'),
  configmaps: t('v1', 'ConfigMap', 'configmaps'),
  events: t('v1', 'Event', 'events'),
  daemonsets: t('apps/v1', 'DaemonSet', 'daemonsets'),
  endpointslices: t('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices'),
  ingresses: t('networking.k8s.io/v1', 'Ingress', 'ingresses'),
  ingressclasses: t('networking.k8s.io/v1', 'IngressClass', 'ingressclasses', false),
  networkpolicies: t('networking.k8s.io/v1', 'NetworkPolicy', 'networkpolicies'),
  gatewayclasses: t('gateway.networking.k8s.io/v1', 'GatewayClass', 'gatewayclasses', false),
  gateways: t('gateway.networking.k8s.io/v1', 'Gateway', 'gateways'),
  httproutes: t('gateway.networking.k8s.io/v1', 'HTTPRoute', 'httproutes'),
  referencegrants: t('gateway.networking.k8s.io/v1beta1', 'ReferenceGrant', 'referencegrants'),
} as const;

/** The REST path of a collection or an object. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string): string {
  const base = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${type.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

/** `pods`, `ingresses.networking.k8s.io`: how kubectl names a resource type. */
export function qualifiedName(type: ResourceType): string {
  const group = type.apiVersion.includes('/') ? type.apiVersion.split('/')[0] : '';
  return group ? `${type.plural}.${group}` : type.plural;
}

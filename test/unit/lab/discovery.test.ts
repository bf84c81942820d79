import { describe, expect, it } from 'vitest';
import { ResourceRegistry } from '../../../src/lab/resources.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, storageVersionHash } from '../../../src/lab/apiserver/discovery.ts';
import { openapiGroupVersion, openapiIndex, schemaName } from '../../../src/lab/apiserver/openapi.ts';

const reg = new ResourceRegistry();

type Res = { name: string; singularName: string; namespaced: boolean; kind: string; verbs: string[]; group?: string; version?: string; shortNames?: string[]; categories?: string[]; storageVersionHash?: string };
const resources = (group: string, version: string): Res[] => (apiResourceList(reg, group, version) as { resources: Res[] }).resources;
const find = (group: string, version: string, name: string): Res | undefined => resources(group, version).find((r) => r.name === name);

describe('legacy discovery', () => {
  it('serves /api as APIVersions with the server address', () => {
    expect(apiVersions('127.0.0.1:41234')).toEqual({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:41234' }],
    });
  });

  it('lists every non-core group in /apis with its preferred version first', () => {
    const list = apiGroupList(reg) as { kind: string; apiVersion: string; groups: { name: string; versions: unknown[]; preferredVersion: unknown }[] };
    expect(list.kind).toBe('APIGroupList');
    expect(list.apiVersion).toBe('v1');
    expect(list.groups.map((g) => g.name)).not.toContain('');
    expect(list.groups.find((g) => g.name === 'apps')).toEqual({
      name: 'apps',
      versions: [{ groupVersion: 'apps/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'apps/v1', version: 'v1' },
    });
    expect(list.groups.find((g) => g.name === 'gateway.networking.k8s.io')).toEqual({
      name: 'gateway.networking.k8s.io',
      versions: [
        { groupVersion: 'gateway.networking.k8s.io/v1', version: 'v1' },
        { groupVersion: 'gateway.networking.k8s.io/v1beta1', version: 'v1beta1' },
      ],
      preferredVersion: { groupVersion: 'gateway.networking.k8s.io/v1', version: 'v1' },
    });
    expect(list.groups.find((g) => g.name === 'autoscaling')?.versions).toEqual([{ groupVersion: 'autoscaling/v2', version: 'v2' }]);
  });

  it('serves /apis/G as an APIGroup and nothing for unknown groups', () => {
    expect(apiGroup(reg, 'discovery.k8s.io')).toEqual({
      kind: 'APIGroup',
      apiVersion: 'v1',
      name: 'discovery.k8s.io',
      versions: [{ groupVersion: 'discovery.k8s.io/v1', version: 'v1' }],
      preferredVersion: { groupVersion: 'discovery.k8s.io/v1', version: 'v1' },
    });
    expect(apiGroup(reg, 'extensions')).toBeUndefined();
    expect(apiGroup(reg, '')).toBeUndefined();
  });

  it('serves /api/v1 with main resources as the apiserver advertises them', () => {
    const list = apiResourceList(reg, '', 'v1') as { kind: string; apiVersion: string; groupVersion: string };
    expect(list.kind).toBe('APIResourceList');
    expect(list.apiVersion).toBe('v1');
    expect(list.groupVersion).toBe('v1');
    expect(find('', 'v1', 'pods')).toEqual({
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
      storageVersionHash: 'xPOwRZ+Yhw8=',
    });
    expect(find('', 'v1', 'nodes')).toMatchObject({ namespaced: false, kind: 'Node', shortNames: ['no'] });
    expect(find('', 'v1', 'endpoints')).toMatchObject({ singularName: 'endpoints', shortNames: ['ep'] });
    expect(find('', 'v1', 'configmaps')?.categories).toBeUndefined();
    // The namespace registry has no deletecollection.
    expect(find('', 'v1', 'namespaces')?.verbs).toEqual(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']);
  });

  it('lists subresources with their kinds, groups and verbs', () => {
    const sub = (name: string) => {
      const r = find('', 'v1', name);
      return r && { kind: r.kind, verbs: r.verbs, group: r.group, version: r.version, singularName: r.singularName, namespaced: r.namespaced };
    };
    expect(sub('pods/log')).toEqual({ kind: 'Pod', verbs: ['get'], group: undefined, version: undefined, singularName: '', namespaced: true });
    expect(sub('pods/status')).toMatchObject({ kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    expect(sub('pods/exec')).toMatchObject({ kind: 'PodExecOptions', verbs: ['create', 'get'] });
    expect(sub('pods/attach')).toMatchObject({ kind: 'PodAttachOptions', verbs: ['create', 'get'] });
    expect(sub('pods/portforward')).toMatchObject({ kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
    expect(sub('pods/ephemeralcontainers')).toMatchObject({ kind: 'Pod', verbs: ['get', 'patch', 'update'] });
    expect(sub('pods/binding')).toMatchObject({ kind: 'Binding', verbs: ['create'] });
    expect(sub('pods/eviction')).toMatchObject({ kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
    expect(sub('services/proxy')).toMatchObject({ kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
    expect(sub('namespaces/finalize')).toMatchObject({ kind: 'Namespace', verbs: ['update'], namespaced: false });
    expect(sub('serviceaccounts/token')).toMatchObject({ kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] });
    expect(find('', 'v1', 'pods/log')?.storageVersionHash).toBeUndefined();
    expect(find('apps', 'v1', 'deployments/scale')).toEqual({
      name: 'deployments/scale',
      singularName: '',
      namespaced: true,
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: ['get', 'patch', 'update'],
    });
  });

  it('sorts resources by name, subresources right after their parent', () => {
    const names = resources('', 'v1').map((r) => r.name);
    expect(names).toEqual([...names].sort());
    const i = names.indexOf('pods');
    expect(names.slice(i, i + 3)).toEqual(['pods', 'pods/attach', 'pods/binding']);
  });

  it('serves group versions and nothing for unknown ones', () => {
    expect((apiResourceList(reg, 'apps', 'v1') as { groupVersion: string }).groupVersion).toBe('apps/v1');
    expect(find('apps', 'v1', 'deployments')).toMatchObject({ kind: 'Deployment', shortNames: ['deploy'], categories: ['all'], storageVersionHash: '8aSe+NMegvE=' });
    expect(find('gateway.networking.k8s.io', 'v1beta1', 'referencegrants')).toMatchObject({ kind: 'ReferenceGrant', shortNames: ['refgrant'] });
    // served in both versions, as the standard-channel CRD does
    expect(find('gateway.networking.k8s.io', 'v1', 'referencegrants')).toMatchObject({ kind: 'ReferenceGrant' });
    expect(find('gateway.networking.k8s.io', 'v1', 'tcproutes')).toBeUndefined();
    expect(apiResourceList(reg, 'apps', 'v1beta1')).toBeUndefined();
    expect(apiResourceList(reg, 'nope', 'v1')).toBeUndefined();
    expect(apiResourceList(reg, '', 'v2')).toBeUndefined();
  });

  it('computes storageVersionHash like the apiserver', () => {
    expect(storageVersionHash('', 'v1', 'Service')).toBe('0/CO1lhkEBI=');
  });
});

describe('openapi v3', () => {
  type Op = {
    parameters: { name: string; in: string }[];
    requestBody: { content: Record<string, unknown> };
    'x-kubernetes-group-version-kind': { group: string; version: string; kind: string };
  };
  type Doc = { openapi: string; paths: Record<string, { patch?: Op }>; components: { schemas: Record<string, Record<string, unknown>> } };
  const doc = (p: string) => openapiGroupVersion(reg, p) as Doc;
  const patchFor = (d: Doc, kind: string): [string, Op] | undefined => {
    for (const [path, item] of Object.entries(d.paths)) if (item.patch?.['x-kubernetes-group-version-kind'].kind === kind) return [path, item.patch];
    return undefined;
  };

  it('indexes every served group version with a content hash', () => {
    const idx = openapiIndex(reg) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(idx.paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/discovery.k8s.io/v1', 'apis/gateway.networking.k8s.io/v1', 'apis/gateway.networking.k8s.io/v1beta1', 'apis/lab.netpath.dev/v1']),
    );
    expect(Object.keys(idx.paths)).toHaveLength(new Set(reg.all.map((d) => `${d.group}/${d.version}`)).size);
    expect(idx.paths['api/v1']!.serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    expect(idx.paths['apis/apps/v1']!.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    // Stable across calls and registries with the same content, so kubectl's cache stays valid.
    expect(openapiIndex(new ResourceRegistry())).toEqual(idx);
  });

  it('has one PATCH per kind with its GVK, fieldValidation and merge patch but no strategic merge patch', () => {
    const core = doc('api/v1');
    expect(core.openapi).toBe('3.0.0');
    const [path, op] = patchFor(core, 'Pod')!;
    expect(path).toBe('/api/v1/namespaces/{namespace}/pods/{name}');
    expect(op['x-kubernetes-group-version-kind']).toEqual({ group: '', version: 'v1', kind: 'Pod' });
    expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'fieldValidation', in: 'query' }));
    expect(Object.keys(op.requestBody.content)).toContain('application/merge-patch+json');
    expect(Object.keys(op.requestBody.content)).not.toContain('application/strategic-merge-patch+json');
    expect(patchFor(core, 'Node')![0]).toBe('/api/v1/nodes/{name}');
    for (const d of reg.all.filter((x) => x.group === '')) expect(patchFor(core, d.kind), d.kind).toBeDefined();

    const gw = doc('apis/gateway.networking.k8s.io/v1');
    expect(patchFor(gw, 'HTTPRoute')![0]).toBe('/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/httproutes/{name}');
    expect(patchFor(gw, 'GatewayClass')![0]).toBe('/apis/gateway.networking.k8s.io/v1/gatewayclasses/{name}');
    expect(patchFor(gw, 'ReferenceGrant')![0]).toBe('/apis/gateway.networking.k8s.io/v1/namespaces/{namespace}/referencegrants/{name}');
    expect(patchFor(gw, 'TCPRoute')).toBeUndefined();
  });

  it('has an open schema per kind tagged with its GVK', () => {
    const apps = doc('apis/apps/v1');
    const s = apps.components.schemas['io.k8s.api.apps.v1.Deployment']!;
    expect(s['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(s.type).toBe('object');
    expect(s['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(Object.keys(s.properties as object)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    expect(Object.keys(doc('api/v1').components.schemas['io.k8s.api.core.v1.ConfigMap']!.properties as object)).toContain('data');
  });

  it('names schemas as the real server does', () => {
    expect(schemaName({ group: '', version: 'v1', kind: 'Pod' })).toBe('io.k8s.api.core.v1.Pod');
    expect(schemaName({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress' })).toBe('io.k8s.api.networking.v1.Ingress');
    expect(schemaName({ group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' })).toBe('io.k8s.api.rbac.v1.Role');
    expect(schemaName({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' })).toBe(
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
    );
    expect(schemaName({ group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway' })).toBe('io.k8s.networking.gateway.v1.Gateway');
  });

  it('tolerates a query string or slashes and returns nothing for unknown group versions', () => {
    expect(openapiGroupVersion(reg, 'api/v1?hash=ABC')).toEqual(openapiGroupVersion(reg, 'api/v1'));
    expect(openapiGroupVersion(reg, '/apis/apps/v1/')).toEqual(openapiGroupVersion(reg, 'apis/apps/v1'));
    expect(openapiGroupVersion(reg, 'apis/apps/v2')).toBeUndefined();
    expect(openapiGroupVersion(reg, 'apis/v1')).toBeUndefined();
  });
});

import { describe, it, expect } from 'vitest';
import {
  applyJsonPatch,
  applyMergePatch,
  applyPatch,
  applyStrategicMergePatch,
  patchTypeFromContentType,
} from '../../../src/lab/store/patch.ts';
import { ApiError } from '../../../src/lab/store/errors.ts';
import type { KObject } from '../../../src/lab/types.ts';

function deployment(): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'd-uid-1',
      resourceVersion: '42',
      generation: 3,
      creationTimestamp: '2024-01-01T00:00:00Z',
      labels: { app: 'web' },
      finalizers: ['a.example.com/one', 'b.example.com/two'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              ports: [
                { containerPort: 80, name: 'http', protocol: 'TCP' },
                { containerPort: 443, name: 'https', protocol: 'TCP' },
              ],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
            { name: 'sidecar', image: 'envoy:1.30', args: ['--x'] },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
          tolerations: [{ key: 'k1', operator: 'Exists' }],
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
  };
}

function service(): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default', uid: 's-uid' },
    spec: {
      selector: { app: 'web' },
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      ],
      externalIPs: ['1.2.3.4', '5.6.7.8'],
    },
  };
}

function catchError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected an ApiError');
}

const podSpecOf = (o: unknown) => (o as KObject).spec.template.spec;

describe('patchTypeFromContentType', () => {
  it('maps the four patch media types', () => {
    expect(patchTypeFromContentType('application/json-patch+json')).toBe('json');
    expect(patchTypeFromContentType('application/merge-patch+json')).toBe('merge');
    expect(patchTypeFromContentType('application/strategic-merge-patch+json')).toBe('strategic');
    expect(patchTypeFromContentType('application/apply-patch+yaml')).toBe('apply');
  });

  it('ignores parameters, surrounding space and case', () => {
    expect(patchTypeFromContentType('application/merge-patch+json; charset=utf-8')).toBe('merge');
    expect(patchTypeFromContentType(' Application/JSON-Patch+JSON ;charset=UTF-8')).toBe('json');
  });

  it('rejects anything else with 415 UnsupportedMediaType', () => {
    for (const ct of ['application/json', 'application/apply-patch+cbor', 'text/plain', '', undefined]) {
      const err = catchError(() => patchTypeFromContentType(ct));
      expect(err.code).toBe(415);
      expect(err.reason).toBe('UnsupportedMediaType');
    }
  });
});

describe('applyMergePatch (RFC 7386)', () => {
  it('merges maps, deletes on null, replaces arrays', () => {
    const target = { a: 'b', c: { d: 'e', f: 'g' }, list: [1, 2, 3] };
    const result = applyMergePatch(target, { a: 'z', c: { f: null, h: 'i' }, list: [9] });
    expect(result).toEqual({ a: 'z', c: { d: 'e', h: 'i' }, list: [9] });
  });

  it('follows the RFC 7386 appendix examples', () => {
    expect(applyMergePatch({ a: 'b' }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'b' }, { b: 'c' })).toEqual({ a: 'b', b: 'c' });
    expect(applyMergePatch({ a: 'b', b: 'c' }, { a: null })).toEqual({ b: 'c' });
    expect(applyMergePatch({ a: ['b'] }, { a: 'c' })).toEqual({ a: 'c' });
    expect(applyMergePatch({ a: 'c' }, { a: ['b'] })).toEqual({ a: ['b'] });
    expect(applyMergePatch({ a: { b: 'c' } }, { a: { b: 'd', c: null } })).toEqual({ a: { b: 'd' } });
    expect(applyMergePatch({ a: [{ b: 'c' }] }, { a: [1] })).toEqual({ a: [1] });
    expect(applyMergePatch(['a', 'b'], ['c', 'd'])).toEqual(['c', 'd']);
    expect(applyMergePatch({ a: 'b' }, ['c'])).toEqual(['c']);
    expect(applyMergePatch({ e: null }, { a: 1 })).toEqual({ e: null, a: 1 });
    expect(applyMergePatch([1, 2], { a: 'b', c: null })).toEqual({ a: 'b' });
    expect(applyMergePatch({}, { a: { bb: { ccc: null } } })).toEqual({ a: { bb: {} } });
  });

  it('does not mutate or alias its inputs', () => {
    const target = { keep: { deep: [1] }, x: 1 };
    const patch = { add: { nested: ['v'] }, x: null };
    const snapshotT = structuredClone(target);
    const snapshotP = structuredClone(patch);
    const result = applyMergePatch(target, patch) as Record<string, any>;
    expect(target).toEqual(snapshotT);
    expect(patch).toEqual(snapshotP);
    result.keep.deep.push(2);
    result.add.nested.push('w');
    expect(target.keep.deep).toEqual([1]);
    expect(patch.add.nested).toEqual(['v']);
  });
});

describe('applyJsonPatch (RFC 6902)', () => {
  const doc = () => ({ metadata: { labels: { app: 'web' } }, list: ['a', 'b', 'c'], n: 1 });

  it('add: object member, array insert and "-" append', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'add', path: '/list/1', value: 'x' },
      { op: 'add', path: '/list/-', value: 'end' },
      { op: 'add', path: '/obj', value: { k: [1] } },
    ]);
    expect(out).toEqual({
      metadata: { labels: { app: 'web', tier: 'front' } },
      list: ['a', 'x', 'b', 'c', 'end'],
      n: 1,
      obj: { k: [1] },
    });
  });

  it('add replaces an existing member and can replace the whole document', () => {
    expect(applyJsonPatch(doc(), [{ op: 'add', path: '/n', value: 2 }])).toMatchObject({ n: 2 });
    expect(applyJsonPatch(doc(), [{ op: 'add', path: '', value: { fresh: true } }])).toEqual({ fresh: true });
  });

  it('remove: object member and array element', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'remove', path: '/metadata/labels/app' },
      { op: 'remove', path: '/list/0' },
    ]);
    expect(out).toEqual({ metadata: { labels: {} }, list: ['b', 'c'], n: 1 });
  });

  it('replace: member and array element; a missing path is 422', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'replace', path: '/n', value: 5 },
      { op: 'replace', path: '/list/2', value: 'C' },
    ]);
    expect(out).toMatchObject({ n: 5, list: ['a', 'b', 'C'] });
    const err = catchError(() => applyJsonPatch(doc(), [{ op: 'replace', path: '/nope', value: 1 }]));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
  });

  it('move and copy', () => {
    const out = applyJsonPatch(doc(), [
      { op: 'copy', from: '/metadata/labels', path: '/selector' },
      { op: 'move', from: '/list/0', path: '/list/-' },
      { op: 'move', from: '/n', path: '/count' },
    ]) as Record<string, any>;
    expect(out).toEqual({
      metadata: { labels: { app: 'web' } },
      selector: { app: 'web' },
      list: ['b', 'c', 'a'],
      count: 1,
    });
    // copy is deep: changing the copy leaves the source alone
    out.selector.app = 'changed';
    expect(out.metadata.labels.app).toBe('web');
  });

  it('move into its own child is rejected', () => {
    const err = catchError(() => applyJsonPatch(doc(), [{ op: 'move', from: '/metadata', path: '/metadata/labels/x' }]));
    expect(err.code).toBe(422);
  });

  it('test: passing test lets later ops run, a failing test is a 422 Invalid and nothing applies', () => {
    expect(
      applyJsonPatch(doc(), [
        { op: 'test', path: '/metadata/labels', value: { app: 'web' } },
        { op: 'replace', path: '/n', value: 2 },
      ]),
    ).toMatchObject({ n: 2 });

    const input = doc();
    const err = catchError(() =>
      applyJsonPatch(input, [
        { op: 'replace', path: '/n', value: 2 },
        { op: 'test', path: '/metadata/labels/app', value: 'api' },
      ]),
    );
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.toStatus()).toMatchObject({ kind: 'Status', code: 422, reason: 'Invalid' });
    expect(err.details?.causes?.[0]?.message).toContain('/metadata/labels/app');
    expect(input.n).toBe(1);
  });

  it('missing paths are 422', () => {
    for (const ops of [
      [{ op: 'remove', path: '/metadata/annotations' }],
      [{ op: 'remove', path: '/list/3' }],
      [{ op: 'add', path: '/missing/child', value: 1 }],
      [{ op: 'add', path: '/list/7', value: 1 }],
      [{ op: 'copy', from: '/nothing', path: '/x' }],
    ]) {
      const err = catchError(() => applyJsonPatch(doc(), ops));
      expect(err.code).toBe(422);
      expect(err.reason).toBe('Invalid');
    }
  });

  it('decodes ~0 and ~1 escapes in pointers', () => {
    const target = { metadata: { annotations: { 'example.com/a~b': 'old', plain: 'p' } } };
    const out = applyJsonPatch(target, [
      { op: 'replace', path: '/metadata/annotations/example.com~1a~0b', value: 'new' },
      { op: 'add', path: '/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: 'now' },
      { op: 'test', path: '/metadata/annotations/example.com~1a~0b', value: 'new' },
    ]);
    expect(out).toEqual({
      metadata: {
        annotations: { 'example.com/a~b': 'new', plain: 'p', 'kubectl.kubernetes.io/restartedAt': 'now' },
      },
    });
  });

  it('malformed documents are 400 BadRequest', () => {
    for (const ops of [
      { op: 'add', path: '/a', value: 1 },
      'nope',
      [42],
      [{ op: 'frobnicate', path: '/a' }],
      [{ path: '/a', value: 1 }],
      [{ op: 'add', value: 1 }],
      [{ op: 'add', path: '/a' }],
      [{ op: 'move', path: '/a' }],
      [{ op: 'add', path: 'no-slash', value: 1 }],
    ]) {
      const err = catchError(() => applyJsonPatch(doc(), ops));
      expect(err.code).toBe(400);
      expect(err.reason).toBe('BadRequest');
    }
  });

  it('never mutates the target or the operations', () => {
    const target = doc();
    const ops = [
      { op: 'add', path: '/obj', value: { inner: [1] } },
      { op: 'remove', path: '/list/0' },
      { op: 'replace', path: '/metadata/labels/app', value: 'api' },
    ];
    const t0 = structuredClone(target);
    const o0 = structuredClone(ops);
    const out = applyJsonPatch(target, ops) as Record<string, any>;
    expect(target).toEqual(t0);
    expect(ops).toEqual(o0);
    out.obj.inner.push(2);
    expect((ops[0]!.value as any).inner).toEqual([1]);
  });
});

describe('applyStrategicMergePatch', () => {
  it('merges containers by name, keeping unpatched fields and containers', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } } },
      'Deployment',
    );
    const spec = podSpecOf(out);
    expect(spec.containers).toHaveLength(2);
    expect(spec.containers[0]).toMatchObject({ name: 'app', image: 'nginx:1.26', env: [{ name: 'A' }, { name: 'B' }] });
    expect(spec.containers[0].ports).toHaveLength(2);
    expect(spec.containers[1]).toEqual({ name: 'sidecar', image: 'envoy:1.30', args: ['--x'] });
  });

  it('puts a new container ahead of the live ones, as the apiserver does without $setElementOrder', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'debug', image: 'busybox' }] } } } },
      'Deployment',
    );
    expect(podSpecOf(out).containers.map((c: any) => c.name)).toEqual(['debug', 'app', 'sidecar']);
  });

  it('orders merged items by the patch, interleaving live-only items by their live position', () => {
    // The preserve-order design's example: live [B, C, A], patch [A', B', D] -> [C, A', B', D].
    const pod: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'B' }, { name: 'C' }, { name: 'A' }] },
    };
    const out = applyStrategicMergePatch(
      pod,
      { spec: { containers: [{ name: 'A', image: "a'" }, { name: 'B', image: "b'" }, { name: 'D' }] } },
      'Pod',
    ) as KObject;
    expect(out.spec.containers).toEqual([{ name: 'C' }, { name: 'A', image: "a'" }, { name: 'B', image: "b'" }, { name: 'D' }]);
  });

  it('merges env by name inside a patched container', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [{ name: 'app', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }],
            },
          },
        },
      },
      'Deployment',
    );
    expect(podSpecOf(out).containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: 'two' },
      { name: 'C', value: '3' },
    ]);
  });

  it('merges container ports by containerPort and volumeMounts by mountPath', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'app',
                  ports: [{ containerPort: 443, name: 'tls' }, { containerPort: 9090, name: 'metrics' }],
                  volumeMounts: [{ mountPath: '/data', readOnly: true }],
                },
              ],
            },
          },
        },
      },
      'Deployment',
    );
    const app = podSpecOf(out).containers[0];
    expect(app.ports).toEqual([
      { containerPort: 80, name: 'http', protocol: 'TCP' },
      { containerPort: 443, name: 'tls', protocol: 'TCP' },
      { containerPort: 9090, name: 'metrics' },
    ]);
    expect(app.volumeMounts).toEqual([{ name: 'data', mountPath: '/data', readOnly: true }]);
  });

  it('merges Service spec.ports by port and replaces externalIPs', () => {
    const out = applyStrategicMergePatch(
      service(),
      { spec: { ports: [{ port: 443, targetPort: 9443 }, { port: 8080, name: 'alt' }], externalIPs: ['9.9.9.9'] } },
      'Service',
    ) as KObject;
    expect(out.spec.ports).toEqual([
      { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
      { name: 'https', port: 443, targetPort: 9443, protocol: 'TCP' },
      { port: 8080, name: 'alt' },
    ]);
    expect(out.spec.externalIPs).toEqual(['9.9.9.9']);
    expect(out.spec.selector).toEqual({ app: 'web' });
  });

  it('uses the CronJob and Pod paths for containers', () => {
    const cron: KObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'c' },
      spec: {
        schedule: '* * * * *',
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'a', args: ['x'] }] } } } },
      },
    };
    const c = applyStrategicMergePatch(
      cron,
      { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'job', image: 'b' }] } } } } } },
      'CronJob',
    ) as KObject;
    expect(c.spec.jobTemplate.spec.template.spec.containers).toEqual([{ name: 'job', image: 'b', args: ['x'] }]);

    const pod: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] },
      status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
    };
    const p = applyStrategicMergePatch(
      pod,
      {
        spec: { containers: [{ name: 'b', image: 'z' }] },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      },
      'Pod',
    ) as KObject;
    expect(p.spec.containers).toEqual([{ name: 'a', image: 'x' }, { name: 'b', image: 'z' }]);
    expect(p.status.conditions).toEqual([{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
  });

  it('replaces lists without patch metadata (tolerations) and all lists of unknown kinds', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { tolerations: [{ key: 'k2', operator: 'Exists' }] } } } },
      'Deployment',
    );
    expect(podSpecOf(out).tolerations).toEqual([{ key: 'k2', operator: 'Exists' }]);

    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'y' }] },
    };
    const w = applyStrategicMergePatch(widget, { spec: { containers: [{ name: 'b', image: 'z' }] } }, 'Widget') as KObject;
    expect(w.spec.containers).toEqual([{ name: 'b', image: 'z' }]);
  });

  it('null deletes a key, maps merge recursively', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { metadata: { labels: { app: null, tier: 'web' }, annotations: { a: 'b' } }, spec: { selector: null } },
      'Deployment',
    ) as KObject;
    expect(out.metadata.labels).toEqual({ tier: 'web' });
    expect(out.metadata.annotations).toEqual({ a: 'b' });
    expect(out.spec.selector).toBeUndefined();
    expect(out.spec.replicas).toBe(2);
  });

  it('$patch: delete removes a container by name', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
      'Deployment',
    );
    expect(podSpecOf(out).containers.map((c: any) => c.name)).toEqual(['app']);
  });

  it('$patch: delete of an env var nested in a merged container', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }] } } } },
      'Deployment',
    );
    expect(podSpecOf(out).containers[0].env).toEqual([{ name: 'B', value: '2' }]);
  });

  it('$patch: replace on a list element replaces the whole list', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } },
      'Deployment',
    );
    expect(podSpecOf(out).containers).toEqual([{ name: 'only', image: 'x' }]);
  });

  it('$patch: replace on a map replaces it, $patch: delete on a map removes it, $patch: merge merges', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      {
        metadata: { labels: { $patch: 'replace', fresh: 'yes' }, annotations: { $patch: 'merge', x: 'y' } },
        spec: { selector: { $patch: 'delete' } },
      },
      'Deployment',
    ) as KObject;
    expect(out.metadata.labels).toEqual({ fresh: 'yes' });
    expect(out.metadata.annotations).toEqual({ x: 'y' });
    expect(out.spec).not.toHaveProperty('selector');
  });

  it('$setElementOrder orders the merged list', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'new' }, { name: 'app' }],
              containers: [{ name: 'new', image: 'n' }],
            },
          },
        },
      },
      'Deployment',
    );
    const spec = podSpecOf(out);
    expect(spec.containers.map((c: any) => c.name)).toEqual(['sidecar', 'new', 'app']);
    expect(Object.keys(spec).filter((k) => k.startsWith('$'))).toEqual([]);
  });

  it('$setElementOrder alone reorders; items it does not name keep their live position', () => {
    const pod: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    };
    const reordered = applyStrategicMergePatch(
      pod,
      { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }] } },
      'Pod',
    ) as KObject;
    expect(reordered.spec.containers.map((c: any) => c.name)).toEqual(['c', 'b', 'a']);

    // 'b' is server-only (e.g. an injected sidecar): it stays between its live neighbours, as the apiserver does.
    const partial = applyStrategicMergePatch(
      pod,
      { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'c' }] } },
      'Pod',
    ) as KObject;
    expect(partial.spec.containers.map((c: any) => c.name)).toEqual(['a', 'b', 'c']);
  });

  it('$setElementOrder for env inside a container', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'app', '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }], env: [{ name: 'A', value: 'x' }] },
              ],
            },
          },
        },
      },
      'Deployment',
    );
    expect(podSpecOf(out).containers[0].env).toEqual([
      { name: 'B', value: '2' },
      { name: 'A', value: 'x' },
    ]);
  });

  it('$deleteFromPrimitiveList removes finalizers; finalizers merge as a set', () => {
    const removed = applyStrategicMergePatch(
      deployment(),
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.example.com/one'] } },
      'Deployment',
    ) as KObject;
    expect(removed.metadata.finalizers).toEqual(['b.example.com/two']);
    expect(removed.metadata).not.toHaveProperty('$deleteFromPrimitiveList/finalizers');

    const added = applyStrategicMergePatch(
      deployment(),
      { metadata: { finalizers: ['b.example.com/two', 'c.example.com/three'] } },
      'Deployment',
    ) as KObject;
    expect(added.metadata.finalizers).toEqual(['a.example.com/one', 'b.example.com/two', 'c.example.com/three']);
  });

  it('finalizers merge for any kind (ObjectMeta), and ownerReferences merge by uid', () => {
    const cm: KObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        finalizers: ['x'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1' }],
      },
      data: { a: '1' },
    };
    const out = applyStrategicMergePatch(
      cm,
      {
        metadata: {
          finalizers: ['y'],
          ownerReferences: [{ uid: 'u1', controller: true }, { apiVersion: 'v1', kind: 'Pod', name: 'q', uid: 'u2' }],
        },
        data: { b: '2' },
      },
      'ConfigMap',
    ) as KObject;
    expect(out.metadata.finalizers).toEqual(['y', 'x']); // new items lead, as in the apiserver
    expect(out.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'u1', controller: true },
      { apiVersion: 'v1', kind: 'Pod', name: 'q', uid: 'u2' },
    ]);
    expect(out.data).toEqual({ a: '1', b: '2' });
  });

  it('$retainKeys drops the keys it does not list', () => {
    const d = deployment();
    d.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } };
    d.spec.template.spec.volumes = [{ name: 'data', hostPath: { path: '/x' } }];
    const out = applyStrategicMergePatch(
      d,
      {
        spec: {
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
          template: { spec: { volumes: [{ name: 'data', $retainKeys: ['emptyDir', 'name'], emptyDir: {} }] } },
        },
      },
      'Deployment',
    ) as KObject;
    expect(out.spec.strategy).toEqual({ type: 'Recreate' });
    expect(out.spec.template.spec.volumes).toEqual([{ name: 'data', emptyDir: {} }]);
  });

  it('$retainKeys must list every key the patch sets', () => {
    const err = catchError(() =>
      applyStrategicMergePatch(deployment(), { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } }, 'Deployment'),
    );
    expect(err.code).toBe(400);
  });

  it('strips every directive, including those inside newly added values', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              containers: [
                {
                  name: 'new',
                  '$setElementOrder/env': [{ name: 'X' }],
                  env: [{ name: 'X', value: '1' }, { name: 'GONE', $patch: 'delete' }],
                  resources: { $patch: 'replace', limits: { cpu: '1', memory: null } },
                },
              ],
            },
          },
        },
      },
      'Deployment',
    );
    const added = podSpecOf(out).containers.find((c: any) => c.name === 'new');
    expect(added).toEqual({ name: 'new', env: [{ name: 'X', value: '1' }], resources: { limits: { cpu: '1' } } });
    expect(JSON.stringify(out)).not.toContain('$');
  });

  it('a merge-list element without its merge key is rejected like the apiserver does', () => {
    const err = catchError(() =>
      applyStrategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, 'Deployment'),
    );
    expect(err.code).toBe(500);
    expect(err.message).toBe('map: map[image:x] does not contain declared merge key: name');
  });

  it('rejects a non-object patch and unknown $patch values with 400', () => {
    expect(catchError(() => applyStrategicMergePatch(deployment(), [1], 'Deployment')).code).toBe(400);
    expect(catchError(() => applyStrategicMergePatch(deployment(), { spec: { $patch: 'explode' } }, 'Deployment')).code).toBe(400);
  });

  it('an empty list in the patch leaves a merge list alone but clears a replace list', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [], tolerations: [] } } } },
      'Deployment',
    );
    expect(podSpecOf(out).containers).toHaveLength(2);
    expect(podSpecOf(out).tolerations).toEqual([]);
  });

  it('does not mutate the target or the patch', () => {
    const target = deployment();
    const patch = {
      metadata: { labels: { app: null } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }],
            containers: [{ name: 'app', env: [{ name: 'A', $patch: 'delete' }] }],
          },
        },
      },
    };
    const t0 = structuredClone(target);
    const p0 = structuredClone(patch);
    const out = applyStrategicMergePatch(target, patch, 'Deployment') as KObject;
    expect(target).toEqual(t0);
    expect(patch).toEqual(p0);
    out.spec.template.spec.containers[1].image = 'mutated';
    expect(target.spec.template.spec.containers[0].image).toBe('nginx:1.25');
  });

  it('merges the patch kubectl client-side apply sends on a second apply of a Deployment', () => {
    const lastApplied = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { annotations: {}, name: 'web', namespace: 'default' },
      spec: {
        replicas: 5,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ image: 'nginx:1.26', name: 'app' }, { image: 'envoy:1.30', name: 'sidecar' }] },
        },
      },
    };
    const live = deployment();
    live.metadata.annotations = {
      'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}\n',
      'deployment.kubernetes.io/revision': '3',
    };
    // Exactly the shape of kubectl's three-way strategic merge patch.
    const patch = JSON.parse(
      JSON.stringify({
        metadata: {
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) + '\n' },
        },
        spec: {
          replicas: 5,
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
              containers: [{ image: 'nginx:1.26', name: 'app' }],
            },
          },
        },
      }),
    );
    const out = applyPatch('strategic', live, patch);
    expect(out.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(lastApplied) + '\n',
      'deployment.kubernetes.io/revision': '3',
    });
    expect(out.spec.replicas).toBe(5);
    const containers = out.spec.template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(['app', 'sidecar']);
    expect(containers[0]).toMatchObject({ name: 'app', image: 'nginx:1.26', env: live.spec.template.spec.containers[0].env });
    expect(out.spec.template.spec).not.toHaveProperty('$setElementOrder/containers');
    expect(out.metadata).toMatchObject({ uid: 'd-uid-1', resourceVersion: '42', finalizers: live.metadata.finalizers });
    expect(out.status).toEqual(live.status);
  });
});

describe('applyPatch', () => {
  it('dispatches json, merge and strategic patches', () => {
    expect(applyPatch('json', deployment(), [{ op: 'replace', path: '/spec/replicas', value: 7 }]).spec.replicas).toBe(7);

    // JSON merge patch replaces lists wholesale; strategic merges them by key.
    const patch = { spec: { template: { spec: { containers: [{ name: 'app', image: 'x' }] } } } };
    expect(applyPatch('merge', deployment(), patch).spec.template.spec.containers).toEqual([{ name: 'app', image: 'x' }]);
    expect(applyPatch('strategic', deployment(), patch).spec.template.spec.containers).toHaveLength(2);
  });

  it('rejects a merge patch that is not an object and a JSON patch that produces a non-object', () => {
    expect(catchError(() => applyPatch('merge', deployment(), ['x'])).code).toBe(400);
    expect(catchError(() => applyPatch('json', deployment(), [{ op: 'replace', path: '', value: 3 }])).code).toBe(400);
  });

  it('apply merges the applied object over the live one, keeping server-owned metadata', () => {
    const live = deployment();
    live.metadata.managedFields = [{ manager: 'kubectl', operation: 'Update' }];
    const applied = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'default',
        labels: { team: 'edge' },
        uid: 'forged',
        managedFields: [{ manager: 'evil', operation: 'Apply' }],
      },
      spec: {
        replicas: 4,
        template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
      },
    };
    const out = applyPatch('apply', live, applied);
    expect(out.metadata).toMatchObject({
      name: 'web',
      uid: 'd-uid-1',
      resourceVersion: '42',
      creationTimestamp: '2024-01-01T00:00:00Z',
      generation: 3,
      labels: { app: 'web', team: 'edge' },
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
    });
    expect(out.spec.replicas).toBe(4);
    expect(out.spec.selector).toEqual({ matchLabels: { app: 'web' } });
    const containers = out.spec.template.spec.containers;
    expect(containers.map((c: any) => c.name)).toEqual(['app', 'sidecar']);
    expect(containers[0]).toMatchObject({ image: 'nginx:1.27', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] });
    expect(out.status).toEqual(live.status);
  });

  it('apply deletes only on explicit nulls and works as a create over an empty object', () => {
    const out = applyPatch('apply', deployment(), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: null } },
    });
    expect(out.metadata.labels).toEqual({});
    expect(out.spec.replicas).toBe(2);

    const created = applyPatch('apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'ns', managedFields: [{ manager: 'x' }] },
      data: { k: 'v' },
    });
    expect(created).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' }, data: { k: 'v' } });
  });

  it('apply keeps a resourceVersion the configuration sets, as a precondition for the caller', () => {
    const out = applyPatch('apply', deployment(), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', resourceVersion: '41', generation: 99 },
    });
    expect(out.metadata.resourceVersion).toBe('41');
    expect(out.metadata.generation).toBe(3);
  });

  it('apply does not mutate the live object or the applied configuration', () => {
    const live = deployment();
    const applied = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', managedFields: [] }, spec: { replicas: 9 } };
    const l0 = structuredClone(live);
    const a0 = structuredClone(applied);
    applyPatch('apply', live, applied);
    expect(live).toEqual(l0);
    expect(applied).toEqual(a0);
  });
});

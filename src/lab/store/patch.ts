// Patch engines for the lab apiserver, over objects kept as parsed JSON:
//   - RFC 6902 JSON patch            (application/json-patch+json)
//   - RFC 7386 JSON merge patch      (application/merge-patch+json)
//   - Kubernetes strategic merge     (application/strategic-merge-patch+json), kind-aware list merging with the
//     semantics of k8s.io/apimachinery/pkg/util/strategicpatch (merge keys, $patch, $setElementOrder,
//     $deleteFromPrimitiveList, $retainKeys)
//   - server-side apply              (application/apply-patch+yaml), approximated as a strategic merge of the
//     applied configuration over the live object.
// Everything here is pure: inputs are never mutated and results never share structure with them.

import type { KObject } from '../types.ts';
import { ApiError, badRequest, unsupportedMediaType } from './errors.ts';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

type JMap = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// Content types

const PATCH_MEDIA_TYPES: ReadonlyMap<string, PatchType> = new Map<string, PatchType>([
  ['application/json-patch+json', 'json'],
  ['application/merge-patch+json', 'merge'],
  ['application/strategic-merge-patch+json', 'strategic'],
  ['application/apply-patch+yaml', 'apply'],
]);

/** The patch type a PATCH request's Content-Type selects; parameters (`;charset=utf-8`) are ignored. */
export function patchTypeFromContentType(contentType: string | undefined): PatchType {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const type = PATCH_MEDIA_TYPES.get(mediaType);
  if (!type) throw unsupportedMediaType(mediaType);
  return type;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON helpers

function isMap(v: unknown): v is JMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property read: never falls through to Object.prototype (think `__proto__`, `constructor`). */
function own(m: JMap, key: string): unknown {
  return Object.hasOwn(m, key) ? m[key] : undefined;
}

/** Property write that stores a `__proto__` key as data instead of changing the prototype. */
function setKey(m: JMap, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(m, key, { value, enumerable: true, writable: true, configurable: true });
  else m[key] = value;
}

function deepClone<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => deepClone(x)) as T;
  if (isMap(v)) {
    const out: JMap = {};
    for (const [k, x] of Object.entries(v)) setKey(out, k, deepClone(x));
    return out as T;
  }
  return v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Go's `%v` rendering of decoded JSON, used where the apiserver's messages print Go values. */
function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isMap(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goValue(v[k])}`)
      .join(' ')}]`;
  }
  return String(v);
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 7386 JSON merge patch

/** RFC 7386: objects merge recursively, `null` deletes, anything else (arrays included) replaces. */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  return mergePatchInto(deepClone(target), patch);
}

function mergePatchInto(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return deepClone(patch);
  const out: JMap = isMap(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else setKey(out, k, mergePatchInto(own(out, k), v));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 6902 JSON patch

/** The apiserver refuses JSON patches with more operations than this. */
const MAX_JSON_PATCH_OPERATIONS = 10000;

const JSON_PATCH_OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

interface JsonPatchOp {
  op: string;
  path: string[];
  rawPath: string;
  from: string[];
  rawFrom: string;
  value: unknown;
}

/**
 * A failed operation. Like the apiserver (a 422 built by NewGenericServerResponse) the message is the generic
 * one; the specific reason rides along as the single status cause.
 */
function patchFailed(detail: string, field?: string): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ message: detail, ...(field !== undefined ? { field } : {}) }],
  });
}

function goJsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function parsePointer(pointer: unknown, member: string, index: number): string[] {
  if (typeof pointer !== 'string') {
    throw badRequest(`invalid JSON patch: operation ${index}: "${member}" must be a string`);
  }
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) {
    throw badRequest(`invalid JSON patch: operation ${index}: JSON pointer "${pointer}" must start with "/"`);
  }
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) {
        throw badRequest(`invalid JSON patch: operation ${index}: invalid escape in JSON pointer "${pointer}"`);
      }
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function parseJsonPatch(ops: unknown): JsonPatchOp[] {
  if (!Array.isArray(ops)) {
    throw badRequest(`json: cannot unmarshal ${goJsonType(ops)} into Go value of type jsonpatch.Patch`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  return ops.map((raw, index): JsonPatchOp => {
    if (!isMap(raw)) {
      throw badRequest(`json: cannot unmarshal ${goJsonType(raw)} into Go struct field of type jsonpatch.Operation`);
    }
    const op = own(raw, 'op');
    if (typeof op !== 'string' || !JSON_PATCH_OPS.has(op)) {
      throw badRequest(`invalid JSON patch: operation ${index}: unexpected op ${JSON.stringify(op ?? null)}`);
    }
    const path = parsePointer(own(raw, 'path'), 'path', index);
    let from: string[] = [];
    if (op === 'move' || op === 'copy') from = parsePointer(own(raw, 'from'), 'from', index);
    if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) {
      throw badRequest(`invalid JSON patch: operation ${index}: "${op}" requires a "value"`);
    }
    return {
      op,
      path,
      rawPath: own(raw, 'path') as string,
      from,
      rawFrom: typeof own(raw, 'from') === 'string' ? (own(raw, 'from') as string) : '',
      value: own(raw, 'value'),
    };
  });
}

/** Array index for a reference token: `-` (only when appending) or a canonical non-negative integer. */
function arrayIndex(token: string, arr: unknown[], forInsert: boolean): number | undefined {
  if (token === '-') return forInsert ? arr.length : undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) return undefined;
  const i = Number(token);
  if (i > arr.length || (!forInsert && i === arr.length)) return undefined;
  return i;
}

type Lookup = { found: true; value: unknown } | { found: false };

function lookupPointer(doc: unknown, tokens: string[]): Lookup {
  let cur = doc;
  for (const token of tokens) {
    if (Array.isArray(cur)) {
      const i = arrayIndex(token, cur, false);
      if (i === undefined) return { found: false };
      cur = cur[i];
    } else if (isMap(cur)) {
      if (!Object.hasOwn(cur, token)) return { found: false };
      cur = cur[token];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: cur };
}

function parentOf(doc: unknown, tokens: string[]): JMap | unknown[] | undefined {
  const parent = lookupPointer(doc, tokens.slice(0, -1));
  if (!parent.found) return undefined;
  return isMap(parent.value) || Array.isArray(parent.value) ? parent.value : undefined;
}

function jsonPatchAdd(doc: unknown, tokens: string[], rawPath: string, value: unknown): unknown {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (parent === undefined) {
    throw patchFailed(`add operation does not apply: doc is missing path: "${rawPath}": missing value`, rawPath);
  }
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent, true);
    if (i === undefined) throw patchFailed(`add operation does not apply: index out of bounds: "${rawPath}"`, rawPath);
    parent.splice(i, 0, value);
  } else {
    setKey(parent, last, value);
  }
  return doc;
}

function jsonPatchRemove(doc: unknown, tokens: string[], rawPath: string, op: string): unknown {
  if (tokens.length === 0) throw patchFailed(`${op} operation does not apply: cannot remove the document root`, rawPath);
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent, false);
    if (i === undefined) throw patchFailed(`Unable to remove nonexistent index: ${rawPath}: missing value`, rawPath);
    parent.splice(i, 1);
  } else if (isMap(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else {
    throw patchFailed(`Unable to remove nonexistent key: ${last}: missing value`, rawPath);
  }
  return doc;
}

function jsonPatchReplace(doc: unknown, tokens: string[], rawPath: string, value: unknown): unknown {
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last, parent, false);
    if (i === undefined) throw patchFailed(`replace operation does not apply: doc is missing key: ${rawPath}: missing value`, rawPath);
    parent[i] = value;
  } else if (isMap(parent) && Object.hasOwn(parent, last)) {
    setKey(parent, last, value);
  } else {
    throw patchFailed(`replace operation does not apply: doc is missing key: ${rawPath}: missing value`, rawPath);
  }
  return doc;
}

function isProperPrefix(prefix: string[], tokens: string[]): boolean {
  return prefix.length < tokens.length && prefix.every((t, i) => tokens[i] === t);
}

/**
 * RFC 6902. A malformed document (not a list, unknown op, missing members, bad pointers) is a 400 BadRequest;
 * an operation that does not apply to this object (missing path, failed test) is a 422 Invalid. The input is
 * never mutated.
 */
export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  const operations = parseJsonPatch(ops);
  let doc = deepClone(target);
  for (const o of operations) {
    switch (o.op) {
      case 'add':
        doc = jsonPatchAdd(doc, o.path, o.rawPath, deepClone(o.value));
        break;
      case 'remove':
        doc = jsonPatchRemove(doc, o.path, o.rawPath, 'remove');
        break;
      case 'replace':
        doc = jsonPatchReplace(doc, o.path, o.rawPath, deepClone(o.value));
        break;
      case 'move': {
        const src = lookupPointer(doc, o.from);
        if (!src.found) throw patchFailed(`move operation does not apply: doc is missing from path: ${o.rawFrom}: missing value`, o.rawFrom);
        if (isProperPrefix(o.from, o.path)) {
          throw patchFailed(`move operation does not apply: "${o.rawPath}" is a child of "${o.rawFrom}"`, o.rawPath);
        }
        if (o.from.length === o.path.length && o.from.every((t, i) => o.path[i] === t)) break;
        doc = jsonPatchRemove(doc, o.from, o.rawFrom, 'move');
        doc = jsonPatchAdd(doc, o.path, o.rawPath, src.value);
        break;
      }
      case 'copy': {
        const src = lookupPointer(doc, o.from);
        if (!src.found) throw patchFailed(`copy operation does not apply: doc is missing from path: ${o.rawFrom}: missing value`, o.rawFrom);
        doc = jsonPatchAdd(doc, o.path, o.rawPath, deepClone(src.value));
        break;
      }
      case 'test': {
        const got = lookupPointer(doc, o.path);
        // As with the json-patch library the apiserver uses, testing a missing location against null passes.
        const ok = got.found ? deepEqual(got.value, o.value) : o.value === null;
        if (!ok) throw patchFailed(`testing value ${o.rawPath} failed: test failed`, o.rawPath);
        break;
      }
    }
  }
  return doc;
}

// ---------------------------------------------------------------------------------------------------------------
// Strategic merge patch: patch metadata (the `patchStrategy` / `patchMergeKey` struct tags of k8s.io/api)

interface FieldMeta {
  /** patchStrategy "merge": lists of maps merge by `mergeKey`, primitive lists merge as a set union. */
  readonly merge?: boolean;
  readonly mergeKey?: string;
  /** Field metadata of the map (or of each element of the list) under this field. */
  readonly schema?: Schema;
}

type Schema = Readonly<Record<string, FieldMeta>>;

const byKey = (mergeKey: string, schema?: Schema): FieldMeta => ({ merge: true, mergeKey, ...(schema ? { schema } : {}) });
const nested = (schema: Schema): FieldMeta => ({ schema });
const primitiveSet: FieldMeta = { merge: true };

const OBJECT_META: Schema = {
  ownerReferences: byKey('uid'),
  finalizers: primitiveSet,
};

const CONTAINER: Schema = {
  ports: byKey('containerPort'),
  env: byKey('name'),
  volumeMounts: byKey('mountPath'),
  volumeDevices: byKey('devicePath'),
};

const POD_SPEC: Schema = {
  containers: byKey('name', CONTAINER),
  initContainers: byKey('name', CONTAINER),
  ephemeralContainers: byKey('name', CONTAINER),
  volumes: byKey('name'),
  imagePullSecrets: byKey('name'),
  hostAliases: byKey('ip'),
  topologySpreadConstraints: byKey('topologyKey'),
  resourceClaims: byKey('name'),
  schedulingGates: byKey('name'),
};

const POD_TEMPLATE_SPEC: Schema = { metadata: nested(OBJECT_META), spec: nested(POD_SPEC) };

const CONDITIONS_STATUS: Schema = { conditions: byKey('type') };

const WORKLOAD: Schema = {
  metadata: nested(OBJECT_META),
  spec: nested({ template: nested(POD_TEMPLATE_SPEC) }),
  status: nested(CONDITIONS_STATUS),
};

const KIND_SCHEMAS: ReadonlyMap<string, Schema> = new Map<string, Schema>([
  [
    'Pod',
    {
      metadata: nested(OBJECT_META),
      spec: nested(POD_SPEC),
      status: nested({
        conditions: byKey('type'),
        podIPs: byKey('ip'),
        hostIPs: byKey('ip'),
        resourceClaimStatuses: byKey('name'),
      }),
    },
  ],
  ['PodTemplate', { metadata: nested(OBJECT_META), template: nested(POD_TEMPLATE_SPEC) }],
  ['Deployment', WORKLOAD],
  ['ReplicaSet', WORKLOAD],
  ['DaemonSet', WORKLOAD],
  ['StatefulSet', WORKLOAD],
  ['ReplicationController', WORKLOAD],
  ['Job', WORKLOAD],
  [
    'CronJob',
    {
      metadata: nested(OBJECT_META),
      spec: nested({ jobTemplate: nested({ metadata: nested(OBJECT_META), spec: nested({ template: nested(POD_TEMPLATE_SPEC) }) }) }),
    },
  ],
  [
    'Service',
    { metadata: nested(OBJECT_META), spec: nested({ ports: byKey('port') }), status: nested(CONDITIONS_STATUS) },
  ],
  [
    'Node',
    {
      metadata: nested(OBJECT_META),
      spec: nested({ podCIDRs: primitiveSet }),
      status: nested({ conditions: byKey('type'), addresses: byKey('type') }),
    },
  ],
  ['Namespace', { metadata: nested(OBJECT_META), status: nested(CONDITIONS_STATUS) }],
  ['PersistentVolumeClaim', { metadata: nested(OBJECT_META), status: nested(CONDITIONS_STATUS) }],
  ['HorizontalPodAutoscaler', { metadata: nested(OBJECT_META), status: nested(CONDITIONS_STATUS) }],
  ['PodDisruptionBudget', { metadata: nested(OBJECT_META), status: nested(CONDITIONS_STATUS) }],
]);

/** Every kind has ObjectMeta; lists of kinds without patch metadata are replaced wholesale. */
const GENERIC_SCHEMA: Schema = { metadata: nested(OBJECT_META) };

function schemaForKind(kind: string): Schema {
  return KIND_SCHEMAS.get(kind) ?? GENERIC_SCHEMA;
}

function fieldMeta(schema: Schema | undefined, field: string): FieldMeta | undefined {
  return schema && Object.hasOwn(schema, field) ? schema[field] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Strategic merge patch: the merge

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** mergeMap's answer for a `$patch: delete` map: the caller drops the field. */
const DELETED = Symbol('$patch: delete');

function badPatchType(directive: unknown, m: JMap): ApiError {
  return badRequest(`unknown patch type: ${goValue(directive)} in map: ${goValue(m)}`);
}

/** What the apiserver answers (an unwrapped Go error: 500, no reason) for a merge-list element without its key. */
function noMergeKey(m: JMap, mergeKey: string): ApiError {
  return new ApiError(500, '', `map: ${goValue(m)} does not contain declared merge key: ${mergeKey}`);
}

function directiveList(patch: JMap, key: string, message: string): unknown[] {
  const v = own(patch, key);
  if (!Array.isArray(v)) throw badRequest(message);
  return v;
}

/**
 * Merges `patch` into `original` (which it may mutate: callers hand it private copies) and returns the result.
 * `original` undefined means the field is new: the patch value is then taken as is, minus directives and nulls.
 */
function mergeMap(original: JMap | undefined, patch: JMap, schema: Schema | undefined): JMap | typeof DELETED {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'delete') return DELETED;
    if (directive === 'replace') {
      const rest: JMap = {};
      for (const [k, v] of Object.entries(patch)) if (k !== DIRECTIVE) setKey(rest, k, v);
      return mergeMap(undefined, rest, schema);
    }
    if (directive !== 'merge') throw badPatchType(directive, patch);
  }

  const out: JMap = original ?? {};

  if (Object.hasOwn(patch, RETAIN_KEYS)) {
    const retain = directiveList(patch, RETAIN_KEYS, 'invalid patch format of retainKeys');
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith('$')) continue;
      if (!retain.includes(k)) throw badRequest('invalid patch format of retainKeys');
    }
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }

  // Deletions from primitive lists go first: kubectl never lists a value both here and in the list itself.
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const field = k.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const remove = directiveList(patch, k, 'invalid patch format of primitive list');
    if (!field) throw badRequest('invalid patch format of primitive list');
    const current = own(out, field);
    if (Array.isArray(current)) setKey(out, field, current.filter((item) => !remove.some((r) => deepEqual(r, item))));
  }

  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue; // directives (and nothing else starts with `$`) never reach the result
    if (v === null) {
      delete out[k];
      continue;
    }
    const meta = fieldMeta(schema, k);
    const current = own(out, k);
    if (isMap(v)) {
      const merged = mergeMap(isMap(current) ? current : undefined, v, meta?.schema);
      if (merged === DELETED) delete out[k];
      else setKey(out, k, merged);
    } else if (Array.isArray(v)) {
      const before = Array.isArray(current) ? current : [];
      let merged = mergeList(before, v, meta);
      if (Object.hasOwn(patch, SET_ELEMENT_ORDER + k)) {
        const order = directiveList(patch, SET_ELEMENT_ORDER + k, 'invalid patch format of setElementOrder list');
        merged = applyElementOrder(merged, order, before, meta?.mergeKey);
      }
      setKey(out, k, merged);
    } else {
      setKey(out, k, v);
    }
  }

  // $setElementOrder for a list the patch does not otherwise change: a pure reorder.
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = directiveList(patch, k, 'invalid patch format of setElementOrder list');
    const field = k.slice(SET_ELEMENT_ORDER.length);
    if (!field) throw badRequest('invalid patch format of setElementOrder list');
    if (Object.hasOwn(patch, field)) continue;
    const current = own(out, field);
    if (Array.isArray(current)) setKey(out, field, applyElementOrder(current, order, current, fieldMeta(schema, field)?.mergeKey));
  }

  return out;
}

/** A list taken as is (replace strategy, or a new field): directives and null map values are dropped. */
function cleanList(list: unknown[], elementSchema?: Schema): unknown[] {
  const out: unknown[] = [];
  for (const el of list) {
    if (isMap(el)) {
      const m = mergeMap(undefined, el, elementSchema);
      if (m !== DELETED && !(Object.keys(m).length === 0 && Object.hasOwn(el, DIRECTIVE))) out.push(m);
    } else if (Array.isArray(el)) {
      out.push(cleanList(el));
    } else {
      out.push(el);
    }
  }
  return out;
}

function mergeList(original: unknown[], patch: unknown[], meta: FieldMeta | undefined): unknown[] {
  if (!meta?.merge) return cleanList(patch);

  const isMapList = patch.some(isMap) || original.some(isMap);
  if (!isMapList) {
    // Primitive list with the merge strategy: a set union, in patch order then live order.
    const merged: unknown[] = [];
    for (const item of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, item))) merged.push(item);
    const inPatch = (x: unknown) => patch.some((p) => deepEqual(p, x));
    return normalizeElementOrder(merged.filter(inPatch), merged.filter((x) => !inPatch(x)), patch, original, (x) => x);
  }

  const mergeKey = meta.mergeKey;
  if (!mergeKey) return cleanList(patch, meta.schema);
  const keyOf = (x: unknown): unknown => (isMap(x) ? own(x, mergeKey) : undefined);
  const sameKey = (a: unknown, b: unknown) => isMap(a) && Object.hasOwn(a, mergeKey) && deepEqual(a[mergeKey], keyOf(b));

  // Special elements first: `$patch: delete` removes by merge key, `$patch: replace` replaces the whole list.
  let base = original.slice();
  const plain: JMap[] = [];
  let replace = false;
  for (const el of patch) {
    if (!isMap(el)) throw badRequest(`list element types are not identical: ${goValue(patch)}`);
    if (!Object.hasOwn(el, DIRECTIVE)) {
      plain.push(el);
      continue;
    }
    const directive = el[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(el, mergeKey)) throw noMergeKey(el, mergeKey);
      base = base.filter((o) => !sameKey(o, el));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw badRequest('merging lists cannot yet be specified in the patch');
    } else {
      throw badPatchType(directive, el);
    }
  }
  if (replace) return cleanList(plain, meta.schema);

  const merged = base.slice();
  for (const el of plain) {
    if (!Object.hasOwn(el, mergeKey)) throw noMergeKey(el, mergeKey);
    const i = merged.findIndex((o) => sameKey(o, el));
    const result = mergeMap(i >= 0 ? (merged[i] as JMap) : undefined, el, meta.schema);
    if (result === DELETED) continue; // unreachable: elements carrying $patch were handled above
    if (i >= 0) merged[i] = result;
    else merged.push(result);
  }
  const inPatch = (x: unknown) => plain.some((p) => deepEqual(keyOf(p), keyOf(x)));
  return normalizeElementOrder(merged.filter(inPatch), merged.filter((x) => !inPatch(x)), plain, base, keyOf);
}

/** `$setElementOrder/<field>`: items it names come in its order, the rest keep their place relative to live. */
function applyElementOrder(merged: unknown[], order: unknown[], live: unknown[], mergeKey: string | undefined): unknown[] {
  const keyOf = mergeKey ? (x: unknown): unknown => (isMap(x) ? own(x, mergeKey) : undefined) : (x: unknown) => x;
  const named = (x: unknown) => order.some((o) => deepEqual(keyOf(o), keyOf(x)));
  return normalizeElementOrder(merged.filter(named), merged.filter((x) => !named(x)), order, live, keyOf);
}

/**
 * The apiserver's ordering of a merged list: patch items sorted by `patchOrder`, server-only items sorted by
 * their live order, then the server-only items interleaved into the patch items using the live order wherever
 * both items of a comparison exist in the live list.
 */
function normalizeElementOrder(
  patchItems: unknown[],
  serverOnly: unknown[],
  patchOrder: unknown[],
  serverOrder: unknown[],
  keyOf: (x: unknown) => unknown,
): unknown[] {
  const indexIn = (list: unknown[], item: unknown) => {
    const k = keyOf(item);
    return list.findIndex((x) => deepEqual(keyOf(x), k));
  };
  const sortBy = (items: unknown[], order: unknown[]) =>
    items
      .map((item, i) => ({ item, i, at: indexIn(order, item) }))
      .sort((a, b) => {
        if (a.at >= 0 && b.at >= 0) return a.at - b.at || a.i - b.i;
        if (a.at >= 0) return -1;
        if (b.at >= 0) return 1;
        return a.i - b.i;
      })
      .map((e) => e.item);

  const right = sortBy(patchItems, patchOrder);
  const left = sortBy(serverOnly, serverOrder);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexIn(serverOrder, left[i]);
      const ri = indexIn(serverOrder, right[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/**
 * Kubernetes strategic merge patch. Maps merge recursively (`null` deletes); lists with patch metadata for
 * `kind` merge by their merge key (primitive `merge` lists as a set union); every other list is replaced.
 * Directives: `$patch` (replace / delete / merge), `$setElementOrder/<f>`, `$deleteFromPrimitiveList/<f>`,
 * `$retainKeys`; none survive into the result.
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, kind: string): unknown {
  if (!isMap(patch)) throw badRequest('invalid JSON document');
  const merged = mergeMap(isMap(target) ? deepClone(target) : undefined, patch, schemaForKind(kind));
  return merged === DELETED ? {} : merged;
}

// ---------------------------------------------------------------------------------------------------------------
// Server-side apply (approximation) and dispatch

/**
 * Metadata the server owns: an applied configuration cannot set these, the live object's values stay (except
 * a resourceVersion the configuration sets, which is kept as a precondition).
 */
const SERVER_OWNED_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
] as const;

function applyConfiguration(live: KObject, applied: unknown): JMap {
  if (!isMap(applied)) throw badRequest('the applied configuration must be an object');
  const config = deepClone(applied);
  const configMeta = own(config, 'metadata');
  if (isMap(configMeta)) delete configMeta['managedFields'];
  const kind = typeof config['kind'] === 'string' ? config['kind'] : live.kind;
  const merged = applyStrategicMergePatch(live, config, kind) as JMap;

  let meta = own(merged, 'metadata');
  if (!isMap(meta)) {
    meta = {};
    merged['metadata'] = meta;
  }
  const liveMeta: unknown = live.metadata;
  for (const field of SERVER_OWNED_METADATA) {
    // A resourceVersion in the applied configuration is an optimistic-concurrency precondition: it is left in
    // the result, exactly as for the other patch types, for the caller to check against the live object.
    if (field === 'resourceVersion' && isMap(configMeta) && typeof configMeta['resourceVersion'] === 'string' && configMeta['resourceVersion']) continue;
    if (isMap(liveMeta) && Object.hasOwn(liveMeta, field)) (meta as JMap)[field] = deepClone(liveMeta[field]);
    else delete (meta as JMap)[field];
  }
  return merged;
}

/**
 * Applies a decoded PATCH body to `target`. 'apply' approximates server-side apply as create-or-merge: the
 * applied configuration (its managedFields ignored) is strategically merged over the live object, so fields it
 * does not mention survive and only explicit nulls delete; server-owned metadata keeps the live values.
 */
export function applyPatch(type: PatchType, target: KObject, patch: unknown): KObject {
  let result: unknown;
  switch (type) {
    case 'json':
      result = applyJsonPatch(target, patch);
      break;
    case 'merge':
      if (!isMap(patch)) throw badRequest('Invalid JSON Patch');
      result = applyMergePatch(target, patch);
      break;
    case 'strategic':
      result = applyStrategicMergePatch(target, patch, target.kind);
      break;
    case 'apply':
      result = applyConfiguration(target, patch);
      break;
    default:
      throw unsupportedMediaType(String(type));
  }
  if (!isMap(result)) throw badRequest('the patched document is not a JSON object');
  return result as KObject;
}

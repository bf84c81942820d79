// Label and field selectors with the apiserver's grammar and error wording.
import type { KObject } from '../types.ts';
import { badRequest } from './errors.ts';

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' };

export type LabelSelector = LabelRequirement[];

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function checkKey(key: string, raw: string): void {
  if (!KEY_RE.test(key) || key.length > 317) throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${raw}"`);
}

function checkValue(v: string, raw: string): void {
  if (v.length > 63 || !VALUE_RE.test(v)) throw badRequest(`unable to parse requirement: invalid label value: "${v}" in "${raw}"`);
}

/** Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k`. */
export function parseLabelSelector(raw: string | undefined | null): LabelSelector {
  if (!raw || !raw.trim()) return [];
  const reqs: LabelSelector = [];
  for (const partRaw of splitTop(raw)) {
    const part = partRaw.trim();
    if (!part) throw badRequest(`unable to parse requirement: found '', expected: identifier`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      const [, key, op, list] = m as unknown as [string, string, 'in' | 'notin', string];
      checkKey(key, raw);
      const values = list.split(',').map((v) => v.trim());
      values.forEach((v) => checkValue(v, raw));
      reqs.push({ key, op, values });
    } else if ((m = part.match(/^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      checkKey(key, raw);
      checkValue(value, raw);
      reqs.push({ key, op: op === '!=' ? 'notin' : 'in', values: [value] });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      checkKey(m[1]!, raw);
      reqs.push({ key: m[1]!, op: '!' });
    } else if (/^\S+$/.test(part)) {
      checkKey(part, raw);
      reqs.push({ key: part, op: 'exists' });
    } else {
      throw badRequest(`unable to parse requirement: found '${part}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'in':
        if (!has || (r.values.length === 1 ? l[r.key] !== r.values[0] : !r.values.includes(l[r.key]!))) return false;
        break;
      case 'notin':
        if (has && (r.values.length === 1 ? l[r.key] === r.values[0] : r.values.includes(l[r.key]!))) return false;
        break;
    }
  }
  return true;
}

/** metav1.LabelSelector (matchLabels + matchExpressions) → requirements. An empty selector matches everything. */
export function fromLabelSelectorObject(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] } | undefined | null): LabelSelector {
  const reqs: LabelSelector = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {})) reqs.push({ key, op: 'in', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = e.operator;
    if (op === 'In') reqs.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (op === 'NotIn') reqs.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (op === 'Exists') reqs.push({ key: e.key, op: 'exists' });
    else if (op === 'DoesNotExist') reqs.push({ key: e.key, op: '!' });
  }
  return reqs;
}

/** Service-style `map[string]string` selector → requirements. */
export function fromMap(sel: Record<string, string> | undefined | null): LabelSelector {
  return Object.entries(sel ?? {}).map(([key, value]) => ({ key, op: 'in' as const, values: [value] }));
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Where each selectable field lives in an object, and its value when absent (as the apiserver's field sets). */
const FIELD_PATHS: Record<string, { path: string[]; dflt?: string }> = {
  'metadata.name': { path: ['metadata', 'name'] },
  'metadata.namespace': { path: ['metadata', 'namespace'], dflt: '' },
  'status.phase': { path: ['status', 'phase'], dflt: '' },
  'spec.nodeName': { path: ['spec', 'nodeName'], dflt: '' },
  'spec.restartPolicy': { path: ['spec', 'restartPolicy'], dflt: '' },
  'spec.schedulerName': { path: ['spec', 'schedulerName'], dflt: '' },
  'spec.serviceAccountName': { path: ['spec', 'serviceAccountName'], dflt: '' },
  'status.podIP': { path: ['status', 'podIP'], dflt: '' },
  'spec.unschedulable': { path: ['spec', 'unschedulable'], dflt: 'false' },
  'spec.clusterIP': { path: ['spec', 'clusterIP'], dflt: '' },
  'spec.type': { path: ['spec', 'type'], dflt: '' },
  type: { path: ['type'], dflt: '' },
  'involvedObject.kind': { path: ['involvedObject', 'kind'], dflt: '' },
  'involvedObject.name': { path: ['involvedObject', 'name'], dflt: '' },
  'involvedObject.namespace': { path: ['involvedObject', 'namespace'], dflt: '' },
  'involvedObject.uid': { path: ['involvedObject', 'uid'], dflt: '' },
  'involvedObject.fieldPath': { path: ['involvedObject', 'fieldPath'], dflt: '' },
  'involvedObject.resourceVersion': { path: ['involvedObject', 'resourceVersion'], dflt: '' },
  'involvedObject.apiVersion': { path: ['involvedObject', 'apiVersion'], dflt: '' },
  reason: { path: ['reason'], dflt: '' },
  source: { path: ['source', 'component'], dflt: '' },
  addressType: { path: ['addressType'], dflt: '' },
};

/** A field's value as a field selector compares it (undefined for a field no type has). */
export function fieldValue(field: string, o: KObject): string | undefined {
  const f = FIELD_PATHS[field];
  if (!f) return undefined;
  let v: any = o;
  for (const k of f.path) {
    v = v?.[k];
    if (v === undefined || v === null) return f.dflt;
  }
  return typeof v === 'string' ? v : String(v);
}

/**
 * The part of an object selectors can see: name, namespace, labels and every field-selectable field. Watch history
 * keeps this instead of a whole previous version, which is all the selector-transition filter needs.
 */
export function selectorView(o: KObject): KObject {
  const meta: KObject['metadata'] = { name: o.metadata.name };
  if (o.metadata.namespace !== undefined) meta.namespace = o.metadata.namespace;
  if (o.metadata.labels !== undefined) meta.labels = o.metadata.labels;
  const view: KObject = { apiVersion: o.apiVersion, kind: o.kind, metadata: meta };
  for (const { path } of Object.values(FIELD_PATHS)) {
    if (path[0] === 'metadata') continue;
    let v: any = o;
    for (const k of path) v = v?.[k];
    if (v === undefined) continue;
    let dst: any = view;
    for (let i = 0; i < path.length - 1; i++) dst = dst[path[i]!] ??= {};
    dst[path[path.length - 1]!] = v;
  }
  return view;
}

/** Field selectors each kind accepts beyond metadata.name/namespace (as the apiserver's field label conversions). */
const KIND_FIELDS: Record<string, string[]> = {
  Pod: ['status.phase', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.podIP'],
  Node: ['spec.unschedulable'],
  Service: ['spec.clusterIP', 'spec.type'],
  Secret: ['type'],
  Event: [
    'involvedObject.kind', 'involvedObject.name', 'involvedObject.namespace', 'involvedObject.uid',
    'involvedObject.fieldPath', 'involvedObject.resourceVersion', 'involvedObject.apiVersion', 'reason', 'source', 'type',
  ],
  Namespace: ['status.phase'],
};

export function parseFieldSelector(raw: string | undefined | null, kind: string, apiVersion: string): FieldRequirement[] {
  if (!raw || !raw.trim()) return [];
  return raw.split(',').map((p) => {
    const m = p.trim().match(/^([^=!]+)(==|=|!=)(.*)$/);
    if (!m) throw badRequest(`invalid selector: '${raw}'; can't understand '${p}'`);
    const field = m[1]!.trim();
    const allowed = field === 'metadata.name' || field === 'metadata.namespace' || (KIND_FIELDS[kind] ?? []).includes(field);
    if (!allowed) throw badRequest(`"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
    void apiVersion;
    return { field, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}

export function matchesFields(reqs: FieldRequirement[], obj: KObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(r.field, obj) ?? '';
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

// An in-memory ClusterReader over a list of objects: unit tests and fixtures feed the engine through it.
// It answers like the API server: namespaced lists, label and field selectors (metadata.name, metadata.namespace),
// 403 for types listed in `forbidden`, NotInstalled for types listed in `missing`.
import { ForbiddenError, NotInstalledError } from './errors.ts';
import { qualifiedName } from './resources.ts';
import { matchesSelectorString } from './selectors.ts';
import type { ClusterReader, KObject, ListOptions, ResourceType } from './types.ts';

export interface MemoryReaderOptions {
  /** `plural` or `plural.group` names whose reads answer 403. */
  forbidden?: string[];
  /** `plural` or `plural.group` names the server does not serve. */
  missing?: string[];
}

function typeMatches(o: KObject, t: ResourceType): boolean {
  if (o.kind !== t.kind) return false;
  const g = (v: string | undefined) => (v && v.includes('/') ? v.split('/')[0] : '');
  return g(o.apiVersion) === g(t.apiVersion);
}

function fieldMatches(sel: string | undefined, o: KObject): boolean {
  if (!sel) return true;
  return sel.split(',').every((req) => {
    const m = /^\s*([\w.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(req);
    if (!m) return false;
    const v = m[1] === 'metadata.name' ? o.metadata.name : m[1] === 'metadata.namespace' ? o.metadata.namespace : m[1] === 'spec.nodeName' ? o.spec?.nodeName : m[1] === 'status.phase' ? o.status?.phase : undefined;
    return m[2] === '!=' ? v !== m[3] : v === m[3];
  });
}

export class MemoryReader implements ClusterReader {
  readonly objects: KObject[];
  readonly opts: MemoryReaderOptions;
  /** Every read, in order (`get pods ns/name`, `list pods ns -l sel`). */
  readonly calls: string[] = [];

  constructor(objects: KObject[], opts: MemoryReaderOptions = {}) {
    this.objects = objects;
    this.opts = opts;
  }

  private check(t: ResourceType, verb: string, ns?: string): void {
    const names = [t.plural, qualifiedName(t)];
    if (this.opts.missing?.some((m) => names.includes(m))) throw new NotInstalledError(`the server does not serve ${qualifiedName(t)}`);
    if (this.opts.forbidden?.some((m) => names.includes(m)))
      throw new ForbiddenError(
        `${qualifiedName(t)} is forbidden: User "tester" cannot ${verb} resource "${t.plural}" in API group "${t.apiVersion.includes('/') ? t.apiVersion.split('/')[0] : ''}"${ns ? ` in the namespace "${ns}"` : t.namespaced ? ' at the cluster scope' : ''}`,
      );
  }

  async get(type: ResourceType, name: string, namespace?: string): Promise<KObject | undefined> {
    this.calls.push(`get ${type.plural} ${type.namespaced ? `${namespace}/` : ''}${name}`);
    this.check(type, 'get', type.namespaced ? namespace : undefined);
    return this.objects.find((o) => typeMatches(o, type) && o.metadata.name === name && (!type.namespaced || o.metadata.namespace === namespace));
  }

  async list(type: ResourceType, opts: ListOptions = {}): Promise<KObject[]> {
    this.calls.push(`list ${type.plural}${type.namespaced ? ` ${opts.namespace ?? '-A'}` : ''}${opts.labelSelector ? ` -l ${opts.labelSelector}` : ''}${opts.fieldSelector ? ` --field-selector ${opts.fieldSelector}` : ''}`);
    this.check(type, 'list', type.namespaced ? opts.namespace : undefined);
    return this.objects.filter(
      (o) =>
        typeMatches(o, type) &&
        (!type.namespaced || opts.namespace === undefined || o.metadata.namespace === opts.namespace) &&
        (!opts.labelSelector || matchesSelectorString(opts.labelSelector, o.metadata.labels)) &&
        fieldMatches(opts.fieldSelector, o),
    );
  }
}

// Reads as values: a read that was refused (403), is not served (Gateway API not installed) or failed on the server
// becomes a `Got` with the reason, so the checks that needed it say `unknown` instead of the run failing. Errors
// after which nothing can succeed (401, unreachable, broken kubeconfig) are rethrown and end the run.
import { KubeError } from '../kube/errors.ts';
import { qualifiedName } from '../kube/resources.ts';
import type { ClusterReader, KObject, ListOptions, ResourceType } from '../kube/types.ts';

export interface ReadFailure {
  reason: 'Forbidden' | 'NotInstalled' | 'Error';
  message: string;
  /** The read as a person would type it: `list ingresses -A`. */
  what: string;
}

export type Got<T> = { ok: true; value: T } | { ok: false; error: ReadFailure };

export const got = <T>(value: T): Got<T> => ({ ok: true, value });
export const failed = <T>(error: ReadFailure): Got<T> => ({ ok: false, error });

/** The value or a fallback (for code that treats an unknown list as empty and records the gap elsewhere). */
export function valueOr<T>(g: Got<T> | undefined, fallback: T): T {
  return g && g.ok ? g.value : fallback;
}

/** `forbidden: User "x" cannot list …`, as one line for evidence. */
export function describeFailure(e: ReadFailure): string {
  const prefix = e.reason === 'Forbidden' ? 'forbidden' : e.reason === 'NotInstalled' ? 'not installed' : 'error';
  return `${prefix}: ${e.message}`;
}

export async function attempt<T>(what: string, p: Promise<T>): Promise<Got<T>> {
  try {
    return got(await p);
  } catch (e) {
    if (e instanceof KubeError) {
      if (e.fatal) throw e;
      return failed({ reason: e.reason === 'Forbidden' ? 'Forbidden' : e.reason === 'NotInstalled' ? 'NotInstalled' : 'Error', message: e.message, what });
    }
    throw e;
  }
}

export function describeGet(t: ResourceType, name: string, ns?: string): string {
  return `get ${qualifiedName(t)} ${name}${t.namespaced && ns ? ` -n ${ns}` : ''}`;
}

export function describeList(t: ResourceType, o: ListOptions = {}): string {
  return `get ${qualifiedName(t)}${t.namespaced ? (o.namespace ? ` -n ${o.namespace}` : ' -A') : ''}${o.labelSelector ? ` -l ${o.labelSelector}` : ''}${o.fieldSelector ? ` --field-selector ${o.fieldSelector}` : ''}`;
}

/**
 * A reader that issues each distinct read once (concurrent callers share the promise) and returns `Got`s.
 * Secrets lose their private key on arrival: only its presence is kept, so it can never reach any output.
 */
export class Fetcher {
  readonly reader: ClusterReader;
  private cache = new Map<string, Promise<Got<unknown>>>();

  constructor(reader: ClusterReader) {
    this.reader = reader;
  }

  get(t: ResourceType, name: string, namespace?: string): Promise<Got<KObject | undefined>> {
    const ns = t.namespaced ? namespace : undefined;
    const key = `get|${t.apiVersion}|${t.plural}|${ns ?? ''}|${name}`;
    let p = this.cache.get(key) as Promise<Got<KObject | undefined>> | undefined;
    if (!p) {
      p = attempt(describeGet(t, name, ns), this.reader.get(t, name, ns).then((o) => (o && t.plural === 'secrets' ? redactSecret(o) : o)));
      this.cache.set(key, p);
    }
    return p;
  }

  list(t: ResourceType, o: ListOptions = {}): Promise<Got<KObject[]>> {
    const opts: ListOptions = { ...(t.namespaced && o.namespace ? { namespace: o.namespace } : {}), ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}), ...(o.fieldSelector ? { fieldSelector: o.fieldSelector } : {}) };
    const key = `list|${t.apiVersion}|${t.plural}|${opts.namespace ?? '*'}|${opts.labelSelector ?? ''}|${opts.fieldSelector ?? ''}`;
    let p = this.cache.get(key) as Promise<Got<KObject[]>> | undefined;
    if (!p) {
      p = attempt(describeList(t, opts), this.reader.list(t, opts).then((l) => (t.plural === 'secrets' ? l.map(redactSecret) : l)));
      this.cache.set(key, p);
    }
    return p;
  }
}

/** Drops private key material from a Secret, keeping which keys were present and non-empty. */
export function redactSecret(s: KObject): KObject {
  const data: Record<string, string> = { ...(s.data ?? {}) };
  const present: Record<string, boolean> = {};
  for (const k of Object.keys(data)) {
    present[k] = typeof data[k] === 'string' && data[k]!.length > 0;
    if (/key|password|token/i.test(k) && k !== 'tls.crt' && k !== 'ca.crt') delete data[k];
  }
  const { stringData: _drop, ...rest } = s as KObject & { stringData?: unknown };
  return { ...rest, data, netpathKeysPresent: present };
}

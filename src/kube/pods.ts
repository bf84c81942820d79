// Pod writes and streams for the in-cluster probes: create (with a server-side dry run), delete, list, watch one
// pod, follow a container's log, add an ephemeral container. Built on KubeClient.send/open; every function takes
// the small `PodTransport` so tests can pass a fake.
import type { KubeClient } from './client.ts';
import { KubeError, NotFoundError } from './errors.ts';
import type { KObject } from './types.ts';

export type PodTransport = Pick<KubeClient, 'send' | 'open'>;

const podsPath = (ns?: string) => (ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/pods` : '/api/v1/pods');
const podPath = (ns: string, name: string) => `${podsPath(ns)}/${encodeURIComponent(name)}`;

/** POST a pod. `dryRun` asks the server to run admission (PodSecurity included) without persisting anything. */
export async function createPod(c: PodTransport, pod: KObject, opts: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<KObject> {
  const ns = pod.metadata.namespace!;
  const query: Record<string, string> = { fieldManager: 'kubectl-netpath' };
  if (opts.dryRun) query.dryRun = 'All';
  return c.send('POST', podsPath(ns), { body: pod, query, ...(opts.signal ? { signal: opts.signal } : {}) });
}

/** DELETE with no grace period. Resolves false when the pod was already gone. */
export async function deletePod(c: PodTransport, ns: string, name: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> {
  try {
    await c.send('DELETE', podPath(ns, name), { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, propagationPolicy: 'Background' }, ...(opts.signal ? { signal: opts.signal } : {}) });
    return true;
  } catch (e) {
    if (e instanceof NotFoundError) return false;
    throw e;
  }
}

export async function getPod(c: PodTransport, ns: string, name: string, signal?: AbortSignal): Promise<KObject | undefined> {
  try {
    return await c.send('GET', podPath(ns, name), signal ? { signal } : {});
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/** Pods by label selector, in one namespace or (namespace undefined) all. */
export async function listPods(c: PodTransport, opts: { namespace?: string; labelSelector?: string; signal?: AbortSignal } = {}): Promise<KObject[]> {
  const query: Record<string, string> = { limit: '500' };
  if (opts.labelSelector) query.labelSelector = opts.labelSelector;
  const items: KObject[] = [];
  for (;;) {
    const body = await c.send('GET', podsPath(opts.namespace), { query: { ...query }, ...(opts.signal ? { signal: opts.signal } : {}) });
    for (const it of body?.items ?? []) if (it?.metadata?.name) items.push(it);
    const cont = body?.metadata?.continue;
    if (!cont) return items;
    query.continue = cont;
  }
}

export async function getNamespace(c: PodTransport, name: string, signal?: AbortSignal): Promise<KObject | undefined> {
  try {
    return await c.send('GET', `/api/v1/namespaces/${encodeURIComponent(name)}`, signal ? { signal } : {});
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/** Splits a byte stream into lines (without the newline), the last partial line included at the end. */
export async function* lines(body: AsyncIterable<Buffer | string | Uint8Array>): AsyncGenerator<string> {
  let buf = '';
  const dec = new TextDecoder();
  for await (const chunk of body) {
    buf += typeof chunk === 'string' ? chunk : dec.decode(chunk as Uint8Array, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
    }
  }
  buf += dec.decode();
  if (buf) yield buf;
}

/**
 * The pod's successive states: the current object first, then every change, until the pod is deleted (the
 * iterator ends) or `signal` aborts. A watch that the server ends is reopened from the last resourceVersion.
 */
export async function* watchPod(c: PodTransport, ns: string, name: string, signal: AbortSignal): AsyncGenerator<KObject> {
  let rv: string | undefined;
  while (!signal.aborted) {
    const query: Record<string, string> = { watch: 'true', fieldSelector: `metadata.name=${name}`, timeoutSeconds: '300', allowWatchBookmarks: 'false' };
    if (rv) query.resourceVersion = rv;
    let res;
    try {
      res = await c.open('GET', podsPath(ns), { query, stream: true, signal });
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    try {
      for await (const line of lines(res.body)) {
        if (!line.trim()) continue;
        let ev: { type?: string; object?: KObject };
        try {
          ev = JSON.parse(line);
        } catch {
          continue;
        }
        if (ev.type === 'ERROR') {
          rv = undefined; // 410 Expired: start again from the current state
          break;
        }
        if (!ev.object?.metadata) continue;
        rv = ev.object.metadata.resourceVersion ?? rv;
        if (ev.type === 'DELETED') return;
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') yield ev.object;
      }
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    } finally {
      res.body.destroy();
    }
  }
}

/** Follows a container's log line by line until it ends (container terminated) or `signal` aborts. */
export async function* followLog(c: PodTransport, ns: string, name: string, container: string, signal: AbortSignal): AsyncGenerator<string> {
  let res;
  try {
    res = await c.open('GET', `${podPath(ns, name)}/log`, { query: { container, follow: 'true' }, stream: true, signal });
  } catch (e) {
    if (signal.aborted) return;
    throw e;
  }
  try {
    for await (const line of lines(res.body)) yield line;
  } catch (e) {
    if (signal.aborted) return;
    throw e;
  } finally {
    res.body.destroy();
  }
}

/** A container's whole log so far (no follow). */
export async function readLog(c: PodTransport, ns: string, name: string, container: string, signal?: AbortSignal): Promise<string> {
  const res = await c.open('GET', `${podPath(ns, name)}/log`, { query: { container }, ...(signal ? { signal } : {}) });
  return res.body.text();
}

/**
 * Adds an ephemeral container to a running pod (`pods/ephemeralcontainers`, strategic merge patch as kubectl debug
 * sends it). Ephemeral containers can never be removed from the pod afterwards.
 */
export async function addEphemeralContainer(c: PodTransport, ns: string, pod: string, container: Record<string, unknown>, signal?: AbortSignal): Promise<KObject> {
  try {
    return await c.send('PATCH', `${podPath(ns, pod)}/ephemeralcontainers`, {
      body: { spec: { ephemeralContainers: [container] } },
      contentType: 'application/strategic-merge-patch+json',
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (e instanceof NotFoundError && !/not found/.test(e.message)) throw new KubeError('NotInstalled', 'ephemeral containers are disabled for this cluster', 404);
    throw e;
  }
}

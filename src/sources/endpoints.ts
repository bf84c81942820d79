// The EndpointSlices of one Service, watched live: yields the complete current set after every change, and the
// stream's health. Feed `slices` to SessionStore.endpointSlices (the timeline reducer diffs successive sets).
import { R } from '../kube/resources.ts';
import type { KObject } from '../kube/types.ts';
import { type KubeTransport, WatchCache, type WatchOptions, watchList } from '../kube/watch.ts';

export type EndpointsEvent =
  | { type: 'slices'; slices: KObject[] }
  | { type: 'state'; state: 'live' | 'reconnecting'; reason?: string };

export interface EndpointsWatchOptions {
  namespace: string;
  service: string;
  signal: AbortSignal;
  watch?: Partial<Pick<WatchOptions, 'timeoutSeconds' | 'backoffMs' | 'sleep'>>;
}

export async function* watchEndpointSlices(c: KubeTransport, o: EndpointsWatchOptions): AsyncGenerator<EndpointsEvent> {
  const cache = new WatchCache();
  let live = false;
  for await (const item of watchList(c, R.endpointslices, {
    ...o.watch,
    namespace: o.namespace,
    labelSelector: `kubernetes.io/service-name=${o.service}`,
    signal: o.signal,
  })) {
    if (item.type === 'STATE') {
      live = item.state === 'live';
      yield { type: 'state', state: item.state, ...(item.reason ? { reason: item.reason } : {}) };
      continue;
    }
    if (!live) {
      live = true;
      yield { type: 'state', state: 'live' };
    }
    if (cache.apply(item)) yield { type: 'slices', slices: cache.objects() };
  }
}

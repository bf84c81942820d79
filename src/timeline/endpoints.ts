// The endpoints-timeline reducer: successive states of a Service's EndpointSlices in, change entries out
// (added / removed / ready ↔ not-ready / serving ↔ not-serving / terminating), with a flap count per endpoint.
// Pure: the same inputs give the same outputs; the caller supplies the time and owns the state.
import type { KObject } from '../kube/types.ts';
import type { EndpointRow, SliceEndpoint, TimelineChange, TimelineEntry } from '../state/types.ts';
import { sanitize } from '../text/sanitize.ts';

interface Memory {
  /** The endpoint has been ready at some point this session. */
  everReady: boolean;
  /** It is not ready or gone since it was last ready. */
  down: boolean;
  flaps: number;
}

export interface TimelineState {
  /** Current endpoints by key (the address). */
  rows: ReadonlyMap<string, EndpointRow>;
  /** Per-endpoint memory, kept after an endpoint leaves (so a return counts as a flap). */
  memory: ReadonlyMap<string, Memory>;
  /** The last entry seq handed out. */
  seq: number;
  /** False until the first state is seen: the first state is the baseline and yields no entries. */
  initialized: boolean;
}

export const EMPTY_TIMELINE: TimelineState = { rows: new Map(), memory: new Map(), seq: 0, initialized: false };

// SliceEndpoint is defined beside EndpointRow (the row is a SliceEndpoint plus key, flaps and since).
export type { SliceEndpoint };

/**
 * The endpoints of a set of EndpointSlices, one per address (an address in two slices — a move in progress — is
 * reported once, preferring a ready copy). Conditions follow the API's rules: `ready` nil means ready, `serving`
 * nil means the value of ready, `terminating` nil means false.
 */
export function sliceEndpoints(slices: readonly KObject[]): SliceEndpoint[] {
  const byAddr = new Map<string, SliceEndpoint>();
  const sorted = [...slices].sort((a, b) => String(a.metadata?.name).localeCompare(String(b.metadata?.name)));
  for (const s of sorted) {
    const slice = sanitize(s.metadata?.name ?? '', { max: 253 });
    const eps: any[] = Array.isArray(s.endpoints) ? s.endpoints : [];
    for (const e of eps) {
      if (!e || typeof e !== 'object') continue;
      const c = e.conditions ?? {};
      const ready = c.ready !== false;
      const serving = c.serving === undefined || c.serving === null ? ready : c.serving !== false;
      const terminating = c.terminating === true;
      const pod = e.targetRef?.kind === 'Pod' && e.targetRef?.name ? sanitize(e.targetRef.name, { max: 253 }) : undefined;
      const node = e.nodeName ? sanitize(e.nodeName, { max: 253 }) : undefined;
      const zone = e.zone ? sanitize(e.zone, { max: 253 }) : undefined;
      for (const a of Array.isArray(e.addresses) ? e.addresses : []) {
        const address = sanitize(a, { max: 64 });
        if (!address) continue;
        const prev = byAddr.get(address);
        if (prev && (prev.ready || !ready)) continue;
        byAddr.set(address, { slice, address, ready, serving, terminating, ...(pod ? { pod } : {}), ...(node ? { node } : {}), ...(zone ? { zone } : {}) });
      }
    }
  }
  return [...byAddr.values()];
}

/**
 * Folds the next complete state of the Service's endpoints into the timeline. Returns the new state and the
 * entries for what changed, in a stable order (by address; within an endpoint: removed, added, terminating,
 * ready, serving). A flap is counted when an endpoint that was ready before becomes ready again after being
 * not-ready or gone.
 */
export function reduceEndpoints(state: TimelineState, endpoints: readonly SliceEndpoint[], at: number): { state: TimelineState; entries: TimelineEntry[] } {
  const rows = new Map<string, EndpointRow>();
  const memory = new Map(state.memory);
  const entries: TimelineEntry[] = [];
  let seq = state.seq;
  const emit = (change: TimelineChange, e: SliceEndpoint, flaps: number) => {
    if (!state.initialized) return;
    entries.push({
      seq: ++seq, at, change, key: e.address, slice: e.slice, address: e.address, flaps,
      ...(e.pod ? { pod: e.pod } : {}), ...(e.node ? { node: e.node } : {}),
    });
  };
  const mem = (key: string): Memory => {
    let m = memory.get(key);
    if (!m) memory.set(key, (m = { everReady: false, down: false, flaps: 0 }));
    else memory.set(key, (m = { ...m }));
    return m;
  };
  const becameReady = (m: Memory) => {
    if (m.everReady && m.down) m.flaps++;
    m.everReady = true;
    m.down = false;
  };

  const next = [...endpoints].sort((a, b) => a.address.localeCompare(b.address));
  const seen = new Set<string>();
  for (const e of next) {
    const key = e.address;
    seen.add(key);
    const prev = state.rows.get(key);
    const m = mem(key);
    let since = prev?.since ?? at;
    if (prev && prev.pod !== e.pod) {
      // Same address, another pod: the old endpoint left and a new one came.
      emit('removed', { ...prev }, m.flaps);
      memory.set(key, { everReady: false, down: false, flaps: 0 });
      const fresh = mem(key);
      if (e.ready) becameReady(fresh);
      emit('added', e, fresh.flaps);
      rows.set(key, { key, ...e, flaps: fresh.flaps, since: at });
      continue;
    }
    if (!prev) {
      if (e.ready) becameReady(m);
      else if (m.everReady) m.down = true;
      emit('added', e, m.flaps);
      since = at;
    } else {
      if (prev.terminating !== e.terminating) {
        emit(e.terminating ? 'terminating' : 'not-terminating', e, m.flaps);
        since = at;
      }
      if (prev.ready !== e.ready) {
        if (e.ready) becameReady(m);
        else m.down = true;
        emit(e.ready ? 'ready' : 'not-ready', e, m.flaps);
        since = at;
      }
      if (prev.serving !== e.serving && (prev.ready === e.ready || e.serving !== e.ready)) {
        emit(e.serving ? 'serving' : 'not-serving', e, m.flaps);
        since = at;
      }
    }
    rows.set(key, { key, ...e, flaps: m.flaps, since });
  }
  for (const [key, prev] of [...state.rows].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (seen.has(key)) continue;
    const m = mem(key);
    if (m.everReady) m.down = true;
    emit('removed', prev, m.flaps);
  }
  // Removed entries of an address come before its added entries when sorted by address; keep emission order.
  return { state: { rows, memory, seq, initialized: true }, entries };
}

/** Flap counts per endpoint key and their total. */
export function flapCounts(state: TimelineState): { flaps: Record<string, number>; total: number } {
  const flaps: Record<string, number> = {};
  let total = 0;
  for (const [k, m] of state.memory) {
    if (m.flaps) {
      flaps[k] = m.flaps;
      total += m.flaps;
    }
  }
  return { flaps, total };
}

/** Rows in display order: by slice, then address. */
export function sortedRows(state: TimelineState): EndpointRow[] {
  return [...state.rows.values()].sort((a, b) => a.slice.localeCompare(b.slice) || a.address.localeCompare(b.address));
}

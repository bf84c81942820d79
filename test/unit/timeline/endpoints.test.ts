import { describe, expect, it } from 'vitest';
import type { KObject } from '../../../src/kube/types.ts';
import { EMPTY_TIMELINE, type SliceEndpoint, type TimelineState, flapCounts, reduceEndpoints, sliceEndpoints, sortedRows } from '../../../src/timeline/endpoints.ts';

const ep = (address: string, o: Partial<SliceEndpoint> = {}): SliceEndpoint => ({ slice: 's1', address, pod: `pod-${address}`, ready: true, serving: true, terminating: false, ...o });

function run(states: SliceEndpoint[][]) {
  let state: TimelineState = EMPTY_TIMELINE;
  const all = [];
  let t = 0;
  for (const s of states) {
    const r = reduceEndpoints(state, s, (t += 1000));
    state = r.state;
    all.push(...r.entries);
  }
  return { state, entries: all };
}

describe('endpoints timeline reducer', () => {
  it('takes the first state as the baseline', () => {
    const { state, entries } = run([[ep('10.0.0.1'), ep('10.0.0.2', { ready: false, serving: false })]]);
    expect(entries).toEqual([]);
    expect(sortedRows(state).map((r) => [r.address, r.ready])).toEqual([['10.0.0.1', true], ['10.0.0.2', false]]);
  });

  it('records ready ↔ not-ready with times and counts a flap on each return to ready', () => {
    const up = [ep('10.0.0.1'), ep('10.0.0.2')];
    const down = [ep('10.0.0.1', { ready: false, serving: false }), ep('10.0.0.2')];
    const { state, entries } = run([up, down, up, down, up]);
    expect(entries.map((e) => [e.at, e.change, e.address, e.flaps])).toEqual([
      [2000, 'not-ready', '10.0.0.1', 0],
      [3000, 'ready', '10.0.0.1', 1],
      [4000, 'not-ready', '10.0.0.1', 1],
      [5000, 'ready', '10.0.0.1', 2],
    ]);
    expect(flapCounts(state)).toEqual({ flaps: { '10.0.0.1': 2 }, total: 2 });
    expect(sortedRows(state).find((r) => r.address === '10.0.0.1')).toMatchObject({ flaps: 2, since: 5000, pod: 'pod-10.0.0.1' });
    expect(new Set(entries.map((e) => e.seq)).size).toBe(entries.length);
  });

  it('a pod that goes not-ready and stays there is not a flap', () => {
    const { state, entries } = run([[ep('10.0.0.1')], [ep('10.0.0.1', { ready: false, serving: false })], [ep('10.0.0.1', { ready: false, serving: false })]]);
    expect(entries.map((e) => e.change)).toEqual(['not-ready']);
    expect(flapCounts(state).total).toBe(0);
  });

  it('records removal and re-adding, and counts the return as a flap', () => {
    const { state, entries } = run([[ep('10.0.0.1'), ep('10.0.0.2')], [ep('10.0.0.2')], [ep('10.0.0.1'), ep('10.0.0.2')]]);
    expect(entries.map((e) => [e.change, e.address])).toEqual([['removed', '10.0.0.1'], ['added', '10.0.0.1']]);
    expect(flapCounts(state).flaps['10.0.0.1']).toBe(1);
  });

  it('records terminating endpoints that keep serving', () => {
    const { entries } = run([[ep('10.0.0.1')], [ep('10.0.0.1', { ready: false, serving: true, terminating: true })], [ep('10.0.0.1', { ready: false, serving: false, terminating: true })], []]);
    expect(entries.map((e) => e.change)).toEqual(['terminating', 'not-ready', 'not-serving', 'removed']);
  });

  it('a new pod on a reused address is a removal and an addition, with its own flap count', () => {
    const { entries, state } = run([[ep('10.0.0.1', { pod: 'old' })], [ep('10.0.0.1', { pod: 'new' })]]);
    expect(entries.map((e) => [e.change, e.pod])).toEqual([['removed', 'old'], ['added', 'new']]);
    expect(flapCounts(state).total).toBe(0);
  });

  it('reads EndpointSlices with the API defaults for conditions', () => {
    const slices = [
      { metadata: { name: 'web-b' }, endpoints: [{ addresses: ['10.0.0.3'], conditions: { ready: false, serving: true, terminating: true }, nodeName: 'n2' }] },
      {
        metadata: { name: 'web-a' },
        endpoints: [
          { addresses: ['10.0.0.1'], targetRef: { kind: 'Pod', name: 'web-1' }, nodeName: 'n1', zone: 'z1' },
          { addresses: ['10.0.0.2'], conditions: { ready: false }, targetRef: { kind: 'Pod', name: 'web-\u202e2' } },
          null,
          { addresses: [] },
        ],
      },
    ] as unknown as KObject[];
    expect(sliceEndpoints(slices)).toEqual([
      { slice: 'web-a', address: '10.0.0.1', pod: 'web-1', node: 'n1', zone: 'z1', ready: true, serving: true, terminating: false },
      { slice: 'web-a', address: '10.0.0.2', pod: 'web-2', ready: false, serving: false, terminating: false },
      { slice: 'web-b', address: '10.0.0.3', node: 'n2', ready: false, serving: true, terminating: true },
    ]);
  });

  it('is pure: the previous state is not modified', () => {
    const a = reduceEndpoints(EMPTY_TIMELINE, [ep('10.0.0.1')], 1);
    const rowsBefore = [...a.state.rows.values()].map((r) => ({ ...r }));
    reduceEndpoints(a.state, [ep('10.0.0.1', { ready: false, serving: false })], 2);
    expect([...a.state.rows.values()]).toEqual(rowsBefore);
    expect(EMPTY_TIMELINE.rows.size).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/kube/errors.ts';
import { ResumeCursor, logRecordBatches, normaliseTimestamp, parseTimestamped } from '../../../src/kube/logs.ts';
import { Channel } from '../../../src/sources/channel.ts';
import { type LogEvent, defaultContainers, followPods } from '../../../src/sources/logs.ts';
import { FakeKube, collect, noSleep } from './fake-kube.ts';

const T = (s: number, frac = '000') => `2026-11-27T08:00:0${s}.${frac}000000Z`;

describe('timestamps and the resume cursor', () => {
  it('normalises RFC3339 timestamps to a sortable form', () => {
    expect(normaliseTimestamp('2026-11-27T08:00:01.5Z')).toEqual({ ts: '2026-11-27T08:00:01.500000000Z', ms: Date.parse('2026-11-27T08:00:01.500Z') });
    expect(normaliseTimestamp('2026-11-27T09:00:01+01:00')!.ts).toBe('2026-11-27T08:00:01.000000000Z');
    expect(normaliseTimestamp('yesterday')).toBeUndefined();
    expect(parseTimestamped(`${T(1)} hello world`)).toMatchObject({ ts: T(1), text: 'hello world' });
    expect(parseTimestamped('no timestamp here')).toMatchObject({ ts: '', text: 'no timestamp here' });
  });

  it('drops replayed lines after a resume, including lines at the same instant, and keeps new ones', () => {
    const c = new ResumeCursor();
    const rec = (s: number, text: string, frac = '000') => parseTimestamped(`${T(s, frac)} ${text}`);
    const first = [rec(1, 'a'), rec(2, 'b'), rec(2, 'b'), rec(2, 'c')];
    expect(first.map((r) => c.accept(r))).toEqual([true, true, true, true]);
    expect(c.sinceTime()).toBe(T(2));
    c.resumed();
    // The server answers from the second (sinceTime rounded down): everything at or after 08:00:02, and more.
    const replay = [rec(1, 'a'), rec(2, 'b'), rec(2, 'b'), rec(2, 'c'), rec(2, 'd'), rec(3, 'e'), rec(3, 'e')];
    expect(replay.map((r) => c.accept(r))).toEqual([false, false, false, false, true, true, true]);
    expect(c.duplicates).toBe(4);
  });

  it('drops lines of the last instant that came before the first stream started (a tailLines cut)', () => {
    const c = new ResumeCursor();
    const rec = (s: number, text: string) => parseTimestamped(`${T(s)} ${text}`);
    // The first stream began mid-instant: it saw y and z of the burst x, y, z at 08:00:01.
    expect([rec(1, 'y'), rec(1, 'z')].map((r) => c.accept(r))).toEqual([true, true]);
    c.resumed();
    const replay = [rec(1, 'x'), rec(1, 'y'), rec(1, 'z'), rec(1, 'w'), rec(2, 'v')];
    expect(replay.map((r) => c.accept(r))).toEqual([false, false, false, true, true]);
    // a second drop right away: only w and v were seen since, the rest is replay again
    c.resumed();
    expect([rec(2, 'v'), rec(2, 'u')].map((r) => c.accept(r))).toEqual([false, true]);
  });
});

describe('log bodies', () => {
  const body = [
    '2026-11-27T09:00:00.123456789Z héllo wörld ✓\r',
    '2026-11-27T09:00:00.5Z short fraction',
    'plain line without a timestamp',
    '2026-11-27T09:00:01.000000000Z',
    '2026-11-27T09:00:01.000000001Z  two spaces',
    '2026-11-27T10:00:01+01:00 offset',
    '2026-11-27T09:00:02.999000000Z next second',
    'no newline at the end',
  ].join('\n');

  it('splits a streamed body into the records parseTimestamped gives, whatever the chunking (UTF-8 cut mid-character)', async () => {
    const want = body.split('\n').map((l) => parseTimestamped(l.endsWith('\r') ? l.slice(0, -1) : l));
    const bytes = Buffer.from(body);
    for (const step of [1, 2, 5, 64, bytes.length]) {
      async function* chunks() {
        for (let i = 0; i < bytes.length; i += step) yield bytes.subarray(i, i + step);
      }
      const got = [];
      for await (const batch of logRecordBatches(chunks())) got.push(...batch);
      expect(got, `chunks of ${step} bytes`).toEqual(want);
    }
    expect(want[6]!.ms).toBe(Date.parse('2026-11-27T09:00:02.999Z'));
  });

  it('a Channel hands a backlog over in order, yielding to the event loop between slices', async () => {
    const ch = new Channel<number>();
    for (let i = 0; i < 2000; i++) ch.push(i);
    ch.close();
    let immediates = 0;
    const tick = setInterval(() => immediates++, 0);
    const got: number[] = [];
    const t0 = performance.now();
    for await (const v of ch) {
      got.push(v);
      while (performance.now() - t0 < v * 0.01) {} // ~10 µs of work per item: 20 ms in all
    }
    clearInterval(tick);
    expect(got).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(immediates).toBeGreaterThan(0); // timers ran while the backlog was consumed
  });
});

describe('followPods', () => {
  const pod = (name: string, restartCount = 0, extra: any = {}) => ({
    metadata: { name, namespace: 'ingress-nginx', resourceVersion: '1' },
    spec: { containers: [{ name: 'controller' }, { name: 'sidecar' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'controller', restartCount, state: { running: {} }, ...extra }] },
  });

  it('follows every pod, resumes a dropped stream without duplicates, and reports joins, restarts and leaves', async () => {
    const k = new FakeKube();
    let logOpens = 0;
    let podWatch = 0;
    k.on((r) => (r.path === '/api/v1/namespaces/ingress-nginx/pods' && !r.query.watch ? { json: { metadata: { resourceVersion: '5' }, items: [pod('ctl-a')] } } : undefined));
    k.on((r) => {
      if (r.path !== '/api/v1/namespaces/ingress-nginx/pods' || !r.query.watch) return undefined;
      podWatch++;
      if (podWatch > 1) return { hang: true };
      return {
        lines: [JSON.stringify({ type: 'ADDED', object: { ...pod('ctl-b'), metadata: { ...pod('ctl-b').metadata, resourceVersion: '6' } } })],
        hang: true,
      };
    });
    k.on((r) => {
      if (!r.path.endsWith('/ctl-a/log')) return undefined;
      logOpens++;
      if (logOpens === 1) return { lines: [`${T(1)} a`, `${T(2)} b`, `${T(2)} c`] }; // then the stream drops
      return { lines: [`${T(1)} a`, `${T(2)} b`, `${T(2)} c`, `${T(2)} d`, `${T(3)} e`], hang: true };
    });
    k.on((r) => (r.path.endsWith('/ctl-b/log') ? { lines: [`${T(4)} from b`], hang: true } : undefined));
    k.on((r) => (r.method === 'GET' && r.path === '/api/v1/namespaces/ingress-nginx/pods/ctl-a' ? { json: pod('ctl-a') } : undefined));

    const ctl = new AbortController();
    const evs: LogEvent[] = await collect(followPods(k, { sets: [{ namespace: 'ingress-nginx', labelSelector: 'app=ctl' }], signal: ctl.signal, sleep: noSleep }), ctl, (s) => {
      const lines = s.flatMap((e) => (e.type === 'lines' ? e.records.map((r) => r.text) : []));
      return lines.includes('e') && lines.includes('from b');
    });
    const textsA = evs.flatMap((e) => (e.type === 'lines' && e.source.pod === 'ctl-a' ? e.records.map((r) => r.text) : []));
    expect(textsA).toEqual(['a', 'b', 'c', 'd', 'e']);
    const states = evs.filter((e) => e.type === 'stream' && e.source.pod === 'ctl-a').map((e) => (e as any).state);
    expect(states).toEqual(['live', 'reconnecting', 'live']);
    const logReqs = k.requests.filter((r) => r.path.endsWith('/ctl-a/log'));
    expect(logReqs[0]!.query).toMatchObject({ follow: 'true', timestamps: 'true', container: 'controller', tailLines: '20' });
    expect(logReqs[1]!.query.sinceTime).toBe(T(2));
    expect(logReqs[1]!.query.tailLines).toBeUndefined();
    // only the proxy's main container is followed
    expect(k.requests.some((r) => r.query.container === 'sidecar')).toBe(false);
    const members = evs.filter((e) => e.type === 'member').map((e) => `${(e as any).change} ${(e as any).pod}`);
    expect(members).toEqual(['joined ctl-a', 'joined ctl-b']);
  });

  it('reports restarted containers and pods leaving; a deleted pod ends its stream', async () => {
    const k = new FakeKube();
    const base = pod('ctl-a');
    k.on((r) => (r.path.endsWith('/pods') && !r.query.watch ? { json: { metadata: { resourceVersion: '5' }, items: [base] } } : undefined));
    let watched = false;
    k.on((r) => {
      if (!r.path.endsWith('/pods') || !r.query.watch) return undefined;
      if (watched) return { hang: true };
      watched = true;
      return {
        lines: [
          JSON.stringify({ type: 'MODIFIED', object: pod('ctl-a', 1, { lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }) }),
          JSON.stringify({ type: 'DELETED', object: pod('ctl-a', 1) }),
        ],
        hang: true,
      };
    });
    k.on((r) => (r.path.endsWith('/log') ? { hang: true } : undefined));
    const ctl = new AbortController();
    const evs = await collect(followPods(k, { sets: [{ namespace: 'ingress-nginx', labelSelector: 'app=ctl' }], signal: ctl.signal, sleep: noSleep }), ctl, (s) => s.some((e) => e.type === 'member' && e.change === 'left'));
    expect(evs.filter((e) => e.type === 'member')).toEqual([
      { type: 'member', change: 'joined', namespace: 'ingress-nginx', pod: 'ctl-a' },
      { type: 'member', change: 'restarted', namespace: 'ingress-nginx', pod: 'ctl-a', container: 'controller', reason: 'OOMKilled, exit 137' },
      { type: 'member', change: 'left', namespace: 'ingress-nginx', pod: 'ctl-a' },
    ]);
    expect(evs.filter((e) => e.type === 'pod-changed').map((e) => (e as any).change)).toEqual(['MODIFIED', 'DELETED']);
  });

  it('ends a stream whose pod is gone', async () => {
    const k = new FakeKube();
    k.on((r) => (r.path.endsWith('/pods') && !r.query.watch ? { json: { metadata: { resourceVersion: '5' }, items: [pod('ctl-a')] } } : undefined));
    k.on((r) => (r.path.endsWith('/pods') ? { hang: true } : undefined));
    k.on((r) => (r.path.endsWith('/log') ? { error: new NotFoundError('pods "ctl-a" not found') } : undefined));
    const ctl = new AbortController();
    const evs = await collect(followPods(k, { sets: [{ namespace: 'ingress-nginx', labelSelector: 'app=ctl' }], signal: ctl.signal, sleep: noSleep }), ctl, (s) => s.some((e) => e.type === 'stream'));
    expect(evs.find((e) => e.type === 'stream')).toMatchObject({ state: 'ended', reason: 'pod deleted' });
  });

  it('picks the proxy container, or every container', () => {
    expect(defaultContainers({ metadata: { name: 'x' }, spec: { containers: [{ name: 'shutdown-manager' }, { name: 'envoy' }] } })).toEqual(['envoy']);
    expect(defaultContainers({ metadata: { name: 'x' }, spec: { containers: [{ name: 'web' }, { name: 'metrics' }] } })).toEqual(['web', 'metrics']);
  });
});

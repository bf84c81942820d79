// The live sources against a real lab: EndpointSlice watch → timeline (flaps), controller-log follower (all
// replicas, parsed access lines with the upstream pod named), stream drops (--watch-drop) resumed without
// duplicates or gaps, and the live session re-diagnosing on watch events.
// Run under the data-plane lock: flock /tmp/netpath-dataplane.lock npx vitest run test/e2e/sources.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { parseTarget } from '../../src/path/target.ts';
import { runLiveSession } from '../../src/sources/session.ts';
import { SessionStore } from '../../src/state/store.ts';
import type { LogLine, SessionState } from '../../src/state/types.ts';
import { type LabProcess, eventually, kubectl, startLab } from './harness.ts';

const NS = 'flapping-endpoints';
const TARGET = 'http://flapping-endpoints.netpath.test/';

describe('live sources against the lab (--flap, --traffic, --watch-drop)', () => {
  let lab: LabProcess;
  let client: KubeClient;
  let store: SessionStore;
  let ctl: AbortController;
  let session: Promise<void>;
  const history: SessionState[] = [];

  beforeAll(async () => {
    lab = await startLab(['--scenario', 'flapping-endpoints', '--flap', '4', '--traffic', '20', '--watch-drop', '3']);
    client = KubeClient.create({ kubeconfig: lab.ready.kubeconfig } as any, { KUBECONFIG: '' });
    store = new SessionStore({ logCapacity: 20_000 });
    store.subscribe(() => history.push(store.getSnapshot()));
    store.start();
    ctl = new AbortController();
    session = runLiveSession({ client, store, signal: ctl.signal, debounceMs: 100, diagnose: { target: parseTarget(TARGET), namespace: 'default', probe: false } });
  });

  afterAll(async () => {
    ctl?.abort();
    await session;
    store?.stop();
    await client?.close();
    await lab?.stop();
  });

  it('records flaps in the endpoints timeline', async () => {
    await eventually(() => store.getSnapshot().endpoints.totalFlaps >= 1, 20_000);
    const ep = store.getSnapshot().endpoints;
    expect(ep.service).toMatchObject({ name: 'web', namespace: NS });
    const flapped = Object.keys(ep.flaps)[0]!;
    const changes = ep.timeline.filter((e) => e.key === flapped).map((e) => e.change);
    expect(changes).toContain('not-ready');
    expect(changes).toContain('ready');
    expect(ep.rows.length).toBe(3);
    expect(ep.rows.every((r) => r.pod?.startsWith('web-'))).toBe(true);
    // timeline entries are ordered in time with unique seqs
    const seqs = ep.timeline.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(ep.timeline.every((e, i) => i === 0 || e.at >= ep.timeline[i - 1]!.at)).toBe(true);
  });

  it('follows every controller replica and parses real access lines with the upstream pod named', async () => {
    const pods = await kubectl(lab, ['get', 'pods', '-n', 'ingress-nginx', '-l', 'app.kubernetes.io/component=controller', '-o', 'name']);
    const replicas = pods.stdout.trim().split('\n').map((l) => l.replace('pod/', ''));
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    const line = await eventually(() => store.getSnapshot().controllerLogs.lines.find((l) => l.parsed.format === 'nginx-upstreaminfo' && l.parsed.upstreamPod), 30_000);
    expect(line.parsed).toMatchObject({ method: expect.any(String), path: expect.stringMatching(/^\//), upstreamName: expect.stringMatching(new RegExp(`^${NS}-web-`)) });
    expect(line.parsed.status).toBeGreaterThanOrEqual(100);
    expect(line.parsed.statusClass).toMatch(/^[1-5]xx$/);
    expect(line.parsed.upstreamPod).toMatch(/^web-/);
    const s = store.getSnapshot().controllerLogs;
    expect(new Set(s.streams.map((x) => x.source.pod))).toEqual(new Set(replicas));
    expect(s.membership.filter((m) => m.change === 'joined').map((m) => m.pod).sort()).toEqual([...replicas].sort());
    expect(s.title).toContain('ingress-nginx');
  });

  it('resumes dropped log streams without duplicates or gaps', async () => {
    // --watch-drop 3 ends every stream after 3 s: wait for a few reconnects of every controller stream.
    await eventually(() => {
      const s = store.getSnapshot().controllerLogs;
      return s.streams.length >= 2 && s.streams.every((x) => x.reconnects >= 2) && s.streams.every((x) => x.state === 'live');
    }, 30_000);
    expect(history.some((h) => h.controllerLogs.state === 'reconnecting')).toBe(true);
    const ours = store.getSnapshot().controllerLogs;
    expect(ours.counters.dropped).toBe(0);
    const byPod = new Map<string, LogLine[]>();
    store.toggleHostFilter('controller'); // all lines, not only this path's
    store.flush();
    const all = store.getSnapshot().controllerLogs.lines;
    for (const l of all) byPod.set(l.source.pod, [...(byPod.get(l.source.pod) ?? []), l]);
    for (const [pod, lines] of byPod) {
      const real = await kubectl(lab, ['logs', '-n', 'ingress-nginx', pod, '-c', 'controller', '--timestamps']);
      expect(real.exitCode).toBe(0);
      const realLines = real.stdout.split('\n').filter(Boolean).map((l) => ({ ts: Date.parse(l.slice(0, l.indexOf(' '))), text: l.slice(l.indexOf(' ') + 1) }));
      const first = lines[0]!.ts;
      const last = lines.at(-1)!.ts;
      const window = realLines.filter((l) => l.ts >= first && l.ts <= last).map((l) => `${l.ts} ${l.text}`);
      const got = lines.map((l) => `${l.ts} ${l.raw}`);
      expect(got.length, pod).toBeGreaterThan(10);
      // Ours is the server's log for that window, contiguous, in order, each line once: it may only start later
      // within the first instant (the tailLines cut) and end earlier within the last one (lines since written).
      let at = -1;
      for (let i = 0; i + got.length <= window.length && at < 0; i++) if (window.slice(i, i + got.length).every((x, j) => x === got[j])) at = i;
      expect(at, `${pod}: our lines are not a contiguous part of kubectl logs\n${got.join('\n')}\n---\n${window.join('\n')}`).toBeGreaterThanOrEqual(0);
      expect(window.slice(0, at).every((x) => x.startsWith(`${first} `))).toBe(true);
      expect(window.slice(at + got.length).every((x) => x.startsWith(`${last} `))).toBe(true);
    }
  });

  it('re-diagnoses on watch events: Endpoints turns fail once pods flap, shortly after the slice changed', async () => {
    const failing = await eventually(() => history.find((h) => h.report?.layers.find((l) => l.id === 'endpoints')?.status === 'fail'), 30_000);
    const firstNotReady = history.flatMap((h) => h.endpoints.timeline).find((e) => e.change === 'not-ready')!;
    expect(firstNotReady).toBeDefined();
    // Before the first pod went not-ready, the session's report did not blame the endpoints.
    const before = history.filter((h) => h.report && h.reportAt! < firstNotReady.at);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((h) => h.report!.layers.find((l) => l.id === 'endpoints')!.status !== 'fail')).toBe(true);
    const check = failing.report!.layers.find((l) => l.id === 'endpoints')!.checks.find((c) => c.status === 'fail')!;
    expect(check.id).toBe('ep.flapping');
    // The failing report came from a watch-triggered re-diagnosis shortly after a slice change.
    const lastChange = failing.endpoints.timeline.filter((e) => e.at <= failing.reportAt!).at(-1)!;
    const latency = failing.reportAt! - lastChange.at;
    console.log(`[sources e2e] slice change → report with endpoints=fail: ${latency} ms`);
    expect(latency).toBeLessThan(1500);
    expect(failing.report!.probes).toEqual({ dns: [], tcp: [], http: [] });
  });
});

// The live session: the first diagnosis, then everything that keeps the UI live — the selected path's
// EndpointSlices, its controller's and backend's logs, watches on the objects the path is made of, and the
// probes. Watch events on relevant objects re-run the diagnosis debounced and WITHOUT probes (reusing the last
// probe results), so a pod turning not-ready turns Endpoints red within a second; probes run on refresh, on
// demand and every N seconds. Everything lands in the SessionStore; the UI talks back through its actions.
import * as yaml from 'js-yaml';
import { KubeError } from '../kube/errors.ts';
import { R } from '../kube/resources.ts';
import type { ClusterReader, KObject, ResourceType } from '../kube/types.ts';
import { type KubeTransport, watchList } from '../kube/watch.ts';
import { CONTROLLERS } from '../path/controllers.ts';
import { type DiagnoseOptions, diagnose as realDiagnose } from '../path/diagnose.ts';
import type { ObjectRef, Path, Probes, Report } from '../path/model.ts';
import type { LogScope } from '../logs/parse.ts';
import type { SessionStore } from '../state/store.ts';
import type { LogPaneId, ProbeRun, SessionController } from '../state/types.ts';
import { sanitize } from '../text/sanitize.ts';
import { childController } from './channel.ts';
import { watchEndpointSlices } from './endpoints.ts';
import { type PodSet, followPods } from './logs.ts';

export interface LiveSessionOptions {
  client: KubeTransport & ClusterReader;
  store: SessionStore;
  /** The diagnosis as the CLI runs it (`probe: false` for --no-probe). */
  diagnose: Omit<DiagnoseOptions, 'now' | 'reuseProbes'>;
  signal: AbortSignal;
  /** A report the CLI already has (otherwise the session runs the first diagnosis, with probes). */
  initialReport?: Report;
  /** Debounce of watch-triggered re-diagnoses (default 150 ms). */
  debounceMs?: number;
  /** Probe period (ms, 0 = on demand only; default the store's). */
  probeIntervalMs?: number;
  /** History lines per container when a log follow starts (default 20). */
  tailLines?: number;
  /** Server-side timeout of watch requests (s). */
  watchTimeoutSeconds?: number;
  /** Injected for tests. */
  diagnoseFn?: typeof realDiagnose;
}

type Kind = 'watch' | 'probe' | 'refresh';
const RANK: Record<Kind, number> = { watch: 0, probe: 1, refresh: 2 };

const TYPES_BY_KIND = new Map<string, ResourceType>(Object.values(R).map((t) => [t.kind, t]));

/** The log scope of a path: its host, its upstream names, its endpoint addresses. */
export function scopeOf(p: Path): LogScope {
  const prefixes: string[] = [];
  if (p.service?.namespace && p.service.name) prefixes.push(`${p.service.namespace}-${p.service.name}-`);
  if (p.route?.name) prefixes.push(`httproute/${p.route.namespace ?? p.service?.namespace ?? ''}/${p.route.name}/`);
  return { hosts: p.host ? [p.host] : [], upstreamPrefixes: prefixes, addresses: new Set(p.endpoints.map((e) => e.address)) };
}

function selectorString(sel: unknown): string | undefined {
  if (!sel || typeof sel !== 'object') return undefined;
  const parts = Object.entries(sel as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length ? parts.join(',') : undefined;
}

/** Runs until `signal` aborts. Never throws for cluster errors: they show up in the store. */
export async function runLiveSession(o: LiveSessionOptions): Promise<void> {
  const { client, store, signal } = o;
  const diagnose = o.diagnoseFn ?? realDiagnose;
  const probeEnabled = o.diagnose.probe !== false;
  const debounceMs = o.debounceMs ?? 150;
  let lastReport: Report | undefined;
  let lastProbes: Probes | undefined;
  let running = false;
  let pending: Kind | undefined;
  let pendingTrigger: ProbeRun['trigger'] = 'manual';
  let debounce: ReturnType<typeof setTimeout> | undefined;
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  let probeInterval = o.probeIntervalMs ?? store.getSnapshot().probes.intervalMs;
  let targetsKey = '';
  let pathCtl: AbortController | undefined;

  const run = async (kind: Kind, trigger: ProbeRun['trigger']) => {
    if (signal.aborted) return;
    running = true;
    const withProbes = kind !== 'watch' && probeEnabled;
    const started = performance.now();
    const at = Date.now();
    store.setDiagnosing(true);
    if (withProbes) store.probeStarted();
    try {
      const report = await diagnose(client, {
        ...o.diagnose,
        ...(withProbes ? {} : { probe: false as const, ...(lastProbes ? { reuseProbes: lastProbes } : {}) }),
        ...(withProbes || lastProbes ? {} : { probeSkipped: o.diagnose.probeSkipped ?? (probeEnabled ? 'probes not run yet (press Ctrl-r)' : 'probes disabled (--no-probe)') }),
      });
      if (signal.aborted) return;
      if (withProbes) {
        lastProbes = report.probes;
        store.probeRun({ at, trigger, ms: Math.round(performance.now() - started), dns: report.probes.dns, tcp: report.probes.tcp, http: report.probes.http });
      }
      lastReport = report;
      store.setReport(report);
      store.setConnection('connected');
      retarget();
    } catch (e) {
      if (signal.aborted) return;
      const msg = sanitize((e as Error)?.message ?? String(e), { max: 300 });
      store.setReportError(msg);
      if (withProbes) store.probeRun({ at, trigger, ms: Math.round(performance.now() - started), dns: [], tcp: [], http: [], error: msg });
      if (e instanceof KubeError && e.reason === 'Unreachable') store.setConnection('reconnecting', msg);
    } finally {
      running = false;
      store.setDiagnosing(false);
      if (withProbes) scheduleProbe();
      if (pending && !signal.aborted) {
        const k = pending;
        pending = undefined;
        void run(k, pendingTrigger);
      }
    }
  };

  const request = (kind: Kind, trigger: ProbeRun['trigger'] = 'manual') => {
    if (signal.aborted) return;
    if (kind === 'watch' && !running) {
      // Debounce bursts of watch events into one diagnosis.
      if (debounce) return;
      debounce = setTimeout(() => {
        debounce = undefined;
        if (running) request('watch');
        else void run('watch', trigger);
      }, debounceMs);
      return;
    }
    if (running) {
      if (!pending || RANK[kind] > RANK[pending]) {
        pending = kind;
        pendingTrigger = trigger;
      }
      return;
    }
    void run(kind, trigger);
  };

  const scheduleProbe = () => {
    if (probeTimer) clearTimeout(probeTimer);
    probeTimer = undefined;
    if (!probeEnabled) {
      store.probeSchedule(undefined, 'probes disabled (--no-probe)');
      return;
    }
    if (!probeInterval || signal.aborted) {
      store.probeSchedule(undefined);
      return;
    }
    store.probeSchedule(Date.now() + probeInterval);
    probeTimer = setTimeout(() => request('probe', 'interval'), probeInterval);
  };

  /** Runs one source until the path changes or the session ends. */
  const pump = async <T>(it: AsyncIterable<T>, fn: (v: T) => void, onError: (e: unknown) => void) => {
    try {
      for await (const v of it) fn(v);
    } catch (e) {
      if (!signal.aborted) onError(e);
    }
  };

  const readService = async (ref: ObjectRef | undefined): Promise<KObject | undefined> => {
    if (!ref?.name) return undefined;
    try {
      return await client.get(R.services, ref.name, ref.namespace);
    } catch {
      return undefined;
    }
  };

  const controllerSets = async (p: Path): Promise<{ sets: PodSet[]; title: string } | { unavailable: string }> => {
    if (p.via === 'service') return { unavailable: 'no proxy on this path: traffic enters through a LoadBalancer Service' };
    const lbSvc = await readService(p.loadBalancer?.service);
    const sel = selectorString(lbSvc?.spec?.selector);
    const ctlName = p.via === 'ingress' ? p.ingress?.controller : p.route?.controller;
    if (sel && lbSvc) {
      const ns = lbSvc.metadata.namespace ?? p.loadBalancer!.service!.namespace!;
      return { sets: [{ namespace: ns, labelSelector: sel }], title: `${ctlName ?? 'controller'} ${ns}/${lbSvc.metadata.name}` };
    }
    const spec = CONTROLLERS.find((c) => c.name === ctlName || c.id === ctlName);
    if (!spec) return { unavailable: `netpath does not know the pods of controller ${ctlName ?? '(none)'}` };
    const gw = p.route?.gateway;
    const selectors = p.via === 'httproute' && spec.gatewaySelectors && gw?.name ? spec.gatewaySelectors({ name: gw.name, namespace: gw.namespace ?? '' }) : spec.podSelectors;
    if (!selectors.length) return { unavailable: `${spec.name} runs outside the cluster: no pods to follow` };
    return { sets: selectors.map((s) => ({ labelSelector: s })), title: spec.name };
  };

  const startLogs = async (pane: LogPaneId, p: Path, ctl: AbortController) => {
    let sets: PodSet[] = [];
    let title = '';
    if (pane === 'controller') {
      const r = await controllerSets(p);
      if ('unavailable' in r) {
        store.logPaneInfo(pane, { title: 'controller logs', unavailable: r.unavailable });
        return;
      }
      sets = r.sets;
      title = r.title;
    } else {
      const svc = await readService(p.service);
      const sel = selectorString(svc?.spec?.selector);
      if (!svc || !sel) {
        store.logPaneInfo(pane, { title: 'backend logs', unavailable: svc ? `Service ${p.service?.name} has no selector: no pods to follow` : `Service ${p.service?.name ?? '(none)'} cannot be read` });
        return;
      }
      sets = [{ namespace: svc.metadata.namespace ?? p.service!.namespace!, labelSelector: sel }];
      title = `${svc.metadata.namespace}/${svc.metadata.name} (${sel})`;
    }
    if (ctl.signal.aborted) return;
    store.logPaneInfo(pane, { title, unavailable: null });
    await pump(
      followPods(client, { sets, signal: ctl.signal, tailLines: o.tailLines ?? 20 }),
      (ev) => {
        switch (ev.type) {
          case 'lines':
            for (const r of ev.records) store.logLine(pane, ev.source, r.text, Number.isNaN(r.ms) ? undefined : r.ms);
            break;
          case 'stream':
            store.logStream(pane, ev.source, ev.state, ev.reason);
            break;
          case 'member':
            store.logMembership(pane, ev.change, ev.pod, ev.container, ev.reason);
            break;
          case 'pod-changed':
            request('watch');
            break;
          case 'pods':
            break;
        }
      },
      (e) => store.logPaneInfo(pane, { unavailable: (e as Error)?.message ?? String(e) }),
    );
  };

  const startObjectWatch = (type: ResourceType, ref: ObjectRef | undefined, ctl: AbortController) => {
    if (!ref?.name) return;
    void pump(
      watchList(client, type, { namespace: ref.namespace ?? o.diagnose.namespace, fieldSelector: `metadata.name=${ref.name}`, signal: ctl.signal, ...(o.watchTimeoutSeconds ? { timeoutSeconds: o.watchTimeoutSeconds } : {}) }),
      (item) => {
        if (item.type === 'ADDED' || item.type === 'MODIFIED' || item.type === 'DELETED') request('watch');
      },
      () => undefined,
    );
  };

  /** (Re)starts the sources when the selected path's objects changed. */
  const retarget = () => {
    const r = lastReport;
    if (!r) return;
    const sel = store.getSnapshot().selectedPath;
    const p = r.paths.find((x) => x.id === sel) ?? r.paths[0];
    if (!p) return;
    const scope = scopeOf(p);
    store.logPaneInfo('controller', { scope, hostLabel: [p.host, p.service ? `${p.service.namespace}/${p.service.name}` : undefined].filter(Boolean).join(' · ') });
    for (const e of p.endpoints) if (e.pod) store.addressPod(e.address, e.pod);
    const key = JSON.stringify([p.id, p.service, p.ingress?.name, p.route?.name, p.loadBalancer?.service, p.ingress?.controller, p.route?.controller]);
    if (key === targetsKey) return;
    targetsKey = key;
    pathCtl?.abort();
    const ctl = childController(signal);
    pathCtl = ctl;
    store.resetLogPane('controller');
    store.resetLogPane('backend');
    if (p.service?.name) {
      const ns = p.service.namespace ?? o.diagnose.namespace;
      store.endpointsService({ kind: 'Service', name: p.service.name, namespace: ns });
      void pump(
        watchEndpointSlices(client, { namespace: ns, service: p.service.name, signal: ctl.signal, ...(o.watchTimeoutSeconds ? { watch: { timeoutSeconds: o.watchTimeoutSeconds } } : {}) }),
        (ev) => {
          if (ev.type === 'state') {
            store.endpointsStream(ev.state, ev.reason);
            // The EndpointSlice watch stands for the API connection in the header.
            if (ev.state === 'reconnecting') store.setConnection('reconnecting', ev.reason);
            else if (store.getSnapshot().connection !== 'connected' || store.getSnapshot().connectionError) store.setConnection('connected');
          }
          else if (store.endpointSlices(ev.slices).length) request('watch');
        },
        (e) => store.endpointsStream('ended', (e as Error)?.message ?? String(e)),
      );
    } else {
      store.endpointsService(undefined);
      store.endpointsStream('ended', 'the path has no Service');
    }
    void startLogs('controller', p, ctl);
    void startLogs('backend', p, ctl);
    startObjectWatch(R.services, p.service, ctl);
    if (p.via === 'ingress') startObjectWatch(R.ingresses, p.ingress, ctl);
    if (p.via === 'httproute') startObjectWatch(R.httproutes, p.route, ctl);
  };

  const controller: SessionController = {
    refresh: () => request('refresh', 'refresh'),
    probeNow: () => request(probeEnabled ? 'probe' : 'refresh', 'manual'),
    setProbeInterval: (ms) => {
      probeInterval = ms;
      scheduleProbe();
    },
    selectPath: () => {
      targetsKey = '';
      retarget();
    },
    objectYaml: async (ref) => {
      const type = TYPES_BY_KIND.get(ref.kind);
      if (!type) throw new Error(`netpath cannot show ${ref.kind} objects`);
      if (type === R.secrets) throw new Error('Secrets are not shown (they hold private keys)');
      const obj = await client.get(type, ref.name, ref.namespace);
      if (!obj) throw new Error(`${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name} not found`);
      const { managedFields: _m, ...metadata } = obj.metadata;
      return sanitize(yaml.dump({ ...obj, metadata }, { noRefs: true, lineWidth: 120 }), { multiline: true });
    },
  };
  store.setController(controller);

  const done = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    if (o.initialReport) {
      lastReport = o.initialReport;
      if (probeEnabled) {
        lastProbes = o.initialReport.probes;
        store.probeRun({ at: Date.parse(o.initialReport.generatedAt) || Date.now(), trigger: 'initial', ms: 0, ...o.initialReport.probes });
      }
      store.setReport(o.initialReport);
      store.setConnection('connected');
      retarget();
      scheduleProbe();
    } else {
      await run(probeEnabled ? 'probe' : 'watch', 'initial');
    }
    await done;
  } finally {
    if (debounce) clearTimeout(debounce);
    if (probeTimer) clearTimeout(probeTimer);
    pathCtl?.abort();
    store.setController(undefined);
  }
}

// The in-cluster probes in the live UI (docs/PROBES.md, docs/TUI.md): `T` traceroutes to the selected layer's
// address, `L` runs the isolation ladder with a live status per rung, `:dig HOST`, `:curl URL` and `:node NODE` run
// the one-shot tools. Output streams into the store's helper pane (sanitised there, on ingest); results amend the
// live report (`probes.ladder`, the ladder's checks and verdict, `probes.inCluster`) and stay in it across the live
// session's re-diagnoses. `--no-helpers`/`--read-only` refuse in one line; `:node` needs `--allow-privileged`.
// Every run stops (and its helper pod is deleted) when the helper pane is closed with `q`, or when the UI ends.
import type { InClusterRun, LadderResult, LayerId, Path, Report } from '../path/model.ts';
import type { LadderEvent, LadderOptions } from '../probes/incluster/ladder.ts';
import { applyLadder, coreDnsUpstreams, curl, defaultProbeNamespaces, dig, helperOptions, HelperError, nodeView, runLadder, traceroute } from '../probes/incluster/index.ts';
import type { NodeViewInput, ToolEvent } from '../probes/incluster/tools.ts';
import { sanitize, sanitizeDeep } from '../text/sanitize.ts';
import type { Command, CommandContext } from '../ui/input/commands.ts';
import { registerTuiCommands, type TuiContext } from './tui.ts';

/** The event sources the commands use (tests pass fakes). */
export interface ProbeDeps {
  runLadder: (c: TuiContext['client'], path: Path, o: LadderOptions, signal: AbortSignal) => AsyncIterable<LadderEvent>;
  traceroute: (c: TuiContext['client'], o: Parameters<typeof traceroute>[1], signal: AbortSignal) => AsyncIterable<ToolEvent>;
  dig: (c: TuiContext['client'], o: Parameters<typeof dig>[1], signal: AbortSignal) => AsyncIterable<ToolEvent>;
  curl: (c: TuiContext['client'], o: Parameters<typeof curl>[1], signal: AbortSignal) => AsyncIterable<ToolEvent>;
  nodeView: (c: TuiContext['client'], o: Parameters<typeof nodeView>[1], signal: AbortSignal) => AsyncIterable<ToolEvent>;
  coreDnsUpstreams: (c: TuiContext['client'], signal?: AbortSignal) => Promise<string[]>;
}

export const REAL_DEPS: ProbeDeps = { runLadder, traceroute, dig, curl, nodeView, coreDnsUpstreams };

const SAFE_HOST = /^[A-Za-z0-9._:-]+$/;
const GLYPH = { pass: '✓', fail: '✗', skipped: '–', unknown: '?', 'not-run': '·' } as const;

/** Where `T` traces to for a layer: the LB address or host for DNS/LB/ingress, the Service name, a pod IP. Pure. */
export function traceTarget(path: Path | undefined, layer: LayerId | undefined): { host: string; port: number } | { error: string } {
  if (!path) return { error: 'no path to trace (the diagnosis found none)' };
  const svcDns = path.service?.name && path.service.namespace ? `${path.service.name}.${path.service.namespace}.svc.cluster.local` : undefined;
  const svcPort = typeof path.service?.port === 'number' ? path.service.port : 80;
  const extPort = path.via === 'service' ? svcPort : (path.port ?? (path.scheme === 'https' ? 443 : 80));
  const ok = (h: string | undefined, port: number) => (h && SAFE_HOST.test(h) ? { host: h, port } : undefined);
  if (layer === 'endpoints' || layer === 'pods') {
    const ep = [...path.endpoints].sort((a, b) => Number(b.ready) - Number(a.ready))[0];
    const port = typeof path.service?.targetPort === 'number' ? path.service.targetPort : svcPort;
    return ok(ep?.address, port) ?? { error: `no pod IP on this path${path.service ? ` (svc/${sanitize(path.service.name, { max: 100 })} has no endpoints)` : ''}` };
  }
  if (layer === 'service') return ok(svcDns, svcPort) ?? { error: 'no Service on this path' };
  const lb = path.loadBalancer?.addresses.find((a) => SAFE_HOST.test(a));
  const host = path.host && !path.host.startsWith('*') ? path.host : undefined;
  const first = layer === 'dns' ? (host ?? lb) : (lb ?? host);
  return ok(first, extPort) ?? ok(svcDns, svcPort) ?? { error: 'no address to trace on this layer' };
}

/** A URL for `:curl` without an argument: the path's own URL. */
function pathUrl(p: Path | undefined): string | undefined {
  if (!p) return undefined;
  if (p.host && !p.host.startsWith('*')) {
    const scheme = p.scheme ?? 'http';
    const def = !p.port || (scheme === 'https' && p.port === 443) || (scheme === 'http' && p.port === 80);
    return `${scheme}://${p.host}${def ? '' : `:${p.port}`}${p.path ?? '/'}`;
  }
  if (p.service?.name && p.service.namespace) return `http://${p.service.name}.${p.service.namespace}.svc.cluster.local:${typeof p.service.port === 'number' ? p.service.port : 80}${p.path ?? '/'}`;
  return undefined;
}

/** One line for a ladder event in the helper pane, or undefined. Pure. */
export function ladderLine(ev: LadderEvent): { text: string; stream: 'stdout' | 'stderr' | 'info' } | undefined {
  switch (ev.type) {
    case 'plan':
      return { text: `plan: ${ev.rungs.map((r) => `${r.id}${r.skip ? ' (skip)' : ''}`).join(' → ')}`, stream: 'info' };
    case 'rung-started':
      return { text: `… ${ev.id}: probing`, stream: 'info' };
    case 'rung-passed':
    case 'rung-failed':
    case 'rung-skipped':
    case 'rung-unknown': {
      const r = ev.result;
      return { text: `${GLYPH[r.status]} ${r.id} ${r.status === 'pass' ? 'passed' : r.status === 'fail' ? 'FAILED' : r.status}: ${r.message}`, stream: r.status === 'fail' ? 'stderr' : 'stdout' };
    }
    case 'helper': {
      const h = ev.event;
      if (h.type === 'status') return { text: h.message, stream: 'info' };
      if (h.type === 'profile') return { text: `helper pod ${h.namespace}/${h.pod} (profile ${h.profile})${h.note ? `: ${h.note}` : ''}`, stream: 'info' };
      if (h.type === 'line') return { text: h.line, stream: 'stdout' };
      return undefined;
    }
    case 'verdict':
      return { text: verdictLine(ev.result), stream: ev.result.verdict.status === 'fail' ? 'stderr' : 'info' };
  }
}

export function verdictLine(r: LadderResult): string {
  const v = r.verdict;
  if (v.status === 'fail') return `verdict: ✗ FAIL — the ${v.hop} hop is broken (rung ${v.rung}, layer ${v.layer}): ${v.message}`;
  if (v.status === 'ok') return `verdict: ✓ OK — ${v.message}`;
  return `verdict: ? UNKNOWN — ${v.message}`;
}

/** What the UI's probes added to the report, re-applied to every newer report of the live session. */
interface Added {
  ladders: Map<string, LadderResult>;
  runs: InClusterRun[];
}

/** The report with the UI's results (same object when it already has them). Pure. */
export function withAdded(report: Report, a: Added): Report {
  let r = report;
  for (const l of a.ladders.values()) if (!(r.probes.ladder ?? []).includes(l) && r.paths.some((p) => p.id === l.path)) r = applyLadder(r, l);
  const have = r.probes.inCluster ?? [];
  const missing = a.runs.filter((x) => !have.includes(x));
  if (missing.length) r = { ...r, probes: { ...r.probes, inCluster: [...have.filter((x) => !a.runs.includes(x)), ...a.runs] } };
  return r;
}

export function probeCommands(t: TuiContext, deps: ProbeDeps = REAL_DEPS): Command[] {
  const h = t.args.helpers;
  const added: Added = { ladders: new Map(), runs: [] };
  for (const l of t.report.probes.ladder ?? []) added.ladders.set(l.path, l);
  const running = new Map<string, AbortController>();
  const tasks = new Set<Promise<void>>();
  let seq = 0;

  // The UI's results stay in every report the live session publishes (the store amends each one as it is set).
  const unsubscribe = t.store.addReportAmendment((r) => withAdded(r, added));
  const amend = () => t.store.reapplyAmendments();

  const stopAll = () => {
    for (const c of running.values()) c.abort();
  };
  t.signal.addEventListener('abort', () => (stopAll(), unsubscribe()), { once: true });
  t.onEnd?.(() => Promise.allSettled([...tasks]));

  const refuse = (ctx: CommandContext, what: string): boolean => {
    if (!h.noHelpers) return false;
    ctx.dispatch({ type: 'flash', text: `${what} needs a helper pod in the cluster: not created (${h.readOnly ? '--read-only' : '--no-helpers'})` });
    return true;
  };

  const selected = (ctx: CommandContext): { path?: Path; layer?: LayerId } => {
    const it = ctx.items[ctx.ui.row];
    const up = it ? ctx.paths[it.path] : undefined;
    return { path: up?.path ?? ctx.session.report?.paths[0], ...(it ? { layer: it.layer } : {}) };
  };

  const namespaces = (path: Path | undefined): string[] => {
    if (h.probeNamespace) return [h.probeNamespace];
    const fallback = t.report.namespace ?? t.client.namespace;
    return path ? defaultProbeNamespaces(path, fallback) : [fallback];
  };

  const toolOpts = (path: Path | undefined) => ({ ...helperOptions(h, namespaces(path)[0]!), ...(h.fromPod ? { fromPod: h.fromPod } : {}) });

  /** Runs one source into the helper pane under a new run id; `onEvent` sees every event (results, verdicts). */
  const start = <E>(ctx: CommandContext, title: string, source: (signal: AbortSignal) => AsyncIterable<E>, show: (e: E) => { text: string; stream: 'stdout' | 'stderr' | 'info' } | undefined, onEvent: (e: E) => void) => {
    const runId = `ui-${++seq}`;
    const ac = new AbortController();
    running.set(runId, ac);
    t.store.helperStart(runId, title);
    ctx.dispatch({ type: 'open', pane: 'helper' });
    const task = (async () => {
      let exitCode: number | undefined;
      try {
        for await (const ev of source(ac.signal)) {
          const line = show(ev);
          if (line) t.store.helperOutput(runId, line.text, line.stream);
          const x = ev as { type?: string; code?: number; event?: { type: string; code?: number } };
          if (x.type === 'exit') exitCode = x.code;
          if (x.type === 'helper' && x.event?.type === 'exit') exitCode = x.event.code;
          onEvent(ev);
        }
        t.store.helperEnd(runId, ac.signal.aborted ? { state: 'cancelled', reason: 'stopped' } : { state: 'done', ...(exitCode !== undefined ? { exitCode } : {}) });
      } catch (e) {
        if (ac.signal.aborted) t.store.helperEnd(runId, { state: 'cancelled', reason: 'stopped' });
        else {
          const msg = String((e as Error)?.message ?? e).split('\n')[0]!;
          t.store.helperOutput(runId, e instanceof HelperError ? msg : `error: ${msg}`, 'stderr');
          t.store.helperEnd(runId, { state: 'failed', reason: msg });
        }
      } finally {
        running.delete(runId);
      }
    })();
    tasks.add(task);
    void task.finally(() => tasks.delete(task));
    if (t.signal.aborted) ac.abort();
  };

  const toolShow = (e: ToolEvent): { text: string; stream: 'stdout' | 'stderr' | 'info' } | undefined => {
    if (e.type === 'status') return { text: e.message, stream: 'info' };
    if (e.type === 'profile') return { text: `helper pod ${e.namespace}/${e.pod} (profile ${e.profile})${e.note ? `: ${e.note}` : ''}`, stream: 'info' };
    if (e.type === 'line') return { text: e.line, stream: 'stdout' };
    if (e.type === 'exit' && e.code !== 0) return { text: `exit ${e.code}${e.reason ? ` (${e.reason})` : ''}`, stream: 'stderr' };
    if (e.type === 'result') return { text: `→ ${e.run.summary}`, stream: e.run.status === 'fail' ? 'stderr' : 'info' };
    return undefined;
  };
  const keepRun = (e: ToolEvent) => {
    if (e.type !== 'result') return;
    added.runs.push(sanitizeDeep(e.run));
    if (added.runs.length > 50) added.runs.shift();
    amend();
  };

  const runTool = (ctx: CommandContext, title: string, src: (signal: AbortSignal) => AsyncIterable<ToolEvent>) => start(ctx, title, src, toolShow, keepRun);

  return [
    {
      id: 'traceroute',
      keys: ['T'],
      scope: 'global',
      help: "Traceroute from a helper pod to the selected layer's address (LB/host, Service, pod IP), hops streaming into the helper pane",
      hint: 'trace',
      names: ['trace', 'traceroute'],
      run: (ctx, arg) => {
        if (refuse(ctx, 'traceroute')) return true;
        const { path, layer } = selected(ctx);
        let tgt = traceTarget(path, layer);
        if (arg) {
          const m = /^(\S+?)(?::(\d+))?$/.exec(arg.trim());
          tgt = m && SAFE_HOST.test(m[1]!) ? { host: m[1]!, port: m[2] ? Number(m[2]) : 'port' in tgt ? tgt.port : 80 } : { error: `not a host: ${arg.slice(0, 60)}` };
        }
        if ('error' in tgt) return ctx.dispatch({ type: 'flash', text: `traceroute: ${tgt.error}` }), true;
        const { host, port } = tgt;
        runTool(ctx, `traceroute ${host} port ${port}`, (s) => deps.traceroute(t.client, { ...toolOpts(path), host, port }, s));
      },
    },
    {
      id: 'ladder',
      keys: ['L'],
      scope: 'global',
      help: "Run the isolation ladder on the selected path (pod IP → ClusterIP → Service name → controller → LB → URL); the first failing rung names the hop and joins the report",
      hint: 'ladder',
      names: ['ladder'],
      run: (ctx) => {
        if (refuse(ctx, 'the ladder')) return true;
        const { path } = selected(ctx);
        if (!path) return ctx.dispatch({ type: 'flash', text: 'ladder: no path to probe (the diagnosis found none)' }), true;
        const [ns, ...fallbackNamespaces] = namespaces(path);
        const opts: LadderOptions = {
          ...helperOptions(h, ns!),
          fallbackNamespaces,
          timeoutSeconds: Math.max(1, Math.round(Math.min(t.args.timeoutMs, 10_000) / 1000)),
          ...(h.fromPod ? { fromPod: h.fromPod } : {}),
        };
        start(ctx, `ladder ${path.id}`, (s) => deps.runLadder(t.client, path, opts, s), ladderLine, (ev) => {
          if (ev.type !== 'verdict') return;
          added.ladders.set(ev.result.path, sanitizeDeep(ev.result));
          amend();
          ctx.dispatch({ type: 'flash', text: sanitize(verdictLine(ev.result), { max: 200 }) });
        });
      },
    },
    {
      id: 'dig',
      keys: [],
      scope: 'global',
      help: ':dig HOST — dig through cluster DNS and its upstreams from a helper pod, compared with the workstation',
      names: ['dig'],
      run: (ctx, arg) => {
        if (refuse(ctx, 'dig')) return true;
        const { path } = selected(ctx);
        const name = arg?.trim() || (path?.host && !path.host.startsWith('*') ? path.host : path?.service?.name && path.service.namespace ? `${path.service.name}.${path.service.namespace}.svc.cluster.local` : '');
        if (!name || !SAFE_HOST.test(name) || /\s/.test(name)) return ctx.dispatch({ type: 'flash', text: name ? `dig: not a hostname: ${name.slice(0, 60)}` : 'usage: :dig HOST' }), true;
        runTool(ctx, `dig ${name}`, (s) => {
          const up = deps.coreDnsUpstreams(t.client, s).catch(() => [] as string[]);
          return (async function* () {
            const upstreams = await up;
            yield* deps.dig(t.client, { ...toolOpts(path), name, upstreams, ...(t.resolvers ? { workstation: t.resolvers } : {}), timeoutMs: t.args.timeoutMs }, s);
          })();
        });
      },
    },
    {
      id: 'curl',
      keys: [],
      scope: 'global',
      help: ':curl URL — curl from a helper pod with the timing breakdown (no URL: the path\'s own)',
      names: ['curl'],
      run: (ctx, arg) => {
        if (refuse(ctx, 'curl')) return true;
        const { path } = selected(ctx);
        const url = arg?.trim() || pathUrl(path);
        if (!url) return ctx.dispatch({ type: 'flash', text: 'usage: :curl URL' }), true;
        let u: URL;
        try {
          u = new URL(url);
        } catch {
          return ctx.dispatch({ type: 'flash', text: `curl: not a URL: ${url.slice(0, 80)}` }), true;
        }
        if (!/^https?:$/.test(u.protocol)) return ctx.dispatch({ type: 'flash', text: `curl: only http and https URLs: ${url.slice(0, 80)}` }), true;
        runTool(ctx, `curl ${u.toString()}`, (s) => deps.curl(t.client, { ...toolOpts(path), url: u.toString(), timeoutSeconds: Math.max(1, Math.round(t.args.timeoutMs / 1000)) }, s));
      },
    },
    {
      id: 'node',
      keys: [],
      scope: 'global',
      help: ":node NODE — the node's kube-proxy rules for the Service against its endpoints (privileged pod: needs --allow-privileged)",
      names: ['node'],
      run: (ctx, arg) => {
        if (refuse(ctx, 'the node view')) return true;
        if (!h.allowPrivileged) return ctx.dispatch({ type: 'flash', text: 'the node view runs a privileged hostNetwork pod: pass --allow-privileged to allow it' }), true;
        const { path } = selected(ctx);
        const node = arg?.trim() || path?.endpoints.find((e) => e.node)?.node || path?.nodes[0];
        if (!node || !SAFE_HOST.test(node)) return ctx.dispatch({ type: 'flash', text: node ? `node: not a node name: ${node.slice(0, 60)}` : 'usage: :node NODE' }), true;
        const svc = path?.service;
        if (!svc?.namespace) return ctx.dispatch({ type: 'flash', text: 'node: no Service on this path to compare with' }), true;
        runTool(ctx, `node view ${node}`, (s) =>
          (async function* () {
            const input = await nodeInput(t, node, { namespace: svc.namespace!, name: svc.name, ...(svc.port !== undefined ? { port: svc.port } : {}) }, s);
            yield* deps.nodeView(t.client, { ...toolOpts(path), allowPrivileged: true, input }, s);
          })(),
        );
      },
    },
    {
      id: 'helper-stop',
      keys: ['q'],
      scope: 'log',
      help: 'In the helper pane: stop the running probes (their helper pods are deleted) and close the pane',
      run: (ctx) => {
        if (ctx.ui.focus !== 'helper') return false;
        if (running.size) ctx.dispatch({ type: 'flash', text: `stopping ${running.size} probe${running.size === 1 ? '' : 's'}; helper pods are deleted` });
        stopAll();
        ctx.dispatch({ type: 'close', pane: 'helper' });
      },
    },
  ];
}

/** The Service's ClusterIP, port and endpoints (`ip:port` from its EndpointSlices) for the node view. */
async function nodeInput(t: TuiContext, node: string, svc: { namespace: string; name: string; port?: number | string }, signal: AbortSignal): Promise<NodeViewInput> {
  const ns = encodeURIComponent(svc.namespace);
  const [s, slices] = await Promise.all([
    t.client.send('GET', `/api/v1/namespaces/${ns}/services/${encodeURIComponent(svc.name)}`, { signal }).catch(() => undefined),
    t.client.send('GET', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`, { query: { labelSelector: `kubernetes.io/service-name=${svc.name}` }, signal }).catch(() => undefined),
  ]);
  const ports: any[] = (s as any)?.spec?.ports ?? [];
  const sp = ports.find((p) => p.port === svc.port || p.name === svc.port || String(p.port) === String(svc.port)) ?? ports[0];
  const endpoints: string[] = [];
  for (const sl of ((slices as any)?.items ?? []) as any[]) {
    const port = (sl.ports ?? []).find((p: any) => (p.name ?? '') === (sp?.name ?? ''))?.port;
    if (!port) continue;
    for (const e of sl.endpoints ?? []) for (const a of e.addresses ?? []) endpoints.push(`${a}:${port}`);
  }
  const clusterIP: string | undefined = (s as any)?.spec?.clusterIP;
  return { node, service: { namespace: svc.namespace, name: svc.name, ...(clusterIP && clusterIP !== 'None' ? { clusterIP } : {}), ...(sp?.port ? { port: Number(sp.port) } : {}) }, endpoints: [...new Set(endpoints)].sort() };
}

registerTuiCommands((c) => probeCommands(c));

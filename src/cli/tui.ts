// The interactive terminal UI of `kubectl netpath TARGET`: decides between the UI and the engine's report, and runs
// the UI over a live session (src/state/store.ts fed by src/sources/) until the user quits.
//
// The UI runs only when stdout and stdin are terminals, `CI` is unset (or "false"/"0") and no `-o` was given;
// otherwise the caller prints the report. The terminal is restored on quit, crash and SIGINT/SIGTERM/SIGHUP.
import type { KubeClient } from '../kube/client.ts';
import type { Report } from '../path/model.ts';
import type { Target } from '../path/target.ts';
import type { ResolverSpec } from '../probes/index.ts';
import { SessionStore } from '../state/store.ts';
import type { Command } from '../ui/input/commands.ts';
import { openClient } from './client.ts';
import { tuneHeap } from './heap.ts';
import { EXIT } from './exit.ts';
import type { DiagnoseArgs } from './flags.ts';
import type { TuiIO } from './tty.ts';

export { inCI, wantsTui, type TuiIO } from './tty.ts';

export interface TuiOptions {
  report: Report;
  args: DiagnoseArgs;
  io: TuiIO;
  target: Target;
  resolvers: ResolverSpec[];
  /** Commands for this run only (e.g. the in-cluster probes' T/L with their client). */
  commands?: Command[];
  /** The header's server line (default: the kubeconfig's cluster server). */
  server?: string;
  /** The diagnosis's client, reused (warm connections); the UI closes it when it ends. Default: a new one. */
  client?: KubeClient;
  /** Called with the store and client once the UI runs (demo: extra wiring). */
  onStart?: (store: SessionStore, client: KubeClient) => void;
}

/** What a command factory gets to build commands that need the session (e.g. helper pods feeding the helper pane). */
export interface TuiContext {
  store: SessionStore;
  client: KubeClient;
  args: DiagnoseArgs;
  report: Report;
  /** Aborted when the UI ends: stop helper pods etc. */
  signal: AbortSignal;
  /** The workstation resolvers of this run (`:dig` compares with them). */
  resolvers?: ResolverSpec[];
  /** Work the UI's exit waits for (bounded) after `signal` aborts, before the process may exit (helper pods' deletes). */
  onEnd?: (fn: () => Promise<unknown>) => void;
}

const factories: ((c: TuiContext) => Command[])[] = [];
/**
 * Adds commands built per UI run from the live context (the in-cluster probes register `T`/`L` here: their `run`
 * starts a helper pod, feeds `store.helperStart/helperOutput/helperEnd` and opens the helper pane with
 * `ctx.dispatch({ type: 'open', pane: 'helper' })`). Commands that need nothing use `registerCommand` (src/ui).
 */
export function registerTuiCommands(factory: (c: TuiContext) => Command[]): void {
  factories.push(factory);
}

export async function runTui(o: TuiOptions): Promise<number> {
  const { args, io } = o;
  const client = o.client ?? openClient(args.kube, io.env);
  const store = new SessionStore();
  store.setReport(o.report);
  store.setConnection('connected');
  const abort = new AbortController();
  const probe = args.probe ? { resolvers: o.resolvers, timeoutMs: args.timeoutMs } : (false as const);

  const diagnoseOpts = {
    target: o.target,
    namespace: client.namespace,
    allNamespaces: args.allNamespaces,
    probe,
    ...(probe ? {} : { probeSkipped: 'probes disabled (--no-probe)' }),
    ...(client.config.contextName ? { context: client.config.contextName } : {}),
    cluster: client.config.clusterName,
  };
  // The live session (src/sources/session.ts) keeps the report, endpoints, logs and probes moving and installs the
  // store's controller (refresh, probes, path selection, YAML) until `abort` fires.
  const { runLiveSession } = await import('../sources/session.ts');
  const live = runLiveSession({ client, store, diagnose: diagnoseOpts, signal: abort.signal, initialReport: o.report }).catch((e) => {
    store.setReportError(`live session stopped: ${(e as Error).message}`);
  });
  store.start();
  o.onStart?.(store, client);

  const untuneHeap = tuneHeap(io.env); // already applied by a diagnosis that chose the UI (a no-op then)
  const { runApp } = await import('../ui/run.tsx');
  await import('./tui-probes.ts'); // registers T, L, :dig, :curl, :node (the in-cluster probes, docs/PROBES.md)
  await import('./tui-write.ts'); // registers :write FILE (the report on screen, with those probes, to a file)
  const enders: (() => Promise<unknown>)[] = [];
  const end = await runApp({
    store,
    header: {
      ...(client.config.contextName ? { context: client.config.contextName } : {}),
      server: o.server ?? String(client.config.cluster.server ?? ''),
      namespace: o.report.namespace ?? client.namespace,
      target: o.report.target,
    },
    commands: [...factories.flatMap((f) => f({ store, client, args, report: o.report, signal: abort.signal, resolvers: o.resolvers, onEnd: (fn) => void enders.push(fn) })), ...(o.commands ?? [])],
    env: io.env,
    onExit: () => abort.abort(),
  });
  abort.abort();
  untuneHeap();
  store.stop();
  // Bounded: a source still inside a request must not keep the terminal waiting; the process exits right after.
  await Promise.race([live, new Promise((r) => setTimeout(r, 2000).unref())]);
  await endHelpers(enders);
  await client.close().catch(() => {});
  if (end.reason === 'error') throw end.error;
  if (end.reason === 'signal') return end.signal === 'SIGINT' ? 130 : end.signal === 'SIGHUP' ? 129 : 143;
  return store.getSnapshot().report?.verdict.status === 'fail' ? EXIT.FAIL : EXIT.OK;
}

/**
 * After the UI ends (q, Ctrl-c, a signal): waits for the probes it started to stop and deletes every helper pod this
 * process still has, before the process exits. A second signal meanwhile does not cut it short (bounded: ~6 s).
 */
async function endHelpers(enders: (() => Promise<unknown>)[]): Promise<void> {
  const { deleteLive, livePods } = await import('../probes/incluster/cleanup.ts');
  if (!enders.length && !livePods().length) return;
  const hold = () => {};
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, hold);
  try {
    await Promise.race([Promise.allSettled(enders.map((f) => f())), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (livePods().length) await deleteLive(4000);
  } finally {
    for (const s of signals) process.off(s, hold);
  }
}

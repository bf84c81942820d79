// `kubectl netpath TARGET [flags]`: parse, connect, diagnose, render, exit code.
import type { KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import { diagnose, warmUp } from '../path/diagnose.ts';
import type { Report } from '../path/model.ts';
import { TargetNotFoundError, TargetUnreadableError } from '../path/resolve.ts';
import { TargetError, parseTarget } from '../path/target.ts';
import { parseResolvers } from '../probes/dns.ts';
import type { OutputFormat } from '../report/index.ts';
import { sanitize } from '../text/sanitize.ts';
import { openClient } from './client.ts';
import { wantsTui } from './tty.ts';
import { CliError, EXIT } from './exit.ts';
import { DIAGNOSE_USAGE, parseDiagnoseArgs } from './flags.ts';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

function write(s: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (!s.write(text)) s.once('drain', () => resolve());
    else resolve();
  });
}

/** The format to render: -o wins; otherwise tui on a terminal and text elsewhere. */
export function chooseFormat(flag: OutputFormat | undefined, isTTY: boolean): OutputFormat {
  return flag ?? (isTTY ? 'tui' : 'text');
}

/**
 * Renders for the chosen format. The interactive TUI (issue 5) plugs in here; until then `tui` renders the text
 * report, in colour on a terminal.
 */
async function output(io: CliIO, report: Report, format: OutputFormat, color: boolean): Promise<void> {
  const f = format === 'tui' ? 'text' : format;
  const { render } = await import('../report/index.ts');
  await write(io.stdout, render(report, f, { color: f === 'text' && color }));
}

/** The UI's module (src/cli/tui.ts), for the entries that bundle it. */
export interface DiagnoseDeps {
  loadTui?: () => Promise<typeof import('./tui.ts')>;
}

/** Thrown, before any connection, when the UI is wanted by an entry that does not bundle it (src/cli/report-main.ts). */
export class UiNotBundled extends Error {
  constructor() {
    super('the UI is not part of this bundle');
  }
}

export async function runDiagnose(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }, deps: DiagnoseDeps = {}): Promise<number> {
  const args = parseDiagnoseArgs(argv);
  if (args.help) {
    await write(io.stdout, DIAGNOSE_USAGE + '\n');
    return EXIT.OK;
  }
  if (!args.target) throw new CliError('a target is required: kubectl netpath TARGET (svc/NAME, ingress/NAME, httproute/NAME, gateway/NAME, a URL or a hostname)');
  let target;
  try {
    target = parseTarget(args.target);
  } catch (e) {
    if (e instanceof TargetError) throw new CliError(e.message);
    throw e;
  }
  let resolvers: Awaited<ReturnType<typeof parseResolvers>> = [];
  try {
    resolvers = await parseResolvers(args.resolvers);
  } catch (e) {
    throw new CliError((e as Error).message);
  }

  const isTTY = !!io.stdout.isTTY;
  const format = chooseFormat(args.output, isTTY);
  // The UI (a terminal on both ends, no CI, no -o), or the report.
  const ui = format === 'tui' && wantsTui(io, args.output);
  const loadTui = deps.loadTui;
  if (ui && !loadTui) throw new UiNotBundled();
  const client = openClient(args.kube, io.env);
  // Credentials and the first connection start now (an exec plugin or a distant API server overlaps with what follows).
  client.connect();
  // The UI's heap limits apply from the start (the diagnosis before it would grow V8's young generation).
  if (ui) (await import('./heap.ts')).tuneHeap(io.env);
  // The code needed after the first round trip — the checks, the report, the UI (Ink, React, yoga) — is evaluated
  // while that round trip is on the wire (once its requests are out), not after it.
  const preload = client.dispatched
    .then(() => new Promise((r) => setImmediate(r)))
    .then(() => Promise.all([warmUp(args.probe), ui ? loadTui!() : import('../report/index.ts')]))
    .catch(() => undefined);
  if (args.verbosity >= 6) {
    client.onRequest = (r) => {
      io.stderr.write(sanitize(`I netpath] GET ${r.url} ${r.status ?? r.error} in ${r.ms} milliseconds (round trip ${r.depth})`) + '\n');
    };
  }

  let report: Report;
  try {
    report = await diagnose(client, {
      target,
      namespace: client.namespace,
      allNamespaces: args.allNamespaces,
      probe: args.probe ? { resolvers, timeoutMs: args.timeoutMs } : false,
      probeSkipped: args.probe ? undefined : 'probes disabled (--no-probe)',
      ...(client.config.contextName ? { context: client.config.contextName } : {}),
      cluster: client.config.clusterName,
    });
    // In-cluster isolation ladder (H3, docs/PROBES.md): a helper pod curls each hop; the first failing rung is a check.
    if (args.helpers.ladder) report = await (await import('../probes/incluster/report.ts')).withLadder(client, report, { helpers: args.helpers, timeoutMs: args.timeoutMs, stderr: io.stderr, verbose: args.verbosity >= 1 });
  } catch (e) {
    closeLater(client);
    if (e instanceof TargetNotFoundError) throw new CliError(sanitize(e.message), EXIT.USAGE);
    if (e instanceof TargetUnreadableError) throw new CliError(sanitize(e.message), EXIT.CLUSTER);
    if (e instanceof KubeError && e.fatal) throw new CliError(sanitize(e.message), EXIT.CLUSTER);
    throw e;
  }
  report.api = { ...client.stats };
  if (args.verbosity >= 1) {
    io.stderr.write(`netpath: ${client.stats.requests} API requests in ${client.stats.roundTrips} sequential round trips (${client.stats.ms} ms)\n`);
  }
  const color = isTTY && args.color !== false && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  void preload;
  // The UI goes on with this client (its connections are warm) and closes it when it ends.
  if (ui) return (await loadTui!()).runTui({ report, args, io, target, resolvers, client });
  closeLater(client);
  await output(io, report, format, color);
  return report.verdict.status === 'fail' ? EXIT.FAIL : EXIT.OK;
}

/**
 * Closes the client later, unreferenced: closing a dozen TLS sockets costs ~10 ms of CPU that the CLI, which exits
 * right after the report, need not spend (the exit closes them); an in-process caller (tests) gets them closed.
 */
function closeLater(client: KubeClient): void {
  setTimeout(() => void client.close(), 200).unref();
}

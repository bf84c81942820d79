// `kubectl netpath TARGET [flags]`: parse, connect, diagnose, render, exit code.
import { KubeClient } from '../kube/client.ts';
import { KubeError } from '../kube/errors.ts';
import { diagnose } from '../path/diagnose.ts';
import type { Report } from '../path/model.ts';
import { TargetNotFoundError, TargetUnreadableError } from '../path/resolve.ts';
import { TargetError, parseTarget } from '../path/target.ts';
import { parseResolvers } from '../probes/index.ts';
import { type OutputFormat, render } from '../report/index.ts';
import { sanitize } from '../text/sanitize.ts';
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
  await write(io.stdout, render(report, f, { color: f === 'text' && color }));
}

export async function runDiagnose(argv: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
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

  let client: KubeClient;
  try {
    client = KubeClient.create(args.kube, io.env);
  } catch (e) {
    if (e instanceof KubeError) throw new CliError(e.message, EXIT.CLUSTER);
    throw e;
  }
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
  } catch (e) {
    if (e instanceof TargetNotFoundError) throw new CliError(sanitize(e.message), EXIT.USAGE);
    if (e instanceof TargetUnreadableError) throw new CliError(sanitize(e.message), EXIT.CLUSTER);
    if (e instanceof KubeError && e.fatal) throw new CliError(sanitize(e.message), EXIT.CLUSTER);
    throw e;
  } finally {
    await client.close();
  }
  report.api = { ...client.stats };
  if (args.verbosity >= 1) {
    io.stderr.write(`netpath: ${client.stats.requests} API requests in ${client.stats.roundTrips} sequential round trips (${client.stats.ms} ms)\n`);
  }
  const isTTY = !!io.stdout.isTTY;
  const color = isTTY && args.color !== false && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
  await output(io, report, chooseFormat(args.output, isTTY), color);
  return report.verdict.status === 'fail' ? EXIT.FAIL : EXIT.OK;
}

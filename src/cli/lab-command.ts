// `kubectl-netpath lab`: run the embedded lab cluster in the foreground.
import { parseArgs } from 'node:util';
import { Lab } from '../lab/lab.ts';
import { parseScale, scaleObjects } from '../lab/scale.ts';
import { CliError, EXIT } from './exit.ts';

export const LAB_USAGE = `Usage: kubectl-netpath lab [--scenario NAME]... [--manifests FILE_OR_DIR]... [--kubeconfig PATH] [--port N]
                          [--scale services=N,pods=M,ingresses=K]

Runs a Kubernetes-API-compatible lab cluster on loopback until SIGINT/SIGTERM. When ready it prints one JSON
line: {"kubeconfig", "server", "context", "resolver", "resolvers", "scenario"}.`;

export interface LabArgs {
  scenarios: string[];
  manifests: string[];
  kubeconfig?: string;
  port?: number;
  scale?: string;
}

export function parseLabArgs(argv: string[]): LabArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string', multiple: true },
        manifests: { type: 'string', multiple: true },
        kubeconfig: { type: 'string' },
        port: { type: 'string' },
        scale: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    throw new CliError(`lab: ${(e as Error).message.split('\n')[0]}`);
  }
  if (values.help) return 'help';
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`lab: invalid --port "${values.port}"`);
  }
  return {
    scenarios: (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    manifests: values.manifests ?? [],
    kubeconfig: values.kubeconfig,
    port,
    scale: values.scale,
  };
}

export async function startLab(args: LabArgs): Promise<Lab> {
  const scale = args.scale ? parseScale(args.scale) : undefined;
  try {
    return await Lab.start({
      scenarios: args.scenarios,
      manifests: args.manifests,
      kubeconfigPath: args.kubeconfig,
      port: args.port,
      objects: scale ? scaleObjects(scale) : undefined,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new CliError(`lab: port ${args.port} is already in use`);
    throw new CliError(`lab: ${err.message.split('\n')[0]}`);
  }
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runLab(argv: string[]): Promise<number> {
  const args = parseLabArgs(argv);
  if (args === 'help') {
    process.stdout.write(LAB_USAGE + '\n');
    return EXIT.OK;
  }
  const lab = await startLab(args);
  process.stdout.write(JSON.stringify(lab.ready()) + '\n');
  await untilSignal();
  await lab.stop();
  return EXIT.OK;
}

// Command-line entry: dispatches to the lab, the demo, or (later) a diagnosis. Errors end as one line on stderr.
import pkg from '../../package.json' with { type: 'json' };
import { CliError, EXIT } from './exit.ts';
import { runDiagnose } from './diagnose.ts';
import { runLab, startLab, untilSignal } from './lab-command.ts';

export const VERSION: string = pkg.version;

export const USAGE = `kubectl-netpath ${VERSION} — walk the external access path of a Kubernetes workload, layer by layer.

Usage:
  kubectl netpath --demo                 start the embedded lab with the demo scenario
  kubectl netpath lab [flags]            run the embedded lab cluster (see: kubectl netpath lab --help)
  kubectl netpath --version

Exit codes: 0 ok, 1 a layer fails, 2 bad usage or target not found, 3 cluster unreachable or not authorised.`;

async function runDemo(): Promise<number> {
  const lab = await startLab({ scenarios: ['platform', 'demo'], manifests: [] });
  const r = lab.ready();
  process.stdout.write(
    [
      `The netpath lab is running with scenarios: ${r.scenario.join(', ')}`,
      `API server: ${r.server}`,
      '',
      'Point kubectl at it:',
      `  export KUBECONFIG=${r.kubeconfig}`,
      '  kubectl get pods -A',
      '  kubectl get ingress,httproute -A',
      ...(r.resolver
        ? [
            '',
            'Its DNS and load balancers are real (loopback):',
            `  dig @${r.resolver.split(':')[0]} -p ${r.resolver.split(':')[1]} shop.netpath.test`,
            '  curl -k --resolve shop.netpath.test:443:$(dig +short @' + r.resolver.split(':')[0] + ' -p ' + r.resolver.split(':')[1] + ' shop.netpath.test) https://shop.netpath.test/',
          ]
        : []),
      '',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await untilSignal();
  await lab.stop();
  return EXIT.OK;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'lab':
      return runLab(rest);
    case '--demo':
    case 'demo':
      return runDemo();
    case '--version':
    case 'version':
      process.stdout.write(`kubectl-netpath ${VERSION}\n`);
      return EXIT.OK;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return first === undefined ? EXIT.USAGE : EXIT.OK;
    default:
      // A target (svc/NAME, ingress/NAME, httproute/NAME, gateway/NAME, a URL or a hostname) and its flags,
      // in any order; `-o text|markdown|json|yaml` picks the report (src/cli/diagnose.ts).
      return runDiagnose(argv);
  }
}

/** Runs main and turns errors into one line and an exit code; the stack only with -v. */
export async function run(argv: string[]): Promise<void> {
  const verbose = argv.some((a) => /^-v(=?\d+)?$|^--v=\d+$/.test(a));
  try {
    process.exitCode = await main(argv);
  } catch (e) {
    const err = e as Error;
    const code = e instanceof CliError ? e.exitCode : EXIT.USAGE;
    process.stderr.write(`error: ${err.message.split('\n')[0]}\n`);
    if (verbose && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = code;
  }
  // Servers and timers may still hold the loop; a finished command exits.
  setImmediate(() => process.exit(process.exitCode ?? 0));
}

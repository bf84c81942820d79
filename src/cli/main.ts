// Command-line entry: dispatches to the lab, the demo or a diagnosis. Errors end as one line on stderr.
// Start-up: this module imports nothing heavy. Each command loads its code with `await import()` (esbuild turns
// those into lazily initialised wrappers inside the single bundle), so `--version`/`--help` never evaluate the lab,
// the UI, client-node or the path engine. Keep it that way: new commands add a lazy `case` line, no static import.
import pkg from '../../package.json' with { type: 'json' };
import { EXIT } from './exit.ts';

export const VERSION: string = pkg.version;

export const USAGE = `kubectl-netpath ${VERSION} — walk the external access path of a Kubernetes workload, layer by layer.

Usage:
  kubectl netpath --demo                 start the embedded lab with the demo scenario
  kubectl netpath lab [flags]            run the embedded lab cluster (see: kubectl netpath lab --help)
  kubectl netpath cleanup [-A]           delete helper pods this tool left behind
  kubectl netpath --version

Exit codes: 0 ok, 1 a layer fails, 2 bad usage or target not found, 3 cluster unreachable or not authorised.`;

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    // Every command loads its module lazily (see the header comment); add new commands the same way.
    case 'lab':
      return (await import('./lab-command.ts')).runLab(rest);
    case '__complete': return (await import('./complete.ts')).runComplete(rest);
    case 'cleanup': return (await import('./cleanup.ts')).runCleanup(rest);
    case '--demo':
    case 'demo':
      return (await import('./demo.ts')).runDemo(rest);
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
      return (await import('./diagnose.ts')).runDiagnose(argv, undefined, { loadTui: () => import('./tui.ts') });
  }
}

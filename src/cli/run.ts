// Runs a command and turns errors into one line and an exit code; the stack only with -v. Shared by the CLI's two
// entries (src/cli/index.ts, src/cli/report-main.ts), so it imports nothing but the exit codes.
import { CliError, EXIT } from './exit.ts';

export async function run(argv: string[], command: (argv: string[]) => Promise<number>): Promise<void> {
  const verbose = argv.some((a) => /^-v(=?\d+)?$|^--v=\d+$/.test(a));
  try {
    process.exitCode = await command(argv);
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

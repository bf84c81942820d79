// Entry of dist/kubectl-netpath-report.js: a diagnosis whose output is a report (stdout not a terminal, `CI` set, or
// `-o` given), the CLI's most frequent use in scripts, CI jobs and benchmarks. bin/kubectl-netpath.js picks it over
// the full CLI (src/cli/index.ts) for such runs: it holds the path engine, the checks, the probes and the reports
// but none of the UI, the lab or the other commands, so a run reads and compiles ~0.5 MB instead of 2.6 MB (about
// 25 ms of every run; docs/BENCHMARKS.md, Diagnosis). The release binaries are one file and use the full CLI.
import { UiNotBundled, runDiagnose } from './diagnose.ts';
import { run } from './run.ts';

await run(process.argv.slice(2), async (argv) => {
  try {
    return await runDiagnose(argv);
  } catch (e) {
    if (!(e instanceof UiNotBundled)) throw e;
    // The launcher's guess was wrong (it reads the terminals, `CI` and `-o` as the CLI does, so only an odd argument
    // list gets here): nothing has been started yet, so the full CLI, beside this file, runs the command instead.
    const full = new URL('./kubectl-netpath.js', import.meta.url).href;
    await import(full);
    return Number(process.exitCode ?? 0);
  }
});

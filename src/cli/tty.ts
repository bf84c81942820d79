// The UI, or the report? Decided from the terminals, `CI` and `-o` alone, so the CLI can decide before it loads any
// of the UI (src/cli/tui.ts re-exports these for its callers).

export interface TuiIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** `CI` counts as set unless empty, "false" or "0" (as is-in-ci reads it). */
export function inCI(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/** The UI needs a terminal on both ends, no CI and no -o. */
export function wantsTui(io: TuiIO, output: string | undefined): boolean {
  const stdin = io.stdin ?? process.stdin;
  return output === undefined && !!io.stdout.isTTY && !!stdin.isTTY && !inCI(io.env);
}

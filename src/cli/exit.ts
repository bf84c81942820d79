// Exit codes, documented in README.md and docs/OUTPUT.md.
export const EXIT = {
  /** No layer fails (warnings allowed); also a clean stop of `lab`. */
  OK: 0,
  /** A layer fails. */
  FAIL: 1,
  /** Bad usage or target not found. */
  USAGE: 2,
  /** Cluster unreachable or not authorised. */
  CLUSTER: 3,
} as const;

/** An error that ends the program with one clear line on stderr and a documented exit code. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.USAGE) {
    super(message);
    this.exitCode = exitCode;
  }
}

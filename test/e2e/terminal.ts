// A real pseudo-terminal for the UI's end-to-end tests: a private tmux server with one shell window.
//
// The shell starts with `CI` removed from its environment: the UI (rightly) prints the report instead of opening
// when `CI` is set, and CI runners set it for the test process that starts tmux. tmux runs with -u (UTF-8) so
// the UI's glyphs survive where the runner has no UTF-8 locale.
import { execFileSync } from 'node:child_process';
import { eventually } from './harness.ts';

export const hasTool = (bin: string, ...args: string[]): boolean => {
  try {
    execFileSync(bin, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Terminal {
  readonly socket: string;

  constructor(name: string) {
    this.socket = `netpath-${name}-${process.pid}`;
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-u', '-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** A detached session `ui` of WIDTH×HEIGHT running sh (PS1 "$ "; root's dash shows "# ") and no `CI`. */
  start(width = 200, height = 60): void {
    this.tmux('new-session', '-d', '-x', String(width), '-y', String(height), '-s', 'ui', '-e', 'PS1=$ ', '-e', `PATH=${process.env.PATH}`, 'env -u CI sh');
    this.keys('clear', 'Enter');
  }

  /**
   * Kills the server and waits until it is gone: tmux exits asynchronously, and a `start()` on the same socket while
   * the old server is still exiting fails with "server exited unexpectedly".
   */
  async stop(): Promise<void> {
    try {
      this.tmux('kill-server');
    } catch {}
    await eventually(() => !hasTool('tmux', '-L', this.socket, 'list-sessions'), 5_000, 50);
  }

  capture(): string {
    return this.tmux('capture-pane', '-p', '-t', 'ui');
  }

  keys(...k: string[]): void {
    this.tmux('send-keys', '-t', 'ui', ...k);
  }

  /**
   * Runs COMMAND on a cleared screen, then prints `EXIT=<status>` at the start of a line. One command line: a
   * `clear` typed on its own may still be running while the next line is typed, wipe that line's echo, and leave
   * the cursor after the prompt, so that `EXIT=` would not start a line.
   */
  run(command: string): void {
    this.keys(`clear; ${command}; echo "EXIT=$?"`, 'Enter');
  }

  display(format: string): string {
    return this.tmux('display', '-p', '-t', 'ui', format).trim();
  }

  /** Waits until the screen shows WHAT; the error carries the last screen, so a failure says what was there. */
  async until(what: string | RegExp, ms = 20_000): Promise<string> {
    let last = '';
    try {
      return await eventually(() => {
        last = this.capture();
        return (typeof what === 'string' ? last.includes(what) : what.test(last)) && last;
      }, ms, 150);
    } catch (e) {
      throw new Error(`${(e as Error).message}: waiting for ${String(what)}; the screen showed:\n${last.replace(/\n+$/, '')}`);
    }
  }
}

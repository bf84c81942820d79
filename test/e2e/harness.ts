// End-to-end harness: the built CLI's lab in a child process, and real kubectl pointed at it.
import { execa, type ResultPromise } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'kubectl-netpath.js');
export const SHARED = join(ROOT, '..', 'shared');

export interface ReadyLine {
  kubeconfig: string;
  server: string;
  context: string;
  resolver: string | null;
  resolvers: string[];
  scenario: string[];
}

export interface LabProcess {
  ready: ReadyLine;
  proc: ResultPromise;
  /** A private kubectl discovery cache, so labs with different resources never share one. */
  cacheDir: string;
  stop(): Promise<void>;
}

/** Starts `kubectl-netpath lab ARGS` and resolves with its ready line. */
export async function startLab(args: string[] = [], timeoutMs = 20_000): Promise<LabProcess> {
  const proc = execa(process.execPath, [CLI, 'lab', ...args], { reject: false, buffer: { stdout: false, stderr: true } });
  const lines = createInterface({ input: proc.stdout! });
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('lab did not become ready in time')), timeoutMs);
    lines.once('line', (l) => {
      clearTimeout(t);
      try {
        resolve(JSON.parse(l));
      } catch (e) {
        reject(new Error(`lab printed a non-JSON first line: ${l}`));
      }
    });
    proc.then((r) => reject(new Error(`lab exited early (${r.exitCode}): ${String(r.stderr)}`)), reject);
  });
  const cacheDir = mkdtempSync(join(tmpdir(), 'netpath-kcache-'));
  return {
    ready,
    proc,
    cacheDir,
    async stop() {
      proc.kill('SIGTERM');
      await proc;
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

export interface KubectlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs real kubectl against a lab. */
export async function kubectl(lab: LabProcess, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  const r = await execa('kubectl', ['--kubeconfig', lab.ready.kubeconfig, '--cache-dir', lab.cacheDir, ...args], {
    reject: false,
    input: opts.input,
    timeout: opts.timeoutMs ?? 30_000,
    env: { KUBECONFIG: '' },
    stripFinalNewline: false,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Polls until `fn` returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

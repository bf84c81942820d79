// A benchmark's lab runs in a forked child (so its CPU and memory are measured apart from the load generator's),
// driven over IPC: the child sends `{id: 0, result}` when ready and answers `{id, cmd, arg}` calls with
// `{id, result}` or `{id, error}`.
import { type ChildProcess, fork } from 'node:child_process';

export interface Child {
  proc: ChildProcess;
  call<T>(cmd: string, arg?: unknown): Promise<T>;
  /** Sends a command without waiting for its answer (e.g. `stop` on the way out). */
  send(cmd: string, arg?: unknown): void;
}

/** Forks `file` with `args`; resolves with the child and its ready message (id 0). */
export async function forkChild<R>(file: string, args: string[]): Promise<{ child: Child; first: R }> {
  const proc = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let next = 1;
  const first = new Promise<R>((resolve, reject) => {
    pending.set(0, { resolve, reject });
    proc.once('exit', (c) => reject(new Error(`lab child exited with ${c}`)));
  });
  proc.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(m.error));
    else p.resolve(m.result);
  });
  const child: Child = {
    proc,
    call: (cmd, arg) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        proc.send({ id, cmd, arg });
      }),
    send: (cmd, arg) => void proc.send({ id: next++, cmd, arg }),
  };
  return { child, first: await first };
}

/**
 * The child's side: answers calls with `commands`, stops on `stop` (running `stop` first), and announces `ready`
 * as message 0.
 */
export function serveChild(commands: Record<string, (arg?: any) => unknown>, stop: () => Promise<unknown>, ready: unknown): void {
  process.on('message', async (m: { id: number; cmd: string; arg?: unknown }) => {
    if (m.cmd === 'stop') {
      await stop();
      process.send!({ id: m.id, result: null }, () => process.exit(0));
      return;
    }
    try {
      process.send!({ id: m.id, result: await commands[m.cmd]!(m.arg) });
    } catch (e) {
      process.send!({ id: m.id, error: String((e as Error)?.stack ?? e) });
    }
  });
  process.send!({ id: 0, result: ready });
}

// Mounting the app on a real terminal: alternate screen, our own Ctrl-c, console output kept off the frame, and the
// terminal restored on quit, crash and SIGINT/SIGTERM/SIGHUP.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { render } from 'ink';
import type { SessionStoreApi } from '../state/types.ts';
import { App } from './App.tsx';
import type { HeaderInfo } from './components/Header.tsx';
import { type Command, defaultCommands, registeredCommands } from './input/commands.ts';
import { buildKeymap, keymapPath, loadOverrides } from './input/keymap.ts';

export interface RunAppOptions {
  store: SessionStoreApi;
  header?: HeaderInfo;
  /** Extra commands for this run (merged after the registered ones). */
  commands?: Command[];
  env?: NodeJS.ProcessEnv;
  /** Default true; false keeps the normal screen (NETPATH_NO_ALT_SCREEN=1). */
  alternateScreen?: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Called once when the app ends for any reason (quit, signal, crash), before the terminal is restored. */
  onExit?: () => void;
  /** Called after every frame is written (benchmarks: key-to-frame latency). */
  onFrame?: (renderTimeMs: number) => void;
}

export type AppEnd = { reason: 'quit' } | { reason: 'signal'; signal: NodeJS.Signals } | { reason: 'error'; error: unknown };

/**
 * Backpressure and pacing: a new snapshot is passed on to React only when the terminal has taken the previous frame (stdout
 * not waiting for 'drain'). Otherwise frames would queue in the stream's buffer faster than a slow terminal (or a
 * busy tmux) reads them: latency and memory would grow without bound. Skipped snapshots are not lost: the next
 * render reads the latest one.
 */
export function gated(store: SessionStoreApi, stdout: NodeJS.WritableStream & { writableNeedDrain?: boolean }, minIntervalMs = 100): SessionStoreApi {
  const subscribe = (fn: () => void) => {
    let waiting = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const deliver = () => {
      last = performance.now();
      fn();
    };
    const notify = () => {
      if (waiting || timer) return;
      if (stdout.writableNeedDrain) {
        waiting = true;
        stdout.once('drain', () => {
          waiting = false;
          notify();
        });
        return;
      }
      // Snapshots reach React at most every `minIntervalMs` (a full frame costs Ink ~20 ms of output building on a
      // 200×50 screen): a flood redraws 10 times a second; keys still render at once (they are React state).
      const wait = last + minIntervalMs - performance.now();
      if (wait <= 0) return deliver();
      timer = setTimeout(() => {
        timer = undefined;
        deliver();
      }, wait);
    };
    const off = store.subscribe(notify);
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  };
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'subscribe') return subscribe;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const RESTORE = '\x1b[?2026l\x1b[0m\x1b[?25h\x1b[?1049l';

/** Renders the app until the user quits, a signal arrives or it crashes; the terminal is restored in every case. */
export async function runApp(o: RunAppOptions): Promise<AppEnd> {
  const env = o.env ?? process.env;
  const stdout = o.stdout ?? process.stdout;
  const stdin = o.stdin ?? process.stdin;
  const warnings: string[] = [];
  const overrides = loadOverrides(env, warnings);
  const keymap = buildKeymap([...defaultCommands(), ...registeredCommands(), ...(o.commands ?? [])], overrides, warnings);
  const alt = o.alternateScreen ?? !env.NETPATH_NO_ALT_SCREEN;

  // Stray console output (libraries) would corrupt frames: keep it, print it after the terminal is restored.
  const held: string[] = [];
  const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
  const hold = (...a: unknown[]) => void (held.length < 200 && held.push(a.map(String).join(' ')));
  console.log = console.info = console.warn = console.error = console.debug = hold;

  let ended = false;
  let settle!: (e: AppEnd) => void;
  const done = new Promise<AppEnd>((r) => (settle = r));
  let onExitCalled = false;
  const callOnExit = () => {
    if (onExitCalled) return;
    onExitCalled = true;
    try {
      o.onExit?.();
    } catch {}
  };

  // NETPATH_TUI_TRACE=FILE: in-process key-to-frame times (stdin readable → frame written) and event-loop delay,
  // written as JSON at exit (scripts/bench-tui.ts reads it).
  const trace = env.NETPATH_TUI_TRACE ? startTrace(env.NETPATH_TUI_TRACE, stdin) : undefined;
  const onFrame = o.onFrame ?? trace?.onFrame;

  const instance = render(<App store={gated(o.store, stdout)} header={o.header ?? {}} keymap={keymap} keymapPath={keymapPath(env)} onExit={callOnExit} />, {
    stdout,
    stdin,
    stderr: process.stderr,
    alternateScreen: alt,
    exitOnCtrlC: false,
    patchConsole: false,
    // Ink throttles writes (trailing edge): a low cap delays the frame after a key by up to 1000/maxFps ms. Commits are
    // already bounded by the store's flush (≤ 20/s) and by the drain gate above, so the cap only sets key latency.
    maxFps: 60,
    // Only changed lines are rewritten: far fewer bytes per frame under a log flood (NETPATH_TUI_INCREMENTAL=0: off).
    incrementalRendering: env.NETPATH_TUI_INCREMENTAL !== '0',
    ...(onFrame ? { onRender: (m: { renderTime: number }) => onFrame(m.renderTime) } : {}),
  });

  const lastResort = () => {
    // Process exiting without a clean unmount: leave the terminal usable whatever happened.
    if (ended) return;
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {}
    try {
      stdout.write(RESTORE);
    } catch {}
  };
  const finish = (e: AppEnd) => {
    if (ended) return;
    callOnExit();
    try {
      instance.unmount();
    } catch {}
    settle(e);
  };
  const onSignal = (signal: NodeJS.Signals) => finish({ reason: 'signal', signal });
  const onCrash = (error: unknown) => finish({ reason: 'error', error });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('exit', lastResort);

  instance.waitUntilExit().then(
    () => settle({ reason: 'quit' }),
    (error: unknown) => settle({ reason: 'error', error }),
  );
  const end = await done;
  try {
    await instance.waitUntilExit();
  } catch {}
  ended = true;
  for (const s of signals) process.off(s, onSignal);
  process.off('uncaughtException', onCrash);
  process.off('unhandledRejection', onCrash);
  process.off('exit', lastResort);
  try {
    if (stdin.isTTY) stdin.setRawMode(false);
  } catch {}
  stdin.pause?.();
  Object.assign(console, saved);
  trace?.stop();
  if (alt) stdout.write('\x1b[?25h');
  for (const l of held.slice(0, 50)) process.stderr.write(`${l.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '')}\n`);
  return end;
}

function startTrace(file: string, stdin: NodeJS.ReadStream) {
  const keys: number[] = [];
  const renders: number[] = [];
  let pending: number | undefined;
  const onReadable = () => void (pending ??= performance.now());
  stdin.prependListener('readable', onReadable);
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  return {
    onFrame: (renderTime: number) => {
      if (renders.length < 100_000) renders.push(renderTime);
      if (pending === undefined) return;
      keys.push(performance.now() - pending);
      pending = undefined;
    },
    stop: () => {
      stdin.off('readable', onReadable);
      eld.disable();
      const ms = (n: number) => Math.round(n / 1e4) / 100;
      writeFileSync(file, JSON.stringify({ keyToFrameMs: keys, renderMs: renders, eventLoopDelayMs: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) } }) + '\n');
    },
  };
}

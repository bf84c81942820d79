// Mounting the app on a real terminal: alternate screen, our own Ctrl-c, console output kept off the frame, and the
// terminal restored on quit, crash and SIGINT/SIGTERM/SIGHUP.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { render } from 'ink';
import type { SessionState, SessionStoreApi } from '../state/types.ts';
import { App } from './App.tsx';
import { Compositor } from './compositor.ts';
import type { HeaderInfo } from './components/Header.tsx';
import { CompositorContext } from './components/RowsView.tsx';
import { type Command, defaultCommands, registeredCommands } from './input/commands.ts';
import { buildKeymap, keymapPath, loadOverrides } from './input/keymap.ts';
import { logRowsOnly } from './panes/logwindow.ts';

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

/** Snapshots that change only rows (`only`), and how to draw them without a render (`draw`). */
export interface RowsOnly {
  only: (shown: SessionState, next: SessionState) => boolean;
  draw: (next: SessionState) => void;
}

/**
 * Backpressure and pacing: a new snapshot is passed on to React only when the terminal has taken the previous frame (stdout
 * not waiting for 'drain'). Otherwise frames would queue in the stream's buffer faster than a slow terminal (or a
 * busy tmux) reads them: latency and memory would grow without bound. Skipped snapshots are not lost: the next
 * render reads the latest one.
 */
export function gated(
  store: SessionStoreApi,
  stdout: NodeJS.WritableStream & { writableNeedDrain?: boolean },
  minIntervalMs: number | (() => number) = 100,
  rows?: RowsOnly,
): SessionStoreApi {
  const interval = typeof minIntervalMs === 'function' ? minIntervalMs : () => minIntervalMs;
  const subscribe = (fn: () => void) => {
    let waiting = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    let shown: SessionState | undefined;
    const deliver = () => {
      last = performance.now();
      const next = store.getSnapshot();
      // A snapshot that only moves rows is drawn without React (and so without Ink's frame): a log flood's.
      if (rows && shown && rows.only(shown, next)) return rows.draw(next);
      shown = next;
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
      // 200×50 screen): a flood redraws a few times a second; keys still render at once (they are React state).
      const wait = last + interval() - performance.now();
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

// The UI turns the terminal's auto-wrap off (DECAWM) while it runs: a line that would not fit is cut by the terminal
// instead of wrapping into the next row, whatever a frame holds, so Ink need not clip every line horizontally.
const NO_WRAP = '\x1b[?7l';
const WRAP = '\x1b[?7h';
const RESTORE = `\x1b[?2026l\x1b[0m\x1b[?25h${WRAP}\x1b[?1049l`;

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
  const trace = env.NETPATH_TUI_TRACE ? startTrace(env.NETPATH_TUI_TRACE, stdin, o.store) : undefined;
  const onFrame = o.onFrame ?? trace?.onFrame;
  // Data frames are paced: at most one every 200 ms, or 8 frame-times when frames cost more (up to 250 ms), so on a
  // slow or busy machine frames never take more than ~1/8 of the loop and a key rarely waits behind a data frame;
  // five a second is as fast as anyone reads a flood, and every frame's garbage costs the collector time that keys
  // then wait for (docs/BENCHMARKS.md, TUI). Keys are not paced (their frame renders at once).
  let renderMs = 0;
  const pace = () => Math.min(250, Math.max(200, 8 * renderMs));
  const frameDone = (ms: number) => {
    renderMs = renderMs ? renderMs * 0.8 + ms * 0.2 : ms;
    onFrame?.(ms);
  };

  // The panes' rows are drawn beside Ink's frame, not through its cell grid (src/ui/compositor.ts); only on a
  // terminal, where the screen is ours, with whole frames, and not for Ink's screen-reader output, which is text for
  // a reader (NETPATH_TUI_COMPOSITOR=0, Ink's incremental rendering or INK_SCREEN_READER=true draw them through
  // Ink). Snapshots that only move a log pane's rows are drawn by the compositor alone: no React render, no Ink frame.
  const incremental = env.NETPATH_TUI_INCREMENTAL === '1';
  const screenReader = env.INK_SCREEN_READER === 'true';
  const compositor = stdout.isTTY && env.NETPATH_TUI_COMPOSITOR !== '0' && !incremental && !screenReader ? new Compositor<SessionState>(stdout) : undefined;
  const rowsOnly: RowsOnly | undefined = compositor && { only: logRowsOnly, draw: (s) => compositor.refresh(s) };
  const app = <App store={gated(o.store, stdout, pace, rowsOnly)} header={o.header ?? {}} keymap={keymap} keymapPath={keymapPath(env)} onExit={callOnExit} />;
  const instance = render(compositor ? <CompositorContext value={compositor}>{app}</CompositorContext> : app, {
    stdout: compositor?.stream ?? stdout,
    stdin,
    stderr: process.stderr,
    alternateScreen: alt,
    // runApp is reached only when the CLI chose the UI (a terminal; src/cli/tty.ts prints the report when CI is set):
    // Ink's own guess (no frames at all when CI is set) would only differ in tests that draw on a fake terminal.
    interactive: !!stdout.isTTY,
    exitOnCtrlC: false,
    patchConsole: false,
    // Ink throttles writes (trailing edge): a low cap delays the frame after a key by up to 1000/maxFps ms. Commits are
    // already bounded by the pacing and the drain gate above, so the cap only sets key latency.
    maxFps: 250,
    // Whole frames (NETPATH_TUI_INCREMENTAL=1: only changed lines). Ink's incremental mode diffs every changed line
    // grapheme by grapheme (string-width on each; the panes' borders are not ASCII): under a log flood nearly every
    // line changes each frame, so it cost ~9 % of the UI's CPU and doubled the key-to-frame tail in the benchmark
    // (docs/BENCHMARKS.md, TUI) for fewer bytes that the terminal did not need.
    incrementalRendering: incremental,
    isScreenReaderEnabled: screenReader,
    onRender: (m: { renderTime: number }) => frameDone(m.renderTime),
  });

  stdout.write(NO_WRAP);

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
  // Ink's last frame (left on the screen without the alternate screen) carried the rows; nothing is drawn after it.
  compositor?.close();
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
  stdout.write(alt ? `\x1b[?25h${WRAP}` : WRAP);
  for (const l of held.slice(0, 50)) process.stderr.write(`${l.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '')}\n`);
  return end;
}

function startTrace(file: string, stdin: NodeJS.ReadStream, store: SessionStoreApi) {
  const keys: number[] = [];
  const renders: number[] = [];
  let pending: number | undefined;
  const onReadable = () => void (pending ??= performance.now());
  stdin.prependListener('readable', onReadable);
  const eld = monitorEventLoopDelay({ resolution: 5 });
  eld.enable();
  // Peak memory by kind (MiB), sampled every 500 ms: tells V8's heap from Buffers and native memory.
  const mem = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0, newSpace: 0 };
  // The controller-logs pane's `received` counter as ingested ([wall-clock ms, lines] every 100 ms): the benchmark
  // compares ingest with kubectl at the instant the flood stops, without the screen's frame pacing in between.
  const ingest: [number, number][] = [];
  // GC pauses by kind (V8's: 1 scavenge, 2 mark-compact, 4 incremental marking, 8 weak callbacks): count, total, max
  const gc: Record<string, { n: number; ms: number; max: number }> = {};
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const k = String((e as { detail?: { kind?: number } }).detail?.kind ?? 0);
      const g = (gc[k] ??= { n: 0, ms: 0, max: 0 });
      g.n++;
      g.ms += e.duration;
      g.max = Math.max(g.max, e.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const counter = setInterval(() => {
    // publish first (a no-op when nothing changed), so the counter is the store's own, not up to one tick old
    (store as { flush?: () => boolean }).flush?.();
    if (ingest.length < 50_000) ingest.push([Date.now(), store.getSnapshot().controllerLogs.counters.received]);
  }, 100);
  counter.unref();
  const sampler = setInterval(() => {
    const m = { ...process.memoryUsage(), newSpace: getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0 };
    for (const k of Object.keys(mem) as (keyof typeof mem)[]) mem[k] = Math.max(mem[k], Math.round(m[k] / 1048576));
  }, 500);
  sampler.unref();
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
      clearInterval(sampler);
      clearInterval(counter);
      gcObserver.disconnect();
      const ms = (n: number) => Math.round(n / 1e4) / 100;
      writeFileSync(file, JSON.stringify({ keyToFrameMs: keys, renderMs: renders, eventLoopDelayMs: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max) }, gc, peakMemoryMiB: mem, ingest }) + '\n');
    },
  };
}

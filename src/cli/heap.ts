// V8 heap tuning for the UI, a long-running process whose live heap is small (~70 MB: code, the report, ring
// buffers) but which, under a log flood, allocates tens of MB/s that die within a frame or two (frames, lines passing
// through the ring buffers). Both knobs are V8 flags that take effect when set at run time (the UI runs inside the
// CLI's process, whose start-up flags we do not choose: `node` from npm's shim, or the release binary).
//
// - Old generation: V8's default heap-growing heuristic lets it grow to several times the live size between full
//   collections when allocation is fast (measured: +190 MiB RSS under 20 000 lines/s). `--heap-growing-percent=40`
//   keeps it near the live size (V8 still collects concurrently); it is read at every collection. 20 % kept RSS as
//   low but ran ~120 full collections a minute under the flood, whose pauses (incremental marking steps up to
//   ~45 ms, weak callbacks up to ~25 ms) made most of the key-to-frame tail; 40 % runs ~100 with shorter pauses for
//   no measurable RSS. NETPATH_TUI_HEAP_GROWING=0 keeps V8's default; a number sets another percentage.
// - Young generation: V8 doubles the new space after busy scavenges, up to 64 MiB on a machine with this much memory,
//   and under the flood it does (measured: 48–64 MiB). `--max-semi-space-size` is read only at start-up, but
//   `--semi-space-growth-factor` at every resize, so the UI watches the new space after each collection and sets the
//   factor to 1 (no growth) once another doubling would pass NETPATH_TUI_YOUNG_MIB (default 16 MiB, both
//   semi-spaces; the size doubles, so 16–31 act as 16), 2 (V8's default) below that. Under the benchmark's flood
//   (docs/BENCHMARKS.md, TUI): 8 MiB ran a scavenge inside nearly every frame, copying the frame's live output grid
//   (frames ~30 ms, key-to-frame p99 ~220 ms); 16 MiB keeps RSS as low (peaks 168–174 MiB) with frames ~17 ms;
//   32 MiB is faster still (frames ~12 ms) but its RSS peaks reached 181–193 MiB, at the target's edge.
//   NETPATH_TUI_YOUNG_MIB=0 leaves V8's default.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

const DEFAULT_GROWTH = 2;

function setFlag(flag: string): boolean {
  try {
    setFlagsFromString(flag);
    return true;
  } catch {
    return false;
  }
}

/** The new space's current size in bytes (both semi-spaces), or undefined where V8 has no such space. */
export function newSpaceBytes(): number | undefined {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size;
}

let active = false;

/**
 * Applies the UI's heap settings; returns a function that puts V8's defaults back (the UI has ended). The CLI calls
 * it as soon as it knows the UI may run — before the diagnosis, whose allocations would otherwise already have grown
 * the young generation — and the UI again (a no-op then).
 */
export function tuneHeap(env: NodeJS.ProcessEnv): () => void {
  if (active) return () => {};
  active = true;
  const undo: (() => void)[] = [() => void (active = false)];
  const pct = env.NETPATH_TUI_HEAP_GROWING === undefined ? 40 : Number(env.NETPATH_TUI_HEAP_GROWING);
  if (Number.isFinite(pct) && pct > 0 && setFlag(`--heap-growing-percent=${Math.round(pct)}`)) undo.push(() => setFlag('--heap-growing-percent=0'));
  const youngMiB = env.NETPATH_TUI_YOUNG_MIB === undefined ? 16 : Number(env.NETPATH_TUI_YOUNG_MIB);
  if (Number.isFinite(youngMiB) && youngMiB > 0 && newSpaceBytes() !== undefined) {
    const cap = youngMiB * 1048576;
    let factor = DEFAULT_GROWTH;
    const adjust = () => {
      // growth doubles: allowed only while a doubling stays within the cap (GC entries arrive after the fact, and
      // several scavenges may run before this sees them)
      const want = (newSpaceBytes() ?? 0) * DEFAULT_GROWTH > cap ? 1 : DEFAULT_GROWTH;
      if (want !== factor && setFlag(`--semi-space-growth-factor=${want}`)) factor = want;
    };
    adjust();
    const observer = new PerformanceObserver(adjust);
    observer.observe({ entryTypes: ['gc'] });
    undo.push(() => {
      observer.disconnect();
      if (factor !== DEFAULT_GROWTH) setFlag(`--semi-space-growth-factor=${DEFAULT_GROWTH}`);
    });
  }
  return () => {
    for (const u of undo.splice(0)) u();
  };
}

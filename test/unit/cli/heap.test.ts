// The UI's heap settings (src/cli/heap.ts) in a fresh Node process: V8's young generation grows far beyond the cap
// under a flood-like allocation pattern by default, and stays within about it once tuned.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'fixtures', 'young-alloc.ts');
const run = (...args: string[]) => JSON.parse(execFileSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 })).maxNewSpaceMiB as number;

describe('tuneHeap', () => {
  it('keeps the new space within NETPATH_TUI_YOUNG_MIB where V8 alone grows it past', () => {
    const untuned = run();
    const tuned = run('tuned', '8');
    expect(untuned).toBeGreaterThan(16);
    // GC entries reach the observer after the fact, so the size may pass the cap briefly (seen: up to 9.75 MiB)
    expect(tuned).toBeLessThanOrEqual(12);
    expect(tuned).toBeLessThan(untuned / 2);
  }, 120_000);
});

import { describe, expect, it } from 'vitest';
import { inCI, wantsTui } from '../../../src/cli/tui.ts';

const io = (stdoutTTY: boolean, stdinTTY: boolean, env: NodeJS.ProcessEnv = {}) => ({
  stdout: { isTTY: stdoutTTY } as any,
  stderr: process.stderr,
  stdin: { isTTY: stdinTTY } as any,
  env,
});

describe('tui or report', () => {
  it('the UI only with a terminal on both ends, no CI and no -o', () => {
    expect(wantsTui(io(true, true), undefined)).toBe(true);
    expect(wantsTui(io(false, true), undefined)).toBe(false);
    expect(wantsTui(io(true, false), undefined)).toBe(false);
    expect(wantsTui(io(true, true), 'text')).toBe(false);
    expect(wantsTui(io(true, true, { CI: 'true' }), undefined)).toBe(false);
    expect(wantsTui(io(true, true, { CI: '1' }), undefined)).toBe(false);
    expect(wantsTui(io(true, true, { CI: 'false' }), undefined)).toBe(true);
  });
  it('reads CI as is-in-ci does', () => {
    expect(inCI({})).toBe(false);
    expect(inCI({ CI: '' })).toBe(false);
    expect(inCI({ CI: '0' })).toBe(false);
    expect(inCI({ CI: 'github' })).toBe(true);
  });
});

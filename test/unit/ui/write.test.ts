// `:write FILE` saves the report on screen (with the UI's in-cluster probe results) in the format of the extension.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatFor, writeCommands, writeReport } from '../../../src/cli/tui-write.ts';
import type { CommandContext } from '../../../src/ui/input/commands.ts';
import { fakeReport } from './fakes.tsx';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'netpath-write-'));
  dirs.push(d);
  return d;
};

describe(':write', () => {
  it('chooses the format from the extension', () => {
    expect(formatFor('r.json')).toBe('json');
    expect(formatFor('r.YML')).toBe('yaml');
    expect(formatFor('r.yaml')).toBe('yaml');
    expect(formatFor('r.md')).toBe('markdown');
    expect(formatFor('r.txt')).toBe('text');
    expect(formatFor('report')).toBe('text');
  });

  it('writes the report, with the ladder the UI ran, as JSON the report contract reads', () => {
    const d = tmp();
    const r = fakeReport();
    const withLadder = { ...r, probes: { ...r.probes, ladder: [{ path: r.paths[0]!.id, rungs: [], verdict: { status: 'ok' as const, message: 'every rung answered' } }] } };
    expect(writeReport(withLadder, 'out.json', false, d)).toBe(`wrote the json report to ${join(d, 'out.json')}`);
    const back = JSON.parse(readFileSync(join(d, 'out.json'), 'utf8'));
    expect(back.verdict).toEqual(r.verdict);
    expect(back.probes.ladder[0].verdict.message).toBe('every rung answered');
    expect(writeReport(r, 'out.md', false, d)).toMatch(/^wrote the markdown report/);
    expect(readFileSync(join(d, 'out.md'), 'utf8')).toMatch(/^#/m);
  });

  it('keeps an existing file unless forced, and explains itself in one line', () => {
    const d = tmp();
    writeFileSync(join(d, 'keep.txt'), 'mine');
    const r = fakeReport();
    expect(writeReport(r, 'keep.txt', false, d)).toBe('write: keep.txt exists (use :write! to overwrite)');
    expect(readFileSync(join(d, 'keep.txt'), 'utf8')).toBe('mine');
    expect(writeReport(r, 'keep.txt', true, d)).toMatch(/^wrote the text report/);
    expect(readFileSync(join(d, 'keep.txt'), 'utf8')).not.toBe('mine');
    expect(writeReport(undefined, 'x.json', false, d)).toMatch(/no report yet/);
    expect(writeReport(r, '  ', false, d)).toMatch(/^usage: :write FILE/);
    expect(writeReport(r, 'missing-dir/x.json', false, d)).toMatch(/^write: missing-dir\/x\.json: ENOENT/);
  });

  it('is the :write / :w / :write! command, answering in the footer', () => {
    const cmds = writeCommands();
    expect(cmds.map((c) => c.names)).toEqual([['write', 'w'], ['write!', 'w!']]);
    const flashes: string[] = [];
    const d = tmp();
    const ctx = { session: { report: fakeReport() }, dispatch: (a: { type: string; text?: string }) => a.type === 'flash' && flashes.push(a.text!) } as unknown as CommandContext;
    const cwd = process.cwd();
    process.chdir(d);
    try {
      cmds[0]!.run(ctx, 'r.yaml');
    } finally {
      process.chdir(cwd);
    }
    expect(flashes).toEqual([`wrote the yaml report to ${join(d, 'r.yaml')}`]);
    expect(readFileSync(join(d, 'r.yaml'), 'utf8')).toMatch(/^target: /m);
  });
});

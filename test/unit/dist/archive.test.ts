// The release archives' writers: what they write reads back (with our reader and, when installed, with the system's
// tar and unzip), with permissions kept, and the same entries always give the same bytes (stable sha256).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readArchive, tarGz, zip, type ArchiveEntry } from '../../../scripts/archive.ts';

const tmp = mkdtempSync(join(tmpdir(), 'netpath-archive-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const entries: ArchiveEntry[] = [
  { name: 'kubectl-netpath', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
  { name: 'scenarios/', mode: 0o755 },
  { name: 'scenarios/demo.yaml', mode: 0o644, data: Buffer.from('kind: List\n'.repeat(300)) },
  { name: 'LICENSE', mode: 0o644, data: Buffer.from('Apache License\n') },
  { name: 'empty', mode: 0o644, data: Buffer.alloc(0) },
  { name: `deep/${'d'.repeat(90)}/${'f'.repeat(60)}.txt`, mode: 0o600, data: Buffer.from('long path') },
];

describe.each([
  ['tar.gz', tarGz],
  ['zip', zip],
] as const)('%s', (ext, write) => {
  const file = join(tmp, `a.${ext}`);
  writeFileSync(file, write(entries));

  it('reads back every entry with its contents and mode', () => {
    const back = readArchive(file);
    expect(back.map((e) => e.name)).toEqual(entries.map((e) => e.name));
    for (const [i, e] of entries.entries()) {
      expect(back[i]!.mode).toBe(e.mode);
      if (e.data) expect(back[i]!.data!.equals(e.data)).toBe(true);
    }
  });

  it('is byte-for-byte reproducible, and changes when a byte of content does', () => {
    expect(write(entries).equals(readFileSync(file))).toBe(true);
    const changed = entries.map((e) => (e.name === 'LICENSE' ? { ...e, data: Buffer.from('Apache License!\n') } : e));
    expect(write(changed).equals(readFileSync(file))).toBe(false);
  });

  const tool = ext === 'zip' ? 'unzip' : 'tar';
  it.skipIf(!has(tool))(`extracts with the system ${tool}, executable bit kept`, () => {
    const out = mkdtempSync(join(tmp, 'x-'));
    if (ext === 'zip') execFileSync('unzip', ['-q', file, '-d', out]);
    else execFileSync('tar', ['-xzf', file, '-C', out]);
    expect(readFileSync(join(out, 'scenarios/demo.yaml'), 'utf8')).toBe('kind: List\n'.repeat(300));
    expect(readFileSync(join(out, entries[5]!.name), 'utf8')).toBe('long path');
    expect(statSync(join(out, 'kubectl-netpath')).mode & 0o777).toBe(0o755);
    expect(statSync(join(out, 'LICENSE')).mode & 0o111).toBe(0);
  });
});

it.skipIf(!has('tar'))('reads archives written by the system tar, pax and GNU long names included', () => {
  const src = mkdtempSync(join(tmp, 'src-'));
  const long = `${'n'.repeat(120)}.yaml`;
  writeFileSync(join(src, long), 'long');
  writeFileSync(join(src, 'bin'), 'x', { mode: 0o755 });
  for (const format of ['gnu', 'pax']) {
    const file = join(tmp, `sys-${format}.tar.gz`);
    execFileSync('tar', [`--format=${format}`, '-czf', file, '-C', src, long, 'bin']);
    const back = readArchive(file);
    expect(back.map((e) => e.name), format).toEqual([long, 'bin']);
    expect(back[0]!.data!.toString()).toBe('long');
    expect(back[1]!.mode & 0o777).toBe(0o755);
  }
});

// bin/kubectl-netpath.js refuses Node < 22 with one line and exit 2 (the bundle would otherwise fail in odd ways).
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'kubectl-netpath.js');

/** A Node older than 22 on this machine (the system one, outside the repository's pinned Node), if any. */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const v = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(v.replace(/^v/, '').split('.')[0]) < 22) return candidate;
    } catch {
      // not installed
    }
  }
  return undefined;
}

const old = oldNode();
if (!old) console.warn('node-version.test: no Node < 22 on this machine; the refusal test is skipped');

describe('bin/kubectl-netpath.js', () => {
  it.skipIf(!old)('refuses Node < 22 in one line with exit 2', () => {
    const r = spawnSync(old!, [BIN, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: kubectl-netpath needs Node\.js >= 22; this is v\d+\.\d+\.\d+\n$/);
  });

  it('runs on the pinned Node', () => {
    const r = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^kubectl-netpath \d+\.\d+\.\d+/);
  });
});

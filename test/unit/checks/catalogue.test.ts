// The catalogue, the code and docs/OUTPUT.md name the same check ids.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, CHECK_IDS } from '../../../src/checks/catalogue.ts';
import { LAYERS } from '../../../src/path/model.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('check catalogue', () => {
  it('has unique ids, each in its layer\'s namespace', () => {
    expect(CHECK_IDS.size).toBe(CATALOGUE.length);
    for (const c of CATALOGUE) {
      expect(LAYERS).toContain(c.layer);
      expect(c.id).toMatch(/^[a-z]+\.[a-z0-9-]+$/);
      expect(c.description.length).toBeGreaterThan(20);
    }
  });

  it('covers every id the checks emit', () => {
    const dir = join(ROOT, 'src', 'checks');
    const used = new Set<string>();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      for (const m of src.matchAll(/(?:mk|unreadable)\(\s*'([a-z]+\.[a-z0-9-]+)'/g)) used.add(m[1]!);
      for (const m of src.matchAll(/'((?:ing|gw|route|svc|ep|pod|lb|dns|net)\.[a-z0-9-]+)'/g)) used.add(m[1]!);
    }
    const missing = [...used].filter((id) => !CHECK_IDS.has(id));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(40);
  });

  it('is documented in docs/OUTPUT.md', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'OUTPUT.md'), 'utf8');
    for (const c of CATALOGUE) expect(doc, c.id).toContain(`\`${c.id}\``);
    for (const code of ['| 0 |', '| 1 |', '| 2 |', '| 3 |']) expect(doc).toContain(code);
  });

  it('covers the issue\'s named checks', () => {
    for (const id of [
      'svc.selector-no-pods', 'svc.targetport-unresolved', 'ing.class-missing', 'ing.backend-not-found', 'ing.tls-secret-missing', 'ing.tls-expired',
      'lb.pending', 'lb.etp-local-no-endpoints', 'ep.none-ready', 'ep.flapping', 'pod.not-ready', 'pod.netpol-blocks-controller', 'dns.stale-answer',
      'route.backend-unresolved', 'route.ref-not-permitted',
    ])
      expect(CHECK_IDS.has(id), id).toBe(true);
  });
});

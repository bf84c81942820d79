// docs/TUI.md's keys table is the Command table: every command with its default keys, and nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultCommands } from '../../../src/ui/input/commands.ts';
import { showKey } from '../../../src/ui/input/keys.ts';

describe('docs/TUI.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'TUI.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- keys:begin'), doc.indexOf('<!-- keys:end'));
  it('lists every command of the Command table with its default keys', () => {
    for (const c of defaultCommands()) {
      const row = table.split('\n').find((l) => l.includes(`| \`${c.id}\` |`));
      expect(row, c.id).toBeDefined();
      expect(row!.split('|')[1]!.trim()).toBe(c.keys.map((k) => '`' + showKey(k) + '`').join(' '));
    }
  });
  it('lists no command that does not exist', () => {
    const ids = new Set(defaultCommands().map((c) => c.id));
    const rows = table.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBe(ids.size);
    for (const r of rows) expect(ids.has(r.split('|')[2]!.trim().replace(/`/g, '')), r).toBe(true);
  });
});

// The `?` overlay and the footer hints, generated from the keymap (so remapped keys show as remapped).
import { type Row, row } from '../rows.ts';
import type { Scope } from './commands.ts';
import { SCOPE_TITLES } from './commands.ts';
import type { Keymap } from './keymap.ts';
import { showKey } from './keys.ts';

const ORDER: Scope[] = ['global', 'list', 'scroll', 'detail', 'pane', 'log', 'probes', 'overlay'];

export function helpRows(km: Keymap, configPath?: string): Row[] {
  const rows: Row[] = [];
  for (const scope of ORDER) {
    const cmds = km.commands.filter((c) => c.scope === scope);
    if (!cmds.length) continue;
    if (rows.length) rows.push(row(`sp:${scope}`, ''));
    rows.push(row(`h:${scope}`, { t: SCOPE_TITLES[scope], bold: true, c: 'cyan' }));
    for (const c of cmds) {
      const keys = (km.keysOf.get(c.id) ?? []).map(showKey).join(' ') || '(unbound)';
      rows.push(row(`c:${c.id}`, { t: `  ${keys.padEnd(18)}`, bold: true }, ` ${c.help}`, c.names?.length ? { t: `  :${c.names[0]}`, dim: true } : '', { t: `  [${c.id}]`, dim: true }));
    }
  }
  rows.push(row('sp:end', ''));
  rows.push(row('cfg', { t: `Rebind keys by command id in ${configPath ?? 'keys.yaml'} (docs/TUI.md).`, dim: true }));
  return rows;
}

/** Footer hints for the given scopes: `[key, hint]` of each hinted command, first key only, no key twice. */
export function hintsFor(km: Keymap, scopes: Scope[]): [string, string][] {
  const seen = new Set<string>();
  const out: [string, string][] = [];
  for (const scope of scopes)
    for (const c of km.commands) {
      if (c.scope !== scope || !c.hint) continue;
      const keys = km.keysOf.get(c.id) ?? [];
      const k = keys.find((x) => !seen.has(x));
      if (!k || keys.some((x) => seen.has(x) && km.byScope.get(scope)?.get(x)?.id !== c.id)) continue;
      for (const x of keys) seen.add(x);
      out.push([showKey(k), c.hint]);
    }
  return out;
}

// Key names: one canonical string per key press, used by the Command table, the keymap file and the help overlay.
// Printable keys are themselves (`j`, `G`, `?`, `/`); others are `up down left right pgup pgdn home end enter esc
// tab S-tab backspace delete space`, and Ctrl chords are `C-x` (`C-c`, `C-f`, `C-r`).
import type { Key } from 'ink';

const NAMED: [keyof Key, string][] = [
  ['upArrow', 'up'],
  ['downArrow', 'down'],
  ['leftArrow', 'left'],
  ['rightArrow', 'right'],
  ['pageUp', 'pgup'],
  ['pageDown', 'pgdn'],
  ['home', 'home'],
  ['end', 'end'],
  ['return', 'enter'],
  ['escape', 'esc'],
  ['backspace', 'backspace'],
  ['delete', 'delete'],
];

/** The canonical name of one key press, or null for input that is not one key (a paste, an unknown sequence). */
export function keyName(input: string, key: Key): string | null {
  if (key.tab) return key.shift ? 'S-tab' : 'tab';
  for (const [k, name] of NAMED) if (key[k]) return name;
  if (key.ctrl && /^[a-z]$/i.test(input)) return `C-${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  if (input.length === 1 && input >= ' ' && input !== '\x7f') return input;
  return null;
}

const SHOWN: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pgup: 'PgUp',
  pgdn: 'PgDn',
  home: 'Home',
  end: 'End',
  enter: 'Enter',
  esc: 'Esc',
  tab: 'Tab',
  'S-tab': 'Shift-Tab',
  backspace: 'Backspace',
  delete: 'Delete',
  space: 'Space',
};

/** How a key name is shown in hints and help: `Ctrl-f`, `Shift-Tab`, `PgDn`, `j`. */
export function showKey(name: string): string {
  if (SHOWN[name]) return SHOWN[name];
  if (name.startsWith('C-')) return `Ctrl-${name.slice(2)}`;
  return name;
}

/** Accepts the names a person might write in keys.yaml (`Ctrl-f`, `ctrl+f`, `Shift-Tab`, `PgDn`, `escape`) → canonical. */
export function parseKeyName(raw: string): string | null {
  const s = raw.trim();
  if (!s) return null;
  if (s.length === 1) return s === ' ' ? 'space' : s;
  const ctrl = /^(?:c|ctrl|control)[-+](.)$/i.exec(s);
  if (ctrl) return /[a-z]/i.test(ctrl[1]!) ? `C-${ctrl[1]!.toLowerCase()}` : null;
  const lower = s.toLowerCase();
  const aliases: Record<string, string> = {
    up: 'up', down: 'down', left: 'left', right: 'right', '↑': 'up', '↓': 'down', '←': 'left', '→': 'right',
    pgup: 'pgup', pageup: 'pgup', pgdn: 'pgdn', pagedown: 'pgdn', home: 'home', end: 'end',
    enter: 'enter', return: 'enter', esc: 'esc', escape: 'esc', tab: 'tab', 's-tab': 'S-tab', 'shift-tab': 'S-tab',
    'shift+tab': 'S-tab', backtab: 'S-tab', backspace: 'backspace', delete: 'delete', del: 'delete', space: 'space',
  };
  return aliases[lower] ?? null;
}

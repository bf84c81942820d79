import { describe, expect, it } from 'vitest';
import { defaultCommands, parseInterval } from '../../../src/ui/input/commands.ts';
import { activeScopes } from '../../../src/ui/input/dispatcher.ts';
import { hintsFor } from '../../../src/ui/input/help.ts';
import { buildKeymap, keymapPath, parseOverrides } from '../../../src/ui/input/keymap.ts';
import { parseKeyName, showKey } from '../../../src/ui/input/keys.ts';
import { allocate } from '../../../src/ui/App.tsx';
import { initialUiState, uiReducer } from '../../../src/ui/state.ts';

describe('keys', () => {
  it('parses the names people write and shows them back', () => {
    expect(parseKeyName('Ctrl-F')).toBe('C-f');
    expect(parseKeyName('ctrl+r')).toBe('C-r');
    expect(parseKeyName('Shift-Tab')).toBe('S-tab');
    expect(parseKeyName('PageDown')).toBe('pgdn');
    expect(parseKeyName('G')).toBe('G');
    expect(parseKeyName('ctrl-1')).toBeNull();
    expect(parseKeyName('banana')).toBeNull();
    expect(showKey('C-f')).toBe('Ctrl-f');
    expect(showKey('S-tab')).toBe('Shift-Tab');
  });
});

describe('keymap', () => {
  it('defaults have no two commands of one scope on a key', () => {
    const km = buildKeymap(defaultCommands());
    expect(km.warnings).toEqual([]);
  });
  it('overrides replace keys per command id; bad entries become warnings', () => {
    const w: string[] = [];
    const o = parseOverrides('list-down: [n, Ctrl-n]\nlogs: L\nquit: null\nbogus: x\nhelp: [notakey]\n', w);
    const km = buildKeymap(defaultCommands(), o, w);
    expect(km.keysOf.get('list-down')).toEqual(['n', 'C-n']);
    expect(km.keysOf.get('logs')).toEqual(['L']);
    expect(km.keysOf.get('quit')).toEqual([]);
    expect(km.byScope.get('list')!.get('n')!.id).toBe('list-down');
    expect(km.byScope.get('list')!.has('j')).toBe(false);
    expect(w.some((x) => x.includes('unknown command "bogus"'))).toBe(true);
    expect(w.some((x) => x.includes('not a key'))).toBe(true);
  });
  it('a conflicting override is reported', () => {
    const w: string[] = [];
    buildKeymap(defaultCommands(), { logs: ['E'] }, w);
    expect(w.join()).toMatch(/E is bound to both endpoints and logs/);
  });
  it('broken YAML is a warning, not an error', () => {
    const w: string[] = [];
    expect(parseOverrides('bindings: [unclosed', w)).toEqual({});
    expect(w[0]).toMatch(/^keys\.yaml: /);
  });
  it('finds the file in the config directory', () => {
    expect(keymapPath({ XDG_CONFIG_HOME: '/x' })).toBe('/x/kubectl-netpath/keys.yaml');
    expect(keymapPath({ NETPATH_KEYS: '/k.yaml', XDG_CONFIG_HOME: '/x' })).toBe('/k.yaml');
    expect(keymapPath({ HOME: '/home/u' })).toBe(process.platform === 'win32' ? expect.any(String) : '/home/u/.config/kubectl-netpath/keys.yaml');
  });
  it('footer hints follow the focused pane and the remapped keys', () => {
    const km = buildKeymap(defaultCommands(), { autoscroll: ['S'] });
    const list = hintsFor(km, activeScopes(initialUiState()));
    expect(list[0]).toEqual(['j', 'move']);
    const logs = hintsFor(km, activeScopes(initialUiState({ focus: 'logs', panes: ['logs'] })));
    expect(logs[0]).toEqual(['S', 'autoscroll']);
    expect(logs.map(([, h]) => h)).not.toContain('move');
  });
});

describe('layout and state', () => {
  it('allocates exactly the body height, at least 4 rows each, dropping panes that do not fit but never the focused one', () => {
    const v = (id: any, weight = 2) => ({ id, weight });
    const a = allocate([v('detail', 3), v('endpoints'), v('logs')], 40, 'logs');
    expect(a.reduce((s, [, h]) => s + h, 0)).toBe(40);
    expect(a.every(([, h]) => h >= 4)).toBe(true);
    const b = allocate([v('detail'), v('endpoints'), v('logs'), v('probes')], 10, 'probes');
    expect(b.reduce((s, [, h]) => s + h, 0)).toBe(10);
    expect(b.map(([id]) => id)).toContain('probes');
    expect(b.length).toBe(2);
  });
  it('closing the focused pane focuses its neighbour; the ring cycles', () => {
    let s = initialUiState();
    s = uiReducer(s, { type: 'open', pane: 'endpoints' });
    s = uiReducer(s, { type: 'open', pane: 'logs' });
    expect(s.focus).toBe('logs');
    s = uiReducer(s, { type: 'close', pane: 'logs' });
    expect(s.focus).toBe('endpoints');
    s = uiReducer(s, { type: 'focusNext', dir: 1 });
    expect(s.focus).toBe('list');
    s = uiReducer(s, { type: 'focusNext', dir: -1 });
    expect(s.focus).toBe('endpoints');
  });
  it('parses probe periods', () => {
    expect(parseInterval('5s')).toBe(5000);
    expect(parseInterval('500ms')).toBe(500);
    expect(parseInterval('1m')).toBe(60_000);
    expect(parseInterval('off')).toBe(0);
    expect(parseInterval('soon')).toBeUndefined();
  });
});

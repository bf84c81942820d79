// The one key dispatcher: prompt modes first, then the scopes of the current state in order; the first command
// that handles the key consumes it. App.tsx calls it from its single useInput.
import type { Key } from 'ink';
import { applyFilter, type CommandContext, type Scope } from './commands.ts';
import type { Keymap } from './keymap.ts';
import { keyName } from './keys.ts';
import { LOG_PANES, type PaneKind, type UiState, uiReducer } from '../state.ts';

/** The scopes tried for a key, in order. */
export function activeScopes(ui: UiState): Scope[] {
  if (ui.overlay) return ['overlay', 'scroll', 'global'];
  const f = ui.focus;
  if (f === 'list') return ['list', 'global'];
  if (f === 'detail') return ['detail', 'scroll', 'global'];
  if (LOG_PANES.has(f as PaneKind)) return ['log', 'pane', 'scroll', 'global'];
  if (f === 'probes') return ['probes', 'pane', 'scroll', 'global'];
  return ['pane', 'scroll', 'global'];
}

/** Runs the command bound to `name` in the current scopes; true when one handled it. */
export function dispatchName(name: string, ctx: CommandContext, keymap: Keymap): boolean {
  for (const scope of activeScopes(ctx.ui)) {
    const cmd = keymap.byScope.get(scope)?.get(name);
    if (cmd && cmd.run(ctx) !== false) return true;
  }
  return false;
}

/** Runs a `:` command line (`logs`, `every 5s`, `q`). */
export function runCommandLine(line: string, ctx: CommandContext, keymap: Keymap): void {
  const [name, ...rest] = line.trim().split(/\s+/);
  if (!name) return;
  const cmd = keymap.commands.find((c) => c.names?.includes(name) || c.id === name);
  if (!cmd) return ctx.dispatch({ type: 'flash', text: `unknown command: ${name.slice(0, 40)} (? lists them)` });
  if (cmd.run(ctx, rest.length ? rest.join(' ') : undefined) === false) ctx.dispatch({ type: 'flash', text: `${name}: not applicable here` });
}

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};

/**
 * Handles one input event from Ink. Ink delivers a burst of plain characters ("jj", a paste, "GET\r" from a fast
 * terminal) as one input; it is replayed here one key at a time, each seeing the state the previous one left.
 */
export function handleInput(input: string, key: Key, ctx: CommandContext, keymap: Keymap): void {
  if (input.length > 1 && !key.ctrl && !key.meta && !input.includes('\x1b')) {
    let ui = ctx.ui;
    const chars = [...input];
    const step: CommandContext = {
      ...ctx,
      dispatch: (a) => {
        ui = uiReducer(ui, a);
        ctx.dispatch(a);
      },
    };
    for (const ch of chars) {
      if (ui.quit) return;
      const k: Key = { ...NO_KEY, return: ch === '\r' || ch === '\n', tab: ch === '\t', backspace: ch === '\x7f' || ch === '\b', shift: /[A-Z]/.test(ch) };
      handleOne(k.return ? '\r' : ch, k, { ...step, ui }, keymap);
    }
    return;
  }
  handleOne(input, key, ctx, keymap);
}

function handleOne(input: string, key: Key, ctx: CommandContext, keymap: Keymap): void {
  const ui = ctx.ui;
  if (ui.mode !== 'normal') {
    if (key.ctrl && input === 'c') return ctx.exit();
    if (key.escape) return ctx.dispatch({ type: 'mode', mode: 'normal' });
    if (key.return) {
      const text = ui.prompt;
      ctx.dispatch({ type: 'mode', mode: 'normal' });
      if (ui.mode === 'filter') {
        const err = applyFilter(ctx, text);
        ctx.dispatch({ type: 'flash', text: err ?? (text ? `filter /${text}/` : 'filter cleared') });
      } else runCommandLine(text, { ...ctx, ui: { ...ui, mode: 'normal' } }, keymap);
      return;
    }
    if (key.backspace || key.delete) return ctx.dispatch({ type: 'prompt', prompt: ui.prompt.slice(0, -1) });
    if (key.ctrl && input === 'u') return ctx.dispatch({ type: 'prompt', prompt: '' });
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return;
    // Typed or pasted text: printable characters only.
    const text = input.replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
    if (text) ctx.dispatch({ type: 'prompt', prompt: (ui.prompt + text).slice(0, 200) });
    return;
  }
  const name = keyName(input, key);
  if (ui.flash) ctx.dispatch({ type: 'flash', text: undefined });
  if (name) dispatchName(name, ctx, keymap);
}

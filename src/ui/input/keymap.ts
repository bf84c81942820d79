// The keymap: the Command table's default keys, overridden per command id from the user's keys.yaml.
//
// File: $NETPATH_KEYS, else $XDG_CONFIG_HOME/kubectl-netpath/keys.yaml, else ~/.config/kubectl-netpath/keys.yaml
// (%APPDATA%\kubectl-netpath\keys.yaml on Windows). Format (docs/TUI.md):
//
//   bindings:
//     list-down: [j, down, n]     # replaces the command's default keys
//     logs: L
//     backend-logs: []            # unbound
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { sanitize } from '../../text/sanitize.ts';
import type { Command, Scope } from './commands.ts';
import { parseKeyName } from './keys.ts';

export interface Keymap {
  commands: Command[];
  /** Keys bound to each command id, after overrides. */
  keysOf: Map<string, string[]>;
  /** scope → key → command. */
  byScope: Map<Scope, Map<string, Command>>;
  /** Problems with the file or the bindings (shown once in the footer). */
  warnings: string[];
}

export type Overrides = Record<string, string[]>;

export function buildKeymap(commands: Command[], overrides: Overrides = {}, warnings: string[] = []): Keymap {
  const keysOf = new Map<string, string[]>();
  const ids = new Set(commands.map((c) => c.id));
  for (const id of Object.keys(overrides)) if (!ids.has(id)) warnings.push(`keys.yaml: unknown command "${sanitize(id, { max: 40 })}"`);
  const byScope = new Map<Scope, Map<string, Command>>();
  for (const c of commands) {
    const keys = overrides[c.id] ?? c.keys;
    keysOf.set(c.id, keys);
    let m = byScope.get(c.scope);
    if (!m) byScope.set(c.scope, (m = new Map()));
    for (const k of keys) {
      const prev = m.get(k);
      if (prev && prev.id !== c.id) warnings.push(`keys.yaml: ${k} is bound to both ${prev.id} and ${c.id} (${c.scope}); ${c.id} wins`);
      m.set(k, c);
    }
  }
  return { commands, keysOf, byScope, warnings };
}

/** The keys.yaml path: $NETPATH_KEYS, $XDG_CONFIG_HOME/kubectl-netpath/keys.yaml, or the platform's config dir. */
export function keymapPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NETPATH_KEYS) return env.NETPATH_KEYS;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'kubectl-netpath', 'keys.yaml');
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'kubectl-netpath', 'keys.yaml');
  return join(env.HOME || homedir(), '.config', 'kubectl-netpath', 'keys.yaml');
}

/** Parses keys.yaml text into overrides; problems become warnings, never errors. */
export function parseOverrides(text: string, warnings: string[]): Overrides {
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    warnings.push(`keys.yaml: ${sanitize((e as Error).message.split('\n')[0], { max: 120 })}`);
    return {};
  }
  if (doc === null || doc === undefined) return {};
  const obj = (doc as { bindings?: unknown }).bindings ?? doc;
  if (typeof obj !== 'object' || Array.isArray(obj) || !obj) {
    warnings.push('keys.yaml: expected a map of command id → key or list of keys (under `bindings:`)');
    return {};
  }
  const out: Overrides = {};
  for (const [id, v] of Object.entries(obj as Record<string, unknown>)) {
    const raw = v === null ? [] : Array.isArray(v) ? v : [v];
    const keys: string[] = [];
    for (const k of raw) {
      const name = typeof k === 'string' || typeof k === 'number' ? parseKeyName(String(k)) : null;
      if (name) keys.push(name);
      else warnings.push(`keys.yaml: ${sanitize(id, { max: 40 })}: not a key: ${sanitize(JSON.stringify(k), { max: 40 })}`);
    }
    out[id] = keys;
  }
  return out;
}

/** Reads the user's keys.yaml (absent → no overrides). */
export function loadOverrides(env: NodeJS.ProcessEnv = process.env, warnings: string[] = []): Overrides {
  const path = keymapPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`keys.yaml: ${sanitize((e as Error).message, { max: 120 })}`);
    return {};
  }
  return parseOverrides(text, warnings);
}

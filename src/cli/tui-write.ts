// `:write FILE` (`:w FILE`) in the live UI: saves the report on screen — with the ladder and the other in-cluster
// probes run from the UI — as json, yaml, markdown or text, chosen by the file's extension. An existing file is
// kept unless the command is `:write!`/`:w!` (as in vi). Registered through registerTuiCommands (src/cli/tui.ts).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Report } from '../path/model.ts';
import { render } from '../report/index.ts';
import { sanitize } from '../text/sanitize.ts';
import type { Command } from '../ui/input/commands.ts';
import { registerTuiCommands } from './tui.ts';

export type WriteFormat = 'json' | 'yaml' | 'markdown' | 'text';

export function formatFor(file: string): WriteFormat {
  if (/\.json$/i.test(file)) return 'json';
  if (/\.ya?ml$/i.test(file)) return 'yaml';
  if (/\.(md|markdown)$/i.test(file)) return 'markdown';
  return 'text';
}

/** Writes the report; returns the line the footer shows. `force` overwrites an existing file. */
export function writeReport(report: Report | undefined, file: string, force: boolean, cwd = process.cwd()): string {
  if (!report) return 'write: no report yet (the first diagnosis is still running)';
  const name = file.trim();
  if (!name) return 'usage: :write FILE (.json, .yaml, .md or text), :write! FILE to overwrite';
  const path = resolve(cwd, name);
  const format = formatFor(name);
  try {
    writeFileSync(path, render(report, format, { color: false }), { flag: force ? 'w' : 'wx' });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') return `write: ${sanitize(name, { max: 80 })} exists (use :write! to overwrite)`;
    return `write: ${sanitize(name, { max: 80 })}: ${sanitize(err.message.split('\n')[0] ?? '', { max: 120 })}`;
  }
  return `wrote the ${format} report to ${sanitize(path, { max: 120 })}`;
}

export function writeCommands(): Command[] {
  const cmd = (id: string, names: string[], force: boolean): Command => ({
    id,
    keys: [],
    scope: 'global',
    help: `:${names[0]} FILE — save the report on screen, with the in-cluster probes run here (.json, .yaml, .md or text)${force ? ', overwriting FILE' : ''}`,
    names,
    run: (ctx, arg) => {
      ctx.dispatch({ type: 'flash', text: writeReport(ctx.session.report, arg ?? '', force) });
    },
  });
  return [cmd('write', ['write', 'w'], false), cmd('write-force', ['write!', 'w!'], true)];
}

registerTuiCommands(() => writeCommands());

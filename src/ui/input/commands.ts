// The Command table: the single source of key bindings, footer hints, `:` command names and the `?` help overlay.
// Other modules add commands with `registerCommand` (the in-cluster probes register `T` and `L` this way) or pass
// them to `runTui({ commands })`; keys.yaml may rebind any command by id (src/ui/input/keymap.ts).
import type { LogPaneId, SessionState, SessionStoreApi } from '../../state/types.ts';
import { type ListItem, type UiPath, yamlTarget } from '../model.ts';
import { clamp, compileFilter } from '../rows.ts';
import { LOG_PANES, type PaneKind, type UiAction, type UiState, type ViewId } from '../state.ts';

/**
 * Where a binding applies. The dispatcher tries the scopes of the current state in order (first match wins):
 * overlay open → overlay, scroll, global; list focused → list, global; detail → detail, scroll, global;
 * a log pane → log, pane, scroll, global; the probes pane → probes, pane, scroll, global; other panes → pane,
 * scroll, global.
 */
export type Scope = 'global' | 'list' | 'detail' | 'scroll' | 'pane' | 'log' | 'probes' | 'overlay';
export const SCOPE_TITLES: Record<Scope, string> = {
  global: 'Everywhere',
  list: 'Layer list',
  detail: 'Detail',
  scroll: 'Scrolling (detail, panes, overlays)',
  pane: 'Split panes',
  log: 'Log panes (controller, backend, helper)',
  probes: 'Probes pane',
  overlay: 'Help and YAML overlays',
};

/** What a command sees and may do. */
export interface CommandContext {
  ui: UiState;
  dispatch(a: UiAction): void;
  session: SessionState;
  store: SessionStoreApi;
  paths: UiPath[];
  items: ListItem[];
  /** Rows each view shows and holds, from the last layout. */
  metrics: Partial<Record<ViewId | 'overlay', { height: number; total: number }>>;
  /** Quit: abort sources, restore the terminal. */
  exit(): void;
}

export interface Command {
  /** Stable id; keys.yaml binds by it. */
  id: string;
  /** Default keys (src/ui/input/keys.ts names). */
  keys: string[];
  scope: Scope;
  /** One line for the help overlay. */
  help: string;
  /** Short label for the footer; commands without one are only in the help overlay. */
  hint?: string;
  /** Names for the `:` command line (`:logs`, `:every 5s`). */
  names?: string[];
  /** Runs the command; `false` means "not applicable here", and the dispatcher tries the next scope. */
  run(ctx: CommandContext, arg?: string): boolean | void;
}

const extra: Command[] = [];
/** Adds a command to every app started after this call (e.g. the in-cluster probes' `T`/`L`). */
export function registerCommand(c: Command): void {
  const i = extra.findIndex((x) => x.id === c.id);
  if (i >= 0) extra[i] = c;
  else extra.push(c);
}
export function registeredCommands(): readonly Command[] {
  return extra;
}

/** The store's log pane behind a UI pane, if it is one. */
export function storeLogPane(v: ViewId): LogPaneId | undefined {
  return v === 'logs' ? 'controller' : v === 'backend' ? 'backend' : undefined;
}

/** The view scrolling keys act on: the overlay when one is open, else the focused view. */
function scrollTarget(ctx: CommandContext): ViewId | 'overlay' {
  return ctx.ui.overlay ? 'overlay' : ctx.ui.focus;
}

/** Scrolls the overlay or the focused view by `delta` rows, or to the top/bottom. */
export function scroll(ctx: CommandContext, delta: number | 'top' | 'bottom'): boolean {
  const target = scrollTarget(ctx);
  const m = ctx.metrics[target] ?? { height: 1, total: 0 };
  const max = Math.max(0, m.total - m.height);
  if (target === 'overlay') {
    const o = ctx.ui.overlay!;
    const top = delta === 'top' ? 0 : delta === 'bottom' ? max : clamp(o.top + delta, 0, max);
    ctx.dispatch({ type: 'overlay', overlay: { ...o, top } });
    return true;
  }
  if (target === 'list') return false;
  const v = ctx.ui.views[target];
  const logPane = storeLogPane(target);
  if (logPane) {
    const lines = (logPane === 'controller' ? ctx.session.controllerLogs : ctx.session.backendLogs).lines;
    if (delta === 'bottom') return ctx.dispatch({ type: 'view', view: target, patch: { follow: true } }), true;
    const lmax = Math.max(0, lines.length - m.height);
    let cur = v.follow ? lmax : anchorIndex(lines, v.anchor);
    cur = delta === 'top' ? 0 : clamp(cur + delta, 0, lmax);
    ctx.dispatch({ type: 'view', view: target, patch: { follow: false, anchor: lines[cur]?.seq ?? 0 } });
    return true;
  }
  const followable = LOG_PANES.has(target as PaneKind);
  if (delta === 'bottom') return ctx.dispatch({ type: 'view', view: target, patch: followable ? { follow: true, top: max } : { top: max } }), true;
  const cur = followable && v.follow ? max : v.top;
  const top = delta === 'top' ? 0 : clamp(cur + delta, 0, max);
  ctx.dispatch({ type: 'view', view: target, patch: followable ? { top, follow: false } : { top } });
  return true;
}

/** Index of the first line whose seq is ≥ anchor (lines are in seq order). */
export function anchorIndex(lines: readonly { seq: number }[], anchor: number | undefined): number {
  if (anchor === undefined) return 0;
  let lo = 0;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid]!.seq < anchor) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, Math.max(0, lines.length - 1));
}

function select(ctx: CommandContext, row: number): true {
  const n = ctx.items.length;
  if (!n) return true;
  const r = clamp(row, 0, n - 1);
  const before = ctx.items[ctx.ui.row]?.path;
  ctx.dispatch({ type: 'select', row: r });
  const after = ctx.items[r]!.path;
  if (after !== before && ctx.paths[after]?.id) ctx.store.selectPath(ctx.paths[after]!.id);
  return true;
}

const page = (ctx: CommandContext) => Math.max(1, (ctx.metrics[scrollTarget(ctx)]?.height ?? 10) - 1);

const openPane = (pane: PaneKind) => (ctx: CommandContext) => {
  if (ctx.ui.panes.includes(pane) && ctx.ui.focus === pane) ctx.dispatch({ type: 'close', pane });
  else ctx.dispatch({ type: 'open', pane });
};

/** Toggles a per-view flag on the focused log-like pane. */
const toggleView = (flag: 'follow' | 'wrap' | 'timestamps') => (ctx: CommandContext) => {
  const v = ctx.ui.focus;
  if (!LOG_PANES.has(v as PaneKind)) return false;
  const cur = ctx.ui.views[v];
  ctx.dispatch({ type: 'view', view: v, patch: { [flag]: !cur[flag] } });
  ctx.dispatch({ type: 'flash', text: `${flag === 'follow' ? 'autoscroll' : flag} ${cur[flag] ? 'off' : 'on'}` });
  return true;
};

/** Parses `5s`, `500ms`, `1m`, `off`, `0` into milliseconds. */
export function parseInterval(s: string | undefined): number | undefined {
  const t = (s ?? '').trim();
  if (/^(off|0|never)$/i.test(t)) return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Math.round(m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000);
}

export function defaultCommands(): Command[] {
  return [
    // ── everywhere ──
    { id: 'quit', keys: ['C-c'], scope: 'global', help: 'Quit', names: ['q', 'quit', 'q!'], run: (ctx) => ctx.exit() },
    {
      id: 'close',
      keys: ['q'],
      scope: 'global',
      help: 'Close the focused split pane; quit from the layer list or the detail',
      hint: 'close/quit',
      run: (ctx) => {
        const f = ctx.ui.focus;
        if (f !== 'list' && f !== 'detail') ctx.dispatch({ type: 'close', pane: f });
        else ctx.exit();
      },
    },
    {
      id: 'back',
      keys: ['esc'],
      scope: 'global',
      help: 'Back one level: unzoom, then focus the layer list (never quits)',
      hint: 'back',
      run: (ctx) => {
        if (ctx.ui.zoom) ctx.dispatch({ type: 'zoom' });
        else if (ctx.ui.focus !== 'list') ctx.dispatch({ type: 'focus', view: 'list' });
      },
    },
    { id: 'focus-next', keys: ['tab'], scope: 'global', help: 'Focus the next pane', hint: 'focus', run: (ctx) => ctx.dispatch({ type: 'focusNext', dir: 1 }) },
    { id: 'focus-prev', keys: ['S-tab'], scope: 'global', help: 'Focus the previous pane', run: (ctx) => ctx.dispatch({ type: 'focusNext', dir: -1 }) },
    { id: 'help', keys: ['?'], scope: 'global', help: 'This help (generated from the keymap)', hint: 'help', names: ['help'], run: (ctx) => ctx.dispatch({ type: 'overlay', overlay: { kind: 'help', top: 0 } }) },
    {
      id: 'filter',
      keys: ['/'],
      scope: 'global',
      help: 'Filter the focused pane by a regex (Enter applies, empty clears, Esc cancels)',
      hint: 'filter',
      run: (ctx) => {
        const v = ctx.ui.focus === 'list' ? 'detail' : ctx.ui.focus;
        const lp = storeLogPane(v);
        const cur = lp ? ((lp === 'controller' ? ctx.session.controllerLogs : ctx.session.backendLogs).filter.regex ?? '') : ctx.ui.views[v].filter;
        ctx.dispatch({ type: 'mode', mode: 'filter', prompt: cur });
      },
    },
    { id: 'command', keys: [':'], scope: 'global', help: 'Command line (:logs, :ep, :probes, :every 5s, :refresh, :q …)', hint: 'cmd', run: (ctx) => ctx.dispatch({ type: 'mode', mode: 'command' }) },
    { id: 'refresh', keys: ['C-r'], scope: 'global', help: 'Re-run the diagnosis (and the probes)', names: ['refresh', 'r'], run: (ctx) => (ctx.store.requestRefresh(), ctx.dispatch({ type: 'flash', text: 'refreshing…' })) },
    { id: 'pause', keys: ['p'], scope: 'global', help: 'Pause / resume the live panes (ingest and counters continue)', names: ['pause'], run: (ctx) => ctx.store.togglePause() },
    { id: 'endpoints', keys: ['E'], scope: 'global', help: 'Open / focus / close the endpoints timeline', hint: 'endpoints', names: ['ep', 'endpoints'], run: openPane('endpoints') },
    { id: 'logs', keys: ['l'], scope: 'global', help: "Open / focus / close the controller logs (the path's ingress controller, all replicas)", hint: 'logs', names: ['logs'], run: openPane('logs') },
    { id: 'backend-logs', keys: ['b'], scope: 'global', help: "Open / focus / close the backend pods' logs", names: ['backend'], run: openPane('backend') },
    { id: 'probes', keys: ['P'], scope: 'global', help: 'Open / focus / close the probes pane (DNS/HTTP timing, history)', hint: 'probes', names: ['probes'], run: openPane('probes') },
    { id: 'helper', keys: ['H'], scope: 'global', help: 'Open / focus / close the helper-pod output', names: ['helper'], run: openPane('helper') },
    { id: 'zoom', keys: ['f'], scope: 'global', help: 'Zoom the focused pane to the whole screen (again: back)', hint: 'zoom', run: (ctx) => ctx.dispatch({ type: 'zoom' }) },
    {
      id: 'grow',
      keys: ['+', '='],
      scope: 'global',
      help: 'Make the focused pane taller',
      run: (ctx) => {
        const v = ctx.ui.focus === 'list' ? 'detail' : ctx.ui.focus;
        ctx.dispatch({ type: 'view', view: v, patch: { weight: Math.min(12, ctx.ui.views[v].weight + 1) } });
      },
    },
    {
      id: 'shrink',
      keys: ['-'],
      scope: 'global',
      help: 'Make the focused pane shorter',
      run: (ctx) => {
        const v = ctx.ui.focus === 'list' ? 'detail' : ctx.ui.focus;
        ctx.dispatch({ type: 'view', view: v, patch: { weight: Math.max(1, ctx.ui.views[v].weight - 1) } });
      },
    },
    {
      id: 'yaml',
      keys: ['y'],
      scope: 'global',
      help: "The selected layer's object as YAML",
      hint: 'yaml',
      names: ['yaml'],
      run: (ctx) => {
        const it = ctx.items[ctx.ui.row];
        const ref = yamlTarget(it ? ctx.paths[it.path] : undefined, it?.layer);
        if (!ref) return ctx.dispatch({ type: 'flash', text: 'no object on this layer' }), true;
        const title = `${ref.kind.toLowerCase()}/${ref.name}${ref.namespace ? ` -n ${ref.namespace}` : ''}`;
        ctx.dispatch({ type: 'overlay', overlay: { kind: 'yaml', title, lines: ['loading…'], top: 0 } });
        ctx.store.objectYaml(ref).then(
          (y) => ctx.dispatch({ type: 'overlay', overlay: { kind: 'yaml', title, lines: y.split('\n'), top: 0 } }),
          (e) => ctx.dispatch({ type: 'overlay', overlay: { kind: 'yaml', title, lines: [`error: ${String((e as Error)?.message ?? e).split('\n')[0]}`], top: 0 } }),
        );
      },
    },

    // ── the layer list ──
    { id: 'list-down', keys: ['j', 'down'], scope: 'list', help: 'Next layer', hint: 'move', run: (ctx) => select(ctx, ctx.ui.row + 1) },
    { id: 'list-up', keys: ['k', 'up'], scope: 'list', help: 'Previous layer', run: (ctx) => select(ctx, ctx.ui.row - 1) },
    { id: 'list-top', keys: ['g', 'home'], scope: 'list', help: 'First layer', run: (ctx) => select(ctx, 0) },
    { id: 'list-bottom', keys: ['G', 'end'], scope: 'list', help: 'Last layer', run: (ctx) => select(ctx, ctx.items.length - 1) },
    { id: 'list-pgdn', keys: ['pgdn', 'C-f'], scope: 'list', help: 'Down a page', run: (ctx) => select(ctx, ctx.ui.row + page(ctx)) },
    { id: 'list-pgup', keys: ['pgup', 'C-b'], scope: 'list', help: 'Up a page', run: (ctx) => select(ctx, ctx.ui.row - page(ctx)) },
    {
      id: 'path-next',
      keys: [']'],
      scope: 'list',
      help: 'Next path (host/route)',
      hint: 'path',
      run: (ctx) => {
        const cur = ctx.items[ctx.ui.row]?.path ?? 0;
        const i = ctx.items.findIndex((x) => x.path > cur);
        return i >= 0 ? select(ctx, i) : true;
      },
    },
    {
      id: 'path-prev',
      keys: ['['],
      scope: 'list',
      help: 'Previous path',
      run: (ctx) => {
        const cur = ctx.items[ctx.ui.row]?.path ?? 0;
        const i = ctx.items.findIndex((x) => x.path === cur - 1);
        return i >= 0 ? select(ctx, i) : true;
      },
    },
    { id: 'drill', keys: ['enter', 'right'], scope: 'list', help: "Drill into the selected layer's detail", hint: 'detail', run: (ctx) => ctx.dispatch({ type: 'focus', view: 'detail' }) },

    // ── scrolling ──
    { id: 'down', keys: ['j', 'down'], scope: 'scroll', help: 'Scroll down', hint: 'scroll', run: (ctx) => scroll(ctx, 1) },
    { id: 'up', keys: ['k', 'up'], scope: 'scroll', help: 'Scroll up', run: (ctx) => scroll(ctx, -1) },
    { id: 'top', keys: ['g', 'home'], scope: 'scroll', help: 'Top', run: (ctx) => scroll(ctx, 'top') },
    { id: 'bottom', keys: ['G', 'end'], scope: 'scroll', help: 'Bottom (log panes: follow again)', run: (ctx) => scroll(ctx, 'bottom') },
    { id: 'pgdn', keys: ['pgdn', 'C-f'], scope: 'scroll', help: 'Down a page', run: (ctx) => scroll(ctx, page(ctx)) },
    { id: 'pgup', keys: ['pgup', 'C-b'], scope: 'scroll', help: 'Up a page', run: (ctx) => scroll(ctx, -page(ctx)) },

    // ── log panes ──
    { id: 'autoscroll', keys: ['s'], scope: 'log', help: 'Autoscroll (follow the tail) on/off', hint: 'autoscroll', run: toggleView('follow') },
    { id: 'wrap', keys: ['w'], scope: 'log', help: 'Wrap long lines on/off', hint: 'wrap', run: toggleView('wrap') },
    { id: 'timestamps', keys: ['t'], scope: 'log', help: 'Timestamps on/off', hint: 'time', run: toggleView('timestamps') },
    {
      id: 'host-filter',
      keys: ['a'],
      scope: 'log',
      help: "Only the path's host/service, or all lines",
      hint: 'all/path',
      run: (ctx) => {
        const lp = storeLogPane(ctx.ui.focus);
        if (!lp) return false;
        ctx.store.toggleHostFilter(lp);
      },
    },
    {
      id: 'clear',
      keys: ['C'],
      scope: 'log',
      help: "Clear the pane's buffer",
      run: (ctx) => {
        const lp = storeLogPane(ctx.ui.focus);
        if (!lp) return false;
        ctx.store.clearLogs(lp);
      },
    },

    // ── probes ──
    { id: 'probe-now', keys: ['r'], scope: 'probes', help: 'Run the DNS/HTTP probes now', hint: 'run', names: ['probe'], run: (ctx) => ctx.store.runProbeNow() },
    {
      id: 'probe-every',
      keys: ['i'],
      scope: 'probes',
      help: 'Probe every 5 s / on demand only (:every 10s sets another period)',
      hint: 'interval',
      names: ['every'],
      run: (ctx, arg) => {
        const ms = arg !== undefined ? parseInterval(arg) : ctx.session.probes.intervalMs ? 0 : 5000;
        if (ms === undefined) return ctx.dispatch({ type: 'flash', text: `not a period: ${arg} (e.g. 5s, 500ms, off)` }), true;
        ctx.store.setProbeInterval(ms);
        ctx.dispatch({ type: 'flash', text: ms ? `probing every ${ms / 1000}s` : 'probes on demand only' });
      },
    },

    // ── overlays ──
    { id: 'overlay-close', keys: ['esc', 'q', '?'], scope: 'overlay', help: 'Close the overlay', hint: 'close', run: (ctx) => ctx.dispatch({ type: 'overlay', overlay: null }) },
  ];
}

/** Applies a filter typed at the `/` prompt to the focused view; returns an error message or undefined. */
export function applyFilter(ctx: CommandContext, text: string): string | undefined {
  const v = ctx.ui.focus === 'list' ? 'detail' : ctx.ui.focus;
  const lp = storeLogPane(v);
  if (lp) return ctx.store.setLogFilter(lp, text || undefined);
  const re = compileFilter(text);
  if (typeof re === 'string') return re;
  ctx.dispatch({ type: 'view', view: v, patch: { filter: text, top: 0 } });
  return undefined;
}

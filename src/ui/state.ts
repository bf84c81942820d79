// The UI's own view state (focus, selection, open panes, modes, per-view scroll/filter/toggles) as a pure reducer.
// Data (the report, streams) lives in the session store outside React; this is only where the user is looking.

export type PaneKind = 'endpoints' | 'logs' | 'backend' | 'probes' | 'helper';
export const PANE_KINDS: readonly PaneKind[] = ['endpoints', 'logs', 'backend', 'probes', 'helper'];
export const PANE_TITLES: Record<PaneKind, string> = {
  endpoints: 'Endpoints timeline',
  logs: 'Controller logs',
  backend: 'Backend logs',
  probes: 'Probes',
  helper: 'Helper pods',
};
/** Panes whose content is a followed stream of lines (autoscroll/wrap/timestamps apply). */
export const LOG_PANES: ReadonlySet<PaneKind> = new Set(['logs', 'backend', 'helper']);

/** A scrollable view: `list`, `detail`, or a split pane. */
export type ViewId = 'list' | 'detail' | PaneKind;

export interface ViewState {
  /** First visible row from the top; ignored while following. */
  top: number;
  /** Follow the tail (log panes; `s` toggles, `G` re-enables). */
  follow: boolean;
  /** While not following: the seq of the line at the top, so new lines do not move the view. */
  anchor?: number;
  wrap: boolean;
  timestamps: boolean;
  /** Regex filter (`/`), as typed. */
  filter: string;
  /** Log panes: only lines about the path's host/service (default) or everything. */
  pathOnly: boolean;
  /** Share of the right column's height (resizable with `+`/`-`). */
  weight: number;
}

export type Mode = 'normal' | 'filter' | 'command';
export type Overlay = null | { kind: 'help'; top: number } | { kind: 'yaml'; title: string; lines: string[]; top: number };

export interface UiState {
  focus: ViewId;
  /** Index into the selectable rows of the layer list (paths × layers). */
  row: number;
  /** Open split panes, in the order they were opened. */
  panes: PaneKind[];
  views: Record<ViewId, ViewState>;
  zoom: boolean;
  mode: Mode;
  prompt: string;
  overlay: Overlay;
  /** One line shown in the footer until the next key (errors, confirmations). */
  flash?: string;
  quit: boolean;
}

const view = (follow: boolean): ViewState => ({ top: 0, follow, wrap: false, timestamps: false, filter: '', pathOnly: true, weight: 2 });

export function initialUiState(over: Partial<UiState> = {}): UiState {
  return {
    focus: 'list',
    row: 0,
    panes: [],
    views: {
      list: view(false),
      detail: { ...view(false), weight: 3 },
      endpoints: view(true),
      logs: view(true),
      backend: view(true),
      probes: view(true),
      helper: view(true),
    },
    zoom: false,
    mode: 'normal',
    prompt: '',
    overlay: null,
    quit: false,
    ...over,
  };
}

export type UiAction =
  | { type: 'select'; row: number }
  | { type: 'focus'; view: ViewId }
  | { type: 'focusNext'; dir: 1 | -1 }
  | { type: 'open'; pane: PaneKind; focus?: boolean }
  | { type: 'toggle'; pane: PaneKind }
  | { type: 'close'; pane: PaneKind }
  | { type: 'view'; view: ViewId; patch: Partial<ViewState> }
  | { type: 'zoom' }
  | { type: 'mode'; mode: Mode; prompt?: string }
  | { type: 'prompt'; prompt: string }
  | { type: 'overlay'; overlay: Overlay }
  | { type: 'flash'; text?: string }
  | { type: 'quit' };

/** The focus ring: list, detail, then the open panes. */
export function focusRing(s: UiState): ViewId[] {
  return ['list', 'detail', ...s.panes];
}

export function uiReducer(s: UiState, a: UiAction): UiState {
  switch (a.type) {
    case 'select':
      return a.row === s.row ? s : { ...s, row: a.row, views: { ...s.views, detail: { ...s.views.detail, top: 0 } } };
    case 'focus':
      return s.focus === a.view ? s : { ...s, focus: a.view };
    case 'focusNext': {
      const ring = focusRing(s);
      const i = ring.indexOf(s.focus);
      return { ...s, focus: ring[(i + a.dir + ring.length) % ring.length]! };
    }
    case 'open': {
      const panes = s.panes.includes(a.pane) ? s.panes : [...s.panes, a.pane];
      return { ...s, panes, focus: a.focus === false ? s.focus : a.pane };
    }
    case 'toggle':
      return s.panes.includes(a.pane) ? uiReducer(s, { type: 'close', pane: a.pane }) : uiReducer(s, { type: 'open', pane: a.pane });
    case 'close': {
      if (!s.panes.includes(a.pane)) return s;
      const i = s.panes.indexOf(a.pane);
      const panes = s.panes.filter((p) => p !== a.pane);
      const focus: ViewId = s.focus === a.pane ? (panes[Math.min(i, panes.length - 1)] ?? 'detail') : s.focus;
      return { ...s, panes, focus, zoom: s.focus === a.pane ? false : s.zoom };
    }
    case 'view':
      return { ...s, views: { ...s.views, [a.view]: { ...s.views[a.view], ...a.patch } } };
    case 'zoom':
      return { ...s, zoom: !s.zoom };
    case 'mode':
      return { ...s, mode: a.mode, prompt: a.prompt ?? '' };
    case 'prompt':
      return { ...s, prompt: a.prompt };
    case 'overlay':
      return { ...s, overlay: a.overlay };
    case 'flash':
      return s.flash === a.text ? s : { ...s, flash: a.text };
    case 'quit':
      return { ...s, quit: true };
  }
}

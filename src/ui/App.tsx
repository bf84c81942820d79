// The root: reads the session snapshot (useSyncExternalStore), keeps the view state in a reducer, lays the screen out
// with explicit heights (header 1 row, body, footer 1 row) and routes every key through the one dispatcher.
import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import { useMemo, useReducer, useRef, useSyncExternalStore } from 'react';
import type { SessionState, SessionStoreApi } from '../state/types.ts';
import { Footer } from './components/Footer.tsx';
import { Header, type HeaderInfo } from './components/Header.tsx';
import { DetailView, EndpointsView, HelperView, ListView, LogView, type Metrics, OverlayView, ProbesView } from './components/Views.tsx';
import { type CommandContext, defaultCommands, registeredCommands } from './input/commands.ts';
import { activeScopes, handleInput } from './input/dispatcher.ts';
import { helpRows, hintsFor } from './input/help.ts';
import { buildKeymap, type Keymap } from './input/keymap.ts';
import { listItems, uiPaths } from './model.ts';
import { type Row, row, safe } from './rows.ts';
import { PANE_TITLES, type UiState, type ViewId, initialUiState, uiReducer } from './state.ts';

export interface AppProps {
  store: SessionStoreApi;
  header?: HeaderInfo;
  keymap?: Keymap;
  /** Where keys.yaml is looked for (shown in the help overlay). */
  keymapPath?: string;
  /** Fixed size (tests); the terminal's size otherwise. */
  size?: { columns: number; rows: number };
  initial?: Partial<UiState>;
  /** Called on quit before Ink unmounts (abort sources, delete helper pods). */
  onExit?: () => void;
  /** The header clock's time source. */
  now?: () => number;
}

const MIN_PANE = 4;
const controllerLogs = (s: SessionState) => s.controllerLogs;
const backendLogs = (s: SessionState) => s.backendLogs;

/** Splits `total` rows over views by weight; each gets at least MIN_PANE; views that do not fit are dropped
 *  (the focused one is always kept). Returns [view, height][] summing exactly to `total`. */
export function allocate(views: { id: ViewId; weight: number }[], total: number, focus: ViewId): [ViewId, number][] {
  let shown = views;
  while (shown.length > 1 && shown.length * MIN_PANE > total) {
    const drop = shown.findIndex((v) => v.id !== focus);
    shown = shown.filter((_, i) => i !== drop);
  }
  const sum = shown.reduce((a, v) => a + v.weight, 0) || 1;
  const room = total - shown.length * MIN_PANE;
  const out: [ViewId, number][] = shown.map((v) => [v.id, MIN_PANE + Math.floor((room * v.weight) / sum)]);
  const used = out.reduce((a, [, h]) => a + h, 0);
  if (out.length) out[out.length - 1]![1] += total - used;
  return out;
}

export function App(props: AppProps) {
  const { store } = props;
  const session = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const keymap = useMemo(() => props.keymap ?? buildKeymap([...defaultCommands(), ...registeredCommands()]), [props.keymap]);
  const [ui, dispatch] = useReducer(uiReducer, undefined, () => initialUiState({ flash: keymap.warnings[0], ...props.initial }));
  const win = useWindowSize();
  const { columns, rows } = props.size ?? win;
  const app = useApp();
  const metrics = useRef<CommandContext['metrics']>({});
  const reporters = useMemo(() => {
    const m = {} as Record<ViewId | 'overlay', (x: Metrics) => void>;
    for (const id of ['list', 'detail', 'endpoints', 'logs', 'backend', 'probes', 'helper', 'overlay'] as const) m[id] = (x) => void (metrics.current[id] = x);
    return m;
  }, []);

  const paths = useMemo(() => uiPaths(session.report), [session.report]);
  const items = useMemo(() => listItems(paths), [paths]);
  const row_ = Math.min(ui.row, Math.max(0, items.length - 1));
  const item = items[row_];
  const path = item ? paths[item.path] : paths[0];
  const help = useMemo(() => helpRows(keymap, props.keymapPath), [keymap, props.keymapPath]);

  const exitedRef = useRef(false);
  const exit = () => {
    if (exitedRef.current) return;
    exitedRef.current = true;
    dispatch({ type: 'quit' });
    props.onExit?.();
    app.exit();
  };

  useInput((input, key) => {
    // The newest snapshot, not the one last rendered: a log pane's rows on screen may be newer (the compositor draws
    // a flood's rows without rendering, src/ui/run.tsx), and scrolling anchors on what is on screen.
    const ctx: CommandContext = { ui: { ...ui, row: row_ }, dispatch, session: store.getSnapshot(), store, paths, items, metrics: metrics.current, exit };
    handleInput(input, key, ctx, keymap);
  });

  if (columns < 40 || rows < 10) return <Text>terminal too small ({columns}×{rows}); 40×10 at least — q quits</Text>;

  const report = session.report;
  const headerInfo: HeaderInfo = {
    ...props.header,
    ...(report?.context && !props.header?.context ? { context: report.context } : {}),
    ...(report?.namespace && !props.header?.namespace ? { namespace: report.namespace } : {}),
    ...(report ? { target: props.header?.target ?? report.target } : {}),
  };
  const body = rows - 2;
  const hints = hintsFor(keymap, activeScopes(ui));

  const renderView = (id: ViewId, width: number, height: number) => {
    const focused = ui.focus === id && !ui.overlay;
    const v = ui.views[id];
    switch (id) {
      case 'list': {
        const vd = report?.verdict;
        const title = vd ? `${vd.status === 'fail' ? `✗ FAIL at ${vd.layer}` : vd.status === 'ok' ? '✓ OK' : `${vd.status.toUpperCase()}`}${session.reportError ? ' (refresh failed)' : ''}` : session.reportError ? 'diagnosis failed' : 'Layers';
        return <ListView key={id} paths={paths} selected={row_} title={title} focused={focused} width={width} height={height} report={reporters.list} />;
      }
      case 'detail':
        return <DetailView key={id} path={path} layer={item?.layer} view={v} focused={focused} width={width} height={height} report={reporters.detail} />;
      case 'logs':
        return <LogView key={id} title={PANE_TITLES.logs} pane={session.controllerLogs} select={controllerLogs} view={v} paused={session.paused} focused={focused} width={width} height={height} now={session.now} report={reporters.logs} />;
      case 'backend':
        return <LogView key={id} title={PANE_TITLES.backend} pane={session.backendLogs} select={backendLogs} view={v} paused={session.paused} focused={focused} width={width} height={height} now={session.now} report={reporters.backend} />;
      case 'endpoints':
        return <EndpointsView key={id} pane={session.endpoints} view={v} focused={focused} width={width} height={height} now={session.now} report={reporters.endpoints} />;
      case 'probes':
        return <ProbesView key={id} pane={session.probes} view={v} focused={focused} width={width} height={height} now={session.now} report={reporters.probes} />;
      case 'helper':
        return <HelperView key={id} pane={session.helper} view={v} focused={focused} width={width} height={height} report={reporters.helper} />;
    }
  };

  let content;
  if (ui.overlay) {
    const o = ui.overlay;
    const rowsOf: Row[] = o.kind === 'help' ? help : o.lines.map((l, i) => row(i, safe(l, 4000)));
    content = <OverlayView title={o.kind === 'help' ? 'Keys (?)' : `YAML ${safe(o.title, 200)}`} rows={rowsOf} top={o.top} width={columns} height={body} report={reporters.overlay} />;
  } else if (ui.zoom) {
    content = renderView(ui.focus, columns, body);
  } else {
    const left = Math.max(24, Math.min(48, Math.floor(columns * 0.32)));
    const right = columns - left;
    const stack = allocate(
      (['detail', ...ui.panes] as ViewId[]).map((id) => ({ id, weight: ui.views[id].weight })),
      body,
      ui.focus === 'list' ? 'detail' : ui.focus,
    );
    content = (
      <Box flexDirection="row" height={body} width={columns}>
        {renderView('list', left, body)}
        <Box flexDirection="column" width={right} height={body}>
          {stack.map(([id, h]) => renderView(id, right, h))}
        </Box>
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={columns} height={rows} overflowY="hidden">
      <Header info={headerInfo} paused={session.paused} connection={session.connection} diagnosing={session.diagnosing} width={columns} {...(props.now ? { now: props.now } : {})} />
      {content}
      <Footer mode={ui.mode} prompt={ui.prompt} flash={ui.flash ?? (session.connectionError ? safe(session.connectionError, 200) : undefined)} hints={hints} width={columns} />
    </Box>
  );
}


// The compositor: on a terminal the panes' rows are drawn beside Ink's frame (src/ui/compositor.ts). Checked on a
// real terminal emulator (@xterm/headless): the screen must be the one Ink draws without it, rows must stay inside
// their panes through floods, pane changes and resizes, and untrusted text must stay inert.
import { EventEmitter } from 'node:events';
import xterm from '@xterm/headless';
import { afterEach, describe, expect, it } from 'vitest';
import { logRowsOnly } from '../../../src/ui/panes/logwindow.ts';
import { fitRow, row } from '../../../src/ui/rows.ts';
import { runApp } from '../../../src/ui/run.tsx';
import { FakeStore, emptyState } from './fakes.tsx';

const { Terminal } = xterm;

class TermOut extends EventEmitter {
  isTTY = true;
  writableNeedDrain = false;
  readonly term: InstanceType<typeof Terminal>;
  columns: number;
  rows: number;
  constructor(term: InstanceType<typeof Terminal>, columns: number, rows: number) {
    super();
    this.term = term;
    this.columns = columns;
    this.rows = rows;
  }
  writes: string[] = [];
  write = (chunk: string, cb?: () => void) => {
    this.writes.push(chunk);
    this.term.write(chunk, cb);
    return true;
  };
}

class TermIn extends EventEmitter {
  isTTY = true;
  data: string | null = null;
  write(data: string) {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  }
  read = () => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const running: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const stop of running.splice(0)) await stop();
});

async function terminal(store: FakeStore, columns: number, rows: number, env: NodeJS.ProcessEnv = {}, shell = '') {
  const term = new Terminal({ cols: columns, rows, allowProposedApi: true, convertEol: true }) // convertEol: a pty's onlcr
  // what the shell left on the screen before the UI started
  if (shell) await new Promise<void>((r) => term.write(shell, r));;
  const events = { title: 0, bell: 0 };
  term.onTitleChange(() => events.title++);
  term.onBell(() => events.bell++);
  const out = new TermOut(term, columns, rows);
  const stdin = new TermIn();
  const renders = { n: 0 };
  const done = runApp({ onFrame: () => void renders.n++, store, stdout: out as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, env: { NETPATH_KEYS: '/nonexistent', ...env } });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    stdin.write('\u0003');
    await done;
  };
  running.push(stop);
  const settle = async () => {
    await sleep(40);
    await new Promise<void>((r) => term.write('', r));
  };
  await settle();
  return {
    term,
    out,
    events,
    renders,
    stop,
    settle,
    async press(...keys: string[]) {
      for (const k of keys) {
        stdin.write(k);
        await settle();
      }
    },
    lines(): string[] {
      const b = term.buffer.active;
      return Array.from({ length: rows }, (_, i) => b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    },
    async resize(c: number, r: number) {
      term.resize(c, r);
      out.columns = c;
      out.rows = r;
      out.emit('resize');
      rows = r;
      await sleep(150);
      await settle();
    },
  };
}

const flood = (store: FakeStore, from: number, to: number) => {
  for (let i = from; i <= to; i++) store.push('controller', `line ${i} GET /p/${i}`, `ingress-nginx-controller-abc-${'abc'[i % 3]}`);
  store.flush();
};

describe('fitRow', () => {
  it('is exactly the width asked for: cut by display width with …, padded with spaces, colours only as SGR', () => {
    expect(fitRow(row(1, 'abc'), 6, true)).toBe('abc   ');
    expect(fitRow(row(1, 'abcdefgh'), 5, true)).toBe('abcd…');
    expect(fitRow(row(1, { t: 'ok', c: 'green' }, ' done'), 10, false)).toBe('\x1b[32mok\x1b[0m done   ');
    // wide characters take two columns: a cut never splits one, the gap is padded
    expect(fitRow(row(1, '漢字漢字'), 6, true)).toBe('漢字… ');
    expect(fitRow(row(1, 'a漢'), 3, true)).toBe('a漢');
    expect(fitRow(row(1, 'ab', { t: 'cdef', bold: true }), 4, false)).toBe('ab\x1b[1mc…\x1b[0m');
    // the UI's own glyphs are one column each; an emoji-presentation square is two
    expect(fitRow(row(1, '● live · a → b ✓ ──'), 20, true)).toBe('● live · a → b ✓ ── ');
    expect(fitRow(row(1, 'a\u25fdb'), 4, true)).toBe('a\u25fdb');
    expect(fitRow(row(1, 'a\u25fdbc'), 4, true)).toBe('a\u25fd…');
  });
});

describe('logRowsOnly', () => {
  it('is true only when nothing but the log panes\' rows moved', () => {
    const a = emptyState();
    const lines = { ...a.controllerLogs, lines: [...a.controllerLogs.lines], counters: { ...a.controllerLogs.counters, received: 1 } };
    expect(logRowsOnly(a, { ...a, version: 2, now: a.now + 1, controllerLogs: lines })).toBe(true);
    expect(logRowsOnly(a, { ...a, controllerLogs: { ...lines, title: 'other pods' } })).toBe(false);
    expect(logRowsOnly(a, { ...a, controllerLogs: lines, paused: true })).toBe(false);
    expect(logRowsOnly(a, { ...a, controllerLogs: lines, report: { ...a.report! } })).toBe(false);
    expect(logRowsOnly(a, { ...a, controllerLogs: lines, endpoints: { ...a.endpoints } })).toBe(false);
    expect(logRowsOnly(a, { ...a, controllerLogs: lines, reportError: 'boom' })).toBe(false);
  });
});

describe('rows drawn beside the frame, on a terminal emulator', () => {
  it.each([['the alternate screen', {}], ['the normal screen', { NETPATH_NO_ALT_SCREEN: '1' }]])('the screen is the one Ink draws itself, pane for pane (%s)', async (_, screenEnv) => {
    const screens: string[][] = [];
    for (const compositor of ['1', '0']) {
      const store = new FakeStore();
      flood(store, 1, 300);
      store.push('controller', '漢字のログ行 GET /wide 200');
      store.push('controller', `long ${'x'.repeat(300)} END`);
      store.flush();
      const t = await terminal(store, 120, 30, { NETPATH_TUI_COMPOSITOR: compositor, ...screenEnv }, '$ ls\nbin docs src\n$ kubectl netpath shop.netpath.test\n');
      await t.press('l', 'E');
      screens.push(t.lines());
      await t.stop();
    }
    const [withIt, without] = screens as [string[], string[]];
    expect(withIt.join('\n')).toContain('line 300 GET /p/300');
    expect(withIt.join('\n')).toContain('漢字のログ行 GET /wide 200');
    // the clock in the header may tick between the two runs
    expect(withIt.slice(1)).toEqual(without.slice(1));
  });

  it('a flood keeps every row inside its pane and the tail on screen; closing the pane leaves nothing behind', async () => {
    const store = new FakeStore();
    const t = await terminal(store, 100, 24);
    await t.press('l');
    for (let n = 0; n < 10; n++) {
      flood(store, n * 1000 + 1, (n + 1) * 1000);
      await sleep(30);
    }
    await sleep(300);
    await t.settle();
    let lines = t.lines();
    const text = lines.join('\n');
    expect(text).toContain('line 10000 GET /p/10000');
    expect(text).toContain('received 10000');
    for (const l of lines.filter((x) => /line \d+ GET/.test(x))) {
      expect(l.length).toBeLessThanOrEqual(100);
      expect(l.endsWith('│')).toBe(true);
      expect(l.match(/│/g)!.length).toBe(4); // two panes side by side, both borders intact
    }
    await t.press('q'); // closes the focused pane
    lines = t.lines();
    expect(lines.join('\n')).not.toMatch(/line \d+ GET/);
    expect(lines.join('\n')).toContain('Detail');
  });

  it('a flood\'s snapshots redraw the rows without a frame from Ink, and scrolling anchors on the rows on screen', async () => {
    const store = new FakeStore();
    flood(store, 1, 100);
    const t = await terminal(store, 120, 30);
    await t.press('l', 'f');
    const renders = t.renders.n;
    for (let n = 1; n <= 8; n++) {
      flood(store, n * 1000 + 1, (n + 1) * 1000);
      await sleep(250);
    }
    await t.settle();
    const text = t.lines().join('\n');
    expect(text).toContain('line 9000 GET /p/9000');
    expect(text).toContain('received 8100');
    // eight snapshots, each on screen, and at most the header clock's ticks rendered by Ink
    expect(t.renders.n - renders).toBeLessThanOrEqual(3);
    await t.press('k', 'k');
    const shown = [...t.lines().join('\n').matchAll(/line (\d+) GET/g)].map((m) => Number(m[1]));
    expect(t.lines().join('\n')).toContain('scrolled');
    expect(shown.at(-1)).toBeGreaterThan(8900);
    expect(shown.at(-1)).toBeLessThan(9000);
  });

  it('follows its pane through resizes, and the terminal is restored on quit', async () => {
    const store = new FakeStore();
    flood(store, 1, 500);
    const t = await terminal(store, 160, 40);
    await t.press('l', 'f');
    await t.resize(80, 24);
    let lines = t.lines();
    expect(lines.join('\n')).toContain('line 500 GET /p/500');
    for (const l of lines.slice(1, -1)) {
      expect(l.length).toBeLessThanOrEqual(80);
      if (/line \d+ GET/.test(l)) expect(l).toMatch(/^│.*│$/);
    }
    await t.resize(200, 60);
    lines = t.lines();
    expect(lines.filter((l) => /line \d+ GET/.test(l)).length).toBe(60 - 2 - 4);
    for (const l of lines.filter((x) => /line \d+ GET/.test(x))) expect(l).toMatch(/^│.{198}│$/);
    expect(t.term.buffer.active.type).toBe('alternate');
    await t.stop();
    await t.settle();
    expect(t.term.buffer.active.type).toBe('normal');
    expect(t.term.modes.wraparoundMode).toBe(true);
  });

  it('is not used for Ink\'s screen-reader output or its incremental rendering: the rows are Ink\'s text there', async () => {
    for (const env of [{ INK_SCREEN_READER: 'true' }, { NETPATH_TUI_INCREMENTAL: '1' }, {}]) {
      const store = new FakeStore();
      flood(store, 1, 50);
      const t = await terminal(store, 120, 30, env);
      await t.press('l');
      const drawn = t.out.writes.filter((w) => w.includes('line 50 GET /p/50'));
      expect(drawn.length, JSON.stringify(env)).toBeGreaterThan(0);
      // the compositor's draws are the only writes with DECSC (save cursor)
      expect(drawn.every((w) => !w.includes('\x1b7')), JSON.stringify(env)).toBe(Object.keys(env).length > 0);
      await t.stop();
    }
  });

  it('untrusted lines stay inert: no title, bell, clipboard or cursor movement from a log line', async () => {
    const store = new FakeStore();
    const t = await terminal(store, 120, 30);
    await t.press('l', 'f');
    const evil = ['\x1b[2J\x1b[H', '\x1b]0;pwned\x07', '\x1b]52;c;ZXZpbA==\x07', '\x1bP+q\x1b\\', '\x9b31m', '\x07', 'a\rb', 'x\by', '\u202Eevil'];
    for (const [i, e] of evil.entries()) store.push('controller', `bad${i} ${e} end${i}`);
    store.flush();
    await sleep(300);
    await t.settle();
    const text = t.lines().join('\n');
    for (let i = 0; i < evil.length; i++) expect(text).toMatch(new RegExp(`bad${i} .*end${i}`));
    expect(t.events).toEqual({ title: 0, bell: 0 });
    expect(text).not.toContain('pwned');
    expect(text).not.toContain('\u202E');
  });
});

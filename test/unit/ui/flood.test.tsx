import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { App } from '../../../src/ui/App.tsx';
import { FakeStore, KEYS, mount } from './fakes.tsx';

delete process.env.CI;
afterEach(() => cleanup());
const SIZE = { columns: 120, rows: 30 };

describe('log flood', () => {
  it('10k lines pushed between two flushes render in a handful of frames, only the tail is drawn, and G/s resume follow', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={SIZE} initial={{ panes: ['logs'], focus: 'logs' }} />);
    await t.ready();
    const before = t.frames.length;
    for (let i = 1; i <= 10_000; i++) store.push('controller', `line ${i} GET /p/${i}`, `ingress-nginx-controller-abc-${['a', 'b', 'c'][i % 3]}`);
    store.flush();
    await new Promise((r) => setTimeout(r, 100));
    const after = t.frames.length;
    expect(after - before).toBeGreaterThan(0);
    expect(after - before).toBeLessThanOrEqual(5);
    const f = t.frame();
    expect(f).toContain('line 10000 GET');
    expect(f).not.toContain('line 4999 GET');
    expect(f).toContain('received 10000');
    expect(f).toContain('dropped 5000');
    // order is kept across pods: the visible line numbers increase top to bottom
    const nums = [...f.matchAll(/line (\d+) GET/g)].map((m) => Number(m[1]));
    expect(nums.length).toBeGreaterThan(5);
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    expect(nums.at(-1)).toBe(10_000);
    // scrolling up stops following: new lines do not move the view
    await t.press('k');
    await t.press('k');
    const top = [...t.frame().matchAll(/line (\d+) GET/g)].map((m) => Number(m[1]))[0];
    for (let i = 10_001; i <= 10_100; i++) store.push('controller', `line ${i} GET /p/${i}`);
    store.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect([...t.frame().matchAll(/line (\d+) GET/g)].map((m) => Number(m[1]))[0]).toBe(top);
    expect(t.frame()).not.toContain('line 10100 GET');
    await t.press('G');
    expect(t.frame()).toContain('line 10100 GET');
    await t.press('s'); // autoscroll off
    expect(t.frame()).toContain('autoscroll off');
    await t.press('s');
    expect(t.frame()).toContain('autoscroll on');
  });

  it('w wraps long lines onto several rows and t shows timestamps', async () => {
    const store = new FakeStore();
    store.push('controller', 'x'.repeat(150) + 'TAILEND');
    store.flush();
    const t = mount(<App store={store} size={SIZE} initial={{ panes: ['logs'], focus: 'logs', zoom: true }} />);
    await t.ready();
    expect(t.frame()).not.toContain('TAILEND');
    await t.press('w');
    expect(t.frame()).toContain('TAILEND');
    await t.press('t');
    expect(t.frame()).toMatch(/\d\d:\d\d:\d\d\.\d\d\d/);
  });
});

const MALICIOUS = [
  'clear \x1b[2J\x1b[H screen',
  'title \x1b]0;pwned title\x07 end',
  'clip \x1b]52;c;ZXZpbA==\x07 end',
  'dcs \x1bPq#0;2;0;0;0#0~~\x1b\\ end',
  'c1 \x9b31m red',
  'bell \x07\x07 ring',
  'cr visible\rHIDDEN',
  'bs abc\b\b\bxyz',
  'bidi \u202Eevil\u202C text',
  'osc8 \x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ end',
  'unterminated \x1b]0;forever',
];

describe('malicious lines are inert', () => {
  it('no escape, C0/C1 control or BiDi override reaches the frame from log lines, YAML or the report', async () => {
    const store = new FakeStore();
    for (const l of MALICIOUS) store.push('controller', l);
    store.flush();
    const rep = store.state.report!;
    rep.layers = rep.paths[0]!.layers;
    rep.paths[0]!.layers[0]!.summary = MALICIOUS.join(' | ');
    rep.paths[0]!.layers[0]!.checks[0]!.evidence = MALICIOUS;
    store.objectYaml = async () => MALICIOUS.join('\n');
    const t = mount(<App store={store} size={{ columns: 200, rows: 50 }} initial={{ panes: ['logs'] }} />);
    await t.ready();
    const check = () => {
      const raw = t.lastFrame() ?? '';
      // Ink's own colour codes (SGR: ESC [ … m) are the only escapes allowed
      const withoutSgr = raw.replace(/\x1b\[[0-9;]*m/g, '');
      expect(withoutSgr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
      expect(raw).not.toContain('\x1b]');
      expect(raw).not.toContain('\x1b[2J');
      expect(raw).not.toContain('\x1bP');
    };
    check();
    expect(t.frame()).toContain('clear');
    expect(t.frame()).toContain('bidi');
    await t.press('y');
    await t.waitFor('YAML');
    check();
  });

  it('the shared fixtures of real controller log lines render without control characters', async () => {
    const dir = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'logs', 'ingress-nginx');
    if (!existsSync(dir)) {
      console.warn('skipped: ../shared/fixtures is absent');
      return;
    }
    const { readdirSync } = await import('node:fs');
    const store = new FakeStore();
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.log')))
      for (const l of readFileSync(join(dir, f), 'utf8').split('\n').slice(0, 200)) if (l) store.push('controller', l);
    store.flush();
    const t = mount(<App store={store} size={{ columns: 160, rows: 40 }} initial={{ panes: ['logs'], focus: 'logs', zoom: true }} />);
    await t.ready();
    await t.press(KEYS.pgdn);
    expect((t.lastFrame() ?? '').replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  });
});

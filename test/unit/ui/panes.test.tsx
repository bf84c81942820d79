import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { App } from '../../../src/ui/App.tsx';
import { defaultCommands } from '../../../src/ui/input/commands.ts';
import { buildKeymap, parseOverrides } from '../../../src/ui/input/keymap.ts';
import { FakeStore, KEYS, mount } from './fakes.tsx';

delete process.env.CI;
afterEach(() => cleanup());
const SIZE = { columns: 120, rows: 36 };

describe('focus and panes', () => {
  it('Tab/Shift-Tab cycle list → detail → open panes; E/l/P open panes, q closes the focused one, Esc never quits', async () => {
    const store = new FakeStore();
    let exited = 0;
    const t = mount(<App store={store} size={SIZE} onExit={() => exited++} />);
    await t.ready();
    await t.press('E');
    expect(t.frame()).toContain('Endpoints timeline');
    await t.press('l');
    expect(t.frame()).toContain('Controller logs · ingress-nginx/ingress-nginx-controller (3 pods)');
    // focus is on the logs pane: its hints are in the footer
    expect(t.frame()).toMatch(/s autoscroll.*w wrap.*t time/);
    await t.press(KEYS.tab); // logs → list (ring: list, detail, endpoints, logs)
    expect(t.frame()).toMatch(/j move/);
    await t.press(KEYS.tab); // detail
    await t.press(KEYS.tab); // endpoints
    expect(t.frame()).not.toMatch(/s autoscroll/);
    await t.press(KEYS.shiftTab); // detail
    await t.press(KEYS.shiftTab); // list
    expect(t.frame()).toMatch(/j move/);
    await t.press('P');
    expect(t.frame()).toContain('Probes');
    expect(t.frame()).toContain('r run');
    await t.press('q'); // closes probes
    expect(t.frame()).not.toContain('on demand');
    expect(exited).toBe(0);
    await t.press(KEYS.esc);
    await t.press(KEYS.esc);
    expect(exited).toBe(0);
    expect(t.frame()).toContain('Endpoints timeline');
    await t.press('q'); // from the list: quit
    expect(exited).toBe(1);
  });

  it('f zooms the focused pane to the whole body and Esc unzooms', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={SIZE} />);
    await t.ready();
    await t.press('E');
    await t.press('f');
    expect(t.frame()).not.toContain('Load balancer');
    expect(t.frame()).toContain('Endpoints timeline');
    await t.press(KEYS.esc);
    expect(t.frame()).toContain('Load balancer');
  });

  it('the endpoints pane shows the current table and the timeline with flap counts', async () => {
    const store = new FakeStore();
    store.update({
      endpoints: {
        service: { kind: 'Service', name: 'web', namespace: 'shop' },
        stream: { state: 'live', since: 0, reconnects: 0 },
        rows: [{ key: 's/127.1.1.5', slice: 's', address: '127.1.1.5', pod: 'web-abc-1', node: 'node-1', ready: false, serving: false, terminating: false, flaps: 2, since: 0 }],
        timeline: [
          { seq: 1, at: 0, change: 'not-ready', key: 's/127.1.1.5', slice: 's', address: '127.1.1.5', pod: 'web-abc-1', flaps: 1 },
          { seq: 2, at: 1, change: 'ready', key: 's/127.1.1.5', slice: 's', address: '127.1.1.5', pod: 'web-abc-1', flaps: 1 },
          { seq: 3, at: 2, change: 'not-ready', key: 's/127.1.1.5', slice: 's', address: '127.1.1.5', pod: 'web-abc-1', flaps: 2 },
        ],
        timelineDropped: 0,
        flaps: { 's/127.1.1.5': 2 },
        totalFlaps: 2,
      },
    });
    const t = mount(<App store={store} size={SIZE} />);
    await t.ready();
    await t.press('E');
    const f = t.frame();
    expect(f).toContain('svc/web -n shop · 1 endpoints, 0 ready · 2 flaps');
    expect(f).toMatch(/127\.1\.1\.5\s+web-abc-1\s+node-1\s+no/);
    expect(f.indexOf('Timeline')).toBeGreaterThan(0);
    expect(f.match(/not-ready/g)?.length).toBe(2);
  });
});

describe('filter and command line', () => {
  it('/ on a log pane sets the store regex; on the detail it filters locally; a bad regex is reported', async () => {
    const store = new FakeStore();
    for (let i = 0; i < 20; i++) store.push('controller', i % 2 ? `GET /api/${i} 200` : `GET /static/${i} 404`);
    store.flush();
    const t = mount(<App store={store} size={SIZE} />);
    await t.ready();
    await t.press('l');
    expect(t.frame()).toContain('/static/18');
    await t.press('/');
    await t.type('api/1');
    expect(t.frame()).toContain('/api/1');
    await t.press(KEYS.enter);
    expect(store.calls).toContain('setLogFilter controller api/1');
    expect(t.frame()).not.toContain('/static/18');
    expect(t.frame()).toContain('/api/19');
    await t.press('/');
    await t.press(KEYS.ctrlU ?? '\u0015');
    await t.type('(');
    await t.press(KEYS.enter);
    expect(t.frame()).toContain('invalid regex');
    // the detail: filter its rows locally
    await t.press(KEYS.tab); // list
    await t.press('/');
    await t.type('next');
    await t.press(KEYS.enter);
    expect(t.frame()).toContain('Detail /next/');
    expect(t.frame()).toContain('$ kubectl get dns');
    expect(t.frame()).not.toContain('evidence of dns');
  });

  it(': runs commands by name and reports unknown ones', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={SIZE} />);
    await t.ready();
    await t.press(':');
    await t.type('ep');
    await t.press(KEYS.enter);
    expect(t.frame()).toContain('Endpoints timeline');
    await t.press(':');
    await t.type('nope');
    await t.press(KEYS.enter);
    expect(t.frame()).toContain('unknown command: nope');
    await t.press(':');
    await t.type('every 10s');
    await t.press(KEYS.enter);
    expect(store.calls).toContain('interval 10000');
    await t.press(KEYS.ctrlR);
    expect(store.calls).toContain('refresh');
  });
});

describe('help overlay and keymap', () => {
  it('? shows every command with its (remapped) keys; a remapped key works and the old one no longer does', async () => {
    const warnings: string[] = [];
    const overrides = parseOverrides('bindings:\n  endpoints: [X]\n  list-down: [n, down]\n  nosuch: [z]\n', warnings);
    const km = buildKeymap(defaultCommands(), overrides, warnings);
    expect(warnings.join('\n')).toContain('unknown command "nosuch"');
    const store = new FakeStore();
    const t = mount(<App store={store} size={{ columns: 140, rows: 80 }} keymap={km} />);
    await t.ready();
    expect(t.frame()).toContain('unknown command "nosuch"'); // the warning is flashed once
    await t.press('?');
    const help = t.frame();
    for (const c of defaultCommands()) expect(help).toContain(`[${c.id}]`);
    expect(help).toMatch(/X\s+Open \/ focus \/ close the endpoints timeline/);
    expect(help).toMatch(/n ↓\s+Next layer/);
    await t.press(KEYS.esc);
    expect(t.frame()).not.toContain('[endpoints]');
    await t.press('E');
    expect(t.frame()).not.toContain('Endpoints timeline');
    await t.press('X');
    expect(t.frame()).toContain('Endpoints timeline');
    await t.press(KEYS.tab); // → list
    await t.press('n');
    expect(t.frame()).toMatch(/▸ ✓ Load balancer/);
    await t.press('j');
    expect(t.frame()).toMatch(/▸ ✓ Load balancer/);
  });

  it('y shows the YAML of the selected layer object', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={SIZE} />);
    await t.ready();
    await t.press('y');
    await t.waitFor('YAML service/web -n shop');
    expect(t.frame()).toContain('kind: Service');
    expect(store.calls).toContain('yaml Service/web');
    await t.press('q');
    expect(t.frame()).not.toContain('kind: Service');
  });
});

describe('input bursts', () => {
  it('Enter on the / prompt confirms the filter in the footer', async () => {
    const store = new FakeStore();
    store.push('controller', 'GET /x 200');
    store.flush();
    const t = mount(<App store={store} size={SIZE} initial={{ panes: ['logs'], focus: 'logs' }} />);
    await t.ready();
    await t.press('/');
    await t.press('GET\r'); // a fast terminal delivers the burst as one input
    expect(t.frame()).toContain('filter /GET/');
    expect(store.calls).toContain('setLogFilter controller GET');
  });

  it('a burst of keys in one input is replayed one key at a time', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={SIZE} />);
    await t.ready();
    await t.press('jjj');
    expect(t.frame()).toMatch(/▸ ✓ Service/);
  });
});

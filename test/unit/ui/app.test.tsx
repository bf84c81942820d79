import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { App } from '../../../src/ui/App.tsx';
import { FakeStore, KEYS, mount } from './fakes.tsx';

delete process.env.CI;
afterEach(() => cleanup());

const SIZE = { columns: 120, rows: 30 };

describe('App', () => {
  it('renders header, layer list with glyphs, detail and footer hints within the terminal size', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={SIZE} header={{ server: 'https://127.0.0.1:6443' }} />);
    await t.ready();
    const f = t.frame();
    expect(f).toContain('ctx netpath-lab');
    expect(f).toContain('https://127.0.0.1:6443');
    expect(f).toContain('target shop.netpath.test');
    expect(f).toContain('● live');
    expect(f).toContain('✗ FAIL at endpoints');
    expect(f).toMatch(/✗ Endpoints\s+0 of 3 endpoints/);
    expect(f).toContain('shop-gw.netpath.test');
    expect(f).toContain('Checks (1)');
    expect(f).toMatch(/j move .*Enter detail/);
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(SIZE.rows);
    expect(lines.every((l) => l.length <= SIZE.columns)).toBe(true);
  });
});

describe('navigation', () => {
  it('j/k move the selection and the detail follows; Enter focuses the detail; Esc goes back', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={SIZE} />);
    await t.ready();
    expect(t.frame()).toMatch(/▸ ✓ DNS/);
    await t.press('j');
    expect(t.frame()).toMatch(/▸ ✓ Load balancer/);
    expect(t.frame()).toContain('loadbalancer.check');
    await t.press(KEYS.down);
    await t.press(KEYS.down);
    await t.press(KEYS.down);
    expect(t.frame()).toMatch(/▸ ✗ Endpoints/);
    expect(t.frame()).toContain('endpoints.check  endpoints says fail');
    await t.press('k');
    expect(t.frame()).toMatch(/▸ ✓ Service/);
  });
});

describe('rows', () => {
  it('blank rows keep their line, so a pane shows exactly its height of rows', async () => {
    const store = new FakeStore();
    const t = mount(<App store={store} size={{ columns: 120, rows: 30 }} />);
    await t.ready();
    const lines = t.frame().split('\n');
    const i = lines.findIndex((l) => l.includes('path shop.netpath.test/ via ingress'));
    // the detail: header, path, a blank row, Objects, the object, a blank row, Checks
    expect(lines[i + 1]).toMatch(/││\s+│$/);
    expect(lines[i + 2]).toContain('Objects');
    expect(lines[i + 5]).toContain('Checks (1)');
  });
});

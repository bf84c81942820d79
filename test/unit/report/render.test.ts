import * as yaml from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryReader } from '../../../src/kube/memory.ts';
import { diagnose } from '../../../src/path/diagnose.ts';
import type { Report } from '../../../src/path/model.ts';
import { parseTarget } from '../../../src/path/target.ts';
import { cell, code, renderMarkdown } from '../../../src/report/markdown.ts';
import { render, renderJson, renderText, renderYaml } from '../../../src/report/index.ts';
import { app, event, ingress, ingressNginx, rule } from '../path/fixtures.ts';

const EVIL = 'web\x1b[2J\x1b]0;owned\x07\x1b]52;c;ZXZpbA==\x07\u202Egnp\r\b';
let failing: Report;
let healthy: Report;
let hostile: Report;

beforeAll(async () => {
  const objs = [...ingressNginx(), ...app('shop', { selector: { app: 'web-v2' } }), ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 80]])] }, { status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } })];
  failing = await diagnose(new MemoryReader(objs), { target: parseTarget('shop.example.com'), namespace: 'shop', probe: false, probeSkipped: 'probes disabled (--no-probe)', context: 'lab' });
  failing.api = { requests: 17, roundTrips: 4, ms: 80 };
  const bad = [...ingressNginx(), ...app('shop', { ready: false }), event('shop', 'web-0', 'Unhealthy', `Readiness probe failed: ${EVIL}`), ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 80]])] })];
  hostile = await diagnose(new MemoryReader(bad), { target: parseTarget('shop.example.com'), namespace: 'shop', probe: false });
  const ok = [...ingressNginx(), ...app('shop'), ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 80]]), rule('b.example.com', [['/', 'Prefix', 'web', 80]])] })];
  healthy = await diagnose(new MemoryReader(ok), { target: parseTarget('svc/web'), namespace: 'shop', probe: false });
  healthy.probes = {
    dns: [{ resolver: 'system', name: 'shop.example.com', chain: [{ name: 'shop.example.com', type: 'A', value: '203.0.113.10', ttl: 30 }], addresses: ['203.0.113.10'], ms: 4 }],
    tcp: [{ address: '203.0.113.10', port: 80, ok: true, ms: 2 }],
    http: [{ url: 'http://shop.example.com/', address: '203.0.113.10', status: 200, dns: 4, connect: 6, firstByte: 20, total: 21 }],
  };
});

function assertClean(s: string) {
  expect(s).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  expect(s).not.toMatch(/[\u202a-\u202e\u2066-\u2069]/);
}

describe('text', () => {
  it('leads with the verdict and shows one block per layer', () => {
    const t = renderText(failing);
    const lines = t.split('\n');
    expect(lines[0]).toMatch(/^✗ FAIL {2}service: Service web selects app=/);
    expect(t).toMatch(/17 API requests in 4 round trips/);
    for (const id of ['dns', 'loadbalancer', 'ingress', 'service', 'endpoints', 'pods']) expect(t).toMatch(new RegExp(`^. ${id}`, 'm'));
    expect(t).toMatch(/✗ svc\.selector-no-pods/);
    expect(t).toMatch(/→ kubectl get pods -n shop --show-labels/);
  });

  it('strips escape sequences and BiDi controls from untrusted strings', () => {
    const t = renderText(hostile);
    expect(hostile.verdict.summary).toContain('\x1b');
    assertClean(t);
    expect(t).toMatch(/Readiness probe failed: webgnp/);
    assertClean(renderMarkdown(hostile));
    assertClean(renderYaml(hostile));
    expect(renderJson(hostile)).not.toMatch(/\\u001b|\\u0007|\\u202e|\\r|\\b/i);
  });

  it('colours only when asked', () => {
    expect(renderText(failing)).not.toMatch(/\x1b\[/);
    const c = renderText(failing, { color: true });
    expect(c).toMatch(/\x1b\[31m/);
    // the only escapes are ours: SGR sequences
    expect(c.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/\x1b/);
  });

  it('lists the other paths and the probe timings', () => {
    const t = renderText(healthy);
    expect(t).toMatch(/other paths \(1\)/);
    expect(t).toMatch(/http {2}http:\/\/shop\.example\.com\/ via 203\.0\.113\.10: HTTP 200 {2}dns 4 · connect 6 · tls - · first byte 20 · total 21 ms/);
    expect(t).toMatch(/dns {3}system/);
  });
});

describe('markdown', () => {
  it('writes an incident report: verdict, layer table, findings, timings, next steps', () => {
    const m = renderMarkdown(failing);
    expect(m).toMatch(/^# kubectl netpath: shop\.example\.com/);
    expect(m).toMatch(/\*\*Verdict: ❌ FAIL — service layer\.\*\*/);
    expect(m).toMatch(/\| Layer \| Status \| Summary \|/);
    expect(m).toMatch(/### ❌ service: `svc\.selector-no-pods`/);
    expect(m).toMatch(/## Next steps\n\n1\. `kubectl get pods -n shop --show-labels`/);
    expect(m).toMatch(/## Probe timings\n\nNo workstation probes ran/);
    const h = renderMarkdown(healthy);
    expect(h).toMatch(/\| http:\/\/shop\.example\.com\/ \| 203\.0\.113\.10 \| HTTP 200 \| 4 \| 6 \| – \| 20 \| 21 \|/);
    expect(h).toMatch(/## Other paths/);
  });

  it('escapes table cells and code spans', () => {
    expect(cell('a|b\nc<script>')).toBe('a\\|b c&lt;script&gt;');
    expect(code('kubectl get x -o jsonpath=`{.a}`')).toBe('`` kubectl get x -o jsonpath=`{.a}` ``');
    expect(code('plain')).toBe('`plain`');
  });
});

describe('json and yaml', () => {
  it('serialise the Report with the documented top-level fields', () => {
    const j = JSON.parse(renderJson(failing));
    expect(Object.keys(j)).toEqual(expect.arrayContaining(['target', 'verdict', 'layers', 'probes', 'paths', 'generatedAt']));
    expect(j.verdict).toEqual({ status: 'fail', layer: 'service', summary: expect.any(String) });
    expect(j.layers.map((l: any) => l.id)).toEqual(['dns', 'loadbalancer', 'ingress', 'service', 'endpoints', 'pods']);
    for (const l of j.layers) for (const c of l.checks) expect(Object.keys(c)).toEqual(expect.arrayContaining(['id', 'status', 'message', 'evidence']));
    expect(j.paths[0].layers).toHaveLength(6);
    const y = yaml.load(renderYaml(failing));
    expect(y).toEqual(j);
    expect(render(failing, 'json')).toBe(renderJson(failing));
  });
});

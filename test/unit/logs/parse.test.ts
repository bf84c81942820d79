import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inScope, parseLogLine, parseUpstreamInfo, statusClass, upstreamHost, upstreamPods } from '../../../src/logs/parse.ts';
import { sanitize } from '../../../src/text/sanitize.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const LOGS = join(ROOT, '..', 'shared', 'fixtures', 'logs');
const have = existsSync(LOGS);
if (!have) console.warn(`[skip] log parser fixture tests: ${LOGS} is absent (../shared not mounted)`);
const lines = (rel: string) => readFileSync(join(LOGS, rel), 'utf8').split('\n').filter((l) => l.trim());

describe.skipIf(!have)('log parsers on real samples', () => {
  it('parses every ingress-nginx upstreaminfo line of the filebeat samples', () => {
    const all = lines('ingress-nginx/access-upstreaminfo-filebeat-test.log');
    expect(all.length).toBeGreaterThan(20);
    for (const l of all) {
      const p = parseLogLine(sanitize(l));
      expect(p.format, l).toBe('nginx-upstreaminfo');
      expect(p.status, l).toBeGreaterThanOrEqual(200);
      expect(p.method, l).toMatch(/^[A-Za-z]+$/);
      expect(p.path, l).toMatch(/^\//);
    }
    const first = parseLogLine(all[0]!);
    expect(first).toMatchObject({ status: 200, statusClass: '2xx', method: 'POST', path: '/products', upstreamName: 'default-web-8080', upstream: '172.17.0.5:8080', latencyMs: 1 });
    // 400 without an upstream: `[] [] - - - -`
    const bad = parseLogLine(all.find((l) => l.includes('"PATCHp'))!);
    expect(bad).toMatchObject({ status: 400, statusClass: '4xx' });
    expect(bad.upstream).toBeUndefined();
    expect(bad.upstreamName).toBeUndefined();
    // retries: two upstreams, IPv6 and unix sockets
    const retry = parseLogLine(all.find((l) => l.startsWith('192.168.64.14') && l.includes('0.100, 0.004'))!);
    expect(retry.upstream).toBe('172.17.0.6:8080, 172.17.0.7:8080');
    const v6 = parseLogLine(all.find((l) => l.includes('" 502 '))!);
    expect(v6).toMatchObject({ status: 502, statusClass: '5xx', upstream: '[2a02:cf40::7]:5000, [2a02:cf40::4e36]:5000' });
    expect(parseLogLine(all.find((l) => l.includes('unix:/'))!).upstream).toBe('unix:/var/run/php-fpm.sock');
  });

  it('parses the legacy, alternative-upstream and 503 no-endpoint shapes, klog and nginx error lines', () => {
    const all = lines('ingress-nginx/access-and-klog-samples-datadog-pipeline-tests.log');
    const parsed = all.map((l) => parseLogLine(sanitize(l)));
    const access = parsed.filter((p) => p.format === 'nginx-upstreaminfo');
    expect(access.length).toBe(all.filter((l) => l.includes('" 200 ') || l.includes('" 503 ')).length);
    expect(access[0]).toMatchObject({ method: 'GET', path: '/datadoghq/company?test=var1%20Pl', status: 200, upstreamName: 'proxyname-8080', upstream: '172.17.0.1:9000', latencyMs: 11 });
    const noEndpoints = access.find((p) => p.status === 503)!;
    expect(noEndpoints).toMatchObject({ statusClass: '5xx', upstreamName: 'proxyname-8080' });
    expect(noEndpoints.upstream).toBeUndefined();
    const errors = parsed.filter((p) => p.format === 'nginx-error');
    expect(errors.map((e) => e.level)).toEqual(['error', 'info']);
    expect(errors[0]).toMatchObject({ method: 'HEAD', host: '174.138.82.103' });
    expect(errors[0]!.message).toMatch(/is not found/);
    const klog = parsed.find((p) => p.message?.includes('Initial sync'))!;
    expect(klog).toMatchObject({ format: 'generic', level: 'info' });
  });

  it('parses generic nginx error lines', () => {
    const all = lines('nginx-generic/nginx-error-filebeat-test.log').filter((l) => /^\d{4}\//.test(l));
    for (const l of all) expect(parseLogLine(l).format).toBe('nginx-error');
    expect(parseLogLine(all[0]!)).toMatchObject({ level: 'error', method: 'GET', path: '/favicon.ico', host: 'localhost' });
  });

  it('parses the Envoy Gateway JSON access log sample', () => {
    const md = readFileSync(join(LOGS, 'envoy/envoy-gateway-troubleshooting-configuration.md'), 'utf8');
    const block = /```console\n(\{[\s\S]*?"start_time"[\s\S]*?\n\})\n```/.exec(md)![1]!;
    const line = JSON.stringify(JSON.parse(block)); // as Envoy prints it: one line
    const p = parseLogLine(line);
    expect(p).toMatchObject({ format: 'envoy-json', method: 'GET', path: '/get', host: 'www.example.com', status: 500, statusClass: '5xx', latencyMs: 0 });
    expect(p.message).toContain('direct_response');
    expect(p.upstream).toBeUndefined();
  });

  it('falls back to CLF for Traefik lines and never throws on broken ones', () => {
    const all = lines('traefik/traefik-clf-access-filebeat-test.log');
    const p = all.map((l) => parseLogLine(l));
    expect(p[0]).toMatchObject({ format: 'generic', method: 'GET', status: 304 });
    expect(p.every((x) => x.format === 'generic')).toBe(true);
  });
});

describe('log parser helpers', () => {
  it('classifies statuses', () => {
    expect([statusClass(101), statusClass(204), statusClass(302), statusClass(404), statusClass(599)]).toEqual(['1xx', '2xx', '3xx', '4xx', '5xx']);
    expect(statusClass(0)).toBeUndefined();
    expect(statusClass(600)).toBeUndefined();
  });

  it('maps upstream addresses to pods', () => {
    const m = new Map([['10.0.0.1', 'web-a'], ['fd00::7', 'web-v6']]);
    expect(upstreamHost('[fd00::7]:80')).toBe('fd00::7');
    expect(upstreamPods('10.0.0.1:8080', m)).toBe('web-a');
    expect(upstreamPods('10.0.0.2:8080, [fd00::7]:80', m)).toBe('10.0.0.2:8080, web-v6');
    expect(upstreamPods('10.0.0.2:8080', m)).toBeUndefined();
    expect(upstreamPods(undefined, m)).toBeUndefined();
  });

  it('scopes lines to the path by host, upstream name or endpoint address', () => {
    const scope = { hosts: ['*.shop.test', 'api.test'], upstreamPrefixes: ['shop-web-'], addresses: new Set(['10.0.0.1']) };
    expect(inScope({ format: 'envoy-json', host: 'API.test' }, scope)).toBe(true);
    expect(inScope({ format: 'envoy-json', host: 'a.shop.test' }, scope)).toBe(true);
    expect(inScope({ format: 'envoy-json', host: 'a.b.shop.test' }, scope)).toBe(false);
    expect(inScope({ format: 'nginx-upstreaminfo', upstreamName: 'shop-web-80' }, scope)).toBe(true);
    expect(inScope({ format: 'nginx-upstreaminfo', upstreamName: 'shop-webx-80' }, scope)).toBe(false);
    expect(inScope({ format: 'nginx-error', upstream: '10.0.0.1:8080' }, scope)).toBe(true);
    expect(inScope({ format: 'generic', level: 'error' }, scope)).toBe(true);
    expect(inScope({ format: 'nginx-upstreaminfo', upstreamName: 'other-80' }, undefined)).toBe(true);
  });

  it('does not take a non-access line for an access line', () => {
    expect(parseUpstreamInfo('hello world')).toBeUndefined();
    expect(parseLogLine('{"not":"json"').format).toBe('generic');
    expect(parseLogLine('level=warn msg=x').level).toBe('warn');
  });
});

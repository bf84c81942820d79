// Checks fed by workstation probe results: DNS answers vs the published address, TCP, the HTTP answer, the served certificate.
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPath } from '../../../src/checks/index.ts';
import { MemoryReader } from '../../../src/kube/memory.ts';
import type { PathFacts } from '../../../src/path/facts.ts';
import { Fetcher } from '../../../src/path/fetch.ts';
import type { DnsAnswer, Path, Probes } from '../../../src/path/model.ts';
import { verdictOf } from '../../../src/path/model.ts';
import { resolve } from '../../../src/path/resolve.ts';
import { parseTarget } from '../../../src/path/target.ts';
import { app, ingress, ingressNginx, rule } from '../path/fixtures.ts';

let facts: PathFacts;
beforeAll(async () => {
  const objs = [
    ...ingressNginx({ lbIp: '203.0.113.10' }),
    ...app('shop'),
    ingress('web', 'shop', { ingressClassName: 'nginx', rules: [rule('shop.example.com', [['/', 'Prefix', 'web', 80]])] }, { metadata: { name: 'web', annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '2' } } as any, status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } }),
  ];
  const r = await resolve(parseTarget('shop.example.com'), new Fetcher(new MemoryReader(objs)), { namespace: 'shop' });
  facts = r.paths[0]!;
});

const a = (resolver: string, addresses: string[], ttl = 30, error?: string): DnsAnswer => ({
  resolver,
  name: 'shop.example.com',
  chain: addresses.map((v) => ({ name: 'shop.example.com', type: 'A' as const, value: v, ttl })),
  addresses,
  ms: 3,
  ...(error ? { error } : {}),
});
const probes = (p: Partial<Probes>): Probes => ({ dns: [], tcp: [{ address: '203.0.113.10', port: 80, ok: true, ms: 1 }], http: [{ url: 'http://shop.example.com/', address: '203.0.113.10', status: 200, connect: 1, firstByte: 5, total: 6 }], ...p });
const run = (p: Probes): Path => checkPath(facts, p, { now: Date.now() });
const check = (p: Path, id: string) => p.layers.flatMap((l) => l.checks).find((c) => c.id === id);

describe('DNS checks', () => {
  it('pass when every resolver answers the published address with a short TTL', () => {
    const p = run(probes({ dns: [a('system', ['203.0.113.10']), a('1.1.1.1', ['203.0.113.10'])] }));
    expect(check(p, 'dns.resolves')?.status).toBe('ok');
    expect(check(p, 'dns.stale-answer')?.status).toBe('ok');
    expect(check(p, 'dns.resolvers-disagree')?.status).toBe('ok');
    expect(check(p, 'dns.ttl-long')?.status).toBe('ok');
    expect(verdictOf(p.layers)).toMatchObject({ status: 'warn', layer: null }); // warn: the 2 s proxy-read-timeout
  });

  it('fail on a stale answer and name the resolver that gives it', () => {
    const p = run(probes({ dns: [a('system', ['203.0.113.10']), a('10.0.0.53:53', ['203.0.113.250'], 3600)] }));
    expect(check(p, 'dns.stale-answer')).toMatchObject({ status: 'fail', message: expect.stringMatching(/^10\.0\.0\.53:53 answers 203\.0\.113\.250 .* publishes 203\.0\.113\.10/) });
    expect(check(p, 'dns.resolvers-disagree')?.status).toBe('warn');
    expect(check(p, 'dns.ttl-long')).toMatchObject({ status: 'warn', message: expect.stringMatching(/TTL 3600 s/) });
    expect(verdictOf(p.layers).layer).toBe('dns');
  });

  it('fail on NXDOMAIN everywhere, warn when only some resolvers answer, unknown when none can be asked', () => {
    expect(check(run(probes({ dns: [a('system', [], 0, 'ENOTFOUND (NXDOMAIN: no such name)')] })), 'dns.resolves')?.status).toBe('fail');
    expect(check(run(probes({ dns: [a('system', [], 0, 'ENOTFOUND (NXDOMAIN)'), a('1.1.1.1', ['203.0.113.10'])] })), 'dns.resolves')?.status).toBe('warn');
    expect(check(run(probes({ dns: [a('1.1.1.1', [], 0, 'ETIMEOUT (the resolver did not answer)')] })), 'dns.resolves')?.status).toBe('unknown');
  });

  it('match a cloud load balancer hostname through the CNAME chain', () => {
    const f = { ...facts, lb: { ...facts.lb, published: ['a1b2.elb.amazonaws.com'], service: undefined } } as PathFacts;
    const ans: DnsAnswer = { resolver: 'system', name: 'shop.example.com', chain: [{ name: 'shop.example.com', type: 'CNAME', value: 'a1b2.elb.amazonaws.com', ttl: 60 }, { name: 'a1b2.elb.amazonaws.com', type: 'A', value: '52.1.1.1', ttl: 60 }], addresses: ['52.1.1.1'], ms: 5 };
    expect(check(checkPath(f, probes({ dns: [ans] })), 'dns.stale-answer')?.status).toBe('ok');
  });
});

describe('TCP and HTTP checks', () => {
  it('fail the load balancer when nothing accepts the connection', () => {
    const p = run(probes({ dns: [a('system', ['203.0.113.10'])], tcp: [{ address: '203.0.113.10', port: 80, ok: false, error: 'ECONNREFUSED' }], http: [{ url: 'http://shop.example.com/', address: '203.0.113.10', error: 'ECONNREFUSED' }] }));
    expect(check(p, 'lb.tcp-connect')).toMatchObject({ status: 'fail', message: expect.stringMatching(/ECONNREFUSED/) });
    expect(check(p, 'pod.http-response')?.status).toBe('unknown');
    expect(verdictOf(p.layers).layer).toBe('loadbalancer');
  });

  it('blame the pods for a 504 after the proxy-read-timeout when the API shows nothing wrong', () => {
    const p = run(probes({ dns: [a('system', ['203.0.113.10'])], http: [{ url: 'http://shop.example.com/', address: '203.0.113.10', status: 504, connect: 1, firstByte: 2004, total: 2005 }] }));
    expect(check(p, 'pod.http-response')).toMatchObject({ status: 'fail', message: expect.stringMatching(/504 Gateway Time-out after 2005 ms \(proxy-read-timeout 2 s\)/) });
    expect(check(p, 'ing.timeouts')?.status).toBe('warn');
    expect(verdictOf(p.layers).layer).toBe('pods');
  });

  it('treats 4xx as a warning and 2xx as ok', () => {
    expect(check(run(probes({ http: [{ url: 'http://shop.example.com/', address: '203.0.113.10', status: 404, total: 3 }] })), 'pod.http-response')?.status).toBe('warn');
    expect(check(run(probes({})), 'pod.http-response')?.status).toBe('ok');
  });
});

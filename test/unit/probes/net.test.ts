// Workstation probes against local servers: TCP, HTTP and HTTPS timings, the served certificate, timeouts.
import { createServer as createHttps } from 'node:https';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCA, issue } from '../../../src/lab/pki.ts';
import { probeHttp, probeTcp } from '../../../src/probes/net.ts';

const servers: Server[] = [];
let httpsPort = 0;
let httpPort = 0;
let hangPort = 0;

beforeAll(async () => {
  const ca = await createCA();
  const leaf = await issue({ commonName: 'shop.example.com', dnsNames: ['shop.example.com'], issuer: ca });
  const https = createHttps({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, (req, res) => {
    if (req.url === '/slow') return setTimeout(() => res.writeHead(504).end('timeout'), 150);
    res.writeHead(req.headers.host === `shop.example.com:${httpsPort}` ? 200 : 404).end('ok');
  });
  const http = createHttp((req, res) => res.writeHead(req.url === '/missing' ? 404 : 503).end('x'));
  const hang = createHttp(() => {
    /* never answers */
  });
  for (const s of [https, http, hang]) {
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    servers.push(s as Server);
  }
  httpsPort = (https.address() as AddressInfo).port;
  httpPort = (http.address() as AddressInfo).port;
  hangPort = (hang.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections?.();
    await new Promise((r) => s.close(r));
  }
});

describe('probeTcp', () => {
  it('connects, or reports the real error', async () => {
    expect(await probeTcp('127.0.0.1', httpPort, 1000)).toMatchObject({ ok: true, address: '127.0.0.1', port: httpPort });
    const tcp = createTcp();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const closed = (tcp.address() as AddressInfo).port;
    await new Promise((r) => tcp.close(r));
    expect(await probeTcp('127.0.0.1', closed, 1000)).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('probeHttp', () => {
  it('times an HTTPS request through an address with the host as SNI and Host, and captures the certificate chain', async () => {
    const t = await probeHttp({ url: `https://shop.example.com:${httpsPort}/`, address: '127.0.0.1', timeoutMs: 2000, dnsMs: 3 });
    expect(t).toMatchObject({ status: 200, address: '127.0.0.1', dns: 3 });
    expect(t.connect).toBeGreaterThanOrEqual(3);
    expect(t.tls!).toBeGreaterThanOrEqual(t.connect!);
    expect(t.firstByte!).toBeGreaterThanOrEqual(t.tls!);
    expect(t.total!).toBeGreaterThanOrEqual(t.firstByte!);
    expect(t.certificate).toMatchObject({ subject: 'CN=shop.example.com', sans: ['shop.example.com'] });
    expect(t.certificateChain?.map((c) => c.subject)).toEqual(['CN=shop.example.com', 'CN=netpath-lab-ca, O=kubectl-netpath lab']);
  });

  it('reports HTTP status codes', async () => {
    expect((await probeHttp({ url: `http://shop.example.com:${httpPort}/`, address: '127.0.0.1', timeoutMs: 2000 })).status).toBe(503);
    expect((await probeHttp({ url: `http://shop.example.com:${httpPort}/missing`, address: '127.0.0.1', timeoutMs: 2000 })).status).toBe(404);
  });

  it('reports refusals and timeouts as errors, never throws', async () => {
    const refused = await probeHttp({ url: 'http://shop.example.com:1/', address: '127.0.0.1', timeoutMs: 1000 });
    expect(refused).toMatchObject({ error: expect.stringMatching(/ECONNREFUSED/) });
    expect(refused.status).toBeUndefined();
    const hung = await probeHttp({ url: `http://shop.example.com:${hangPort}/`, address: '127.0.0.1', timeoutMs: 200 });
    expect(hung.error).toMatch(/timeout/);
    expect(hung.total!).toBeGreaterThanOrEqual(190);
  });
});

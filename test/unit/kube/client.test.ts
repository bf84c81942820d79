// KubeClient against tiny HTTP and HTTPS API servers: error mapping, pagination, request counting and round trips,
// connection set-up (one connection ahead of the first round trip, TLS sessions resumed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.ts';
import { ConfigError, ForbiddenError, NotInstalledError, UnauthorizedError, UnreachableError } from '../../../src/kube/errors.ts';
import { R } from '../../../src/kube/resources.ts';
import { createCA, issue } from '../../../src/lab/pki.ts';

let server: Server;
let url = '';
const seen: { url: string; auth?: string; groups?: string | string[] }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url!, auth: req.headers.authorization, groups: req.headers['impersonate-group'] });
    const send = (code: number, body: unknown, delay = 0) => setTimeout(() => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body)), delay);
    const u = new URL(req.url!, 'http://x');
    if (req.headers.authorization !== 'Bearer good') return send(401, { kind: 'Status', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    if (u.pathname === '/api/v1/namespaces/shop/services/web') return send(200, { kind: 'Service', apiVersion: 'v1', metadata: { name: 'web', namespace: 'shop' } }, 20);
    if (u.pathname === '/api/v1/namespaces/shop/services/nope') return send(404, { kind: 'Status', message: 'services "nope" not found', reason: 'NotFound', code: 404 });
    if (u.pathname === '/api/v1/namespaces/shop/secrets') return send(403, { kind: 'Status', message: 'secrets is forbidden: User "dev" cannot list resource "secrets" in API group "" in the namespace "shop"', reason: 'Forbidden', code: 403 });
    if (u.pathname === '/apis/gateway.networking.k8s.io/v1/httproutes') return send(404, { kind: 'Status', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 });
    if (u.pathname === '/api/v1/pods') {
      const page = u.searchParams.get('continue');
      return send(200, { kind: 'PodList', metadata: page ? {} : { continue: 'p2' }, items: [{ metadata: { name: page ? 'b' : 'a', namespace: 'x' } }] }, 10);
    }
    return send(500, { kind: 'Status', message: 'boom', code: 500 });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (token = 'good') => KubeClient.create({ server: url, token, namespace: 'shop', asGroups: ['g1', 'g2'] }, { HOME: '/nonexistent' });

describe('KubeClient', () => {
  it('gets objects and answers undefined on 404', async () => {
    const c = client();
    expect((await c.get(R.services, 'web'))?.metadata.name).toBe('web');
    expect(await c.get(R.services, 'nope')).toBeUndefined();
    expect(seen.at(-1)?.groups).toEqual('g1, g2');
    await c.close();
  });

  it('maps 401, 403 (with the Status message) and an unserved type', async () => {
    await expect(client('bad').get(R.services, 'web')).rejects.toBeInstanceOf(UnauthorizedError);
    const c = client();
    const forbidden = await c.list(R.secrets, { namespace: 'shop' }).catch((e) => e);
    expect(forbidden).toBeInstanceOf(ForbiddenError);
    expect(forbidden.message).toMatch(/cannot list resource "secrets"/);
    await expect(c.list(R.httproutes)).rejects.toBeInstanceOf(NotInstalledError);
    await c.close();
  });

  it('follows list pagination', async () => {
    const c = client();
    expect((await c.list(R.pods)).map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(c.stats.requests).toBe(2);
    expect(c.stats.roundTrips).toBe(2);
    await c.close();
  });

  it('counts parallel requests as one round trip and dependent ones as the next', async () => {
    const c = client();
    await Promise.all([c.get(R.services, 'web'), c.get(R.services, 'web'), c.get(R.services, 'nope')]);
    expect(c.stats).toMatchObject({ requests: 3, roundTrips: 1 });
    await c.get(R.services, 'web');
    expect(c.stats).toMatchObject({ requests: 4, roundTrips: 2 });
    await c.close();
  });

  it('maps a refused connection to Unreachable', async () => {
    const c = KubeClient.create({ server: 'https://127.0.0.1:1', token: 't' }, { HOME: '/nonexistent' });
    const e = await c.get(R.services, 'web', 'shop').catch((x) => x);
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toMatch(/ECONNREFUSED/);
    await c.close();
  });

  it('times out with --request-timeout', async () => {
    const c = KubeClient.create({ server: url, token: 'good', requestTimeoutMs: 5 }, { HOME: '/nonexistent' });
    const e = await c.get(R.services, 'web', 'shop').catch((x) => x);
    expect(e).toBeInstanceOf(UnreachableError);
    expect(e.message).toMatch(/timeout/);
    await c.close();
  });
});

// HTTPS: the first round trip's parallel requests share what the first connection set up (src/kube/client.ts).
describe('KubeClient over TLS', () => {
  let tlsServer: HttpsServer;
  let tlsUrl = '';
  let caPem = '';
  const handshakes: { resumed: boolean }[] = [];

  beforeAll(async () => {
    const ca = await createCA('netpath-test-ca');
    const serving = await issue({ commonName: 'test-apiserver', ipAddresses: ['127.0.0.1'], issuer: ca });
    caPem = ca.certPem;
    tlsServer = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'PodList', metadata: {}, items: [] })), 20);
    });
    tlsServer.on('secureConnection', (s) => handshakes.push({ resumed: s.isSessionReused() }));
    await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
    tlsUrl = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => tlsServer.close(() => r())));

  it('opens one connection first; the parallel first requests resume its TLS session', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpath-client-'));
    writeFileSync(join(dir, 'ca.crt'), caPem);
    const c = KubeClient.create({ server: tlsUrl, token: 't', certificateAuthority: join(dir, 'ca.crt') }, { HOME: '/nonexistent' });
    handshakes.length = 0;
    c.connect();
    const lists = await Promise.all(Array.from({ length: 6 }, (_, i) => c.list(R.pods, { namespace: `ns${i}` })));
    expect(lists.every((l) => Array.isArray(l) && l.length === 0)).toBe(true);
    expect(c.stats).toMatchObject({ requests: 6, roundTrips: 1 });
    // one full handshake (the connection opened ahead), every other connection resumed
    expect(handshakes.length).toBeGreaterThanOrEqual(1);
    expect(handshakes.filter((h) => !h.resumed)).toHaveLength(1);
    expect(handshakes[0]!.resumed).toBe(false);
    await c.close();
  });

  it('says which TLS material it cannot use, as a configuration error', async () => {
    // a client certificate with another key: no connection can use it
    const dir = mkdtempSync(join(tmpdir(), 'netpath-client-'));
    const [one, other] = await Promise.all([issue({ commonName: 'one' }), issue({ commonName: 'other' })]);
    writeFileSync(join(dir, 'client.crt'), one.certPem);
    writeFileSync(join(dir, 'client.key'), other.keyPem);
    const c = KubeClient.create({ server: tlsUrl, insecureSkipTlsVerify: true, clientCertificate: join(dir, 'client.crt'), clientKey: join(dir, 'client.key') }, { HOME: '/nonexistent' });
    const e = await c.list(R.pods).catch((x) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/cannot use the TLS material of cluster/);
    await c.close();
  });

  it('closes the connection opened ahead when no request took it', async () => {
    const c = KubeClient.create({ server: tlsUrl, token: 't', insecureSkipTlsVerify: true }, { HOME: '/nonexistent' });
    handshakes.length = 0;
    c.connect();
    await eventuallyTrue(() => handshakes.length === 1);
    await c.close();
    // the server sees the socket end: no connection is left holding the process
    await eventuallyTrue(async () => (await new Promise<number>((r) => tlsServer.getConnections((_e, n) => r(n)))) === 0);
  });
});

// HTTP/2 (real API servers offer it, src/kube/transport.ts): every request a stream of one session.
describe('KubeClient over HTTP/2', () => {
  let h2: Http2SecureServer;
  let h2Url = '';
  let caFile = '';
  let sessions = 0;
  let streams = 0;
  const seenH2: { method: string; path: string; type?: string; body: string }[] = [];
  const resets: number[] = [];

  beforeAll(async () => {
    const ca = await createCA('netpath-test-ca');
    const serving = await issue({ commonName: 'test-apiserver', ipAddresses: ['127.0.0.1'], issuer: ca });
    h2 = createSecureServer({ cert: serving.certPem, key: serving.keyPem, allowHTTP1: false });
    h2.on('session', (s) => {
      sessions++;
      s.on('error', () => {});
    });
    h2.on('stream', (stream: ServerHttp2Stream, headers) => {
      streams++;
      const path = String(headers[':path']);
      let body = '';
      stream.on('data', (d) => (body += d));
      stream.on('close', () => resets.push(stream.rstCode));
      stream.on('error', () => {});
      stream.on('end', () => {
        seenH2.push({ method: String(headers[':method']), path, type: headers['content-type'], body });
        const json = (code: number, o: unknown) => stream.respond({ ':status': code, 'content-type': 'application/json' }) === undefined && stream.end(JSON.stringify(o));
        if (path.startsWith('/goaway')) {
          const session = stream.session!;
          json(200, { kind: 'Status', message: 'bye' });
          // the server ends the session after answering, as an API server does on shutdown or after its limit
          setTimeout(() => session.close(), 5);
        } else if (path.startsWith('/slow')) setTimeout(() => !stream.destroyed && json(200, {}), 2000);
        else if (path.startsWith('/watch')) {
          stream.respond({ ':status': 200, 'content-type': 'application/json' });
          const t = setInterval(() => !stream.destroyed && stream.write(JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'x' } } }) + '\n'), 20);
          stream.on('close', () => clearInterval(t));
        } else json(200, { kind: 'PodList', metadata: {}, items: [], echo: body });
      });
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    h2Url = `https://127.0.0.1:${(h2.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'netpath-client-'));
    caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, ca.certPem);
  });
  afterAll(() => new Promise<void>((r) => h2.close(() => r())));
  const h2client = (o: { requestTimeoutMs?: number } = {}) => KubeClient.create({ server: h2Url, token: 't', certificateAuthority: caFile, ...o }, { HOME: '/nonexistent' });

  it('keeps HTTP/2 multiplexing: the parallel first requests share the connection opened ahead', async () => {
    const c = h2client();
    sessions = streams = 0;
    try {
      const lists = await Promise.all(Array.from({ length: 6 }, (_, i) => c.list(R.pods, { namespace: `ns${i}` })));
      expect(lists.every((l) => l.length === 0)).toBe(true);
      expect(streams).toBe(6);
      expect(sessions).toBe(1);
    } finally {
      await c.close();
    }
  });

  it('sends a request body with its content type', async () => {
    const c = h2client();
    try {
      const r = await c.send('PATCH', '/api/v1/namespaces/ns/pods/p', { body: { metadata: { labels: { a: 'b' } } }, contentType: 'application/merge-patch+json' });
      expect(r.echo).toBe('{"metadata":{"labels":{"a":"b"}}}');
      expect(seenH2.at(-1)).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/ns/pods/p', type: 'application/merge-patch+json' });
    } finally {
      await c.close();
    }
  });

  it('replaces a session the server ended: the next request opens another', async () => {
    const c = h2client();
    sessions = 0;
    try {
      await c.send('GET', '/goaway');
      await new Promise((r) => setTimeout(r, 50));
      expect((await c.list(R.pods)).length).toBe(0);
      expect(sessions).toBe(2);
    } finally {
      await c.close();
    }
  });

  it('times out a request the server does not answer, and resets its stream', async () => {
    const c = h2client({ requestTimeoutMs: 100 });
    try {
      const e = await c.send('GET', '/slow').catch((x) => x);
      expect(e).toBeInstanceOf(UnreachableError);
      expect(e.message).toMatch(/did not answer in time/);
      // the session is still good for the next request
      expect((await c.list(R.pods)).length).toBe(0);
    } finally {
      await c.close();
    }
  });

  it('streams a body until the caller aborts, which cancels the stream on the server', async () => {
    const c = h2client({ requestTimeoutMs: 100 });
    resets.length = 0;
    try {
      const ac = new AbortController();
      const { body } = await c.open('GET', '/watch', { stream: true, signal: ac.signal });
      const lines: string[] = [];
      await expect(
        (async () => {
          // longer than the request timeout: a stream has none
          for await (const chunk of body) {
            lines.push(String(chunk));
            if (lines.length === 8) ac.abort();
          }
        })(),
      ).rejects.toThrow();
      expect(lines.length).toBeGreaterThanOrEqual(8);
      await eventuallyTrue(() => resets.includes(8)); // NGHTTP2_CANCEL
    } finally {
      await c.close();
    }
  });
});

async function eventuallyTrue(f: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

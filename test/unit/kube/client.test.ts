// KubeClient against a tiny HTTP API server: error mapping, pagination, request counting and round trips.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/client.ts';
import { ForbiddenError, NotInstalledError, UnauthorizedError, UnreachableError } from '../../../src/kube/errors.ts';
import { R } from '../../../src/kube/resources.ts';

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

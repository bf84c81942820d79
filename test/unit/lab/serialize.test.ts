import { createServer, get as httpGet, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clearJsonCache, objectJson, sendJsonList } from '../../../src/lab/apiserver/serialize.ts';

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  clearJsonCache();
});

function fetchList(items: object[], envelope: Record<string, unknown>): Promise<{ headers: Record<string, unknown>; body: string }> {
  server = createServer((_req, res) => {
    void sendJsonList(res, 200, envelope, items.map((o) => objectJson(o)));
  });
  return new Promise((resolve, reject) => {
    server!.listen(0, '127.0.0.1', () => {
      const { port } = server!.address() as AddressInfo;
      httpGet({ host: '127.0.0.1', port, path: '/' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
      }).on('error', reject);
    });
  });
}

describe('serialize', () => {
  it('caches the JSON of a stored object per version (identity)', () => {
    const a = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '5' }, data: { k: 'é' } };
    const s = objectJson(a);
    expect(s).toBe(JSON.stringify(a));
    expect(objectJson(a)).toBe(s);
    const b = { ...a, metadata: { ...a.metadata, resourceVersion: '6' } };
    expect(objectJson(b)).toBe(JSON.stringify(b));
  });

  it('sends a small list whole, with its length, exactly as JSON.stringify would', async () => {
    const items = [{ a: 1 }, { b: 'x' }];
    const envelope = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '9' } };
    const { headers, body } = await fetchList(items, envelope);
    expect(body).toBe(JSON.stringify({ ...envelope, items }));
    expect(headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it('streams a large list in pieces; the body is the same JSON', async () => {
    const items = Array.from({ length: 6000 }, (_, i) => ({ metadata: { name: `pod-${i}`, labels: { app: 'ü' } }, spec: { pad: 'x'.repeat(60) } }));
    const envelope = { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '10', continue: 'abc', remainingItemCount: 3 } };
    const { headers, body } = await fetchList(items, envelope);
    expect(headers['transfer-encoding']).toBe('chunked');
    expect(body).toBe(JSON.stringify({ ...envelope, items }));
    const empty = await (async () => {
      await new Promise<void>((r) => server!.close(() => r()));
      return fetchList([], { kind: 'PodList', apiVersion: 'v1', metadata: {} });
    })();
    expect(JSON.parse(empty.body)).toEqual({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [] });
  });
});

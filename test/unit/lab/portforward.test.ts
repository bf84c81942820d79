// pods/portforward over WebSocket as client-node's PortForward speaks it, against an in-process API server (no
// controllers, no data plane): the pod's "listener" is a plain HTTP server on a private loopback address.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { Lab } from '../../../src/lab/lab.ts';
import { parsePorts } from '../../../src/lab/apiserver/portforward.ts';

const POD_IP = '127.1.99.9';
let lab: Lab;
let server: http.Server;
let port = 0;
const clients: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    clients.push(req.socket.remoteAddress ?? '');
    res.end(`hello ${req.url}\n`);
  });
  await new Promise<void>((r) => server.listen(0, POD_IP, () => r()));
  port = (server.address() as AddressInfo).port;
  lab = await Lab.start({ dataplane: false, controllers: [] });
  lab.api.restoreObject({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', uid: 'u-1' },
    spec: { nodeName: 'lab-worker-1', containers: [{ name: 'c', image: 'app', ports: [{ containerPort: port }] }] },
    status: { phase: 'Running', podIP: POD_IP, hostIP: '127.0.1.1' },
  });
  lab.api.restoreObject({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', namespace: 'default', uid: 'u-2' },
    spec: { containers: [{ name: 'c', image: 'app' }] },
    status: { phase: 'Pending' },
  });
});

afterAll(async () => {
  await lab?.stop();
  await new Promise<void>((r) => server.close(() => r()));
});

function forward(pod: string, p: number) {
  const kc = new KubeConfig();
  kc.loadFromFile(lab.kubeconfig);
  const out = new PassThrough();
  const err = new PassThrough();
  const input = new PassThrough();
  const got = { out: '', err: '' };
  out.on('data', (d) => (got.out += d.toString()));
  err.on('data', (d) => (got.err += d.toString()));
  return { got, input, ws: new PortForward(kc).portForward('default', pod, [p], out, err, input) };
}

async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pods/portforward', () => {
  it('carries a request to the pod listener and the answer back, dialled from the node IP', async () => {
    const f = forward('web', port);
    const ws = await f.ws;
    f.input.write('GET /x HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n');
    await until(() => f.got.out.includes('hello /x'));
    expect(f.got.out).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(clients.at(-1)).toBe('127.0.1.1');
    (ws as { close(): void }).close();
  });

  it('a refused dial is reported on the error channel', async () => {
    const f = forward('web', 1);
    const ws = await f.ws;
    await until(() => f.got.err.includes('connection refused'));
    expect(f.got.err).toMatch(/^error forwarding port 1 to pod [0-9a-f-]+, uid : failed to execute portforward in network namespace: .*dial tcp4 127.0.0.1:1: connect: connection refused/);
    (ws as { close(): void }).close();
  });

  it('a pod that is not running is refused before the upgrade', async () => {
    await expect(forward('pending', 80).ws).rejects.toBeTruthy();
  });

  it('parses ports as the apiserver does', () => {
    expect(parsePorts(new URLSearchParams('ports=80&ports=443,8080'))).toEqual([80, 443, 8080]);
    expect(() => parsePorts(new URLSearchParams('ports=0'))).toThrow(/invalid port "0"/);
  });
});

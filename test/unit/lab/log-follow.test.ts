// `pods/log?follow=true` with a reader slower than the container: the lab keeps a bounded backlog per follower
// (the kubelet's 10 MiB containerLogMaxSize) and drops, counting them, the lines beyond it — over HTTP/1.1 (socket
// backpressure) and over HTTP/2 (the stream's flow-control window), as kubectl and undici speak it.
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { Lab } from '../../../src/lab/lab.ts';
import { FollowWriter, followStats } from '../../../src/lab/apiserver/logs.ts';
import type { KObject } from '../../../src/lab/types.ts';
import { eventually } from '../../e2e/harness.ts';

class FakeRes extends EventEmitter {
  written: string[] = [];
  full = false;
  destroyed = false;
  writableEnded = false;
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
}

describe('FollowWriter', () => {
  it('queues while the response does not drain, drops beyond the bound and counts, then flushes on drain', () => {
    const res = new FakeRes();
    const w = new FollowWriter(res, 100);
    const before = followStats.droppedLines;
    res.full = true;
    w.write('a'.repeat(10)); // written, but the buffer is now full
    expect(res.written).toHaveLength(1);
    for (let i = 0; i < 20; i++) w.write(`${String(i).padStart(9, '0')}\n`); // 10 bytes each: 10 fit in 100
    expect(res.written).toHaveLength(1);
    expect(w.pending).toBe(100);
    expect(w.dropped).toBe(10);
    expect(followStats.droppedLines - before).toBe(10);
    res.full = false;
    res.emit('drain');
    expect(res.written).toHaveLength(2);
    expect(res.written[1]!.split('\n').filter(Boolean)).toEqual(Array.from({ length: 10 }, (_, i) => String(i).padStart(9, '0')));
    expect(w.pending).toBe(0);
    w.write('next\n');
    expect(res.written.at(-1)).toBe('next\n');
  });
});

const HOUR_AGO = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
const POD: KObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'chatty', namespace: 'default', labels: { app: 'chatty' } },
  spec: { nodeName: 'lab-worker-1', containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/chatty:1.0' }] },
  status: {
    phase: 'Running',
    podIP: '127.1.1.77',
    hostIP: '127.0.1.1',
    startTime: HOUR_AGO,
    containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, image: 'x', imageID: 'x', containerID: `containerd://${'ab'.repeat(32)}`, state: { running: { startedAt: HOUR_AGO } } }],
  },
};

let lab: Lab;
beforeAll(async () => {
  lab = await Lab.start({ dataplane: false, objects: [POD] });
}, 30_000);
afterAll(async () => {
  await lab?.stop();
});

/** A followed log's response, paused: its status and the body stream (HTTP/1.1 response or HTTP/2 stream). */
async function openFollow(transport: 'HTTP/1.1' | 'HTTP/2', path: string): Promise<{ status: number; body: Readable; close: () => void }> {
  const u = new URL(lab.server);
  const headers = { authorization: `Bearer ${lab.token}` };
  if (transport === 'HTTP/2') {
    const session = http2.connect(lab.server, { ca: lab.ca.certPem });
    const stream = session.request({ ':path': path, ...headers });
    stream.pause();
    const status = await new Promise<number>((resolve, reject) => {
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
    });
    return { status, body: stream, close: () => session.destroy() };
  }
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = https.request({ host: u.hostname, port: u.port, path, ca: lab.ca.certPem, headers }, resolve);
    req.on('error', reject);
    req.end();
  });
  return { status: res.statusCode ?? 0, body: res, close: () => res.destroy() };
}

describe('a slow kubectl logs -f', () => {
  for (const transport of ['HTTP/1.1', 'HTTP/2'] as const)
    it(`does not make the lab buffer without bound; the follower gets the newest lines once it reads again (${transport})`, async () => {
      const pod = lab.store.get(lab.registry.type('', 'pods'), 'default', 'chatty')!;
      const log = lab.logs.current(pod.metadata.uid!, 'app');
      const streams = lab.api.streams.size;
      const res = await openFollow(transport, '/api/v1/namespaces/default/pods/chatty/log?follow=true&tailLines=0');
      expect(res.status).toBe(200);
      res.body.pause(); // the reader stops reading
      const before = followStats.droppedLines;
      const line = 'x'.repeat(200);
      const total = 250_000; // ~50 MB: far more than socket buffers or HTTP/2 windows plus the 10 MiB backlog
      for (let i = 0; i < total; i += 5000) {
        for (let j = i; j < i + 5000; j++) log.write(`${j} ${line}`);
        await new Promise((r) => setImmediate(r));
      }
      log.write('LAST');
      const dropped = followStats.droppedLines - before;
      expect(dropped).toBeGreaterThan(100_000);
      // what was neither dropped nor sent fits in the backlog bound (socket buffers hold the rest)
      const kept = (total - dropped) * (line.length + 8);
      expect(kept).toBeLessThan(10 * 1024 * 1024 + 16 * 1024 * 1024);
      // reading again: everything not dropped arrives, in order, ending with the newest line
      let text = '';
      res.body.setEncoding('utf8');
      res.body.on('data', (c: string) => (text += c));
      res.body.resume();
      await eventually(() => text.endsWith('LAST\n'), 20_000, 20);
      res.close();
      const got = text.split('\n').filter(Boolean);
      expect(got.length + dropped).toBe(total + 1);
      const nums = got.slice(0, -1).map((l) => Number(l.split(' ')[0]));
      expect(nums.every((n, i) => i === 0 || n > nums[i - 1]!)).toBe(true);
      // the client went away: the lab ends the follow
      await eventually(() => lab.api.streams.size === streams, 5000, 20);
    }, 60_000);
});

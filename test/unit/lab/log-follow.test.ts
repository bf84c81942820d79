// `pods/log?follow=true` with a reader slower than the container: the lab keeps a bounded backlog per follower
// (the kubelet's 10 MiB containerLogMaxSize) and drops, counting them, the lines beyond it.
import * as https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import { Lab } from '../../../src/lab/lab.ts';
import { FollowWriter, followStats } from '../../../src/lab/apiserver/logs.ts';
import type { KObject } from '../../../src/lab/types.ts';

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

describe('a slow kubectl logs -f', () => {
  it('does not make the lab buffer without bound; the follower gets the newest lines once it reads again', async () => {
    const pod = lab.store.get(lab.registry.type('', 'pods'), 'default', 'chatty')!;
    const log = lab.logs.current(pod.metadata.uid!, 'app');
    const u = new URL(lab.server);
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = https.request(
        { host: u.hostname, port: u.port, path: '/api/v1/namespaces/default/pods/chatty/log?follow=true&tailLines=0', ca: lab.ca.certPem, headers: { authorization: `Bearer ${lab.token}` } },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(200);
    res.pause(); // the reader stops reading
    const before = followStats.droppedLines;
    const line = 'x'.repeat(200);
    const total = 250_000; // ~50 MB: far more than socket buffers plus the 10 MiB backlog
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
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.resume();
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (text.endsWith('LAST\n')) {
          clearInterval(t);
          resolve();
        }
      }, 20);
      setTimeout(() => {
        clearInterval(t);
        reject(new Error(`LAST never arrived (got ${text.length} bytes)`));
      }, 20_000);
    });
    res.destroy();
    const got = text.split('\n').filter(Boolean);
    expect(got.length + dropped).toBe(total + 1);
    const nums = got.slice(0, -1).map((l) => Number(l.split(' ')[0]));
    expect(nums.every((n, i) => i === 0 || n > nums[i - 1]!)).toBe(true);
  }, 60_000);
});

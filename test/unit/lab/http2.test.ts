// The lab's API server speaks HTTP/2 beside HTTP/1.1, as kube-apiserver does: ALPN picks h2 for clients that offer
// it (kubectl, undici), HTTP/1.1 for the rest (WebSocket upgrades, clients without ALPN); lists stream in pieces,
// and a watch ends on the server when the client cancels its stream. (Followed logs over both: log-follow.test.ts.)
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../../src/lab/lab.ts';
import type { KObject } from '../../../src/lab/types.ts';
import { eventually } from '../../e2e/harness.ts';

let lab: Lab;
let session: http2.ClientHttp2Session;
const NS = 'h2';
const HOUR_AGO = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
const POD: KObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'talker', namespace: NS, labels: { app: 'talker' } },
  spec: { nodeName: 'lab-worker-1', containers: [{ name: 'app', image: 'ghcr.io/netpath-lab/talker:1.0' }] },
  status: {
    phase: 'Running',
    podIP: '127.1.1.78',
    hostIP: '127.0.1.1',
    startTime: HOUR_AGO,
    containerStatuses: [{ name: 'app', ready: true, started: true, restartCount: 0, image: 'x', imageID: 'x', containerID: `containerd://${'cd'.repeat(32)}`, state: { running: { startedAt: HOUR_AGO } } }],
  },
};
// enough ConfigMaps that their list is sent in several pieces (256 KiB each)
const CONFIGMAPS = Array.from({ length: 600 }, (_, i): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: `cm-${i}`, namespace: NS },
  data: { blob: 'x'.repeat(1024) },
}));

beforeAll(async () => {
  lab = await Lab.start({ dataplane: false, objects: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, POD, ...CONFIGMAPS] });
  session = http2.connect(lab.server, { ca: lab.ca.certPem });
}, 30_000);
afterAll(async () => {
  session?.close();
  await lab?.stop();
});

/** One HTTP/2 request; resolves with the status and the stream (paused), so the caller reads or cancels it. */
function open(path: string): Promise<{ status: number; stream: http2.ClientHttp2Stream }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':path': path, authorization: `Bearer ${lab.token}`, accept: 'application/json' });
    stream.pause();
    stream.on('response', (h) => resolve({ status: Number(h[':status']), stream }));
    stream.on('error', reject);
  });
}

function readAll(stream: http2.ClientHttp2Stream): Promise<string> {
  stream.setEncoding('utf8');
  let body = '';
  stream.on('data', (c: string) => (body += c));
  return new Promise((resolve, reject) => {
    stream.on('end', () => resolve(body));
    stream.on('error', reject);
    stream.resume();
  });
}

describe('the lab API server over HTTP/2', () => {
  it('negotiates h2 with clients that offer it and HTTP/1.1 with the others', async () => {
    const u = new URL(lab.server);
    const alpn = await new Promise<string | false | null>((resolve, reject) => {
      const s = tlsConnect({ host: u.hostname, port: Number(u.port), ca: lab.ca.certPem, ALPNProtocols: ['h2', 'http/1.1'] }, () => {
        resolve(s.alpnProtocol);
        s.end();
      });
      s.on('error', reject);
    });
    expect(alpn).toBe('h2');
    const version = await new Promise<{ status?: number; httpVersion: string; body: string }>((resolve, reject) => {
      https
        .get({ host: u.hostname, port: u.port, path: '/version', ca: lab.ca.certPem }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode, httpVersion: res.httpVersion, body }));
        })
        .on('error', reject);
    });
    expect(version.httpVersion).toBe('1.1');
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body).gitVersion).toMatch(/^v1\.\d+/);
  });

  it('streams a list larger than one piece whole, and a missing object is a Status', async () => {
    const list = await open(`/api/v1/namespaces/${NS}/configmaps`);
    expect(list.status).toBe(200);
    const body = JSON.parse(await readAll(list.stream));
    expect(body.kind).toBe('ConfigMapList');
    // ours, and the kube-root-ca.crt that every namespace gets
    const names = body.items.map((i: KObject) => i.metadata.name);
    expect(names.filter((n: string) => n.startsWith('cm-'))).toHaveLength(CONFIGMAPS.length);
    expect(names).toContain('kube-root-ca.crt');
    const missing = await open(`/api/v1/namespaces/${NS}/configmaps/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(await readAll(missing.stream))).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });

  it('ends a watch on the server when the client cancels its stream', async () => {
    const before = lab.api.streams.size;
    const w = await open(`/api/v1/namespaces/${NS}/pods?watch=true`);
    expect(w.status).toBe(200);
    w.stream.setEncoding('utf8');
    let text = '';
    w.stream.on('data', (c: string) => (text += c));
    w.stream.resume();
    await eventually(() => text.includes('"type":"ADDED"'), 5000, 20);
    expect(JSON.parse(text.split('\n')[0]!).object.metadata.name).toBe('talker');
    expect(lab.api.streams.size).toBe(before + 1);
    w.stream.close(http2.constants.NGHTTP2_CANCEL);
    await eventually(() => lab.api.streams.size === before, 5000, 20);
  });

});

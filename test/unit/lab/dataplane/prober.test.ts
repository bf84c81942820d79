import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProber, dialError, probeURL, resolveProbePort } from '../../../../src/lab/dataplane/prober.ts';
import { issue } from '../../../../src/lab/pki.ts';
import type { KObject } from '../../../../src/lab/types.ts';

// Addresses of their own, so that this file can run beside the lab's end-to-end tests.
const POD_IP = '127.1.250.5';
const NODE_IP = '127.0.250.1';

const servers: net.Server[] = [];
const seen: { remote?: string; headers?: http.IncomingHttpHeaders }[] = [];

function listen(s: net.Server, port: number): Promise<void> {
  servers.push(s);
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host: POD_IP, port, exclusive: true }, () => resolve());
  });
}

beforeAll(async () => {
  await listen(
    http.createServer((req, res) => {
      seen.push({ remote: req.socket.remoteAddress, headers: req.headers });
      if (req.url === '/ready') res.writeHead(503).end('no\n');
      else if (req.url === '/redirect') res.writeHead(302, { location: '/' }).end();
      else if (req.url === '/hang') return;
      else if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': 1000 });
        res.write('partial', () => setTimeout(() => req.socket.resetAndDestroy(), 5));
      } else res.writeHead(200).end('ok\n');
    }),
    8080,
  );
  await listen(net.createServer((s) => s.destroy()), 8082); // closes at once: EOF
  const kp = await issue({ commonName: 'tls-pod', ipAddresses: [POD_IP] });
  await listen(https.createServer({ cert: kp.certPem, key: kp.keyPem }, (_req, res) => res.writeHead(204).end()), 8443);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, status: { podIP: POD_IP, hostIP: NODE_IP } };
const container = { name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { name: 'tcp-closed', containerPort: 8081 }] } as unknown as KObject;
const prober = createProber();
const probe = (p: any) => prober(pod, container, p as KObject, 'readiness');

describe('prober wording helpers', () => {
  it('resolves ports as the kubelet does', () => {
    expect(resolveProbePort(8080, container)).toEqual({ port: 8080 });
    expect(resolveProbePort('http', container)).toEqual({ port: 8080 });
    expect(resolveProbePort('9000', container)).toEqual({ port: 9000 });
    expect(resolveProbePort('metrics', container)).toEqual({ error: 'strconv.Atoi: parsing "metrics": invalid syntax' });
    expect(resolveProbePort(0, container)).toEqual({ error: 'invalid port number: 0' });
  });

  it('words dial errors and URLs like Go', () => {
    expect(dialError('127.1.1.5', 8081, 'ECONNREFUSED')).toBe('dial tcp 127.1.1.5:8081: connect: connection refused');
    expect(dialError('127.1.1.5', 8081, 'TIMEOUT')).toBe('dial tcp 127.1.1.5:8081: i/o timeout');
    expect(probeURL('HTTP', '127.1.1.5', 8080, '/ready')).toBe('http://127.1.1.5:8080/ready');
    expect(probeURL('HTTPS', '127.1.1.5', 8443, undefined)).toBe('https://127.1.1.5:8443/');
  });
});

describe('prober against real listeners', () => {
  it('passes on 2xx and 3xx, from the node IP, with the kubelet’s headers', async () => {
    seen.length = 0;
    expect(await probe({ httpGet: { path: '/healthz', port: 'http', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } })).toEqual({ ok: true });
    expect(seen[0]!.remote).toBe(NODE_IP);
    expect(seen[0]!.headers!['user-agent']).toBe('kube-probe/1.32');
    expect(seen[0]!.headers!['x-probe']).toBe('yes');
    expect(seen[0]!.headers!.host).toBe(`${POD_IP}:8080`);
    expect(await probe({ httpGet: { path: '/redirect', port: 8080 } })).toEqual({ ok: true });
  });

  it('fails with the status code', async () => {
    expect(await probe({ httpGet: { path: '/ready', port: 8080 } })).toEqual({ ok: false, message: 'HTTP probe failed with statuscode: 503' });
  });

  it('words a refused connection as the kubelet does', async () => {
    expect(await probe({ httpGet: { path: '/ready', port: 8081 } })).toEqual({
      ok: false,
      message: `Get "http://${POD_IP}:8081/ready": dial tcp ${POD_IP}:8081: connect: connection refused`,
    });
    expect(await probe({ tcpSocket: { port: 'tcp-closed' } })).toEqual({ ok: false, message: `dial tcp ${POD_IP}:8081: connect: connection refused` });
  });

  it('times out after timeoutSeconds awaiting headers', async () => {
    const t0 = Date.now();
    expect(await probe({ httpGet: { path: '/hang', port: 8080 }, timeoutSeconds: 1 })).toEqual({
      ok: false,
      message: `Get "http://${POD_IP}:8080/hang": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('a connection closed before any response is EOF', async () => {
    expect(await probe({ httpGet: { path: '/', port: 8082 } })).toEqual({ ok: false, message: `Get "http://${POD_IP}:8082/": EOF` });
  });

  it('a body cut off by a reset is a probe error (not counted)', async () => {
    const r = await probe({ httpGet: { path: '/cut', port: 8080 } });
    expect(r.ok).toBe(false);
    expect((r as any).errored).toBe(true);
    expect(r.message).toMatch(new RegExp(`^read tcp ${NODE_IP.replace(/\./g, '\\.')}:\\d+->${POD_IP.replace(/\./g, '\\.')}:8080: read: connection reset by peer$`));
  });

  it('HTTPS probes skip certificate verification', async () => {
    expect(await probe({ httpGet: { path: '/', port: 8443, scheme: 'HTTPS' } })).toEqual({ ok: true });
    const r = await probe({ httpGet: { path: '/', port: 8080, scheme: 'HTTPS' } });
    expect(r).toEqual({ ok: false, message: `Get "https://${POD_IP}:8080/": tls: first record does not look like a TLS handshake` });
  });

  it('tcpSocket passes on connect; exec and grpc pass; unresolvable port names are probe errors', async () => {
    expect(await probe({ tcpSocket: { port: 8080 } })).toEqual({ ok: true });
    expect(await probe({ exec: { command: ['true'] } })).toEqual({ ok: true });
    expect(await probe({ grpc: { port: 9000 } })).toEqual({ ok: true });
    expect(await probe({ httpGet: { path: '/', port: 'metrics' } })).toEqual({ ok: false, errored: true, message: 'strconv.Atoi: parsing "metrics": invalid syntax' });
  });
});

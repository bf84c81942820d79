// The kubelet's probes, for real: httpGet and tcpSocket connect to the pod's listeners from the node's IP (the
// kubelet runs on the node; policy.ts always admits a pod's own node, as most CNIs exempt host-to-pod traffic),
// and failures are worded as the kubelet (Go's net/http and net) words them:
//   HTTP probe failed with statuscode: 503
//   Get "http://127.1.1.5:8080/ready": dial tcp 127.1.1.5:8080: connect: connection refused
//   Get "http://127.1.1.5:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)
//   dial tcp 127.1.1.5:8081: connect: connection refused
// exec and grpc probes pass (the lab runs no processes and no gRPC health servers).
//
// A result with `errored: true` is what the kubelet calls a probe error (a port name that does not resolve, a
// body that breaks off after the headers): it posts "<Kind> probe errored and resulted in unknown state: …"
// and throws the result away instead of counting it towards a threshold.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { KObject } from '../types.ts';
import type { ProbeResult, Prober } from './types.ts';
import { connectFrom } from './net.ts';

export interface ProbeOutcome extends ProbeResult {
  /** The kubelet's probe *error* (result Unknown): reported, not counted. */
  errored?: boolean;
}

/** The User-Agent the kubelet sends (kube-probe/<major>.<minor>). */
export const PROBE_USER_AGENT = 'kube-probe/1.32';
/** The kubelet reads at most this much of a probe response body. */
const MAX_BODY = 10 * 1024;

export interface ProberOptions {
  /** Opens the probe connection (tests may substitute). */
  connect?: (localAddress: string | undefined, host: string, port: number) => net.Socket;
}

/** kubelet's ResolveContainerPort: a number, a container port name, or a number in a string. */
export function resolveProbePort(raw: unknown, container: KObject | any): { port: number } | { error: string } {
  let port: number;
  if (typeof raw === 'number') port = raw;
  else if (typeof raw === 'string') {
    const named = (container?.ports ?? []).find((p: any) => p?.name === raw);
    if (named) port = Number(named.containerPort);
    else if (/^[+-]?\d+$/.test(raw)) port = parseInt(raw, 10);
    else return { error: `strconv.Atoi: parsing ${JSON.stringify(raw)}: invalid syntax` };
  } else return { error: `intOrString had no kind: ${JSON.stringify(raw)}` };
  if (port > 0 && port < 65536) return { port };
  return { error: `invalid port number: ${port}` };
}

/** Go's wording for a failed dial. */
export function dialError(host: string, port: number, code: string | undefined): string {
  const hp = `${host}:${port}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `dial tcp ${hp}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `dial tcp ${hp}: connect: no route to host`;
    case 'ENETUNREACH':
      return `dial tcp ${hp}: connect: network is unreachable`;
    case 'EADDRNOTAVAIL':
      return `dial tcp ${hp}: connect: cannot assign requested address`;
    case 'ETIMEDOUT':
    case 'TIMEOUT':
      return `dial tcp ${hp}: i/o timeout`;
    case 'ECONNRESET':
      return `dial tcp ${hp}: connect: connection reset by peer`;
    default:
      return `dial tcp ${hp}: connect: ${code ?? 'unknown error'}`;
  }
}

/** Go's wording for a failed read on an established connection. */
export function readError(local: string, remote: string, code: string | undefined): string {
  if (code === 'ECONNRESET') return `read tcp ${local}->${remote}: read: connection reset by peer`;
  if (code === 'EPIPE') return `write tcp ${local}->${remote}: write: broken pipe`;
  return `read tcp ${local}->${remote}: read: ${code ?? 'unknown error'}`;
}

/** kubelet's probe URL: scheme lowercased, host:port, path ("/" by default, as the API server defaults it). */
export function probeURL(scheme: string, host: string, port: number, path: string | undefined): string {
  const p = path === undefined || path === '' ? '/' : path.startsWith('/') ? path : `/${path}`;
  return `${scheme.toLowerCase()}://${host}:${port}${p}`;
}

interface HttpOutcome {
  status?: number;
  /** Error before the response headers (Go: client.Do failed → probe failure). */
  failure?: string;
  /** Error while reading the body (Go: probe error). */
  bodyError?: string;
}

function requestTarget(path: string | undefined): string {
  if (path === undefined || path === '') return '/';
  return path.startsWith('/') ? path : `/${path}`;
}

/** One HTTP/1.1 GET over a socket from `source`, with the kubelet's headers and Go's client timeout. */
function httpGet(
  connect: NonNullable<ProberOptions['connect']>,
  source: string | undefined,
  scheme: 'http' | 'https',
  host: string,
  port: number,
  path: string | undefined,
  headers: { name: string; value: string }[],
  timeoutMs: number,
): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    let done = false;
    let headersDone = false;
    let status: number | undefined;
    let buf = Buffer.alloc(0);
    let bodyRead = 0;
    let contentLength: number | undefined;
    let chunked = false;
    let local = '';
    const remote = `${host}:${port}`;
    const raw = connect(source, host, port);
    let sock: net.Socket = raw;
    let connected = false;
    const finish = (o: HttpOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      raw.destroy();
      if (sock !== raw) sock.destroy();
      resolve(o);
    };
    const timer = setTimeout(() => {
      if (!headersDone) finish({ failure: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' });
      else finish({ status, bodyError: 'context deadline exceeded (Client.Timeout or context cancellation while reading body)' });
    }, timeoutMs);
    raw.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) return finish({ failure: dialError(host, port, err.code) });
      const msg = readError(local, remote, err.code);
      if (!headersDone) finish({ failure: msg });
      else finish({ status, bodyError: msg });
    });
    const send = () => {
      const lines = [`GET ${requestTarget(path)} HTTP/1.1`];
      const names = new Set(headers.map((h) => h.name.toLowerCase()));
      if (!names.has('host')) lines.push(`Host: ${remote}`);
      if (!names.has('user-agent')) lines.push(`User-Agent: ${PROBE_USER_AGENT}`);
      if (!names.has('accept')) lines.push('Accept: */*');
      for (const h of headers) lines.push(`${h.name}: ${h.value}`);
      lines.push('Connection: close');
      sock.write(`${lines.join('\r\n')}\r\n\r\n`);
    };
    const bodyComplete = (): boolean => {
      if (chunked) return buf.includes('\r\n0\r\n\r\n') || buf.subarray(0, 5).toString() === '0\r\n\r\n';
      if (contentLength !== undefined) return bodyRead >= contentLength;
      return false;
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      if (!headersDone) {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length >= 5 && !buf.subarray(0, 5).toString('latin1').startsWith('HTTP/')) {
          const first = buf.subarray(0, Math.min(buf.length, 40)).toString('latin1').split('\n')[0]!;
          return finish({ failure: `net/http: HTTP/1.x transport connection broken: malformed HTTP response ${JSON.stringify(first)}` });
        }
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1').split('\r\n');
        const m = /^HTTP\/\d\.\d (\d{3})/.exec(head[0] ?? '');
        if (!m) return finish({ failure: `net/http: HTTP/1.x transport connection broken: malformed HTTP response ${JSON.stringify(head[0] ?? '')}` });
        status = Number(m[1]);
        headersDone = true;
        for (const h of head.slice(1)) {
          const i = h.indexOf(':');
          const name = h.slice(0, i).trim().toLowerCase();
          const value = h.slice(i + 1).trim();
          if (name === 'content-length') contentLength = Number(value);
          if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
        }
        buf = buf.subarray(end + 4);
        bodyRead = buf.length;
        if (status === 204 || status === 304 || (status >= 100 && status < 200)) contentLength = 0;
      } else {
        bodyRead += chunk.length;
        if (chunked) buf = Buffer.concat([buf, chunk]).subarray(-16);
      }
      if (bodyComplete() || bodyRead >= MAX_BODY) finish({ status });
    };
    const onEnd = () => {
      if (!headersDone) return finish({ failure: 'EOF' });
      if (contentLength !== undefined && bodyRead < contentLength) return finish({ status, bodyError: 'unexpected EOF' });
      finish({ status });
    };
    raw.once('connect', () => {
      connected = true;
      local = `${raw.localAddress}:${raw.localPort}`;
      if (scheme === 'https') {
        const t = tls.connect({ socket: raw, rejectUnauthorized: false, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'] });
        sock = t;
        t.on('error', (err: NodeJS.ErrnoException) => {
          if (done) return;
          const code = err.code ?? '';
          if (code === 'ECONNRESET' || code === 'EPIPE') return raw.emit('error', err);
          if (!headersDone) {
            if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL|record/i.test(`${code} ${err.message}`))
              return finish({ failure: 'tls: first record does not look like a TLS handshake' });
            if (/socket disconnected|ECONNRESET/i.test(err.message)) return finish({ failure: 'EOF' });
            return finish({ failure: `remote error: ${err.message}` });
          }
          finish({ status, bodyError: err.message });
        });
        t.once('secureConnect', send);
        t.on('data', onData);
        t.once('end', onEnd);
      } else {
        raw.on('data', onData);
        raw.once('end', onEnd);
        send();
      }
    });
  });
}

/** One TCP connect from `source`; ok once established. */
function tcpDial(connect: NonNullable<ProberOptions['connect']>, source: string | undefined, host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const s = connect(source, host, port);
    const finish = (err?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(err);
    };
    const timer = setTimeout(() => finish(dialError(host, port, 'TIMEOUT')), timeoutMs);
    s.once('connect', () => finish(undefined));
    s.on('error', (err: NodeJS.ErrnoException) => finish(dialError(host, port, err.code)));
  });
}

/** The kubelet's prober over real sockets. */
export function createProber(opts: ProberOptions = {}): Prober & ((pod: KObject, container: KObject, probe: KObject, kind: 'readiness' | 'liveness' | 'startup') => Promise<ProbeOutcome>) {
  const connect = opts.connect ?? ((l, h, p) => connectFrom(l, h, p));
  return async (pod, container, probe) => {
    const podIP: string | undefined = pod.status?.podIP;
    const nodeIP: string | undefined = pod.status?.hostIP;
    const timeoutMs = Math.max(1, Number(probe.timeoutSeconds ?? 1)) * 1000;
    if (probe.exec || probe.grpc) return { ok: true };
    if (probe.httpGet) {
      const g = probe.httpGet;
      const r = resolveProbePort(g.port, container);
      if ('error' in r) return { ok: false, errored: true, message: r.error };
      const host: string = g.host || podIP || nodeIP || '';
      const scheme = String(g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS' ? 'https' : 'http';
      const url = probeURL(scheme, host, r.port, g.path);
      const headers = (g.httpHeaders ?? []).filter((h: any) => h?.name).map((h: any) => ({ name: String(h.name), value: String(h.value ?? '') }));
      const o = await httpGet(connect, nodeIP, scheme, host, r.port, g.path, headers, timeoutMs);
      if (o.failure) return { ok: false, message: `Get ${JSON.stringify(url)}: ${o.failure}` };
      if (o.bodyError) return { ok: false, errored: true, message: o.bodyError };
      const code = o.status!;
      if (code >= 200 && code < 400) return { ok: true };
      return { ok: false, message: `HTTP probe failed with statuscode: ${code}` };
    }
    if (probe.tcpSocket) {
      const r = resolveProbePort(probe.tcpSocket.port, container);
      if ('error' in r) return { ok: false, errored: true, message: r.error };
      const host: string = probe.tcpSocket.host || podIP || nodeIP || '';
      const err = await tcpDial(connect, nodeIP, host, r.port, timeoutMs);
      return err ? { ok: false, message: err } : { ok: true };
    }
    return { ok: true };
  };
}

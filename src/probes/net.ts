// TCP and HTTP(S) from the workstation. The HTTP request goes to the load balancer's published address with the
// host's name in the Host header and SNI (like curl --resolve), so DNS problems are the DNS layer's and the rest of
// the path is still tested. Timings follow curl -w: time_namelookup, time_connect, time_appconnect,
// time_starttransfer, time_total (milliseconds from the start; the lookup is the DNS probe's own time).
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { CertificateInfo, HttpTiming } from '../path/model.ts';
import { certificateInfo } from '../checks/certs.ts';
import { X509Certificate } from 'node:crypto';

export function netError(e: unknown, timeoutMs?: number): string {
  const err = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const c = err?.cause ?? err;
  const code = c?.code ?? err?.code;
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT')
    return `timeout${timeoutMs ? ` after ${timeoutMs} ms` : ''}`;
  if (code) return `${code}${c?.message && !c.message.includes(code) ? ` (${c.message})` : ''}`;
  return String(c?.message ?? e);
}

export async function probeTcp(address: string, port: number, timeoutMs: number): Promise<{ address: string; port: number; ok: boolean; ms?: number; error?: string }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const s = netConnect({ host: address, port, timeout: timeoutMs });
    const end = (ok: boolean, error?: string) => {
      s.destroy();
      resolve({ address, port, ok, ms: Math.round(performance.now() - t0), ...(error ? { error } : {}) });
    };
    s.once('connect', () => end(true));
    s.once('timeout', () => end(false, `timeout after ${timeoutMs} ms`));
    s.once('error', (e) => end(false, netError(e)));
  });
}

export interface HttpProbeOptions {
  url: string;
  /** Connect to this address instead of resolving the URL's host. */
  address?: string;
  timeoutMs: number;
  /** The DNS probe's time for the host, reported as time_namelookup. */
  dnsMs?: number;
}

/** One request with a timing breakdown and, for HTTPS, the served certificate. Never throws. */
export async function probeHttp(o: HttpProbeOptions): Promise<HttpTiming> {
  // undici's Agent loads with the first probe, before its clock starts (dist/ keeps it in a file of its own)
  const { Agent } = await import('undici');
  const u = new URL(o.url);
  const https = u.protocol === 'https:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || (https ? 443 : 80));
  const address = o.address ?? host;
  const timing: HttpTiming = { url: o.url, address };
  const base = o.dnsMs ?? 0;
  if (o.dnsMs !== undefined) timing.dns = o.dnsMs;
  const t0 = performance.now();
  const at = () => Math.round(base + performance.now() - t0);
  let cert: CertificateInfo | undefined;
  const chain: CertificateInfo[] = [];
  let socketRef: Socket | undefined;

  const connector = (_opts: unknown, cb: (err: Error | null, socket: Socket | TLSSocket | null) => void) => {
    const tcp = netConnect({ host: address, port });
    socketRef = tcp;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      cb(e, null);
    };
    tcp.once('error', fail);
    tcp.once('connect', () => {
      timing.connect = at();
      if (!https) {
        settled = true;
        tcp.off('error', fail);
        cb(null, tcp);
        return;
      }
      const servername = isIP(host) ? undefined : host;
      const t = tlsConnect({ socket: tcp, ...(servername ? { servername } : {}), rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
      t.once('error', fail);
      t.once('secureConnect', () => {
        timing.tls = at();
        try {
          const peer = t.getPeerX509Certificate?.();
          if (peer) cert = certificateInfo(peer as X509Certificate);
          // The chain as served (leaf first), from the legacy objects' DER.
          let c: any = t.getPeerCertificate(true);
          const seen = new Set<string>();
          while (c && c.raw && !seen.has(c.fingerprint256) && chain.length < 10) {
            seen.add(c.fingerprint256);
            chain.push(certificateInfo(new X509Certificate(c.raw)));
            c = c.issuerCertificate;
          }
        } catch {
          /* no certificate */
        }
        settled = true;
        t.off('error', fail);
        tcp.off('error', fail);
        cb(null, t);
      });
    });
  };
  const agent = new Agent({ connect: connector as never, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs, pipelining: 0 });
  try {
    // agent.request, not undici's top-level request(): the bundle loads only undici's Agent (scripts/build.mjs)
    const res = await agent.request({
      origin: `${u.protocol}//${isIP(address) === 6 ? `[${address}]` : address}:${port}`,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      headers: { host: u.host, 'user-agent': 'kubectl-netpath-probe', accept: '*/*' },
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    timing.firstByte = at();
    timing.status = res.statusCode;
    let read = 0;
    for await (const chunk of res.body) {
      read += (chunk as Buffer).length;
      if (read > 1 << 20) break;
    }
    timing.total = at();
  } catch (e) {
    timing.error = netError(e, o.timeoutMs);
    timing.total = at();
  } finally {
    if (cert) timing.certificate = cert;
    if (chain.length) timing.certificateChain = chain;
    socketRef?.destroy();
    await agent.destroy().catch(() => {});
  }
  return timing;
}

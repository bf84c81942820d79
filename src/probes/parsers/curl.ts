// curl output: netpath's `-w` line (timings and the exit code in one line per request), curl's `curl: (N) message`
// error lines, and `-v` traces (connected address, status line, headers). Pure.
import type { CurlWriteOut } from '../../path/model.ts';

/** The write-out netpath passes to curl: one tagged line per request; errormsg last because it has spaces. */
export const CURL_WRITE_OUT =
  '@@curl code=%{http_code} ip=%{remote_ip} port=%{remote_port} dns=%{time_namelookup} connect=%{time_connect} tls=%{time_appconnect} ttfb=%{time_starttransfer} total=%{time_total} exit=%{exitcode} err=%{errormsg}\\n';

/** curl's exit code: 0 ok, 6 resolve, 7 connect, 28 timeout, 35/60 TLS, 52 empty reply, 56 reset. */
export type CurlTiming = CurlWriteOut;

const secToMs = (s: string | undefined): number | undefined => {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? Math.round(n * 1000 * 10) / 10 : undefined;
};

/** Parses one `@@curl …` line; undefined for any other line. */
export function parseCurlWriteOut(line: string): CurlTiming | undefined {
  const i = line.indexOf('@@curl ');
  if (i < 0) return undefined;
  const body = line.slice(i + 7);
  const errAt = body.indexOf(' err=');
  const head = errAt >= 0 ? body.slice(0, errAt) : body;
  const err = errAt >= 0 ? body.slice(errAt + 5).trim() : '';
  const kv: Record<string, string> = {};
  for (const m of head.matchAll(/(\w+)=(\S*)/g)) kv[m[1]!] = m[2]!;
  const code = Number(kv.code ?? '0');
  const out: CurlTiming = { httpCode: Number.isFinite(code) ? code : 0 };
  if (kv.ip) out.remoteIp = kv.ip;
  if (kv.port && kv.port !== '0') out.remotePort = Number(kv.port);
  const set = (k: keyof CurlTiming, v: number | undefined) => {
    if (v !== undefined) (out as any)[k] = v;
  };
  set('dnsMs', secToMs(kv.dns));
  set('connectMs', secToMs(kv.connect));
  set('tlsMs', secToMs(kv.tls));
  set('firstByteMs', secToMs(kv.ttfb));
  set('totalMs', secToMs(kv.total));
  if (kv.exit !== undefined && /^\d+$/.test(kv.exit)) out.exitCode = Number(kv.exit);
  if (err) out.error = err;
  return out;
}

/** `curl: (7) Failed to connect to … : Connection refused` → { code: 7, message }. */
export function parseCurlError(line: string): { code: number; message: string } | undefined {
  const m = /^curl: \((\d+)\) (.*)$/.exec(line.trim());
  return m ? { code: Number(m[1]), message: m[2]! } : undefined;
}

/** The class of failure a curl exit code means, for naming a hop. */
export function curlFailureKind(exitCode: number | undefined, error = ''): 'ok' | 'resolve' | 'refused' | 'timeout' | 'reset' | 'tls' | 'other' {
  if (exitCode === 0) return 'ok';
  if (exitCode === 6 || /could not resolve/i.test(error)) return 'resolve';
  if (exitCode === 28 || /timed out/i.test(error)) return 'timeout';
  if (exitCode === 7 && /refused/i.test(error)) return 'refused';
  if (exitCode === 7) return /timed out/i.test(error) ? 'timeout' : 'refused';
  if (exitCode === 52 || exitCode === 56 || /reset|empty reply/i.test(error)) return 'reset';
  if (exitCode === 35 || exitCode === 51 || exitCode === 58 || exitCode === 60 || /ssl|tls|certificate/i.test(error)) return 'tls';
  return 'other';
}

export interface CurlVerbose {
  connected?: { host: string; address: string; port: number };
  status?: { version: string; code: number; reason: string };
  requestHeaders: Record<string, string>;
  responseHeaders: Record<string, string>;
}

/** The first request/response of a `curl -v` trace. */
export function parseCurlVerbose(text: string): CurlVerbose {
  const out: CurlVerbose = { requestHeaders: {}, responseHeaders: {} };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    let m = /^\* Connected to (\S+) \(([^)]+)\) port (\d+)/.exec(line);
    if (m && !out.connected) {
      out.connected = { host: m[1]!, address: m[2]!, port: Number(m[3]) };
      continue;
    }
    m = /^< (HTTP\/[\d.]+) (\d{3})\s*(.*)$/.exec(line);
    if (m) {
      if (out.status) break; // the next response (-L); the first one is what we report
      out.status = { version: m[1]!, code: Number(m[2]), reason: m[3]!.trim() };
      continue;
    }
    if (out.status && /^(> |\* Connected)/.test(line)) break; // the next request
    m = /^([<>]) ([A-Za-z0-9-]+): ?(.*)$/.exec(line);
    if (m) {
      if (m[1] === '>') out.requestHeaders[m[2]!.toLowerCase()] = m[3]!;
      else if (out.status) out.responseHeaders[m[2]!.toLowerCase()] = m[3]!;
    }
  }
  return out;
}

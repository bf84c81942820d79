// Port-forward without helper pods (`pods/portforward` over WebSocket, as @kubernetes/client-node's PortForward
// speaks it): one HTTP request through a forwarded pod port, answered with the status line and timing.
import { PortForward } from '@kubernetes/client-node';
import { PassThrough, Writable } from 'node:stream';
import type { KubeClient } from './client.ts';

export interface ForwardedResponse {
  status?: number;
  reason?: string;
  /** The first response bytes as text (headers and the start of the body), capped. */
  head: string;
  ms: number;
  error?: string;
}

/**
 * Sends one HTTP/1.1 request (`Connection: close`) to `port` of a pod through the portforward subresource and
 * reads the response until the stream closes, `timeoutMs` passes or `signal` aborts.
 */
export async function requestThroughPortForward(
  client: Pick<KubeClient, 'config'>,
  o: { namespace: string; pod: string; port: number; host?: string; path?: string; timeoutMs?: number },
  signal?: AbortSignal,
): Promise<ForwardedResponse> {
  const t0 = performance.now();
  const pf = new PortForward(client.config.kc, true);
  const chunks: Buffer[] = [];
  let size = 0;
  let errText = '';
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (size < 16_384) chunks.push(Buffer.from(chunk));
      size += chunk.length;
      cb();
    },
  });
  const err = new Writable({
    write(chunk: Buffer, _enc, cb) {
      errText += chunk.toString();
      cb();
    },
  });
  const input = new PassThrough();
  const path = o.path && o.path.startsWith('/') ? o.path : '/';
  const host = o.host ?? 'localhost';
  let ws: any;
  const timer = setTimeout(finish, o.timeoutMs ?? 5000);
  const onAbort = () => finish();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const got = await pf.portForward(o.namespace, o.pod, [o.port], out, err, input);
    ws = typeof got === 'function' ? got() : got;
    ws?.on?.('close', () => finish());
    ws?.on?.('error', (e: Error) => {
      errText ||= e.message;
      finish();
    });
    input.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: kubectl-netpath\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
    await done;
  } catch (e) {
    errText ||= (e as Error).message;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    try {
      ws?.close?.();
    } catch {
      // closed already
    }
  }
  const head = Buffer.concat(chunks).toString('latin1').slice(0, 2048);
  const m = /^HTTP\/[\d.]+ (\d{3}) ?([^\r\n]*)/.exec(head);
  const ms = Math.round(performance.now() - t0);
  if (m) return { status: Number(m[1]), reason: m[2]!, head, ms };
  return { head, ms, error: errText.trim().split('\n')[0] || (size ? 'no HTTP status line in the answer' : 'no answer through the port-forward') };
}

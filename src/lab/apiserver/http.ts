// Small HTTP helpers shared by the API server's handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest } from '../store/errors.ts';
import { K8sProtobufUnsupportedError, decodeK8sProtobuf, isK8sProtobuf } from './protobuf.ts';

export const MAX_BODY = 8 * 1024 * 1024;

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const data = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(data),
    'Cache-Control': 'no-cache, private',
  });
  res.end(data);
}

/**
 * True once a response takes no more writes: ended, or its connection (HTTP/1.1) or stream (HTTP/2, whose
 * compatibility response has no `destroyed`) is gone.
 */
export function responseGone(res: { destroyed?: boolean; writableEnded?: boolean; stream?: { destroyed: boolean } }): boolean {
  return !!res.destroyed || !!res.writableEnded || !!res.stream?.destroyed;
}

export function sendStatus(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON request body; a YAML body (apply-patch+yaml) is accepted when it is JSON, as kubectl sends it. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  if (buf.length === 0) return undefined;
  if (isK8sProtobuf(buf)) {
    // kubectl's typed clients (client-go >= 0.32) send protobuf bodies for generator commands
    try {
      return decodeK8sProtobuf(buf);
    } catch (e) {
      if (e instanceof K8sProtobufUnsupportedError) throw new ApiError(415, 'UnsupportedMediaType', e.message);
      throw badRequest(`the body of the request could not be decoded as protobuf: ${(e as Error).message}`);
    }
  }
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    const ct = req.headers['content-type'] ?? '';
    if (ct.includes('yaml')) {
      const yaml = await import('js-yaml');
      try {
        return yaml.load(text);
      } catch (e) {
        throw badRequest(`error decoding YAML: ${(e as Error).message}`);
      }
    }
    if (ct.includes('protobuf'))
      throw badRequest('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
    throw badRequest(`the body of the request could not be decoded as JSON: ${text.slice(0, 80)}`);
  }
}

/** Whether the client asked for a server-side Table (kubectl get in human-readable mode). */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => /\bas=Table\b/.test(part) && /g=meta\.k8s\.io/.test(part));
}

export function boolParam(v: string | null): boolean {
  return v === 'true' || v === '1';
}

export function intParam(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

// GET pods/{name}/portforward over WebSocket, as the apiserver proxies it to the kubelet's streaming server
// (pkg/kubelet/cri/streaming/portforward/websocket.go):
// - subprotocols `v4.channel.k8s.io` (binary), `v4.base64.channel.k8s.io` or none; @kubernetes/client-node's
//   PortForward offers v5..v1 and gets v4;
// - `?ports=P` (repeatable, or comma-separated): per port i a data channel 2i and an error channel 2i+1; the
//   first frame on each carries the port as 2 bytes little-endian;
// - frames are `[channel][payload]`; the client writes to the data channel, the server answers on it; a failed
//   dial writes the kubelet's error text to the error channel.
// The kubelet dials localhost:PORT inside the pod's network namespace; in the lab that is the pod's real listener
// on its IP, dialled from the node's IP (localhost traffic is never subject to NetworkPolicy, and the lab's pod
// listeners always admit their node).
// SPDY (kubectl port-forward's fallback) and SPDY-over-WebSocket (`SPDY/3.1+portforward.k8s.io`, what kubectl 1.32
// tries first) are not implemented: such requests get a 400 Status naming the lab, which kubectl prints as an
// "error upgrading connection" one-liner.
import * as net from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Store } from '../store/store.ts';
import type { ResourceRegistry } from '../resources.ts';
import { ApiError, badRequest } from '../store/errors.ts';
import type { RequestInfo } from './server.ts';

export const PORTFORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** An upgrade request handed to the request handler: the raw socket and the bytes read past its head. */
export interface UpgradeRequest extends IncomingMessage {
  upgrade: true;
  labUpgrade?: { socket: Duplex; head: Buffer };
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  handleProtocols: (offered: Set<string>) => {
    for (const p of PORTFORWARD_PROTOCOLS) if (offered.has(p)) return p;
    return false;
  },
});

/** Parses `ports` query values as the apiserver does (repeatable, comma-separated, 1..65535). */
export function parsePorts(q: URLSearchParams): number[] {
  const out: number[] = [];
  for (const v of q.getAll('ports')) {
    for (const part of v.split(',')) {
      const s = part.trim();
      if (!s) continue;
      const n = Number(s);
      if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw badRequest(`invalid port "${s}"`);
      out.push(n);
    }
  }
  return out;
}

function portBytes(port: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(port);
  return b;
}

export function servePortForward(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo, store: Store, registry: ResourceRegistry): void {
  const pod = store.mustGet(registry.type('', 'pods'), info.namespace, info.name!);
  const up = (req as UpgradeRequest).labUpgrade;
  const wantsWs = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket';
  const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!up || !wantsWs) {
    throw badRequest('the lab API server serves pods/portforward over WebSocket only (subprotocol v4.channel.k8s.io); SPDY is not implemented');
  }
  if (offered.length && !offered.some((p) => PORTFORWARD_PROTOCOLS.includes(p))) {
    throw badRequest(`the lab API server serves pods/portforward with the WebSocket subprotocols ${PORTFORWARD_PROTOCOLS.join(', ')}; offered: ${offered.join(', ')} (SPDY tunneling is not implemented)`);
  }
  const ports = parsePorts(q);
  if (!ports.length) throw badRequest('at least one port must be specified');
  if (pod.status?.phase !== 'Running') throw new ApiError(400, 'BadRequest', `pod ${pod.metadata.name} is not running (phase ${pod.status?.phase ?? 'Pending'})`);
  const podIP: string = pod.status?.podIP;
  const hostIP: string | undefined = pod.status?.hostIP;
  const binary = !offered.includes('v4.base64.channel.k8s.io') || offered.includes('v4.channel.k8s.io');
  // the socket now belongs to the WebSocket; the placeholder response must not write to it
  res.detachSocket(up.socket as net.Socket);
  wss.handleUpgrade(req, up.socket, up.head, (ws) => forward(ws, ports, podIP, hostIP, pod.metadata.uid ?? '', binary));
}

function forward(ws: WebSocket, ports: number[], podIP: string, hostIP: string | undefined, uid: string, binary: boolean): void {
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    const frame = Buffer.concat([Buffer.from([channel]), data]);
    if (binary) ws.send(frame);
    else ws.send(String.fromCharCode(48 + channel) + data.toString('base64'));
  };
  interface Stream {
    sock: net.Socket;
    connected: boolean;
    /** Bytes the client sent before the dial completed. */
    queued: Buffer[];
  }
  const streams: Stream[] = [];
  let open = ports.length;
  const closeOne = () => {
    if (--open <= 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    send(2 * i, portBytes(port));
    send(2 * i + 1, portBytes(port));
    const local = hostIP && hostIP !== '127.0.0.1' ? { localAddress: hostIP } : {};
    const st: Stream = { sock: net.connect({ host: podIP, port, noDelay: true, ...local }), connected: false, queued: [] };
    streams[i] = st;
    st.sock.on('connect', () => {
      st.connected = true;
      for (const b of st.queued) st.sock.write(b);
      st.queued = [];
    });
    st.sock.on('data', (d: Buffer) => send(2 * i, d));
    st.sock.on('error', (e: NodeJS.ErrnoException) => {
      if (st.connected) return;
      const why = e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.message;
      send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${uid}, uid : failed to execute portforward in network namespace: failed to connect to localhost:${port} inside namespace "${uid}", IPv4: dial tcp4 127.0.0.1:${port}: ${why} IPv6 dial tcp6 [::1]:${port}: ${why} `));
    });
    st.sock.on('close', closeOne);
  });
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    let buf = Buffer.isBuffer(data) ? data : Buffer.from(data as unknown as ArrayBuffer);
    let channel: number;
    if (!isBinary && !binary) {
      const s = buf.toString();
      channel = s.charCodeAt(0) - 48;
      buf = Buffer.from(s.slice(1), 'base64');
    } else {
      channel = buf[0]!;
      buf = buf.subarray(1);
    }
    // 255 is v5's CLOSE (never negotiated here); error channels are write-only
    if (channel === 255 || channel % 2 !== 0) return;
    const st = streams[channel / 2];
    if (!st || st.sock.destroyed) return;
    if (st.connected) st.sock.write(buf);
    else st.queued.push(Buffer.from(buf));
  });
  ws.on('close', () => {
    for (const st of streams) st?.sock.end();
  });
  ws.on('error', () => {
    for (const st of streams) st?.sock.destroy();
  });
}

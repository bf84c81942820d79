// The DNS probe against a minimal UDP DNS responder (A with TTL, CNAME chain, NXDOMAIN), and --resolver parsing.
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResolvers, probeDns, queryName } from '../../../src/probes/dns.ts';

type Rec = { type: 'A' | 'CNAME'; value: string; ttl: number };
const ZONE: Record<string, Rec[]> = {
  'shop.example.test': [{ type: 'A', value: '203.0.113.10', ttl: 30 }],
  'old.example.test': [{ type: 'A', value: '203.0.113.250', ttl: 3600 }],
  'www.example.test': [{ type: 'CNAME', value: 'lb.example.test', ttl: 60 }],
  'lb.example.test': [{ type: 'A', value: '203.0.113.11', ttl: 20 }],
};

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
}

function readName(buf: Buffer, off: number): [string, number] {
  const labels: string[] = [];
  while (buf[off]! !== 0) {
    const len = buf[off]!;
    labels.push(buf.subarray(off + 1, off + 1 + len).toString());
    off += len + 1;
  }
  return [labels.join('.'), off + 1];
}

function answer(msg: Buffer): Buffer {
  const [qname, end] = readName(msg, 12);
  const qtype = msg.readUInt16BE(end);
  const name = qname.toLowerCase();
  const recs = ZONE[name];
  const out: Buffer[] = [];
  let rcode = 0;
  if (!recs) rcode = 3;
  else {
    const cname = recs.find((r) => r.type === 'CNAME');
    const list: { owner: string; r: Rec }[] = [];
    if (cname) {
      list.push({ owner: name, r: cname });
      if (qtype === 1) for (const r of ZONE[cname.value] ?? []) list.push({ owner: cname.value, r });
    } else if (qtype === 1) for (const r of recs.filter((x) => x.type === 'A')) list.push({ owner: name, r });
    for (const { owner, r } of list) {
      const rdata = r.type === 'A' ? Buffer.from(r.value.split('.').map(Number)) : encodeName(r.value);
      const head = Buffer.alloc(10);
      head.writeUInt16BE(r.type === 'A' ? 1 : 5, 0);
      head.writeUInt16BE(1, 2);
      head.writeUInt32BE(r.ttl, 4);
      head.writeUInt16BE(rdata.length, 8);
      out.push(encodeName(owner), head, rdata);
    }
  }
  const header = Buffer.alloc(12);
  msg.copy(header, 0, 0, 2);
  header.writeUInt16BE(0x8180 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(out.length / 3, 6);
  return Buffer.concat([header, msg.subarray(12, end + 4), ...out]);
}

let sock: Socket;
let server = '';
beforeAll(async () => {
  sock = createSocket('udp4');
  sock.on('message', (m, r) => sock.send(answer(m), r.port, r.address));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  server = `127.0.0.1:${(sock.address() as AddressInfo).port}`;
});
afterAll(() => sock.close());

describe('DNS probe', () => {
  it('returns A records with TTLs', async () => {
    const a = await queryName('shop.example.test', { label: server, server }, 2000);
    expect(a).toMatchObject({ resolver: server, name: 'shop.example.test', addresses: ['203.0.113.10'] });
    expect(a.chain).toEqual([{ name: 'shop.example.test', type: 'A', value: '203.0.113.10', ttl: 30 }]);
  });

  it('follows a CNAME chain and shows every link', async () => {
    const a = await queryName('www.example.test', { label: server, server }, 2000);
    expect(a.chain[0]).toMatchObject({ name: 'www.example.test', type: 'CNAME', value: 'lb.example.test' });
    expect(a.chain.at(-1)).toMatchObject({ name: 'lb.example.test', type: 'A', value: '203.0.113.11', ttl: 20 });
    expect(a.addresses).toEqual(['203.0.113.11']);
  });

  it('reports NXDOMAIN and an unreachable resolver as errors', async () => {
    const nx = await queryName('nope.example.test', { label: server, server }, 2000);
    expect(nx.addresses).toEqual([]);
    expect(nx.error).toMatch(/ENOTFOUND/);
    const dead = await queryName('shop.example.test', { label: '127.0.0.1:1', server: '127.0.0.1:1' }, 500);
    expect(dead.error).toMatch(/ECONNREFUSED|ETIMEOUT|timeout/);
  });

  it('asks the system resolver and every --resolver', async () => {
    const all = await probeDns(['shop.example.test'], [{ label: server, server }], 1000);
    expect(all.map((a) => a.resolver)[1]).toBe(server);
    expect(all).toHaveLength(2);
  });
});

describe('parseResolvers', () => {
  it('reads HOST[:PORT] and IPv6 forms', async () => {
    expect(await parseResolvers(['1.1.1.1', '8.8.8.8:5353', '[::1]:53', '::1'])).toEqual([
      { label: '1.1.1.1', server: '1.1.1.1:53' },
      { label: '8.8.8.8:5353', server: '8.8.8.8:5353' },
      { label: '[::1]:53', server: '[::1]:53' },
      { label: '::1', server: '[::1]:53' },
    ]);
    expect((await parseResolvers(['localhost:53']))[0]!.server).toMatch(/^(127\.0\.0\.1|\[::1\]):53$/);
    await expect(parseResolvers(['1.1.1.1:99999'])).rejects.toThrow(/invalid port/);
  });
});

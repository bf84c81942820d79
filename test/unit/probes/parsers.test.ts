// The command-output parsers on the real samples in ../shared/fixtures/commands/ (read in place).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CURL_WRITE_OUT, curlFailureKind, digAddresses, ipvsFor, kubeServiceChains, parseCurlError, parseCurlVerbose, parseCurlWriteOut, parseDig,
  parseIptablesSave, parseIpvsadm, parseSs, parseTraceHop, parseTraceroute, ssCounts, traceSummary,
} from '../../../src/probes/parsers/index.ts';

const FIX = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'commands');
const have = existsSync(FIX);
if (!have) console.warn(`[skip] ${FIX} is absent: parser fixture tests are skipped`);
const read = (p: string) => readFileSync(join(FIX, p), 'utf8');
const d = have ? describe : describe.skip;

d('traceroute parser', () => {
  it('reads names, addresses, times and silent hops (CentOS)', () => {
    const r = parseTraceroute(read('traceroute/jc-centos-7.7_traceroute.out'));
    expect(r.header).toEqual({ target: 'www.cnn.com', address: '151.101.197.67', maxHops: 30 });
    expect(r.hops[0]).toEqual({ ttl: 1, silent: false, probes: [
      { name: 'dsldevice.attlocal.net', address: '192.168.1.254', ms: 4.024 },
      { name: 'dsldevice.attlocal.net', address: '192.168.1.254', ms: 3.683 },
      { name: 'dsldevice.attlocal.net', address: '192.168.1.254', ms: 3.706 },
    ] });
    expect(r.hops[2]!.silent).toBe(true);
    expect(r.hops[2]!.probes).toHaveLength(3);
    const s = traceSummary(r);
    expect(s.reached).toBe(false);
    expect(s.lastAddress).toBe('12.123.215.161');
    expect(s.silentHops).toBe(r.hops.filter((h) => h.silent).length);
  });

  it('reads -n output with several responders on one hop', () => {
    const r = parseTraceroute(read('traceroute/jc-generic_traceroute-n-ipv4.out'));
    expect(r.hops).toHaveLength(8);
    expect(r.hops[3]!.probes.map((p) => p.address)).toEqual(['192.171.61.61', '206.248.155.109', '192.171.63.17']);
    expect(traceSummary(r)).toMatchObject({ reached: true, lastAddress: '199.58.80.40', hops: 8, silentHops: 0 });
  });

  it('reads IPv6, -q1, AS numbers and annotations', () => {
    const v6 = parseTraceroute(read('traceroute/jc-generic_traceroute-n-ipv6.out'));
    expect(v6.header?.address).toBe('2607:f8b0:4020:806::2004');
    expect(v6.hops[6]!.probes.map((p) => p.address)).toEqual(['2001:4860:0:1127::2', '2001:5a0:400:700::17', '2001:5a0:400:700::17']);
    expect(traceSummary(v6).reached).toBe(true);
    const q1 = parseTraceroute(read('traceroute/jc-generic_traceroute-n-q1-ipv4.out'));
    expect(q1.hops.every((h) => h.probes.length === 1)).toBe(true);
    const asn = parseTraceroute(read('traceroute/jc-osx-10.14.6_traceroute-asn.out'));
    expect(asn.hops[0]!.probes[0]).toMatchObject({ name: 'dsldevice', address: '192.168.1.254', ms: 6.07 });
    const ann = parseTraceroute(read('traceroute/jc-generic_traceroute1.out'));
    expect(ann.hops[0]!.probes[0]).toMatchObject({ address: '131.240.100.12', annotation: '!P' });
    const five = parseTraceroute(read('traceroute/jc-generic_traceroute5.out'));
    expect(five.hops[0]!.silent).toBe(true);
    expect(five.hops[8]!.probes[0]!.address).toBe('104.18.42.178');
  });

  it('reads tcptraceroute\'s [open] mark and rejects non-hop lines', () => {
    expect(parseTraceHop(' 3  10.0.0.7 [open]  0.081 ms  0.052 ms  0.049 ms')).toMatchObject({ ttl: 3, probes: [{ address: '10.0.0.7', tcp: 'open' }, {}, {}] });
    expect(parseTraceHop('traceroute to x (1.2.3.4), 30 hops max')).toBeUndefined();
    expect(parseTraceHop('')).toBeUndefined();
  });
});

d('dig parser', () => {
  it('reads two messages with CNAME chains', () => {
    const m = parseDig(read('dig/jc-ubuntu-18.04_dig.out'));
    expect(m).toHaveLength(2);
    expect(m[0]!.status).toBe('NOERROR');
    expect(m[0]!.flags).toEqual(['qr', 'rd', 'ra']);
    expect(m[0]!.question).toEqual({ name: 'www.cnn.com.', class: 'IN', type: 'A' });
    expect(m[0]!.answer[0]).toEqual({ name: 'www.cnn.com.', ttl: 5, class: 'IN', type: 'CNAME', data: 'turner-tls.map.fastly.net.' });
    expect(digAddresses(m[0]!)).toEqual(['151.101.65.67', '151.101.1.67', '151.101.193.67', '151.101.129.67']);
    expect(m[0]!.queryMs).toBe(31);
    expect(m[0]!.server).toBe('127.0.0.53#53');
    expect(digAddresses(m[1]!)).toEqual(['172.217.1.228']);
  });

  it('reads NXDOMAIN with an SOA, authority before answer, additional records and +noall +answer', () => {
    const nx = parseDig(read('dig/dig-full-NXDOMAIN-SOA.txt'))[0]!;
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.answer[0]!.type).toBe('SOA');
    expect(nx.server).toBe('127.0.0.1#1053');
    const sp = parseDig(read('dig/jc-generic_dig-answer-spaces.out'))[0]!;
    expect(sp.authority[0]!.type).toBe('SOA');
    expect(sp.answer[0]).toMatchObject({ type: 'TXT', ttl: 2100 });
    const srv = parseDig(read('dig/dig-full-SRV-additional.txt'))[0]!;
    expect(srv.answer.map((r) => r.data)).toContain('10 10 25395 redis.default.service.nomad.');
    expect(srv.additional).toHaveLength(3);
    const noall = parseDig(read('dig/jc-osx-10.14.6_dig-noall-answer.out'));
    expect(noall).toHaveLength(1);
    expect(digAddresses(noall[0]!).sort()).toEqual(['151.101.1.67', '151.101.129.67', '151.101.193.67', '151.101.65.67']);
  });

  it('reads +short and the no-server error', () => {
    const s = parseDig('10.96.0.10\nweb.shop.svc.cluster.local.\n');
    expect(digAddresses(s[0]!)).toEqual(['10.96.0.10']);
    const e = parseDig(';; connection timed out; no servers could be reached\n');
    expect(e[0]!.error).toBe('connection timed out; no servers could be reached');
  });
});

d('curl parser', () => {
  it('reads netpath\'s -w line', () => {
    expect(CURL_WRITE_OUT).toContain('%{time_starttransfer}');
    const t = parseCurlWriteOut('@@curl code=503 ip=127.2.0.7 port=80 dns=0.000012 connect=0.000310 tls=0.000000 ttfb=0.004100 total=0.004200 exit=22 err=The requested URL returned error: 503');
    expect(t).toEqual({ httpCode: 503, remoteIp: '127.2.0.7', remotePort: 80, dnsMs: 0, connectMs: 0.3, tlsMs: 0, firstByteMs: 4.1, totalMs: 4.2, exitCode: 22, error: 'The requested URL returned error: 503' });
    const refused = parseCurlWriteOut('@@curl code=000 ip= port=0 dns=0.000010 connect=0.000000 tls=0.000000 ttfb=0.000000 total=0.000400 exit=7 err=Failed to connect to 127.1.1.5 port 8081 after 0 ms: Couldn\'t connect to server');
    expect(refused).toMatchObject({ httpCode: 0, exitCode: 7 });
    expect(refused!.remoteIp).toBeUndefined();
    expect(parseCurlWriteOut('HTTP/1.1 200 OK')).toBeUndefined();
  });

  it('classifies failures', () => {
    expect(parseCurlError('curl: (28) Connection timed out after 3001 milliseconds')).toEqual({ code: 28, message: 'Connection timed out after 3001 milliseconds' });
    expect(curlFailureKind(0)).toBe('ok');
    expect(curlFailureKind(6, 'Could not resolve host: x')).toBe('resolve');
    expect(curlFailureKind(7, 'Failed to connect to 1.2.3.4 port 80: Connection refused')).toBe('refused');
    expect(curlFailureKind(28, '')).toBe('timeout');
    expect(curlFailureKind(56, 'Recv failure: Connection reset by peer')).toBe('reset');
    expect(curlFailureKind(60, 'SSL certificate problem')).toBe('tls');
  });

  it('reads -v traces', () => {
    const v = parseCurlVerbose(read('curl/jc-generic_curl_head--ILvs-example-com.out'));
    expect(v.connected).toEqual({ host: 'example.com', address: '2606:2800:220:1:248:1893:25c8:1946', port: 80 });
    expect(v.status).toEqual({ version: 'HTTP/1.1', code: 200, reason: 'OK' });
    expect(v.requestHeaders.host).toBe('example.com');
    expect(v.responseHeaders['content-length']).toBe('1256');
    const g = parseCurlVerbose(read('curl/jc-generic_curl_head--ILvs-google-com.out'));
    expect(g.status?.code).toBe(301);
    expect(g.responseHeaders.location).toBe('http://www.google.com/');
  });
});

d('ipvsadm parser', () => {
  it('reads services and real servers', () => {
    const s = parseIpvsadm(read('k8s-debug-service/ipvsadm-ln.txt'));
    expect(s).toHaveLength(1);
    expect(s[0]).toMatchObject({ protocol: 'TCP', address: '10.0.1.175', port: 80, scheduler: 'rr', flags: [] });
    expect(s[0]!.servers.map((r) => `${r.address}:${r.port}`)).toEqual(['10.244.0.5:9376', '10.244.0.6:9376', '10.244.0.7:9376']);
    const h = parseIpvsadm(read('kube-proxy-ipvs/ipvsadm-ln-with-header.txt'));
    expect(h.map((x) => `${x.protocol} ${x.address}:${x.port}`)).toEqual(['TCP 10.0.0.1:443', 'TCP 10.0.0.10:53', 'UDP 10.0.0.10:53']);
    expect(h[0]!.flags).toEqual(['persistent', '10800']);
    expect(h[0]!.servers[0]).toEqual({ address: '192.168.0.1', port: 6443, forward: 'Masq', weight: 1, activeConn: 1, inactConn: 0 });
    expect(ipvsFor(h, '10.0.0.10', 53, 'UDP')?.servers).toHaveLength(1);
    expect(ipvsFor(h, '10.0.0.10', 54)).toBeUndefined();
  });
});

d('iptables-save parser', () => {
  it('follows a Service from KUBE-SERVICES to its DNAT endpoints', () => {
    const save = parseIptablesSave(read('k8s-debug-service/iptables-save-kube-svc.txt'));
    expect(save.rules).toHaveLength(10);
    const k = kubeServiceChains(save, 'default', 'hostnames');
    expect(k.entries).toEqual([{ destination: '10.0.1.175', dport: 80, chain: 'KUBE-SVC-NWV5X2332I4OT4T3', comment: 'default/hostnames: cluster IP' }]);
    expect(k.endpoints.map((e) => e.destination).sort()).toEqual(['10.244.1.7:9376', '10.244.2.3:9376', '10.244.3.6:9376']);
    expect(k.endpoints.find((e) => e.destination === '10.244.1.7:9376')?.probability).toBeCloseTo(0.33333, 4);
    expect(kubeServiceChains(save, 'default', 'other').endpoints).toEqual([]);
  });
});

d('ss parser', () => {
  it('reads ss -anepW style output with processes', () => {
    const s = parseSs(read('netstat/jc-generic_ss-wide.out'));
    expect(s.length).toBe(155);
    expect(s[0]).toMatchObject({ netid: 'udp', state: 'UNCONN', recvQ: 0, sendQ: 0, local: { address: '0.0.0.0', port: '50305' }, peer: { address: '0.0.0.0', port: '*' } });
    expect(s[0]!.process).toContain('"host"');
    const c = ssCounts(s);
    expect(c.UNCONN).toBe(126);
    expect(c.LISTEN).toBe(29);
  });

  it('reads ss -tan without a Netid column', () => {
    const s = parseSs('State  Recv-Q Send-Q Local Address:Port  Peer Address:Port\nESTAB  0      0      127.1.1.5:8080      127.1.0.9:41234\nTIME-WAIT 0 0 [::1]:80 [::1]:5000\n');
    expect(s).toHaveLength(2);
    expect(s[1]!.local).toEqual({ address: '::1', port: '80' });
    expect(ssCounts(s)).toEqual({ ESTAB: 1, 'TIME-WAIT': 1 });
  });
});

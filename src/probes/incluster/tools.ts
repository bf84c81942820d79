// One-shot in-cluster tools for the UI (`T`, `:dig`, `:curl`, `:node`) and reports: each is a plain function
// returning an AsyncIterable of events (the helper's own events, parsed items as they arrive, then one `result`).
// Every run goes through the one runner (runner.ts) or, with `fromPod`, an ephemeral container.
import { execa } from 'execa';
import type { InClusterRun } from '../../path/model.ts';
import { probeDns, type ResolverSpec } from '../dns.ts';
import { parseCurlWriteOut } from '../parsers/curl.ts';
import { digAddresses, parseDig } from '../parsers/dig.ts';
import { kubeServiceChains, parseIptablesSave } from '../parsers/iptables.ts';
import { ipvsFor, parseIpvsadm } from '../parsers/ipvsadm.ts';
import { parseSs, ssCounts } from '../parsers/ss.ts';
import { type TraceHop, parseTraceHeader, parseTraceHop, parseTraceroute, traceSummary } from '../parsers/traceroute.ts';
import type { PodTransport } from '../../kube/pods.ts';
import { runEphemeral } from './ephemeral.ts';
import { writeOut } from './ladder.ts';
import { type HelperEvent, type HelperOptions, HelperError, type HelperSpec, runHelper } from './runner.ts';
import { hasRaw } from './security.ts';

export type ToolEvent = HelperEvent | { type: 'hop'; hop: TraceHop } | { type: 'result'; run: InClusterRun };

export interface ToolOptions extends HelperOptions {
  /** Run from an ephemeral container in this pod (namespace = `namespace`) instead of a helper pod. */
  fromPod?: string;
}

const SAFE_HOST = /^[A-Za-z0-9._:-]+$/;
const MAX_LINES = 400;

function source(c: PodTransport, spec: HelperSpec, o: ToolOptions, signal: AbortSignal): AsyncIterable<HelperEvent> {
  return o.fromPod
    ? runEphemeral(c, spec, { namespace: o.namespace, pod: o.fromPod, ...(o.image ? { image: o.image } : {}), ...(o.noHelpers ? { noHelpers: true } : {}) }, signal)
    : runHelper(c, spec, o, signal);
}

function checkHost(h: string, what: string): void {
  if (!SAFE_HOST.test(h)) throw new HelperError('failed', `invalid ${what} "${h.slice(0, 80)}": a hostname or an IP address`);
}

/** The traceroute argv for a profile: TCP to the port with raw sockets, else UDP (needs no privilege). */
export function tracerouteCommand(host: string, port: number, raw: boolean | 'try'): string[] {
  const tcp = `traceroute -n -T -p ${port} -m 20 -q 1 -w 1 ${host}`;
  const udp = `traceroute -n -m 20 -q 1 -w 1 ${host}`;
  if (raw === true) return ['traceroute', '-n', '-T', '-p', String(port), '-m', '20', '-q', '1', '-w', '1', host];
  if (raw === 'try') return ['sh', '-c', `${tcp} || { echo '@@fallback udp'; ${udp}; }`];
  return ['traceroute', '-n', '-m', '20', '-q', '1', '-w', '1', host];
}

/** `traceroute -T -p PORT` to a host from inside the cluster, hop by hop as the lines arrive. */
export async function* traceroute(c: PodTransport, o: ToolOptions & { host: string; port: number }, signal: AbortSignal): AsyncGenerator<ToolEvent> {
  checkHost(o.host, 'traceroute target');
  const lines: string[] = [];
  let code: number | undefined;
  let udp = false;
  let title = '';
  for await (const ev of source(c, { purpose: 'traceroute', needs: { raw: true }, command: (p) => tracerouteCommand(o.host, o.port, hasRaw(p) ? true : p === 'restricted' ? false : 'try') }, o, signal)) {
    if (ev.type === 'profile') {
      udp = ev.profile === 'restricted';
      title = `traceroute ${udp ? '(UDP) ' : `-T -p ${o.port} `}${o.host} from ${ev.namespace}/${ev.pod}`;
    }
    if (ev.type === 'line') {
      if (ev.line.startsWith('@@fallback')) {
        udp = true;
        continue;
      }
      if (lines.length < MAX_LINES) lines.push(ev.line);
      const hop = parseTraceHeader(ev.line) ? undefined : parseTraceHop(ev.line);
      yield ev;
      if (hop) yield { type: 'hop', hop };
      continue;
    }
    if (ev.type === 'exit') code = ev.code;
    yield ev;
  }
  const parsed = parseTraceroute(lines.join('\n'));
  const s = traceSummary(parsed);
  const summary = s.reached
    ? `reached ${parsed.header?.address ?? o.host} in ${s.hops} hop${s.hops === 1 ? '' : 's'}${udp ? ' (UDP: TCP traceroute needs NET_RAW)' : ''}`
    : `did not reach ${parsed.header?.address ?? o.host}: last answer from ${s.lastAddress ?? 'nobody'} after ${s.hops} hops (${s.silentHops} silent)${udp ? ' (UDP traceroute; TCP needs NET_RAW)' : ''}`;
  yield { type: 'result', run: { kind: 'traceroute', title: title || `traceroute ${o.host}`, summary, status: s.reached ? 'ok' : 'warn', lines, ...(code !== undefined ? { exitCode: code } : {}) } };
}

/**
 * dig NAME through cluster DNS (the pod's resolv.conf) and through each upstream resolver, compared with the
 * workstation's answers (system resolver and `workstation` specs).
 */
export async function* dig(c: PodTransport, o: ToolOptions & { name: string; upstreams?: string[]; workstation?: ResolverSpec[]; timeoutMs?: number }, signal: AbortSignal): AsyncGenerator<ToolEvent> {
  checkHost(o.name, 'name');
  for (const u of o.upstreams ?? []) checkHost(u, 'upstream resolver');
  const up = (o.upstreams ?? []).map((u) => {
    const m = /^(.+?)(?::(\d+))?$/.exec(u)!;
    return { label: u, host: m[1]!, port: m[2] ?? '53' };
  });
  const script = [`echo '@@dig cluster'`, `dig +time=2 +tries=1 ${o.name} A`, ...up.flatMap((u) => [`echo '@@dig ${u.label}'`, `dig +time=2 +tries=1 @${u.host} -p ${u.port} ${o.name} A`])].join('; ');
  const ws = probeDns([o.name], o.workstation ?? [{ label: 'system' }], o.timeoutMs ?? 3000);
  const sections = new Map<string, string[]>();
  let cur = '';
  const lines: string[] = [];
  let code: number | undefined;
  for await (const ev of source(c, { purpose: 'dig', command: () => ['sh', '-c', script] }, o, signal)) {
    if (ev.type === 'line') {
      const m = /^@@dig (\S+)/.exec(ev.line);
      if (m) {
        cur = m[1]!;
        sections.set(cur, []);
        continue;
      }
      sections.get(cur)?.push(ev.line);
      if (lines.length < MAX_LINES) lines.push(ev.line);
    }
    if (ev.type === 'exit') code = ev.code;
    yield ev;
  }
  const answers: { from: string; addresses: string[]; status: string }[] = [];
  for (const [from, ls] of sections) {
    const msg = parseDig(ls.join('\n'))[0];
    answers.push({ from: from === 'cluster' ? 'cluster DNS' : from, addresses: msg ? digAddresses(msg).sort() : [], status: msg?.error ?? msg?.status ?? 'no answer' });
  }
  for (const a of await ws) answers.push({ from: `workstation ${a.resolver}`, addresses: [...a.addresses].sort(), status: a.error ?? 'NOERROR' });
  const sets = new Set(answers.map((a) => a.addresses.join(',')));
  const agree = sets.size === 1;
  const summary = answers.map((a) => `${a.from}: ${a.addresses.join(', ') || a.status}`).join(' · ') + (agree ? ' — all agree' : ' — they disagree');
  yield { type: 'result', run: { kind: 'dig', title: `dig ${o.name}`, summary, status: agree ? 'ok' : 'warn', lines, ...(code !== undefined ? { exitCode: code } : {}) } };
}

/**
 * The upstream resolvers cluster DNS forwards to, from CoreDNS's Corefile (`forward . 8.8.8.8 1.1.1.1`), for
 * `dig` to compare with. `/etc/resolv.conf` (the node's resolver) cannot be addressed from the API: empty then.
 */
export async function coreDnsUpstreams(c: PodTransport, signal?: AbortSignal): Promise<string[]> {
  const cm = await c.send('GET', '/api/v1/namespaces/kube-system/configmaps/coredns', signal ? { signal } : {}).catch(() => undefined);
  const corefile: string = cm?.data?.Corefile ?? '';
  const out: string[] = [];
  for (const m of corefile.matchAll(/^\s*forward\s+\S+\s+([^{\n]+)/gm))
    for (const t of m[1]!.trim().split(/\s+/)) {
      const v = t.replace(/^dns:\/\//, '');
      if (/^[\d.]+(:\d+)?$/.test(v) || /^\[[0-9a-f:]+\](:\d+)?$/i.test(v)) out.push(v);
    }
  return [...new Set(out)];
}

/** curl a URL from inside the cluster with the timing breakdown. */
export async function* curl(c: PodTransport, o: ToolOptions & { url: string; resolve?: string; timeoutSeconds?: number }, signal: AbortSignal): AsyncGenerator<ToolEvent> {
  let u: URL;
  try {
    u = new URL(o.url);
  } catch {
    throw new HelperError('failed', `invalid URL "${o.url.slice(0, 120)}"`);
  }
  if (!/^https?:$/.test(u.protocol)) throw new HelperError('failed', `only http and https URLs: "${o.url.slice(0, 120)}"`);
  const url = u.toString().replace(/'/g, '%27');
  if (o.resolve && !/^[A-Za-z0-9.-]+:\d+:[0-9a-fA-F.:[\]]+$/.test(o.resolve)) throw new HelperError('failed', `invalid --resolve "${o.resolve}"`);
  const t = Math.max(1, o.timeoutSeconds ?? 5);
  const cmd = `curl -sS -k -o /dev/null -m ${t}${o.resolve ? ` --resolve '${o.resolve}'` : ''} -w '${writeOut('curl')}' '${url}'`;
  const lines: string[] = [];
  let timing;
  let code: number | undefined;
  for await (const ev of source(c, { purpose: 'curl', command: () => ['sh', '-c', cmd] }, o, signal)) {
    if (ev.type === 'line') {
      const w = parseCurlWriteOut(ev.line);
      if (w) timing = w;
      if (lines.length < MAX_LINES) lines.push(ev.line);
    }
    if (ev.type === 'exit') code = ev.code;
    yield ev;
  }
  const summary = timing
    ? timing.httpCode
      ? `HTTP ${timing.httpCode} from ${timing.remoteIp ?? '?'}: dns ${timing.dnsMs} · connect ${timing.connectMs} · tls ${timing.tlsMs} · first byte ${timing.firstByteMs} · total ${timing.totalMs} ms`
      : `no answer (curl ${timing.exitCode}: ${timing.error ?? ''})`
    : 'curl printed no result';
  yield { type: 'result', run: { kind: 'curl', title: `curl ${url}`, summary, status: timing?.httpCode && timing.httpCode < 500 ? 'ok' : 'fail', lines, ...(code !== undefined ? { exitCode: code } : {}) } };
}

export interface NodeViewInput {
  node: string;
  service: { namespace: string; name: string; clusterIP?: string; port?: number };
  /** The Service's endpoints as `ip:port` (from the EndpointSlices). */
  endpoints: string[];
}

export interface NodeViewResult {
  mode: 'ipvs' | 'iptables' | 'unknown';
  /** Endpoints the node forwards to. */
  programmed: string[];
  /** In the EndpointSlices but not programmed on the node. */
  missing: string[];
  /** Programmed on the node but no longer an endpoint. */
  stale: string[];
  conntrack?: number;
  sockets?: Record<string, number>;
}

/** Compares the node's rules (ipvsadm -Ln or iptables-save) with the Service's endpoints. Pure. */
export function compareNodeView(sections: Map<string, string>, input: NodeViewInput): NodeViewResult {
  const ipvs = parseIpvsadm(sections.get('ipvs') ?? '');
  const vs = input.service.clusterIP && input.service.port ? ipvsFor(ipvs, input.service.clusterIP, input.service.port) : undefined;
  let mode: NodeViewResult['mode'] = 'unknown';
  let programmed: string[] = [];
  if (vs) {
    mode = 'ipvs';
    programmed = vs.servers.map((s) => `${s.address}:${s.port}`);
  } else {
    const chains = kubeServiceChains(parseIptablesSave(sections.get('iptables') ?? ''), input.service.namespace, input.service.name);
    if (chains.entries.length || chains.endpoints.length) {
      mode = 'iptables';
      programmed = chains.endpoints.map((e) => e.destination);
    }
  }
  const want = new Set(input.endpoints);
  const have = new Set(programmed);
  const ct = Number((sections.get('conntrack') ?? '').trim().split('\n').pop());
  const ss = sections.get('ss');
  return {
    mode,
    programmed: [...have].sort(),
    missing: [...want].filter((e) => !have.has(e)).sort(),
    stale: [...have].filter((e) => !want.has(e)).sort(),
    ...(Number.isFinite(ct) && (sections.get('conntrack') ?? '').trim() ? { conntrack: ct } : {}),
    ...(ss ? { sockets: ssCounts(parseSs(ss)) } : {}),
  };
}

/**
 * The node view (`--allow-privileged` only): a privileged hostNetwork pod on the node runs ipvsadm -Ln,
 * iptables-save -t nat, conntrack -C and ss -tan; the Service's rules are shown against its endpoints.
 */
export async function* nodeView(c: PodTransport, o: ToolOptions & { allowPrivileged: boolean; input: NodeViewInput }, signal: AbortSignal): AsyncGenerator<ToolEvent> {
  if (!o.allowPrivileged) throw new HelperError('podsecurity', `the node view runs a privileged hostNetwork pod on node ${o.input.node}: pass --allow-privileged to allow it`);
  checkHost(o.input.node, 'node');
  const script = [`echo '@@section ipvs'`, 'ipvsadm -Ln 2>&1', `echo '@@section iptables'`, 'iptables-save -t nat 2>&1', `echo '@@section conntrack'`, 'conntrack -C 2>&1', `echo '@@section ss'`, 'ss -tan 2>&1'].join('; ');
  const sections = new Map<string, string>();
  let cur = '';
  const lines: string[] = [];
  let code: number | undefined;
  for await (const ev of runHelper(c, { purpose: 'node', needs: { node: true }, command: () => ['sh', '-c', script] }, { ...o, node: o.input.node }, signal)) {
    if (ev.type === 'line') {
      const m = /^@@section (\S+)/.exec(ev.line);
      if (m) {
        cur = m[1]!;
        sections.set(cur, '');
        continue;
      }
      sections.set(cur, `${sections.get(cur) ?? ''}${ev.line}\n`);
      if (lines.length < MAX_LINES) lines.push(ev.line);
    }
    if (ev.type === 'exit') code = ev.code;
    yield ev;
  }
  const r = compareNodeView(sections, o.input);
  const svc = `${o.input.service.namespace}/${o.input.service.name}`;
  const summary =
    r.mode === 'unknown'
      ? `node ${o.input.node} has no ipvs or iptables rules for ${svc} (kube-proxy not running there, nftables mode, or an eBPF data plane)`
      : `node ${o.input.node} (${r.mode}) forwards ${svc} to ${r.programmed.length} endpoint${r.programmed.length === 1 ? '' : 's'}` +
        (r.missing.length ? `; missing ${r.missing.join(', ')}` : '') +
        (r.stale.length ? `; stale ${r.stale.join(', ')}` : '') +
        (r.conntrack !== undefined ? `; ${r.conntrack} conntrack entries` : '') +
        (r.sockets ? `; sockets ${Object.entries(r.sockets).map(([k, v]) => `${k} ${v}`).join(', ')}` : '');
  yield { type: 'result', run: { kind: 'node', title: `node view of ${o.input.node} for ${svc}`, summary, status: r.mode === 'unknown' ? 'unknown' : r.missing.length || r.stale.length ? 'fail' : 'ok', lines, ...(code !== undefined ? { exitCode: code } : {}) } };
}

/** The workstation's own traceroute (mtr --report when installed, else traceroute), through execa. */
export async function* workstationTraceroute(host: string, port: number, signal: AbortSignal): AsyncGenerator<ToolEvent> {
  checkHost(host, 'traceroute target');
  const which = async (b: string) => (await execa('sh', ['-c', `command -v ${b}`], { reject: false })).exitCode === 0;
  const tool = (await which('traceroute')) ? 'traceroute' : (await which('mtr')) ? 'mtr' : undefined;
  if (!tool) {
    yield { type: 'result', run: { kind: 'workstation-traceroute', title: `traceroute ${host}`, summary: 'neither traceroute nor mtr is installed on this machine', status: 'skipped', lines: [] } };
    return;
  }
  const args = tool === 'mtr' ? ['--report', '--report-cycles', '1', '-n', '-T', '-P', String(port), host] : ['-n', '-m', '20', '-q', '1', '-w', '1', host];
  const p = execa(tool, args, { reject: false, cancelSignal: signal, buffer: false, all: true });
  const lines: string[] = [];
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: p.all! })) {
    if (lines.length < MAX_LINES) lines.push(line);
    yield { type: 'line', line };
    const hop = tool === 'traceroute' ? parseTraceHop(line) : undefined;
    if (hop) yield { type: 'hop', hop };
  }
  const r = await p;
  const s = tool === 'traceroute' ? traceSummary(parseTraceroute(lines.join('\n'))) : undefined;
  yield {
    type: 'result',
    run: { kind: 'workstation-traceroute', title: `${tool} ${args.join(' ')}`, summary: s ? (s.reached ? `reached ${host} in ${s.hops} hops` : `last answer from ${s.lastAddress ?? 'nobody'} after ${s.hops} hops`) : `${tool} exited ${r.exitCode}`, status: r.exitCode === 0 ? 'ok' : 'warn', lines, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}) },
  };
}

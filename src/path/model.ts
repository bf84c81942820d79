// The path model: what the engine resolves, checks and reports, and what the UI renders. Plain data, no I/O.
// The JSON report (docs/OUTPUT.md) is this model serialised; its field names are a stable contract.

/** Layers in path order. `verdict.layer` is the first failing one in this order. */
export const LAYERS = ['dns', 'loadbalancer', 'ingress', 'service', 'endpoints', 'pods'] as const;
export type LayerId = (typeof LAYERS)[number];

export type Status = 'ok' | 'warn' | 'fail' | 'unknown' | 'skipped';

/** A reference to a Kubernetes object, printable as `kind/name -n namespace`. */
export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
  apiVersion?: string;
}

export interface Check {
  /** Stable, greppable id from the catalogue (`svc.selector-no-pods`, `ing.tls-expired`, …). */
  id: string;
  status: Status;
  /** One line a person reads first. */
  message: string;
  /** Facts that support the status: object fields, event lines, log lines, probe results. */
  evidence: string[];
  /** The kubectl/dig/curl command a person would run to confirm. */
  next?: string;
  /** The objects the check is about. */
  objects?: ObjectRef[];
}

export interface Layer {
  id: LayerId;
  status: Status;
  /** One-line summary for lists (the UI's left column, the text report's block header). */
  summary: string;
  checks: Check[];
  objects: ObjectRef[];
}

export interface Verdict {
  status: Status;
  /** The first failing layer in path order, or null. */
  layer: LayerId | null;
  summary: string;
}

/** One resolved path from a host (or a Service) to its pods. A target may have several (hosts, routes). */
export interface Path {
  /** Stable id within a report: `host/path` or `svc/ns/name`. */
  id: string;
  host?: string;
  path?: string;
  scheme?: 'http' | 'https';
  port?: number;
  /** How traffic enters: through an Ingress, a Gateway API route, or straight to a LoadBalancer Service. */
  via: 'ingress' | 'httproute' | 'service';
  ingress?: ObjectRef & { rule?: string; className?: string; controller?: string };
  route?: ObjectRef & { gateway?: ObjectRef; rule?: number; controller?: string };
  loadBalancer?: { service?: ObjectRef; gateway?: ObjectRef; addresses: string[]; pending: boolean };
  service?: ObjectRef & { port?: number | string; targetPort?: number | string };
  endpoints: { address: string; ready: boolean; serving: boolean; terminating: boolean; pod?: string; node?: string; zone?: string }[];
  pods: ObjectRef[];
  nodes: string[];
  layers: Layer[];
}

export interface DnsAnswer {
  resolver: string; // 'system' or host:port
  name: string;
  chain: { name: string; type: 'A' | 'AAAA' | 'CNAME'; value: string; ttl?: number }[];
  addresses: string[];
  error?: string;
  ms: number;
}

export interface HttpTiming {
  url: string;
  address?: string;
  status?: number;
  error?: string;
  /** Milliseconds from the start, curl -w style: time_namelookup, time_connect, time_appconnect, time_starttransfer, time_total. */
  dns?: number;
  connect?: number;
  tls?: number;
  firstByte?: number;
  total?: number;
  /** The leaf certificate served (HTTPS). */
  certificate?: CertificateInfo;
  /** The whole chain as served, leaf first (HTTPS; added to the contract, optional). */
  certificateChain?: CertificateInfo[];
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  selfSigned: boolean;
}

export interface Probes {
  dns: DnsAnswer[];
  tcp: { address: string; port: number; ok: boolean; ms?: number; error?: string }[];
  http: HttpTiming[];
  /** In-cluster isolation ladder results, one per laddered path (added to the contract, optional; --ladder). */
  ladder?: LadderResult[];
  /** Other in-cluster runs (traceroute, dig, curl, node view, port-forward), in the order they ran (optional). */
  inCluster?: InClusterRun[];
}

/** One curl `-w` result from a helper pod (milliseconds, cumulative from the start, as curl counts them). */
export interface CurlWriteOut {
  /** 0 when no HTTP response arrived. */
  httpCode: number;
  remoteIp?: string;
  remotePort?: number;
  dnsMs?: number;
  connectMs?: number;
  tlsMs?: number;
  firstByteMs?: number;
  totalMs?: number;
  exitCode?: number;
  error?: string;
}

export type RungId = 'pod' | 'cluster-ip' | 'service-dns' | 'controller' | 'lb' | 'external';
/** The hop a failing rung blames. `targetPort`: the pods answer on another declared port. */
export type RungHop = 'pod' | 'targetPort' | 'service' | 'cluster-dns' | 'controller' | 'loadbalancer' | 'dns';

export interface LadderRungResult {
  id: RungId;
  title: string;
  hop: RungHop;
  layer: LayerId;
  /** The check id this rung becomes (`ladder.pod`, `ladder.target-port`, …). */
  check: string;
  /** `not-run`: a lower rung failed first (never shown as passing). */
  status: 'pass' | 'fail' | 'skipped' | 'unknown' | 'not-run';
  message: string;
  targets: { label: string; url: string; alt?: boolean; result: string; timing?: CurlWriteOut }[];
}

export interface LadderResult {
  /** The Path.id the ladder ran for. */
  path: string;
  rungs: LadderRungResult[];
  verdict: { status: 'ok' | 'fail' | 'unknown'; rung?: RungId; hop?: RungHop; layer?: LayerId; message: string };
  /** Wall time from start to verdict. */
  ms?: number;
  /** The helper pod that ran it (deleted afterwards) and the PodSecurity profile it got. */
  helper?: { pod: string; namespace: string; profile: string; note?: string };
}

export interface InClusterRun {
  kind: 'traceroute' | 'dig' | 'curl' | 'node' | 'workstation-traceroute' | 'portforward';
  /** What ran, e.g. `traceroute -n -T -p 443 127.0.10.11 (from pod kubectl-netpath-ab12cd-2)`. */
  title: string;
  /** One-line outcome (`reached 127.0.10.11 in 3 hops`, `cluster DNS and 127.0.53.1 agree`). */
  summary: string;
  status: Status;
  /** The raw output lines (sanitised when rendered), capped. */
  lines: string[];
  exitCode?: number;
}

export interface Report {
  target: string;
  context?: string;
  cluster?: string;
  namespace?: string;
  generatedAt: string;
  verdict: Verdict;
  /** The layers of the primary path (the first one; the worst when several are broken). */
  layers: Layer[];
  probes: Probes;
  paths: Path[];
  /** API usage of the run (added to the contract, optional): requests and sequential round trips. */
  api?: { requests: number; roundTrips: number; ms: number };
}

const ORDER: Record<Status, number> = { fail: 4, unknown: 3, warn: 2, ok: 1, skipped: 0 };

/** The worst status of several: fail > unknown > warn > ok > skipped. */
export function worst(statuses: Status[]): Status {
  let w: Status = 'skipped';
  for (const s of statuses) if (ORDER[s] > ORDER[w]) w = s;
  return w;
}

/** A layer's status from its checks: any fail fails; unknown beats warn so an unchecked link never looks healthy. */
export function layerStatus(checks: Check[]): Status {
  return checks.length ? worst(checks.map((c) => c.status)) : 'unknown';
}

export function verdictOf(layers: Layer[]): Verdict {
  const failing = LAYERS.map((id) => layers.find((l) => l.id === id)).find((l) => l?.status === 'fail');
  if (failing) {
    const first = failing.checks.find((c) => c.status === 'fail')!;
    return { status: 'fail', layer: failing.id, summary: first.message };
  }
  const status = worst(layers.map((l) => l.status));
  const summary =
    status === 'unknown'
      ? `not every layer could be checked: ${layers.filter((l) => l.status === 'unknown').map((l) => l.id).join(', ')}`
      : status === 'warn'
        ? `no layer fails; warnings in ${layers.filter((l) => l.status === 'warn').map((l) => l.id).join(', ')}`
        : 'every layer of the path is healthy';
  return { status: status === 'skipped' ? 'ok' : status, layer: null, summary };
}

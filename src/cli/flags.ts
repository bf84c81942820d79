// Flag parsing for `kubectl netpath TARGET [flags]`, with kubectl's conventions (pflag): `--flag value`,
// `--flag=value`, `-n value`, `-nvalue`, `-n=value`, booleans with an optional `=true|false`, `--` ends flags,
// and klog's `-v`/`-v=N`/`--v=N`. Errors are CliErrors (exit 2) worded as kubectl words them.
import type { KubeOptions } from '../kube/config.ts';
import { OUTPUT_FORMATS, type OutputFormat } from '../report/index.ts';
import { CliError } from './exit.ts';

export interface DiagnoseArgs {
  target?: string;
  output?: OutputFormat;
  resolvers: string[];
  probe: boolean;
  /** Per-probe timeout (--timeout). */
  timeoutMs: number;
  verbosity: number;
  allNamespaces: boolean;
  help: boolean;
  color?: boolean;
  kube: KubeOptions;
}

type Kind = 'string' | 'boolean' | 'multi';

interface FlagDef {
  long: string;
  short?: string;
  kind: Kind;
  /** Accepted for kubectl compatibility and ignored. */
  ignored?: boolean;
}

const DEFS: FlagDef[] = [
  { long: 'kubeconfig', kind: 'string' },
  { long: 'context', kind: 'string' },
  { long: 'cluster', kind: 'string' },
  { long: 'user', kind: 'string' },
  { long: 'namespace', short: 'n', kind: 'string' },
  { long: 'server', short: 's', kind: 'string' },
  { long: 'token', kind: 'string' },
  { long: 'as', kind: 'string' },
  { long: 'as-group', kind: 'multi' },
  { long: 'as-uid', kind: 'string' },
  { long: 'certificate-authority', kind: 'string' },
  { long: 'client-certificate', kind: 'string' },
  { long: 'client-key', kind: 'string' },
  { long: 'insecure-skip-tls-verify', kind: 'boolean' },
  { long: 'tls-server-name', kind: 'string' },
  { long: 'request-timeout', kind: 'string' },
  { long: 'cache-dir', kind: 'string', ignored: true },
  { long: 'output', short: 'o', kind: 'string' },
  { long: 'resolver', kind: 'multi' },
  { long: 'no-probe', kind: 'boolean' },
  { long: 'timeout', kind: 'string' },
  { long: 'all-namespaces', short: 'A', kind: 'boolean' },
  { long: 'no-color', kind: 'boolean' },
  { long: 'help', short: 'h', kind: 'boolean' },
];

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** Go-style durations (`1m30s`, `500ms`, `2h`) or a plain number of seconds. */
export function parseDuration(s: string): number | undefined {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    const n = Number(m[1]);
    ms += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
  }
  return Math.round(ms);
}

function boolValue(name: string, v: string): boolean {
  if (/^(true|1|t|yes)$/i.test(v)) return true;
  if (/^(false|0|f|no)$/i.test(v)) return false;
  throw new CliError(`invalid argument "${v}" for "--${name}" flag: expected true or false`);
}

export function parseDiagnoseArgs(argv: string[]): DiagnoseArgs {
  const values = new Map<string, string[]>();
  const positional: string[] = [];
  let verbosity = 0;
  const set = (d: FlagDef, v: string) => values.set(d.long, d.kind === 'multi' ? [...(values.get(d.long) ?? []), v] : [v]);
  const label = (d: FlagDef) => (d.short ? `-${d.short}, --${d.long}` : `--${d.long}`);

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    // klog verbosity: -v, -v=N, -vN, -v N, --v=N, --v N.
    let m = /^--?v(?:=?(\d+))?$/.exec(a);
    if (m) {
      if (m[1] !== undefined) verbosity = Number(m[1]);
      else if (/^\d+$/.test(argv[i + 1] ?? '')) verbosity = Number(argv[++i]);
      else verbosity = Math.max(verbosity, 1);
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const d = DEFS.find((x) => x.long === name);
      if (!d) throw new CliError(`unknown flag: --${name} (see kubectl netpath TARGET --help)`);
      if (d.kind === 'boolean') set(d, eq < 0 ? 'true' : String(boolValue(name, a.slice(eq + 1))));
      else if (eq >= 0) set(d, a.slice(eq + 1));
      else if (i + 1 < argv.length) set(d, argv[++i]!);
      else throw new CliError(`flag needs an argument: ${label(d)}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const short = a[1]!;
      const d = DEFS.find((x) => x.short === short);
      if (!d) throw new CliError(`unknown shorthand flag: '${short}' in ${a} (see kubectl netpath TARGET --help)`);
      const rest = a.slice(2);
      if (d.kind === 'boolean') {
        if (rest && !rest.startsWith('=')) throw new CliError(`unknown shorthand flag: '${rest[0]}' in ${a}`);
        set(d, rest ? String(boolValue(d.long, rest.slice(1))) : 'true');
      } else if (rest) set(d, rest.startsWith('=') ? rest.slice(1) : rest);
      else if (i + 1 < argv.length) set(d, argv[++i]!);
      else throw new CliError(`flag needs an argument: '${short}' in -${short}`);
      continue;
    }
    positional.push(a);
  }

  const one = (k: string) => values.get(k)?.at(-1);
  const flag = (k: string) => one(k) === 'true';
  if (positional.length > 1) throw new CliError(`expected one target, got ${positional.length}: ${positional.join(' ')}`);

  let output: OutputFormat | undefined;
  const o = one('output');
  if (o !== undefined) {
    if (!(OUTPUT_FORMATS as readonly string[]).includes(o)) throw new CliError(`invalid output format "${o}": expected one of ${OUTPUT_FORMATS.join(', ')}`);
    output = o as OutputFormat;
  }
  let timeoutMs = DEFAULT_PROBE_TIMEOUT_MS;
  const t = one('timeout');
  if (t !== undefined) {
    const ms = parseDuration(t);
    if (ms === undefined || ms <= 0) throw new CliError(`invalid --timeout "${t}": use a duration such as 5s or 1500ms`);
    timeoutMs = ms;
  }
  let requestTimeoutMs: number | undefined;
  const rt = one('request-timeout');
  if (rt !== undefined) {
    const ms = parseDuration(rt);
    if (ms === undefined) throw new CliError(`invalid --request-timeout "${rt}": must be a duration such as 1s, 2m or 3h, or 0 for none`);
    requestTimeoutMs = ms;
  }
  const ns = one('namespace');
  if (ns !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns)) throw new CliError(`invalid namespace "${ns}"`);

  const kube: KubeOptions = {
    ...(one('kubeconfig') !== undefined ? { kubeconfig: one('kubeconfig')! } : {}),
    ...(one('context') ? { context: one('context')! } : {}),
    ...(one('cluster') ? { cluster: one('cluster')! } : {}),
    ...(one('user') ? { user: one('user')! } : {}),
    ...(ns ? { namespace: ns } : {}),
    ...(one('server') ? { server: one('server')! } : {}),
    ...(one('token') ? { token: one('token')! } : {}),
    ...(one('as') ? { as: one('as')! } : {}),
    ...(values.get('as-group')?.length ? { asGroups: values.get('as-group')! } : {}),
    ...(one('as-uid') ? { asUid: one('as-uid')! } : {}),
    ...(one('certificate-authority') ? { certificateAuthority: one('certificate-authority')! } : {}),
    ...(one('client-certificate') ? { clientCertificate: one('client-certificate')! } : {}),
    ...(one('client-key') ? { clientKey: one('client-key')! } : {}),
    ...(flag('insecure-skip-tls-verify') ? { insecureSkipTlsVerify: true } : {}),
    ...(one('tls-server-name') ? { tlsServerName: one('tls-server-name')! } : {}),
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
  };
  if (kube.kubeconfig === '') throw new CliError('flag --kubeconfig needs a path');
  return {
    ...(positional[0] !== undefined ? { target: positional[0] } : {}),
    ...(output ? { output } : {}),
    resolvers: values.get('resolver') ?? [],
    probe: !flag('no-probe'),
    timeoutMs,
    verbosity,
    allNamespaces: flag('all-namespaces'),
    help: flag('help'),
    ...(flag('no-color') ? { color: false } : {}),
    kube,
  };
}

export const DIAGNOSE_USAGE = `Usage: kubectl netpath TARGET [flags]

Walks the external access path of TARGET — DNS, load balancer, Ingress/Gateway, Service, endpoints, pods — checks
every layer and names the first broken one.

TARGET:
  svc/NAME (service/NAME)      the Service and every Ingress/HTTPRoute that routes to it
  ingress/NAME (ing/NAME)      every rule of the Ingress
  httproute/NAME               every rule of the HTTPRoute on each Gateway it attaches to
  gateway/NAME                 every HTTPRoute attached to the Gateway
  https://HOST[:PORT]/PATH     a URL
  HOST[/PATH]                  a bare hostname

Flags:
  -o, --output FORMAT          tui|text|markdown|json|yaml (default: tui on a terminal, text otherwise)
      --resolver HOST[:PORT]   also ask this DNS server (repeatable) and compare with the system resolver
      --no-probe               no network probes from this machine (API reads only)
      --timeout DURATION       time limit of each probe (default 5s)
  -A, --all-namespaces         find svc/NAME (etc.) in any namespace
  -v, -v=N                     print API request counts and round trips (N >= 6: every request)
      --no-color               no colour in text output
kubectl flags: --kubeconfig --context --cluster --user -n/--namespace -s/--server --token --as --as-group --as-uid
  --certificate-authority --client-certificate --client-key --insecure-skip-tls-verify --tls-server-name
  --request-timeout

Exit codes: 0 no layer fails (warnings allowed), 1 a layer fails, 2 bad usage or target not found,
3 cluster unreachable or not authorised (including a missing or broken kubeconfig).`;

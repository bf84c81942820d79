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
  /** In-cluster probes (helper pods, ephemeral containers, port-forward; docs/PROBES.md). */
  helpers: HelperArgs;
}

export interface HelperArgs {
  /** --image: the helper image (default a pinned nicolaka/netshoot). */
  image?: string;
  /** --image-pull-secret (repeatable). */
  imagePullSecrets: string[];
  /** --probe-namespace: where helper pods run (default the target's namespace). */
  probeNamespace?: string;
  /** --node: pin helper pods to a node. */
  node?: string;
  /** --no-helpers: never create anything in the cluster. Implied by --read-only. */
  noHelpers: boolean;
  /**
   * --read-only: only get/list/watch and pods/log — no helper pods, no ephemeral containers, no port-forward
   * (what a view-only RBAC role allows).
   */
  readOnly: boolean;
  /** --ladder: run the isolation ladder and put it in the report. */
  ladder: boolean;
  /** --from-pod POD: run probes from an ephemeral container in this pod's network namespace. */
  fromPod?: string;
  /** --allow-privileged: permit the node view's privileged hostNetwork pod. */
  allowPrivileged: boolean;
  /** --helper-deadline: activeDeadlineSeconds of helper pods (default 300). */
  deadlineSeconds: number;
}

type Kind = 'string' | 'boolean' | 'multi';

interface FlagDef {
  long: string;
  short?: string;
  kind: Kind;
  /** Accepted for kubectl compatibility and ignored. */
  ignored?: boolean;
}

/** Every flag of a diagnosis (completion offers these; test/unit/dist/complete.test.ts keeps the two in step). */
export const DEFS: FlagDef[] = [
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
  { long: 'image', kind: 'string' },
  { long: 'image-pull-secret', kind: 'multi' },
  { long: 'probe-namespace', kind: 'string' },
  { long: 'node', kind: 'string' },
  { long: 'no-helpers', kind: 'boolean' },
  { long: 'read-only', kind: 'boolean' },
  { long: 'ladder', kind: 'boolean' },
  { long: 'from-pod', kind: 'string' },
  { long: 'allow-privileged', kind: 'boolean' },
  { long: 'helper-deadline', kind: 'string' },
];

export const DEFAULT_HELPER_DEADLINE_SECONDS = 300;

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
  const helpers = parseHelperArgs(one, values, flag);
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
    helpers,
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function parseHelperArgs(one: (k: string) => string | undefined, values: Map<string, string[]>, flag: (k: string) => boolean): HelperArgs {
  const image = one('image');
  if (image !== undefined && (!image || /\s/.test(image))) throw new CliError(`invalid --image "${image}": use an image reference such as registry.example.com/netshoot:v0.14`);
  const secrets = values.get('image-pull-secret') ?? [];
  for (const s of secrets) if (!DNS_SUBDOMAIN.test(s)) throw new CliError(`invalid --image-pull-secret "${s}": must be a Secret name`);
  const pns = one('probe-namespace');
  if (pns !== undefined && !DNS_LABEL.test(pns)) throw new CliError(`invalid --probe-namespace "${pns}"`);
  const node = one('node');
  if (node !== undefined && !DNS_SUBDOMAIN.test(node)) throw new CliError(`invalid --node "${node}": must be a node name`);
  const fromPod = one('from-pod');
  if (fromPod !== undefined && !DNS_SUBDOMAIN.test(fromPod.replace(/^pods?\//, ''))) throw new CliError(`invalid --from-pod "${fromPod}": must be a pod name`);
  let deadlineSeconds = DEFAULT_HELPER_DEADLINE_SECONDS;
  const hd = one('helper-deadline');
  if (hd !== undefined) {
    const ms = parseDuration(hd);
    if (ms === undefined || ms < 1000) throw new CliError(`invalid --helper-deadline "${hd}": use a duration of at least 1s, such as 60s or 5m`);
    deadlineSeconds = Math.ceil(ms / 1000);
  }
  const readOnly = flag('read-only');
  const noHelpers = flag('no-helpers') || readOnly;
  const why = readOnly ? '--read-only' : '--no-helpers';
  if (noHelpers && flag('ladder')) throw new CliError(`--ladder needs a helper pod; it cannot be combined with ${why}`);
  if (noHelpers && fromPod !== undefined) throw new CliError(`--from-pod adds an ephemeral container; it cannot be combined with ${why}`);
  return {
    ...(image !== undefined ? { image } : {}),
    imagePullSecrets: secrets,
    ...(pns !== undefined ? { probeNamespace: pns } : {}),
    ...(node !== undefined ? { node } : {}),
    noHelpers,
    readOnly,
    ladder: flag('ladder'),
    ...(fromPod !== undefined ? { fromPod: fromPod.replace(/^pods?\//, '') } : {}),
    allowPrivileged: flag('allow-privileged'),
    deadlineSeconds,
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
In-cluster probes (docs/PROBES.md):
      --ladder                 run the isolation ladder from a helper pod and report the first failing hop
      --image IMAGE            helper image (default nicolaka/netshoot, pinned); for air-gapped registries
      --image-pull-secret NAME pull secret for --image (repeatable)
      --probe-namespace NS     where helper pods run (default: the target's namespace)
      --node NODE              pin helper pods to a node
      --from-pod POD           probe from an ephemeral container in POD (cannot be removed afterwards)
      --allow-privileged       allow the node view's privileged hostNetwork pod
      --helper-deadline DUR    helper pods' activeDeadlineSeconds (default 5m)
      --no-helpers             never create anything in the cluster
      --read-only              API reads and logs only: no helper pods, ephemeral containers or port-forwards
kubectl flags: --kubeconfig --context --cluster --user -n/--namespace -s/--server --token --as --as-group --as-uid
  --certificate-authority --client-certificate --client-key --insecure-skip-tls-verify --tls-server-name
  --request-timeout

Exit codes: 0 no layer fails (warnings allowed), 1 a layer fails, 2 bad usage or target not found,
3 cluster unreachable or not authorised (including a missing or broken kubeconfig).`;

// `kubectl-netpath __complete ARGS… PARTIAL`: shell completion in Cobra's protocol, which kubectl (≥ 1.26) speaks
// with plugins through a `kubectl_complete-netpath` helper on PATH. It prints one candidate per line (optionally
// `value<TAB>description`), then `:<directive>` (a bit set: 2 no space after, 4 no file completion). Targets are
// completed from the current cluster (the same kubeconfig, context and namespace flags as a diagnosis); any error —
// no cluster, no permission, a slow server — just yields no names, never a message on the terminal.
import { EXIT } from './exit.ts';

export const DIRECTIVE = { error: 1, noSpace: 2, noFileComp: 4 } as const;

export interface FlagSpec {
  long: string;
  short?: string;
  /** Takes a value (as the next word or after `=`). */
  value: boolean;
  help: string;
  /** Completes its value with files (the shell's default). */
  file?: boolean;
}

/** The diagnosis flags (src/cli/flags.ts; test/unit/dist/complete.test.ts checks every one is accepted there). */
export const DIAGNOSE_FLAGS: FlagSpec[] = [
  { long: 'namespace', short: 'n', value: true, help: 'namespace of the target' },
  { long: 'all-namespaces', short: 'A', value: false, help: 'look for the target in every namespace' },
  { long: 'output', short: 'o', value: true, help: 'tui, text, markdown, json or yaml' },
  { long: 'no-probe', value: false, help: 'read the cluster only, no DNS/HTTP probes' },
  { long: 'resolver', value: true, help: 'DNS server for the probes (HOST[:PORT])' },
  { long: 'timeout', value: true, help: 'per-probe timeout' },
  { long: 'no-color', value: false, help: 'plain text output' },
  { long: 'kubeconfig', value: true, file: true, help: 'path to the kubeconfig file' },
  { long: 'context', value: true, help: 'kubeconfig context' },
  { long: 'cluster', value: true, help: 'kubeconfig cluster' },
  { long: 'user', value: true, help: 'kubeconfig user' },
  { long: 'server', short: 's', value: true, help: 'API server address' },
  { long: 'token', value: true, help: 'bearer token' },
  { long: 'as', value: true, help: 'impersonate a user' },
  { long: 'as-group', value: true, help: 'impersonate a group' },
  { long: 'as-uid', value: true, help: 'impersonate a UID' },
  { long: 'certificate-authority', value: true, file: true, help: 'CA certificate file' },
  { long: 'client-certificate', value: true, file: true, help: 'client certificate file' },
  { long: 'client-key', value: true, file: true, help: 'client key file' },
  { long: 'insecure-skip-tls-verify', value: false, help: 'do not verify the server certificate' },
  { long: 'tls-server-name', value: true, help: 'server name for TLS verification' },
  { long: 'request-timeout', value: true, help: 'API request timeout' },
  { long: 'image', value: true, help: 'helper-pod image (default a pinned nicolaka/netshoot)' },
  { long: 'image-pull-secret', value: true, help: 'pull secret for the helper image (repeatable)' },
  { long: 'probe-namespace', value: true, help: 'namespace for helper pods' },
  { long: 'node', value: true, help: 'pin helper pods to a node' },
  { long: 'no-helpers', value: false, help: 'never create anything in the cluster' },
  { long: 'read-only', value: false, help: 'API reads and logs only' },
  { long: 'ladder', value: false, help: 'run the in-cluster isolation ladder' },
  { long: 'from-pod', value: true, help: "probe from an ephemeral container in this pod's network namespace" },
  { long: 'allow-privileged', value: false, help: "permit the node view's privileged hostNetwork pod" },
  { long: 'helper-deadline', value: true, help: 'activeDeadlineSeconds of helper pods (duration)' },
  { long: 'help', short: 'h', value: false, help: 'help' },
];

export const LAB_FLAGS: FlagSpec[] = [
  { long: 'scenario', value: true, help: 'scenario to stage (repeatable)' },
  { long: 'manifests', value: true, file: true, help: 'extra manifests, a file or a directory' },
  { long: 'kubeconfig', value: true, file: true, help: 'where to write the kubeconfig' },
  { long: 'port', value: true, help: 'API server port' },
  { long: 'no-dataplane', value: false, help: 'control plane only' },
  { long: 'help', short: 'h', value: false, help: 'help' },
];

/** Target kinds: the prefix a user types and the resource listed to complete its names. */
const KINDS = [
  { prefixes: ['svc', 'service'], resource: 'services', help: 'a Service and the routes to it' },
  { prefixes: ['ingress', 'ing'], resource: 'ingresses', help: 'an Ingress' },
  { prefixes: ['httproute'], resource: 'httproutes', help: 'a Gateway API HTTPRoute' },
  { prefixes: ['gateway'], resource: 'gateways', help: 'a Gateway API Gateway' },
] as const;

const COMMANDS = [
  { name: 'lab', help: 'run the embedded lab cluster' },
  { name: 'cleanup', help: 'delete helper pods this tool left behind' },
  { name: '--demo', help: 'the embedded lab with the demo scenario' },
  { name: '--version', help: 'print the version' },
];

export type ResourceName = (typeof KINDS)[number]['resource'] | 'namespaces';

/** Lists object names; injected so the logic is testable without a cluster. */
export type Lister = (resource: ResourceName, namespace: string | undefined, flagArgs: string[]) => Promise<string[]>;

export interface Completion {
  candidates: string[];
  directive: number;
}

const findFlag = (flags: FlagSpec[], word: string): FlagSpec | undefined => {
  if (word.startsWith('--')) return flags.find((f) => f.long === word.slice(2).split('=')[0]);
  if (/^-[A-Za-z]$/.test(word)) return flags.find((f) => f.short === word[1]);
  return undefined;
};

/** Splits the words before the one being completed into flags (with values) and positionals. */
function scan(words: string[], flags: FlagSpec[]): { positional: string[]; flagArgs: string[]; namespace?: string; pending?: FlagSpec } {
  const positional: string[] = [];
  const flagArgs: string[] = [];
  let namespace: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') {
      positional.push(...words.slice(i + 1));
      break;
    }
    if (!w.startsWith('-') || w === '-') {
      positional.push(w);
      continue;
    }
    const f = findFlag(flags, w);
    if (!f) continue;
    let value: string | undefined;
    if (f.value) {
      if (w.includes('=')) value = w.slice(w.indexOf('=') + 1);
      else if (i + 1 < words.length) value = words[++i]!;
      else return { positional, flagArgs, ...(namespace ? { namespace } : {}), pending: f };
      flagArgs.push(`--${f.long}=${value}`);
      if (f.long === 'namespace') namespace = value;
    } else flagArgs.push(`--${f.long}`);
  }
  return { positional, flagArgs, ...(namespace ? { namespace } : {}) };
}

const flagCandidates = (flags: FlagSpec[], partial: string): string[] =>
  flags
    .flatMap((f) => [`--${f.long}\t${f.help}`, ...(f.short && !partial.startsWith('--') ? [`-${f.short}\t${f.help}`] : [])])
    .filter((c) => c.startsWith(partial));

async function names(list: Lister, resource: ResourceName, namespace: string | undefined, flagArgs: string[]): Promise<string[]> {
  try {
    return (await list(resource, namespace, flagArgs)).sort();
  } catch {
    return [];
  }
}

async function completeValue(f: FlagSpec, partial: string, _namespace: string | undefined, flagArgs: string[], list: Lister): Promise<Completion> {
  if (f.file) return { candidates: [], directive: 0 };
  const noFile = DIRECTIVE.noFileComp;
  switch (f.long) {
    case 'namespace':
      return { candidates: (await names(list, 'namespaces', undefined, flagArgs)).filter((n) => n.startsWith(partial)), directive: noFile };
    case 'output':
      return { candidates: ['tui', 'text', 'markdown', 'json', 'yaml'].filter((o) => o.startsWith(partial)), directive: noFile };
    case 'context': {
      const { loadContexts } = await import('./complete-kube.ts');
      return { candidates: loadContexts(flagArgs).filter((c) => c.startsWith(partial)), directive: noFile };
    }
    case 'scenario': {
      const { listScenarios } = await import('../lab/scenarios/index.ts');
      return { candidates: listScenarios().filter((s) => s !== 'platform' && s.startsWith(partial)), directive: noFile };
    }
    default:
      return { candidates: [], directive: noFile };
  }
}

/** The completion of `kubectl netpath ARGS… PARTIAL`. */
export async function complete(args: string[], list: Lister): Promise<Completion> {
  const partial = args.at(-1) ?? '';
  const words = args.slice(0, -1);
  const noFile = DIRECTIVE.noFileComp;

  if (words[0] === 'lab') {
    const s = scan(words.slice(1), LAB_FLAGS);
    if (s.pending) return completeValue(s.pending, partial, undefined, [], list);
    const eq = partial.startsWith('--') && partial.includes('=') ? findFlag(LAB_FLAGS, partial) : undefined;
    if (eq?.value) {
      const prefix = partial.slice(0, partial.indexOf('=') + 1);
      const c = await completeValue(eq, partial.slice(prefix.length), undefined, [], list);
      return { ...c, candidates: c.candidates.map((x) => prefix + x) };
    }
    return { candidates: partial.startsWith('-') ? flagCandidates(LAB_FLAGS, partial) : [], directive: noFile };
  }

  const s = scan(words, DIAGNOSE_FLAGS);
  if (s.pending) return completeValue(s.pending, partial, s.namespace, s.flagArgs, list);
  if (partial.startsWith('--') && partial.includes('=')) {
    const f = findFlag(DIAGNOSE_FLAGS, partial);
    if (f?.value) {
      const prefix = partial.slice(0, partial.indexOf('=') + 1);
      const c = await completeValue(f, partial.slice(prefix.length), s.namespace, s.flagArgs, list);
      return { ...c, candidates: c.candidates.map((x) => prefix + x) };
    }
  }
  if (partial.startsWith('-')) {
    const cmds = s.positional.length === 0 && words.length === 0 ? COMMANDS.filter((c) => c.name.startsWith(partial)).map((c) => `${c.name}\t${c.help}`) : [];
    return { candidates: [...cmds, ...flagCandidates(DIAGNOSE_FLAGS, partial)], directive: noFile };
  }
  // One target per invocation: after it, only flags.
  if (s.positional.length > 0) return { candidates: [], directive: noFile };

  const slash = partial.indexOf('/');
  if (slash > 0) {
    const prefix = partial.slice(0, slash);
    const kind = KINDS.find((k) => (k.prefixes as readonly string[]).includes(prefix));
    if (!kind) return { candidates: [], directive: noFile };
    const found = await names(list, kind.resource, s.namespace, s.flagArgs);
    return { candidates: found.map((n) => `${prefix}/${n}`).filter((c) => c.startsWith(partial)), directive: noFile };
  }
  const kinds = KINDS.map((k) => `${k.prefixes[0]}/\t${k.help}`).filter((c) => c.startsWith(partial));
  const cmds = words.length === 0 ? COMMANDS.filter((c) => !c.name.startsWith('-') && c.name.startsWith(partial)).map((c) => `${c.name}\t${c.help}`) : [];
  // A kind prefix ends with "/": no space after it, so TAB again completes the names.
  return { candidates: [...kinds, ...cmds], directive: noFile | DIRECTIVE.noSpace };
}

/** The `__complete` command: prints the candidates and the directive line; always exits 0. */
export async function runComplete(args: string[]): Promise<number> {
  const { clusterLister } = await import('./complete-kube.ts');
  const c = await complete(args, clusterLister);
  process.stdout.write(c.candidates.map((x) => `${x}\n`).join('') + `:${c.directive}\n`);
  return EXIT.OK;
}

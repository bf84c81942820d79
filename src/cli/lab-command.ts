// `kubectl-netpath lab`: run the embedded lab cluster in the foreground.
import { parseArgs } from 'node:util';
import { Lab, type LabOptions } from '../lab/lab.ts';
import { type FaultSpec, FaultSpecError, parseFaultValue } from '../lab/faults.ts';
import { parseScale, scaleObjects } from '../lab/scale.ts';
import { CliError, EXIT } from './exit.ts';

export const LAB_USAGE = `Usage: kubectl-netpath lab [--scenario NAME]... [--manifests FILE_OR_DIR]... [--kubeconfig PATH] [--port N]
                          [--scale services=N,pods=M,ingresses=K] [--traffic RPS] [--no-dataplane]
                          [--api-latency MS] [--api-error-rate R] [--watch-drop S] [--forbid RULES]...
                          [--flap S[:SELECTOR]] [--log-flood N[:SELECTOR]]

Runs a Kubernetes-API-compatible lab cluster on loopback until SIGINT/SIGTERM. When ready it prints one JSON
line: {"kubeconfig", "server", "context", "resolver", "resolvers", "scenario"}.

  --traffic RPS           background requests per second through the load balancers to every Ingress host
  --no-dataplane          control plane only (no loopback listeners)
  --api-latency MS        every API request waits MS milliseconds (±20%)
  --api-error-rate R      share (0..1) of API requests failing with 500 "etcdserver: request timed out"
  --watch-drop S          watch and log-follow streams are ended S seconds after they open
  --forbid RULES          RBAC denials, e.g. secrets:get,pods/log:get,pods:list,watch,shop/secrets:get (repeatable)
  --flap S[:SELECTOR]     matching pods toggle readiness every S seconds ([NAMESPACE/]LABEL_SELECTOR; default:
                          the pods behind Ingress and HTTPRoute backends)
  --log-flood N[:SELECTOR]
                          N access-log lines/s into each matching pod's log (default: ingress-nginx controllers)

Faults change at run time through the ConfigMap kube-system/netpath-lab-faults (docs/LAB.md, "Faults").`;

export interface LabArgs {
  scenarios: string[];
  manifests: string[];
  kubeconfig?: string;
  port?: number;
  scale?: string;
  /** Faults active from the start (docs/LAB.md, "Faults"). */
  faults?: FaultSpec;
  /** Background requests per second through the load balancers. */
  trafficRps?: number;
  /** False with --no-dataplane; on by default. */
  dataplane?: boolean;
}

/** `N[:SELECTOR]` → the number and the selector (if any). */
function splitRateSelector(v: string): [string, string | undefined] {
  const i = v.indexOf(':');
  return i < 0 ? [v, undefined] : [v.slice(0, i), v.slice(i + 1)];
}

/** Parses the fault flags into a FaultSpec; a bad value is one CliError line naming the flag (exit 2). */
export function parseFaultFlags(values: {
  'api-latency'?: string;
  'api-error-rate'?: string;
  'watch-drop'?: string;
  forbid?: string[];
  flap?: string;
  'log-flood'?: string;
}): FaultSpec {
  const spec: FaultSpec = {};
  const one = <K extends keyof FaultSpec>(flag: string, key: K, raw: string | string[] | undefined, shown = raw): void => {
    if (raw === undefined) return;
    try {
      if (typeof raw === 'string' && !raw.trim()) throw new FaultSpecError(`${key}: a value is required`);
      const v = parseFaultValue(key as Exclude<K, 'expire'>, raw);
      if (v !== undefined) spec[key] = v as FaultSpec[K];
    } catch (e) {
      if (!(e instanceof FaultSpecError)) throw e;
      const why = e.message.replace(/^[A-Za-z]+: /, '');
      throw new CliError(`lab: invalid --${flag} ${JSON.stringify(Array.isArray(shown) ? shown.join(' ') : shown)}: ${why}`);
    }
  };
  one('api-latency', 'apiLatencyMs', values['api-latency']);
  one('api-error-rate', 'apiErrorRate', values['api-error-rate']);
  one('watch-drop', 'watchDropSeconds', values['watch-drop']);
  const forbid: string[] = [];
  for (const f of values.forbid ?? []) {
    delete spec.forbid;
    one('forbid', 'forbid', f);
    forbid.push(...(spec.forbid ?? []));
  }
  if (forbid.length) spec.forbid = forbid;
  else delete spec.forbid;
  if (values.flap !== undefined) {
    const [n, sel] = splitRateSelector(values.flap);
    one('flap', 'flapSeconds', n, values.flap);
    if (sel !== undefined) one('flap', 'flapSelector', sel, values.flap);
  }
  if (values['log-flood'] !== undefined) {
    const [n, sel] = splitRateSelector(values['log-flood']);
    one('log-flood', 'logFloodLinesPerSecond', n, values['log-flood']);
    if (sel !== undefined) one('log-flood', 'logFloodSelector', sel, values['log-flood']);
  }
  return spec;
}

export function parseLabArgs(argv: string[]): LabArgs | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string', multiple: true },
        manifests: { type: 'string', multiple: true },
        kubeconfig: { type: 'string' },
        port: { type: 'string' },
        scale: { type: 'string' },
        traffic: { type: 'string' },
        'no-dataplane': { type: 'boolean' },
        'api-latency': { type: 'string' },
        'api-error-rate': { type: 'string' },
        'watch-drop': { type: 'string' },
        forbid: { type: 'string', multiple: true },
        flap: { type: 'string' },
        'log-flood': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    throw new CliError(`lab: ${(e as Error).message.split('\n')[0]}`);
  }
  if (values.help) return 'help';
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`lab: invalid --port "${values.port}"`);
  }
  let trafficRps: number | undefined;
  if (values.traffic !== undefined) {
    trafficRps = /^\d+(\.\d+)?$/.test(values.traffic.trim()) ? Number(values.traffic) : NaN;
    if (!(trafficRps > 0) || trafficRps > 100_000) throw new CliError(`lab: invalid --traffic "${values.traffic}": must be a number of requests per second greater than 0 and at most 100000`);
  }
  return {
    scenarios: (values.scenario ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    manifests: values.manifests ?? [],
    kubeconfig: values.kubeconfig,
    port,
    scale: values.scale,
    faults: parseFaultFlags(values),
    trafficRps,
    dataplane: !values['no-dataplane'],
  };
}

export async function startLab(args: LabArgs): Promise<Lab> {
  const scale = args.scale ? parseScale(args.scale) : undefined;
  // faults, trafficRps and dataplane are LabOptions fields (lab.ts); the intersection keeps this compiling either way
  const opts: LabOptions & { faults?: FaultSpec; trafficRps?: number; dataplane?: boolean } = {
    scenarios: args.scenarios,
    manifests: args.manifests,
    kubeconfigPath: args.kubeconfig,
    port: args.port,
    objects: scale ? scaleObjects(scale) : undefined,
    faults: args.faults,
    trafficRps: args.trafficRps,
    dataplane: args.dataplane,
  };
  try {
    return await Lab.start(opts);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new CliError(`lab: port ${args.port} is already in use`);
    throw new CliError(`lab: ${err.message.split('\n')[0]}`);
  }
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function runLab(argv: string[]): Promise<number> {
  const args = parseLabArgs(argv);
  if (args === 'help') {
    process.stdout.write(LAB_USAGE + '\n');
    return EXIT.OK;
  }
  const lab = await startLab(args);
  process.stdout.write(JSON.stringify(lab.ready()) + '\n');
  await untilSignal();
  await lab.stop();
  return EXIT.OK;
}

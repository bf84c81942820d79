// `kubectl netpath --demo` / `npm run demo`: the embedded lab in-process (platform + demo scenarios) with background
// traffic and one flapping web pod, and the UI opened on the demo's main host. Without a terminal (or with CI set) it
// prints how to reach the lab and runs until SIGINT/SIGTERM, as before.
import { EXIT } from './exit.ts';

export const DEMO_HOST = 'shop.netpath.test';
/** The label the demo puts on the one web pod that flaps. */
export const DEMO_FLAP_LABEL = 'demo.netpath.dev/flap';

function instructions(r: { scenario: string[]; server: string; kubeconfig: string; resolver: string | null }): string {
  const [h, p] = (r.resolver ?? ':').split(':');
  return [
    `The netpath lab is running with scenarios: ${r.scenario.join(', ')}`,
    `API server: ${r.server}`,
    '',
    'Point kubectl at it:',
    `  export KUBECONFIG=${r.kubeconfig}`,
    '  kubectl get pods -A',
    '  kubectl get ingress,httproute -A',
    ...(r.resolver
      ? [
          '',
          'Its DNS and load balancers are real (loopback):',
          `  dig @${h} -p ${p} ${DEMO_HOST}`,
          `  curl -k --resolve ${DEMO_HOST}:443:$(dig +short @${h} -p ${p} ${DEMO_HOST}) https://${DEMO_HOST}/`,
          '',
          `and the UI on it: kubectl netpath ${DEMO_HOST} --kubeconfig ${r.kubeconfig} --resolver ${r.resolver}`,
        ]
      : []),
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDemo(argv: string[] = []): Promise<number> {
  const { startLab, untilSignal } = await import('./lab-command.ts');
  const { wantsTui } = await import('./tui.ts');
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  const outputFlag = argv.find((a) => a === '-o' || a.startsWith('-o') || a === '--output' || a.startsWith('--output='));
  const interactive = wantsTui(io, outputFlag);
  const trafficRps = Number(process.env.NETPATH_DEMO_TRAFFIC ?? 4);
  if (interactive) process.stderr.write('starting the netpath lab (platform + demo)…\n');
  const lab = await startLab({ scenarios: ['platform', 'demo'], manifests: [], trafficRps: trafficRps > 0 ? trafficRps : undefined });
  const r = lab.ready();
  try {
    // One web pod flaps, so the endpoints timeline moves: the fault fails its readiness probe for 16 s out of 32 (the
    // probe's period 5 s × failureThreshold 3 must fit in the down half for the pod to turn not-ready).
    if (interactive) process.stderr.write("waiting for the shop and the ingress controllers to be Ready (~10 s: upstream's controller readiness probe starts after 10 s)…\n");
    await flapOnePod(lab, Number(process.env.NETPATH_DEMO_FLAP_SECONDS ?? 16)).catch((e) => process.stderr.write(`demo: no flapping pod: ${(e as Error).message}\n`));
    if (!interactive && !outputFlag) {
      process.stdout.write(instructions(r));
      await untilSignal();
      return EXIT.OK;
    }
    // The UI on a terminal; with -o the report of the demo, once.
    const { runDiagnose } = await import('./diagnose.ts');
    return await runDiagnose([DEMO_HOST, '--kubeconfig', r.kubeconfig, ...(r.resolver ? ['--resolver', r.resolver] : []), ...argv], { ...io, env: { ...process.env, KUBECONFIG: '' } }, { loadTui: () => import('./tui.ts') });
  } finally {
    await lab.stop();
  }
}

/** Waits for the demo to be Ready, then labels one web pod and points the lab's flap fault at that label. */
async function flapOnePod(lab: Awaited<ReturnType<typeof import('./lab-command.ts').startLab>>, seconds: number): Promise<void> {
  const podDef = lab.registry.type('', 'pods');
  const ready = (p: any) => p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && !p.metadata.deletionTimestamp;
  // Wait (up to 20 s) until the shop, the ingress controllers and the gateway proxies are Ready, so the first
  // diagnosis sees the healthy demo, not its start-up.
  let pod: any;
  for (let i = 0; i < 200 && !pod; i++) {
    const pods = lab.store.list(podDef, 'shop', { labelSelector: [{ key: 'component', op: 'in', values: ['web'] }] });
    const infra = ['shop', 'ingress-nginx', 'envoy-gateway-system'].flatMap((ns) => lab.store.list(podDef, ns)).filter((p: any) => !['Succeeded', 'Failed'].includes(p.status?.phase));
    if (pods.length >= 3 && pods.every(ready) && infra.length && infra.every(ready)) pod = pods[0];
    else await sleep(100);
  }
  if (!pod) throw new Error('the web pods did not become Ready');
  if (!(seconds > 0)) return;
  lab.store.mutate(podDef, 'shop', pod.metadata.name, (p: any) => {
    p.metadata.labels = { ...p.metadata.labels, [DEMO_FLAP_LABEL]: 'true' };
  });
  lab.faults.set({ flapSeconds: seconds, flapSelector: `shop/${DEMO_FLAP_LABEL}=true` });
}

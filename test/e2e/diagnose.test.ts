// The built CLI diagnosing every lab scenario with --no-probe, the RBAC-denial matrix and the bad-input matrix.
// One in-process lab runs every scenario side by side (each lives in its own namespace), as a shared cluster would.
//
// Two scenarios need the lab's data plane (its DNS servers and load-balancer listeners on loopback): `stale-dns` is
// only visible to a DNS probe (the record is outside the cluster), and `slow-upstream` only to an HTTP probe (504
// after the proxy-read-timeout). For them this test asserts what the API shows with --no-probe, then what the probes
// find with `--resolver <the lab's resolver>` (run it under `flock /tmp/netpath-dataplane.lock`: only one lab per
// machine gets the data plane).
import { execa } from 'execa';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/lab/lab.ts';
import type { RequestInfo } from '../../src/lab/apiserver/server.ts';
import { forbidden } from '../../src/lab/store/errors.ts';
import { listScenarios, parseHeader, scenarioDir } from '../../src/lab/scenarios/index.ts';
import type { Report } from '../../src/path/model.ts';
import { CLI, eventually } from './harness.ts';

const SCENARIOS = listScenarios().filter((s) => s !== 'platform');
let lab: Lab;
let denied: string | undefined;
const tmp = mkdtempSync(join(tmpdir(), 'netpath-diag-'));

interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], opts: { kubeconfig?: string | null; env?: Record<string, string> } = {}): Promise<CliResult> {
  const kc = opts.kubeconfig === undefined ? lab.kubeconfig : opts.kubeconfig;
  const r = await execa(process.execPath, [CLI, ...args, ...(kc ? ['--kubeconfig', kc] : [])], {
    reject: false,
    timeout: 60_000,
    env: { KUBECONFIG: '', NO_COLOR: '1', HOME: tmp, ...opts.env },
    extendEnv: true,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

async function diagnoseJson(target: string, extra: string[] = []): Promise<{ r: CliResult; report: Report }> {
  const r = await cli([target, '-o', 'json', '--no-probe', ...extra]);
  let report: Report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`no JSON report for ${target} (exit ${r.exitCode}): ${r.stderr}`);
  }
  return { r, report };
}

const checks = (rep: Report) => rep.layers.flatMap((l) => l.checks);
const failing = (rep: Report) => checks(rep).filter((c) => c.status === 'fail').map((c) => c.id);
const headerLayer = (name: string) => {
  const h = parseHeader(readFileSync(join(scenarioDir(), `${name}.yaml`), 'utf8'));
  return h.layer === 'none' ? null : h.layer;
};

function podsOf(ns: string) {
  return lab.store.list(lab.registry.type('', 'pods'), ns);
}
/** The lab's DNS server (`host:port`); the data-plane tests need it (see the header). */
function dataPlaneResolver(): string {
  const resolver = lab.ready().resolver;
  expect(resolver, 'another lab on this machine holds the data plane lock (run under flock /tmp/netpath-dataplane.lock)').toMatch(/^127\.0\.53\.1:\d+$/);
  return resolver!;
}

const ready = (p: any) => (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');

beforeAll(async () => {
  lab = await Lab.start({
    scenarios: SCENARIOS,
    intercept: (info: RequestInfo) => {
      if (denied && info.def.plural === denied && (info.verb === 'get' || info.verb === 'list'))
        throw forbidden(
          `${info.def.group ? `${info.def.plural}.${info.def.group}` : info.def.plural}${info.name ? ` "${info.name}"` : ''} is forbidden: User "netpath-e2e" cannot ${info.verb} resource "${info.def.plural}" in API group "${info.def.group}"${info.namespace ? ` in the namespace "${info.namespace}"` : ' at the cluster scope'}`,
        );
    },
  });
  // Wait for the cluster to settle: every pod running, the data planes ready, Ingresses published, certificates issued.
  await eventually(
    () => {
      const all = lab.store.list(lab.registry.type('', 'pods'));
      if (!all.length || all.some((p) => p.status?.phase !== 'Running')) return false;
      if (!podsOf('ingress-nginx').every(ready) || !podsOf('envoy-gateway-system').every(ready)) return false;
      const ings = lab.store.list(lab.registry.type('networking.k8s.io', 'ingresses'));
      const published = ings.filter((i) => i.metadata.namespace !== 'missing-ingressclass').every((i) => (i.status?.loadBalancer?.ingress ?? []).length);
      const secrets = ['expired-cert/web-tls', 'shop/shop-tls'].every((k) => {
        const [ns, n] = k.split('/');
        return !!lab.store.get(lab.registry.type('', 'secrets'), ns, n!)?.data?.['tls.crt'];
      });
      return published && secrets;
    },
    60_000,
    250,
  );
}, 90_000);

afterAll(async () => {
  await lab?.stop();
});

const EXPECTED: Record<string, { target: string; check?: string; extra?: string[] }> = {
  'backend-https-no-protocol': { target: 'backend-https-no-protocol.netpath.test', check: 'ing.backend-https-no-protocol' },
  demo: { target: 'https://shop.netpath.test/' },
  'etp-local-no-endpoints': { target: 'etp-local-no-endpoints.netpath.test', check: 'lb.etp-local-no-endpoints' },
  'expired-cert': { target: 'https://expired-cert.netpath.test/', check: 'ing.tls-expired' },
  'flapping-endpoints': { target: 'flapping-endpoints.netpath.test', check: 'ep.flapping' },
  'httproute-unresolved-backend': { target: 'httproute-unresolved-backend.netpath.test', check: 'route.ref-not-permitted' },
  'lb-pending': { target: 'svc/web', check: 'lb.pending', extra: ['-n', 'lb-pending'] },
  'missing-ingressclass': { target: 'missing-ingressclass.netpath.test', check: 'ing.class-missing' },
  'missing-tls-secret': { target: 'https://missing-tls-secret.netpath.test/', check: 'ing.tls-secret-missing' },
  'netpol-blocks-controller': { target: 'netpol-blocks-controller.netpath.test', check: 'pod.netpol-blocks-controller' },
  // healthy apps under Pod Security admission (for helper pods); a ClusterIP Service nothing routes to: a warning only
  psa: { target: 'svc/web', extra: ['-n', 'psa-restricted'] },
  'readiness-failing': { target: 'readiness-failing.netpath.test', check: 'pod.not-ready' },
  'selector-mismatch': { target: 'selector-mismatch.netpath.test', check: 'svc.selector-no-pods' },
  'wrong-backend': { target: 'wrong-backend.netpath.test', check: 'ing.backend-not-found' },
  'wrong-targetport': { target: 'wrong-targetport.netpath.test', check: 'svc.targetport-unresolved' },
};
const DATA_PLANE = new Set(['stale-dns', 'slow-upstream']);

describe('every lab scenario, diagnosed with --no-probe', () => {
  it('knows every scenario in the folder', () => {
    expect(SCENARIOS.filter((s) => !EXPECTED[s] && !DATA_PLANE.has(s))).toEqual([]);
  });

  for (const name of SCENARIOS.filter((s) => EXPECTED[s])) {
    const e = EXPECTED[name]!;
    const layer = headerLayer(name);
    it(`${name}: blames ${layer ?? 'nothing'}${e.check ? ` (${e.check})` : ''}`, async () => {
      // Flapping is seen over time (readiness must go down twice): poll until the evidence exists.
      const attempt = async () => {
        const out = await diagnoseJson(e.target, e.extra);
        return out.report.verdict.layer === layer ? out : undefined;
      };
      const { r, report } = name === 'flapping-endpoints' ? await eventually(attempt, 40_000, 1000) : await diagnoseJson(e.target, e.extra);
      expect(r.stderr).toBe('');
      expect(report.verdict.layer).toBe(layer);
      if (layer) {
        expect(r.exitCode).toBe(1);
        expect(report.verdict.status).toBe('fail');
        expect(failing(report)).toContain(e.check);
        const layerOf = report.layers.find((l) => l.id === layer)!;
        expect(layerOf.status).toBe('fail');
        // every layer before the blamed one has no failure
        for (const l of report.layers.slice(0, report.layers.indexOf(layerOf))) expect(l.status).not.toBe('fail');
        const c = checks(report).find((x) => x.id === e.check && x.status === 'fail')!;
        expect(c.evidence.length).toBeGreaterThan(0);
        expect(c.next).toBeTruthy();
      } else {
        expect(r.exitCode).toBe(0);
        expect(failing(report)).toEqual([]);
      }
    });
  }

  it('demo: svc/web reaches both front ends (Ingress and HTTPRoute) and nothing fails', async () => {
    const { r, report } = await diagnoseJson('svc/web', ['-n', 'shop']);
    expect(r.exitCode).toBe(0);
    expect(report.verdict.layer).toBeNull();
    expect(report.paths.map((p) => `${p.via} ${p.host}`).sort()).toEqual(['httproute shop-gw.netpath.test', 'ingress shop.netpath.test']);
    for (const p of report.paths) {
      expect(p.endpoints.filter((x) => x.ready)).toHaveLength(3);
      expect(p.pods).toHaveLength(3);
    }
    const gw = await diagnoseJson('https://shop-gw.netpath.test/api');
    expect(gw.r.exitCode).toBe(0);
    expect(gw.report.paths[0]).toMatchObject({ via: 'httproute', service: { name: 'api' } });
  });

  it('demo: ingress/NAME and gateway/NAME expand to every rule and route', async () => {
    const ing = await diagnoseJson('ingress/shop', ['-n', 'shop']);
    expect(ing.report.paths.map((p) => p.path)).toEqual(['/api', '/']);
    const other = await diagnoseJson('gateway/public', ['-n', 'gateway-system']);
    expect(other.report.paths.length).toBeGreaterThanOrEqual(2);
  });

  it('stale-dns: everything the API shows is healthy; the stale record needs a DNS probe', async () => {
    const { r, report } = await diagnoseJson('stale-dns.netpath.test');
    expect(headerLayer('stale-dns')).toBe('dns');
    expect(r.exitCode).toBe(0);
    expect(report.verdict).toMatchObject({ status: 'unknown', layer: null });
    const dns = report.layers.find((l) => l.id === 'dns')!;
    expect(dns.status).toBe('unknown');
    const stale = dns.checks.find((c) => c.id === 'dns.stale-answer')!;
    expect(stale.status).toBe('unknown');
    expect(stale.evidence.join('\n')).toMatch(/127\.0\.10\.\d+/); // the address the record should hold
    expect(report.layers.filter((l) => l.id !== 'dns').every((l) => l.status !== 'fail')).toBe(true);
  });

  it('stale-dns: probing the lab\'s resolver finds the stale record and blames dns', async () => {
    const resolver = dataPlaneResolver();
    const r = await cli(['stale-dns.netpath.test', '-o', 'json', '--resolver', resolver]);
    const report: Report = JSON.parse(r.stdout);
    expect(r.exitCode, r.stderr).toBe(1);
    // the address the Ingress is published with (the ingress-nginx load balancer), read from the lab itself
    const published = lab.store.list(lab.registry.type('networking.k8s.io', 'ingresses'), 'stale-dns')[0]?.status?.loadBalancer?.ingress?.[0]?.ip;
    expect(published).toMatch(/^127\.0\.10\.\d+$/);
    expect(report.verdict).toMatchObject({ status: 'fail', layer: 'dns' });
    expect(failing(report)).toEqual(['dns.stale-answer']);
    const stale = checks(report).find((c) => c.id === 'dns.stale-answer')!;
    expect(stale.message).toBe(`${resolver} answers 127.0.10.250 for stale-dns.netpath.test, but the load balancer publishes ${published}: a stale record`);
    // the probe's own answer, with the record's one-hour TTL
    const answer = report.probes.dns.find((d) => d.resolver === resolver)!;
    expect(answer).toMatchObject({ name: 'stale-dns.netpath.test', addresses: ['127.0.10.250'] });
    expect(answer.chain[0]).toMatchObject({ type: 'A', value: '127.0.10.250', ttl: 3600 });
    expect(checks(report).find((c) => c.id === 'dns.ttl-long')?.status).toBe('warn');
  });

  it('slow-upstream: the API shows the short proxy-read-timeout; the 504 needs an HTTP probe', async () => {
    const { r, report } = await diagnoseJson('slow-upstream.netpath.test');
    expect(headerLayer('slow-upstream')).toBe('pods');
    expect(r.exitCode).toBe(0);
    expect(report.verdict.layer).toBeNull();
    expect(checks(report).find((c) => c.id === 'ing.timeouts')).toMatchObject({ status: 'warn', message: expect.stringMatching(/proxy-read-timeout is 2 s/) });
    expect(checks(report).find((c) => c.id === 'pod.http-response')?.status).toBe('unknown');
  });

  it('slow-upstream: the HTTP probe through the load balancer gets the 504 and blames pods', async () => {
    const resolver = dataPlaneResolver();
    // ingress-nginx retries a timed-out GET (proxy-next-upstream "error timeout", 3 tries): 3 × 2 s before the 504
    const r = await cli(['slow-upstream.netpath.test', '-o', 'json', '--resolver', resolver, '--timeout', '15s']);
    const report: Report = JSON.parse(r.stdout);
    expect(r.exitCode, r.stderr).toBe(1);
    expect(report.verdict).toMatchObject({ status: 'fail', layer: 'pods' });
    expect(failing(report)).toEqual(['pod.http-response']);
    const http = report.probes.http.find((h) => h.url === 'http://slow-upstream.netpath.test/')!;
    expect(http).toMatchObject({ status: 504, address: expect.stringMatching(/^127\.0\.10\./) });
    expect(http.firstByte!).toBeGreaterThanOrEqual(2000); // not before the 2 s proxy-read-timeout
    expect(checks(report).find((c) => c.id === 'pod.http-response')!.message).toMatch(/504/);
  }, 60_000);
});

describe('output formats and efficiency', () => {
  it('-v prints request counts and at most 4 sequential round trips', async () => {
    for (const [target, extra] of [['selector-mismatch.netpath.test', []], ['svc/web', ['-n', 'shop']], ['httproute/storefront', ['-n', 'httproute-unresolved-backend']]] as const) {
      const r = await cli([target, ...extra, '--no-probe', '-o', 'json', '-v']);
      const m = /netpath: (\d+) API requests in (\d+) sequential round trips/.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(Number(m![2])).toBeLessThanOrEqual(4);
      expect(JSON.parse(r.stdout).api.roundTrips).toBe(Number(m![2]));
    }
  });

  it('text, markdown and yaml render the same verdict', async () => {
    const text = await cli(['selector-mismatch.netpath.test', '--no-probe', '-o', 'text']);
    expect(text.exitCode).toBe(1);
    expect(text.stdout.split('\n')[0]).toMatch(/^✗ FAIL {2}service: /);
    expect(text.stdout).not.toMatch(/\x1b\[/); // not a TTY: no colour
    const md = await cli(['selector-mismatch.netpath.test', '--no-probe', '-o', 'markdown']);
    expect(md.stdout).toMatch(/\*\*Verdict: ❌ FAIL — service layer\.\*\*/);
    const y = await cli(['selector-mismatch.netpath.test', '--no-probe', '-o', 'yaml']);
    expect(y.stdout).toMatch(/^target: selector-mismatch\.netpath\.test$/m);
    const dflt = await cli(['selector-mismatch.netpath.test', '--no-probe']);
    // stdout is not a terminal: the default is the text report
    expect(dflt.stdout).toBe(text.stdout);
  });

  it('the report-only bundle (what bin/ runs without a terminal) and the full CLI give the same reports', async () => {
    // the same but for the clock: generation time, API time
    const same = (r: CliResult) => ({ ...r, stdout: r.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/"ms": \d+|\d+ ms\b/g, 'N') });
    for (const args of [['svc/web', '-n', 'shop', '--no-probe', '-o', 'json'], ['selector-mismatch.netpath.test', '--no-probe', '-o', 'markdown'], ['pod/x'], ['svc/nope', '-n', 'shop', '--no-probe']]) {
      const [full, report] = await Promise.all([cli(args, { env: { NETPATH_BUNDLE: 'full' } }), cli(args, { env: { NETPATH_BUNDLE: 'report' } })]);
      expect(same(report), args.join(' ')).toEqual(same(full));
    }
  });

  it('probes degrade to the real error when nothing answers (no data plane yet)', async () => {
    const r = await cli(['https://shop.netpath.test/', '-o', 'json', '--timeout', '2s', '--resolver', '127.0.0.1:1']);
    const report: Report = JSON.parse(r.stdout);
    const tcp = checks(report).find((c) => c.id === 'lb.tcp-connect')!;
    expect(['ok', 'fail']).toContain(tcp.status);
    if (tcp.status === 'fail') expect(tcp.message).toMatch(/ECONNREFUSED|timeout/);
    const dns = report.probes.dns.find((d) => d.resolver === '127.0.0.1:1')!;
    expect(dns.error).toMatch(/ECONNREFUSED|ETIMEOUT|timeout/);
    expect(report.probes.http[0]).toMatchObject({ url: 'https://shop.netpath.test/', address: expect.stringMatching(/^127\.0\.10\./) });
  });
});

describe('RBAC denial, one resource at a time', () => {
  const cases: [string, string, string[], string[]][] = [
    // resource denied, target, extra args, checks that must be unknown with the reason
    ['secrets', 'https://shop.netpath.test/', [], ['ing.tls-secret-missing']],
    ['endpointslices', 'selector-mismatch.netpath.test', [], ['ep.none']],
    ['pods', 'readiness-failing.netpath.test', [], ['svc.selector-no-pods', 'ing.class-unclaimed']],
    ['networkpolicies', 'netpol-blocks-controller.netpath.test', [], ['pod.netpol-blocks-controller']],
    ['nodes', 'svc/web', ['-n', 'etp-local-no-endpoints'], ['lb.etp-local-no-endpoints']],
    ['events', 'readiness-failing.netpath.test', [], []],
    ['ingressclasses', 'selector-mismatch.netpath.test', [], ['ing.class-missing']],
    ['referencegrants', 'httproute-unresolved-backend.netpath.test', [], ['route.ref-not-permitted']],
    ['gateways', 'svc/web', ['-n', 'shop'], []],
    ['daemonsets', 'selector-mismatch.netpath.test', [], []],
    ['configmaps', 'selector-mismatch.netpath.test', [], []],
    ['namespaces', 'netpol-blocks-controller.netpath.test', [], []],
  ];
  for (const [resource, target, extra, unknown] of cases) {
    it(`${resource} forbidden: ${target} completes${unknown.length ? `, ${unknown.join(', ')} unknown` : ''}`, async () => {
      denied = resource;
      try {
        const { r, report } = await diagnoseJson(target, extra);
        expect([0, 1]).toContain(r.exitCode);
        expect(r.stderr).toBe('');
        for (const id of unknown) {
          const c = checks(report).find((x) => x.id === id);
          expect(c, id).toBeDefined();
          expect(c!.status, id).toBe('unknown');
          expect(c!.evidence.join('\n'), id).toMatch(/forbidden/);
        }
        for (const l of report.layers) if (l.checks.some((c) => c.status === 'unknown')) expect(l.status).not.toBe('ok');
      } finally {
        denied = undefined;
      }
    });
  }

  it('forbidden on the target itself is exit 3 with one line', async () => {
    denied = 'services';
    try {
      const r = await cli(['svc/web', '-n', 'shop', '--no-probe']);
      expect(r.exitCode).toBe(3);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: cannot read service "web": services "web" is forbidden/);
    } finally {
      denied = undefined;
    }
  });
});

describe('bad input', () => {
  const write = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  const kcText = () => readFileSync(lab.kubeconfig, 'utf8');
  const cases: [string, () => [string[], string | null | undefined], number, RegExp][] = [
    ['an unknown target kind', () => [['deploy/web', '--no-probe'], undefined], 2, /unsupported target kind "deploy"/],
    ['a bare word', () => [['web', '--no-probe'], undefined], 2, /unknown target "web"/],
    ['no target', () => [['--no-probe'], undefined], 2, /a target is required/],
    ['a missing Service', () => [['svc/nope', '-n', 'shop', '--no-probe'], undefined], 2, /service "nope" not found in namespace "shop"/],
    ['a missing Ingress', () => [['ingress/nope', '-n', 'shop', '--no-probe'], undefined], 2, /ingress "nope" not found/],
    ['a host nothing serves', () => [['nobody.netpath.test', '--no-probe'], undefined], 2, /no Ingress, HTTPRoute or LoadBalancer Service in the cluster serves host "nobody\.netpath\.test"/],
    ['an unknown flag', () => [['svc/web', '--bogus'], undefined], 2, /unknown flag: --bogus/],
    ['a bad output format', () => [['svc/web', '-o', 'xml'], undefined], 2, /invalid output format "xml"/],
    ['a flag without its value', () => [['svc/web', '--context'], null], 2, /flag needs an argument: --context/],
    ['a missing kubeconfig file', () => [['svc/web', '-n', 'shop', '--no-probe'], join(tmp, 'does-not-exist.yaml')], 3, /kubeconfig ".*does-not-exist\.yaml" does not exist/],
    ['broken kubeconfig YAML', () => [['svc/web', '-n', 'shop', '--no-probe'], write('broken.yaml', 'apiVersion: v1\nclusters: [\n  - {name: x')], 3, /invalid kubeconfig/],
    ['an unknown --context', () => [['svc/web', '-n', 'shop', '--no-probe', '--context', 'nope'], undefined], 3, /context "nope" does not exist/],
    ['an unreachable server', () => [['svc/web', '-n', 'shop', '--no-probe'], write('unreachable.yaml', kcText().replace(/server: .*/, 'server: https://127.0.0.1:1'))], 3, /connection to the server https:\/\/127\.0\.0\.1:1 was refused/],
    ['a wrong token (401)', () => [['svc/web', '-n', 'shop', '--no-probe'], write('badtoken.yaml', kcText().replace(/token: .*/, 'token: wrong-token'))], 3, /rejected the credentials \(401 Unauthorized\)/],
    ['an untrusted server certificate', () => [['svc/web', '-n', 'shop', '--no-probe'], write('noca.yaml', kcText().replace(/certificate-authority-data: .*/, 'certificate-authority-data: ' + Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')))], 3, /./],
  ];
  for (const [name, make, code, re] of cases) {
    it(`${name}: exit ${code}, one line on stderr`, async () => {
      const [args, kc] = make();
      const r = await cli(args, { kubeconfig: kc });
      expect(r.exitCode).toBe(code);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: /);
      expect(lines[0]).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /); // never a stack trace without -v
    });
  }

  it('prints the stack only with -v', async () => {
    const r = await cli(['svc/web', '-n', 'shop', '--no-probe', '-v'], { kubeconfig: join(tmp, 'does-not-exist.yaml') });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

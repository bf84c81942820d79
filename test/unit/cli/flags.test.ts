import { describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/exit.ts';
import { DEFAULT_PROBE_TIMEOUT_MS, parseDiagnoseArgs, parseDuration } from '../../../src/cli/flags.ts';

describe('parseDiagnoseArgs', () => {
  it('takes the target anywhere among the flags', () => {
    expect(parseDiagnoseArgs(['-n', 'shop', 'svc/web', '-o', 'json']).target).toBe('svc/web');
    expect(parseDiagnoseArgs(['svc/web', '-n', 'shop']).kube.namespace).toBe('shop');
  });

  it('accepts kubectl flag spellings', () => {
    const a = parseDiagnoseArgs([
      'svc/web', '-nshop', '-ojson', '--context=lab', '--cluster', 'c1', '--user=u', '-s', 'https://x:6443', '--token', 't',
      '--as', 'jane', '--as-group', 'g1', '--as-group=g2', '--certificate-authority', '/ca', '--insecure-skip-tls-verify',
      '--tls-server-name', 'api', '--request-timeout', '2s', '--kubeconfig', '/kc', '--cache-dir', '/tmp/c',
    ]);
    expect(a.output).toBe('json');
    expect(a.kube).toEqual({
      kubeconfig: '/kc', context: 'lab', cluster: 'c1', user: 'u', namespace: 'shop', server: 'https://x:6443', token: 't', as: 'jane',
      asGroups: ['g1', 'g2'], certificateAuthority: '/ca', insecureSkipTlsVerify: true, tlsServerName: 'api', requestTimeoutMs: 2000,
    });
  });

  it('parses probe flags', () => {
    const a = parseDiagnoseArgs(['shop.example.com', '--resolver', '1.1.1.1', '--resolver=8.8.8.8:53', '--no-probe', '--timeout', '1500ms', '-A']);
    expect(a.resolvers).toEqual(['1.1.1.1', '8.8.8.8:53']);
    expect(a.probe).toBe(false);
    expect(a.timeoutMs).toBe(1500);
    expect(a.allNamespaces).toBe(true);
    expect(parseDiagnoseArgs(['x.example']).timeoutMs).toBe(DEFAULT_PROBE_TIMEOUT_MS);
    expect(parseDiagnoseArgs(['x.example']).probe).toBe(true);
  });

  it('parses booleans with values', () => {
    expect(parseDiagnoseArgs(['x.example', '--insecure-skip-tls-verify=false']).kube.insecureSkipTlsVerify).toBeUndefined();
    expect(parseDiagnoseArgs(['x.example', '-A=true']).allNamespaces).toBe(true);
    expect(() => parseDiagnoseArgs(['x.example', '--no-probe=maybe'])).toThrow(/invalid argument "maybe"/);
  });

  it('parses klog verbosity forms', () => {
    expect(parseDiagnoseArgs(['x.example', '-v']).verbosity).toBe(1);
    expect(parseDiagnoseArgs(['x.example', '-v=6']).verbosity).toBe(6);
    expect(parseDiagnoseArgs(['x.example', '-v', '4']).verbosity).toBe(4);
    expect(parseDiagnoseArgs(['x.example', '--v=8']).verbosity).toBe(8);
    expect(parseDiagnoseArgs(['x.example', '-v7']).verbosity).toBe(7);
  });

  it('stops at --', () => {
    expect(parseDiagnoseArgs(['--', 'x.example']).target).toBe('x.example');
  });

  const bad: [string[], RegExp][] = [
    [['svc/web', '--bogus'], /unknown flag: --bogus/],
    [['svc/web', '-x'], /unknown shorthand flag: 'x'/],
    [['svc/web', '--context'], /flag needs an argument: --context/],
    [['svc/web', '-n'], /flag needs an argument: 'n'/],
    [['svc/web', '-o', 'xml'], /invalid output format "xml"/],
    [['svc/web', '--timeout', 'soon'], /invalid --timeout/],
    [['svc/web', '--request-timeout', 'x'], /invalid --request-timeout/],
    [['svc/web', 'ing/other'], /expected one target, got 2/],
    [['svc/web', '-n', 'Bad_NS'], /invalid namespace/],
  ];
  for (const [argv, re] of bad) {
    it(`rejects ${argv.join(' ')} with exit 2`, () => {
      let err: unknown;
      try {
        parseDiagnoseArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(re);
    });
  }
});

describe('parseDuration', () => {
  it('reads Go durations and bare seconds', () => {
    expect(parseDuration('5')).toBe(5000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('5 s')).toBeUndefined();
  });
});

// The in-cluster probe flags of `kubectl netpath TARGET`: defaults, values, and one-line usage errors.
import { describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/exit.ts';
import { parseDiagnoseArgs } from '../../../src/cli/flags.ts';
import { helperOptions } from '../../../src/probes/incluster/report.ts';

describe('helper flags', () => {
  it('defaults: no ladder, helpers allowed, 300 s deadline', () => {
    expect(parseDiagnoseArgs(['svc/web']).helpers).toEqual({ imagePullSecrets: [], noHelpers: false, readOnly: false, ladder: false, allowPrivileged: false, deadlineSeconds: 300 });
  });

  it('reads every flag, in both spellings', () => {
    const h = parseDiagnoseArgs(['svc/web', '--ladder', '--image=reg.example/netshoot:v1', '--image-pull-secret', 'a', '--image-pull-secret=b', '--probe-namespace', 'tools', '--node=w1', '--from-pod', 'pod/web-1', '--allow-privileged', '--helper-deadline', '90s']).helpers;
    expect(h).toEqual({ image: 'reg.example/netshoot:v1', imagePullSecrets: ['a', 'b'], probeNamespace: 'tools', node: 'w1', noHelpers: false, readOnly: false, ladder: true, fromPod: 'web-1', allowPrivileged: true, deadlineSeconds: 90 });
    expect(helperOptions(h, 'shop')).toEqual({ namespace: 'tools', image: 'reg.example/netshoot:v1', imagePullSecrets: ['a', 'b'], node: 'w1', deadlineSeconds: 90, noHelpers: false });
    expect(helperOptions(parseDiagnoseArgs(['x']).helpers, 'shop').namespace).toBe('shop');
  });

  it('--read-only implies --no-helpers', () => {
    const h = parseDiagnoseArgs(['svc/web', '--read-only']).helpers;
    expect(h.readOnly).toBe(true);
    expect(h.noHelpers).toBe(true);
    expect(helperOptions(h, 'shop').noHelpers).toBe(true);
  });

  it('rejects bad values and contradictions with one line', () => {
    for (const [argv, msg] of [
      [['--helper-deadline', 'soon'], /invalid --helper-deadline "soon"/],
      [['--helper-deadline', '500ms'], /at least 1s/],
      [['--probe-namespace', 'Bad_NS'], /invalid --probe-namespace/],
      [['--image-pull-secret', 'no spaces'], /invalid --image-pull-secret/],
      [['--node', 'a b'], /invalid --node/],
      [['--ladder', '--no-helpers'], /--ladder needs a helper pod/],
      [['--from-pod', 'web', '--no-helpers'], /--from-pod adds an ephemeral container/],
      [['--ladder', '--read-only'], /cannot be combined with --read-only/],
      [['--image'], /flag needs an argument: --image/],
    ] as [string[], RegExp][]) {
      let err: unknown;
      try {
        parseDiagnoseArgs(['svc/web', ...argv]);
      } catch (e) {
        err = e;
      }
      expect(err, argv.join(' ')).toBeInstanceOf(CliError);
      expect((err as CliError).message).toMatch(msg);
      expect((err as CliError).message).not.toContain('\n');
      expect((err as CliError).exitCode).toBe(2);
    }
  });
});

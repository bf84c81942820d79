// Shell completion (`kubectl-netpath __complete`, Cobra's protocol) with a fake cluster: what is offered where, which
// namespace and flags reach the cluster lookup, and that lookups failing yield nothing rather than an error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPLETION_SCRIPT } from '../../../scripts/release.ts';
import { complete, DIAGNOSE_FLAGS, DIRECTIVE, type Lister } from '../../../src/cli/complete.ts';
import { loadContexts } from '../../../src/cli/complete-kube.ts';
import { DEFS, parseDiagnoseArgs } from '../../../src/cli/flags.ts';

const cluster: Record<string, Record<string, string[]>> = {
  services: { default: ['api', 'web'], shop: ['cart', 'checkout', 'web'] },
  ingresses: { shop: ['shop'] },
  httproutes: { shop: ['store'] },
  gateways: { 'gateway-system': ['public'] },
};
const calls: { resource: string; namespace: string | undefined; flagArgs: string[] }[] = [];
const fake: Lister = async (resource, namespace, flagArgs) => {
  calls.push({ resource, namespace, flagArgs });
  if (resource === 'namespaces') return ['default', 'gateway-system', 'shop'];
  return cluster[resource]?.[namespace ?? 'default'] ?? [];
};
const words = (c: { candidates: string[] }) => c.candidates.map((x) => x.split('\t')[0]);

describe('complete', () => {
  it('offers the target kinds (no space after the slash) and the lab command first', async () => {
    const c = await complete([''], fake);
    expect(words(c)).toEqual(['svc/', 'ingress/', 'httproute/', 'gateway/', 'lab', 'cleanup']);
    expect(c.directive).toBe(DIRECTIVE.noFileComp | DIRECTIVE.noSpace);
    expect(words(await complete(['in'], fake))).toEqual(['ingress/']);
  });

  it('completes names of the kind from the namespace given by -n / --namespace / --namespace=', async () => {
    expect(words(await complete(['svc/'], fake))).toEqual(['svc/api', 'svc/web']);
    expect(words(await complete(['-n', 'shop', 'svc/c'], fake))).toEqual(['svc/cart', 'svc/checkout']);
    expect(words(await complete(['--namespace=shop', 'service/'], fake))).toEqual(['service/cart', 'service/checkout', 'service/web']);
    expect(words(await complete(['-n', 'shop', 'ing/'], fake))).toEqual(['ing/shop']);
    expect(words(await complete(['-n', 'gateway-system', 'gateway/'], fake))).toEqual(['gateway/public']);
    expect(words(await complete(['pod/'], fake))).toEqual([]);
  });

  it('passes the connection flags typed so far to the cluster lookup', async () => {
    calls.length = 0;
    await complete(['--kubeconfig', '/tmp/kc', '--context=lab', '-n', 'shop', 'httproute/'], fake);
    expect(calls).toEqual([{ resource: 'httproutes', namespace: 'shop', flagArgs: ['--kubeconfig=/tmp/kc', '--context=lab', '--namespace=shop'] }]);
    // and those flags are ones the diagnosis accepts
    expect(parseDiagnoseArgs(calls[0]!.flagArgs).kube).toMatchObject({ kubeconfig: '/tmp/kc', context: 'lab', namespace: 'shop' });
  });

  it('completes flag values: namespaces, output formats, files for --kubeconfig', async () => {
    expect(words(await complete(['svc/web', '-n', 's'], fake))).toEqual(['shop']);
    expect(words(await complete(['-o', 'j'], fake))).toEqual(['json']);
    expect(words(await complete(['--output=y'], fake))).toEqual(['--output=yaml']);
    const kc = await complete(['--kubeconfig', ''], fake);
    expect(kc).toEqual({ candidates: [], directive: 0 });
  });

  it('offers flags after a dash, and nothing but flags once a target is given', async () => {
    expect(words(await complete(['svc/web', '--no-'], fake))).toEqual(['--no-probe', '--no-color', '--no-helpers']);
    expect(words(await complete(['-'], fake))).toContain('--demo');
    expect(words(await complete(['svc/web', '-'], fake))).not.toContain('--demo');
    expect(await complete(['svc/web', ''], fake)).toEqual({ candidates: [], directive: DIRECTIVE.noFileComp });
  });

  it('completes lab scenarios', async () => {
    expect(words(await complete(['lab', '--scenario', 'selector-'], fake))).toEqual(['selector-mismatch']);
    expect(words(await complete(['lab', '--scenario', 'pla'], fake))).toEqual([]);
  });

  it('yields no names, not an error, when the cluster cannot be read', async () => {
    const failing: Lister = async () => {
      throw new Error('connection refused');
    };
    expect(await complete(['svc/'], failing)).toEqual({ candidates: [], directive: DIRECTIVE.noFileComp });
  });

  it('offers only flags that the diagnosis accepts', () => {
    for (const f of DIAGNOSE_FLAGS) {
      const argv = ['svc/web', `--${f.long}`, ...(f.value ? ['x'] : [])];
      let msg = '';
      try {
        parseDiagnoseArgs(argv);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg, `--${f.long}`).not.toMatch(/unknown (shorthand )?flag/);
      if (f.short) expect(() => parseDiagnoseArgs(['svc/web', `-${f.short}`, ...(f.value ? ['default'] : [])]), `-${f.short}`).not.toThrow(/unknown shorthand/);
    }
  });

  it('offers every flag the diagnosis accepts', () => {
    const offered = new Set(DIAGNOSE_FLAGS.map((f) => f.long));
    for (const d of DEFS.filter((d) => !d.ignored)) expect(offered.has(d.long), `--${d.long} is missing from DIAGNOSE_FLAGS`).toBe(true);
  });

  it('the kubectl_complete-netpath helper hands every argument to __complete', () => {
    expect(COMPLETION_SCRIPT).toMatch(/^#!\/bin\/sh\n/);
    expect(COMPLETION_SCRIPT).toContain('exec "$dir/kubectl-netpath" __complete "$@"');
  });

  it('lists the contexts of every kubeconfig file in play, not only the current one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netpath-complete-'));
    try {
      const kc = (contexts: string[]) =>
        `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\n` +
        `contexts: [${contexts.map((n) => `{name: ${n}, context: {cluster: c, user: u}}`).join(', ')}]\ncurrent-context: ${contexts[0]}\n`;
      writeFileSync(join(dir, 'a'), kc(['prod', 'staging']));
      writeFileSync(join(dir, 'b'), kc(['lab', 'prod']));
      expect(loadContexts([`--kubeconfig=${join(dir, 'a')}`]).sort()).toEqual(['prod', 'staging']);
      const env = { KUBECONFIG: [join(dir, 'a'), join(dir, 'missing'), join(dir, 'b')].join(':'), HOME: dir };
      expect(loadContexts([], env).sort()).toEqual(['lab', 'prod', 'staging']);
      expect(loadContexts([], { HOME: dir })).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/kube/config.ts';
import { ConfigError } from '../../../src/kube/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'netpath-kc-'));
function kc(name: string, o: { current?: string; clusters: [string, string][]; users: [string, string][]; contexts: [string, string, string, string?][] }): string {
  const path = join(dir, name);
  const y = [
    'apiVersion: v1',
    'kind: Config',
    o.current ? `current-context: ${o.current}` : '',
    'clusters:',
    ...o.clusters.map(([n, s]) => `- name: ${n}\n  cluster:\n    server: ${s}\n    certificate-authority-data: ${Buffer.from('CA').toString('base64')}`),
    'users:',
    ...o.users.map(([n, t]) => `- name: ${n}\n  user:\n    token: ${t}`),
    'contexts:',
    ...o.contexts.map(([n, c, u, ns]) => `- name: ${n}\n  context:\n    cluster: ${c}\n    user: ${u}${ns ? `\n    namespace: ${ns}` : ''}`),
  ]
    .filter(Boolean)
    .join('\n');
  writeFileSync(path, y);
  return path;
}

const a = kc('a.yaml', { current: 'ctx-a', clusters: [['c1', 'https://a:6443'], ['shared', 'https://from-a:6443']], users: [['u1', 'ta']], contexts: [['ctx-a', 'c1', 'u1', 'team-a'], ['dup', 'shared', 'u1']] });
const b = kc('b.yaml', { current: 'ctx-b', clusters: [['c2', 'https://b:6443'], ['shared', 'https://from-b:6443']], users: [['u2', 'tb']], contexts: [['ctx-b', 'c2', 'u2'], ['dup', 'c2', 'u2']] });

describe('loadConfig', () => {
  it('reads --kubeconfig and the current context with its namespace', () => {
    const c = loadConfig({ kubeconfig: a }, {});
    expect(c.contextName).toBe('ctx-a');
    expect(c.cluster.server).toBe('https://a:6443');
    expect(c.namespace).toBe('team-a');
    expect(c.user.token).toBe('ta');
  });

  it('merges KUBECONFIG as kubectl does: the first file wins names and current-context', () => {
    const c = loadConfig({}, { KUBECONFIG: `${a}:${join(dir, 'missing.yaml')}:${b}` });
    expect(c.contextName).toBe('ctx-a');
    expect(loadConfig({ context: 'ctx-b' }, { KUBECONFIG: `${a}:${b}` }).cluster.server).toBe('https://b:6443');
    // duplicate names: the first definition wins, no error
    expect(loadConfig({ context: 'dup' }, { KUBECONFIG: `${a}:${b}` }).cluster.server).toBe('https://from-a:6443');
    expect(loadConfig({}, { KUBECONFIG: `${b}:${a}` }).contextName).toBe('ctx-b');
  });

  it('applies -n, --cluster, --user, --server, --token, --as and TLS overrides', () => {
    const c = loadConfig({ kubeconfig: a, namespace: 'other', server: 'https://override:443', token: 'tok', as: 'jane', tlsServerName: 'api.internal' }, {});
    expect(c.namespace).toBe('other');
    expect(c.cluster.server).toBe('https://override:443');
    expect(c.cluster.tlsServerName).toBe('api.internal');
    expect(c.user.token).toBe('tok');
    expect(c.user.impersonateUser).toBe('jane');
    const i = loadConfig({ kubeconfig: a, insecureSkipTlsVerify: true }, {});
    expect(i.cluster.skipTLSVerify).toBe(true);
    expect(i.cluster.caData).toBeUndefined(); // kubectl clears the CA with an insecure override
    expect(loadConfig({ kubeconfig: a, context: 'ctx-a', cluster: 'shared' }, {}).cluster.server).toBe('https://from-a:6443');
    expect(loadConfig({ kubeconfig: a }, {}).namespace).toBe('team-a');
    expect(loadConfig({ kubeconfig: a, context: 'dup' }, {}).namespace).toBe('default');
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['a missing --kubeconfig', () => loadConfig({ kubeconfig: join(dir, 'nope.yaml') }, {}), /does not exist/],
    ['broken YAML', () => (writeFileSync(join(dir, 'broken.yaml'), 'clusters: [\n  - x'), loadConfig({ kubeconfig: join(dir, 'broken.yaml') }, {})), /invalid kubeconfig/],
    ['YAML without a config', () => (writeFileSync(join(dir, 'scalar.yaml'), 'just a string'), loadConfig({ kubeconfig: join(dir, 'scalar.yaml') }, {})), /invalid kubeconfig|no current context/],
    ['an unknown --context', () => loadConfig({ kubeconfig: a, context: 'nope' }, {}), /context "nope" does not exist/],
    ['an unknown --user', () => loadConfig({ kubeconfig: a, user: 'nope' }, {}), /user "nope" does not exist/],
    ['no kubeconfig anywhere', () => loadConfig({}, { HOME: join(dir, 'empty-home') }), /no kubeconfig found/],
    ['KUBECONFIG naming only missing files', () => loadConfig({}, { KUBECONFIG: join(dir, 'x.yaml') }), /none of the KUBECONFIG files exist/],
    ['a CA file that does not exist', () => loadConfig({ kubeconfig: a, certificateAuthority: join(dir, 'ca.pem') }, {}), /does not exist/],
  ];
  for (const [name, fn, re] of bad) {
    it(`fails with a ConfigError on ${name}`, () => {
      expect(fn).toThrow(ConfigError);
      expect(fn).toThrow(re);
    });
  }

  it('works from --server alone', () => {
    const c = loadConfig({ server: 'https://10.0.0.1:6443', token: 't' }, { HOME: join(dir, 'empty-home') });
    expect(c.cluster.server).toBe('https://10.0.0.1:6443');
    expect(c.namespace).toBe('default');
  });
});

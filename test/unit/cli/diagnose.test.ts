import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseFormat, runDiagnose } from '../../../src/cli/diagnose.ts';
import { CliError } from '../../../src/cli/exit.ts';

function io(env: NodeJS.ProcessEnv = { HOME: '/nonexistent' }) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  return { io: { stdout, stderr, env }, out: () => out, err: () => err };
}

describe('runDiagnose', () => {
  it('prints its usage with --help after a target', async () => {
    const t = io();
    expect(await runDiagnose(['svc/web', '--help'], t.io)).toBe(0);
    expect(t.out()).toMatch(/^Usage: kubectl netpath TARGET \[flags\]/);
    expect(t.out()).toMatch(/Exit codes: 0 no layer fails/);
  });

  it('needs a target and a usable kubeconfig', async () => {
    await expect(runDiagnose(['-o', 'json'], io().io)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/a target is required/) });
    await expect(runDiagnose(['svc/web'], io().io)).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/no kubeconfig found/) });
    await expect(runDiagnose(['pod/x'], io().io)).rejects.toBeInstanceOf(CliError);
    await expect(runDiagnose(['x.example', '--resolver', 'a:b:c'], io().io)).rejects.toMatchObject({ exitCode: 2 });
  });

  it('defaults to tui on a terminal (rendered as text until the TUI exists) and text elsewhere', () => {
    expect(chooseFormat(undefined, true)).toBe('tui');
    expect(chooseFormat(undefined, false)).toBe('text');
    expect(chooseFormat('json', true)).toBe('json');
  });
});

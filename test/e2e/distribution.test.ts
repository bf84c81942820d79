// Distribution end to end: the linux/amd64 release archive installed as a user would (extracted into a directory
// first on PATH, with no `node` anywhere on PATH) and run the way kubectl runs plugins — `kubectl plugin list`,
// `kubectl netpath --version`, a diagnosis of a lab scenario, the lab from the archive's own scenarios, completion
// through kubectl's plugin-completion helper — and `npm pack` installed with `npm install -g` running on Node ≥ 22.
//
// The archive is built by scripts/release.ts into dist/release-host/ (not dist/release/, whose archives plugin.yaml
// describes) and reused while its inputs (bundle, Node version, scenarios, LICENSE) are unchanged; a fresh build
// takes about half a minute.
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArchive } from '../../scripts/archive.ts';
import type { Report } from '../../src/path/model.ts';
import { ROOT, eventually, startLab, type LabProcess } from './harness.ts';

const HOST_OK = process.platform === 'linux' && process.arch === 'x64';
const OUT = join(ROOT, 'dist', 'release-host');
const ARCHIVE = join(OUT, 'kubectl-netpath_linux_amd64.tar.gz');
const pkg = (await import('../../package.json', { with: { type: 'json' } })).default as { version: string };

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}
const KUBECTL = which('kubectl');
if (!HOST_OK) console.log('distribution e2e: skipped, the single-executable test needs a linux/amd64 host');
if (!KUBECTL) console.log('distribution e2e: skipped, kubectl is not on PATH');

let tmp: string;
let install: string;
let PATH: string;
let lab: LabProcess | undefined;

const env = () => ({ PATH, HOME: tmp, KUBECONFIG: '', NO_COLOR: '1' });
const run = (cmd: string, args: string[], timeout = 60_000) => execa(cmd, args, { env: env(), extendEnv: false, reject: false, timeout });

describe.skipIf(!HOST_OK || !KUBECTL)('the linux/amd64 archive through kubectl plugin discovery', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'netpath-dist-'));
    // Build or reuse the archive.
    const r = await execa(process.execPath, [join(ROOT, 'scripts', 'release.ts'), '--targets', 'linux-amd64', '--out', OUT], { reject: false, timeout: 600_000, cwd: ROOT });
    if (r.exitCode !== 0) throw new Error(`release build failed: ${r.stderr}`);
    // Extract it as krew would.
    install = join(tmp, 'plugin');
    mkdirSync(install);
    extractArchive(ARCHIVE, install);
    // PATH: the plugin first, then a directory holding only kubectl (the machine's kubectl sits beside a node).
    const kbin = join(tmp, 'kubectl-only');
    mkdirSync(kbin);
    symlinkSync(realpathSync(KUBECTL!), join(kbin, 'kubectl'));
    PATH = `${install}:${kbin}`;
    lab = await startLab(['--scenario', 'selector-mismatch', '--no-dataplane']);
  }, 660_000);

  afterAll(async () => {
    await lab?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('has no node on the PATH it runs with, and the archive holds the binary, completion, scenarios and LICENSE', async () => {
    expect((await run('/bin/sh', ['-c', 'command -v node || echo none'])).stdout.trim()).toBe('none');
    expect(readdirSync(install).sort()).toEqual(['LICENSE', 'kubectl-netpath', 'kubectl_complete-netpath', 'scenarios']);
  });

  it('`kubectl plugin list` finds it', async () => {
    const r = await run('kubectl', ['plugin', 'list']);
    expect(r.stdout).toContain(join(install, 'kubectl-netpath'));
  });

  it('`kubectl netpath --version` runs the self-contained binary', async () => {
    const r = await run('kubectl', ['netpath', '--version']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`kubectl-netpath ${pkg.version}`);
    // A NODE_OPTIONS meant for other tools does not reach the binary (execArgvExtension: "none").
    const o = await execa(join(install, 'kubectl-netpath'), ['--version'], { env: { ...env(), NODE_OPTIONS: '--require /nonexistent.cjs' }, extendEnv: false, reject: false });
    expect(o.stdout.trim(), o.stderr).toBe(`kubectl-netpath ${pkg.version}`);
  });

  it('`kubectl netpath svc/web -o json` names the service layer in the selector-mismatch scenario', async () => {
    const args = ['netpath', 'svc/web', '-n', 'selector-mismatch', '-o', 'json', '--no-probe', '--kubeconfig', lab!.ready.kubeconfig];
    const { r, report } = await eventually(async () => {
      const r = await run('kubectl', args);
      const report = JSON.parse(String(r.stdout)) as Report;
      return report.verdict.layer === 'service' ? { r, report } : undefined;
    }, 20_000, 300);
    expect(r.exitCode).toBe(1);
    expect(report.verdict.status).toBe('fail');
    expect(report.layers.find((l) => l.id === 'service')!.checks.some((c) => c.status === 'fail')).toBe(true);
  });

  it('completes service names through kubectl_complete-netpath, as kubectl ≥ 1.26 calls it', async () => {
    const r = await run(join(install, 'kubectl_complete-netpath'), ['--kubeconfig', lab!.ready.kubeconfig, '-n', 'selector-mismatch', 'svc/']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['svc/web', ':4']);
  });

  it('runs the lab from the scenarios shipped beside the binary', async () => {
    const proc = execa(join(install, 'kubectl-netpath'), ['lab', '--scenario', 'selector-mismatch', '--no-dataplane'], { env: env(), extendEnv: false, reject: false });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        proc.stdout!.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0]!));
        proc.then((r) => reject(new Error(`lab exited (${r.exitCode}): ${r.stderr}`)), reject);
      });
      expect(JSON.parse(line).scenario).toEqual(['platform', 'selector-mismatch']);
    } finally {
      proc.kill('SIGTERM');
      await proc;
    }
  });
});

describe('npm pack → npm install -g', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'netpath-npm-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('installs a working kubectl-netpath (and the completion helper) on Node >= 22, without the release archives', async () => {
    const nodeDir = dirname(process.execPath);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(22);
    const npmEnv = { PATH: `${nodeDir}:${process.env.PATH}`, npm_config_loglevel: 'error', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env: npmEnv, timeout: 120_000 });
    const info = JSON.parse(packed.stdout)[0] as { filename: string; files: { path: string }[] };
    const files = info.files.map((f) => f.path);
    expect(files).toContain('dist/kubectl-netpath.js');
    expect(files).toContain('bin/kubectl_complete-netpath.js');
    expect(files.filter((f) => f.startsWith('dist/release'))).toEqual([]);
    const prefix = join(dir, 'prefix');
    await execa('npm', ['install', '-g', '--prefix', prefix, join(dir, info.filename)], { env: npmEnv, timeout: 300_000 });
    // Only the installed bin directory and this Node (>= 22) on PATH.
    const binEnv = { PATH: `${join(prefix, 'bin')}:${nodeDir}`, HOME: dir };
    const v = await execa('kubectl-netpath', ['--version'], { env: binEnv, extendEnv: false, reject: false });
    expect(v.stdout.trim(), v.stderr).toBe(`kubectl-netpath ${pkg.version}`);
    const c = await execa('kubectl_complete-netpath', ['-o', 'ya'], { env: binEnv, extendEnv: false, reject: false });
    expect(c.stdout.split('\n'), c.stderr).toEqual(['yaml', ':4']);
  }, 420_000);
});

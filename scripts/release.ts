// `npm run release`: self-contained kubectl-netpath binaries for every krew platform, their archives and plugin.yaml.
//
//   node scripts/release.ts [--targets linux-amd64,…] [--out DIR] [--repo OWNER/NAME] [--manifest-only] [--no-smoke]
//
// 1. esbuild bundles src/cli/index.ts into one ESM file (react-devtools-core replaced by a stub, no code splitting:
//    in a single executable application import() only reaches Node's builtins).
// 2. For each target, `node --build-sea` (the pinned Node, which must be the one running this script) injects the
//    bundle as an ESM main (`mainFormat: "module"`) into that platform's official Node binary, taken from the npm
//    package `node-<os>-<arch>` at exactly the pinned version and cached under .cache/node-sea/. A platform whose
//    package is not on the registry gets the bundle plus a shell launcher that needs Node ≥ 22 instead.
// 3. Smoke tests: the host binary runs `--version` with an empty PATH; the linux/arm64 one runs under qemu-user when
//    `qemu-aarch64` and an aarch64 sysroot are installed; the others are checked for their format and SEA fuse.
// 4. Each target's archive (kubectl-netpath_<os>_<arch>.tar.gz, .zip for Windows; deterministic bytes) holds the
//    binary, the completion helper kubectl_complete-netpath, the lab scenarios and LICENSE. An archive is rebuilt only
//    when its inputs changed (a `.stamp` file beside it records their hash).
// 5. With all five archives in dist/release/, plugin.yaml and .krew.yaml are rewritten at the top level with the
//    archives' sha256; dist/release/sha256sums.txt lists them.
import { build, type BuildOptions } from 'esbuild';
// @ts-expect-error: a plain .mjs build script without types
import { bundleOptions } from './build.mjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readArchive, tarGz, zip, type ArchiveEntry } from './archive.ts';
import { DEFAULT_REPO, TARGETS, krewTemplate, pluginYaml, type ArchiveKind, type PlatformEntry, type Target } from './krew-manifest.ts';

export const ROOT = join(import.meta.dirname, '..');
export const DEFAULT_OUT = join(ROOT, 'dist', 'release');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
/** The Node version every binary is built from: the `node` devDependency, pinned exactly. */
export const NODE_VERSION: string = pkg.devDependencies.node;
export const VERSION_TAG = `v${pkg.version}`;
/** Bumped when the archive layout changes, so old stamps are not reused. */
const LAYOUT = 5;

const log = (s: string) => process.stderr.write(`release: ${s}\n`);

/** POSIX sh that sets $dir to the folder the running script really lives in (symlinks followed, as kubectl's plugin
 * links and package managers' bin links point at it). Shared by the two scripts below. */
const SCRIPT_DIR = `self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in /*) self=$link ;; *) self=\${self%/*}/$link ;; esac
done
case $self in */*) dir=\${self%/*} ;; *) dir=. ;; esac
`;

/** kubectl's plugin-completion helper: kubectl ≥ 1.26 runs `kubectl_complete-netpath ARGS… PARTIAL` on TAB. */
export const COMPLETION_SCRIPT = `#!/bin/sh
# kubectl plugin completion for kubectl-netpath (kubectl >= 1.26 runs this on TAB after \`kubectl netpath\`).
# It asks the plugin itself: \`kubectl-netpath __complete ARGS... PARTIAL\` prints candidates and a :directive line.
${SCRIPT_DIR}if [ -x "$dir/kubectl-netpath" ]; then exec "$dir/kubectl-netpath" __complete "$@"; fi
exec kubectl-netpath __complete "$@"
`;

/** For platforms without a single executable: runs the bundle beside it with the Node.js ≥ 22 on PATH. */
export const LAUNCHER_SCRIPT = `#!/bin/sh
# kubectl-netpath launcher: this platform's release is the JavaScript bundle, run with Node.js >= 22 from PATH
# (or NETPATH_NODE=/path/to/node).
${SCRIPT_DIR}node=\${NETPATH_NODE:-node}
if ! v=$("$node" --version 2>/dev/null); then
  echo "error: kubectl-netpath needs Node.js >= 22 on PATH on this platform (or NETPATH_NODE=/path/to/node)" >&2
  exit 2
fi
major=\${v#v}
major=\${major%%.*}
if [ "$major" -lt 22 ] 2>/dev/null; then
  echo "error: kubectl-netpath needs Node.js >= 22; $node is $v (set NETPATH_NODE=/path/to/node)" >&2
  exit 2
fi
exec "$node" "$dir/kubectl-netpath.mjs" "$@"
`;

/** The single-file ESM bundle every binary embeds (and the launcher runs). */
export async function bundle(outFile: string): Promise<Buffer> {
  mkdirSync(dirname(outFile), { recursive: true });
  // The same options as dist/ (scripts/build.mjs: lazy built-ins and packages, the react-devtools-core stub, the
  // KubeConfig-only client-node), so the binaries start as fast as `node dist/…`.
  await build({ ...bundleOptions, outfile: outFile, legalComments: 'eof' } as BuildOptions);
  return readFileSync(outFile);
}

function scenarioEntries(): ArchiveEntry[] {
  const dir = join(ROOT, 'src/lab/scenarios');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return [{ name: 'scenarios/', mode: 0o755 }, ...files.map((f) => ({ name: `scenarios/${f}`, mode: 0o644, data: readFileSync(join(dir, f)) }))];
}

function sha256(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

export function sha256File(path: string): string {
  return sha256(readFileSync(path));
}

/** The host's target id, if the host is one of the release platforms. */
export function hostTarget(): Target | undefined {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return TARGETS.find((t) => t.os === os && t.arch === arch);
}

function onPath(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(d, cmd);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/**
 * The official Node binary for a target at the pinned version: the running Node for the host platform, else
 * extracted from `npm pack node-<os>-<arch>@VERSION` into .cache/node-sea/VERSION/<target>/. Undefined when the
 * registry has no such package.
 */
export function nodeBinary(t: Target): string | undefined {
  if (hostTarget()?.id === t.id) return process.execPath;
  const dir = join(ROOT, '.cache', 'node-sea', NODE_VERSION, t.id);
  const bin = join(dir, t.nodeBinary.split('/').pop()!);
  if (existsSync(bin)) return bin;
  if (existsSync(join(dir, 'MISSING'))) return undefined;
  mkdirSync(dir, { recursive: true });
  const spec = `${t.nodePackage}@${NODE_VERSION}`;
  log(`fetching ${spec} from the npm registry`);
  const r = spawnSync('npm', ['pack', spec, '--pack-destination', dir, '--loglevel=error'], { encoding: 'utf8' });
  if (r.status !== 0) {
    if (/E404|ETARGET|\b404\b|No match(ing version)? found/i.test(r.stderr)) {
      writeFileSync(join(dir, 'MISSING'), `${spec} is not on the npm registry (checked ${new Date().toISOString()})\n`);
      log(`${spec} is not on the registry: ${t.id} gets the launcher`);
      return undefined;
    }
    throw new Error(`npm pack ${spec} failed: ${r.stderr.trim().split('\n').pop()}`);
  }
  const tgz = join(dir, r.stdout.trim().split('\n').pop()!);
  const entry = readArchive(tgz).find((e) => e.name === `package/${t.nodeBinary}`);
  if (!entry?.data) throw new Error(`${spec} has no ${t.nodeBinary}`);
  writeFileSync(`${bin}.tmp`, entry.data, { mode: 0o755 });
  renameSync(`${bin}.tmp`, bin);
  rmSync(tgz, { force: true });
  return bin;
}

/**
 * `node --build-sea` with the bundle as ESM main and `executable` as the base binary. V8's code cache is embedded
 * only when the base binary is the running Node itself (the host platform): a cache made by one build of V8 is
 * useless to another, so cross-built binaries compile the bundle at start.
 */
function buildSea(mainFile: string, executable: string, output: string): void {
  const cfg = join(dirname(output), 'sea-config.json');
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(
    cfg,
    JSON.stringify(
      {
        main: mainFile,
        mainFormat: 'module',
        executable,
        output,
        disableExperimentalSEAWarning: true,
        // A user's NODE_OPTIONS (set for other tools, e.g. `--require …`) must not change or break the binary.
        execArgvExtension: 'none',
        // Code cache and snapshots are tied to the building binary's V8 and cannot be cross-built.
        useCodeCache: executable === process.execPath,
        useSnapshot: false,
      },
      null,
      2,
    ),
  );
  execFileSync(process.execPath, ['--build-sea', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const SEA_FUSE = Buffer.from('NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1');

/** Runs or inspects a built binary; returns a one-line result, throws when it is broken. */
function smoke(t: Target, kind: ArchiveKind, dir: string): string {
  const bin = join(dir, t.bin);
  const expect = `kubectl-netpath ${pkg.version}`;
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv) => {
    const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 120_000 });
    if (r.error) throw new Error(`${t.id}: cannot run ${cmd}: ${r.error.message}`);
    if (r.stdout.trim() !== expect) throw new Error(`${t.id}: \`${[cmd, ...args].join(' ')}\` printed ${JSON.stringify(r.stdout + r.stderr)}, want "${expect}"`);
  };
  if (kind === 'launcher') {
    if (process.platform === 'win32') return 'launcher not run on Windows';
    run('/bin/sh', [bin, '--version'], { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` });
    return `launcher ran --version with ${process.version}`;
  }
  const data = readFileSync(bin);
  const magic = data.readUInt32BE(0);
  const format = t.os === 'linux' ? magic === 0x7f454c46 : t.os === 'darwin' ? magic === 0xcffaedfe : data.readUInt16BE(0) === 0x4d5a;
  if (!format) throw new Error(`${t.id}: ${bin} is not a ${t.os} executable`);
  if (!data.includes(SEA_FUSE)) throw new Error(`${t.id}: the SEA fuse is not set in ${bin}`);
  if (hostTarget()?.id === t.id) {
    run(bin, ['--version'], { PATH: '' });
    return 'ran --version with an empty PATH';
  }
  if (t.id === 'linux-arm64' && process.platform === 'linux') {
    const qemu = onPath('qemu-aarch64') ?? onPath('qemu-aarch64-static');
    const sysroot = '/usr/aarch64-linux-gnu';
    if (qemu && existsSync(join(sysroot, 'lib', 'ld-linux-aarch64.so.1'))) {
      run(qemu, ['-L', sysroot, bin, '--version'], { PATH: '' });
      return `ran --version under ${qemu}`;
    }
    return 'format and SEA fuse checked; not run (apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross libatomic1-arm64-cross to run it)';
  }
  return 'format and SEA fuse checked (cannot run here)';
}

/** Ad-hoc signs a macOS binary where a signing tool exists; returns what was done. */
function signDarwin(bin: string): string {
  if (process.platform === 'darwin' && onPath('codesign')) {
    execFileSync('codesign', ['--sign', '-', '--force', bin], { stdio: 'inherit' });
    return 'ad-hoc signed with codesign';
  }
  if (onPath('rcodesign')) {
    execFileSync('rcodesign', ['sign', bin], { stdio: 'inherit' });
    return 'ad-hoc signed with rcodesign';
  }
  return 'unsigned (no codesign/rcodesign here; see docs/INSTALL.md)';
}

interface Stamp {
  inputs: string;
  kind: ArchiveKind;
  sha256: string;
  notes: string[];
}

export function readStamp(archivePath: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(`${archivePath}.stamp`, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface BuildResult {
  target: Target;
  archive: string;
  kind: ArchiveKind;
  sha256: string;
  reused: boolean;
  notes: string[];
}

/** Builds (or reuses) the archives of the given targets in `out`. */
export async function buildArchives(targets: Target[], out: string, opts: { smoke?: boolean } = {}): Promise<BuildResult[]> {
  if (process.versions.node !== NODE_VERSION)
    throw new Error(`run with the pinned Node ${NODE_VERSION} (npm run release), not ${process.version}: a SEA blob only runs in the Node that made it`);
  const work = join(out, '.work');
  mkdirSync(work, { recursive: true });
  const mainFile = join(work, 'kubectl-netpath.mjs');
  const main = await bundle(mainFile);
  const license = readFileSync(join(ROOT, 'LICENSE'));
  const scenarios = scenarioEntries();
  const inputs = sha256(
    JSON.stringify({ LAYOUT, NODE_VERSION, version: pkg.version, main: sha256(main), license: sha256(license), completion: COMPLETION_SCRIPT, launcher: LAUNCHER_SCRIPT, scenarios: scenarios.map((e) => [e.name, e.data ? sha256(e.data) : '']) }),
  );
  const results: BuildResult[] = [];
  for (const t of targets) {
    const archive = join(out, t.archive);
    const stamp = readStamp(archive);
    if (stamp?.inputs === inputs && existsSync(archive) && sha256File(archive) === stamp.sha256) {
      log(`${t.archive}: up to date (${stamp.kind})`);
      results.push({ target: t, archive, kind: stamp.kind, sha256: stamp.sha256, reused: true, notes: stamp.notes });
      continue;
    }
    const t0 = Date.now();
    const dir = join(work, t.id);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const exe = nodeBinary(t);
    const kind: ArchiveKind = exe ? 'sea' : 'launcher';
    const notes: string[] = [];
    const entries: ArchiveEntry[] = [];
    if (exe) {
      buildSea(mainFile, exe, join(dir, t.bin));
      if (t.os === 'darwin') notes.push(signDarwin(join(dir, t.bin)));
      entries.push({ name: t.bin, mode: 0o755, data: readFileSync(join(dir, t.bin)) });
    } else {
      writeFileSync(join(dir, t.bin), LAUNCHER_SCRIPT, { mode: 0o755 });
      writeFileSync(join(dir, 'kubectl-netpath.mjs'), main);
      entries.push({ name: t.bin, mode: 0o755, data: Buffer.from(LAUNCHER_SCRIPT) }, { name: 'kubectl-netpath.mjs', mode: 0o644, data: main });
      notes.push(`launcher: ${t.nodePackage}@${NODE_VERSION} is not on the npm registry`);
    }
    if (opts.smoke !== false) notes.push(smoke(t, kind, dir));
    if (t.os !== 'windows') entries.push({ name: 'kubectl_complete-netpath', mode: 0o755, data: Buffer.from(COMPLETION_SCRIPT) });
    entries.push(...scenarios, { name: 'LICENSE', mode: 0o644, data: license });
    const bytes = t.os === 'windows' ? zip(entries) : tarGz(entries);
    writeFileSync(`${archive}.tmp`, bytes);
    renameSync(`${archive}.tmp`, archive);
    const sum = sha256(bytes);
    writeFileSync(`${archive}.stamp`, JSON.stringify({ inputs, kind, sha256: sum, notes } satisfies Stamp, null, 2) + '\n');
    rmSync(dir, { recursive: true, force: true });
    log(`${t.archive}: ${kind}, ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${((Date.now() - t0) / 1000).toFixed(1)} s; ${notes.join('; ')}`);
    results.push({ target: t, archive, kind, sha256: sum, reused: false, notes });
  }
  return results;
}

/** The platform entries for the archives present in `out` (with their stamps), in TARGETS order. */
export function presentPlatforms(out: string): PlatformEntry[] {
  const entries: PlatformEntry[] = [];
  for (const t of TARGETS) {
    const archive = join(out, t.archive);
    if (!existsSync(archive)) continue;
    const stamp = readStamp(archive);
    entries.push({ target: t, kind: stamp?.kind ?? 'sea', sha256: sha256File(archive) });
  }
  return entries;
}

/** Writes plugin.yaml and .krew.yaml at the top level when every target's archive is in `out`. */
export function writeManifests(out: string, repo: string): boolean {
  const platforms = presentPlatforms(out);
  writeFileSync(join(out, 'sha256sums.txt'), platforms.map((p) => `${p.sha256}  ${p.target.archive}\n`).join(''));
  if (platforms.length !== TARGETS.length) {
    const missing = TARGETS.filter((t) => !platforms.some((p) => p.target.id === t.id)).map((t) => t.id);
    log(`plugin.yaml not written: ${relative(ROOT, out)} lacks ${missing.join(', ')}`);
    return false;
  }
  writeFileSync(join(ROOT, 'plugin.yaml'), pluginYaml({ version: VERSION_TAG, repo, platforms }));
  writeFileSync(join(ROOT, '.krew.yaml'), krewTemplate({ repo, platforms }));
  log(`wrote plugin.yaml and .krew.yaml (${repo}, ${VERSION_TAG})`);
  return true;
}

async function cli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      targets: { type: 'string' },
      out: { type: 'string' },
      repo: { type: 'string' },
      'manifest-only': { type: 'boolean' },
      'no-smoke': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(readFileSync(import.meta.filename, 'utf8').split('\n').slice(0, 20).join('\n') + '\n');
    return 0;
  }
  const out = values.out ? resolve(values.out) : DEFAULT_OUT;
  const repo = values.repo ?? process.env.GITHUB_REPOSITORY ?? DEFAULT_REPO;
  const ids = values.targets ? values.targets.split(',').map((s) => s.trim()) : TARGETS.map((t) => t.id);
  const targets = ids.map((id) => TARGETS.find((t) => t.id === id) ?? (() => { throw new Error(`unknown target ${id} (${TARGETS.map((t) => t.id).join(', ')})`); })());
  if (!values['manifest-only']) {
    const results = await buildArchives(targets, out, { smoke: !values['no-smoke'] });
    for (const r of results) chmodSync(r.archive, 0o644);
  }
  if (out === DEFAULT_OUT) writeManifests(out, repo);
  return 0;
}

if (import.meta.main) {
  try {
    process.exitCode = await cli(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}

// Start-up benchmark: the shipped single executable versus `node dist/…`, and the release archives' sizes.
// Run: npm run bench:startup   (builds dist/ and the linux/amd64 archive into dist/release-host/ first)
//
//   --version      median wall time of N runs (process start to exit), each command alike
//   --demo         time to the first byte on stdout (the demo's first frame / first line), median of M runs; the
//                  demo starts a lab with a data plane, so the whole benchmark should run under
//                  `flock /tmp/netpath-dataplane.lock npm run bench:startup`
//   archives       size of every archive in dist/release/ (and dist/release-host/), and of the binary inside
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { extractArchive, readArchive } from './archive.ts';

const ROOT = join(import.meta.dirname, '..');
const HOST_ARCHIVE = join(ROOT, 'dist', 'release-host', 'kubectl-netpath_linux_amd64.tar.gz');
const N = Number(process.env.BENCH_RUNS ?? 15);
const M = Number(process.env.BENCH_DEMO_RUNS ?? 5);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const range = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** --version timings of every command, taken round-robin so that load from other processes hits all alike. */
function timeVersions(cmds: { cmd: string; args: string[]; env: NodeJS.ProcessEnv }[]): number[][] {
  const out: number[][] = cmds.map(() => []);
  for (const c of cmds) spawnSync(c.cmd, [...c.args, '--version'], { env: c.env }); // page cache, compile cache
  for (let i = 0; i < N; i++)
    cmds.forEach((c, k) => {
      const t0 = performance.now();
      const r = spawnSync(c.cmd, [...c.args, '--version'], { env: c.env, encoding: 'utf8' });
      out[k]!.push(performance.now() - t0);
      if (!r.stdout.startsWith('kubectl-netpath ')) throw new Error(`${c.cmd} --version printed ${JSON.stringify(r.stdout + r.stderr)}`);
    });
  return out;
}

const SCRIPT = spawnSync('sh', ['-c', 'command -v script']).stdout?.toString().trim() || undefined;
const shq = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * Time from spawn to the demo's first frame: the first Ink render after the switch to the alternate screen, read
 * through a pseudo-terminal made by script(1) (the UI only starts on a terminal). Without script(1), the time to
 * the first line of the plain (non-terminal) demo output.
 */
async function firstFrame(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; what: string }> {
  const line = [cmd, ...args, '--demo'].map(shq).join(' ');
  const t0 = performance.now();
  const child = SCRIPT
    ? spawn(SCRIPT, ['-qfc', line, '/dev/null'], { env: { ...env, TERM: 'xterm-256color' }, stdio: ['pipe', 'pipe', 'pipe'], detached: true })
    : spawn(cmd, [...args, '--demo'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let seen = '';
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${cmd} --demo showed nothing in 60 s`)), 60_000);
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        const frame = SCRIPT ? /\x1b\[\?1049h[\s\S]*netpath/.test(seen) : seen.includes('\n');
        if (frame) {
          clearTimeout(timer);
          resolve({ ms: performance.now() - t0, what: SCRIPT ? 'first TUI frame (pty)' : `first line "${seen.split('\n')[0]!.slice(0, 50)}"` });
        }
      });
      child.once('exit', (c) => reject(new Error(`${cmd} --demo exited with ${c}: ${seen.slice(-300)}`)));
    });
  } finally {
    // The whole process group: script(1), the CLI and its lab.
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {}
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  }
}

async function timeDemo(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number[]; what: string }> {
  const ms: number[] = [];
  let what = '';
  for (let i = 0; i < M; i++) {
    const r = await firstFrame(cmd, args, env);
    ms.push(r.ms);
    what = r.what;
    await new Promise((r) => setTimeout(r, 500)); // let the lab release its loopback addresses
  }
  return { ms, what };
}

if (!existsSync(HOST_ARCHIVE)) throw new Error(`no ${HOST_ARCHIVE}: run \`npm run bench:startup\` (it builds it)`);
const tmp = mkdtempSync(join(tmpdir(), 'netpath-bench-startup-'));
const bin = join(tmp, 'kubectl-netpath');
extractArchive(HOST_ARCHIVE, tmp);
const home = join(tmp, 'home');
mkdirSync(home);
const baseEnv = { PATH: '/usr/bin:/bin', HOME: home, NO_COLOR: '1' };

const rows: string[] = [];
const commands: { label: string; cmd: string; args: string[]; env: NodeJS.ProcessEnv }[] = [
  { label: 'shipped binary (`kubectl-netpath`, no node on PATH)', cmd: bin, args: [], env: baseEnv },
  { label: '`node dist/kubectl-netpath.js` (pinned Node, no compile cache)', cmd: process.execPath, args: [join(ROOT, 'dist', 'kubectl-netpath.js')], env: baseEnv },
  { label: '`node bin/kubectl-netpath.js` (npm install; compile cache warm)', cmd: process.execPath, args: [join(ROOT, 'bin', 'kubectl-netpath.js')], env: baseEnv },
];
for (const [k, v] of timeVersions(commands).entries()) {
  const c = commands[k]!;
  rows.push(`| \`--version\`, ${c.label} | ${Math.round(median(v))} ms (${range(v)}) | < 250 ms | ${median(v) < 250 ? 'met' : 'not met'} |`);
}
if (!process.env.BENCH_NO_DEMO) {
  for (const c of commands.slice(0, 2)) {
    const d = await timeDemo(c.cmd, c.args, c.env);
    rows.push(`| \`--demo\` to ${d.what}, ${c.label} | ${Math.round(median(d.ms))} ms (${range(d.ms)}) | — | |`);
  }
}
for (const dir of ['release', 'release-host']) {
  const d = join(ROOT, 'dist', dir);
  if (!existsSync(d)) continue;
  for (const f of readdirSync(d).filter((x) => /\.(tar\.gz|zip)$/.test(x)).sort()) {
    const entries = readArchive(join(d, f));
    const main = entries.find((e) => /^kubectl-netpath(\.exe|\.mjs)?$/.test(e.name) && (e.data?.length ?? 0) > 10_000);
    rows.push(`| archive dist/${dir}/${f} | ${mib(statSync(join(d, f)).size)} | — | ${main ? `${main.name} ${mib(main.data!.length)} unpacked` : ''} |`);
  }
}
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(
  [
    `Node ${process.version}, ${N} runs per --version figure, ${M} per --demo figure; median (min–max).`,
    '',
    '| Measure | Result | Target | |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n'),
);

#!/usr/bin/env node
// The CLI is bundled into dist/ by `npm run build` (run on `npm ci` through `prepare`).
//
// Start-up: compiling the bundle (~2.8 MB) is most of a cold start, so V8's code cache for it is kept on disk
// (module.enableCompileCache, Node >= 22.1) in the user's cache directory — or where NODE_COMPILE_CACHE says;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off. A cache that cannot be written or read only costs the compile.
import { accessSync, constants, mkdirSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

// The bundle needs Node >= 22 (it would fail in odd ways on older ones): one clear line instead, exit 2 as the
// release launcher does.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`error: kubectl-netpath needs Node.js >= 22; this is ${process.version}\n`);
  process.exit(2);
}

/** The cache directory; undefined: Node's own NODE_COMPILE_CACHE; null: none (no absolute home to put it in). */
function cacheDir() {
  if (process.env.NODE_COMPILE_CACHE) return undefined; // Node's own variable wins
  const home = homedir();
  const base =
    process.platform === 'win32'
      ? process.env.LOCALAPPDATA || join(home, 'AppData', 'Local')
      : process.platform === 'darwin'
        ? join(home, 'Library', 'Caches')
        : process.env.XDG_CACHE_HOME && isAbsolute(process.env.XDG_CACHE_HOME) // the XDG spec ignores a relative path
          ? process.env.XDG_CACHE_HOME
          : join(home, '.cache');
  return isAbsolute(base) ? join(base, 'kubectl-netpath', 'compile-cache') : null;
}

/**
 * Creates `dir` one level at a time and says whether it is writable. Not `mkdirSync(…, {recursive})`: Node's
 * recursive mkdir (and enableCompileCache's) never returns when a parent answers ENOENT to mkdir, as /proc does.
 */
function usable(dir, depth = 0) {
  try {
    mkdirSync(dir);
  } catch (e) {
    if (e.code === 'ENOENT' && depth < 8 && dirname(dir) !== dir && usable(dirname(dir), depth + 1)) {
      try {
        mkdirSync(dir);
      } catch {
        return false;
      }
    } else if (e.code !== 'EEXIST') return false;
  }
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

try {
  const dir = cacheDir();
  if (typeof module.enableCompileCache === 'function' && !process.env.NODE_DISABLE_COMPILE_CACHE && dir !== null && (dir === undefined || usable(dir)))
    module.enableCompileCache(dir);
} catch {
  // no cache: the bundle is compiled as usual
}

/**
 * A diagnosis that prints a report — stdout or stdin not a terminal, `CI` set, or `-o` given: what the CLI itself
 * decides (src/cli/tty.ts) — runs the report-only bundle, a fifth of the full CLI's bytes (src/cli/report-main.ts).
 * Commands, help and the UI run the full CLI. NETPATH_BUNDLE=full|report chooses (tests run both).
 */
function reportOnly(argv, env) {
  const first = argv[0];
  if (first === undefined || /^(lab|demo|--demo|cleanup|__complete|version|--version|help|-h|--help)$/.test(first)) return false;
  if (env.NETPATH_BUNDLE === 'full' || env.NETPATH_BUNDLE === 'report') return env.NETPATH_BUNDLE === 'report';
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return ci || !process.stdout.isTTY || !process.stdin.isTTY || argv.some((a) => a === '-o' || a === '--output' || a.startsWith('--output=') || /^-o./.test(a));
}

await import(reportOnly(process.argv.slice(2), process.env) ? '../dist/kubectl-netpath-report.js' : '../dist/kubectl-netpath.js');

// Bundles the CLI into dist/kubectl-netpath.js (ESM, Node >= 22) and copies the lab scenarios beside it.
import { build } from 'esbuild';
import { builtinModules, createRequire } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Start-up (docs/ARCHITECTURE.md, "Start-up"): the bundle is one file (the single-executable build needs that), so
// nothing may run at load time that --version does not need. src/cli/main.ts loads every command with `await
// import()`, which esbuild turns into lazily initialised module wrappers; this plugin does the same for Node's
// built-in modules imported by ESM code (ours, undici, client-node, ink): left as top-level `import`s they would all be
// loaded before main() runs, and their ESM facades read every export (node:http's then loads Node's internal undici,
// ~45 ms). Routed through `require()` inside a lazy CommonJS wrapper, each loads when the first module using it does.
const builtins = new Set(builtinModules.map((m) => m.replace(/^node:/, '')));
const lazyBuiltins = {
  name: 'lazy-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_0-9]+(\/[a-z_0-9]+)*$/ }, (args) => {
      if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
      const name = args.path.replace(/^node:/, '');
      return builtins.has(name) ? { path: name, namespace: 'lazy-builtin' } : undefined;
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({ contents: `module.exports = require('node:${args.path}');`, loader: 'js' }));
  },
};

// Ink imports react-devtools-core only when DEV=true (defined false here), but an external import inside its lazily
// loaded devtools module still becomes a top-level import of the ESM bundle: resolve it to an empty stub instead.
const noDevtools = {
  name: 'no-react-devtools',
  setup(b) {
    b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'devtools-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'devtools-stub' }, () => ({ contents: 'export default { initialize() {}, connectToDevTools() {} };', loader: 'js' }));
  },
};

// src/kube/config.ts imports client-node's KubeConfig module alone, not the package index. That module still imports
// two names from dist/gen/index.js, which re-exports the whole generated API (≈900 model classes and the typed
// clients, ~100 ms to evaluate at every diagnosis; esbuild keeps `export *` targets of lazily initialised modules even
// when marked side-effect free). Point that one import at the two modules that define those names. If a client-node
// upgrade imports more names there, the build fails with "No matching export" — extend the list then.
const clientNodeGenSubset = {
  name: 'client-node-gen-subset',
  setup(b) {
    b.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer)
        ? { path: join(dirname(args.importer), 'gen', 'index.js'), namespace: 'client-node-gen' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'client-node-gen' }, (args) => ({
      contents: "export { createConfiguration } from './configuration.js';\nexport { ServerConfiguration } from './servers.js';\n",
      resolveDir: dirname(args.path),
      loader: 'js',
    }));
  },
};

// Dependencies loaded on the diagnosis path whose bulk netpath never uses. Each import of them below becomes a
// module whose exports are getters that load the real package on first use (esbuild wraps a `require()`d module
// lazily), so the cost moves to the rare run that needs it:
// - undici (everywhere): its index loads fetch, WebSocket, mocks, caches, proxies and interceptors (~40-70 ms), and
//   bundled it is ~750 KB that every run would read and compile. Only `Agent` is bundled, from its own module with
//   the request API mixed in: all that src/kube/transport.ts (API servers without HTTP/2) and src/probes/net.ts use
//   (`agent.request()`). client-node's own imports of undici (fetch for its generated API clients, Watch, Log,
//   Metrics and Health; Agent and ProxyAgent for their dispatchers) serve code netpath never calls — it reads the
//   API through src/kube/transport.ts and uses KubeConfig for configuration and credentials — so any other name
//   throws, naming itself, when used.
// - what client-node's KubeConfig imports for proxies and auth providers (SOCKS/HTTP proxy agents, OIDC, JSONPath).
const require_ = createRequire(import.meta.url);
const clientNodeLazy = ['socks-proxy-agent', 'socks', 'hpagent', 'openid-client', 'jsonpath-plus', 'undici'];
const lazyNames = new Map();
for (const pkg of clientNodeLazy) {
  const resolved = require_.resolve(pkg, { paths: [join(root, 'node_modules/@kubernetes/client-node')] });
  let names;
  try {
    names = Object.keys(require_(resolved));
  } catch {
    names = Object.keys(await import(pathToFileURL(resolved).href));
  }
  lazyNames.set(pkg, names.filter((n) => n !== 'default' && n !== '__esModule'));
}
// undici's Agent with the request API mixed in (`agent.request()`), without undici's index.
const undiciAgent = `(Object.assign(require('undici/lib/dispatcher/dispatcher.js').prototype, require('undici/lib/api/index.js')), require('undici/lib/dispatcher/agent.js'))`;
const lazyPackages = {
  name: 'lazy-packages',
  setup(b) {
    b.onResolve({ filter: /^(undici|socks-proxy-agent|socks|hpagent|openid-client|jsonpath-plus)$/ }, (args) => {
      if (args.namespace === 'lazy-package') return undefined;
      if (args.path !== 'undici' && !/[\\/]@kubernetes[\\/]client-node[\\/]/.test(args.importer)) return undefined;
      return { path: args.path, namespace: 'lazy-package', pluginData: { resolveDir: args.resolveDir } };
    });
    b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => {
      // `undici#without-agent`: a module of its own (esbuild keys modules by path), see undiciApart
      const [pkg, variant] = args.path.split('#');
      const lines =
        pkg === 'undici'
          ? [`const load = (k) => { throw new Error('kubectl-netpath does not bundle undici.' + k); };`, `const own = {};`]
          : [`let full;`, `const load = () => (full ??= require(${JSON.stringify(pkg)}));`, `const own = {};`];
      // undiciApart (dist/) sends client-node's imports here without the Agent: it lives in a file of its own there
      if (pkg === 'undici' && variant !== 'without-agent') lines.push(`let agent;`, `own.Agent = () => (agent ??= ${undiciAgent});`);
      lines.push(
        `for (const k of ${JSON.stringify(lazyNames.get(pkg))}) Object.defineProperty(module.exports, k, { enumerable: true, get: () => (own[k] ? own[k]() : load(k)[k]) });`,
        `Object.defineProperty(module.exports, 'default', { enumerable: false, get: () => load('default').default ?? load('default') });`,
      );
      return { contents: lines.join('\n'), loader: 'js', resolveDir: args.pluginData.resolveDir };
    });
  },
};

// dist/ only: undici's Agent (~490 KB with its HTTP parser) is a file of its own, kubectl-netpath-undici.js, which
// the two bundles import when first needed (the workstation's HTTP probe, an API server without HTTP/2, the lab's
// traffic), so a run
// that needs neither never reads it; client-node's imports of undici get names that throw when used (see
// lazyPackages). The release binaries are one file and keep the Agent inline (lazyPackages).
const undiciFile = 'kubectl-netpath-undici.js';
const undiciApart = {
  name: 'undici-apart',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) => {
      if (/[\\/]@kubernetes[\\/]client-node[\\/]/.test(args.importer))
        return { path: 'undici#without-agent', namespace: 'lazy-package', pluginData: { resolveDir: args.resolveDir } };
      return args.kind === 'dynamic-import' ? { path: `./${undiciFile}`, external: true } : undefined;
    });
  },
};
const undiciEntry = `export const Agent = ${undiciAgent};`;

/**
 * The esbuild options every bundle of the CLI shares (dist/ here; the single-executable binaries of
 * scripts/release.ts can spread them too, so they start as fast): one ESM file, the start-up plugins above, minified.
 */
export const bundleOptions = {
  entryPoints: [join(root, 'src/cli/index.ts')],
  bundle: true,
  splitting: false,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // Half the bytes to read and compile at every start (5 MB → 2.5 MB); names kept for stacks (-v) and for libraries
  // that read a class's name.
  minify: true,
  keepNames: true,
  plugins: [lazyBuiltins, noDevtools, clientNodeGenSubset, lazyPackages],
  logLevel: 'warning',
  define: { 'process.env.DEV': '"false"', 'process.env.NODE_ENV': '"production"' },
  external: ['bufferutil', 'utf-8-validate'],
  // Bundled CommonJS dependencies (and the lazy built-ins above) call require().
  banner: { js: "import { createRequire as __netpathCreateRequire } from 'node:module'; const require = __netpathCreateRequire(import.meta.url);" },
};

// Run as a script (npm run build): build dist/. Imported (scripts/release.ts): only the options above.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // For profiling: `node scripts/build.mjs --no-minify --outdir DIR` writes a readable bundle elsewhere than dist/.
  const argv = process.argv.slice(2);
  const outdirAt = argv.indexOf('--outdir');
  const dist = outdirAt >= 0 && argv[outdirAt + 1] ? resolve(argv[outdirAt + 1]) : join(root, 'dist');
  mkdirSync(dist, { recursive: true });
  // Build beside dist/ and rename into place, so a CLI running from dist/ (an e2e test) never sees a half-written file.
  const out = mkdtempSync(join(dist, '.build-'));
  const options = { ...bundleOptions, minify: !argv.includes('--no-minify'), sourcemap: 'linked', legalComments: 'linked', plugins: [undiciApart, ...bundleOptions.plugins] };
  // The full CLI, and the report-only entry bin/ runs when no UI is wanted (src/cli/report-main.ts): the same
  // modules without the UI, the lab and the other commands, about a fifth of the bytes to read and compile.
  await Promise.all([
    build({ ...options, outfile: join(out, 'kubectl-netpath.js') }),
    build({ ...options, entryPoints: [join(root, 'src/cli/report-main.ts')], outfile: join(out, 'kubectl-netpath-report.js') }),
    build({ ...options, entryPoints: undefined, stdin: { contents: undiciEntry, resolveDir: root, sourcefile: 'undici-agent.js' }, outfile: join(out, undiciFile) }),
  ]);
  cpSync(join(root, 'src/lab/scenarios'), join(out, 'scenarios'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');
  for (const f of readdirSync(out)) {
    if (f === 'scenarios') {
      rmSync(join(dist, 'scenarios.old'), { recursive: true, force: true });
      try {
        renameSync(join(dist, 'scenarios'), join(dist, 'scenarios.old'));
      } catch {}
    }
    renameSync(join(out, f), join(dist, f));
  }
  rmSync(join(dist, 'scenarios.old'), { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
}

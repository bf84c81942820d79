// Bundles the CLI into dist/kubectl-netpath.js (ESM, Node >= 22) and copies the lab scenarios beside it.
import { build } from 'esbuild';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });
// Build beside dist/ and rename into place, so a CLI running from dist/ (an e2e test) never sees a half-written file.
const out = mkdtempSync(join(dist, '.build-'));

await build({
  entryPoints: [join(root, 'src/cli/index.ts')],
  outfile: join(out, 'kubectl-netpath.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  define: { 'process.env.DEV': '"false"', 'process.env.NODE_ENV': '"production"' },
  external: ['bufferutil', 'utf-8-validate', 'react-devtools-core'],
  // Bundled CommonJS dependencies still call require().
  banner: { js: "import { createRequire as __netpathCreateRequire } from 'node:module'; const require = __netpathCreateRequire(import.meta.url);" },
});
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

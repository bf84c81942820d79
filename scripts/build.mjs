// Bundles the CLI into dist/kubectl-netpath.js (ESM, Node >= 22) and copies the lab scenarios beside it.
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: [join(root, 'src/cli/index.ts')],
  outfile: join(dist, 'kubectl-netpath.js'),
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
cpSync(join(root, 'src/lab/scenarios'), join(dist, 'scenarios'), { recursive: true, filter: (f) => !f.endsWith('.ts') });
writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'module' }) + '\n');

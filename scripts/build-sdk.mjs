// Builds the client SDK: client-sdk/src/index.ts → client-sdk/dist/liveline.js (IIFE, global
// `Liveline`, for a <script> tag) and client-sdk/dist/liveline.mjs (ES module), both minified.
// Prints each file's size and gzipped size, and fails if the IIFE exceeds its budget.
// Usage: node scripts/build-sdk.mjs [--outdir DIR]   (default client-sdk/dist; tests build elsewhere)
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'client-sdk', 'src');
const outdirFlag = process.argv.indexOf('--outdir');
const outdir =
  outdirFlag > 0 && process.argv[outdirFlag + 1]
    ? path.resolve(process.argv[outdirFlag + 1])
    : path.join(root, 'client-sdk', 'dist');
/** Gzipped size budgets: the SDK alone, and the SDK with the drop-in widget. */
export const BUDGETS = { 'liveline-core.js': 5 * 1024, 'liveline.js': 15 * 1024 };

const common = {
  bundle: true,
  minify: true,
  target: 'es2019',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

const outputs = [
  // SDK + widget for one <script> tag: global Liveline, with Liveline.mount.
  { ...common, entryPoints: [path.join(src, 'index.ts')], format: 'iife', globalName: 'Liveline', outfile: path.join(outdir, 'liveline.js') },
  // The same as an ES module (importing it also auto-mounts [data-liveline-feed] elements).
  { ...common, entryPoints: [path.join(src, 'index.ts')], format: 'esm', outfile: path.join(outdir, 'liveline.mjs') },
  // The SDK alone, for pages that render entries themselves.
  { ...common, entryPoints: [path.join(src, 'core.ts')], format: 'iife', globalName: 'Liveline', outfile: path.join(outdir, 'liveline-core.js') },
];

const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
let overBudget = false;
for (const options of outputs) {
  await build(options);
  const code = readFileSync(options.outfile);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`${path.relative(process.cwd(), options.outfile)}  ${kb(code.length)}  (gzip ${kb(gzipped)})`);
  const budget = BUDGETS[path.basename(options.outfile)];
  if (budget !== undefined && gzipped > budget) {
    console.error(`  over budget: ${path.basename(options.outfile)} must stay under ${kb(budget)} gzipped`);
    overBudget = true;
  }
}
if (overBudget) process.exitCode = 1;

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
const entry = path.join(root, 'client-sdk', 'src', 'index.ts');
const outdirFlag = process.argv.indexOf('--outdir');
const outdir =
  outdirFlag > 0 && process.argv[outdirFlag + 1]
    ? path.resolve(process.argv[outdirFlag + 1])
    : path.join(root, 'client-sdk', 'dist');
const BUDGET_GZIP_BYTES = 5 * 1024; // for the minified IIFE

const common = {
  entryPoints: [entry],
  bundle: true,
  minify: true,
  target: 'es2019',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
};

const outputs = [
  { ...common, format: 'iife', globalName: 'Liveline', outfile: path.join(outdir, 'liveline.js') },
  { ...common, format: 'esm', outfile: path.join(outdir, 'liveline.mjs') },
];

const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
let overBudget = false;
for (const options of outputs) {
  await build(options);
  const code = readFileSync(options.outfile);
  const gzipped = gzipSync(code, { level: 9 }).length;
  console.log(`${path.relative(process.cwd(), options.outfile)}  ${kb(code.length)}  (gzip ${kb(gzipped)})`);
  if (options.format === 'iife' && gzipped > BUDGET_GZIP_BYTES) {
    console.error(`  over budget: the IIFE must stay under ${kb(BUDGET_GZIP_BYTES)} gzipped`);
    overBudget = true;
  }
}
if (overBudget) process.exitCode = 1;

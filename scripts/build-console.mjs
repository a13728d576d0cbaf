// Builds the editor console into editor-console/dist/ (served at /editor by
// server/http/console-routes.ts):
//   index.html   the page (copied)
//   console.js   editor-console/src/main.ts bundled with the SDK and widget it imports (IIFE, minified)
//   console.css  the console's styles (copied)
//   icon.svg     its icon (copied)
//   widget.css   the drop-in widget's stylesheet (client-sdk/src/widget/styles.ts), as a file,
//                because the console's Content-Security-Policy allows no inline <style>
// Usage: node scripts/build-console.mjs [--outdir DIR]
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'editor-console');
const outdirFlag = process.argv.indexOf('--outdir');
const outdir =
  outdirFlag > 0 && process.argv[outdirFlag + 1]
    ? path.resolve(process.argv[outdirFlag + 1])
    : path.join(src, 'dist');
mkdirSync(outdir, { recursive: true });

await build({
  entryPoints: [path.join(src, 'src', 'main.ts')],
  outfile: path.join(outdir, 'console.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});

// The widget's CSS is a string in TypeScript: bundle the module that holds it and read the export.
const styles = await build({
  entryPoints: [path.join(root, 'client-sdk', 'src', 'widget', 'styles.ts')],
  bundle: true,
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const { WIDGET_CSS } = await import(`data:text/javascript;base64,${Buffer.from(styles.outputFiles[0].text).toString('base64')}`);
if (typeof WIDGET_CSS !== 'string' || WIDGET_CSS.length === 0) {
  throw new Error('client-sdk/src/widget/styles.ts no longer exports WIDGET_CSS: the console preview needs the widget stylesheet');
}
writeFileSync(path.join(outdir, 'widget.css'), `${WIDGET_CSS}\n`);

for (const file of ['index.html', 'console.css', 'icon.svg']) copyFileSync(path.join(src, file), path.join(outdir, file));

const kb = (bytes) => `${(bytes / 1024).toFixed(2)} KB`;
for (const file of ['index.html', 'console.js', 'console.css', 'widget.css', 'icon.svg']) {
  const code = readFileSync(path.join(outdir, file));
  console.log(`${path.relative(process.cwd(), path.join(outdir, file))}  ${kb(code.length)}  (gzip ${kb(gzipSync(code, { level: 9 }).length)})`);
}

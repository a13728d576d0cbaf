import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository root (the folder with package.json), from the source tree or from dist/. */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Where `node scripts/build-sdk.mjs` writes liveline.js and liveline.mjs. */
export const SDK_DIST_DIR = join(projectRoot(), 'client-sdk', 'dist');

/** Where `node scripts/build-console.mjs` writes the editor console's files (index.html, its script and styles). */
export const CONSOLE_DIST_DIR = join(projectRoot(), 'editor-console', 'dist');

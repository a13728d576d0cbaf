import type { Router } from 'express';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../errors';
import { demoPage } from './demo-page';
import { exactRouter } from './router';

const SDK_FILES: ReadonlySet<string> = new Set(['liveline.js', 'liveline.mjs', 'liveline-core.js']);

/**
 * The SDK bundles: /sdk/liveline.js (global `Liveline`, with the widget), /sdk/liveline.mjs
 * (ES module) and /sdk/liveline-core.js (the SDK alone); and the demo page at `/`.
 */
export function staticRoutes(sdkDir: string, demoFeedId: string | null): Router {
  const r = exactRouter();
  const cache = new Map<string, Buffer>();

  r.get('/sdk/:file', async (req, res) => {
    const file = req.params.file as string;
    if (!SDK_FILES.has(file)) throw new AppError('route_not_found', `no SDK file "${file}"`);
    let body = cache.get(file);
    if (body === undefined) {
      body = await readFile(join(sdkDir, file)).catch((err: unknown) => {
        throw new AppError('unavailable', `the SDK is not built (${String(err)}); run: npm run build`);
      });
      cache.set(file, body);
    }
    res.set({
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
      'Access-Control-Allow-Origin': '*',
    });
    res.send(body);
  });

  if (demoFeedId !== null) {
    const page = demoPage(demoFeedId);
    r.get('/', (_req, res) => {
      res.type('html').set('Content-Security-Policy', "default-src 'self'; script-src 'self' 'unsafe-inline'; img-src * data:; style-src 'self' 'unsafe-inline'").send(page);
    });
  }
  return r;
}

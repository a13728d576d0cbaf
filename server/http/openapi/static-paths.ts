/**
 * The SDK bundles and the demo page (server/http/static-routes.ts).
 */
import { answer, publicOperation } from './builders';
import { cacheControl } from './components';
import { errors } from './errors';
import { headerRef } from './refs';
import type { Paths } from './types';

export const SDK_FILES = ['liveline.js', 'liveline.mjs', 'liveline-core.js'] as const;

export const STATIC_PATHS: Paths = {
  '/sdk/{file}': {
    get: publicOperation('Files', {
      operationId: 'getSdkFile',
      summary: 'The client SDK',
      description: '`liveline.js`: the SDK with the drop-in widget, one `<script>` tag (global `Liveline`, mounts every `data-liveline-feed` element). `liveline.mjs`: the same as an ES module. `liveline-core.js`: the SDK alone. Any other name: `404 route_not_found`.',
      parameters: [{ name: 'file', in: 'path', required: true, description: 'Which bundle.', schema: { enum: SDK_FILES }, example: 'liveline.js' }],
      responses: {
        200: answer('The bundle.', { 'text/javascript': { schema: { type: 'string' } } }, {
          'Cache-Control': cacheControl('public, max-age=300', 'cached for five minutes.'),
          'Access-Control-Allow-Origin': headerRef('AllowAnyOrigin'),
        }),
        ...errors('route_not_found', 'unavailable'),
      },
    }),
  },
  '/': {
    get: publicOperation('Files', {
      operationId: 'getDemoPage',
      summary: 'The demo page',
      description: 'The demo feed rendered by the drop-in widget, with the `curl` line to post to it. Served by the embedded default (in-memory mode) only; elsewhere `404 route_not_found`.',
      responses: {
        200: answer('The page.', { 'text/html': { schema: { type: 'string' } } }, {
          'Content-Security-Policy': { description: 'The page runs only its own scripts.', schema: { type: 'string' } },
        }),
        ...errors('route_not_found'),
      },
    }),
  },
};

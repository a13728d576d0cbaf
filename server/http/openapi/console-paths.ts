/**
 * The editor console's files (server/http/console-routes.ts): the page at `/editor` and its
 * script and stylesheets, each served with the console's security headers.
 */
import { answer, publicOperation } from './builders';
import { cacheControl } from './components';
import { errors } from './errors';
import { parameterRef } from './refs';
import type { Header, Paths, Response } from './types';

export const CONSOLE_ASSETS = ['console.js', 'console.css', 'widget.css', 'icon.svg'] as const;

const SECURITY_HEADERS: Readonly<Record<string, Header>> = {
  'Cache-Control': cacheControl('no-cache', 'revalidated on every load (`ETag`), so a new console is picked up at once.'),
  ETag: { description: 'The file\'s version: send it back as `If-None-Match` for a `304`.', schema: { type: 'string' }, example: '"q2Vx0rWw9wYy3m1dJ4oN8Q"' },
  'Content-Security-Policy': {
    description: 'Only the console\'s own scripts and stylesheets (no inline script or style), images from the console\'s origin and any `https:` server (entries\' images), connections to its own origin only (HTTP and the WebSocket), no plugins, no framing (`frame-ancestors \'none\'`).',
    schema: { type: 'string' },
    example: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https:; connect-src 'self' ws://live.example.com wss://live.example.com; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  },
  'X-Frame-Options': { description: 'No page may frame the console (for browsers without `frame-ancestors`).', schema: { const: 'DENY' } },
  'Referrer-Policy': { description: 'No address of the console leaks to the servers of entries\' images or links.', schema: { const: 'no-referrer' } },
  'X-Content-Type-Options': { description: 'Browsers take the declared type, never a sniffed one.', schema: { const: 'nosniff' } },
};

const notModified: Response = answer('The file is unchanged since the `ETag` named in `If-None-Match`.', undefined, {
  ETag: SECURITY_HEADERS.ETag as Header,
});

export const CONSOLE_PATHS: Paths = {
  '/editor': {
    get: publicOperation('Files', {
      operationId: 'getEditorConsole',
      summary: 'The editor console',
      description: 'The page where editors sign in with their token (kept for the browser tab only), list and create feeds, write, correct, pin, mark, schedule and delete entries, edit the "What to know" summary and the coverage state, and resolve edit conflicts. It works on the public HTTP API alone, from the same origin, and follows the open feed live. The page itself needs no token. `/editor/` (with a slash) is `404`.',
      parameters: [parameterRef('ifNoneMatch')],
      responses: {
        200: answer('The page.', { 'text/html': { schema: { type: 'string' } } }, SECURITY_HEADERS),
        304: notModified,
        ...errors('unavailable'),
      },
    }),
  },
  '/editor/{file}': {
    get: publicOperation('Files', {
      operationId: 'getEditorConsoleFile',
      summary: 'The editor console\'s script and stylesheets',
      description: '`console.js`: the console. `console.css`: its styles. `widget.css`: the drop-in widget\'s styles, for the console\'s preview (the console\'s policy allows no inline `<style>`). `icon.svg`: its icon. Any other name: `404 route_not_found` (there is no directory listing).',
      parameters: [
        { name: 'file', in: 'path', required: true, description: 'Which file.', schema: { enum: CONSOLE_ASSETS }, example: 'console.js' },
        parameterRef('ifNoneMatch'),
      ],
      responses: {
        200: answer('The file.', {
          'text/javascript': { schema: { type: 'string' } },
          'text/css': { schema: { type: 'string' } },
          'image/svg+xml': { schema: { type: 'string' } },
        }, SECURITY_HEADERS),
        304: notModified,
        ...errors('route_not_found', 'unavailable'),
      },
    }),
  },
};

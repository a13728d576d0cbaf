/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 description of the public HTTP API, serialised
 * once, cached by clients for five minutes (with an ETag for revalidation) and readable
 * from allowed origins like the reader routes.
 */
import { createHash } from 'node:crypto';
import type { Router } from 'express';
import { readerCors } from '../reader-routes';
import { exactRouter } from '../router';
import { OPENAPI_PATH, openApiDocument } from './document';

export { OPENAPI_PATH, openApiDocument } from './document';
export { documentedRoutes, listRoutes } from './route-list';
export type { OpenApiDocument } from './types';

export function openApiRoutes(allowedOrigins: readonly string[] | null): Router {
  const r = exactRouter();
  const body = Buffer.from(JSON.stringify(openApiDocument));
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  r.get(OPENAPI_PATH, readerCors(allowedOrigins), (req, res) => {
    res.set({ ETag: etag, 'Cache-Control': 'public, max-age=300' });
    if (matches(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.type('json').send(body);
  });
  return r;
}

/** If-None-Match may list several tags, weak or not, or `*` (a client's `Cache-Control: no-cache` doesn't stop a 304). */
function matches(header: string | undefined, etag: string): boolean {
  return header !== undefined && header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/**
 * The OpenAPI 3.1 description of the public HTTP API, assembled from one module per route
 * group. The OpenAPI test checks it both ways against the routes the composed app really
 * serves, and validates every example against its schema.
 */
import { answer, publicOperation, READER_HEADERS, TAGS } from './builders';
import { HEADERS, PARAMETERS, SECURITY_SCHEMES, cacheControl } from './components';
import { CONSOLE_PATHS } from './console-paths';
import { EDITOR_ENTRY_PATHS } from './editor-entry-paths';
import { EDITOR_FEED_PATHS } from './editor-feed-paths';
import { ERROR_EXAMPLES, errors } from './errors';
import { HEALTH_PATHS } from './health-paths';
import { PAGE_PATHS } from './page-paths';
import { READER_PATHS } from './reader-paths';
import { REALTIME_PATHS } from './realtime-paths';
import { headerRef } from './refs';
import { SCHEDULED_PATHS } from './scheduled-paths';
import { SCHEMAS } from './schemas';
import { STATIC_PATHS } from './static-paths';
import type { HttpMethod, OpenApiDocument, PathItem, Paths } from './types';

export const OPENAPI_PATH = '/v1/openapi.json';

const SELF_PATHS: Paths = {
  [OPENAPI_PATH]: {
    get: publicOperation('Files', {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      description: 'The OpenAPI 3.1 description of this API. Readable from allowed origins (CORS).',
      parameters: [{ $ref: '#/components/parameters/ifNoneMatch' }],
      responses: {
        200: answer('The document.', { 'application/json': { schema: { type: 'object', description: 'An OpenAPI 3.1 document.' } } }, {
          ...READER_HEADERS,
          ETag: { description: 'Changes only when the document does (a deploy).', schema: { type: 'string' } },
          'Cache-Control': cacheControl('public, max-age=300', 'cached for five minutes.'),
        }),
        304: answer('Not modified since the `ETag` sent in `If-None-Match`.', undefined, { ...READER_HEADERS, ETag: headerRef('ETag') }),
        ...errors(),
      },
    }),
  },
};

const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/** Merges the route groups' paths; two groups describing the same operation is a bug. */
export function mergePaths(...groups: readonly Paths[]): Paths {
  const merged: Record<string, PathItem> = {};
  for (const group of groups) {
    for (const [path, item] of Object.entries(group)) {
      const existing = merged[path] ?? {};
      for (const method of METHODS) {
        if (existing[method] !== undefined && item[method] !== undefined) throw new TypeError(`${method.toUpperCase()} ${path} is described twice`);
      }
      merged[path] = { ...existing, ...item };
    }
  }
  return merged;
}

export const openApiDocument: OpenApiDocument = {
  openapi: '3.1.0',
  jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
  info: {
    title: 'Liveline',
    version: '1',
    summary: 'A live-blog push server: editors post, every reader sees it.',
    description: [
      'JSON bodies (`Content-Type: application/json`, at most 256 KiB). Times are ISO 8601 in UTC. Errors are always `{"error":{"code","message"}}`, sometimes with more fields (`Error`); each 4xx/5xx answer below names its codes.',
      'Editors send `Authorization: Bearer <token>`. Reader routes need no token and answer cross-origin requests from allowed origins. Routes match exactly as written: case-sensitively, without a trailing slash.',
      'Every write answers with the new version\'s `ETag`; send it back as `If-Match` to refuse to overwrite someone else\'s change (`412 revision_conflict`, carrying the current version). `Idempotency-Key` makes retrying a new entry safe. Every answer carries `X-Request-Id`.',
      'Live delivery: the WebSocket at `/v1/ws` (frames: `ClientFrame`, `ServerFrame`), or Server-Sent Events at `/v1/feeds/{feedId}/stream`. Prometheus metrics are served on a separate listener (`LIVELINE_METRICS_PORT`), never on this port.',
    ].join('\n\n'),
    license: { name: 'MIT', identifier: 'MIT' },
  },
  tags: TAGS,
  paths: mergePaths(HEALTH_PATHS, STATIC_PATHS, READER_PATHS, REALTIME_PATHS, EDITOR_FEED_PATHS, EDITOR_ENTRY_PATHS, SCHEDULED_PATHS, PAGE_PATHS, CONSOLE_PATHS, SELF_PATHS),
  components: {
    schemas: SCHEMAS,
    parameters: PARAMETERS,
    headers: HEADERS,
    examples: ERROR_EXAMPLES,
    securitySchemes: SECURITY_SCHEMES,
  },
};

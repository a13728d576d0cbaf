/**
 * The public live-blog page and its CMS embed (server/pages/page-routes.ts): the feed as
 * server-rendered HTML, which the widget script takes over in place. No token; charged to
 * the address's reader budget like a snapshot; cacheable by shared caches.
 */
import { answer, publicOperation } from './builders';
import { EXAMPLE_EPOCH } from './examples';
import { errors } from './errors';
import { headerRef, parameterRef } from './refs';
import type { Header, Operation, Paths, Response } from './types';

const html = (description: string): Response['content'] => ({ 'text/html': { schema: { type: 'string', description } } });

const CACHING: Readonly<Record<string, Header>> = {
  ETag: {
    description: 'The feed\'s version and the representation (`"EPOCH-SEQ-html"`, `"EPOCH-SEQ-embed"`): any change to the feed changes it. Send it as `If-None-Match` to get `304` while nothing has changed.',
    schema: { type: 'string' },
    example: `"${EXAMPLE_EPOCH}-7-html"`,
  },
  'Cache-Control': {
    description: 'Shared caches may keep it for a few seconds: `public, max-age=LIVELINE_CACHE_MAX_AGE_S, stale-while-revalidate=LIVELINE_CACHE_STALE_WHILE_REVALIDATE_S` (`no-cache` when the max age is 0).',
    schema: { type: 'string' },
    example: 'public, max-age=5, stale-while-revalidate=30',
  },
};

const SECURITY: Readonly<Record<string, Header>> = {
  'Content-Security-Policy': {
    description: 'No inline script: only the widget\'s bundle from the Liveline server (`LIVELINE_PUBLIC_URL`, else this origin), styles by hash, connections to the Liveline server, images over http(s).',
    schema: { type: 'string' },
  },
  'X-Content-Type-Options': { description: 'The answer is HTML and nothing else.', schema: { const: 'nosniff' } },
};

function pageOperation(operationId: string, summary: string, description: string, body: string, missing: string): Operation {
  return publicOperation('Readers', {
    operationId,
    summary,
    description: `${description} Costs one unit of the address's reader budget (\`LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND\`).`,
    parameters: [parameterRef('feedId'), parameterRef('ifNoneMatch')],
    responses: {
      200: answer('The feed as it stands.', html(body), { ...CACHING, ...SECURITY }),
      304: answer('Not modified since the `ETag` sent in `If-None-Match`.', undefined, { ETag: headerRef('ETag'), 'Cache-Control': CACHING['Cache-Control'] as Header }),
      404: answer(`No such feed: ${missing} (\`Cache-Control: no-store\`).`, html(missing), SECURITY),
      ...errors('bad_request', 'rate_limited', 'unavailable'),
    },
  });
}

export const PAGE_PATHS: Paths = {
  '/feeds/{feedId}': {
    get: pageOperation(
      'getFeedPage',
      'The public live-blog page of a feed',
      'A complete HTML page of the feed as it stands, readable without JavaScript: title, description, coverage state, "What to know", key events, pinned entries and the newest 20 others (times in UTC), each with its permalink `#entry-ID`. `<link rel="canonical">`, Open Graph and Twitter card tags, and a schema.org `LiveBlogPosting` (JSON-LD) with one `liveBlogUpdate` per entry shown; URLs are built on `LIVELINE_PUBLIC_URL` (else the request\'s scheme and `Host`; a `Host` that is not a host name: `400 bad_request`). The widget script (`/sdk/liveline.js`, render-blocking and deferred) takes the markup over in place before the first paint, in the reader\'s time zone, and keeps it live from the snapshot\'s cursor embedded in the page.',
      'an HTML document',
      'a small HTML page saying so',
    ),
  },
  '/feeds/{feedId}/embed': {
    get: pageOperation(
      'getFeedEmbed',
      'The live blog as an HTML fragment for a CMS page',
      'The same markup as the public page (the widget\'s stylesheet, the feed rendered with its embedded snapshot, and the widget\'s `<script defer>`), as a fragment to paste or include server-side in another page; every URL in it is absolute (`LIVELINE_PUBLIC_URL`, else the request\'s scheme and `Host`). The widget takes it over in place and keeps it live.',
      'an HTML fragment',
      'an HTML fragment saying so',
    ),
  },
};

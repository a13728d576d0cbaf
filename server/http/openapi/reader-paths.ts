/**
 * The reader API (server/http/reader-routes.ts): snapshot, older entries, events since a
 * cursor. No token; CORS; charged to the address's reader budget.
 */
import { answer, json, publicOperation, READER_HEADERS } from './builders';
import { cacheControl, cursorParam, limitParam, sinceParam } from './components';
import { errors } from './errors';
import { headerRef, parameterRef } from './refs';
import type { Paths } from './types';

const BUDGET = 'Costs one unit of the address\'s reader budget per 20 entries or events it may return (`LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND`).';

export const READER_PATHS: Paths = {
  '/v1/feeds/{feedId}': {
    get: publicOperation('Readers', {
      operationId: 'getFeedSnapshot',
      summary: 'A feed\'s snapshot: the feed, its newest entries, and the cursor to subscribe from',
      description: `\`entries\` are the pinned ones (newest first), then the newest \`limit\` others. Subscribe from \`seq\`/\`epoch\` and nothing between the two is lost. ${BUDGET}`,
      parameters: [parameterRef('feedId'), limitParam(20, 'unpinned entries'), parameterRef('ifNoneMatch')],
      responses: {
        200: answer('The snapshot.', json('FeedSnapshot'), {
          ...READER_HEADERS,
          ETag: { description: 'Names this representation: `"EPOCH-SEQ-LIMIT"`. Send it as `If-None-Match` to get `304` while nothing has changed.', schema: { type: 'string' }, example: '"xOomz869XP-7-20"' },
          'Cache-Control': cacheControl('no-cache', 'revalidate every time (cheap with `If-None-Match`).'),
        }),
        304: answer('Not modified since the `ETag` sent in `If-None-Match`.', undefined, { ...READER_HEADERS, ETag: headerRef('ETag') }),
        ...errors('bad_request', 'validation_failed', 'feed_not_found', 'rate_limited', 'unavailable'),
      },
    }),
  },
  '/v1/feeds/{feedId}/entries': {
    get: publicOperation('Readers', {
      operationId: 'listOlderEntries',
      summary: 'Older unpinned entries, newest first',
      description: `Page back from a snapshot: pass its \`nextBefore\` as \`before\`, then each page's. ${BUDGET}`,
      parameters: [
        parameterRef('feedId'),
        cursorParam('before', 'nextBefore', 'Where to continue; absent: from the newest unpinned entry.'),
        limitParam(20, 'entries'),
      ],
      responses: {
        200: answer('A page of entries.', json('EntryPage'), READER_HEADERS),
        ...errors('bad_request', 'validation_failed', 'invalid_cursor', 'feed_not_found', 'rate_limited', 'unavailable'),
      },
    }),
  },
  '/v1/feeds/{feedId}/events': {
    get: publicOperation('Readers', {
      operationId: 'listEventsSince',
      summary: 'The events after a cursor',
      description: `Every event after \`since\`, oldest first, in the shape of WebSocket \`event\` frames. A cursor outside the retained history, from another epoch, ahead of the feed, or more than \`LIVELINE_MAX_RESUME_EVENTS\` behind: \`410 reset\` (reload the snapshot). Costs \`LIVELINE_MAX_RESUME_EVENTS\` / 20 units of the reader budget.`,
      parameters: [
        parameterRef('feedId'),
        sinceParam(true, 'The seq of the last event you have (0: from the start).'),
        parameterRef('epoch'),
      ],
      responses: {
        200: answer('The events after the cursor.', json('EventsPage'), READER_HEADERS),
        ...errors('bad_request', 'invalid_cursor', 'feed_not_found', 'reset', 'rate_limited', 'unavailable'),
      },
    }),
  },
};

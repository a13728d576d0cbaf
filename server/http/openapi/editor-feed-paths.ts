/**
 * Editors' feed operations (server/http/editor-routes.ts): list, create, change, audit.
 */
import { answer, editorOperation, json, jsonBody } from './builders';
import { cacheControl, cursorParam, limitParam } from './components';
import { conflict, EDITOR_AUTH_ERRORS, EDITOR_WRITE_ERRORS, errors, JSON_BODY_ERRORS } from './errors';
import { headerRef, parameterRef } from './refs';
import type { Paths } from './types';

export const EDITOR_FEED_PATHS: Paths = {
  '/v1/feeds': {
    get: editorOperation('Editors: feeds', {
      operationId: 'listFeeds',
      summary: 'Every feed, most recently changed first',
      description: 'The editors\' index. Reading is not a write: not charged to the editor\'s writes per minute.',
      parameters: [cursorParam('cursor', 'nextCursor', 'Where to continue; absent: from the most recently changed feed.'), limitParam(20, 'feeds')],
      responses: {
        200: answer('A page of feeds.', json('FeedIndexPage'), { 'Cache-Control': cacheControl('no-store', 'editors\' data.') }),
        ...errors(...EDITOR_AUTH_ERRORS, 'validation_failed', 'invalid_cursor', 'unavailable'),
      },
    }),
    post: editorOperation('Editors: feeds', {
      operationId: 'createFeed',
      summary: 'Create a feed',
      requestBody: jsonBody('NewFeed', 'The new feed.'),
      responses: {
        201: answer('Created.', json('FeedCreated'), { ETag: headerRef('ETag'), Location: headerRef('Location') }),
        ...errors(...EDITOR_WRITE_ERRORS, ...JSON_BODY_ERRORS, 'feed_exists'),
      },
    }),
  },
  '/v1/feeds/{feedId}': {
    patch: editorOperation('Editors: feeds', {
      operationId: 'updateFeed',
      summary: 'Change a feed\'s title, description, summary, status or announced start',
      description: 'Readers get a `feed.updated` event. Going `live` the first time records `coverageStartedAt`; going `ended` records `coverageEndedAt`.',
      parameters: [parameterRef('feedId'), parameterRef('ifMatch')],
      requestBody: jsonBody('FeedPatch', 'The fields to change.'),
      responses: {
        200: answer('Changed.', json('FeedChanged'), { ETag: headerRef('ETag') }),
        ...errors(...EDITOR_WRITE_ERRORS, ...JSON_BODY_ERRORS, 'bad_request', 'feed_not_found'),
        ...conflict('feed'),
      },
    }),
  },
  '/v1/feeds/{feedId}/audit': {
    get: editorOperation('Editors: feeds', {
      operationId: 'getFeedAudit',
      summary: 'Who changed what in a feed, newest first',
      description: 'Every change to the feed and its entries (scheduled ones included): when, by which editor, through which request (`X-Request-Id`), and the revisions before and after. Not charged to the editor\'s writes per minute.',
      parameters: [
        parameterRef('feedId'),
        cursorParam('before', 'nextBefore', 'Where to continue; absent: from the newest change.'),
        limitParam(50, 'records'),
      ],
      responses: {
        200: answer('A page of the audit log.', json('AuditPage'), { 'Cache-Control': cacheControl('no-store', 'editors\' data.') }),
        ...errors(...EDITOR_AUTH_ERRORS, 'bad_request', 'validation_failed', 'invalid_cursor', 'feed_not_found', 'unavailable'),
      },
    }),
  },
};

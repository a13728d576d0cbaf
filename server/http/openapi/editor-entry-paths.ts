/**
 * Editors' entry operations (server/http/editor-routes.ts): post (now or scheduled),
 * correct, pin, delete, and read an entry's versions.
 */
import { answer, editorOperation, json, jsonBody } from './builders';
import { cacheControl } from './components';
import { conflict, EDITOR_AUTH_ERRORS, EDITOR_WRITE_ERRORS, errors, JSON_BODY_ERRORS } from './errors';
import { headerRef, parameterRef } from './refs';
import type { Paths } from './types';

const replayed = { 'Idempotent-Replayed': headerRef('IdempotentReplayed') };

export const EDITOR_ENTRY_PATHS: Paths = {
  '/v1/feeds/{feedId}/entries': {
    post: editorOperation('Editors: entries', {
      operationId: 'createEntry',
      summary: 'Post an entry, now or at a set time',
      description: 'Without `publishAt` (or with one now or in the past): published at once, and every reader gets `entry.created` (201). With `publishAt` in the future, at most a year ahead: kept from readers and published then (202), see the scheduled-entry operations. `pinned: true` when the feed already holds `LIVELINE_MAX_PINNED_PER_FEED` pinned entries: `409 too_many_pinned`.',
      parameters: [parameterRef('feedId'), parameterRef('idempotencyKey')],
      requestBody: jsonBody('NewEntry', 'The entry.'),
      responses: {
        201: answer('Published.', json('EntryWritten'), {
          ETag: headerRef('ETag'),
          Location: { description: 'The entry\'s permalink: `/v1/feeds/{feedId}#entry-{id}`.', schema: { type: 'string' }, example: '/v1/feeds/election-night#entry-L0eyvYMt-JJ4' },
          ...replayed,
        }),
        202: answer('Scheduled: no reader sees it until `publishAt`.', json('EntryScheduled'), {
          ETag: headerRef('ETag'),
          Location: { description: 'The scheduled entry: `/v1/feeds/{feedId}/scheduled/{id}`.', schema: { type: 'string' }, example: '/v1/feeds/election-night/scheduled/Wq3xB8kPz_1d' },
          ...replayed,
        }),
        ...errors(...EDITOR_WRITE_ERRORS, ...JSON_BODY_ERRORS, 'bad_request', 'feed_not_found', 'too_many_pinned', 'idempotency_key_reused'),
      },
    }),
  },
  '/v1/feeds/{feedId}/entries/{entryId}': {
    patch: editorOperation('Editors: entries', {
      operationId: 'updateEntry',
      summary: 'Correct, pin or unpin an entry, or mark it a key event',
      description: 'Readers get `entry.updated`. A change of content (headline, body, authors, tags) makes a new revision and version; a pin or key-event mark does not. The entry must still show something afterwards (`400 validation_failed`); pinning past the feed\'s cap: `409 too_many_pinned`.',
      parameters: [parameterRef('feedId'), parameterRef('entryId'), parameterRef('ifMatch')],
      requestBody: jsonBody('EntryPatch', 'The fields to change.'),
      responses: {
        200: answer('Changed.', json('EntryWritten'), { ETag: headerRef('ETag') }),
        ...errors(...EDITOR_WRITE_ERRORS, ...JSON_BODY_ERRORS, 'bad_request', 'feed_not_found', 'entry_not_found', 'too_many_pinned'),
        ...conflict('entry'),
      },
    }),
    delete: editorOperation('Editors: entries', {
      operationId: 'deleteEntry',
      summary: 'Remove an entry for every reader',
      description: 'Readers get `entry.deleted`; the entry\'s versions go with it.',
      parameters: [parameterRef('feedId'), parameterRef('entryId'), parameterRef('ifMatch')],
      responses: {
        200: answer('Deleted.', json('EntryDeleted')),
        ...errors(...EDITOR_WRITE_ERRORS, 'bad_request', 'feed_not_found', 'entry_not_found'),
        ...conflict('entry'),
      },
    }),
  },
  '/v1/feeds/{feedId}/entries/{entryId}/revisions': {
    get: editorOperation('Editors: entries', {
      operationId: 'listEntryRevisions',
      summary: 'Every version of an entry\'s content, oldest first',
      description: 'Who saved each version, when, and its correction note. Not charged to the editor\'s writes per minute.',
      parameters: [parameterRef('feedId'), parameterRef('entryId')],
      responses: {
        200: answer('The versions.', json('RevisionList'), { 'Cache-Control': cacheControl('no-store', 'editors\' drafts and history.') }),
        ...errors(...EDITOR_AUTH_ERRORS, 'bad_request', 'feed_not_found', 'entry_not_found', 'unavailable'),
      },
    }),
  },
};

/**
 * Editors' scheduled entries: written ahead, kept from readers until `publishAt`, then
 * published once as `entry.created` with the same id. Created with
 * `POST /v1/feeds/{feedId}/entries` and a future `publishAt`.
 */
import { answer, editorOperation, json, jsonBody } from './builders';
import { cacheControl } from './components';
import { conflict, EDITOR_AUTH_ERRORS, EDITOR_WRITE_ERRORS, errors, JSON_BODY_ERRORS } from './errors';
import { headerRef, parameterRef } from './refs';
import type { Paths } from './types';

export const SCHEDULED_PATHS: Paths = {
  '/v1/feeds/{feedId}/scheduled': {
    get: editorOperation('Editors: scheduled entries', {
      operationId: 'listScheduledEntries',
      summary: 'A feed\'s scheduled entries, soonest first',
      parameters: [parameterRef('feedId')],
      responses: {
        200: answer('The scheduled entries.', json('ScheduledList'), { 'Cache-Control': cacheControl('no-store', 'editors\' drafts.') }),
        ...errors(...EDITOR_AUTH_ERRORS, 'bad_request', 'feed_not_found', 'unavailable'),
      },
    }),
  },
  '/v1/feeds/{feedId}/scheduled/{entryId}': {
    get: editorOperation('Editors: scheduled entries', {
      operationId: 'getScheduledEntry',
      summary: 'One scheduled entry (where the 202 of a scheduling POST points)',
      description: 'Once it has been published (or cancelled) it is no longer scheduled: `404 scheduled_entry_not_found`.',
      parameters: [parameterRef('feedId'), parameterRef('entryId')],
      responses: {
        200: answer('The scheduled entry.', json('EntryScheduled'), { ETag: headerRef('ETag'), 'Cache-Control': cacheControl('no-store', 'editors\' drafts.') }),
        ...errors(...EDITOR_AUTH_ERRORS, 'bad_request', 'feed_not_found', 'scheduled_entry_not_found', 'unavailable'),
      },
    }),
    patch: editorOperation('Editors: scheduled entries', {
      operationId: 'updateScheduledEntry',
      summary: 'Change a scheduled entry\'s content or time',
      description: 'Once it has been published (or cancelled) it is no longer scheduled: `404 scheduled_entry_not_found` (edit the published entry instead).',
      parameters: [parameterRef('feedId'), parameterRef('entryId'), parameterRef('ifMatch')],
      requestBody: jsonBody('ScheduledPatch', 'The fields to change.'),
      responses: {
        200: answer('Changed.', json('EntryScheduled'), { ETag: headerRef('ETag') }),
        ...errors(...EDITOR_WRITE_ERRORS, ...JSON_BODY_ERRORS, 'bad_request', 'feed_not_found', 'scheduled_entry_not_found'),
        ...conflict('scheduled'),
      },
    }),
    delete: editorOperation('Editors: scheduled entries', {
      operationId: 'cancelScheduledEntry',
      summary: 'Cancel a scheduled entry',
      description: 'Nothing ever reaches readers. Already published or cancelled: `404 scheduled_entry_not_found`.',
      parameters: [parameterRef('feedId'), parameterRef('entryId'), parameterRef('ifMatch')],
      responses: {
        200: answer('Cancelled.', json('ScheduledCancelled')),
        ...errors(...EDITOR_WRITE_ERRORS, 'bad_request', 'feed_not_found', 'scheduled_entry_not_found'),
        ...conflict('scheduled'),
      },
    }),
  },
};

/**
 * Names of the document's shared components, and `$ref`s to them. The names are listed
 * once here so a reference to a component that doesn't exist fails to compile (and the
 * component tables must define every name).
 */
import type { Reference, Schema } from './types';

export type SchemaName =
  // domain
  | 'FeedId' | 'FeedStatus' | 'Feed' | 'Correction' | 'Entry' | 'EntryVersion' | 'FeedSnapshot' | 'EntryPage'
  | 'ScheduledEntry' | 'AuditAction' | 'AuditRecord' | 'FeedSummary'
  // request bodies
  | 'NewFeed' | 'FeedPatch' | 'NewEntry' | 'EntryPatch' | 'ScheduledPatch'
  // response bodies
  | 'FeedCreated' | 'FeedChanged' | 'EntryWritten' | 'EntryScheduled' | 'EntryDeleted' | 'ScheduledCancelled'
  | 'RevisionList' | 'ScheduledList' | 'FeedIndexPage' | 'AuditPage' | 'EventsPage' | 'Health' | 'Readiness'
  // reader frames (WebSocket, SSE and the events page)
  | 'ClientFrame' | 'SubscribeFrame' | 'UnsubscribeFrame'
  | 'ServerFrame' | 'SubscribedFrame' | 'EventFrame' | 'UnsubscribedFrame' | 'ResetFrame' | 'ErrorFrame'
  | 'ResetReason' | 'FrameErrorCode'
  // errors
  | 'ErrorCode' | 'Error';

export type ParameterName =
  | 'feedId' | 'entryId' | 'epoch' | 'ifMatch' | 'ifNoneMatch' | 'idempotencyKey' | 'lastEventId' | 'requestId';

export type HeaderName =
  | 'ETag' | 'Location' | 'RetryAfter' | 'RequestId' | 'IdempotentReplayed' | 'WwwAuthenticate'
  | 'AllowOrigin' | 'AllowAnyOrigin' | 'VaryOrigin';

export const schemaRef = (name: SchemaName): Schema => ({ $ref: `#/components/schemas/${name}` });
export const parameterRef = (name: ParameterName): Reference => ({ $ref: `#/components/parameters/${name}` });
export const headerRef = (name: HeaderName): Reference => ({ $ref: `#/components/headers/${name}` });

/** A date and time in UTC, as every time on the wire is (`2026-11-03T20:00:02.000Z`). */
export const dateTime = (description?: string): Schema => ({
  type: 'string',
  format: 'date-time',
  ...(description !== undefined ? { description } : {}),
});

/** Same, or null. */
export const nullableDateTime = (description: string): Schema => ({ type: ['string', 'null'], format: 'date-time', description });

/**
 * Reader frames (server/gateway/protocol.ts): JSON text frames on the WebSocket at
 * `/v1/ws`, the same frames as `data:` lines on the SSE stream, and `event` frames in
 * `GET …/events` answers.
 */
import { EXAMPLE_ENTRY, EXAMPLE_EPOCH, EXAMPLE_FEED } from './examples';
import { record } from './domain-schemas';
import { schemaRef, type SchemaName } from './refs';
import type { Schema } from './types';

const seq: Schema = { type: 'integer', minimum: 0 };
const epoch: Schema = { type: 'string', minLength: 1, maxLength: 64 };
const type = (name: string): Schema => ({ const: name });

const withData = (events: readonly string[], data: Schema): Schema => ({
  type: 'object',
  properties: { event: events.length === 1 ? { const: events[0] as string } : { enum: events }, data },
});

type FrameSchemaName = Extract<SchemaName,
  | 'ClientFrame' | 'SubscribeFrame' | 'UnsubscribeFrame'
  | 'ServerFrame' | 'SubscribedFrame' | 'EventFrame' | 'UnsubscribedFrame' | 'ResetFrame' | 'ErrorFrame'
  | 'ResetReason' | 'FrameErrorCode'>;

export const FRAME_SCHEMAS: Readonly<Record<FrameSchemaName, Schema>> = {
  ClientFrame: {
    description: 'A frame a reader sends on the WebSocket (at most 4 KiB).',
    oneOf: [schemaRef('SubscribeFrame'), schemaRef('UnsubscribeFrame')],
  },
  SubscribeFrame: {
    type: 'object',
    description: 'Start (or restart) delivery of a feed. Without `since`: from now on. With `since`: every event after it first, then live events, in seq order, without gaps or duplicates; or `reset` when the cursor can\'t be served.',
    required: ['type', 'feed'],
    additionalProperties: false,
    properties: { type: type('subscribe'), feed: schemaRef('FeedId'), since: { ...seq, type: ['integer', 'null'] }, epoch: { ...epoch, type: ['string', 'null'] } },
    examples: [{ type: 'subscribe', feed: 'election-night', since: 7, epoch: EXAMPLE_EPOCH }],
  },
  UnsubscribeFrame: record('Stop delivery of a feed.', { type: type('unsubscribe'), feed: schemaRef('FeedId') }, [{ type: 'unsubscribe', feed: 'election-night' }]),
  ServerFrame: {
    description: 'A frame the server sends (WebSocket text frame, or an SSE `data:` line).',
    oneOf: [
      schemaRef('SubscribedFrame'), schemaRef('EventFrame'), schemaRef('UnsubscribedFrame'), schemaRef('ResetFrame'), schemaRef('ErrorFrame'),
    ],
  },
  SubscribedFrame: record('Delivery has started; `seq` is the feed\'s latest, sent once any missed events are ready to follow.', {
    type: type('subscribed'), feed: schemaRef('FeedId'), seq, epoch,
  }, [{ type: 'subscribed', feed: 'election-night', seq: 7, epoch: EXAMPLE_EPOCH }]),
  EventFrame: {
    type: 'object',
    description: 'One change to a feed: `entry.created` / `entry.updated` carry the whole entry, `entry.deleted` its id, `feed.updated` the whole feed.',
    required: ['type', 'feed', 'seq', 'epoch', 'event', 'data'],
    additionalProperties: false,
    properties: {
      type: type('event'),
      feed: schemaRef('FeedId'),
      seq: { type: 'integer', minimum: 1 },
      epoch,
      event: { enum: ['entry.created', 'entry.updated', 'entry.deleted', 'feed.updated'] },
      data: { type: 'object' },
    },
    oneOf: [
      withData(['entry.created', 'entry.updated'], schemaRef('Entry')),
      withData(['entry.deleted'], record('The deleted entry.', { id: { type: 'string' } })),
      withData(['feed.updated'], schemaRef('Feed')),
    ],
    examples: [
      { type: 'event', feed: 'election-night', seq: 7, epoch: EXAMPLE_EPOCH, event: 'entry.created', data: EXAMPLE_ENTRY },
      { type: 'event', feed: 'election-night', seq: 8, epoch: EXAMPLE_EPOCH, event: 'feed.updated', data: EXAMPLE_FEED },
      { type: 'event', feed: 'election-night', seq: 9, epoch: EXAMPLE_EPOCH, event: 'entry.deleted', data: { id: EXAMPLE_ENTRY.id } },
    ],
  },
  UnsubscribedFrame: record('Delivery of a feed has stopped.', { type: type('unsubscribed'), feed: schemaRef('FeedId') }, [{ type: 'unsubscribed', feed: 'election-night' }]),
  ResetFrame: record('The cursor can\'t be served: reload the snapshot and subscribe from its seq. Ends an SSE stream.', {
    type: type('reset'), feed: schemaRef('FeedId'), reason: schemaRef('ResetReason'),
  }, [{ type: 'reset', feed: 'election-night', reason: 'history_expired' }]),
  ErrorFrame: {
    type: 'object',
    description: 'A refused frame; the WebSocket stays open (an SSE stream ends). `rate_limited` with `feed`: subscribe again after a backoff; without: frames are being dropped.',
    required: ['type', 'code', 'message'],
    additionalProperties: false,
    properties: { type: type('error'), code: schemaRef('FrameErrorCode'), message: { type: 'string' }, feed: schemaRef('FeedId') },
    examples: [{ type: 'error', code: 'feed_not_found', message: 'no feed "nope"', feed: 'nope' }],
  },
  ResetReason: {
    enum: ['history_expired', 'epoch_changed', 'cursor_ahead', 'too_far_behind'],
    description: 'Older than the retained history; from another history of the feed; ahead of the feed; more than `LIVELINE_MAX_RESUME_EVENTS` behind.',
  },
  FrameErrorCode: {
    enum: ['bad_frame', 'unknown_type', 'invalid_field', 'feed_not_found', 'too_many_subscriptions', 'rate_limited', 'unavailable'],
  },
};

/**
 * What editors send (server/domain/validate.ts: unknown fields are refused with
 * `validation_failed` naming them) and the bodies the API answers with.
 */
import { LIMITS } from '../../domain/validate';
import {
  EXAMPLE_ENTRY, EXAMPLE_ENTRY_VERSION, EXAMPLE_EPOCH, EXAMPLE_FEED, EXAMPLE_FIRST_VERSION, EXAMPLE_SCHEDULED,
} from './examples';
import { record } from './domain-schemas';
import { schemaRef, type SchemaName } from './refs';
import type { Schema } from './types';

const plain = (max: number, description: string, minLength = 0): Schema => ({ type: 'string', maxLength: max, minLength, description });
const nullablePlain = (max: number, description: string): Schema => ({ type: ['string', 'null'], maxLength: max, description });
const html = (max: number, description: string): Schema => ({ type: 'string', maxLength: max, description: `HTML, sanitised by the server (allowlist). ${description}` });
const list = (description: string): Schema => ({
  type: 'array',
  maxItems: LIMITS.listItems,
  items: { type: 'string', minLength: 1, maxLength: LIMITS.listItem },
  description: `Plain text. ${description}`,
});
const dateTimeWithOffset = (description: string, nullable: boolean): Schema => ({
  type: nullable ? ['string', 'null'] : 'string',
  format: 'date-time',
  description: `${description} Any offset (\`2026-11-03T20:00:00Z\`, \`…+01:00\`); answered in UTC.`,
});

/** What an entry may say; every field optional (a patch, or a new entry's optional fields). */
const entryContent: Readonly<Record<string, Schema>> = {
  headline: nullablePlain(LIMITS.headline, 'Plain text; empty or null means none.'),
  body: html(LIMITS.body, 'May be empty when there is a headline.'),
  authors: list('Names.'),
  tags: list('Tags.'),
  pinned: { type: 'boolean', description: 'Pinned entries come first; a feed holds at most `LIVELINE_MAX_PINNED_PER_FEED`.' },
  keyEvent: { type: 'boolean', description: 'Listed in the "Key events" timeline.' },
};
const content = ['headline', 'body', 'authors', 'tags'] as const;
const oneOfRequired = (names: readonly string[]): Schema => ({ anyOf: names.map((n) => ({ required: [n] })) });
const publishAt = dateTimeWithOffset('When a new entry goes out: in the future (at most a year ahead) it is scheduled (202); now or in the past it is published at once (201).', false);

type BodySchemaName = Extract<SchemaName,
  | 'NewFeed' | 'FeedPatch' | 'NewEntry' | 'EntryPatch' | 'ScheduledPatch'
  | 'FeedCreated' | 'FeedChanged' | 'EntryWritten' | 'EntryScheduled' | 'EntryDeleted' | 'ScheduledCancelled'
  | 'RevisionList' | 'ScheduledList' | 'EventsPage' | 'Health' | 'Readiness'>;

export const BODY_SCHEMAS: Readonly<Record<BodySchemaName, Schema>> = {
  NewFeed: {
    type: 'object',
    description: 'A new feed. Only `title` is required.',
    required: ['title'],
    additionalProperties: false,
    properties: {
      id: { ...schemaRef('FeedId'), description: 'Generated when not given.' },
      title: plain(LIMITS.title, 'Plain text.', 1),
      description: plain(LIMITS.description, 'Plain text. Default: empty.'),
      status: { ...schemaRef('FeedStatus'), description: 'Default: `live`.' },
      summary: { type: ['string', 'null'], maxLength: LIMITS.summary, description: 'The "What to know" block: HTML, sanitised by the server; null or empty: none.' },
      startsAt: dateTimeWithOffset('When the coverage is announced to begin, or null.', true),
    },
    examples: [{ id: 'election-night', title: 'Live updates: election night', status: 'scheduled', startsAt: '2026-11-03T19:00:00Z' }],
  },
  FeedPatch: {
    type: 'object',
    description: 'Changes to a feed: any of its editable fields, at least one.',
    minProperties: 1,
    additionalProperties: false,
    properties: {
      title: plain(LIMITS.title, 'Plain text.', 1),
      description: plain(LIMITS.description, 'Plain text.'),
      status: schemaRef('FeedStatus'),
      summary: { type: ['string', 'null'], maxLength: LIMITS.summary, description: 'HTML, sanitised by the server; null removes it.' },
      startsAt: dateTimeWithOffset('When the coverage is announced to begin; null removes it.', true),
    },
    examples: [{ status: 'ended' }, { summary: '<ul><li>Turnout was 71%.</li></ul>', startsAt: null }],
  },
  NewEntry: {
    type: 'object',
    description: 'A new entry: it needs a headline or a body with visible content (text or an image).',
    additionalProperties: false,
    properties: { ...entryContent, publishAt },
    ...oneOfRequired(['headline', 'body']),
    examples: [
      { headline: 'Polls close', body: '<p>First results expected within the hour.</p>', authors: ['Ada Byron'], keyEvent: true },
      { headline: 'Exit poll', body: '<p>The first exit poll is published at 22:00.</p>', publishAt: '2026-11-03T22:00:00Z' },
    ],
  },
  EntryPatch: {
    type: 'object',
    description: 'A correction (content), a pin or unpin, a key-event mark; at least one field. After it the entry must still have a headline or a visible body. A `correction` note needs a change of content in the same patch.',
    minProperties: 1,
    additionalProperties: false,
    properties: {
      ...entryContent,
      correction: plain(LIMITS.correction, 'A correction note shown to readers under the entry.', 1),
    },
    dependentSchemas: { correction: oneOfRequired(content) },
    examples: [
      { body: '<p>Polls closed at 20:00.</p>', correction: 'An earlier version gave the wrong closing time.' },
      { pinned: true },
      { headline: null, body: '<p>Turnout: 71%.</p>' },
    ],
  },
  ScheduledPatch: {
    type: 'object',
    description: 'Changes to a scheduled entry: its content or its time, at least one field (no correction note: readers never saw it).',
    minProperties: 1,
    additionalProperties: false,
    properties: { ...entryContent, publishAt: dateTimeWithOffset('The new time (at most a year ahead).', false) },
    examples: [{ publishAt: '2026-11-03T22:30:00Z' }, { headline: 'Exit poll: first figures' }],
  },
  FeedCreated: record('The feed as created.', { feed: schemaRef('Feed') }, [{ feed: { ...EXAMPLE_FEED, revision: 1 } }]),
  FeedChanged: record('The feed after the change, and the seq of the `feed.updated` event it made.', {
    feed: schemaRef('Feed'),
    seq: { type: 'integer', minimum: 1 },
  }, [{ feed: EXAMPLE_FEED, seq: 8 }]),
  EntryWritten: record('The entry as written, and the seq of the event the write made.', {
    entry: schemaRef('Entry'),
    seq: { type: 'integer', minimum: 1 },
  }, [{ entry: EXAMPLE_ENTRY, seq: 7 }]),
  EntryScheduled: record('The scheduled entry.', { scheduled: schemaRef('ScheduledEntry') }, [{ scheduled: EXAMPLE_SCHEDULED }]),
  EntryDeleted: record('The deleted entry\'s id and the seq of the `entry.deleted` event.', {
    id: { type: 'string' },
    seq: { type: 'integer', minimum: 1 },
  }, [{ id: EXAMPLE_ENTRY.id, seq: 9 }]),
  ScheduledCancelled: record('The cancelled scheduled entry\'s id.', {
    id: { type: 'string' },
    cancelled: { const: true },
  }, [{ id: EXAMPLE_SCHEDULED.id, cancelled: true }]),
  RevisionList: record('Every version of the entry\'s content, oldest first (a pin makes no version).', {
    revisions: { type: 'array', items: schemaRef('EntryVersion'), minItems: 1 },
  }, [{ revisions: [EXAMPLE_FIRST_VERSION, EXAMPLE_ENTRY_VERSION] }]),
  ScheduledList: record('The feed\'s scheduled entries, soonest first.', {
    scheduled: { type: 'array', items: schemaRef('ScheduledEntry') },
  }, [{ scheduled: [EXAMPLE_SCHEDULED] }]),
  EventsPage: record('The events after the cursor, oldest first, in the shape of WebSocket `event` frames.', {
    feed: schemaRef('FeedId'),
    seq: { type: 'integer', minimum: 0, description: 'The feed\'s latest seq.' },
    epoch: { type: 'string' },
    events: { type: 'array', items: schemaRef('EventFrame') },
  }, [{
    feed: 'election-night',
    seq: 7,
    epoch: EXAMPLE_EPOCH,
    events: [{ type: 'event', feed: 'election-night', seq: 7, epoch: EXAMPLE_EPOCH, event: 'entry.updated', data: EXAMPLE_ENTRY }],
  }]),
  Health: record('The process is up.', { status: { const: 'ok' } }, [{ status: 'ok' }]),
  Readiness: record('Whether the node can deliver right now.', { status: { enum: ['ready', 'unavailable'] } }, [{ status: 'ready' }, { status: 'unavailable' }]),
};

/**
 * One consistent story for every example in the document: the "election-night" feed, one
 * corrected entry, one scheduled entry. Each is checked against the domain type here (so a
 * changed type fails to compile) and against its schema by the OpenAPI test.
 */
import type {
  AuditRecord, Correction, Entry, EntryVersion, Feed, FeedSummary, ScheduledEntry,
} from '../../domain/types';

export const EXAMPLE_EPOCH = 'xOomz869XP';

export const EXAMPLE_FEED = {
  id: 'election-night',
  title: 'Live updates: election night',
  description: 'Results and reaction as the polls close.',
  status: 'live',
  summary: '<ul><li>Polls close at 20:00.</li><li>First results expected within the hour.</li></ul>',
  createdAt: '2026-11-03T16:02:11.000Z',
  updatedAt: '2026-11-03T19:58:40.000Z',
  startsAt: '2026-11-03T19:00:00.000Z',
  coverageStartedAt: '2026-11-03T19:00:04.000Z',
  coverageEndedAt: null,
  revision: 3,
} as const satisfies Feed;

export const EXAMPLE_CORRECTION = {
  revision: 2,
  at: '2026-11-03T20:14:09.000Z',
  note: 'An earlier version gave the wrong closing time.',
} as const satisfies Correction;

export const EXAMPLE_ENTRY = {
  id: 'L0eyvYMt-JJ4',
  feedId: 'election-night',
  headline: 'Polls close',
  body: '<p>Polls closed at 20:00. First results expected within the hour.</p>',
  authors: ['Ada Byron'],
  tags: ['results'],
  pinned: false,
  keyEvent: true,
  publishedAt: '2026-11-03T20:00:02.000Z',
  updatedAt: '2026-11-03T20:14:09.000Z',
  revision: 2,
  corrections: [EXAMPLE_CORRECTION],
} as const satisfies Entry;

export const EXAMPLE_ENTRY_VERSION = {
  revision: 2,
  at: '2026-11-03T20:14:09.000Z',
  actor: 'desk',
  headline: 'Polls close',
  body: '<p>Polls closed at 20:00. First results expected within the hour.</p>',
  authors: ['Ada Byron'],
  tags: ['results'],
  correction: 'An earlier version gave the wrong closing time.',
} as const satisfies EntryVersion;

export const EXAMPLE_FIRST_VERSION = {
  ...EXAMPLE_ENTRY_VERSION,
  revision: 1,
  at: '2026-11-03T20:00:02.000Z',
  body: '<p>Polls closed at 21:00. First results expected within the hour.</p>',
  correction: null,
} as const satisfies EntryVersion;

export const EXAMPLE_SCHEDULED = {
  id: 'Wq3xB8kPz_1d',
  feedId: 'election-night',
  publishAt: '2026-11-03T22:00:00.000Z',
  headline: 'Exit poll',
  body: '<p>The first exit poll is published at 22:00.</p>',
  authors: ['Ada Byron'],
  tags: ['polls'],
  pinned: false,
  keyEvent: true,
  createdAt: '2026-11-03T18:30:00.000Z',
  updatedAt: '2026-11-03T19:10:00.000Z',
  revision: 2,
  actor: 'desk',
} as const satisfies ScheduledEntry;

export const EXAMPLE_AUDIT_RECORD = {
  at: '2026-11-03T20:14:09.000Z',
  actor: 'desk',
  requestId: 'zJ47dKzSnR51',
  action: 'entry.updated',
  entryId: 'L0eyvYMt-JJ4',
  seq: 7,
  revisionBefore: 1,
  revisionAfter: 2,
} as const satisfies AuditRecord;

export const EXAMPLE_PUBLISHED_RECORD = {
  at: '2026-11-03T22:00:00.000Z',
  actor: 'desk',
  requestId: null,
  action: 'scheduled.published',
  entryId: 'Wq3xB8kPz_1d',
  seq: 9,
  revisionBefore: null,
  revisionAfter: 1,
} as const satisfies AuditRecord;

export const EXAMPLE_FEED_SUMMARY = {
  id: 'election-night',
  title: 'Live updates: election night',
  status: 'live',
  entryCount: 42,
  lastChangeAt: '2026-11-03T20:14:09.000Z',
  revision: 3,
} as const satisfies FeedSummary;

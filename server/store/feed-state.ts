/**
 * The pure rules every store applies to feed and entry state, so the memory and Redis
 * implementations can't drift apart on what a change means.
 */
import { AppError } from '../errors';
import type { AuditAction, AuditRecord, Entry, EntryVersion, Feed, ScheduledEntry } from '../domain/types';
import { requireContent, type EntryPatch, type FeedPatch, type NewEntry, type NewFeed, type ScheduledPatch } from '../domain/validate';
import type { ResetReason } from '../gateway/protocol';
import type { FeedHead, WriteContext } from './feed-store';

export function newFeed(id: string, input: NewFeed, now: Date): Feed {
  const at = now.toISOString();
  return {
    id,
    title: input.title,
    description: input.description,
    status: input.status,
    summary: input.summary,
    startsAt: input.startsAt,
    createdAt: at,
    updatedAt: at,
    coverageStartedAt: input.status === 'live' ? at : null,
    coverageEndedAt: input.status === 'ended' ? at : null,
    revision: 1,
  };
}

/**
 * Refuses a change made from a revision other than the current one (`If-Match`):
 * `revision_conflict` (412) carrying the current version, so the editor can merge.
 * `expected` undefined: no precondition (the last write wins).
 */
export function checkRevision<T extends { readonly revision: number }>(kind: 'entry' | 'feed' | 'scheduled entry', current: T, expected: number | undefined): void {
  if (expected === undefined || expected === current.revision) return;
  const field = kind === 'scheduled entry' ? 'scheduled' : kind;
  throw new AppError('revision_conflict', `this ${kind} is at revision ${current.revision}, not ${expected}: someone else changed it; merge and retry with If-Match: "${current.revision}"`, { [field]: current });
}

export function applyFeedPatch(feed: Feed, patch: FeedPatch, now: Date, expectedRevision?: number): Feed {
  checkRevision('feed', feed, expectedRevision);
  const at = now.toISOString();
  const status = patch.status ?? feed.status;
  return {
    ...feed,
    ...patch,
    updatedAt: at,
    coverageStartedAt: feed.coverageStartedAt ?? (status === 'live' ? at : null),
    coverageEndedAt: status === 'ended' ? (feed.status === 'ended' ? feed.coverageEndedAt : at) : null,
    revision: feed.revision + 1,
  };
}

export function newEntry(feedId: string, id: string, input: NewEntry, now: Date): Entry {
  const at = now.toISOString();
  return { id, feedId, ...input, publishedAt: at, updatedAt: at, revision: 1, corrections: [] };
}

/**
 * The version `entry` is, to keep in its history — or null when `previous` is the same
 * revision (a pin or key-event mark changes no content and makes no version).
 */
export function versionOf(entry: Entry, actor: string, previous?: Entry): EntryVersion | null {
  if (previous !== undefined && previous.revision === entry.revision) return null;
  const correction = entry.corrections.find((c) => c.revision === entry.revision)?.note ?? null;
  return {
    revision: entry.revision, at: entry.updatedAt, actor,
    headline: entry.headline, body: entry.body, authors: entry.authors, tags: entry.tags, correction,
  };
}

/** An entry as a store may hold it: written before revisions existed, it has neither field. */
export type StoredEntry = Omit<Entry, 'revision' | 'corrections'> & Partial<Pick<Entry, 'revision' | 'corrections'>>;
/** A feed as a store may hold it: written before revisions and the coverage fields existed (`liveSince`, `endedAt`). */
export type StoredFeed = Omit<Feed, 'revision' | 'startsAt' | 'coverageStartedAt' | 'coverageEndedAt'>
  & Partial<Pick<Feed, 'revision' | 'startsAt' | 'coverageStartedAt' | 'coverageEndedAt'>>
  & { readonly liveSince?: string | null; readonly endedAt?: string | null };

/** A stored entry brought up to date: one written before revisions existed is at revision 1, uncorrected. */
export function upgradeStoredEntry(entry: StoredEntry): Entry {
  return { ...entry, revision: entry.revision ?? 1, corrections: entry.corrections ?? [] };
}

export function upgradeStoredFeed(stored: StoredFeed): Feed {
  const { liveSince, endedAt, ...feed } = stored;
  return {
    ...feed,
    revision: feed.revision ?? 1,
    startsAt: feed.startsAt ?? null,
    coverageStartedAt: feed.coverageStartedAt ?? liveSince ?? null,
    coverageEndedAt: feed.coverageEndedAt ?? endedAt ?? null,
  };
}

/**
 * The entry after `patch`. Throws `validation_failed` when the result would show nothing
 * (no headline and no visible body), naming the field the patch emptied: the same rule a
 * new entry meets, applied here so both stores refuse it identically, before any write.
 */
export function applyEntryPatch(entry: Entry, patch: EntryPatch, now: Date, expectedRevision?: number): Entry {
  checkRevision('entry', entry, expectedRevision);
  // Pinning and marking a key event are not changes of content: they don't move updatedAt or the revision.
  const changed = patch.headline !== undefined || patch.body !== undefined || patch.authors !== undefined || patch.tags !== undefined;
  const { correction, ...fields } = patch;
  const at = now.toISOString();
  const revision = changed ? entry.revision + 1 : entry.revision;
  const next: Entry = {
    ...entry,
    ...fields,
    updatedAt: changed ? at : entry.updatedAt,
    revision,
    corrections: correction === undefined ? entry.corrections : [...entry.corrections, { revision, at, note: correction }],
  };
  if (patch.headline !== undefined || patch.body !== undefined) requireContent(next, patch.body !== undefined ? 'body' : 'headline');
  return next;
}

/**
 * Pinned entries per feed when a store is built without a cap (tests, tools): the same
 * default as LIVELINE_MAX_PINNED_PER_FEED, so every store applies the documented rule.
 */
export const DEFAULT_MAX_PINNED_PER_FEED = 5;

/** The refusal when an entry would become pinned in a feed that already holds `max` pinned entries. */
export function tooManyPinned(max: number): AppError {
  const message = max === 0
    ? 'pinning is turned off on this server (at most 0 pinned entries per feed)'
    : `this feed already has ${max} pinned ${max === 1 ? 'entry' : 'entries'}; unpin one first`;
  return new AppError('too_many_pinned', message, { field: 'pinned', limit: max });
}

/** Validates a store's pinned cap option: a whole number from 0 up. */
export function pinnedCap(max: number | undefined): number {
  const cap = max ?? DEFAULT_MAX_PINNED_PER_FEED;
  if (!Number.isSafeInteger(cap) || cap < 0) throw new RangeError(`maxPinnedPerFeed must be a whole number from 0, got ${cap}`);
  return cap;
}

/**
 * Why a resume cursor can't be served, or null when it can. `oldestSeq` is the oldest
 * event still held (head.seq + 1 when the log is empty).
 */
export function classifyCursor(since: number, epoch: string | undefined, head: FeedHead, oldestSeq: number): ResetReason | null {
  if (epoch !== undefined && epoch !== head.epoch) return 'epoch_changed';
  if (since > head.seq) return 'cursor_ahead';
  if (since < oldestSeq - 1) return 'history_expired';
  return null;
}

export function parseBeforeCursor(before: string): number {
  const n = Number(before);
  if (!/^\d{1,15}$/.test(before) || !Number.isSafeInteger(n)) {
    throw new AppError('invalid_cursor', '"before" must be a cursor from nextBefore');
  }
  return n;
}

export function newScheduled(feedId: string, id: string, input: NewEntry, publishAt: string, ctx: WriteContext, now: Date): ScheduledEntry {
  const at = now.toISOString();
  return { id, feedId, publishAt, ...input, createdAt: at, updatedAt: at, revision: 1, actor: ctx.actor };
}

/** A scheduled entry after `patch`, in the name of the editor who changed it; content rules as for entries. */
export function applyScheduledPatch(scheduled: ScheduledEntry, patch: ScheduledPatch, ctx: WriteContext, now: Date, expectedRevision?: number): ScheduledEntry {
  checkRevision('scheduled entry', scheduled, expectedRevision);
  const next = { ...scheduled, ...patch, updatedAt: now.toISOString(), revision: scheduled.revision + 1, actor: ctx.actor };
  if (patch.headline !== undefined || patch.body !== undefined) requireContent(next, patch.body !== undefined ? 'body' : 'headline');
  return next;
}

/** The entry a scheduled one becomes when it goes out at `now`: a new entry, revision 1. */
export function entryFromScheduled(s: ScheduledEntry, now: Date): Entry {
  const { headline, body, authors, tags, pinned, keyEvent } = s;
  return newEntry(s.feedId, s.id, { headline, body, authors, tags, pinned, keyEvent }, now);
}

export const isDue = (s: ScheduledEntry, now: Date): boolean => Date.parse(s.publishAt) <= now.getTime();

export const scheduledNotFound = (feedId: string, entryId: string): AppError =>
  new AppError('scheduled_entry_not_found', `no scheduled entry "${entryId}" in feed "${feedId}": it was published or cancelled`);

/** The audit record of one change (seq: the event it appended, if any). */
export function auditRecord(
  ctx: WriteContext, action: AuditAction, at: Date, entryId: string | null, before: number | null, after: number | null, seq: number | null,
): AuditRecord {
  return { at: at.toISOString(), actor: ctx.actor, requestId: ctx.requestId ?? null, action, entryId, seq, revisionBefore: before, revisionAfter: after };
}

/**
 * The feeds index is ordered by last change, newest first, and by id (descending) among
 * feeds changed in the same millisecond: the order a Redis sorted set gives in reverse.
 * Its cursor is the last feed a page showed, so a feed that changes between two pages
 * moves to the top instead of shifting the pages under the editor.
 */
export interface IndexPosition {
  readonly lastChangeMs: number;
  readonly id: string;
}

export const indexCursor = (p: IndexPosition): string => `${p.lastChangeMs}_${p.id}`;

export function parseIndexCursor(cursor: string): IndexPosition {
  const m = /^(\d{1,15})_([a-z0-9][a-z0-9-]{0,63})$/.exec(cursor);
  if (m === null) throw new AppError('invalid_cursor', '"cursor" must be a cursor from nextCursor');
  return { lastChangeMs: Number(m[1]), id: m[2] as string };
}

/** Whether `p` comes after the cursor `after` in the index's order. */
export const isAfter = (p: IndexPosition, after: IndexPosition): boolean =>
  p.lastChangeMs < after.lastChangeMs || (p.lastChangeMs === after.lastChangeMs && p.id < after.id);

/** Scheduled entries in the order they go out: by time, then by id (as a Redis sorted set orders ties). */
export const bySchedule = (a: ScheduledEntry, b: ScheduledEntry): number =>
  Date.parse(a.publishAt) - Date.parse(b.publishAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * How long a scheduled entry's Idempotency-Key is remembered, s: the usual `ttlSeconds`, but
 * past its publishAt, so a retry the day before an entry scheduled for next month still replays.
 */
export const scheduledKeyTtlSeconds = (publishAt: string, now: Date, ttlSeconds: number): number =>
  Math.max(ttlSeconds, Math.ceil((Date.parse(publishAt) - now.getTime()) / 1000) + ttlSeconds);

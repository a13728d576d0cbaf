/**
 * The pure rules every store applies to feed and entry state, so the memory and Redis
 * implementations can't drift apart on what a change means.
 */
import { AppError } from '../errors';
import type { Entry, EntryVersion, Feed } from '../domain/types';
import { requireContent, type EntryPatch, type FeedPatch, type NewEntry, type NewFeed } from '../domain/validate';
import type { ResetReason } from '../gateway/protocol';
import type { FeedHead } from './feed-store';

export function newFeed(id: string, input: NewFeed, now: Date): Feed {
  const at = now.toISOString();
  return {
    id,
    title: input.title,
    description: input.description,
    status: input.status,
    summary: input.summary,
    createdAt: at,
    updatedAt: at,
    liveSince: input.status === 'live' ? at : null,
    endedAt: input.status === 'ended' ? at : null,
    revision: 1,
  };
}

/**
 * Refuses a change made from a revision other than the current one (`If-Match`):
 * `revision_conflict` (412) carrying the current version, so the editor can merge.
 * `expected` undefined: no precondition (the last write wins).
 */
export function checkRevision<T extends { readonly revision: number }>(kind: 'entry' | 'feed', current: T, expected: number | undefined): void {
  if (expected === undefined || expected === current.revision) return;
  throw new AppError('revision_conflict', `this ${kind} is at revision ${current.revision}, not ${expected}: someone else changed it; merge and retry with If-Match: "${current.revision}"`, { [kind]: current });
}

export function applyFeedPatch(feed: Feed, patch: FeedPatch, now: Date, expectedRevision?: number): Feed {
  checkRevision('feed', feed, expectedRevision);
  const at = now.toISOString();
  const status = patch.status ?? feed.status;
  return {
    ...feed,
    ...patch,
    updatedAt: at,
    liveSince: feed.liveSince ?? (status === 'live' ? at : null),
    endedAt: status === 'ended' ? (feed.status === 'ended' ? feed.endedAt : at) : null,
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
export type StoredFeed = Omit<Feed, 'revision'> & Partial<Pick<Feed, 'revision'>>;

/** A stored entry brought up to date: one written before revisions existed is at revision 1, uncorrected. */
export function upgradeStoredEntry(entry: StoredEntry): Entry {
  return { ...entry, revision: entry.revision ?? 1, corrections: entry.corrections ?? [] };
}

export function upgradeStoredFeed(feed: StoredFeed): Feed {
  return { ...feed, revision: feed.revision ?? 1 };
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

/**
 * The pure rules every store applies to feed and entry state, so the memory and Redis
 * implementations can't drift apart on what a change means.
 */
import { AppError } from '../errors';
import type { Entry, Feed } from '../domain/types';
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
  };
}

export function applyFeedPatch(feed: Feed, patch: FeedPatch, now: Date): Feed {
  const at = now.toISOString();
  const status = patch.status ?? feed.status;
  return {
    ...feed,
    ...patch,
    updatedAt: at,
    liveSince: feed.liveSince ?? (status === 'live' ? at : null),
    endedAt: status === 'ended' ? (feed.status === 'ended' ? feed.endedAt : at) : null,
  };
}

export function newEntry(feedId: string, id: string, input: NewEntry, now: Date): Entry {
  const at = now.toISOString();
  return { id, feedId, ...input, publishedAt: at, updatedAt: at };
}

/**
 * The entry after `patch`. Throws `validation_failed` when the result would show nothing
 * (no headline and no visible body), naming the field the patch emptied: the same rule a
 * new entry meets, applied here so both stores refuse it identically, before any write.
 */
export function applyEntryPatch(entry: Entry, patch: EntryPatch, now: Date): Entry {
  // Pinning and marking a key event are not corrections: only content changes move updatedAt.
  const corrected = patch.headline !== undefined || patch.body !== undefined || patch.authors !== undefined || patch.tags !== undefined;
  const next = { ...entry, ...patch, updatedAt: corrected ? now.toISOString() : entry.updatedAt };
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

/**
 * The pure rules every store applies to feed and entry state, so the memory and Redis
 * implementations can't drift apart on what a change means.
 */
import { AppError } from '../errors';
import type { Entry, Feed } from '../domain/types';
import type { EntryPatch, FeedPatch, NewEntry, NewFeed } from '../domain/validate';
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

export function applyEntryPatch(entry: Entry, patch: EntryPatch, now: Date): Entry {
  // Pinning and marking a key event are not corrections: only content changes move updatedAt.
  const corrected = patch.headline !== undefined || patch.body !== undefined || patch.authors !== undefined || patch.tags !== undefined;
  return { ...entry, ...patch, updatedAt: corrected ? now.toISOString() : entry.updatedAt };
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

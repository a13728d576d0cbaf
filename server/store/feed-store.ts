/**
 * FeedStore: the source of truth for feeds, entries and each feed's event log.
 *
 * Guarantees every implementation keeps (the contract suite in
 * __tests__/contract/store-contract.ts checks them):
 * - Every change to a feed (entry created/updated/deleted, feed updated) appends exactly
 *   one FeedEvent with the next `seq` of that feed (1, 2, 3 … with no holes) under the
 *   feed's `epoch`, updates the state, and announces the new head on the broker — as one
 *   atomic step: no reader can observe the event before the state and log hold it, and
 *   no failure leaves the state changed without its event (or the reverse).
 * - A write that resolved is durable in the store before any reader can see its event.
 * - The log keeps the newest `historySize` events per feed. A cursor inside that window
 *   gets exactly the events after it; a cursor outside it (too old, from another epoch,
 *   or ahead of the feed) gets a `reset`, never a silent gap.
 * - Writes are validated before they reach the store: inputs here are already typed,
 *   sanitised values. Failures are `AppError`s (`feed_not_found`, `entry_not_found`,
 *   `feed_exists`, `idempotency_key_reused`, `too_many_pinned`, `validation_failed` for a
 *   patch that would empty an entry, `unavailable`); a refused write changes nothing.
 */
import type { EntryPatch, FeedPatch, NewEntry, NewFeed, ScheduledPatch } from '../domain/validate';
import type {
  AuditRecord, Entry, EntryPage, EntryVersion, Feed, FeedEvent, FeedSnapshot, FeedSummary, ScheduledEntry,
} from '../domain/types';
import type { ResetReason } from '../gateway/protocol';

/** Who is making a change: recorded in the event as its actor, and in the audit log with the request. */
export interface WriteContext {
  readonly actor: string;
  /** The request's X-Request-Id, for the audit log. */
  readonly requestId?: string;
}

/**
 * An `Idempotency-Key` and a fingerprint of the request it came with. The same key with
 * the same fingerprint replays the original result and changes nothing; the same key
 * with another fingerprint is refused with `idempotency_key_reused`. Keys are scoped to
 * one feed and remembered for at least 24 hours.
 */
export interface IdempotencyRequest {
  readonly key: string;
  readonly fingerprint: string;
}

export interface EntryWritten {
  readonly entry: Entry;
  /** The seq of the event this write appended. */
  readonly seq: number;
}

export interface EntryCreated extends EntryWritten {
  /** True when this answers a repeated Idempotency-Key: nothing was written this time. */
  readonly replayed: boolean;
}

export interface EntryScheduled {
  readonly scheduled: ScheduledEntry;
  /** True when this answers a repeated Idempotency-Key: nothing was written this time. */
  readonly replayed: boolean;
}

export interface AuditPage {
  /** Newest first. */
  readonly records: readonly AuditRecord[];
  /** Cursor for older records; null at the first change. */
  readonly nextBefore: string | null;
}

export interface FeedIndexPage {
  /** Most recently changed first. */
  readonly feeds: readonly FeedSummary[];
  readonly nextCursor: string | null;
}

export interface FeedHead {
  /** The seq of the newest event, 0 when there is none yet. */
  readonly seq: number;
  readonly epoch: string;
}

export type EventsSince =
  | { readonly kind: 'events'; readonly head: FeedHead; readonly events: readonly FeedEvent[] }
  | { readonly kind: 'reset'; readonly head: FeedHead; readonly reason: ResetReason };

export interface FeedStore {
  /** Creates a feed with a new epoch and seq 0; no event is appended. Throws `feed_exists`. */
  createFeed(input: NewFeed, ctx: WriteContext): Promise<Feed>;
  /**
   * Appends `feed.updated` (revision + 1). With `expectedRevision` (If-Match), a feed at
   * another revision is refused with `revision_conflict` carrying it. Throws `feed_not_found`.
   */
  updateFeed(feedId: string, patch: FeedPatch, ctx: WriteContext, expectedRevision?: number): Promise<{ readonly feed: Feed; readonly seq: number }>;
  getFeed(feedId: string): Promise<Feed | null>;

  /** Appends `entry.created`, unless `idempotency` replays an earlier call. Throws `feed_not_found`. */
  createEntry(feedId: string, input: NewEntry, ctx: WriteContext, idempotency?: IdempotencyRequest): Promise<EntryCreated>;
  /**
   * Appends `entry.updated` with the whole entry after the change. With `expectedRevision`
   * (If-Match), an entry at another revision is refused with `revision_conflict` carrying it.
   * Throws `feed_not_found`, `entry_not_found`.
   */
  updateEntry(feedId: string, entryId: string, patch: EntryPatch, ctx: WriteContext, expectedRevision?: number): Promise<EntryWritten>;
  /** Appends `entry.deleted`; `expectedRevision` as for updateEntry. Throws `feed_not_found`, `entry_not_found`. */
  deleteEntry(feedId: string, entryId: string, ctx: WriteContext, expectedRevision?: number): Promise<{ readonly seq: number }>;

  /**
   * Every version of an entry's content, oldest first (one per revision; entries created
   * before histories existed start at the version current when they were first edited).
   * Gone with the entry. Throws `feed_not_found`, `entry_not_found`.
   */
  revisions(feedId: string, entryId: string): Promise<readonly EntryVersion[]>;

  /**
   * Keeps an entry out of readers' view until `publishAt`; a time already come publishes it
   * now, exactly as createEntry. Idempotency as for createEntry: a repeat answers what the
   * first call did (scheduled, or published). Throws `feed_not_found`.
   */
  scheduleEntry(feedId: string, input: NewEntry, publishAt: string, ctx: WriteContext, idempotency?: IdempotencyRequest): Promise<EntryScheduled | EntryCreated>;
  /** The feed's scheduled entries, soonest first. Throws `feed_not_found`. */
  listScheduled(feedId: string): Promise<readonly ScheduledEntry[]>;
  /**
   * Changes a scheduled entry's content or time (revision + 1); `expectedRevision` as for
   * updateEntry. Throws `feed_not_found`, `scheduled_entry_not_found` (already published or cancelled).
   */
  updateScheduled(feedId: string, entryId: string, patch: ScheduledPatch, ctx: WriteContext, expectedRevision?: number): Promise<ScheduledEntry>;
  /** Cancels a scheduled entry; nothing reaches readers. Throws as updateScheduled. */
  cancelScheduled(feedId: string, entryId: string, ctx: WriteContext, expectedRevision?: number): Promise<void>;
  /**
   * Publishes every scheduled entry whose time has come, in every feed, each exactly once
   * however many nodes call this at once: as `entry.created`, in the name of the editor who
   * scheduled it. The store's clock decides (Redis's own on Redis, so nodes' clocks may
   * disagree). Returns how many this call published. Nodes call it every few hundred ms.
   */
  publishDue(): Promise<number>;

  /** The feed's changes, newest first, before the `before` cursor (null: from the newest). Throws `feed_not_found`, `invalid_cursor`. */
  audit(feedId: string, before: string | null, limit: number): Promise<AuditPage>;
  /** Every feed, most recently changed first, from `cursor` (null: the start). Throws `invalid_cursor`. */
  listFeeds(cursor: string | null, limit: number): Promise<FeedIndexPage>;

  /** The feed, its pinned entries and its newest `limit` unpinned entries, and the cursor they are current to. */
  snapshot(feedId: string, limit: number): Promise<FeedSnapshot | null>;
  /** Unpinned entries older than the `before` cursor (null: from the newest), newest first. Throws `invalid_cursor`. */
  listEntries(feedId: string, before: string | null, limit: number): Promise<EntryPage | null>;

  /** The feed's newest seq and its epoch; null when the feed does not exist. */
  head(feedId: string): Promise<FeedHead | null>;
  /**
   * The events after `since`, oldest first — at most `limit` of them when given — when that
   * cursor is inside the history window (and `epoch`, when given, is the feed's); otherwise
   * a reset. `head` says whether more remain. Null when the feed does not exist.
   */
  eventsSince(feedId: string, since: number, epoch?: string, limit?: number): Promise<EventsSince | null>;

  /** Releases connections. Idempotent. */
  close(): Promise<void>;
}

/** Default number of unpinned entries in a snapshot and per page. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

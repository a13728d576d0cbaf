/**
 * The shapes a reader receives on the wire (JSON; times are ISO-8601 strings in UTC).
 * They mirror server/domain/types.ts; the SDK keeps its own copy so it has no dependency
 * on server code (a contract test checks the two stay compatible).
 */

export type FeedStatus = 'scheduled' | 'live' | 'ended';

/** One live blog. */
export interface Feed {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: FeedStatus;
  /** The pinned "What to know" block as sanitised HTML, or null. */
  readonly summary: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** When the coverage is announced to begin ("Live coverage begins at 20:00"), or null. */
  readonly startsAt: string | null;
  /** When the feed first went `live`, or null. */
  readonly coverageStartedAt: string | null;
  /** When the feed went `ended` (null unless it is ended). */
  readonly coverageEndedAt: string | null;
  /** 1 when created, +1 for each change (absent from servers older than revisions). */
  readonly revision?: number;
}

/** A correction note kept with an entry (plain text), with the revision it made. */
export interface Correction {
  readonly revision: number;
  readonly at: string;
  readonly note: string;
}

/** One update in a feed. */
export interface Entry {
  readonly id: string;
  readonly feedId: string;
  readonly headline: string | null;
  /** Sanitised HTML: safe to insert into the page as is. */
  readonly body: string;
  readonly authors: readonly string[];
  readonly tags: readonly string[];
  readonly pinned: boolean;
  /** Shown in the "Key events" timeline. */
  readonly keyEvent: boolean;
  readonly publishedAt: string;
  readonly updatedAt: string;
  /** 1 when created, +1 for each change of content: a higher one is newer (absent from servers older than revisions). */
  readonly revision?: number;
  /** Correction notes, oldest first (absent from servers older than revisions). */
  readonly corrections?: readonly Correction[];
}

/** GET /v1/feeds/:feed — the feed, its newest entries, and the cursor they are current to. */
export interface FeedSnapshot {
  readonly feed: Feed;
  /** Pinned entries first (newest first), then the newest unpinned entries. */
  readonly entries: readonly Entry[];
  /** Cursor for GET /v1/feeds/:feed/entries?before= (older entries); null at the end. */
  readonly nextBefore: string | null;
  readonly seq: number;
  readonly epoch: string;
}

export type FeedEventType = 'entry.created' | 'entry.updated' | 'entry.deleted' | 'feed.updated';

/** What each event type carries in `data`. */
export interface FeedEventData {
  'entry.created': Entry;
  'entry.updated': Entry;
  'entry.deleted': { readonly id: string };
  'feed.updated': Feed;
}

/** One delivered change to a feed, of type T. */
export interface LiveEventOf<T extends FeedEventType> {
  readonly feed: string;
  /** Per feed, dense and increasing (1, 2, 3 …). */
  readonly seq: number;
  /** Names one unbroken history of the feed. */
  readonly epoch: string;
  readonly type: T;
  readonly data: FeedEventData[T];
}

/** One delivered change to a feed; narrow it on `type`. */
export type LiveEvent = { [T in FeedEventType]: LiveEventOf<T> }[FeedEventType];

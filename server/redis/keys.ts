/**
 * Every Redis key and channel Liveline uses, built in one place. All keys of a feed carry
 * the feed id as a hash tag (`{feedId}`), so they live in one Redis Cluster slot and one
 * Lua script may touch them all.
 */
export interface FeedKeys {
  /** String: the newest seq. */
  readonly seq: string;
  /** String: the feed's epoch, set once when the feed is created. */
  readonly epoch: string;
  /** String: the Feed as JSON. */
  readonly feed: string;
  /** Stream: the event log, entry ids `<seq>-0`, field `e` = the FeedEvent as JSON; capped at exactly historySize. */
  readonly events: string;
  /** Hash: entry id → Entry as JSON. */
  readonly entries: string;
  /** Sorted set: unpinned entry ids scored by their timeline position (seq of creation). */
  readonly timeline: string;
  /** Sorted set: pinned entry ids, scored the same way. */
  readonly pinned: string;
  /** Pub/sub channel carrying the feed's events as JSON. */
  readonly channel: string;
  /** String: an Idempotency-Key's record (fingerprint, newline, original result); expires. */
  idempotency(key: string): string;
  /** List: an entry's versions (EntryVersion JSON), oldest first; deleted with the entry. */
  revisions(entryId: string): string;
  /** List: the feed's AuditRecords as JSON, oldest first, for the feed's life. */
  readonly audit: string;
  /** Hash: scheduled entry id → ScheduledEntry as JSON, until it is published or cancelled. */
  readonly scheduled: string;
  /** Sorted set: scheduled entry ids scored by publishAt (ms). */
  readonly due: string;
}

/**
 * Keys that span feeds. Each lives in its own Cluster slot, so no feed's script touches
 * them: they are kept up to date beside the scripts, in an order that survives a crash
 * between the two (see RedisStore).
 */
export interface GlobalKeys {
  /** Sorted set: feed id scored by its last change (ms): the editors' feeds index. */
  readonly feeds: string;
  /** String: set once every feed written before the index existed has been added to it. */
  readonly feedsBackfilled: string;
  /** Sorted set: feed id scored by (no later than) its soonest scheduled entry's publishAt (ms). */
  readonly dueFeeds: string;
}

export function globalKeys(prefix: string): GlobalKeys {
  return { feeds: `${prefix}:feeds`, feedsBackfilled: `${prefix}:feeds:backfilled`, dueFeeds: `${prefix}:due-feeds` };
}

export function feedKeys(prefix: string, feedId: string): FeedKeys {
  const base = `${prefix}:{${feedId}}`;
  return {
    seq: `${base}:seq`,
    epoch: `${base}:epoch`,
    feed: `${base}:feed`,
    events: `${base}:events`,
    entries: `${base}:entries`,
    timeline: `${base}:timeline`,
    pinned: `${base}:pinned`,
    channel: `${base}:channel`,
    idempotency: (key) => `${base}:idem:${key}`,
    revisions: (entryId) => `${base}:rev:${entryId}`,
    audit: `${base}:audit`,
    scheduled: `${base}:scheduled`,
    due: `${base}:due`,
  };
}

/** The feed id in a channel name made by feedKeys, or null for any other channel. */
export function feedIdOfChannel(prefix: string, channel: string): string | null {
  const head = `${prefix}:{`;
  const tail = '}:channel';
  if (!channel.startsWith(head) || !channel.endsWith(tail)) return null;
  return channel.slice(head.length, channel.length - tail.length);
}

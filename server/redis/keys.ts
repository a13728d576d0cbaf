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
  };
}

/** The feed id in a channel name made by feedKeys, or null for any other channel. */
export function feedIdOfChannel(prefix: string, channel: string): string | null {
  const head = `${prefix}:{`;
  const tail = '}:channel';
  if (!channel.startsWith(head) || !channel.endsWith(tail)) return null;
  return channel.slice(head.length, channel.length - tail.length);
}

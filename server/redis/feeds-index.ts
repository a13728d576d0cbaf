/**
 * The editors' feeds index on Redis: a sorted set of feed ids scored by their last change
 * (ms), in its own slot, so it is kept beside each feed's script rather than by it (see
 * GlobalKeys). Listing reads each feed's current title, status and entry count.
 */
import type { Redis } from 'ioredis';
import type { FeedSummary } from '../domain/types';
import { indexCursor, isAfter, type IndexPosition } from '../store/feed-state';
import type { FeedIndexPage } from '../store/feed-store';
import { feedKeys, globalKeys, type GlobalKeys } from './keys';
import { keyspaceNodes, type RedisClient } from './redis-client';
import { num, storedEvent, storedFeed } from './stored';

/** A feed key as feedKeys builds it (other keys may end in `:feed` too, e.g. an editor's idempotency key). */
const FEED_KEY = (prefix: string): RegExp => new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\{([a-z0-9][a-z0-9-]{0,63})\\}:feed$`);

export interface FeedsIndexOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  /** Failed index updates after a committed write: reported, never the editor's error. */
  readonly onError: (err: unknown, context: string) => void;
}

export class RedisFeedsIndex {
  private readonly keys: GlobalKeys;
  /** Adding the feeds written before the index existed: once per node at most (see backfill). */
  private backfilled: Promise<void> | null = null;

  constructor(private readonly options: FeedsIndexOptions) {
    this.keys = globalKeys(options.prefix);
  }

  /** Lists a feed about to be created (an id without a feed is skipped when listing), so a node dying after its script can't leave it unlisted. */
  async creating(feedId: string, at: Date): Promise<void> {
    await this.options.redis.zadd(this.keys.feeds, 'NX', at.getTime(), feedId);
  }

  /**
   * The feed changed at `at`. Not awaited by the write: the change has committed, and a lost
   * update only leaves the feed lower in the editors' list until its next change.
   */
  changed(feedId: string, at: Date): void {
    this.options.redis.zadd(this.keys.feeds, 'GT', at.getTime(), feedId).catch((err: unknown) => this.options.onError(err, 'feeds index'));
  }

  /** Up to `limit` feeds after the cursor `after`, most recently changed first. */
  async list(after: IndexPosition | null, limit: number): Promise<FeedIndexPage> {
    await (this.backfilled ??= this.backfill().catch((err: unknown) => {
      this.backfilled = null; // the next listing tries again
      throw err;
    }));
    const positions = await this.positions(after, limit + 1);
    const page = positions.slice(0, limit);
    const { redis, prefix } = this.options;
    // Each feed's keys live in its own slot (on a Cluster, maybe another node): no pipeline
    // across feeds, but every feed's two reads at once.
    const replies = await Promise.all(page.map((p) => Promise.all([redis.get(feedKeys(prefix, p.id).feed), redis.hlen(feedKeys(prefix, p.id).entries)])));
    const feeds: FeedSummary[] = [];
    page.forEach((p, i) => {
      const [raw, count] = replies[i] ?? [null, 0];
      if (raw === null) return; // listed, never created: its creation failed after the index was told
      const feed = storedFeed(raw);
      feeds.push({
        id: p.id, title: feed.title, status: feed.status, revision: feed.revision, entryCount: num(count), lastChangeAt: new Date(p.lastChangeMs).toISOString(),
      });
    });
    const last = page[page.length - 1];
    return { feeds, nextCursor: positions.length > limit && last !== undefined ? indexCursor(last) : null };
  }

  /** Up to `count` positions after `after`, in the index's order (newest change first, then id descending). */
  private async positions(after: IndexPosition | null, count: number): Promise<IndexPosition[]> {
    const top = after === null ? '+inf' : String(after.lastChangeMs);
    // Feeds tied with the cursor's time come first and may be before it: fetch past them, then filter.
    const ties = after === null ? 0 : await this.options.redis.zcount(this.keys.feeds, top, top);
    const raw = await this.options.redis.zrevrangebyscore(this.keys.feeds, top, '-inf', 'WITHSCORES', 'LIMIT', 0, count + ties);
    const positions: IndexPosition[] = [];
    for (let i = 0; i < raw.length; i += 2) positions.push({ id: raw[i] as string, lastChangeMs: Number(raw[i + 1]) });
    return positions.filter((p) => after === null || isAfter(p, after)).slice(0, count);
  }

  /**
   * Adds feeds written before the index existed, once per Redis (`feedsBackfilled`); nodes
   * racing to do it only repeat idempotent `ZADD GT`s. Keys that only look like a feed's (an
   * idempotency key may end in `:feed`) are skipped, and so are feeds whose data can't be
   * parsed (reported), so one bad key never breaks the listing. SCAN sees one server's keys:
   * on a Cluster it runs on every master.
   */
  private async backfill(): Promise<void> {
    if ((await this.options.redis.exists(this.keys.feedsBackfilled)) === 1) return;
    await Promise.all(keyspaceNodes(this.options.redis).map((node) => this.backfillFrom(node)));
    await this.options.redis.set(this.keys.feedsBackfilled, '1');
  }

  /** backfill's work on one server's keys (reads and index writes go through the client, which routes them). */
  private async backfillFrom(node: Redis): Promise<void> {
    const { redis, prefix, onError } = this.options;
    const feedKey = FEED_KEY(prefix);
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:{*}:feed`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const id = feedKey.exec(key)?.[1];
        if (id === undefined) continue;
        const [raw, newest] = await Promise.all([redis.get(key), redis.xrevrange(feedKeys(prefix, id).events, '+', '-', 'COUNT', 1)]);
        if (raw === null) continue;
        let last: number;
        try {
          const lastEvent = newest[0]?.[1][1];
          last = Math.max(Date.parse(storedFeed(raw).updatedAt), lastEvent === undefined ? 0 : Date.parse(storedEvent(lastEvent).at));
        } catch (err) {
          onError(err, `adding feed "${id}" to the feeds index: its stored data is not readable`);
          continue;
        }
        await redis.zadd(this.keys.feeds, 'GT', Number.isFinite(last) ? last : 0, id);
      }
    } while (cursor !== '0');
  }
}

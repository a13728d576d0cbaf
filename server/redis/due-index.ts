/**
 * The due-feeds index: which feeds have scheduled entries, each scored by (no later than) its
 * soonest entry's publishAt (ms), so every node finds due work with one read. The index is in
 * its own slot, so it can't change in the same script as a feed's entries; these rules keep
 * it from ever pointing later than a feed's soonest entry for long:
 * - editors only lower a feed's score (`ZADD LT`), before their script (a node dying after it
 *   leaves the entry findable) and after it;
 * - only a publisher raises it, with a compare-and-set on the score it saw (REINDEX_DUE), then
 *   looks at the feed again and lowers it back if an editor slipped an earlier entry in;
 * - feeds are never removed (+inf when they have nothing due), so an editor's `ZADD LT` lands;
 * - every DUE_REPAIR_INTERVAL_MS one node (a lease) re-lowers every feed to its soonest
 *   entry: what a node killed between its script and its `ZADD` left waits at most that long.
 */
import { feedKeys, globalKeys } from './keys';
import type { RedisClient } from './redis-client';
import { DUE_FEEDS, REINDEX_DUE } from './scripts';
import { list, num, str, tuple } from './stored';

/** Feeds with due entries one pass handles. */
const DUE_FEEDS_PER_PASS = 50;
/** How often one node (whichever takes the lease) re-checks every feed's place in the index, ms. */
const DUE_REPAIR_INTERVAL_MS = 30_000;

export interface DueFeed {
  readonly feedId: string;
  /** The score the feed was seen with: what `published` compares before raising it. */
  readonly seenScore: string;
}

export class RedisDueIndex {
  private readonly key: string;
  /** When this node last tried to take the repair lease, ms. */
  private lastRepairAttempt = 0;

  constructor(private readonly redis: RedisClient, private readonly prefix: string) {
    this.key = globalKeys(prefix).dueFeeds;
  }

  /** An entry of `feedId` is due no later than `ms` (a ms value or a score string). */
  async lower(feedId: string, ms: number | string): Promise<void> {
    await this.redis.zadd(this.key, 'LT', ms, feedId);
  }

  /** Redis's clock now (ms), and the feeds whose soonest entry is due by it. */
  async due(): Promise<{ readonly nowMs: number; readonly feeds: readonly DueFeed[] }> {
    const [nowMs, due] = tuple(await DUE_FEEDS.run(this.redis, [this.key], [DUE_FEEDS_PER_PASS]), 2);
    const pairs = list(due);
    const feeds: DueFeed[] = [];
    for (let i = 0; i < pairs.length; i += 2) feeds.push({ feedId: str(pairs[i]), seenScore: str(pairs[i + 1]) });
    return { nowMs: num(nowMs), feeds };
  }

  /** A publisher is done with `feed`'s due entries: point it at its soonest remaining one. */
  async published(feed: DueFeed): Promise<void> {
    const due = feedKeys(this.prefix, feed.feedId).due;
    const soonest = await this.redis.zrange(due, 0, 0, 'WITHSCORES');
    await REINDEX_DUE.run(this.redis, [this.key], [feed.feedId, feed.seenScore, soonest[1] ?? '']);
    // An editor may have scheduled an earlier entry between the read and the raise: look again, and lower back.
    const after = await this.redis.zrange(due, 0, 0, 'WITHSCORES');
    if (after[1] !== undefined) await this.lower(feed.feedId, after[1]);
  }

  /** Every DUE_REPAIR_INTERVAL_MS, if this node takes the lease: every feed re-lowered to its soonest entry. */
  async repair(nowMs: number): Promise<void> {
    if (nowMs - this.lastRepairAttempt < DUE_REPAIR_INTERVAL_MS) return;
    this.lastRepairAttempt = nowMs;
    const lease = await this.redis.set(`${this.key}:repair`, '1', 'PX', DUE_REPAIR_INTERVAL_MS, 'NX');
    if (lease !== 'OK') return;
    const feeds = await this.redis.zrangebyscore(this.key, `(${nowMs}`, '+inf');
    // Each feed's due set is in its own slot (on a Cluster, maybe another node): no pipeline
    // across feeds; a batch's reads at once, then its fixes (one key) at once.
    for (let i = 0; i < feeds.length; i += 500) {
      const batch = feeds.slice(i, i + 500);
      const soonest = await Promise.all(batch.map((id) => this.redis.zrange(feedKeys(this.prefix, id).due, 0, 0, 'WITHSCORES')));
      await Promise.all(batch.flatMap((id, j) => {
        const score = soonest[j]?.[1];
        return score === undefined ? [] : [this.lower(id, score)];
      }));
    }
  }
}

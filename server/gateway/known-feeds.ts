import type { Metrics } from '../metrics';
import type { FeedStore } from '../store/feed-store';

/** How long "no such feed" is believed, ms: a feed created meanwhile is found this late at worst. */
const MISSING_TTL_MS = 2000;
/** Feed ids remembered as missing at most; beyond, the memory is dropped (ids are attacker-chosen). */
const MAX_REMEMBERED = 10_000;

/**
 * Answers "does this feed exist?" before the gateway builds a hub (a broker subscription)
 * for it. One store read per feed at a time, shared by everyone asking, and a short
 * memory of the feeds that don't exist: a client naming made-up feeds costs at most one
 * cheap read per name every couple of seconds, and never a hub.
 */
export class KnownFeeds {
  private readonly missing = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<boolean>>();

  constructor(private readonly store: FeedStore, private readonly metrics: Metrics) {}

  /** Resolves whether `feedId` exists; rejects when the store can't be reached. */
  exists(feedId: string, now = Date.now()): Promise<boolean> {
    const until = this.missing.get(feedId);
    if (until !== undefined) {
      if (until > now) return Promise.resolve(false);
      this.missing.delete(feedId);
    }
    let answer = this.inFlight.get(feedId);
    if (answer === undefined) {
      this.metrics.storeReads.inc({ reason: 'exists' });
      answer = this.store.head(feedId).then((head) => {
        if (head === null) this.remember(feedId);
        return head !== null;
      }).finally(() => this.inFlight.delete(feedId));
      this.inFlight.set(feedId, answer);
    }
    return answer;
  }

  /** A feed the store answered for exists now (e.g. its hub just started): forget it was missing. */
  found(feedId: string): void {
    this.missing.delete(feedId);
  }

  private remember(feedId: string): void {
    if (this.missing.size >= MAX_REMEMBERED) this.missing.clear();
    this.missing.set(feedId, Date.now() + MISSING_TTL_MS);
  }
}

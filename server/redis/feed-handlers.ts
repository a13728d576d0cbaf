import type { BrokerHandlers } from '../broker/broker';
import { parseAnnouncement } from './announcement';
import { feedIdOfChannel } from './keys';

/**
 * A Redis broker's handlers per feed, and what it does with a message on a feed's channel:
 * parse it strictly and call every handler, none of which can stop the others.
 */
export class FeedHandlers {
  private readonly byFeed = new Map<string, Set<BrokerHandlers>>();

  constructor(
    private readonly prefix: string,
    private readonly onError: (err: unknown, context: string) => void,
    /** Called for each message on a feed channel that is not a well-formed announcement. */
    private readonly onRejected?: () => void,
  ) {}

  /** Adds them; true when they are the feed's first. */
  add(feedId: string, handlers: BrokerHandlers): boolean {
    const set = this.byFeed.get(feedId);
    if (set !== undefined) {
      set.add(handlers);
      return false;
    }
    this.byFeed.set(feedId, new Set([handlers]));
    return true;
  }

  /** Removes them; true when the feed has none left (and was subscribed through them). */
  remove(feedId: string, handlers: BrokerHandlers): boolean {
    const set = this.byFeed.get(feedId);
    if (set === undefined || !set.delete(handlers) || set.size > 0) return false;
    this.byFeed.delete(feedId);
    return true;
  }

  has(feedId: string): boolean {
    return this.byFeed.has(feedId);
  }

  feeds(): string[] {
    return [...this.byFeed.keys()];
  }

  /** Tells the feed's handlers they may have missed announcements. */
  resync(feedId: string): void {
    for (const h of [...(this.byFeed.get(feedId) ?? [])]) this.call(() => h.resync());
  }

  /** A pub/sub message: false when `channel` is not a feed channel (the caller's own, e.g. a probe). */
  deliver(channel: string, message: string): boolean {
    const feedId = feedIdOfChannel(this.prefix, channel);
    if (feedId === null) return false;
    const set = this.byFeed.get(feedId);
    if (set === undefined) return true;
    const head = parseAnnouncement(message);
    if (head === null) {
      this.onRejected?.();
      this.onError(new Error(`malformed announcement on ${channel}: ${message.slice(0, 120)}`), 'broker message');
      return true;
    }
    for (const h of [...set]) this.call(() => h.announce(head));
    return true;
  }

  clear(): void {
    this.byFeed.clear();
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(err, 'broker handler');
    }
  }
}

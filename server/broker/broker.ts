/**
 * Broker: tells every node with readers of a feed that the feed's log has grown. It is the
 * one delivery path: the node that accepted a write learns of it through the broker
 * exactly like every other node.
 *
 * What travels is an announcement — the feed's new head (`seq`, `epoch`) — never the
 * change itself. Readers are only ever sent what the store holds: a hub that hears of a
 * head beyond its own reads the missing events from the store. So a message forged onto
 * the backplane (anyone who can PUBLISH to Redis) can at most cause a store read; it can
 * never put words in a reader's feed, skip a seq, or replace the store's record.
 *
 * Guarantees (checked by __tests__/contract/broker-contract.ts):
 * - At most once, in publish order per feed, to every handler subscribed when the
 *   announcement is published. A broker may lose announcements (a dropped pub/sub
 *   connection); the next one, or a resync, makes the hub read everything it missed.
 * - When a broker knows it may have lost announcements (its connection dropped and came
 *   back), it calls `resync` on every active subscription.
 * - Handlers are called asynchronously, never inside `publish`; a handler that throws
 *   does not stop delivery to the others.
 * - Announcements that arrive malformed are dropped (and counted by the caller's onError);
 *   well-formed ones are hints, not facts.
 */
import type { FeedHead } from '../store/feed-store';

export interface BrokerHandlers {
  /** The feed's log reached `head.seq` in `head.epoch` (as claimed by the sender): compare with the store. */
  announce(head: FeedHead): void;
  /** Announcements for this feed may have been lost: compare with the store. */
  resync(): void;
}

export interface BrokerSubscription {
  /** Stops delivery to these handlers. Idempotent. */
  unsubscribe(): Promise<void>;
}

export interface Broker {
  /** Announces `feedId`'s new head to every node's subscribers of that feed. */
  publish(feedId: string, head: FeedHead): Promise<void>;
  /** Resolves once announcements published from now on will reach `handlers`. */
  subscribe(feedId: string, handlers: BrokerHandlers): Promise<BrokerSubscription>;
  /**
   * Sends a probe through the broker to this node and resolves true when it arrives within
   * `timeoutMs`, false otherwise (never rejects). Readiness uses it: a node whose
   * subscriber silently stopped receiving is not ready, whatever its connections say.
   */
  probe(timeoutMs: number): Promise<boolean>;
  /** Re-establishes the broker's connection after a failed probe; subscribers are resynced. */
  repair(): void;
  /** Ends every subscription. Idempotent. */
  close(): Promise<void>;
}

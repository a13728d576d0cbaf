/**
 * Broker: carries committed FeedEvents from whichever node wrote them to every node with
 * readers of that feed. It is the one delivery path: the node that accepted a write
 * receives its own event through the broker exactly like every other node.
 *
 * Guarantees (checked by __tests__/contract/broker-contract.ts):
 * - At most once, in publish order per feed, to every handler subscribed when the event
 *   is published. A broker may lose events (a dropped pub/sub connection); it never
 *   invents or reorders them. Readers' gap-free delivery comes from the gateway checking
 *   `seq` and filling holes from the store, not from the broker.
 * - When a broker knows it may have lost events (its connection dropped and came back),
 *   it calls `resync` on every active subscription so the subscriber can catch up from
 *   the store.
 * - Handlers are called asynchronously, never inside `publish`; a handler that throws
 *   does not stop delivery to the others.
 */
import type { FeedEvent } from '../domain/types';

export interface BrokerHandlers {
  event(event: FeedEvent): void;
  /** Events for this feed may have been lost: compare with the store. */
  resync(): void;
}

export interface BrokerSubscription {
  /** Stops delivery to these handlers. Idempotent. */
  unsubscribe(): Promise<void>;
}

export interface Broker {
  /** Sends an event to every node's subscribers of `event.feed`. */
  publish(event: FeedEvent): Promise<void>;
  /** Resolves once events published from now on will reach `handlers`. */
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

import type { Broker } from '../../server/broker/broker';
import type { FeedHead } from '../../server/store/feed-store';

/** The handle returned by {@link reorderAnnouncements}. */
export interface ReorderingBroker {
  /** Holds back the next announcement, to be published right after the one that follows it. */
  hold(): void;
  /** The seqs announced, in the order they were really handed to the broker. */
  readonly order: number[];
}

/**
 * Makes `broker` deliver announcements out of order on demand: after hold(), the next
 * announcement is kept back and published right after the one that follows it, so
 * subscribers hear of seq n+1 before seq n (as a reordering backplane, or a slow publisher
 * overtaken by a fast one, would). Wrapped in place, because the memory store publishes to
 * this very instance (wrap it before the app starts). `order` lists the seqs in the order
 * they were handed to the broker.
 *
 * A held announcement is released only by the next publish: hold() just before the writes
 * to reorder, and follow them with one more write (a fence) if the last one was held.
 */
export function reorderAnnouncements(broker: Broker): ReorderingBroker {
  const publish = broker.publish.bind(broker);
  const order: number[] = [];
  let holding = false;
  let held: { feedId: string; head: FeedHead } | null = null;
  broker.publish = async (feedId, head) => {
    if (holding) {
      holding = false;
      held = { feedId, head };
      return;
    }
    order.push(head.seq);
    await publish(feedId, head);
    const late = held;
    held = null;
    if (late) {
      order.push(late.head.seq);
      await publish(late.feedId, late.head);
    }
  };
  return {
    hold: () => {
      holding = true;
    },
    order,
  };
}

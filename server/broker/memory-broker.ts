import { AppError } from '../errors';
import type { FeedHead } from '../store/feed-store';
import type { Broker, BrokerHandlers, BrokerSubscription } from './broker';

/** The embedded broker: one process, so nothing is ever lost and `resync` never fires. */
export class MemoryBroker implements Broker {
  private readonly subscribers = new Map<string, Set<BrokerHandlers>>();
  private closed = false;

  constructor(private readonly onHandlerError: (err: unknown) => void) {}

  async publish(feedId: string, head: FeedHead): Promise<void> {
    if (this.closed) return;
    const handlers = this.subscribers.get(feedId);
    if (handlers === undefined) return;
    // Snapshot the set now so a handler subscribed after this publish doesn't get it.
    const targets = [...handlers];
    // setImmediate, not a microtask: the editor's HTTP response goes out before the fan-out.
    setImmediate(() => {
      for (const h of targets) {
        if (!handlers.has(h)) continue;
        try {
          h.announce(head);
        } catch (err) {
          this.onHandlerError(err);
        }
      }
    });
  }

  async subscribe(feedId: string, handlers: BrokerHandlers): Promise<BrokerSubscription> {
    if (this.closed) throw new AppError('unavailable', 'the broker is closed');
    let set = this.subscribers.get(feedId);
    if (set === undefined) {
      set = new Set();
      this.subscribers.set(feedId, set);
    }
    set.add(handlers);
    const owner = set;
    return {
      unsubscribe: async () => {
        owner.delete(handlers);
        if (owner.size === 0 && this.subscribers.get(feedId) === owner) this.subscribers.delete(feedId);
      },
    };
  }

  async probe(): Promise<boolean> {
    return !this.closed; // in-process: if it runs, it delivers
  }

  repair(): void {
    // Nothing to repair: there is no connection.
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribers.clear();
  }
}

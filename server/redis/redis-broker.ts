import { randomUUID } from 'node:crypto';
import type { Broker, BrokerHandlers, BrokerSubscription } from '../broker/broker';
import { AppError } from '../errors';
import type { FeedHead } from '../store/feed-store';
import { withTimeout } from './deadline';
import { FeedHandlers } from './feed-handlers';
import { feedKeys } from './keys';
import type { RedisClient } from './redis-client';
import { PUBLISH_FEED } from './scripts';

export interface RedisBrokerOptions {
  /** Command connection, for PUBLISH. */
  readonly publisher: RedisClient;
  /** A dedicated connection used only for SUBSCRIBE; created with autoResubscribe off. */
  readonly subscriber: RedisClient;
  readonly prefix: string;
  readonly onError: (err: unknown, context: string) => void;
  /** Called for each message on a feed channel that is not a well-formed announcement. */
  readonly onRejected?: () => void;
}

/**
 * Redis pub/sub: one channel per feed, carrying announcements (see announcement.ts), subscribed on this node's subscriber connection
 * only while the node has handlers for that feed. Pub/sub is at most once; when the
 * subscriber connection drops and comes back, the broker subscribes every channel again
 * and only then calls `resync` on every handler, so whatever was published while it was
 * away is read from the store.
 */
export class RedisBroker implements Broker {
  private readonly handlers: FeedHandlers;
  /** SUBSCRIBE in flight or done, per feed; joiners wait on it. */
  private readonly subscribed = new Map<string, Promise<void>>();
  private connectedBefore = false;
  private closed = false;
  /** This node's own probe channel; subscribed on the first probe. */
  private readonly probeChannel: string;
  private probeSubscribed: Promise<void> | null = null;
  private readonly probes = new Map<string, () => void>();

  constructor(private readonly options: RedisBrokerOptions) {
    const { subscriber } = options;
    this.handlers = new FeedHandlers(options.prefix, options.onError, options.onRejected);
    this.probeChannel = `${options.prefix}:probe:${randomUUID()}`;
    subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    subscriber.on('ready', () => {
      if (this.connectedBefore) this.recover().catch((err: unknown) => options.onError(err, 'resubscribing after reconnect'));
      this.connectedBefore = true;
    });
    if (subscriber.status === 'ready') this.connectedBefore = true;
  }

  async publish(feedId: string, head: FeedHead): Promise<void> {
    const k = feedKeys(this.options.prefix, feedId);
    await PUBLISH_FEED.run(this.options.publisher, [k.seq], [k.channel, JSON.stringify({ seq: head.seq, epoch: head.epoch })]);
  }

  async subscribe(feedId: string, handlers: BrokerHandlers): Promise<BrokerSubscription> {
    if (this.closed) throw new AppError('unavailable', 'the broker is closed');
    this.handlers.add(feedId, handlers);
    let ready = this.subscribed.get(feedId);
    if (ready === undefined) {
      ready = this.options.subscriber.subscribe(this.channel(feedId)).then(() => undefined);
      this.subscribed.set(feedId, ready);
    }
    try {
      await ready;
    } catch (err) {
      if (this.subscribed.get(feedId) === ready) this.subscribed.delete(feedId);
      this.remove(feedId, handlers);
      throw new AppError('unavailable', 'could not subscribe to the broker', undefined, err);
    }
    let active = true;
    return {
      unsubscribe: async () => {
        if (!active) return;
        active = false;
        this.remove(feedId, handlers);
      },
    };
  }

  async probe(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    try {
      this.probeSubscribed ??= this.options.subscriber.subscribe(this.probeChannel).then(() => undefined);
      const arrived = new Promise<boolean>((resolve) => {
        this.probes.set(id, () => resolve(true));
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      await withTimeout(this.probeSubscribed, timeoutMs);
      await this.options.publisher.publish(this.probeChannel, id);
      return await arrived;
    } catch {
      this.probeSubscribed = null; // subscribe again on the next probe
      return false; // the answer is "not delivering"; the connection's own errors are reported by the backend
    } finally {
      clearTimeout(timer);
      this.probes.delete(id);
    }
  }

  repair(): void {
    if (this.closed) return;
    this.probeSubscribed = null;
    // Drop the subscriber connection and let it reconnect: 'ready' then resubscribes and resyncs.
    this.options.subscriber.disconnect(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // No UNSUBSCRIBE round trip (unbounded on a hung Redis): the backend quits the connection next.
    this.handlers.clear();
    this.subscribed.clear();
    this.probes.clear();
  }

  private remove(feedId: string, handlers: BrokerHandlers): void {
    if (!this.handlers.remove(feedId, handlers)) return;
    this.subscribed.delete(feedId);
    if (this.options.subscriber.status !== 'ready') return; // a reconnect won't resubscribe it
    this.options.subscriber.unsubscribe(this.channel(feedId)).catch((err: unknown) => this.options.onError(err, `unsubscribe ${feedId}`));
  }

  /** After a reconnect: subscribe every channel again, then tell every handler to resync. */
  private async recover(): Promise<void> {
    this.probeSubscribed = null; // the next probe subscribes its channel again
    const feeds = this.handlers.feeds();
    if (feeds.length === 0) return;
    const again = this.options.subscriber.subscribe(...feeds.map((f) => this.channel(f))).then(() => undefined);
    for (const f of feeds) this.subscribed.set(f, again);
    await again;
    for (const f of feeds) this.handlers.resync(f);
  }

  private deliver(channel: string, message: string): void {
    if (channel === this.probeChannel) this.probes.get(message)?.();
    else this.handlers.deliver(channel, message);
  }

  private channel(feedId: string): string {
    return feedKeys(this.options.prefix, feedId).channel;
  }
}

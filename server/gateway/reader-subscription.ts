import { isAppError } from '../errors';
import type { FeedStore } from '../store/feed-store';
import { serializeEvent, type Delivery, type FeedHub, type HubMember } from './feed-hub';
import type { Metrics, Transport } from '../metrics';
import type { ResetReason, ServerFrame } from './protocol';

/** How a subscription reaches its feed: the gateway's hubs and the store. */
export interface FeedAccess {
  readonly store: FeedStore;
  /** Joins `member` to the feed's hub and resolves once the hub is active. */
  join(feedId: string, member: HubMember): Promise<FeedHub>;
  leave(feedId: string, member: HubMember): void;
  onError(err: unknown, context: string): void;
  readonly metrics: Metrics;
}

/** Where a subscription's output goes: a WebSocket session or an SSE response. */
export interface SubscriptionSink {
  readonly transport: Transport;
  /** The next event, in seq order. */
  event(d: Delivery): void;
  /** `subscribed`, `reset` or `error`. */
  frame(f: ServerFrame): void;
  /** The subscription ended by itself (a reset or a failure): its owner forgets it. */
  ended(sub: ReaderSubscription): void;
}

/** Store reads one subscribe may make while live events keep arriving before it gives up. */
const MAX_CATCH_UP_READS = 5;

type SubscriptionState = 'catching-up' | 'live' | 'ended';

/**
 * One feed for one reader, whatever the transport. `start` gathers every event after the
 * reader's cursor — from the hub's recent buffer or the store — then sends `subscribed`,
 * those events and the live events that arrived meanwhile, and goes live: each seq once,
 * in order, no gaps.
 */
export class ReaderSubscription implements HubMember {
  private state: SubscriptionState = 'catching-up';
  private cursor = -1;
  private readonly buffered: Delivery[] = [];
  /** Catch-up events held until `subscribed` is sent; null once it has been. */
  private held: Delivery[] | null = [];

  constructor(readonly feed: string, private readonly sink: SubscriptionSink, private readonly access: FeedAccess) {
    access.metrics.subscriptions.inc({ transport: sink.transport });
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  deliver(d: Delivery): void {
    if (this.state === 'catching-up') this.buffered.push(d);
    else if (this.state === 'live') this.send(d);
  }

  /** The cursor can't be served (or the hub's history was replaced): tell the reader to reload. */
  reset(reason: ResetReason): void {
    if (this.state === 'ended') return;
    this.finish();
    this.access.metrics.resets.inc({ reason });
    this.sink.frame({ type: 'reset', feed: this.feed, reason });
    this.sink.ended(this);
  }

  /** Ends delivery at the owner's request (unsubscribe, disconnect, a newer subscribe). Idempotent. */
  stop(): void {
    if (this.state !== 'ended') this.finish();
  }

  /** Runs the subscription up to live delivery. Never rejects: failures become error frames. */
  async start(since?: number, epoch?: string): Promise<void> {
    let hub: FeedHub;
    try {
      hub = await this.access.join(this.feed, this);
    } catch (err) {
      if (isAppError(err) && err.code === 'feed_not_found') this.fail('feed_not_found', err.message);
      else this.fail('unavailable', 'could not subscribe right now; try again', err);
      return;
    }
    if (this.ended) return;
    if (epoch !== undefined && epoch !== hub.epoch) {
      this.reset('epoch_changed');
      return;
    }
    const from = since ?? hub.lastSeq;
    this.cursor = from;
    for (const d of hub.recentSince(from) ?? []) this.send(d);
    // A cursor ahead of this node may just be ahead of the broker; only the store can tell.
    let askStore = from > hub.lastSeq;
    for (let reads = 0; !this.ended; reads++) {
      if (!askStore && this.flush(hub.lastSeq)) {
        this.announce(hub);
        return;
      }
      askStore = false;
      try {
        if (reads === MAX_CATCH_UP_READS) throw new Error(`feed ${this.feed}: store and hub disagree after ${reads} reads`);
        const result = await this.access.store.eventsSince(this.feed, this.cursor, hub.epoch);
        if (this.ended) return;
        if (result === null || result.kind === 'reset') {
          this.reset(result === null ? 'epoch_changed' : result.reason);
          return;
        }
        for (const e of result.events) this.send(serializeEvent(e));
      } catch (err) {
        this.fail('unavailable', 'could not catch up right now; subscribe again', err);
        return;
      }
    }
  }

  /**
   * `subscribed` goes out only once the subscription can really be served (its catch-up
   * read succeeded), then the missed events: a reader told `subscribed` is not then told
   * `unavailable`, so its backoff means something.
   */
  private announce(hub: FeedHub): void {
    const held = this.held ?? [];
    this.held = null;
    this.sink.frame({ type: 'subscribed', feed: this.feed, seq: Math.max(hub.lastSeq, this.cursor), epoch: hub.epoch });
    for (const d of held) this.sink.event(d);
  }

  /** Sends `d` if it is the next seq; earlier seqs are duplicates. Returns false on a gap. */
  private send(d: Delivery): boolean {
    if (d.seq <= this.cursor) return true;
    if (d.seq !== this.cursor + 1) return false;
    this.cursor = d.seq;
    if (this.held !== null) this.held.push(d);
    else this.sink.event(d);
    return true;
  }

  /** Hands over the events buffered while catching up and goes live, if nothing up to `hubSeq` is missing. */
  private flush(hubSeq: number): boolean {
    while (this.buffered.length > 0) {
      if (!this.send(this.buffered[0] as Delivery)) return false;
      this.buffered.shift();
    }
    if (this.cursor < hubSeq) return false;
    this.state = 'live';
    return true;
  }

  private fail(code: 'feed_not_found' | 'unavailable', message: string, err?: unknown): void {
    if (this.state === 'ended') return;
    if (err !== undefined) this.access.onError(err, `subscribe ${this.feed}`);
    this.finish();
    this.sink.frame({ type: 'error', code, message, feed: this.feed });
    this.sink.ended(this);
  }

  private finish(): void {
    this.state = 'ended';
    this.access.metrics.subscriptions.dec({ transport: this.sink.transport });
    this.buffered.length = 0;
    this.held = null;
    this.access.leave(this.feed, this);
  }
}

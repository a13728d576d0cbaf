import { isAppError } from '../errors';
import { Batch, type Delivery } from './delivery';
import type { FeedHub, HubMember } from './feed-hub';
import type { Turn } from './turns';
import type { Metrics, Transport } from '../metrics';
import type { ResetReason, ServerFrame } from './protocol';

/** How a subscription reaches its feed: through the gateway's hubs, which read the store for it. */
export interface FeedAccess {
  /** Joins `member` to the feed's hub and resolves once the hub is active. */
  join(feedId: string, member: HubMember): Promise<FeedHub>;
  leave(feedId: string, member: HubMember): void;
  onError(err: unknown, context: string): void;
  readonly metrics: Metrics;
  /** Events one resume may replay (LIVELINE_MAX_RESUME_EVENTS); a reader further behind is reset. */
  readonly resumeLimit: number;
  /** Resolves on this subscription's turn to work: turns go one at a time, round-robin by address, a slice of each loop iteration. */
  turn(address: string): Promise<Turn>;
  /** Charges `events` replayed to `address`'s budget; false when it can't pay now. */
  chargeReplay(address: string, events: number): boolean;
}

/** Where a subscription's output goes: a WebSocket session or an SSE response. */
export interface SubscriptionSink {
  readonly transport: Transport;
  /** The reader's address as the per-address limits count it. */
  readonly address: string;
  /** The next events, in seq order: one write of bytes made once for every reader. */
  events(batch: Batch): void;
  /** `subscribed`, `reset` or `error`. */
  frame(f: ServerFrame): void;
  /** The subscription ended by itself (a reset or a failure): its owner forgets it. */
  ended(sub: ReaderSubscription): void;
}

/** Rounds of waiting (on the hub's reads, on a turn) one subscribe may take before it gives up (unavailable). */
const MAX_ROUNDS = 6;

type SubscriptionState = 'catching-up' | 'live' | 'ended';

/**
 * One feed for one reader, whatever the transport. `start` gathers every event after the
 * reader's cursor from the hub's memory (waiting, if need be, for a store read the hub
 * shares with every reader that needs one), then sends `subscribed`, those events and the
 * live events that arrived meanwhile, and goes live: each seq once, in order, no gaps.
 * A cursor the hub can't serve within LIVELINE_MAX_RESUME_EVENTS gets `reset` instead:
 * one reader never costs more than that many events, whatever cursor it sends.
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

  deliver(batch: Batch): void {
    if (this.state === 'live') {
      // The hot path: one comparison, then the batch's bytes as they are (a reader that
      // joined during it already has its first seqs: it gets the rest).
      if (batch.first > this.cursor + 1) {
        // Can't happen (the hub delivers every seq); if it ever did, the reader resubscribes from its cursor.
        this.fail('unavailable', 'delivery skipped events; subscribe again from your cursor', new Error(`feed ${this.feed}: batch from ${batch.first} after ${this.cursor}`));
        return;
      }
      const rest = batch.after(this.cursor);
      if (rest === null) return;
      this.cursor = rest.last;
      this.sink.events(rest);
    } else if (this.state === 'catching-up') {
      for (const d of batch.events) this.buffered.push(d);
    }
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
    // Every stretch of work below runs in a turn of its own: a thousand subscribes arriving
    // at once are served a slice of each loop iteration, with everyone else's traffic in between.
    let turn = await this.access.turn(this.sink.address);
    if (this.ended) return;
    let hub: FeedHub;
    try {
      hub = await this.access.join(this.feed, this);
    } catch (err) {
      if (isAppError(err) && err.code === 'feed_not_found') this.fail('feed_not_found', err.message);
      else this.fail('unavailable', 'could not subscribe right now; try again', err);
      return;
    }
    if (this.ended) {
      // Stopped while joining: its leave() may have come before the hub had it. Leave again.
      this.access.leave(this.feed, this);
      return;
    }
    if (epoch !== undefined && epoch !== hub.epoch) {
      this.reset('epoch_changed');
      return;
    }
    this.cursor = since ?? hub.lastSeq;
    let myTurn = turn.current; // false when joining waited for the hub to start (a store read)
    try {
      for (let round = 0; !this.ended; round++) {
        if (round === MAX_ROUNDS) throw new Error(`feed ${this.feed}: no consistent view after ${round} rounds`);
        if (this.cursor > hub.lastSeq) {
          // Ahead of this node may just mean ahead of the broker: only the store can tell.
          await hub.refresh(this);
          myTurn = false;
          if (this.ended) return;
          if (this.cursor > hub.lastSeq && hub.catchingUp) continue; // the store had more than one read's worth
          if (this.cursor > hub.lastSeq) {
            this.reset('cursor_ahead');
            return;
          }
        }
        if (hub.lastSeq - this.cursor > this.access.resumeLimit) {
          this.reset('too_far_behind');
          return;
        }
        if (this.cursor <= hub.floor) {
          this.reset('history_expired');
          return;
        }
        const missed = hub.recentSince(this.cursor);
        if (missed === null) {
          await hub.backfill(this, this.cursor);
          myTurn = false;
          continue;
        }
        if (missed.length > 0) {
          if (!myTurn) {
            // Replaying is the heavy part: wait for a turn, then look again (the hub moves on meanwhile).
            turn = await this.access.turn(this.sink.address);
            myTurn = turn.current;
            continue;
          }
          if (!this.access.chargeReplay(this.sink.address, missed.length)) {
            this.fail('rate_limited', 'this address has had too many events replayed just now; subscribe again shortly');
            return;
          }
        }
        for (const d of missed) this.send(d);
        if (this.flush(hub.lastSeq)) {
          this.announce(hub);
          return;
        }
      }
    } catch (err) {
      this.fail('unavailable', 'could not catch up right now; subscribe again', err);
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
    if (held.length > 0) this.sink.events(new Batch(held)); // the whole catch-up in one write
  }

  /** Holds `d` for the catch-up if it is the next seq; earlier seqs are duplicates. Returns false on a gap. */
  private send(d: Delivery): boolean {
    if (d.seq <= this.cursor) return true;
    if (d.seq !== this.cursor + 1) return false;
    this.cursor = d.seq;
    this.held?.push(d);
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

  private fail(code: 'feed_not_found' | 'unavailable' | 'rate_limited', message: string, err?: unknown): void {
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

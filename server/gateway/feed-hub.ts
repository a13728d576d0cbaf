import type { Broker, BrokerSubscription } from '../broker/broker';
import type { FeedEvent } from '../domain/types';
import { AppError } from '../errors';
import type { FeedStore } from '../store/feed-store';
import type { Metrics } from '../metrics';
import { toEventFrame, type ResetReason } from './protocol';

/**
 * One event, serialised once as an `event` frame: the same bytes go to every WebSocket
 * reader, and the same SSE message (made on first use) to every SSE reader.
 */
export class Delivery {
  private sseBytes: Buffer | null = null;

  constructor(readonly seq: number, readonly bytes: Buffer) {}

  /** The event as a Server-Sent Events message whose `id:` is the seq. */
  get sse(): Buffer {
    this.sseBytes ??= Buffer.concat([Buffer.from(`id: ${this.seq}\ndata: `), this.bytes, Buffer.from('\n\n')]);
    return this.sseBytes;
  }
}

export function serializeEvent(e: FeedEvent): Delivery {
  return new Delivery(e.seq, Buffer.from(JSON.stringify(toEventFrame(e))));
}

/** A reader's subscription as the hub sees it. */
export interface HubMember {
  /** Called for every event of the feed, in seq order, without gaps. */
  deliver(d: Delivery): void;
  /** The feed's history was replaced; the hub has already dropped this member. */
  reset(reason: ResetReason): void;
}

export interface FeedHubDeps {
  readonly store: FeedStore;
  readonly broker: Broker;
  /** Serialised events kept to serve resumes without a store read. */
  readonly recentSize: number;
  readonly onError: (err: unknown, context: string) => void;
  /** Called when a reset has removed every member: the owner closes the hub. */
  readonly onEmpty: (hub: FeedHub) => void;
  readonly metrics: Metrics;
}

/** Retry delays after a failed store read, ms: doubling from the first to the last. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

type HubState = 'starting' | 'active' | 'closed';

/**
 * One feed on this node: subscribed on the broker only while it has members, it turns
 * the broker's at-most-once stream into a gap-free one. Events are handled strictly one
 * after another; an event beyond `lastSeq + 1` (the broker lost something) makes the hub
 * read the missing events from the store before delivering anything newer, and an event
 * at or below `lastSeq` is a duplicate and dropped.
 */
export class FeedHub {
  private state: HubState = 'starting';
  private readonly members = new Set<HubMember>();
  private readonly recent: Delivery[] = [];
  private readonly incoming: FeedEvent[] = [];
  private mustCheckStore = false;
  private draining = false;
  private subscription: BrokerSubscription | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private _lastSeq = 0;
  private _epoch = '';
  /** Resolves when the hub is active; rejects with `feed_not_found` or a store/broker error. */
  readonly ready: Promise<void>;

  constructor(readonly feedId: string, private readonly deps: FeedHubDeps) {
    this.ready = this.start();
    // Joiners observe the rejection through `ready`; this keeps it from being reported as unhandled.
    this.ready.catch(() => undefined);
  }

  /** The newest seq delivered to members. */
  get lastSeq(): number {
    return this._lastSeq;
  }

  get epoch(): string {
    return this._epoch;
  }

  get size(): number {
    return this.members.size;
  }

  /** A closed hub delivers nothing more; joiners need a new one. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  add(member: HubMember): void {
    if (this.state !== 'closed') this.members.add(member);
  }

  remove(member: HubMember): void {
    this.members.delete(member);
  }

  /** Serialised events after `since`, when the recent buffer still covers them all. */
  recentSince(since: number): readonly Delivery[] | null {
    if (since >= this._lastSeq) return [];
    const first = this.recent[0];
    if (first === undefined || first.seq > since + 1) return null;
    return this.recent.slice(since + 1 - first.seq);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.members.clear();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const sub = this.subscription;
    this.subscription = null;
    await sub?.unsubscribe();
  }

  private async start(): Promise<void> {
    // Subscribe before reading the head so nothing committed after the read is missed.
    const subscription = await this.deps.broker.subscribe(this.feedId, {
      event: (e) => this.receive(e),
      resync: () => {
        this.mustCheckStore = true;
        void this.drain();
      },
    });
    if (this.state === 'closed') {
      await subscription.unsubscribe();
      return;
    }
    this.subscription = subscription;
    const head = await this.deps.store.head(this.feedId).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    if (head === null) {
      await this.close();
      throw new AppError('feed_not_found', `no feed "${this.feedId}"`);
    }
    this._lastSeq = head.seq;
    this._epoch = head.epoch;
    await this.warmRecent();
    if (this.isClosed()) return; // every member left while we read the head
    this.state = 'active';
    void this.drain();
  }

  /**
   * Fills the recent buffer with the feed's last events, so readers resuming here (a
   * node restart sends thousands at once) are served from memory: one store read for the
   * hub instead of one per reader. Best effort: without it each reader reads the store.
   */
  private async warmRecent(): Promise<void> {
    if (this._lastSeq === 0) return;
    const since = Math.max(0, this._lastSeq - this.deps.recentSize);
    const result = await this.deps.store.eventsSince(this.feedId, since, this._epoch).catch((err: unknown) => {
      this.deps.onError(err, `feed ${this.feedId}: warming the recent buffer`);
      return null;
    });
    if (result?.kind !== 'events') return; // a short history (reset) or a failed read: readers use the store
    let expected = since + 1;
    for (const e of result.events) {
      if (e.seq !== expected || e.seq > this._lastSeq) break;
      this.recent.push(serializeEvent(e));
      expected += 1;
    }
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private receive(e: FeedEvent): void {
    this.incoming.push(e);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining || this.state !== 'active') return;
    this.draining = true;
    try {
      while (this.state === 'active' && (this.incoming.length > 0 || this.mustCheckStore)) {
        const e = this.incoming.shift();
        if (e === undefined || e.epoch !== this._epoch || e.seq > this._lastSeq + 1) {
          // A gap, a resync, or another epoch: the store knows what really happened.
          this.mustCheckStore = false;
          this.deps.metrics.gapsDetected.inc();
          await this.catchUpFromStore();
        } else if (e.seq === this._lastSeq + 1) {
          this.emit(e);
        }
      }
      this.failures = 0;
    } catch (err) {
      // The store is unreachable: keep what we have and try again after a backoff, even
      // if the feed goes quiet (events still queued stay queued, in order).
      this.mustCheckStore = true;
      this.deps.onError(err, `feed ${this.feedId}: catching up from the store`);
      this.scheduleRetry();
    } finally {
      this.draining = false;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.state !== 'active') return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.drain();
    }, delay);
    this.retryTimer.unref();
  }

  private async catchUpFromStore(): Promise<void> {
    const result = await this.deps.store.eventsSince(this.feedId, this._lastSeq, this._epoch);
    if (result === null) {
      this.resetAll('epoch_changed');
      return;
    }
    if (result.kind === 'reset') {
      this.resetAll(result.reason);
      this._lastSeq = result.head.seq;
      this._epoch = result.head.epoch;
      this.recent.length = 0;
      return;
    }
    let filled = 0;
    for (const e of result.events) {
      if (e.seq !== this._lastSeq + 1) continue;
      this.emit(e);
      filled += 1;
    }
    this.deps.metrics.gapEventsFilled.inc(filled);
  }

  private emit(e: FeedEvent): void {
    this.deps.metrics.publishToDeliver.observe(Math.max(0, Date.now() - Date.parse(e.at)) / 1000);
    const d = serializeEvent(e);
    this._lastSeq = e.seq;
    this.recent.push(d);
    if (this.recent.length > this.deps.recentSize) this.recent.shift();
    for (const m of this.members) m.deliver(d);
  }

  private resetAll(reason: ResetReason): void {
    const members = [...this.members];
    this.members.clear();
    for (const m of members) m.reset(reason);
    this.deps.onEmpty(this);
  }
}

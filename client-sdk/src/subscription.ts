import { Emitter } from './emitter';
import { LiveError } from './errors';
import type { ClientFrame, ServerFrame } from './protocol';
import type { Entry, FeedEventData, FeedEventType, FeedSnapshot, LiveEvent, LiveEventOf } from './types';

/**
 * - `loading`     waiting for the snapshot (first load, or reload after a reset); no cursor
 * - `subscribing` has a cursor; waiting for a connection or for the server's `subscribed`
 * - `live`        the server confirmed the subscription; events flow
 * - `closed`      unsubscribed, or the feed does not exist; final
 */
export type SubscriptionState = 'loading' | 'subscribing' | 'live' | 'closed';

export interface SubscribeOptions {
  /** Resume after this seq (e.g. one saved by the page) instead of loading a snapshot. */
  since?: number;
  /** The epoch `since` belongs to. Without it the server's current epoch is assumed. */
  epoch?: string;
  /**
   * Start from this snapshot, which the page shows already (e.g. one embedded in markup the
   * server rendered): no snapshot is loaded and no `snapshot` event fires for it; delivery
   * resumes after its seq, in its epoch, and its entries count as delivered (an older
   * revision of them is never delivered, and `latest()` knows them). Not with `since`.
   */
  snapshot?: FeedSnapshot;
}

type Typed = { [T in FeedEventType]: [data: FeedEventData[T], event: LiveEventOf<T>] };

export interface SubscriptionEvents extends Typed {
  /**
   * The feed as of `sub.seq`; 'reset' when reloaded because the cursor became unusable. Its
   * entries are never older than copies delivered before (see Subscription).
   */
  snapshot: [snapshot: FeedSnapshot, reason: 'initial' | 'reset'];
  /** Every delivered event, after its typed event. */
  event: [event: LiveEvent];
  /** The server can't continue from the cursor; a fresh snapshot follows. */
  reset: [reason: string];
  state: [state: SubscriptionState];
}

/** What a Subscription needs from its client. */
export interface SubscriptionHost {
  /** Sends a frame if the socket is open; returns whether it was sent. */
  send(frame: ClientFrame): boolean;
  /** `fresh`: past every cache on the way (after a reset, a cached copy could be the very state that was reset). */
  load(feed: string, fresh: boolean): Promise<FeedSnapshot>;
  report(error: LiveError): void;
  delay(attempt: number): number;
  /** Whether the client is between connect() and disconnect(): network work is allowed. */
  active(): boolean;
  remove(sub: Subscription): void;
}

const KNOWN: readonly string[] = ['entry.created', 'entry.updated', 'entry.deleted', 'feed.updated'];

const rev = (e: Entry): number => e.revision ?? 0;

/**
 * One feed on one client. It owns the cursor (`seq`, `epoch`): events at or below `seq` are
 * dropped as duplicates, the next one is delivered and advances it, one beyond it (a gap)
 * is not delivered and the subscription asks the server again from `seq`. Create it with
 * `client.subscribe()`.
 *
 * It never takes the page back to an older revision of an entry (events reordered upstream,
 * a snapshot or page answered from an older read): it keeps the newest copy of every entry
 * it delivered, skips an `entry.created`/`entry.updated` carrying a lower revision than that
 * copy or naming a deleted entry (neither its typed event nor `event` fires; the cursor moves
 * past it), puts that copy in place of an older one in a reloaded snapshot and leaves deleted
 * entries out of it. `latest()` does the same for entries the page loads itself.
 */
export class Subscription extends Emitter<SubscriptionEvents> {
  private lastSeq: number | undefined;
  private lastEpoch: string | undefined;
  private s: SubscriptionState;
  private reason: 'initial' | 'reset' = 'initial';
  /** The feed has existed (a snapshot loaded or the server confirmed it): a later 404 means the store lost it. */
  private seen = false;
  /** A subscribe frame went out on the current socket. */
  private sent = false;
  /** Bumped to forget an in-flight snapshot load. */
  private token = 0;
  /** Snapshot retry while loading, resubscribe retry otherwise. */
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  /** The newest copy of each entry delivered in `kept` (null once deleted): what readers may not go back from. */
  private readonly copies = new Map<string, Entry | null>();
  private kept: string | undefined;

  /** @internal */
  constructor(
    readonly feed: string,
    options: SubscribeOptions,
    private readonly host: SubscriptionHost,
  ) {
    super();
    const snap = options.snapshot;
    this.lastSeq = snap ? snap.seq : options.since;
    this.lastEpoch = snap ? snap.epoch : options.epoch;
    if (snap) {
      this.seen = true;
      this.kept = snap.epoch;
      for (const e of snap.entries) this.copies.set(e.id, e);
    }
    this.s = this.lastSeq === undefined ? 'loading' : 'subscribing';
  }

  /** Last delivered (or snapshot) seq: the cursor delivery resumes from; undefined while loading. */
  get seq(): number | undefined {
    return this.lastSeq;
  }

  /** The epoch `seq` belongs to; undefined while loading or until the server names it. */
  get epoch(): string | undefined {
    return this.lastEpoch;
  }

  get state(): SubscriptionState {
    return this.s;
  }

  /**
   * The copy of `entry` to show, for entries the page loaded itself (older pages, GET
   * …/entries?before=): the one this subscription delivered unless `entry` has a higher
   * revision, or null when the entry was deleted.
   */
  latest(entry: Entry): Entry | null {
    const held = this.copies.get(entry.id);
    return held === undefined || (held && rev(entry) > rev(held)) ? entry : held;
  }

  /** Stops delivery and forgets the subscription; the client can subscribe to the feed again. */
  unsubscribe(): void {
    if (this.s === 'closed') return;
    if (this.sent) this.host.send({ type: 'unsubscribe', feed: this.feed });
    this.close();
  }

  /** @internal The client became active, or the subscription was just created. */
  _resume(): void {
    if (this.s === 'loading') this.load();
    else this.subscribe();
  }

  /** @internal The socket opened. */
  _open(): void {
    if (this.s !== 'loading') this.subscribe();
  }

  /** @internal The socket is gone (the client reconnects, or was stopped). */
  _drop(): void {
    this.sent = false;
    if (this.s === 'loading') return;
    clearTimeout(this.timer);
    if (this.s === 'live') this.setState('subscribing');
  }

  /** @internal The client stopped (disconnect() or a do-not-reconnect close): no more I/O. */
  _pause(): void {
    this._drop();
    clearTimeout(this.timer);
    this.token++;
  }

  /** @internal A frame about this feed. */
  _frame(frame: ServerFrame): void {
    // While loading there is no cursor to speak of, and a reload is already under way.
    if (this.s === 'loading' || this.s === 'closed') return;
    if (frame.type === 'reset') {
      this.reset(frame.reason);
    } else if (frame.type === 'subscribed') {
      if (this.lastEpoch !== undefined && frame.epoch !== this.lastEpoch) return this.reset('epoch_changed');
      this.lastSeq ??= frame.seq;
      this.lastEpoch ??= frame.epoch;
      this.seen = true;
      this.attempt = 0;
      this.setState('live');
    } else if (frame.type === 'event') {
      this.event(frame);
    } else if (frame.type === 'error') {
      // A feed that existed and vanished was lost by the store (e.g. Redis restarted
      // without persistence): reload until it is back rather than give up on the page.
      if (frame.code === 'feed_not_found') {
        if (this.seen) this.reset('feed_not_found');
        else this.close();
      }
      else if (frame.code === 'too_many_subscriptions' || frame.code === 'invalid_field') {
        this.close(); // refused for good on this connection: reported through the client's 'error'
      }
      else if (frame.code === 'unavailable' || frame.code === 'rate_limited') {
        // The server could not serve the subscription now (its store is down, or this
        // connection sent subscribe frames beyond its budget): ask again after a backoff delay.
        this.setState('subscribing');
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.subscribe(), this.host.delay(this.attempt++));
      }
    }
  }

  private event(frame: Extract<ServerFrame, { type: 'event' }>): void {
    const seq = this.lastSeq ?? 0;
    if (this.lastEpoch !== undefined && frame.epoch !== this.lastEpoch) return this.reset('epoch_changed');
    if (frame.seq <= seq) return; // duplicate
    if (frame.seq > seq + 1) {
      // Gap: never deliver out of order; ask the server to fill it from our cursor, once.
      if (this.s === 'live') this.subscribe();
      return;
    }
    this.lastSeq = frame.seq;
    this.lastEpoch = this.kept = frame.epoch;
    if (!KNOWN.includes(frame.event)) return; // a newer server's event type: skipped, cursor kept dense
    const e = frame.data as Entry;
    if (frame.event === 'entry.deleted') this.copies.set(e.id, null);
    else if (frame.event !== 'feed.updated') {
      const held = this.copies.get(e.id);
      // An older revision than one delivered (or a deleted entry): skipped, like an unknown type.
      if (held === null || (held && rev(e) < rev(held))) return;
      this.copies.set(e.id, e);
    }
    const event = {
      feed: this.feed,
      seq: frame.seq,
      epoch: frame.epoch,
      type: frame.event,
      data: frame.data,
    } as LiveEvent;
    // The union of typed signatures can't be correlated with `event.type` by the compiler.
    (this.emit as (name: string, ...args: unknown[]) => void)(event.type, event.data, event);
    this.emit('event', event);
  }

  /** The cursor is unusable: tell the page, reload the snapshot, resubscribe from it. */
  private reset(reason: string): void {
    this.lastSeq = this.lastEpoch = undefined;
    this.reason = 'reset';
    this.setState('loading');
    this.emit('reset', reason);
    if (this.s === 'loading') this.load();
  }

  private load(): void {
    clearTimeout(this.timer);
    const token = ++this.token;
    if (!this.host.active()) return; // connect() resumes it
    this.host.load(this.feed, this.reason === 'reset').then(
      (snapshot) => {
        if (token !== this.token) return;
        this.attempt = 0;
        this.seen = true;
        this.lastSeq = snapshot.seq;
        this.lastEpoch = snapshot.epoch;
        // Another epoch is another history: its revisions are not comparable with ours.
        if (this.kept !== snapshot.epoch) this.copies.clear();
        this.kept = snapshot.epoch;
        const entries: Entry[] = [];
        for (const e of snapshot.entries) {
          const held = this.copies.get(e.id);
          if (held === null) continue; // deleted: the snapshot came from an older read
          // At an equal revision the snapshot's copy is current: delivery resumes after it.
          const copy = held && rev(held) > rev(e) ? held : e;
          this.copies.set(e.id, copy);
          entries.push(copy);
        }
        this.setState('subscribing');
        this.emit('snapshot', { ...snapshot, entries }, this.reason);
        // Only now subscribe, from the snapshot's cursor: nothing in between is lost.
        if (this.s === 'subscribing' && this.lastSeq === snapshot.seq) this.subscribe();
      },
      (error: unknown) => {
        if (token !== this.token) return;
        const e =
          error instanceof LiveError
            ? error
            : new LiveError('snapshot_failed', `snapshot of "${this.feed}" failed`, { feed: this.feed, cause: error });
        this.host.report(e);
        if (e.code === 'feed_not_found' && !this.seen) this.close();
        else this.timer = setTimeout(() => this.load(), this.host.delay(this.attempt++));
      },
    );
  }

  private subscribe(): void {
    if (this.lastSeq === undefined) return;
    this.setState('subscribing');
    if (this.host.send({ type: 'subscribe', feed: this.feed, since: this.lastSeq, epoch: this.lastEpoch })) this.sent = true;
  }

  private close(): void {
    this.token++;
    clearTimeout(this.timer);
    this.sent = false;
    this.host.remove(this);
    this.setState('closed');
  }

  private setState(next: SubscriptionState): void {
    if (next === this.s) return;
    this.s = next;
    this.emit('state', next);
  }
}

import type { Broker, BrokerSubscription } from '../broker/broker';
import type { FeedEvent } from '../domain/types';
import { AppError } from '../errors';
import type { FeedHead, FeedStore } from '../store/feed-store';
import type { Metrics } from '../metrics';
import { Broadcast } from './broadcast';
import { serializeEvent, type Batch, type Delivery } from './delivery';
import type { FanOutScheduler } from './fan-out';
import type { ResetReason } from './protocol';

/** A reader's subscription as the hub sees it. */
export interface HubMember {
  /**
   * Called with every event of the feed, in seq order, without gaps, in batches: a member
   * that joined during one may get seqs it already has (it drops them).
   */
  deliver(batch: Batch): void;
  /** The feed's history was replaced; the hub has already dropped this member. */
  reset(reason: ResetReason): void;
}

/** Why the hub read the store (the `reason` label of liveline_store_reads_total). */
export type StoreReadReason = 'catch_up' | 'backfill' | 'hub_start' | 'head_check';

export interface FeedHubDeps {
  readonly store: FeedStore;
  readonly broker: Broker;
  /**
   * Events kept in memory to serve resumes (LIVELINE_MAX_RESUME_EVENTS); a resume never
   * needs more, because a reader further behind is reset instead.
   */
  readonly recentSize: number;
  /** How long a hub without members stays subscribed before it closes, ms. */
  readonly lingerMs: number;
  readonly onError: (err: unknown, context: string) => void;
  /** The hub has had no members for lingerMs: the owner closes it. */
  readonly onIdle: (hub: FeedHub) => void;
  readonly metrics: Metrics;
  /** The node's writing schedule, shared by every hub. */
  readonly fanOut: FanOutScheduler;
}

/** Head reads asked for by cursors ahead of the hub are at most this often, ms. */
const MIN_HEAD_READ_GAP_MS = 100;

const closedWhileStarting = (feedId: string): AppError => new AppError('unavailable', `feed ${feedId}: closed while starting; subscribe again`);

/** A promise and the functions that settle it: whoever waits for the hub's next read. */
interface Waiters {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Waiters {
  let resolve: () => void = () => undefined;
  let reject: (err: unknown) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Retry delays after a failed store read, ms: doubling from the first to the last. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

type HubState = 'starting' | 'active' | 'closed';

/**
 * One feed on this node, subscribed on the broker while it has members (and for a short
 * linger after the last one leaves, so readers flapping in and out don't cost a broker
 * subscription and a store read each time).
 *
 * Readers only ever get what the store holds. The broker's announcements are hints that
 * the store is ahead; the hub reads the missing events from the store and delivers them
 * in seq order, each serialised once for every member. A forged or stale announcement
 * costs one read and delivers nothing.
 *
 * Every store read for the feed is the hub's, one at a time, shared by everyone who needs
 * it: announcements arriving during a read become one more read; the first reader resuming
 * from an older cursor (`backfill`) makes the hub read its whole resume window (the newest
 * `recentSize` events), which then stays in memory, so later resumes cost no read at all;
 * cursors ahead of the hub share one head read per 100 ms. Only readers still waiting when
 * a read starts count: one that left meanwhile is not read for.
 */
export class FeedHub {
  private state: HubState = 'starting';
  private readonly members = new Set<HubMember>();
  private readonly broadcast: Broadcast;
  /** The newest events, contiguous, ending at lastSeq (empty until something needs them). */
  private recent: Delivery[] = [];
  private subscription: BrokerSubscription | null = null;
  private _lastSeq = 0;
  private _epoch = '';
  /** Cursors at or below this can't be served: the store's history no longer reaches back. */
  private _floor = -1;
  /** The store's history is shorter than the resume window: backfill only what readers need. */
  private shortHistory = false;
  /** The store may hold events beyond lastSeq (an announcement, a resync, a failed read). */
  private storeAhead = false;
  /** The newest seq announced; an announcement beyond the next one means the broker lost some. */
  private announcedSeq = 0;
  /** Members waiting for a read: the cursor each needs served (backfill) or null (the head). */
  private readonly wants = new Map<HubMember, number | null>();
  private reading = false;
  private waiters: Waiters | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private deferTimer: NodeJS.Timeout | null = null;
  private lastReadAt = 0;
  /** The next read is a head check (checkHead), not news of a change. */
  private checkingHead = false;
  private lingerTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  /** Resolves when the hub is active; rejects with `feed_not_found` or a store/broker error. */
  readonly ready: Promise<void>;
  private readonly closedSignal = deferred();

  constructor(readonly feedId: string, private readonly deps: FeedHubDeps) {
    this.broadcast = new Broadcast(this.members, (batch) => {
      deps.metrics.fanOutBatch.observe(batch.size);
      const now = Date.now();
      for (const d of batch.events) deps.metrics.publishToDeliver.observe(Math.max(0, now - d.committedAt) / 1000);
    });
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

  /** Cursors at or below this are older than the store's history. */
  get floor(): number {
    return this._floor;
  }

  get size(): number {
    return this.members.size;
  }

  /** The store may hold events this hub hasn't read yet (a read is running or due). */
  get catchingUp(): boolean {
    return this.reading || this.storeAhead;
  }

  /** A closed hub delivers nothing more; joiners need a new one. */
  get closed(): boolean {
    return this.state === 'closed';
  }

  add(member: HubMember): void {
    if (this.state === 'closed') return;
    this.members.add(member);
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    this.pump(); // announcements heard while lingering are read now
  }

  remove(member: HubMember): void {
    this.members.delete(member);
    this.wants.delete(member);
    if (this.members.size === 0) this.linger();
  }

  /** Serialised events after `since` when the memory still holds them all; null when a read is needed. */
  recentSince(since: number): readonly Delivery[] | null {
    if (since >= this._lastSeq) return [];
    const first = this.recent[0];
    if (first === undefined || first.seq > since + 1) return null;
    return this.recent.slice(since + 1 - first.seq);
  }

  /**
   * Resolves after a store read that started after this call and covered `member`'s
   * cursor (unless the member left first); rejects when that read failed.
   */
  backfill(member: HubMember, since: number): Promise<void> {
    if (this.recentSince(since) !== null || since <= this._floor) return Promise.resolve();
    this.wants.set(member, since);
    return this.nextRead();
  }

  /** Resolves after a read of the store's head that started after this call. */
  refresh(member: HubMember): Promise<void> {
    if (!this.wants.has(member)) this.wants.set(member, null);
    return this.nextRead();
  }

  /**
   * Reads the store's head if the hub has members and hasn't read for `quietMs`. A change
   * whose announcement never came (its node died between the write and the publish, or
   * the broker dropped it) is found here even when the feed then goes quiet.
   */
  checkHead(quietMs: number): void {
    if (this.state !== 'active' || this.members.size === 0 || this.reading || Date.now() - this.lastReadAt < quietMs) return;
    this.storeAhead = true;
    this.checkingHead = true;
    this.pump();
  }

  /** Resolves once the hub has closed (for whatever reason). */
  get whenClosed(): Promise<void> {
    return this.closedSignal.promise;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closedSignal.resolve();
    this.members.clear();
    this.wants.clear();
    this.recent = [];
    this.broadcast.clear();
    this.deps.fanOut.cancel(this.broadcast);
    for (const timer of [this.retryTimer, this.lingerTimer, this.deferTimer]) if (timer !== null) clearTimeout(timer);
    this.retryTimer = this.lingerTimer = this.deferTimer = null;
    this.waiters?.resolve();
    this.waiters = null;
    const sub = this.subscription;
    this.subscription = null;
    await sub?.unsubscribe();
  }

  private async start(): Promise<void> {
    // Subscribe before reading the head so nothing committed after the read is missed.
    const subscription = await this.deps.broker.subscribe(this.feedId, {
      announce: (head) => this.announced(head),
      resync: () => this.announced(null),
    });
    if (this.closed) {
      await subscription.unsubscribe();
      throw closedWhileStarting(this.feedId);
    }
    this.subscription = subscription;
    this.counted('hub_start');
    const head = await this.deps.store.head(this.feedId).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    if (head === null) {
      await this.close();
      throw new AppError('feed_not_found', `no feed "${this.feedId}"`);
    }
    if (this.closed) throw closedWhileStarting(this.feedId); // closed while we read the head
    this._lastSeq = head.seq;
    this._epoch = head.epoch;
    this.announcedSeq = Math.max(this.announcedSeq, head.seq);
    this.lastReadAt = Date.now();
    this.state = 'active';
    this.pump();
  }

  /** An announcement (or a resync, null): read the store if it may be ahead of us. */
  private announced(head: FeedHead | null): void {
    if (head === null || (head.epoch === this._epoch && head.seq > this.announcedSeq + 1 && this.state === 'active')) {
      // The broker lost announcements (or says it may have): the next read fills the hole.
      this.deps.metrics.gapsDetected.inc();
      if (head !== null) this.deps.metrics.gapEventsFilled.inc(head.seq - this.announcedSeq - 1);
    }
    if (head !== null && head.epoch === this._epoch) this.announcedSeq = Math.max(this.announcedSeq, head.seq);
    if (head !== null && head.epoch === this._epoch && head.seq <= this._lastSeq) return; // old news
    this.storeAhead = true;
    this.pump();
  }

  private nextRead(): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new AppError('unavailable', `feed ${this.feedId}: this node stopped serving it; subscribe again`));
    this.waiters ??= deferred();
    const { promise } = this.waiters;
    this.pump();
    return promise;
  }

  /** Starts the next store read if one is needed and none is running. */
  private pump(): void {
    if (this.reading || this.state !== 'active') return;
    let wanted: number | null = null;
    let headWanted = this.storeAhead && this.members.size > 0;
    for (const since of this.wants.values()) {
      if (since === null) headWanted = true;
      else if (this.recentSince(since) === null && since > this._floor) wanted = Math.min(wanted ?? since, since);
    }
    let from: number | null = null;
    let reason: StoreReadReason = 'catch_up';
    if (wanted !== null) {
      // Fill the whole resume window at once: whatever cursors come next (a herd after a
      // restart, or someone probing cursor by cursor), one read per hub serves them all.
      const window = Math.max(0, this._lastSeq - this.deps.recentSize);
      from = this.shortHistory || window <= this._floor ? wanted : Math.min(wanted, window);
      reason = 'backfill';
    } else if (headWanted) {
      from = this._lastSeq;
      if (this.checkingHead) reason = 'head_check';
    }
    this.checkingHead = false;
    if (from === null) {
      this.wants.clear();
      this.waiters?.resolve(); // nothing to read for them: what they need is here
      this.waiters = null;
      return;
    }
    const wait = this.lastReadAt + MIN_HEAD_READ_GAP_MS - Date.now();
    if (wanted === null && !this.storeAhead && wait > 0) {
      // Only cursors "ahead" of us ask, and the store was read a moment ago: one read for all
      // of them shortly, rather than one each (readers that really are ahead wait 100 ms more).
      this.deferTimer ??= setTimeout(() => {
        this.deferTimer = null;
        this.pump();
      }, wait);
      this.deferTimer.unref();
      return;
    }
    const waiters = this.waiters;
    this.waiters = null;
    this.wants.clear();
    this.lastReadAt = Date.now();
    this.storeAhead = false;
    this.reading = true;
    this.counted(reason);
    const epoch = this._epoch;
    // A head read starts one event early when we hold the last event we delivered, to check
    // it is still the store's: after a Redis failover that lost it, another change may hold
    // its seq now, and without the overlap no later read would notice.
    const held = this.recent[this.recent.length - 1];
    const overlap = from === this._lastSeq && held !== undefined && held.seq === from && from > 0 ? held : null;
    const readFrom = overlap !== null ? from - 1 : from;
    this.deps.store.eventsSince(this.feedId, readFrom, epoch, 2 * this.deps.recentSize).then(
      (result) => {
        // Done before waking the waiters: they look at lastSeq and catchingUp at once.
        this.reading = false;
        this.failures = 0;
        if (this.state === 'active' && epoch === this._epoch) {
          if (overlap === null) this.apply(from, result);
          else this.applyOverlapping(overlap, result);
        }
        waiters?.resolve();
        this.pump();
      },
      (err: unknown) => {
        // Keep what we have; readers waiting are told `unavailable` and retry, and the hub
        // asks again after a backoff even if the feed goes quiet.
        this.reading = false;
        this.deps.onError(err, `feed ${this.feedId}: reading the store`);
        this.storeAhead = true;
        waiters?.reject(err);
        this.scheduleRetry();
      },
    );
  }

  private apply(from: number, result: Awaited<ReturnType<FeedStore['eventsSince']>>): void {
    if (result === null) {
      // The feed is gone (e.g. Redis lost its data): readers reload and wait for it to return.
      this.resetAll('epoch_changed');
      return;
    }
    if (result.kind === 'reset') {
      if (result.reason === 'history_expired' && from < this._lastSeq) {
        // An old cursor: only the readers behind it are affected (they will be reset).
        this._floor = Math.max(this._floor, from);
        this.shortHistory = true;
        if (result.head.seq > this._lastSeq) this.storeAhead = true;
        return;
      }
      // Our own position is gone (another epoch, or the history moved past us): start over.
      this.resetAll(result.reason);
      this.restartAt(result.head);
      return;
    }
    const firstHeld = this.recent[0]?.seq ?? this._lastSeq + 1;
    const older: Delivery[] = [];
    const lastSeq = this._lastSeq;
    for (const e of result.events) {
      if (e.seq < firstHeld) older.push(serializeEvent(e));
      else if (e.seq === this._lastSeq + 1) this.emit(e);
    }
    if (this._lastSeq > lastSeq) this.deps.fanOut.wake(this.broadcast);
    if (older.length > 0 && older[older.length - 1]?.seq === firstHeld - 1) this.recent = [...older, ...this.recent];
    this.trim();
    if (result.head.seq > this._lastSeq) this.storeAhead = true; // more than one read's worth
  }

  /**
   * A head read that began at our last delivered event: if the store holds another event at
   * that seq (or none), the history we delivered was rewritten under us — every reader
   * reloads. Otherwise it is an ordinary read from lastSeq.
   */
  private applyOverlapping(held: Delivery, result: Awaited<ReturnType<FeedStore['eventsSince']>>): void {
    if (result !== null && result.kind === 'events') {
      const [first, ...rest] = result.events;
      const same = first !== undefined && first.seq === held.seq && serializeEvent(first).frame.equals(held.frame);
      if (!same && (first !== undefined || result.head.seq < held.seq)) {
        this.deps.onError(new Error(`feed ${this.feedId}: the store no longer holds the event delivered at seq ${held.seq} (a Redis failover lost it?)`), 'feed hub');
        this.resetAll('epoch_changed');
        this.restartAt(result.head);
        return;
      }
      this.apply(held.seq, { ...result, events: rest });
      return;
    }
    // A reset or a vanished feed: the same as for a read from lastSeq (the history is gone past us).
    this.apply(held.seq, result);
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== null || this.state !== 'active') return;
    const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, delay);
    this.retryTimer.unref();
  }

  private emit(e: FeedEvent): void {
    const d = serializeEvent(e);
    this._lastSeq = e.seq;
    this.recent.push(d);
    if (this.recent.length > this.deps.recentSize) this.recent.shift();
    this.broadcast.push(d);
  }

  private trim(): void {
    const excess = this.recent.length - this.deps.recentSize;
    if (excess > 0) this.recent = this.recent.slice(excess);
  }

  /** After a reset: the hub continues from the store's head, holding nothing older. */
  private restartAt(head: FeedHead): void {
    this._lastSeq = head.seq;
    this._epoch = head.epoch;
    this.announcedSeq = head.seq;
    this._floor = -1;
    this.recent = [];
  }

  private resetAll(reason: ResetReason): void {
    const members = [...this.members];
    this.broadcast.clear(); // the old history's events: no one may get them now
    this.members.clear();
    this.wants.clear();
    for (const m of members) m.reset(reason);
    this.linger();
  }

  private linger(): void {
    if (this.lingerTimer !== null || this.state === 'closed') return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      if (this.members.size === 0) this.deps.onIdle(this);
    }, this.deps.lingerMs);
    this.lingerTimer.unref();
  }

  private counted(reason: StoreReadReason): void {
    this.deps.metrics.storeReads.inc({ reason });
  }
}

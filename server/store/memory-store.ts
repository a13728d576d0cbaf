import { nanoid } from 'nanoid';
import { AppError } from '../errors';
import type { Entry, EntryPage, EntryVersion, Feed, FeedEvent, FeedSnapshot } from '../domain/types';
import type { EntryPatch, FeedPatch, NewEntry, NewFeed } from '../domain/validate';
import {
  applyEntryPatch, applyFeedPatch, checkRevision, classifyCursor, newEntry, newFeed, parseBeforeCursor, pinnedCap, tooManyPinned, versionOf,
} from './feed-state';
import type {
  EntryCreated, EntryWritten, EventsSince, FeedHead, FeedStore, IdempotencyRequest, WriteContext,
} from './feed-store';

export interface MemoryStoreOptions {
  /** Events kept per feed for resume. */
  readonly historySize: number;
  /** Called with each committed event, in seq order; the composition root wires it to the broker. */
  readonly publish: (event: FeedEvent) => void;
  /** How long an Idempotency-Key is remembered, in ms. Default 24 h. */
  readonly idempotencyTtlMs?: number;
  /**
   * Pinned entries a feed may hold (LIVELINE_MAX_PINNED_PER_FEED); pinning one more is
   * refused with `too_many_pinned`. Default DEFAULT_MAX_PINNED_PER_FEED (5), as in the config.
   */
  readonly maxPinnedPerFeed?: number;
  readonly now?: () => Date;
}

interface StoredEntry {
  entry: Entry;
  /** Position in the feed's timeline: the seq of its `entry.created`. */
  readonly order: number;
  /** Every version of its content, oldest first. */
  readonly versions: EntryVersion[];
}

interface IdempotencyRecord {
  readonly fingerprint: string;
  readonly result: EntryWritten;
  readonly expiresAt: number;
}

interface FeedState {
  feed: Feed;
  readonly epoch: string;
  seq: number;
  /** Timeline, oldest first; deleted entries are removed. */
  readonly timeline: StoredEntry[];
  readonly byId: Map<string, StoredEntry>;
  /** The newest `historySize` events, oldest first. */
  readonly events: FeedEvent[];
  readonly idempotency: Map<string, IdempotencyRecord>;
}

/**
 * The embedded store: everything in this process's memory, lost on restart. Each write
 * runs synchronously to completion before it publishes, which is what makes it atomic.
 */
export class MemoryStore implements FeedStore {
  private readonly feeds = new Map<string, FeedState>();
  private readonly ttlMs: number;
  private readonly maxPinned: number;
  private readonly now: () => Date;

  constructor(private readonly options: MemoryStoreOptions) {
    this.ttlMs = options.idempotencyTtlMs ?? 24 * 60 * 60 * 1000;
    this.maxPinned = pinnedCap(options.maxPinnedPerFeed);
    this.now = options.now ?? (() => new Date());
  }

  async createFeed(input: NewFeed, _ctx: WriteContext): Promise<Feed> {
    const id = input.id ?? nanoid(12).toLowerCase().replace(/[^a-z0-9]/g, 'x');
    if (this.feeds.has(id)) throw new AppError('feed_exists', `feed "${id}" already exists`);
    const feed = newFeed(id, input, this.now());
    this.feeds.set(id, {
      feed, epoch: nanoid(10), seq: 0, timeline: [], byId: new Map(), events: [], idempotency: new Map(),
    });
    return feed;
  }

  async updateFeed(feedId: string, patch: FeedPatch, ctx: WriteContext, expectedRevision?: number): Promise<{ feed: Feed; seq: number }> {
    const state = this.state(feedId);
    const now = this.now();
    state.feed = applyFeedPatch(state.feed, patch, now, expectedRevision);
    const seq = this.append(state, now, ctx, { type: 'feed.updated', data: state.feed });
    return { feed: state.feed, seq };
  }

  async getFeed(feedId: string): Promise<Feed | null> {
    return this.feeds.get(feedId)?.feed ?? null;
  }

  async createEntry(feedId: string, input: NewEntry, ctx: WriteContext, idem?: IdempotencyRequest): Promise<EntryCreated> {
    const state = this.state(feedId);
    const nowDate = this.now();
    if (idem !== undefined) {
      const record = state.idempotency.get(idem.key);
      if (record !== undefined && record.expiresAt > nowDate.getTime()) {
        if (record.fingerprint !== idem.fingerprint) {
          throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
        }
        return { ...record.result, replayed: true };
      }
    }
    if (input.pinned) this.checkPinnedCap(state);
    const entry = newEntry(feedId, nanoid(12), input, nowDate);
    const stored: StoredEntry = { entry, order: state.seq + 1, versions: [versionOf(entry, ctx.actor) as EntryVersion] };
    state.timeline.push(stored);
    state.byId.set(entry.id, stored);
    const seq = this.append(state, nowDate, ctx, { type: 'entry.created', data: entry });
    if (idem !== undefined) {
      this.expireIdempotency(state, nowDate.getTime());
      state.idempotency.delete(idem.key); // re-inserted at the end: insertion order stays expiry order
      state.idempotency.set(idem.key, { fingerprint: idem.fingerprint, result: { entry, seq }, expiresAt: nowDate.getTime() + this.ttlMs });
    }
    return { entry, seq, replayed: false };
  }

  async updateEntry(feedId: string, entryId: string, patch: EntryPatch, ctx: WriteContext, expectedRevision?: number): Promise<EntryWritten> {
    const state = this.state(feedId);
    const stored = this.stored(state, entryId);
    const now = this.now();
    const entry = applyEntryPatch(stored.entry, patch, now, expectedRevision);
    if (entry.pinned && !stored.entry.pinned) this.checkPinnedCap(state);
    const version = versionOf(entry, ctx.actor, stored.entry);
    if (version !== null) stored.versions.push(version);
    stored.entry = entry;
    const seq = this.append(state, now, ctx, { type: 'entry.updated', data: stored.entry });
    return { entry: stored.entry, seq };
  }

  async deleteEntry(feedId: string, entryId: string, ctx: WriteContext, expectedRevision?: number): Promise<{ seq: number }> {
    const state = this.state(feedId);
    const stored = this.stored(state, entryId);
    checkRevision('entry', stored.entry, expectedRevision);
    state.byId.delete(entryId);
    state.timeline.splice(state.timeline.indexOf(stored), 1);
    return { seq: this.append(state, this.now(), ctx, { type: 'entry.deleted', data: { id: entryId } }) };
  }

  async revisions(feedId: string, entryId: string): Promise<readonly EntryVersion[]> {
    return [...this.stored(this.state(feedId), entryId).versions];
  }

  async snapshot(feedId: string, limit: number): Promise<FeedSnapshot | null> {
    const state = this.feeds.get(feedId);
    if (state === undefined) return null;
    const pinned = state.timeline.filter((s) => s.entry.pinned).reverse().map((s) => s.entry);
    const page = this.page(state, Number.MAX_SAFE_INTEGER, limit);
    return { feed: state.feed, entries: [...pinned, ...page.entries], nextBefore: page.nextBefore, seq: state.seq, epoch: state.epoch };
  }

  async listEntries(feedId: string, before: string | null, limit: number): Promise<EntryPage | null> {
    const state = this.feeds.get(feedId);
    if (state === undefined) return null;
    return this.page(state, before === null ? Number.MAX_SAFE_INTEGER : parseBeforeCursor(before), limit);
  }

  async head(feedId: string): Promise<FeedHead | null> {
    const state = this.feeds.get(feedId);
    return state === undefined ? null : { seq: state.seq, epoch: state.epoch };
  }

  async eventsSince(feedId: string, since: number, epoch?: string, limit?: number): Promise<EventsSince | null> {
    const state = this.feeds.get(feedId);
    if (state === undefined) return null;
    const head = { seq: state.seq, epoch: state.epoch };
    const oldest = state.events[0]?.seq ?? state.seq + 1;
    const reason = classifyCursor(since, epoch, head, oldest);
    if (reason !== null) return { kind: 'reset', head, reason };
    const from = state.events.length - (state.seq - since);
    return { kind: 'events', head, events: state.events.slice(from, limit === undefined ? undefined : from + limit) };
  }

  async close(): Promise<void> {
    // Nothing to release: the memory goes with the process.
  }

  private page(state: FeedState, beforeOrder: number, limit: number): EntryPage {
    const entries: Entry[] = [];
    let last: StoredEntry | undefined;
    let more = false;
    for (let i = state.timeline.length - 1; i >= 0; i--) {
      const s = state.timeline[i] as StoredEntry;
      if (s.order >= beforeOrder || s.entry.pinned) continue;
      if (entries.length === limit) {
        more = true;
        break;
      }
      entries.push(s.entry);
      last = s;
    }
    return { entries, nextBefore: more && last !== undefined ? String(last.order) : null };
  }

  private append(state: FeedState, at: Date, ctx: WriteContext, change: Pick<FeedEvent, 'type' | 'data'>): number {
    state.seq += 1;
    const event = { feed: state.feed.id, seq: state.seq, epoch: state.epoch, at: at.toISOString(), actor: ctx.actor, ...change } as FeedEvent;
    state.events.push(event);
    if (state.events.length > this.options.historySize) state.events.splice(0, state.events.length - this.options.historySize);
    this.options.publish(event);
    return state.seq;
  }

  /** Refuses before anything changes when the feed already holds its cap of pinned entries. */
  private checkPinnedCap(state: FeedState): void {
    // Counted, not tracked: pinning is rare and the count can't drift from the timeline.
    let pinned = 0;
    for (const s of state.timeline) if (s.entry.pinned) pinned += 1;
    if (pinned >= this.maxPinned) throw tooManyPinned(this.maxPinned);
  }

  private expireIdempotency(state: FeedState, nowMs: number): void {
    for (const [key, record] of state.idempotency) {
      if (record.expiresAt > nowMs) break; // insertion order is expiry order
      state.idempotency.delete(key);
    }
  }

  private state(feedId: string): FeedState {
    const state = this.feeds.get(feedId);
    if (state === undefined) throw new AppError('feed_not_found', `no feed "${feedId}"`);
    return state;
  }

  private stored(state: FeedState, entryId: string): StoredEntry {
    const stored = state.byId.get(entryId);
    if (stored === undefined) throw new AppError('entry_not_found', `no entry "${entryId}" in feed "${state.feed.id}"`);
    return stored;
  }
}

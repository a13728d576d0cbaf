import { nanoid } from 'nanoid';
import { AppError } from '../errors';
import type { AuditAction, AuditRecord, Entry, EntryPage, EntryVersion, Feed, FeedEvent, FeedSnapshot, ScheduledEntry } from '../domain/types';
import type { EntryPatch, FeedPatch, NewEntry, NewFeed, ScheduledPatch } from '../domain/validate';
import {
  applyEntryPatch, applyFeedPatch, applyScheduledPatch, auditRecord, checkRevision, classifyCursor, entryFromScheduled, indexCursor, isAfter,
  isDue, bySchedule, newEntry, newFeed, newScheduled, parseBeforeCursor, parseIndexCursor, pinnedCap, scheduledKeyTtlSeconds, scheduledNotFound,
  tooManyPinned, versionOf,
} from './feed-state';
import type {
  AuditPage, EntryCreated, EntryScheduled, EntryWritten, EventsSince, FeedHead, FeedIndexPage, FeedStore, IdempotencyRequest, WriteContext,
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
  readonly result: EntryWritten | { readonly scheduled: ScheduledEntry };
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
  /** Entries waiting for their publishAt. */
  readonly scheduled: Map<string, ScheduledEntry>;
  /** Every change, oldest first, for the feed's life. */
  readonly audit: AuditRecord[];
  /** When the feed or any of its entries last changed, ms. */
  lastChangeAt: number;
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

  async createFeed(input: NewFeed, ctx: WriteContext): Promise<Feed> {
    const id = input.id ?? nanoid(12).toLowerCase().replace(/[^a-z0-9]/g, 'x');
    if (this.feeds.has(id)) throw new AppError('feed_exists', `feed "${id}" already exists`);
    const now = this.now();
    const feed = newFeed(id, input, now);
    this.feeds.set(id, {
      feed, epoch: nanoid(10), seq: 0, timeline: [], byId: new Map(), events: [], idempotency: new Map(),
      scheduled: new Map(), audit: [auditRecord(ctx, 'feed.created', now, null, null, 1, null)], lastChangeAt: now.getTime(),
    });
    return feed;
  }

  async updateFeed(feedId: string, patch: FeedPatch, ctx: WriteContext, expectedRevision?: number): Promise<{ feed: Feed; seq: number }> {
    const state = this.state(feedId);
    const now = this.now();
    const before = state.feed.revision;
    state.feed = applyFeedPatch(state.feed, patch, now, expectedRevision);
    const seq = this.append(state, now, ctx, { type: 'feed.updated', data: state.feed });
    this.audited(state, ctx, 'feed.updated', now, null, before, state.feed.revision, seq);
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
        if (!('entry' in record.result)) throw new Error('an Idempotency-Key of a scheduled entry replayed as a published one');
        return { ...record.result, replayed: true };
      }
    }
    const entry = newEntry(feedId, nanoid(12), input, nowDate);
    const seq = this.publish(state, entry, ctx, 'entry.created', nowDate);
    if (idem !== undefined) this.remember(state, idem, { entry, seq }, nowDate);
    return { entry, seq, replayed: false };
  }

  async scheduleEntry(feedId: string, input: NewEntry, publishAt: string, ctx: WriteContext, idem?: IdempotencyRequest): Promise<EntryScheduled | EntryCreated> {
    const state = this.state(feedId);
    const now = this.now();
    const record = idem === undefined ? undefined : state.idempotency.get(idem.key);
    if (idem !== undefined && record !== undefined && record.expiresAt > now.getTime()) {
      if (record.fingerprint !== idem.fingerprint) throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      return { ...record.result, replayed: true };
    }
    const scheduled = newScheduled(feedId, nanoid(12), input, publishAt, ctx, now);
    if (isDue(scheduled, now)) return this.createEntry(feedId, input, ctx, idem);
    state.scheduled.set(scheduled.id, scheduled);
    this.audited(state, ctx, 'entry.scheduled', now, scheduled.id, null, scheduled.revision, null);
    if (idem !== undefined) this.remember(state, idem, { scheduled }, now, scheduledKeyTtlSeconds(publishAt, now, this.ttlMs / 1000) * 1000);
    return { scheduled, replayed: false };
  }

  async listScheduled(feedId: string): Promise<readonly ScheduledEntry[]> {
    return [...this.state(feedId).scheduled.values()].sort(bySchedule);
  }

  async updateScheduled(feedId: string, entryId: string, patch: ScheduledPatch, ctx: WriteContext, expectedRevision?: number): Promise<ScheduledEntry> {
    const state = this.state(feedId);
    const current = this.scheduledEntry(state, entryId);
    const now = this.now();
    const next = applyScheduledPatch(current, patch, ctx, now, expectedRevision);
    state.scheduled.set(entryId, next);
    this.audited(state, ctx, 'scheduled.updated', now, entryId, current.revision, next.revision, null);
    return next;
  }

  async cancelScheduled(feedId: string, entryId: string, ctx: WriteContext, expectedRevision?: number): Promise<void> {
    const state = this.state(feedId);
    const current = this.scheduledEntry(state, entryId);
    checkRevision('scheduled entry', current, expectedRevision);
    state.scheduled.delete(entryId);
    this.audited(state, ctx, 'scheduled.cancelled', this.now(), entryId, current.revision, null, null);
  }

  async publishDue(): Promise<number> {
    let published = 0;
    for (const state of this.feeds.values()) {
      if (state.scheduled.size === 0) continue;
      const now = this.now();
      const due = [...state.scheduled.values()].filter((s) => isDue(s, now)).sort(bySchedule);
      for (const s of due) {
        state.scheduled.delete(s.id);
        const entry = entryFromScheduled(s, now);
        // A pin the feed no longer has room for must not hold the entry back: it goes out unpinned.
        const fits = !entry.pinned || this.pinnedCount(state) < this.maxPinned;
        this.publish(state, fits ? entry : { ...entry, pinned: false }, { actor: s.actor }, 'scheduled.published', now, s.revision);
        published += 1;
      }
    }
    return published;
  }

  async audit(feedId: string, before: string | null, limit: number): Promise<AuditPage> {
    const { audit } = this.state(feedId);
    const end = before === null ? audit.length : Math.min(parseBeforeCursor(before), audit.length);
    const start = Math.max(0, end - limit);
    return { records: audit.slice(start, end).reverse(), nextBefore: start > 0 ? String(start) : null };
  }

  async listFeeds(cursor: string | null, limit: number): Promise<FeedIndexPage> {
    const after = cursor === null ? null : parseIndexCursor(cursor);
    const positions = [...this.feeds.values()]
      .map((state) => ({ state, lastChangeMs: state.lastChangeAt, id: state.feed.id }))
      .filter((p) => after === null || isAfter(p, after))
      .sort((a, b) => b.lastChangeMs - a.lastChangeMs || (a.id < b.id ? 1 : -1));
    const page = positions.slice(0, limit);
    const feeds = page.map(({ state: s }) => ({
      id: s.feed.id, title: s.feed.title, status: s.feed.status, revision: s.feed.revision,
      entryCount: s.byId.size, lastChangeAt: new Date(s.lastChangeAt).toISOString(),
    }));
    const last = page[page.length - 1];
    return { feeds, nextCursor: positions.length > limit && last !== undefined ? indexCursor(last) : null };
  }

  /** `scheduledRevision`: the scheduled version going out, for the audit. */
  private publish(state: FeedState, entry: Entry, ctx: WriteContext, action: AuditAction, now: Date, scheduledRevision: number | null = null): number {
    if (entry.pinned) this.checkPinnedCap(state);
    const stored: StoredEntry = { entry, order: state.seq + 1, versions: [versionOf(entry, ctx.actor) as EntryVersion] };
    state.timeline.push(stored);
    state.byId.set(entry.id, stored);
    const seq = this.append(state, now, ctx, { type: 'entry.created', data: entry });
    this.audited(state, ctx, action, now, entry.id, scheduledRevision, entry.revision, seq);
    return seq;
  }

  private remember(state: FeedState, idem: IdempotencyRequest, result: IdempotencyRecord['result'], now: Date, ttlMs = this.ttlMs): void {
    this.expireIdempotency(state, now.getTime());
    state.idempotency.delete(idem.key);
    state.idempotency.set(idem.key, { fingerprint: idem.fingerprint, result, expiresAt: now.getTime() + ttlMs });
  }

  private audited(state: FeedState, ctx: WriteContext, action: AuditAction, at: Date, entryId: string | null, before: number | null, after: number | null, seq: number | null): void {
    state.audit.push(auditRecord(ctx, action, at, entryId, before, after, seq));
    state.lastChangeAt = at.getTime();
  }

  private scheduledEntry(state: FeedState, entryId: string): ScheduledEntry {
    const s = state.scheduled.get(entryId);
    if (s === undefined) throw scheduledNotFound(state.feed.id, entryId);
    return s;
  }

  async updateEntry(feedId: string, entryId: string, patch: EntryPatch, ctx: WriteContext, expectedRevision?: number): Promise<EntryWritten> {
    const state = this.state(feedId);
    const stored = this.stored(state, entryId);
    const now = this.now();
    const entry = applyEntryPatch(stored.entry, patch, now, expectedRevision);
    if (entry.pinned && !stored.entry.pinned) this.checkPinnedCap(state);
    const version = versionOf(entry, ctx.actor, stored.entry);
    if (version !== null) stored.versions.push(version);
    const before = stored.entry.revision;
    stored.entry = entry;
    const seq = this.append(state, now, ctx, { type: 'entry.updated', data: stored.entry });
    this.audited(state, ctx, 'entry.updated', now, entryId, before, entry.revision, seq);
    return { entry: stored.entry, seq };
  }

  async deleteEntry(feedId: string, entryId: string, ctx: WriteContext, expectedRevision?: number): Promise<{ seq: number }> {
    const state = this.state(feedId);
    const stored = this.stored(state, entryId);
    checkRevision('entry', stored.entry, expectedRevision);
    state.byId.delete(entryId);
    state.timeline.splice(state.timeline.indexOf(stored), 1);
    const now = this.now();
    const seq = this.append(state, now, ctx, { type: 'entry.deleted', data: { id: entryId } });
    this.audited(state, ctx, 'entry.deleted', now, entryId, stored.entry.revision, null, seq);
    return { seq };
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
    if (this.pinnedCount(state) >= this.maxPinned) throw tooManyPinned(this.maxPinned);
  }

  /** Counted, not tracked: pinning is rare and the count can't drift from the timeline. */
  private pinnedCount(state: FeedState): number {
    let pinned = 0;
    for (const s of state.timeline) if (s.entry.pinned) pinned += 1;
    return pinned;
  }

  private expireIdempotency(state: FeedState, nowMs: number): void {
    // Scheduled entries' keys live longer than the rest, so insertion order is not expiry order.
    for (const [key, record] of state.idempotency) if (record.expiresAt <= nowMs) state.idempotency.delete(key);
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

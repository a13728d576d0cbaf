import { nanoid } from 'nanoid';
import { AppError, isAppError } from '../errors';
import type {
  AuditAction, AuditRecord, EntryPage, EntryVersion, Feed, FeedEventType, FeedSnapshot, ScheduledEntry,
} from '../domain/types';
import type { EntryPatch, FeedPatch, NewEntry, NewFeed, ScheduledPatch } from '../domain/validate';
import {
  applyEntryPatch, applyFeedPatch, applyScheduledPatch, auditRecord, checkRevision, classifyCursor, entryFromScheduled,
  newEntry, newFeed, newScheduled, parseBeforeCursor, parseIndexCursor, pinnedCap, scheduledKeyTtlSeconds, scheduledNotFound, tooManyPinned,
  versionOf,
} from '../store/feed-state';
import type {
  AuditPage, EntryCreated, EntryScheduled, EntryWritten, EventsSince, FeedHead, FeedIndexPage, FeedStore, IdempotencyRequest, WriteContext,
} from '../store/feed-store';
import { RedisDueIndex } from './due-index';
import { RedisFeedsIndex } from './feeds-index';
import { feedKeys, type FeedKeys } from './keys';
import type { RedisClient } from './redis-client';
import { list, num, parseStored, storedEntries, storedEntry, storedEvent, storedFeed, str, tuple } from './stored';
import type { LuaScript } from './lua-script';
import { COMMIT, CREATE_FEED, EVENTS_SINCE, PAGE, SCHEDULE, SNAPSHOT } from './scripts';

export interface RedisStoreOptions {
  /** The command connection (never a subscriber): one server, or a Cluster. */
  readonly redis: RedisClient;
  /**
   * The connection changes are written on (default: `redis`). With replicas to wait for it
   * should be a connection of its own: WAIT holds the connection it runs on, and reads
   * (snapshots, resumes) must not queue behind it.
   */
  readonly writer?: RedisClient;
  /**
   * Replicas that must hold a change before it is announced and acknowledged (Redis WAIT),
   * and how long to wait for them, ms. Default: none (0). When fewer confirm in time the
   * write fails `unavailable` (503): it may or may not survive a failover, so it was never
   * announced, and a retry with the same Idempotency-Key settles it.
   */
  readonly durability?: { readonly minReplicas: number; readonly timeoutMs: number };
  /**
   * Tells every node a feed's log grew (the broker's publish), called once the change is
   * durable and before the write is answered; also after an idempotent replay, in case
   * the node that made the change died before announcing it. Its failures are reported,
   * never the editor's: the change stands and hubs find it by their periodic head check.
   */
  readonly announce: (feedId: string, head: FeedHead) => Promise<void>;
  /** Key prefix, e.g. `ll`. */
  readonly prefix: string;
  /** Events kept per feed for resume. */
  readonly historySize: number;
  /** How long an editor's Idempotency-Key is remembered, s. Default 24 h. */
  readonly idempotencyTtlSeconds?: number;
  /**
   * Pinned entries a feed may hold (LIVELINE_MAX_PINNED_PER_FEED), enforced inside the
   * commit script; pinning one more is refused with `too_many_pinned`. Default
   * DEFAULT_MAX_PINNED_PER_FEED (5), as in the config.
   */
  readonly maxPinnedPerFeed?: number;
  readonly now?: () => Date;
  /**
   * Failures of bookkeeping that runs after a write committed (the feeds and due-feeds
   * indexes, in their own slots): reported here, never to the editor, whose write stands;
   * the periodic repair (see publishDue) mends the due-feeds index.
   */
  readonly onError: (err: unknown, context: string) => void;
}

/**
 * Creates without an editor's Idempotency-Key still get one of ours, for this long: a
 * script re-sent after a reconnect then replays instead of creating a second entry.
 */
const INTERNAL_KEY_TTL_SECONDS = 600;
/** Compare-and-set retries for concurrent edits of the same entry or feed. */
const MAX_CAS_ATTEMPTS = 20;
/** Due entries of one feed one publishDue call publishes. */
const DUE_ENTRIES_PER_FEED = 100;

type CommitOp = 'feed' | 'create' | 'update' | 'delete' | 'publish';

interface CommitRequest {
  readonly op: CommitOp;
  readonly entryId?: string;
  readonly expected?: string;
  readonly json: string;
  readonly pinned?: boolean;
  readonly type: FeedEventType;
  readonly data: string;
  readonly at: Date;
  readonly idempotency?: IdempotencyRequest & { readonly ttlSeconds: number };
  /** The version this write makes, and the one it replaces (see COMMIT). */
  readonly version?: EntryVersion | null;
  readonly previousVersion?: EntryVersion | null;
  /** What the audit log keeps of this change (its seq is filled in by the script). */
  readonly audit: { readonly action: AuditAction; readonly before: number | null; readonly after: number | null };
  /** publish: the scheduled entry's time, ms. */
  readonly publishAtMs?: number;
}

type CommitResult =
  | { readonly kind: 'ok'; readonly seq: number }
  | { readonly kind: 'replayed'; readonly record: string }
  | { readonly kind: 'conflict' }
  /** publish: not due yet by Redis's clock, or already published or cancelled. */
  | { readonly kind: 'skipped' };

/** What an Idempotency-Key's record holds: the entry it created, or the entry it scheduled. */
type Replay = EntryWritten | { readonly scheduled: ScheduledEntry };

/**
 * The production store: feeds, entries and each feed's log in Redis, one Lua script per
 * change (see scripts.ts). Domain rules (what a patch does) run here in TypeScript, shared
 * with the memory store; the script applies the result only if the state it was computed
 * from is still current (compare-and-set), so concurrent edits never overwrite each other.
 * Any Redis failure becomes `AppError('unavailable')`.
 */
export class RedisStore implements FeedStore {
  private readonly now: () => Date;
  private readonly ttl: number;
  private readonly maxPinned: number;
  private readonly index: RedisFeedsIndex;
  private readonly dueIndex: RedisDueIndex;

  constructor(private readonly options: RedisStoreOptions) {
    this.now = options.now ?? (() => new Date());
    this.ttl = options.idempotencyTtlSeconds ?? 24 * 60 * 60;
    this.maxPinned = pinnedCap(options.maxPinnedPerFeed);
    this.index = new RedisFeedsIndex({ redis: options.redis, prefix: options.prefix, onError: options.onError });
    this.dueIndex = new RedisDueIndex(options.redis, options.prefix);
  }

  createFeed(input: NewFeed, ctx: WriteContext): Promise<Feed> {
    return this.guard(async () => {
      const id = input.id ?? nanoid(12).toLowerCase().replace(/[^a-z0-9]/g, 'x');
      const k = this.keys(id);
      const now = this.now();
      const feed = newFeed(id, input, now);
      await this.index.creating(id, now);
      const created = await this.durably(
        CREATE_FEED,
        [k.feed, k.epoch, k.seq, k.events, k.entries, k.timeline, k.pinned, k.audit, k.scheduled, k.due],
        [JSON.stringify(feed), nanoid(10), JSON.stringify(auditRecord(ctx, 'feed.created', now, null, null, 1, null))],
      );
      if (created !== 1) throw new AppError('feed_exists', `feed "${id}" already exists`);
      this.index.changed(id, now);
      return feed;
    });
  }

  updateFeed(feedId: string, patch: FeedPatch, ctx: WriteContext, expectedRevision?: number): Promise<{ feed: Feed; seq: number }> {
    return this.guard(async () => {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raw = await this.redis.get(this.keys(feedId).feed);
        if (raw === null) throw feedNotFound(feedId);
        const at = this.now();
        const before = storedFeed(raw);
        const feed = applyFeedPatch(before, patch, at, expectedRevision);
        const json = JSON.stringify(feed);
        const result = await this.commit(feedId, ctx, {
          op: 'feed', expected: raw, json, type: 'feed.updated', data: json, at,
          audit: { action: 'feed.updated', before: before.revision, after: feed.revision },
        });
        if (result.kind === 'ok') return { feed, seq: result.seq };
      }
      throw new AppError('unavailable', `feed "${feedId}" is changing too fast; retry`);
    });
  }

  getFeed(feedId: string): Promise<Feed | null> {
    return this.guard(async () => {
      const raw = await this.redis.get(this.keys(feedId).feed);
      return raw === null ? null : storedFeed(raw);
    });
  }

  createEntry(feedId: string, input: NewEntry, ctx: WriteContext, idem?: IdempotencyRequest): Promise<EntryCreated> {
    return this.guard(async () => {
      const result = await this.create(feedId, input, ctx, idem);
      if ('scheduled' in result) throw new Error('an Idempotency-Key of a scheduled entry replayed as a published one');
      return result;
    });
  }

  scheduleEntry(feedId: string, input: NewEntry, publishAt: string, ctx: WriteContext, idem?: IdempotencyRequest): Promise<EntryScheduled | EntryCreated> {
    return this.guard(async () => {
      const now = this.now();
      const scheduled = newScheduled(feedId, nanoid(12), input, publishAt, ctx, now);
      // Without an editor's key, one of ours: a script re-sent after a reconnect then can't schedule it twice.
      const key = idem ?? { key: `auto:${nanoid(16)}`, fingerprint: 'auto' };
      const result = await this.schedule(feedId, 'put', scheduled, undefined, auditRecord(ctx, 'entry.scheduled', now, scheduled.id, null, 1, null), {
        ...key, ttlSeconds: scheduledKeyTtlSeconds(publishAt, now, idem === undefined ? INTERNAL_KEY_TTL_SECONDS : this.ttl),
      });
      if (result.due) return this.create(feedId, input, ctx, idem); // already due by Redis's clock: published now
      return result.replay ?? { scheduled, replayed: false };
    });
  }

  listScheduled(feedId: string): Promise<readonly ScheduledEntry[]> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      const [ids, exists] = await Promise.all([this.redis.zrange(k.due, 0, -1), this.redis.exists(k.feed)]);
      if (exists === 0) throw feedNotFound(feedId);
      if (ids.length === 0) return [];
      // One that went out between the two reads is simply not listed.
      return (await this.redis.hmget(k.scheduled, ...ids)).flatMap((raw) => (raw === null ? [] : [parseStored<ScheduledEntry>(raw)]));
    });
  }

  updateScheduled(feedId: string, entryId: string, patch: ScheduledPatch, ctx: WriteContext, expectedRevision?: number): Promise<ScheduledEntry> {
    return this.guard(async () => {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raw = await this.scheduledRaw(feedId, entryId);
        const now = this.now();
        const current = parseStored<ScheduledEntry>(raw);
        const next = applyScheduledPatch(current, patch, ctx, now, expectedRevision);
        const record = auditRecord(ctx, 'scheduled.updated', now, entryId, current.revision, next.revision, null);
        if (!(await this.schedule(feedId, 'replace', next, raw, record)).conflict) return next;
      }
      throw new AppError('unavailable', `scheduled entry "${entryId}" is changing too fast; retry`);
    });
  }

  cancelScheduled(feedId: string, entryId: string, ctx: WriteContext, expectedRevision?: number): Promise<void> {
    return this.guard(async () => {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raw = await this.scheduledRaw(feedId, entryId);
        const current = parseStored<ScheduledEntry>(raw);
        checkRevision('scheduled entry', current, expectedRevision);
        const record = auditRecord(ctx, 'scheduled.cancelled', this.now(), entryId, current.revision, null, null);
        if (!(await this.schedule(feedId, 'cancel', current, raw, record)).conflict) return;
      }
      throw new AppError('unavailable', `scheduled entry "${entryId}" is changing too fast; retry`);
    });
  }

  publishDue(): Promise<number> {
    return this.guard(async () => {
      const { nowMs, feeds } = await this.dueIndex.due();
      let published = 0;
      for (const feed of feeds) {
        try {
          published += await this.publishDueIn(feed.feedId, nowMs);
          await this.dueIndex.published(feed);
        } catch (err) {
          // One broken feed must not hold back every other feed's entries.
          this.options.onError(err, `publishing feed "${feed.feedId}"'s scheduled entries`);
        }
      }
      await this.dueIndex.repair(nowMs);
      return published;
    });
  }

  audit(feedId: string, before: string | null, limit: number): Promise<AuditPage> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      const [length, exists] = await Promise.all([this.redis.llen(k.audit), this.redis.exists(k.feed)]);
      if (exists === 0) throw feedNotFound(feedId);
      const end = before === null ? length : Math.min(parseBeforeCursor(before), length);
      const start = Math.max(0, end - limit);
      const records = end === 0 ? [] : await this.redis.lrange(k.audit, start, end - 1);
      return { records: records.map((r) => parseStored<AuditRecord>(r)).reverse(), nextBefore: start > 0 ? String(start) : null };
    });
  }

  listFeeds(cursor: string | null, limit: number): Promise<FeedIndexPage> {
    return this.guard(() => this.index.list(cursor === null ? null : parseIndexCursor(cursor), limit));
  }

  updateEntry(feedId: string, entryId: string, patch: EntryPatch, ctx: WriteContext, expectedRevision?: number): Promise<EntryWritten> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raw = await this.redis.hget(k.entries, entryId);
        if (raw === null) throw await this.missing(feedId, entryId);
        const at = this.now();
        const previous = storedEntry(raw);
        const entry = applyEntryPatch(previous, patch, at, expectedRevision);
        const json = JSON.stringify(entry);
        const result = await this.commit(feedId, ctx, {
          op: 'update', entryId, expected: raw, json, pinned: entry.pinned, type: 'entry.updated', data: json, at,
          version: versionOf(entry, ctx.actor, previous), previousVersion: versionOf(previous, ''),
          audit: { action: 'entry.updated', before: previous.revision, after: entry.revision },
        });
        if (result.kind === 'ok') return { entry, seq: result.seq };
      }
      throw new AppError('unavailable', `entry "${entryId}" is changing too fast; retry`);
    });
  }

  deleteEntry(feedId: string, entryId: string, ctx: WriteContext, expectedRevision?: number): Promise<{ seq: number }> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        // Delete only the version whose revision was checked and goes in the audit (compare-and-set).
        const raw = await this.redis.hget(k.entries, entryId);
        if (raw === null) throw await this.missing(feedId, entryId);
        const current = storedEntry(raw);
        checkRevision('entry', current, expectedRevision);
        const result = await this.commit(feedId, ctx, {
          op: 'delete', entryId, expected: raw, json: '', type: 'entry.deleted', data: JSON.stringify({ id: entryId }), at: this.now(),
          audit: { action: 'entry.deleted', before: current.revision, after: null },
        });
        if (result.kind === 'ok') return { seq: result.seq };
        if (result.kind === 'replayed') throw new Error('a delete cannot replay');
      }
      throw new AppError('unavailable', `entry "${entryId}" is changing too fast; retry`);
    });
  }

  revisions(feedId: string, entryId: string): Promise<readonly EntryVersion[]> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      const [versions, raw] = await Promise.all([this.redis.lrange(k.revisions(entryId), 0, -1), this.redis.hget(k.entries, entryId)]);
      if (raw === null) throw await this.missing(feedId, entryId);
      // An entry stored before histories existed and never edited since: its one version.
      if (versions.length === 0) return [versionOf(storedEntry(raw), '') as EntryVersion];
      return versions.map((v) => parseStored<EntryVersion>(v));
    });
  }

  snapshot(feedId: string, limit: number): Promise<FeedSnapshot | null> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      const reply = await SNAPSHOT.run(this.redis, [k.feed, k.seq, k.epoch, k.entries, k.timeline, k.pinned], [limit]);
      if (reply === null) return null;
      const [feed, seq, epoch, pinned, entries, cursor] = tuple(reply, 6);
      return {
        feed: storedFeed(str(feed)),
        entries: [...storedEntries(pinned), ...storedEntries(entries)],
        nextBefore: cursor === null ? null : str(cursor),
        seq: Number(str(seq)),
        epoch: str(epoch),
      };
    });
  }

  listEntries(feedId: string, before: string | null, limit: number): Promise<EntryPage | null> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      const from = before === null ? '+inf' : String(parseBeforeCursor(before));
      const reply = await PAGE.run(this.redis, [k.feed, k.entries, k.timeline], [from, limit]);
      if (reply === null) return null;
      const [entries, cursor] = tuple(reply, 2);
      return { entries: storedEntries(entries), nextBefore: cursor === null ? null : str(cursor) };
    });
  }

  head(feedId: string): Promise<FeedHead | null> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      const [seq, epoch] = await this.redis.mget(k.seq, k.epoch);
      return epoch === null || epoch === undefined ? null : { seq: Number(seq ?? 0), epoch };
    });
  }

  eventsSince(feedId: string, since: number, epoch?: string, limit?: number): Promise<EventsSince | null> {
    return this.guard(async () => {
      const k = this.keys(feedId);
      const reply = await EVENTS_SINCE.run(this.redis, [k.seq, k.epoch, k.events], [since, limit ?? 0]);
      if (reply === null) return null;
      const [seq, currentEpoch, oldest, events] = tuple(reply, 4);
      const head = { seq: num(seq), epoch: str(currentEpoch) };
      const reason = classifyCursor(since, epoch, head, num(oldest));
      if (reason !== null) return { kind: 'reset', head, reason };
      return { kind: 'events', head, events: list(events).map((e) => storedEvent(str(e))) };
    });
  }

  async close(): Promise<void> {
    // The connection belongs to the backend, which quits it.
  }

  private get redis(): RedisClient {
    return this.options.redis;
  }

  private keys(feedId: string): FeedKeys {
    return feedKeys(this.options.prefix, feedId);
  }

  /** Creates an entry now, or answers what an earlier call with the same Idempotency-Key did. */
  private async create(feedId: string, input: NewEntry, ctx: WriteContext, idem?: IdempotencyRequest): Promise<EntryCreated | EntryScheduled> {
    const at = this.now();
    const entry = newEntry(feedId, nanoid(12), input, at);
    const json = JSON.stringify(entry);
    const idempotency = idem !== undefined
      ? { ...idem, ttlSeconds: this.ttl }
      : { key: `auto:${nanoid(16)}`, fingerprint: 'auto', ttlSeconds: INTERNAL_KEY_TTL_SECONDS };
    const result = await this.commit(feedId, ctx, {
      op: 'create', entryId: entry.id, json, pinned: entry.pinned, type: 'entry.created', data: json, at, idempotency,
      version: versionOf(entry, ctx.actor), audit: { action: 'entry.created', before: null, after: entry.revision },
    });
    if (result.kind === 'ok') return { entry, seq: result.seq, replayed: false };
    if (result.kind === 'replayed') return { ...parseStored<Replay>(result.record), replayed: true };
    throw new Error(`a create cannot come back ${result.kind}`);
  }

  /** Runs SCHEDULE, lowering the feed's place in the due-feeds index before and after it (see due-index.ts). */
  private async schedule(
    feedId: string, op: 'put' | 'replace' | 'cancel', s: ScheduledEntry, expected: string | undefined, record: AuditRecord,
    idem?: IdempotencyRequest & { readonly ttlSeconds: number },
  ): Promise<{ readonly conflict: boolean; readonly due?: boolean; readonly replay?: EntryScheduled | EntryCreated }> {
    const k = this.keys(feedId);
    const publishAtMs = Date.parse(s.publishAt);
    if (op !== 'cancel') await this.dueIndex.lower(feedId, publishAtMs);
    const reply = list(await this.durably(
      SCHEDULE,
      [k.feed, k.scheduled, k.due, idem === undefined ? k.feed : k.idempotency(idem.key), k.audit],
      [op, s.id, expected ?? '', JSON.stringify(s), publishAtMs, idem?.fingerprint ?? '', idem?.ttlSeconds ?? 0, JSON.stringify(record)],
    ));
    switch (reply[0]) {
      case 'ok': {
        const soonest = str(reply[1]);
        if (soonest !== '') {
          this.dueIndex.lower(feedId, soonest).catch((err: unknown) => this.options.onError(err, 'due-feeds index'));
        }
        this.index.changed(feedId, new Date(record.at));
        return { conflict: false };
      }
      case 'replayed':
        return { conflict: false, replay: { ...parseStored<Replay>(str(reply[1])), replayed: true } };
      case 'due':
        return { conflict: false, due: true };
      case 'conflict':
        return { conflict: true };
      case 'feed_not_found':
        throw feedNotFound(feedId);
      case 'not_found':
        throw scheduledNotFound(feedId, s.id);
      case 'idempotency_key_reused':
        throw idempotencyKeyReused();
      default:
        throw new Error(`unexpected reply from the schedule script: ${JSON.stringify(reply)}`);
    }
  }

  /** Publishes a feed's due entries (by Redis's clock, `nowMs`). */
  private async publishDueIn(feedId: string, nowMs: number): Promise<number> {
    const k = this.keys(feedId);
    const ids = await this.redis.zrangebyscore(k.due, '-inf', nowMs, 'LIMIT', 0, DUE_ENTRIES_PER_FEED);
    const raws = ids.length === 0 ? [] : await this.redis.hmget(k.scheduled, ...ids);
    let published = 0;
    for (const raw of raws) {
      if (raw === null) continue; // published or cancelled since the range was read
      const s = parseStored<ScheduledEntry>(raw);
      // Redis's clock, as for deciding it is due: a node whose clock lags can't date it before its time.
      const at = new Date(Math.max(nowMs, Date.parse(s.publishAt)));
      const entry = entryFromScheduled(s, at);
      for (const pinned of entry.pinned ? [true, false] : [false]) {
        try {
          const json = JSON.stringify({ ...entry, pinned });
          const result = await this.commit(feedId, { actor: s.actor }, {
            op: 'publish', entryId: s.id, expected: raw, json, pinned, type: 'entry.created', data: json, at,
            version: versionOf(entry, s.actor), audit: { action: 'scheduled.published', before: s.revision, after: entry.revision },
            publishAtMs: Date.parse(s.publishAt),
          });
          if (result.kind === 'ok') published += 1;
          break;
        } catch (err) {
          // A pin the feed no longer has room for must not hold the entry back: it goes out unpinned.
          if (!(isAppError(err) && err.code === 'too_many_pinned')) throw err;
        }
      }
    }
    return published;
  }

  private async scheduledRaw(feedId: string, entryId: string): Promise<string> {
    const k = this.keys(feedId);
    const raw = await this.redis.hget(k.scheduled, entryId);
    if (raw !== null) return raw;
    throw (await this.redis.exists(k.feed)) === 0 ? feedNotFound(feedId) : scheduledNotFound(feedId, entryId);
  }

  private async commit(feedId: string, ctx: WriteContext, req: CommitRequest): Promise<CommitResult> {
    const k = this.keys(feedId);
    const idem = req.idempotency;
    // The event's and audit record's JSON are assembled by the script around the seq (and epoch) it assigns.
    const head = `{"feed":${JSON.stringify(feedId)},"seq":`;
    const tail = `,"type":${JSON.stringify(req.type)},"data":${req.data},"at":${JSON.stringify(req.at.toISOString())},"actor":${JSON.stringify(ctx.actor)}}`;
    const { seq: _seq, ...record } = auditRecord(ctx, req.audit.action, req.at, req.entryId ?? null, req.audit.before, req.audit.after, null);
    const reply = await this.durably(
      COMMIT,
      [
        k.feed, k.seq, k.epoch, k.events, k.entries, k.timeline, k.pinned, idem === undefined ? k.feed : k.idempotency(idem.key),
        req.entryId === undefined ? k.feed : k.revisions(req.entryId), k.scheduled, k.due, k.audit,
      ],
      [
        this.options.historySize, req.op, req.entryId ?? '', req.expected ?? '', req.json, req.pinned === true ? '1' : '0',
        head, tail, idem?.fingerprint ?? '', idem?.ttlSeconds ?? 0, this.maxPinned,
        req.version ? JSON.stringify(req.version) : '', req.previousVersion ? JSON.stringify(req.previousVersion) : '',
        `${JSON.stringify(record).slice(0, -1)},"seq":`, '}', req.publishAtMs ?? 0,
      ],
    );
    const [status, value, epoch] = list(reply);
    if (status === 'ok') this.index.changed(feedId, req.at);
    switch (status) {
      case 'ok':
        await this.announce(feedId, { seq: num(value), epoch: str(epoch) });
        return { kind: 'ok', seq: num(value) };
      case 'replayed': {
        // The node that made the change may have died before announcing it.
        const head = await this.head(feedId);
        if (head !== null) await this.announce(feedId, head);
        return { kind: 'replayed', record: str(value) };
      }
      case 'conflict':
        return { kind: 'conflict' };
      case 'not_due':
      case 'gone':
        return { kind: 'skipped' };
      case 'feed_not_found':
        throw feedNotFound(feedId);
      case 'entry_not_found':
        throw entryNotFound(feedId, req.entryId ?? '');
      case 'idempotency_key_reused':
        throw idempotencyKeyReused();
      case 'too_many_pinned':
        throw tooManyPinned(this.maxPinned);
      default:
        throw new Error(`unexpected reply from the commit script: ${JSON.stringify(reply)}`);
    }
  }

  /**
   * Runs a write script (CREATE_FEED → 1, COMMIT and SCHEDULE → {'ok'|'replayed', …} when
   * they wrote) and, when replicas are required, WAIT behind it; fewer confirmations than
   * required fail the write with `unavailable` (retryable with the same key).
   */
  private async durably(script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const { minReplicas, timeoutMs } = this.options.durability ?? { minReplicas: 0, timeoutMs: 0 };
    const { reply, replicas } = await script.runDurably(this.options.writer ?? this.redis, keys, args, minReplicas, timeoutMs);
    // A refusal wrote nothing: it stands whatever the replicas say.
    const wrote = reply === 1 || (Array.isArray(reply) && (reply[0] === 'ok' || reply[0] === 'replayed'));
    if (wrote && replicas < minReplicas) {
      throw new AppError(
        'unavailable',
        `the change was not confirmed by ${minReplicas} Redis replica(s) within ${timeoutMs} ms; retry with the same Idempotency-Key`,
      );
    }
    return reply;
  }

  private async announce(feedId: string, head: FeedHead): Promise<void> {
    try {
      await this.options.announce(feedId, head);
    } catch (err) {
      this.options.onError(err, `announcing feed "${feedId}" at seq ${head.seq}`);
    }
  }

  /** Why an entry read came back empty: no such feed, or no such entry in it. */
  private async missing(feedId: string, entryId: string): Promise<AppError> {
    return (await this.redis.exists(this.keys(feedId).feed)) === 0 ? feedNotFound(feedId) : entryNotFound(feedId, entryId);
  }

  /** Domain errors pass through; anything Redis throws means the store is unavailable. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (isAppError(err)) throw err;
      throw new AppError('unavailable', 'the store is unavailable; retry shortly', undefined, err);
    }
  }
}

const feedNotFound = (feedId: string): AppError => new AppError('feed_not_found', `no feed "${feedId}"`);
const entryNotFound = (feedId: string, entryId: string): AppError => new AppError('entry_not_found', `no entry "${entryId}" in feed "${feedId}"`);
const idempotencyKeyReused = (): AppError => new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');

import type Redis from 'ioredis';
import { nanoid } from 'nanoid';
import { AppError, isAppError } from '../errors';
import type { Entry, EntryPage, EntryVersion, Feed, FeedEvent, FeedEventType, FeedSnapshot } from '../domain/types';
import type { EntryPatch, FeedPatch, NewEntry, NewFeed } from '../domain/validate';
import {
  applyEntryPatch, applyFeedPatch, checkRevision, classifyCursor, newEntry, newFeed, parseBeforeCursor, pinnedCap, tooManyPinned,
  upgradeStoredEntry, upgradeStoredFeed, versionOf, type StoredEntry, type StoredFeed,
} from '../store/feed-state';
import type {
  EntryCreated, EntryWritten, EventsSince, FeedHead, FeedStore, IdempotencyRequest, WriteContext,
} from '../store/feed-store';
import { feedKeys, type FeedKeys } from './keys';
import { COMMIT, CREATE_FEED, EVENTS_SINCE, PAGE, SNAPSHOT } from './scripts';

export interface RedisStoreOptions {
  /** The command connection (never a subscriber). */
  readonly redis: Redis;
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
}

/**
 * Creates without an editor's Idempotency-Key still get one of ours, for this long: a
 * script re-sent after a reconnect then replays instead of creating a second entry.
 */
const INTERNAL_KEY_TTL_SECONDS = 600;
/** Compare-and-set retries for concurrent edits of the same entry or feed. */
const MAX_CAS_ATTEMPTS = 20;

type CommitOp = 'feed' | 'create' | 'update' | 'delete';

interface CommitRequest {
  readonly op: CommitOp;
  readonly entryId?: string;
  readonly expected?: string;
  readonly json: string;
  readonly pinned?: boolean;
  readonly type: FeedEventType;
  readonly data: string;
  readonly at: Date;
  readonly actor: string;
  readonly idempotency?: IdempotencyRequest & { readonly ttlSeconds: number };
  /** The version this write makes, and the one it replaces (see COMMIT). */
  readonly version?: EntryVersion | null;
  readonly previousVersion?: EntryVersion | null;
}

type CommitResult =
  | { readonly kind: 'ok'; readonly seq: number }
  | { readonly kind: 'replayed'; readonly record: string }
  | { readonly kind: 'conflict' };

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

  constructor(private readonly options: RedisStoreOptions) {
    this.now = options.now ?? (() => new Date());
    this.ttl = options.idempotencyTtlSeconds ?? 24 * 60 * 60;
    this.maxPinned = pinnedCap(options.maxPinnedPerFeed);
  }

  createFeed(input: NewFeed, _ctx: WriteContext): Promise<Feed> {
    return this.guard(async () => {
      const id = input.id ?? nanoid(12).toLowerCase().replace(/[^a-z0-9]/g, 'x');
      const k = this.keys(id);
      const feed = newFeed(id, input, this.now());
      const created = await CREATE_FEED.run(this.redis, [k.feed, k.epoch, k.seq, k.events, k.entries, k.timeline, k.pinned], [JSON.stringify(feed), nanoid(10)]);
      if (created !== 1) throw new AppError('feed_exists', `feed "${id}" already exists`);
      return feed;
    });
  }

  updateFeed(feedId: string, patch: FeedPatch, ctx: WriteContext, expectedRevision?: number): Promise<{ feed: Feed; seq: number }> {
    return this.guard(async () => {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const raw = await this.redis.get(this.keys(feedId).feed);
        if (raw === null) throw feedNotFound(feedId);
        const at = this.now();
        const feed = applyFeedPatch(storedFeed(raw), patch, at, expectedRevision);
        const json = JSON.stringify(feed);
        const result = await this.commit(feedId, { op: 'feed', expected: raw, json, type: 'feed.updated', data: json, at, actor: ctx.actor });
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
      const at = this.now();
      const entry = newEntry(feedId, nanoid(12), input, at);
      const json = JSON.stringify(entry);
      const idempotency = idem !== undefined
        ? { ...idem, ttlSeconds: this.ttl }
        : { key: `auto:${nanoid(16)}`, fingerprint: 'auto', ttlSeconds: INTERNAL_KEY_TTL_SECONDS };
      const result = await this.commit(feedId, {
        op: 'create', entryId: entry.id, json, pinned: entry.pinned, type: 'entry.created', data: json, at, actor: ctx.actor, idempotency,
        version: versionOf(entry, ctx.actor),
      });
      if (result.kind === 'ok') return { entry, seq: result.seq, replayed: false };
      if (result.kind === 'replayed') {
        const original = parseStored<EntryWritten>(result.record);
        return { entry: original.entry, seq: original.seq, replayed: true };
      }
      throw new Error('a create cannot conflict');
    });
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
        const result = await this.commit(feedId, {
          op: 'update', entryId, expected: raw, json, pinned: entry.pinned, type: 'entry.updated', data: json, at, actor: ctx.actor,
          version: versionOf(entry, ctx.actor, previous), previousVersion: versionOf(previous, ''),
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
        // With If-Match, delete only the version whose revision was checked (compare-and-set).
        let expected: string | undefined;
        if (expectedRevision !== undefined) {
          const raw = await this.redis.hget(k.entries, entryId);
          if (raw === null) throw await this.missing(feedId, entryId);
          checkRevision('entry', storedEntry(raw), expectedRevision);
          expected = raw;
        }
        const result = await this.commit(feedId, {
          op: 'delete', entryId, expected, json: '', type: 'entry.deleted', data: JSON.stringify({ id: entryId }), at: this.now(), actor: ctx.actor,
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

  private get redis(): Redis {
    return this.options.redis;
  }

  private keys(feedId: string): FeedKeys {
    return feedKeys(this.options.prefix, feedId);
  }

  private async commit(feedId: string, req: CommitRequest): Promise<CommitResult> {
    const k = this.keys(feedId);
    const idem = req.idempotency;
    // The event's JSON is assembled by the script around the seq and epoch it assigns.
    const head = `{"feed":${JSON.stringify(feedId)},"seq":`;
    const tail = `,"type":${JSON.stringify(req.type)},"data":${req.data},"at":${JSON.stringify(req.at.toISOString())},"actor":${JSON.stringify(req.actor)}}`;
    const reply = await COMMIT.run(
      this.redis,
      [
        k.feed, k.seq, k.epoch, k.events, k.entries, k.timeline, k.pinned, idem === undefined ? k.feed : k.idempotency(idem.key),
        req.entryId === undefined ? k.feed : k.revisions(req.entryId),
      ],
      [
        k.channel, this.options.historySize, req.op, req.entryId ?? '', req.expected ?? '', req.json, req.pinned === true ? '1' : '0',
        head, tail, idem?.fingerprint ?? '', idem?.ttlSeconds ?? 0, this.maxPinned,
        req.version ? JSON.stringify(req.version) : '', req.previousVersion ? JSON.stringify(req.previousVersion) : '',
      ],
    );
    const [status, value] = list(reply);
    switch (status) {
      case 'ok':
        return { kind: 'ok', seq: num(value) };
      case 'replayed':
        return { kind: 'replayed', record: str(value) };
      case 'conflict':
        return { kind: 'conflict' };
      case 'feed_not_found':
        throw feedNotFound(feedId);
      case 'entry_not_found':
        throw entryNotFound(feedId, req.entryId ?? '');
      case 'idempotency_key_reused':
        throw new AppError('idempotency_key_reused', 'this Idempotency-Key was used with a different request');
      case 'too_many_pinned':
        throw tooManyPinned(this.maxPinned);
      default:
        throw new Error(`unexpected reply from the commit script: ${JSON.stringify(reply)}`);
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

/** JSON this store wrote itself; a value that isn't an object means the data is corrupt. */
function parseStored<T extends object>(raw: string): T {
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null) throw new Error(`corrupt stored value: ${raw.slice(0, 80)}`);
  return value as T;
}

function list(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Error(`expected an array reply, got ${typeof v}`);
  return v;
}

function tuple(v: unknown, length: number): unknown[] {
  const a = list(v);
  if (a.length !== length) throw new Error(`expected ${length} values, got ${a.length}`);
  return a;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString();
  throw new Error(`expected a string reply, got ${typeof v}`);
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(str(v));
  if (!Number.isSafeInteger(n)) throw new Error(`expected an integer reply, got ${String(v)}`);
  return n;
}

function storedEntries(v: unknown): Entry[] {
  // HMGET answers null for an id whose entry vanished; the scripts run atomically, so that is corruption.
  return list(v).map((e) => storedEntry(str(e)));
}

const storedEntry = (raw: string): Entry => upgradeStoredEntry(parseStored<StoredEntry>(raw));
const storedFeed = (raw: string): Feed => upgradeStoredFeed(parseStored<StoredFeed>(raw));

/** An event from the log, its entry or feed brought up to date (events logged before revisions existed). */
function storedEvent(raw: string): FeedEvent {
  const e = parseStored<FeedEvent>(raw);
  if (e.type === 'entry.created' || e.type === 'entry.updated') return { ...e, data: upgradeStoredEntry(e.data) };
  if (e.type === 'feed.updated') return { ...e, data: upgradeStoredFeed(e.data) };
  return e;
}

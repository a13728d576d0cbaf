/**
 * The public HTTP API, as the console uses it: one function per route, each parsing its
 * answer. Nothing here keeps state; see feed-state.ts for that.
 */
import type { NewEntry } from '../../server/domain/validate';
import { ApiError, createHttp, randomKey, type Http } from './http';
import {
  entryPage, field, obj, parseEntry, parseFeed, parseFeedIndex, parseScheduled, parseSnapshot, scheduledList, seqOf,
  type Entry, type Feed, type FeedIndexPage, type FeedSnapshot, type FeedStatus, type ScheduledEntry,
} from './parse';

export interface NewFeedInput {
  readonly title: string;
  readonly id?: string;
  readonly description?: string;
  readonly status?: FeedStatus;
}

export interface FeedPatch {
  readonly title?: string;
  readonly status?: FeedStatus;
  readonly summary?: string | null;
  readonly startsAt?: string | null;
}

/** Any of an entry's content fields, as the API takes them. */
export type EntryContent = Partial<NewEntry>;

export interface NewEntryInput extends EntryContent {
  readonly publishAt?: string;
}

export interface EntryPatch extends EntryContent {
  readonly correction?: string;
}

export type Published = { readonly kind: 'published'; readonly entry: Entry; readonly seq: number } | { readonly kind: 'scheduled'; readonly scheduled: ScheduledEntry };

const feedPath = (id: string): string => `/v1/feeds/${encodeURIComponent(id)}`;
const entryPath = (feed: string, id: string): string => `${feedPath(feed)}/entries/${encodeURIComponent(id)}`;
const scheduledPath = (feed: string, id: string): string => `${feedPath(feed)}/scheduled/${encodeURIComponent(id)}`;

/** A one-off query string: no cache on the way has seen this URL. */
const unique = (): string => `${Date.now().toString(36)}${randomKey().slice(0, 6)}`;

/** The API at `base` as the editor holding `token`; `unauthorized` hears of a token refused (see createHttp). */
export function createApi(base: string, token: () => string | null, unauthorized?: () => void) {
  const http: Http = createHttp(base, token, unauthorized);
  /** The Idempotency-Key of the last new entry sent, reused while the same entry is retried. */
  let lastPost: { readonly json: string; readonly key: string } | null = null;

  return {
    /** A cheap editor read: resolves when the token is accepted, rejects with ApiError (401) when not. */
    async checkToken(): Promise<void> {
      await http('/v1/feeds?limit=1');
    },
    async listFeeds(cursor: string | null): Promise<FeedIndexPage> {
      return parseFeedIndex(await http(`/v1/feeds?limit=20${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`));
    },
    async createFeed(input: NewFeedInput): Promise<Feed> {
      return field(await http('/v1/feeds', { method: 'POST', body: input }), 'feed', parseFeed);
    },
    async patchFeed(id: string, patch: FeedPatch, ifMatch?: number): Promise<{ feed: Feed; seq: number }> {
      const answer = await http(feedPath(id), { method: 'PATCH', body: patch, ifMatch });
      return { feed: field(answer, 'feed', parseFeed), seq: seqOf(answer) };
    },
    /** The feed as readers get it, fetched past every cache (a unique URL, `no-store`): after the console's own writes. */
    async freshSnapshot(id: string, limit = 100): Promise<FeedSnapshot> {
      return parseSnapshot(await http(`${feedPath(id)}?limit=${limit}&fresh=${unique()}`, { anonymous: true }));
    },
    async olderEntries(id: string, before: string): Promise<{ entries: Entry[]; nextBefore: string | null }> {
      return entryPage(await http(`${feedPath(id)}/entries?limit=50&before=${encodeURIComponent(before)}&fresh=${unique()}`, { anonymous: true }));
    },
    /**
     * POST a new entry with an Idempotency-Key: a retry of the same entry (after a lost
     * answer) reuses its key, so it is published once; a different entry gets a new key.
     */
    async createEntry(feed: string, input: NewEntryInput): Promise<Published> {
      const json = JSON.stringify([feed, input]);
      if (lastPost?.json !== json) lastPost = { json, key: randomKey() };
      const answer = await http(`${feedPath(feed)}/entries`, { method: 'POST', body: input, idempotencyKey: lastPost.key });
      lastPost = null;
      const o = obj(answer, 'answer');
      if (o.scheduled !== undefined) return { kind: 'scheduled', scheduled: parseScheduled(o.scheduled) };
      return { kind: 'published', entry: field(answer, 'entry', parseEntry), seq: seqOf(answer) };
    },
    async patchEntry(feed: string, id: string, patch: EntryPatch, ifMatch?: number): Promise<{ entry: Entry; seq: number }> {
      const answer = await http(entryPath(feed, id), { method: 'PATCH', body: patch, ifMatch });
      return { entry: field(answer, 'entry', parseEntry), seq: seqOf(answer) };
    },
    async deleteEntry(feed: string, id: string, ifMatch?: number): Promise<{ seq: number }> {
      return { seq: seqOf(await http(entryPath(feed, id), { method: 'DELETE', ifMatch })) };
    },
    async listScheduled(feed: string): Promise<ScheduledEntry[]> {
      return scheduledList(await http(`${feedPath(feed)}/scheduled`));
    },
    async reschedule(feed: string, id: string, publishAt: string, ifMatch: number): Promise<ScheduledEntry> {
      return field(await http(scheduledPath(feed, id), { method: 'PATCH', body: { publishAt }, ifMatch }), 'scheduled', parseScheduled);
    },
    async cancelScheduled(feed: string, id: string, ifMatch: number): Promise<void> {
      await http(scheduledPath(feed, id), { method: 'DELETE', ifMatch });
    },
  };
}

export type Api = ReturnType<typeof createApi>;

/** The current version a 412 `revision_conflict` carries, parsed, or null for any other error. */
export function conflictOf<T>(err: unknown, key: 'entry' | 'feed' | 'scheduled', parse: (v: unknown) => T): T | null {
  if (!(err instanceof ApiError) || err.code !== 'revision_conflict' || err.details[key] === undefined) return null;
  return parse(err.details[key]);
}

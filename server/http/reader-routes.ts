import type { Request, RequestHandler, Router } from 'express';
import type { CacheConfig } from '../config';
import { AppError } from '../errors';
import { toEventFrame } from '../gateway/protocol';
import type { EntryPage, FeedSnapshot } from '../domain/types';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type EventsSince, type FeedHead, type FeedStore } from '../store/feed-store';
import { SharedReads } from '../store/shared-reads';
import { answeredFromCache, feedTag, sharedCacheControl } from './cache';
import { feedIdParam, intParam } from './params';
import { rowsWeight, type Weight } from './reader-budget';
import { exactRouter } from './router';

const notFound = (id: string): AppError => new AppError('feed_not_found', `no feed "${id}"`);

/**
 * Readers' pages usually live on another origin than Liveline: let them read. With an
 * allowlist every answer depends on the Origin header (allowed or not, present or not),
 * so every answer says `Vary: Origin`: a cache must never hand one origin's answer to another.
 */
export function readerCors(allowedOrigins: readonly string[] | null): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (allowedOrigins === null) res.set('Access-Control-Allow-Origin', '*');
    else {
      res.vary('Origin');
      if (origin !== undefined && allowedOrigins.includes(origin)) res.set('Access-Control-Allow-Origin', origin);
    }
    next();
  };
}

/** The `limit` a request asks for, for its weight (a bad one is refused later, by the route). */
const requestedLimit = (req: Request): number => {
  const n = Number(req.query.limit);
  return Number.isInteger(n) && n >= 1 && n <= MAX_PAGE_SIZE ? n : DEFAULT_PAGE_SIZE;
};

/**
 * The reader API: snapshots, older pages, and events since a cursor. No authentication;
 * `budget` charges each request to its address by what it may return. An events request
 * returns at most `resumeLimit` events: a cursor further behind is told to reset, as on
 * the WebSocket, so no request pulls a feed's whole history out of the store.
 */
export function readerRoutes(
  store: FeedStore, allowedOrigins: readonly string[] | null, budget: (weight: Weight) => RequestHandler, resumeLimit: number, cache: CacheConfig,
): Router {
  const r = exactRouter();
  const cacheControl = sharedCacheControl(cache);
  const cors = readerCors(allowedOrigins);
  const page = [cors, budget((req) => rowsWeight(requestedLimit(req)))];
  const snapshots = new SharedReads<FeedSnapshot | null>();
  const pages = new SharedReads<EntryPage | null>();
  const events = new SharedReads<EventsSince | null>();
  const heads = new SharedReads<FeedHead | null>();

  r.get('/v1/feeds/:feedId', ...page, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const limit = intParam(req.query.limit, 'limit', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const snapshot = await snapshots.read(`${id} ${limit}`, () => store.snapshot(id, limit));
    if (snapshot === null) throw notFound(id);
    // Every change appends an event, so (epoch, seq) names this representation exactly.
    // `fresh` (the SDK after a reset) asks past every cache: a one-off URL no cache should keep either.
    if (answeredFromCache(req, res, feedTag(snapshot, `s${limit}`), req.query.fresh === undefined ? cacheControl : 'no-store')) return;
    res.json(snapshot);
  });

  r.get('/v1/feeds/:feedId/entries', ...page, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const limit = intParam(req.query.limit, 'limit', DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const before = req.query.before;
    if (before !== undefined && typeof before !== 'string') throw new AppError('invalid_cursor', '"before" must be a cursor from nextBefore');
    // The head first: its tag may then be older than the page it labels, never newer (caches refetch sooner, never keep a stale page).
    const head = await heads.read(id, () => store.head(id));
    if (head === null) throw notFound(id);
    if (answeredFromCache(req, res, feedTag(head, `p${before ?? ''}-${limit}`), cacheControl)) return;
    const page = await pages.read(`${id} ${before ?? ''} ${limit}`, () => store.listEntries(id, before ?? null, limit));
    if (page === null) throw notFound(id);
    res.json(page);
  });

  r.get('/v1/feeds/:feedId/events', cors, budget(() => rowsWeight(resumeLimit)), async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const since = intParam(req.query.since, 'since', null, 0, Number.MAX_SAFE_INTEGER);
    const epoch = req.query.epoch;
    if (epoch !== undefined && typeof epoch !== 'string') throw new AppError('invalid_cursor', '"epoch" must be a string');
    const reset = (reason: string, head: FeedHead): AppError => new AppError('reset', 'this cursor is outside what can be replayed: reload the snapshot', {
      reason, seq: head.seq, epoch: head.epoch,
    });
    // The head first (a cheap read): a cursor too far behind is answered without reading events.
    const head = await heads.read(id, () => store.head(id));
    if (head === null) throw notFound(id);
    if (head.seq - since > resumeLimit && (epoch === undefined || epoch === head.epoch)) throw reset('too_far_behind', head);
    const result = await events.read(`${id} ${since} ${epoch ?? ''}`, () => store.eventsSince(id, since, epoch, resumeLimit));
    if (result === null) throw notFound(id);
    if (result.kind === 'reset') throw reset(result.reason, result.head);
    if (result.head.seq - since > resumeLimit) throw reset('too_far_behind', result.head);
    res.json({ feed: id, seq: result.head.seq, epoch: result.head.epoch, events: result.events.map(toEventFrame) });
  });

  return r;
}

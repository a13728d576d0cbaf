import { createHash } from 'node:crypto';
import express, { type RequestHandler, type Response, type Router } from 'express';
import type { EditorToken } from '../config';
import { parseEntryPatch, parseFeedPatch, parseNewEntryRequest, parseNewFeed, parseScheduledPatch } from '../domain/validate';
import { AppError } from '../errors';
import type { FeedEventType } from '../domain/types';
import type { Metrics } from '../metrics';
import type { RateLimiter } from '../rate-limiter';
import { scheduledNotFound } from '../store/feed-state';
import type { FeedStore, IdempotencyRequest, WriteContext } from '../store/feed-store';
import { actorOf, requireEditor } from './auth';
import { AuthThrottle } from './auth-throttle';
import { feedIdParam, ifMatchRevision, intParam, revisionTag } from './params';
import { exactRouter } from './router';

/** Largest request body an editor may send. */
export const BODY_LIMIT_BYTES = 256 * 1024;

const ENTRY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** POST and PATCH bodies must be JSON: 415 otherwise, 400 when malformed, 413 when too large. */
const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) throw new AppError('unsupported_media_type', 'send the body as Content-Type: application/json');
  next();
};
const parseJson = express.json({ limit: BODY_LIMIT_BYTES, strict: false });

function entryId(raw: string, feed: string): string {
  if (!ENTRY_ID.test(raw)) throw new AppError('entry_not_found', `no entry "${raw}" in feed "${feed}"`);
  return raw;
}

function scheduledId(raw: string, feed: string): string {
  if (!ENTRY_ID.test(raw)) throw scheduledNotFound(feed, raw);
  return raw;
}

function idempotency(header: string | undefined, input: unknown): IdempotencyRequest | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new AppError('validation_failed', 'Idempotency-Key must be 1-200 printable ASCII characters', { field: 'Idempotency-Key' });
  }
  // The validated input, not the raw bytes: the same entry sent with other whitespace is the same request.
  return { key: header, fingerprint: createHash('sha256').update(JSON.stringify(input)).digest('base64url') };
}

/** Who makes a change, and through which request: what the event and the audit log record. */
function contextOf(res: Response): WriteContext {
  const requestId = res.get('X-Request-Id'); // set by requestLog on every request
  return requestId === undefined ? { actor: actorOf(res.locals) } : { actor: actorOf(res.locals), requestId };
}

/** An optional cursor query parameter: absent, or one string. */
function cursorParam(raw: unknown, name: string): string | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string') throw new AppError('invalid_cursor', `"${name}" must be a cursor from the previous page`);
  return raw;
}

export interface EditorRoutesDeps {
  readonly store: FeedStore;
  readonly tokens: readonly EditorToken[];
  /** Writes per editor per minute (LIVELINE_EDITOR_WRITES_PER_MINUTE). */
  readonly rateLimiter: RateLimiter;
  readonly metrics: Metrics;
  /** Failed authentications per client address per minute, per node (LIVELINE_AUTH_FAILURES_PER_MINUTE). */
  readonly authFailuresPerMinute: number;
  /** Take the client address from X-Forwarded-For (LIVELINE_TRUST_PROXY). */
  readonly trustProxy: boolean;
}

/**
 * The editor API: every route needs a bearer token (failed attempts are throttled per
 * client address) and counts against that editor's writes per minute; every change goes
 * through the store.
 */
export function editorRoutes({ store, tokens, rateLimiter, metrics, authFailuresPerMinute, trustProxy }: EditorRoutesDeps): Router {
  const r = exactRouter();
  const auth = requireEditor(tokens, new AuthThrottle({ failuresPerMinute: authFailuresPerMinute, trustProxy, metrics }));
  const limit: RequestHandler = async (_req, res, next) => {
    const decision = await rateLimiter.take(actorOf(res.locals));
    if (!decision.allowed) {
      metrics.refused.inc({ limit: 'editor_writes' });
      res.set('Retry-After', String(decision.retryAfterSeconds));
      throw new AppError('rate_limited', `too many writes from this editor; retry in ${decision.retryAfterSeconds} s`);
    }
    next();
  };
  const editor = [auth, limit];
  const published = (type: FeedEventType): void => {
    metrics.eventsPublished.inc({ type });
  };

  // Listing and reading history are not writes: the token is needed, the writes-per-minute budget is not charged.
  r.get('/v1/feeds', auth, async (req, res) => {
    const limit = intParam(req.query.limit, 'limit', 20, 1, 100);
    res.set('Cache-Control', 'no-store').json(await store.listFeeds(cursorParam(req.query.cursor, 'cursor'), limit));
  });

  r.post('/v1/feeds', ...editor, requireJson, parseJson, async (req, res) => {
    const feed = await store.createFeed(parseNewFeed(req.body), contextOf(res));
    res.status(201).location(`/v1/feeds/${feed.id}`).set('ETag', revisionTag(feed.revision)).json({ feed });
  });

  r.patch('/v1/feeds/:feedId', ...editor, requireJson, parseJson, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const expected = ifMatchRevision(req.get('if-match'));
    const result = await store.updateFeed(id, parseFeedPatch(req.body), contextOf(res), expected);
    res.set('ETag', revisionTag(result.feed.revision)).json(result);
    published('feed.updated');
  });

  r.post('/v1/feeds/:feedId/entries', ...editor, requireJson, parseJson, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const { entry: input, publishAt } = parseNewEntryRequest(req.body, new Date());
    // The fingerprint of an entry without publishAt is what it always was: keys sent before scheduling existed still replay.
    const idem = idempotency(req.get('idempotency-key'), publishAt === null ? input : { ...input, publishAt });
    const result = publishAt === null
      ? await store.createEntry(id, input, contextOf(res), idem)
      : await store.scheduleEntry(id, input, publishAt, contextOf(res), idem);
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    if ('scheduled' in result) {
      const { scheduled } = result;
      res.status(202).location(`/v1/feeds/${id}/scheduled/${scheduled.id}`).set('ETag', revisionTag(scheduled.revision)).json({ scheduled });
      return;
    }
    if (!result.replayed) published('entry.created');
    res.status(201).location(`/v1/feeds/${id}#entry-${result.entry.id}`).set('ETag', revisionTag(result.entry.revision)).json({ entry: result.entry, seq: result.seq });
  });

  r.get('/v1/feeds/:feedId/scheduled', auth, async (req, res) => {
    res.set('Cache-Control', 'no-store').json({ scheduled: await store.listScheduled(feedIdParam(req.params.feedId)) });
  });

  r.get('/v1/feeds/:feedId/scheduled/:entryId', auth, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = scheduledId(req.params.entryId as string, id);
    const scheduled = (await store.listScheduled(id)).find((s) => s.id === entry);
    if (scheduled === undefined) throw scheduledNotFound(id, entry);
    res.set({ 'Cache-Control': 'no-store', ETag: revisionTag(scheduled.revision) }).json({ scheduled });
  });

  r.patch('/v1/feeds/:feedId/scheduled/:entryId', ...editor, requireJson, parseJson, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = scheduledId(req.params.entryId as string, id);
    const expected = ifMatchRevision(req.get('if-match'));
    const scheduled = await store.updateScheduled(id, entry, parseScheduledPatch(req.body, new Date()), contextOf(res), expected);
    res.set('ETag', revisionTag(scheduled.revision)).json({ scheduled });
  });

  r.delete('/v1/feeds/:feedId/scheduled/:entryId', ...editor, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = scheduledId(req.params.entryId as string, id);
    await store.cancelScheduled(id, entry, contextOf(res), ifMatchRevision(req.get('if-match')));
    res.json({ id: entry, cancelled: true });
  });

  r.get('/v1/feeds/:feedId/audit', auth, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const limit = intParam(req.query.limit, 'limit', 50, 1, 100);
    res.set('Cache-Control', 'no-store').json(await store.audit(id, cursorParam(req.query.before, 'before'), limit));
  });

  r.patch('/v1/feeds/:feedId/entries/:entryId', ...editor, requireJson, parseJson, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = entryId(req.params.entryId as string, id);
    const expected = ifMatchRevision(req.get('if-match'));
    const result = await store.updateEntry(id, entry, parseEntryPatch(req.body), contextOf(res), expected);
    res.set('ETag', revisionTag(result.entry.revision)).json(result);
    published('entry.updated');
  });

  r.get('/v1/feeds/:feedId/entries/:entryId/revisions', auth, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = entryId(req.params.entryId as string, id);
    res.set('Cache-Control', 'no-store').json({ revisions: await store.revisions(id, entry) });
  });

  r.delete('/v1/feeds/:feedId/entries/:entryId', ...editor, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = entryId(req.params.entryId as string, id);
    const { seq } = await store.deleteEntry(id, entry, contextOf(res), ifMatchRevision(req.get('if-match')));
    res.json({ id: entry, seq });
    published('entry.deleted');
  });

  return r;
}

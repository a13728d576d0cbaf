import { createHash } from 'node:crypto';
import express, { type RequestHandler, type Router } from 'express';
import type { EditorToken } from '../config';
import { parseEntryPatch, parseFeedPatch, parseNewEntry, parseNewFeed } from '../domain/validate';
import { AppError } from '../errors';
import type { FeedEventType } from '../domain/types';
import type { Metrics } from '../metrics';
import type { RateLimiter } from '../rate-limiter';
import type { FeedStore, IdempotencyRequest } from '../store/feed-store';
import { actorOf, requireEditor } from './auth';
import { AuthThrottle } from './auth-throttle';
import { feedIdParam, ifMatchRevision, revisionTag } from './params';
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

function idempotency(header: string | undefined, input: unknown): IdempotencyRequest | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new AppError('validation_failed', 'Idempotency-Key must be 1-200 printable ASCII characters', { field: 'Idempotency-Key' });
  }
  // The validated input, not the raw bytes: the same entry sent with other whitespace is the same request.
  return { key: header, fingerprint: createHash('sha256').update(JSON.stringify(input)).digest('base64url') };
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

  r.post('/v1/feeds', ...editor, requireJson, parseJson, async (req, res) => {
    const feed = await store.createFeed(parseNewFeed(req.body), { actor: actorOf(res.locals) });
    res.status(201).location(`/v1/feeds/${feed.id}`).set('ETag', revisionTag(feed.revision)).json({ feed });
  });

  r.patch('/v1/feeds/:feedId', ...editor, requireJson, parseJson, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const expected = ifMatchRevision(req.get('if-match'));
    const result = await store.updateFeed(id, parseFeedPatch(req.body), { actor: actorOf(res.locals) }, expected);
    res.set('ETag', revisionTag(result.feed.revision)).json(result);
    published('feed.updated');
  });

  r.post('/v1/feeds/:feedId/entries', ...editor, requireJson, parseJson, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const input = parseNewEntry(req.body);
    const result = await store.createEntry(id, input, { actor: actorOf(res.locals) }, idempotency(req.get('idempotency-key'), input));
    if (result.replayed) res.set('Idempotent-Replayed', 'true');
    else published('entry.created');
    res.status(201).location(`/v1/feeds/${id}#entry-${result.entry.id}`).set('ETag', revisionTag(result.entry.revision)).json({ entry: result.entry, seq: result.seq });
  });

  r.patch('/v1/feeds/:feedId/entries/:entryId', ...editor, requireJson, parseJson, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = entryId(req.params.entryId as string, id);
    const expected = ifMatchRevision(req.get('if-match'));
    const result = await store.updateEntry(id, entry, parseEntryPatch(req.body), { actor: actorOf(res.locals) }, expected);
    res.set('ETag', revisionTag(result.entry.revision)).json(result);
    published('entry.updated');
  });

  // Reading history is not a write: the token is needed, the writes-per-minute budget is not charged.
  r.get('/v1/feeds/:feedId/entries/:entryId/revisions', auth, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = entryId(req.params.entryId as string, id);
    res.set('Cache-Control', 'no-store').json({ revisions: await store.revisions(id, entry) });
  });

  r.delete('/v1/feeds/:feedId/entries/:entryId', ...editor, async (req, res) => {
    const id = feedIdParam(req.params.feedId);
    const entry = entryId(req.params.entryId as string, id);
    const { seq } = await store.deleteEntry(id, entry, { actor: actorOf(res.locals) }, ifMatchRevision(req.get('if-match')));
    res.json({ id: entry, seq });
    published('entry.deleted');
  });

  return r;
}

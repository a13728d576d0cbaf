import type { RequestHandler, Router } from 'express';
import { AppError } from '../errors';
import type { WsGateway } from '../gateway/ws-gateway';
import { feedIdParam, intParam } from './params';
import type { Weight } from './reader-budget';
import { readerCors } from './reader-routes';
import { exactRouter } from './router';

/**
 * `GET /v1/feeds/:feedId/stream`: Server-Sent Events for readers whose network refuses
 * WebSocket upgrades. Resumes after the `Last-Event-ID` header (what a browser's
 * EventSource sends when it reconnects) or else `?since=`; `?epoch=` guards the cursor.
 */
export function sseRoutes(gateway: WsGateway, allowedOrigins: readonly string[] | null, budget: (weight: Weight) => RequestHandler): Router {
  const r = exactRouter();
  r.get('/v1/feeds/:feedId/stream', readerCors(allowedOrigins), budget(() => 1), async (req, res) => {
    const origin = req.get('origin');
    if (origin !== undefined && allowedOrigins !== null && !allowedOrigins.includes(origin)) {
      throw new AppError('forbidden_origin', `origin ${origin} may not read this server`);
    }
    const feed = feedIdParam(req.params.feedId);
    const lastEventId = req.get('last-event-id');
    const rawSince = lastEventId !== undefined && lastEventId !== '' ? lastEventId : req.query.since;
    const since = rawSince === undefined ? undefined : intParam(rawSince, 'since', null, 0, Number.MAX_SAFE_INTEGER);
    const epoch = req.query.epoch;
    if (epoch !== undefined && (typeof epoch !== 'string' || epoch === '')) throw new AppError('invalid_cursor', '"epoch" must be a string');
    // A 404 (not a stream that ends at once) stops a browser's EventSource from retrying forever.
    if (!(await gateway.feedExists(feed))) throw new AppError('feed_not_found', `no feed "${feed}"`);
    gateway.openStream(req, res, feed, since, epoch);
  });
  return r;
}

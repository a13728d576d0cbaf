import type { Request, RequestHandler } from 'express';
import { clientKey } from '../client-address';
import { AppError } from '../errors';
import type { Metrics } from '../metrics';
import { DEFAULT_PAGE_SIZE } from '../store/feed-store';
import { KeyedBuckets } from '../token-bucket';

/** What one request may cost, in units of a default page (20 entries or events). */
export type Weight = (req: Request) => number;

/** Units for a request that may return up to `rows` entries or events. */
export function rowsWeight(rows: number): number {
  return Math.max(1, Math.ceil(rows / DEFAULT_PAGE_SIZE));
}

/**
 * Readers' HTTP requests (snapshot, entries, events, stream) per client address
 * (LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND units per second, bursts of twice that);
 * beyond it 429 `rate_limited` with Retry-After, before any store work is done. A request
 * costs what it may return: one unit per default page of entries or events, so asking for
 * 100 entries at a time buys a fifth as many requests. Returns a middleware per weight.
 */
export function readerBudget(perSecond: number, trustProxy: boolean, metrics: Metrics): (weight: Weight) => RequestHandler {
  const capacity = 2 * perSecond;
  const buckets = new KeyedBuckets({ perSecond, capacity });
  return (weight) => (req, res, next) => {
    const address = clientKey(req, trustProxy);
    if (!buckets.take(address, Date.now(), Math.min(capacity, weight(req)))) {
      metrics.refused.inc({ limit: 'reader_requests' });
      res.set('Retry-After', String(buckets.retryAfterSeconds(address)));
      throw new AppError('rate_limited', 'too many requests from this address; slow down');
    }
    next();
  };
}

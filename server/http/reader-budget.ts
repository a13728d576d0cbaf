import type { RequestHandler } from 'express';
import { clientKey } from '../client-address';
import { AppError } from '../errors';
import type { Metrics } from '../metrics';
import { KeyedBuckets } from '../token-bucket';

/**
 * Readers' HTTP requests (snapshot, entries, events, stream) per client address per
 * second (LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND, bursts of twice that); beyond it
 * 429 `rate_limited` with Retry-After, before any store work is done.
 */
export function readerBudget(perSecond: number, trustProxy: boolean, metrics: Metrics): RequestHandler {
  const buckets = new KeyedBuckets({ perSecond, capacity: 2 * perSecond });
  return (req, res, next) => {
    const address = clientKey(req, trustProxy);
    if (!buckets.take(address)) {
      metrics.refused.inc({ limit: 'reader_requests' });
      res.set('Retry-After', String(buckets.retryAfterSeconds(address)));
      throw new AppError('rate_limited', 'too many requests from this address; slow down');
    }
    next();
  };
}

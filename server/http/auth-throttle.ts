import type { IncomingMessage } from 'node:http';
import { clientKey } from '../client-address';
import { AppError } from '../errors';
import type { Metrics } from '../metrics';
import { KeyedBuckets } from '../token-bucket';

export interface AuthThrottleOptions {
  /** Failed editor authentications allowed per address per minute (LIVELINE_AUTH_FAILURES_PER_MINUTE). */
  readonly failuresPerMinute: number;
  /** Take the address from X-Forwarded-For (LIVELINE_TRUST_PROXY). */
  readonly trustProxy: boolean;
  readonly metrics: Metrics;
  /** Clock, ms (tests). */
  readonly now?: () => number;
}

/**
 * Failed editor authentications per client address: a token bucket holding
 * `failuresPerMinute` failures and refilling at that many per minute. Once an address has
 * used them up, every editor request from it is refused with 429 `too_many_auth_failures`
 * (and Retry-After) before its token is even looked at — so a throttled address learns
 * nothing about its guesses, and even the right token waits.
 *
 * Kept per node, in memory, on purpose. Editor tokens are at least 32 random characters
 * (config refuses shorter ones), so online guessing is hopeless with or without a shared
 * counter; this throttle exists to make guessing slower still and to keep a scanner from
 * filling the logs, and a per-node bucket does that without a Redis round trip on every
 * editor request. The cost: behind a balancer spreading requests over N nodes, an address
 * gets up to N × the limit. Memory follows activity: an address gets a bucket only when
 * it fails, and KeyedBuckets forgets a bucket once it is full again (a minute after its
 * last failure at most), so what is held is bounded by the failures of the last minute.
 */
export class AuthThrottle {
  private readonly buckets: KeyedBuckets;
  private readonly now: () => number;

  constructor(private readonly options: AuthThrottleOptions) {
    if (!(options.failuresPerMinute >= 1)) throw new RangeError(`failuresPerMinute must be at least 1, got ${options.failuresPerMinute}`);
    this.buckets = new KeyedBuckets({ perSecond: options.failuresPerMinute / 60, capacity: options.failuresPerMinute });
    this.now = options.now ?? Date.now;
  }

  /**
   * The request's client address, or 429 `too_many_auth_failures` (with Retry-After) when
   * that address has no failures left. Call before comparing the token.
   */
  admit(req: IncomingMessage, res: { set(field: string, value: string): unknown }): string {
    const address = clientKey(req, this.options.trustProxy);
    const now = this.now();
    if (!this.buckets.allows(address, now)) {
      const retryAfter = this.buckets.retryAfterSeconds(address, now);
      this.options.metrics.refused.inc({ limit: 'auth_failures' });
      res.set('Retry-After', String(retryAfter));
      throw new AppError('too_many_auth_failures', `too many failed editor authentications from this address; retry in ${retryAfter} s`);
    }
    return address;
  }

  /** Counts a failed authentication from `address` (as admit returned it). */
  failed(address: string): void {
    this.options.metrics.authFailures.inc();
    this.buckets.take(address, this.now());
  }

  /** Addresses currently tracked (for tests of the memory bound). */
  get tracked(): number {
    return this.buckets.size;
  }
}

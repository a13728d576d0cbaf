/**
 * Token buckets: the one shape every reader-side budget takes. A bucket holds up to
 * `capacity` tokens and refills at `perSecond`; an action takes one token or is refused.
 */
export interface BucketRate {
  /** Tokens added per second. */
  readonly perSecond: number;
  /** Most tokens held: the burst allowed after a quiet spell. */
  readonly capacity: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly rate: BucketRate, now = Date.now()) {
    this.tokens = rate.capacity;
    this.at = now;
  }

  /** Takes `count` tokens if there are that many (one by default). */
  take(now = Date.now(), count = 1): boolean {
    this.refill(now);
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }

  /** Whether a token is there to take, without taking it. */
  available(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= 1;
  }

  /** Seconds until the next token, at least 1 (for Retry-After). */
  retryAfterSeconds(now = Date.now()): number {
    this.refill(now);
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate.perSecond));
  }

  /** True when the bucket is full again: it can be forgotten. */
  full(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= this.rate.capacity;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.rate.capacity, this.tokens + ((now - this.at) / 1000) * this.rate.perSecond);
    this.at = now;
  }
}

/** How often full buckets are swept out of a KeyedBuckets, ms. */
const SWEEP_MS = 10_000;

/** One bucket per key (a client address, a connection): forgotten once full again, so memory follows activity. */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private lastSweep = Date.now();

  constructor(private readonly rate: BucketRate) {}

  /** Takes `count` tokens from `key`'s bucket if it holds that many (one by default). */
  take(key: string, now = Date.now(), count = 1): boolean {
    this.sweep(now);
    return this.bucket(key, now).take(now, count);
  }

  retryAfterSeconds(key: string, now = Date.now()): number {
    return this.buckets.get(key)?.retryAfterSeconds(now) ?? 1;
  }

  /** Whether `key` has a token left, without taking it. */
  allows(key: string, now = Date.now()): boolean {
    return this.buckets.get(key)?.available(now) ?? true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private bucket(key: string, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.rate, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_MS) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key);
  }
}

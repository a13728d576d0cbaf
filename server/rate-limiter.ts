/**
 * Editors' writes per token per minute. A fixed one-minute window per editor: simple,
 * cheap, and on Redis one counter shared by every node, so the limit holds however many
 * nodes an editor's requests are spread over.
 */
import type { RedisClient } from './redis/redis-client';
import { AppError } from './errors';

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one write by `editor` and says whether it is within the limit. */
  take(editor: string): Promise<RateDecision>;
}

const WINDOW_MS = 60_000;

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { window: number; count: number }>();

  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {}

  async take(editor: string): Promise<RateDecision> {
    const now = this.now();
    const window = Math.floor(now / WINDOW_MS);
    const current = this.windows.get(editor);
    const entry = current?.window === window ? current : { window, count: 0 };
    entry.count += 1;
    this.windows.set(editor, entry);
    return decide(entry.count, this.perMinute, now);
  }
}

export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly redis: RedisClient, private readonly prefix: string, private readonly perMinute: number) {}

  async take(editor: string): Promise<RateDecision> {
    const now = Date.now();
    const key = `${this.prefix}:ratelimit:{editor:${editor}}:${Math.floor(now / WINDOW_MS)}`;
    let count: number;
    try {
      const [[incrErr, incr] = [null, 0], [expireErr] = [null]] = (await this.redis.multi().incr(key).pexpire(key, 2 * WINDOW_MS).exec()) ?? [];
      if (incrErr !== null) throw incrErr;
      if (expireErr !== null && expireErr !== undefined) throw expireErr;
      count = Number(incr);
    } catch (err) {
      throw new AppError('unavailable', 'the store is unavailable; retry shortly', undefined, err);
    }
    return decide(count, this.perMinute, now);
  }
}

function decide(count: number, limit: number, now: number): RateDecision {
  if (count <= limit) return { allowed: true };
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((WINDOW_MS - (now % WINDOW_MS)) / 1000)) };
}

/**
 * Full-jitter exponential backoff: the delay before retry number `attempt` (0-based) is
 * uniformly random in [0, min(maxMs, baseMs · 2^attempt)). Spreading retries over the whole
 * window keeps ten thousand readers who lost the same node from reconnecting in lockstep.
 */
export interface BackoffOptions {
  /** Window of the first retry, in ms. Default 500. */
  baseMs?: number;
  /** Upper bound of the window, in ms. Default 20000. */
  maxMs?: number;
  /** Source of randomness in [0, 1). Default Math.random. */
  random?: () => number;
}

/** Returns `delay(attempt)` in milliseconds. */
export function createBackoff({ baseMs = 500, maxMs = 20000, random = Math.random }: BackoffOptions = {}): (
  attempt: number,
) => number {
  return (attempt) => random() * Math.min(maxMs, baseMs * 2 ** attempt);
}

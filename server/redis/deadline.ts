/** Deadlines for Redis work that would otherwise wait as long as a hung server lets it. */
import type { RedisClient } from './redis-client';

/** `promise`, or a rejection after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Resolves once the connection is ready; rejects after `ms`. */
export function whenReady(conn: RedisClient, ms: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  let onReady = (): void => undefined;
  return withTimeout(new Promise<void>((resolve) => {
    onReady = resolve;
    conn.once('ready', onReady);
  }), ms).finally(() => conn.off('ready', onReady));
}

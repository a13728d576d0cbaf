/**
 * The backend is the store plus the broker it publishes to. Which one runs is decided by
 * the config alone: no REDIS_URL → the embedded in-memory pair.
 */
import type { Broker } from './broker/broker';
import { MemoryBroker } from './broker/memory-broker';
import type { Config } from './config';
import { createRedisBackend } from './redis/redis-backend';
import type { FeedStore } from './store/feed-store';
import { MemoryStore } from './store/memory-store';

export interface Backend {
  readonly kind: 'memory' | 'redis';
  readonly store: FeedStore;
  readonly broker: Broker;
  /** True when the store and broker answer right now. */
  isReady(): Promise<boolean>;
  /** Closes the store and the broker. Idempotent. */
  close(): Promise<void>;
}

export function createMemoryBackend(config: Pick<Config, 'historySize'>, onError: (err: unknown, context: string) => void): Backend {
  const broker = new MemoryBroker((err) => onError(err, 'broker handler'));
  const store = new MemoryStore({
    historySize: config.historySize,
    publish: (event) => {
      broker.publish(event).catch((err: unknown) => onError(err, 'publish'));
    },
  });
  return {
    kind: 'memory',
    store,
    broker,
    isReady: async () => true,
    close: async () => {
      await Promise.all([store.close(), broker.close()]);
    },
  };
}

/** The backend the config asks for: Redis when REDIS_URL is set, else the embedded pair. */
export async function createBackend(
  config: Pick<Config, 'historySize' | 'redisUrl' | 'redisPrefix'>,
  onError: (err: unknown, context: string) => void,
): Promise<Backend> {
  if (config.redisUrl === null) return createMemoryBackend(config, onError);
  return createRedisBackend({ url: config.redisUrl, prefix: config.redisPrefix, historySize: config.historySize, onError });
}

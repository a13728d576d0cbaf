/**
 * The backend is the store plus the broker it publishes to. Which one runs is decided by
 * the config alone: no REDIS_URL → the embedded in-memory pair.
 */
import type { Broker } from './broker/broker';
import { MemoryBroker } from './broker/memory-broker';
import type { Config } from './config';
import type { FeedStore } from './store/feed-store';
import { MemoryStore } from './store/memory-store';

export interface Backend {
  readonly kind: 'memory';
  readonly store: FeedStore;
  readonly broker: Broker;
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
    close: async () => {
      await Promise.all([store.close(), broker.close()]);
    },
  };
}

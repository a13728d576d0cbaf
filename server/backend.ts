/**
 * The backend is the store plus the broker it publishes to. Which one runs is decided by
 * the config alone: none of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS → the embedded in-memory pair.
 */
import type { Broker } from './broker/broker';
import { MemoryBroker } from './broker/memory-broker';
import type { Config } from './config';
import type { Metrics } from './metrics';
import { MemoryRateLimiter, type RateLimiter } from './rate-limiter';
import { createRedisBackend } from './redis/redis-backend';
import type { FeedStore } from './store/feed-store';
import { MemoryStore } from './store/memory-store';

export interface Backend {
  readonly kind: 'memory' | 'redis';
  readonly store: FeedStore;
  readonly broker: Broker;
  /** Editors' writes per minute, shared by every node on the same backend. */
  readonly rateLimiter: RateLimiter;
  /** For the start-up banner: when a change counts as acknowledged (Redis only). */
  readonly durability?: string;
  /** True when the store and broker answer right now. */
  isReady(): Promise<boolean>;
  /** Calls `listener(up)` when a connection drops (false) or comes back (true). */
  onConnectionChange(listener: (up: boolean) => void): void;
  /**
   * A check failed although the connections claim to be up (a half-open or silently
   * broken connection): re-establish them. Connections already reconnecting are left alone.
   */
  repair(): void;
  /** Closes the store and the broker. Idempotent. */
  close(): Promise<void>;
}

type BackendConfig = Pick<
  Config, 'historySize' | 'redisUrl' | 'redisClusterNodes' | 'redisSentinels' | 'redisMinReplicas' | 'redisWaitTimeoutMs' | 'redisPassword' | 'redisPrefix'
> & {
  readonly limits: Pick<Config['limits'], 'editorWritesPerMinute' | 'maxPinnedPerFeed'>;
};

/**
 * Without `limits` (tests that pass only `{ historySize }`): editors' writes are unlimited
 * and the pinned cap is the store's default, DEFAULT_MAX_PINNED_PER_FEED (5) — the same as
 * LIVELINE_MAX_PINNED_PER_FEED's default, so a store never runs without the documented rule.
 */
export function createMemoryBackend(config: Pick<BackendConfig, 'historySize'> & Partial<BackendConfig>, onError: (err: unknown, context: string) => void): Backend {
  const broker = new MemoryBroker((err) => onError(err, 'broker handler'));
  const store = new MemoryStore({
    historySize: config.historySize,
    ...(config.limits !== undefined ? { maxPinnedPerFeed: config.limits.maxPinnedPerFeed } : {}),
    publish: (event) => {
      broker.publish(event.feed, { seq: event.seq, epoch: event.epoch }).catch((err: unknown) => onError(err, 'publish'));
    },
  });
  return {
    kind: 'memory',
    store,
    broker,
    rateLimiter: new MemoryRateLimiter(config.limits?.editorWritesPerMinute ?? Number.MAX_SAFE_INTEGER),
    isReady: async () => true,
    onConnectionChange: () => undefined, // in-process: nothing to lose
    repair: () => undefined,
    close: async () => {
      await Promise.all([store.close(), broker.close()]);
    },
  };
}

/** The backend the config asks for: Redis when REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS is set, else the embedded pair. */
export async function createBackend(config: BackendConfig, onError: (err: unknown, context: string) => void, metrics?: Metrics): Promise<Backend> {
  const target = config.redisClusterNodes !== null
    ? { clusterNodes: config.redisClusterNodes }
    : config.redisSentinels !== null
      ? { sentinels: config.redisSentinels }
      : config.redisUrl !== null ? { url: config.redisUrl } : null;
  if (target === null) return createMemoryBackend(config, onError);
  return createRedisBackend({
    ...target,
    password: config.redisPassword,
    minReplicas: config.redisMinReplicas,
    waitTimeoutMs: config.redisWaitTimeoutMs,
    prefix: config.redisPrefix,
    historySize: config.historySize,
    editorWritesPerMinute: config.limits.editorWritesPerMinute,
    maxPinnedPerFeed: config.limits.maxPinnedPerFeed,
    onError,
    ...(metrics !== undefined ? { metrics } : {}),
  });
}

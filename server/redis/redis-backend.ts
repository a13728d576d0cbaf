import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Backend } from '../backend';
import type { RedisNode } from '../config';
import { AppError } from '../errors';
import type { Metrics } from '../metrics';
import { RedisRateLimiter } from '../rate-limiter';
import { RedisBroker } from './redis-broker';
import type { RedisClient } from './redis-client';
import { RedisStore } from './redis-store';

export interface RedisBackendOptions {
  /** One Redis server (REDIS_URL). Exactly one of `url` and `clusterNodes` is given. */
  readonly url?: string;
  /**
   * Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES): both connections are ioredis
   * Cluster clients, which find the other nodes and follow MOVED/ASK themselves.
   */
  readonly clusterNodes?: readonly RedisNode[];
  /** Used when the URL carries no password; on a Cluster, for every node. */
  readonly password?: string | null;
  readonly prefix: string;
  readonly historySize: number;
  /** How long a Redis command may take before it fails (and the request answers 503), ms. Default 1500. */
  readonly commandTimeoutMs?: number;
  /** How long start-up waits for Redis, ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Pinned entries per feed (LIVELINE_MAX_PINNED_PER_FEED). Default: the store's, 5. */
  readonly maxPinnedPerFeed?: number;
  /** Editors' writes per minute, counted in Redis across nodes. Default: unlimited. */
  readonly editorWritesPerMinute?: number;
  readonly onError: (err: unknown, context: string) => void;
  /** Counts errors and reconnects per connection when given. */
  readonly metrics?: Metrics;
}

/**
 * Both connections fail fast instead of queueing: with Redis away, a write answers 503
 * within the command timeout rather than hanging on an offline queue, and a command that
 * was in flight when the connection dropped is failed, not silently re-sent (creates carry
 * an idempotency key as well, so even a re-send could not duplicate an entry).
 */
function connectionOptions(commandTimeoutMs: number): RedisOptions {
  return {
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false, // RedisBroker resubscribes itself, then resyncs
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    lazyConnect: true,
  };
}

/**
 * A Cluster client with the same fail-fast behaviour. Its broker runs on plain
 * SUBSCRIBE/PUBLISH (a PUBLISH reaches every node's subscribers): correct, not sharded.
 * ioredis keeps the subscriber on one node and resubscribes it elsewhere if that node goes.
 */
function clusterClient(nodes: readonly RedisNode[], redisOptions: RedisOptions): Cluster {
  const { retryStrategy, enableOfflineQueue, lazyConnect: _lazy, ...perNode } = redisOptions;
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: enableOfflineQueue ?? false,
    enableReadyCheck: true,
    clusterRetryStrategy: retryStrategy ?? null,
    slotsRefreshTimeout: 2000,
    redisOptions: perNode,
  };
  return new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), options);
}

/** Silent-failure repairs (reconnecting connections that claim to be up) happen at most this often, ms. */
const REPAIR_INTERVAL_MS = 5000;

/** Connects to Redis (waiting for it, bounded) and returns the Redis store and broker. */
export async function createRedisBackend(options: RedisBackendOptions): Promise<Backend> {
  const base = { ...connectionOptions(options.commandTimeoutMs ?? 1500), ...(options.password ? { password: options.password } : {}) };
  const { url, clusterNodes } = options;
  if ((url === undefined) === (clusterNodes === undefined)) throw new TypeError('createRedisBackend: give exactly one of url and clusterNodes');
  if (clusterNodes !== undefined && clusterNodes.length === 0) throw new TypeError('createRedisBackend: clusterNodes is empty');
  const open = (redisOptions: RedisOptions): RedisClient => (url !== undefined ? new Redis(url, redisOptions) : clusterClient(clusterNodes ?? [], redisOptions));
  const commands = open({ ...base, connectionName: 'liveline' });
  const subscriber = open({ ...base, connectionName: 'liveline-subscriber', commandTimeout: undefined });
  for (const [conn, name] of [[commands, 'commands'], [subscriber, 'subscriber']] as const) {
    conn.on('error', (err: unknown) => {
      options.metrics?.redisErrors.inc({ connection: name });
      options.onError(err, `redis ${name} connection`);
    });
    conn.on('reconnecting', () => options.metrics?.redisReconnects.inc({ connection: name }));
    // A Cluster reports a failing node here rather than through 'error'.
    if (conn instanceof Cluster) {
      conn.on('node error', (err: unknown, node: unknown) => {
        options.metrics?.redisErrors.inc({ connection: name });
        options.onError(err, `redis ${name} connection (cluster node ${String(node)})`);
      });
    }
  }
  const connectionListeners: Array<(up: boolean) => void> = [];
  for (const conn of [commands, subscriber]) {
    conn.on('close', () => connectionListeners.forEach((l) => l(false)));
    conn.on('ready', () => connectionListeners.forEach((l) => l(true)));
  }
  try {
    await Promise.all([connect(commands, options.connectTimeoutMs ?? 10_000), connect(subscriber, options.connectTimeoutMs ?? 10_000)]);
  } catch (err) {
    commands.disconnect();
    subscriber.disconnect();
    throw err;
  }

  const store = new RedisStore({
    redis: commands, prefix: options.prefix, historySize: options.historySize, onError: options.onError,
    ...(options.maxPinnedPerFeed !== undefined ? { maxPinnedPerFeed: options.maxPinnedPerFeed } : {}),
  });
  const broker = new RedisBroker({
    publisher: commands, subscriber, prefix: options.prefix, onError: options.onError, onRejected: () => options.metrics?.brokerRejected.inc(),
  });
  let closing: Promise<void> | null = null;
  let lastRepair = 0;
  return {
    kind: 'redis',
    store,
    broker,
    rateLimiter: new RedisRateLimiter(commands, options.prefix, options.editorWritesPerMinute ?? Number.MAX_SAFE_INTEGER),
    onConnectionChange: (listener) => connectionListeners.push(listener),
    repair: () => {
      // A connection that is already reconnecting explains the failure: nothing to repair.
      // Otherwise both claim to be up yet something failed: re-establish both, at most once
      // per interval so a flapping network doesn't turn into a reconnect loop.
      if (commands.status !== 'ready' || subscriber.status !== 'ready') return;
      if (Date.now() - lastRepair < REPAIR_INTERVAL_MS) return;
      lastRepair = Date.now();
      options.onError(new Error('a connection claims to be up but does not answer'), 'redis: reconnecting both connections');
      commands.disconnect(true);
      broker.repair();
    },
    isReady: async () => commands.status === 'ready' && subscriber.status === 'ready' && (await commands.ping().catch(() => null)) === 'PONG',
    close: () => (closing ??= (async () => {
      await broker.close().catch((err: unknown) => options.onError(err, 'closing the broker'));
      await Promise.all([quit(commands), quit(subscriber)]);
    })()),
  };
}

/** connect() with a deadline; ioredis keeps retrying in the background until then. */
async function connect(conn: RedisClient, timeoutMs: number): Promise<void> {
  conn.connect().catch(() => undefined); // failures are retried by retryStrategy and reported through 'error'
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.off('ready', onReady);
      reject(new AppError('unavailable', `Redis did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    if (conn.status === 'ready') onReady();
    else conn.once('ready', onReady);
  });
}

/** QUIT, bounded: a Redis that doesn't answer (hung, partitioned) is simply disconnected. */
async function quit(conn: RedisClient): Promise<void> {
  if (conn.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 1000);
  });
  const result = await Promise.race([conn.quit().then(() => 'quit' as const, () => 'failed' as const), gaveUp]);
  clearTimeout(timer);
  if (result !== 'quit') conn.disconnect();
}

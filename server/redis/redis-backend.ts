import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Backend } from '../backend';
import type { RedisNode } from '../config';
import { AppError } from '../errors';
import type { Metrics } from '../metrics';
import { RedisRateLimiter } from '../rate-limiter';
import type { Broker } from '../broker/broker';
import { RedisBroker } from './redis-broker';
import { ShardedRedisBroker } from './sharded-broker';
import { whenReady } from './deadline';
import { keyspaceNodes, type RedisClient } from './redis-client';
import { RedisStore } from './redis-store';

export interface RedisBackendOptions {
  /** One Redis server (REDIS_URL). Exactly one of `url` and `clusterNodes` is given. */
  readonly url?: string;
  /**
   * Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES): both connections are ioredis
   * Cluster clients, which find the other nodes and follow MOVED/ASK themselves.
   */
  readonly clusterNodes?: readonly RedisNode[];
  /**
   * Redis Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): the connections ask the Sentinels
   * for the primary of that name, and again after a failover.
   */
  readonly sentinels?: { readonly nodes: readonly RedisNode[]; readonly name: string };
  /** Used when the URL carries no password; on a Cluster, for every node; with Sentinel, for the primary and replicas. */
  readonly password?: string | null;
  /**
   * Replicas that must confirm each change before it is announced and acknowledged
   * (LIVELINE_REDIS_MIN_REPLICAS). null: 1 when every master (the primary) has a replica
   * at start-up, else 0.
   */
  readonly minReplicas?: number | null;
  /** How long a change waits for its replicas before it answers 503, ms (LIVELINE_REDIS_WAIT_TIMEOUT_MS). Default 1000. */
  readonly waitTimeoutMs?: number;
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
 * A Cluster client with the same fail-fast behaviour, whose slot map is refreshed every few
 * seconds as well as on MOVED: the sharded broker follows it to resubscribe channels whose
 * slot moved.
 */
function clusterClient(nodes: readonly RedisNode[], redisOptions: RedisOptions): Cluster {
  const { retryStrategy, enableOfflineQueue, lazyConnect: _lazy, ...perNode } = redisOptions;
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: enableOfflineQueue ?? false,
    enableReadyCheck: true,
    clusterRetryStrategy: retryStrategy ?? null,
    slotsRefreshTimeout: 2000,
    slotsRefreshInterval: 5000,
    redisOptions: perNode,
  };
  return new Cluster(nodes.map((n) => ({ host: n.host, port: n.port })), options);
}

/** With Sentinel, reconnect attempts are at most this far apart, ms. */
const SENTINEL_RETRY_MAX_MS = 500;

/** Silent-failure repairs (reconnecting connections that claim to be up) happen at most this often, ms. */
const REPAIR_INTERVAL_MS = 5000;

/** Connects to Redis (waiting for it, bounded) and returns the Redis store and broker. */
export async function createRedisBackend(options: RedisBackendOptions): Promise<Backend> {
  const base = { ...connectionOptions(options.commandTimeoutMs ?? 1500), ...(options.password ? { password: options.password } : {}) };
  const open = opener(options);
  const commands = open({ ...base, connectionName: 'liveline' });
  // Its own connection: WAIT holds the connection it runs on, and reads must not queue behind it.
  const writer = open({ ...base, connectionName: 'liveline-writer' });
  const subscriberOptions: RedisOptions = { ...base, connectionName: 'liveline-subscriber', commandTimeout: undefined };
  const connections: Array<readonly [RedisClient, string]> = [[commands, 'commands'], [writer, 'writer']];
  const connectionListeners: Array<(up: boolean) => void> = [];
  const watch = (conn: RedisClient, name: string, nodeWide = true): void => {
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
    if (!nodeWide) return;
    conn.on('close', () => connectionListeners.forEach((l) => l(false)));
    conn.on('ready', () => connectionListeners.forEach((l) => l(true)));
  };

  const brokerOptions = { prefix: options.prefix, onError: options.onError, onRejected: () => options.metrics?.brokerRejected.inc() };
  let broker: Broker;
  if (commands instanceof Cluster) {
    // Sharded pub/sub: the broker opens its own subscriber connections, one per master it needs.
    broker = new ShardedRedisBroker({
      ...brokerOptions,
      cluster: commands,
      open: (host, port) => {
        const conn = new Redis({ ...subscriberOptions, host, port });
        // One master's connection: losing it is that shard's outage, not this node's (see probe).
        watch(conn, 'subscriber', false);
        return conn;
      },
    });
  } else {
    const subscriber = open(subscriberOptions);
    connections.push([subscriber, 'subscriber']);
    broker = new RedisBroker({ ...brokerOptions, publisher: commands, subscriber });
  }
  for (const [conn, name] of connections) watch(conn, name);
  let minReplicas: number;
  try {
    await Promise.all(connections.map(([conn]) => connect(conn, options.connectTimeoutMs ?? 10_000)));
    minReplicas = options.minReplicas ?? ((await everyMasterHasReplicas(commands)) ? 1 : 0);
  } catch (err) {
    await broker.close();
    for (const [conn] of connections) conn.disconnect();
    throw err;
  }

  const store = new RedisStore({
    redis: commands, writer, prefix: options.prefix, historySize: options.historySize, onError: options.onError,
    durability: { minReplicas, timeoutMs: options.waitTimeoutMs ?? 1000 },
    announce: (feedId, head) => broker.publish(feedId, head),
    ...(options.maxPinnedPerFeed !== undefined ? { maxPinnedPerFeed: options.maxPinnedPerFeed } : {}),
  });
  let closing: Promise<void> | null = null;
  let lastRepair = 0;
  return {
    kind: 'redis',
    store,
    broker,
    rateLimiter: new RedisRateLimiter(commands, options.prefix, options.editorWritesPerMinute ?? Number.MAX_SAFE_INTEGER),
    onConnectionChange: (listener) => connectionListeners.push(listener),
    durability: minReplicas === 0
      ? 'changes are acknowledged once Redis has them (no replicas waited for; LIVELINE_REDIS_MIN_REPLICAS=0)'
      : `changes are acknowledged and shown to readers once ${minReplicas} replica(s) hold them (LIVELINE_REDIS_MIN_REPLICAS=${minReplicas})`,
    repair: () => {
      // A connection that is already reconnecting explains the failure: nothing to repair.
      // Otherwise all claim to be up yet something failed: re-establish them, at most once
      // per interval so a flapping network doesn't turn into a reconnect loop.
      if (connections.some(([conn]) => conn.status !== 'ready')) return;
      if (Date.now() - lastRepair < REPAIR_INTERVAL_MS) return;
      lastRepair = Date.now();
      options.onError(new Error('a connection claims to be up but does not answer'), 'redis: reconnecting every connection');
      commands.disconnect(true);
      writer.disconnect(true);
      broker.repair();
    },
    isReady: async () => connections.every(([conn]) => conn.status === 'ready') && (await answers(commands)),
    close: () => (closing ??= (async () => {
      await broker.close().catch((err: unknown) => options.onError(err, 'closing the broker'));
      await Promise.all(connections.map(([conn]) => quit(conn)));
    })()),
  };
}

/** Opens connections to the one target the options name: a URL, a Cluster's seeds, or Sentinels. */
function opener(options: RedisBackendOptions): (redisOptions: RedisOptions) => RedisClient {
  const { url, clusterNodes, sentinels } = options;
  const given = [url, clusterNodes, sentinels].filter((t) => t !== undefined).length;
  if (given !== 1) throw new TypeError('createRedisBackend: give exactly one of url, clusterNodes and sentinels');
  if (url !== undefined) return (redisOptions) => new Redis(url, redisOptions);
  if (clusterNodes !== undefined) {
    if (clusterNodes.length === 0) throw new TypeError('createRedisBackend: clusterNodes is empty');
    return (redisOptions) => clusterClient(clusterNodes, redisOptions);
  }
  const { nodes, name } = sentinels ?? { nodes: [], name: '' };
  if (nodes.length === 0) throw new TypeError('createRedisBackend: no Sentinels');
  return (redisOptions) => new Redis({
    ...redisOptions,
    // Back at the new primary within half a second of its promotion, rather than up to 2 s later:
    // each retry asks the Sentinels afresh, and the dead primary refuses at once.
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), SENTINEL_RETRY_MAX_MS),
    sentinels: nodes.map((n) => ({ host: n.host, port: n.port })),
    name,
    role: 'master',
    // Hears +switch-master from the Sentinels instead of waiting for the old primary's connection to fail.
    failoverDetector: true,
  });
}

/** Whether Redis answers PING: the one server, or any master of a Cluster (one master down is its shard's outage, not the node's). */
async function answers(client: RedisClient): Promise<boolean> {
  const replies = await Promise.all(keyspaceNodes(client).map((node) => node.ping().catch(() => null)));
  return replies.includes('PONG');
}

/** Whether every master (the one server) has at least one replica connected right now. */
async function everyMasterHasReplicas(client: RedisClient): Promise<boolean> {
  const infos = await Promise.all(keyspaceNodes(client).map((node) => node.info('replication')));
  return infos.every((info) => Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0) > 0);
}

/** connect() with a deadline; ioredis keeps retrying in the background until then. */
async function connect(conn: RedisClient, timeoutMs: number): Promise<void> {
  conn.connect().catch(() => undefined); // failures are retried by retryStrategy and reported through 'error'
  await whenReady(conn, timeoutMs).catch(() => {
    throw new AppError('unavailable', `Redis did not answer within ${timeoutMs} ms`);
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

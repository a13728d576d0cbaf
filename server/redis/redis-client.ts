/**
 * The connection a Redis store, broker or rate limiter is given: one Redis server
 * (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES). Both speak the same commands; on a
 * Cluster every command, script, MULTI and pipeline must keep to one slot, which the
 * `{feedId}` hash tag and the single-key global commands do (see keys.ts).
 */
import { Cluster, type Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;

/**
 * The connections to run a keyspace-wide command on (SCAN): every master of a Cluster, or
 * the one server. Replicas are skipped: they hold the same keys as their master.
 */
export function keyspaceNodes(client: RedisClient): readonly Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

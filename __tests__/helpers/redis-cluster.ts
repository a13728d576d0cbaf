import { execFile } from 'node:child_process';
import Redis, { Cluster } from 'ioredis';
import type { RedisNode } from '../../server/config';
import { TestRedis } from './redis-server';

export interface RedisClusterOptions {
  /** Masters, each owning a share of the 16 384 slots. Default 3 (the fewest redis-cli accepts). */
  readonly masters?: number;
  /** Replicas per master. Default 0. */
  readonly replicasPerMaster?: number;
  /** requirepass (and masterauth) on every node. */
  readonly password?: string;
}

/** How long creating the cluster and waiting for every node to agree may take, ms. */
const FORM_TIMEOUT_MS = 30_000;
/** Between two looks at a node's CLUSTER INFO while the cluster forms, ms. */
const POLL_MS = 50;

/**
 * A throwaway Redis Cluster: `masters × (1 + replicasPerMaster)` redis-server processes on
 * free loopback ports (TestRedis, each with its own directory and nodes.conf, no
 * persistence), joined by `redis-cli --cluster create`. Resolves once every node says
 * `cluster_state:ok` and knows every other node. Never touches the Redis on 6379.
 */
export class TestRedisCluster {
  private destroyed: Promise<void> | null = null;

  private constructor(readonly servers: readonly TestRedis[], private readonly options: RedisClusterOptions) {}

  static async start(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
    const masters = options.masters ?? 3;
    const replicas = options.replicasPerMaster ?? 0;
    if (masters < 3) throw new TypeError('a Redis Cluster needs at least 3 masters');
    const serverOptions = {
      extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
      ...(options.password !== undefined ? { password: options.password } : {}),
    };
    const started = await Promise.allSettled(Array.from({ length: masters * (1 + replicas) }, () => TestRedis.start(serverOptions)));
    const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const cluster = new TestRedisCluster(servers, options);
    try {
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      await cluster.create(replicas);
      await cluster.waitUntilFormed();
    } catch (err) {
      await cluster.destroy();
      throw err;
    }
    return cluster;
  }

  /** Every node, as seed nodes for REDIS_CLUSTER_NODES / createRedisBackend's clusterNodes. */
  get seeds(): readonly RedisNode[] {
    return this.servers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** `host:port,host:port`, as REDIS_CLUSTER_NODES takes it. */
  get seedList(): string {
    return this.seeds.map((n) => `${n.host}:${n.port}`).join(',');
  }

  /** A Cluster client for the test itself, ready to use (close it after use). */
  async client(): Promise<Cluster> {
    const password = this.options.password;
    const client = new Cluster([...this.seeds], { lazyConnect: true, ...(password !== undefined ? { redisOptions: { password } } : {}) });
    await client.connect();
    return client;
  }

  /** A plain client for one node (CLUSTER KEYSLOT, CLUSTER SLOTS, or reading a key where it lives). */
  nodeClient(port: number): Redis {
    const password = this.options.password;
    return new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, ...(password !== undefined ? { password } : {}) });
  }

  /** Kills every node (by its PID) and removes their directories. Idempotent. */
  destroy(): Promise<void> {
    this.destroyed ??= Promise.all(this.servers.map((s) => s.destroy())).then(() => undefined);
    return this.destroyed;
  }

  private async create(replicas: number): Promise<void> {
    const args = [
      ...(this.options.password !== undefined ? ['-a', this.options.password, '--no-auth-warning'] : []),
      '--cluster', 'create', ...this.seeds.map((n) => `${n.host}:${n.port}`), '--cluster-replicas', String(replicas), '--cluster-yes',
    ];
    await new Promise<void>((resolve, reject) => {
      execFile('redis-cli', args, { timeout: FORM_TIMEOUT_MS }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`redis-cli --cluster create failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve();
      });
    });
  }

  /** Bounded poll: every node reports cluster_state:ok and knows all the others. */
  private async waitUntilFormed(): Promise<void> {
    const clients = this.servers.map((s) => this.nodeClient(s.port));
    const deadline = Date.now() + FORM_TIMEOUT_MS;
    let last = '';
    try {
      for (;;) {
        const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO').then(String)));
        const formed = infos.every((info) => /^cluster_state:ok\r?$/m.test(info) && new RegExp(`^cluster_known_nodes:${this.servers.length}\\r?$`, 'm').test(info));
        if (formed) return;
        last = infos.find((info) => !/^cluster_state:ok\r?$/m.test(info)) ?? infos[0] ?? '';
        if (Date.now() > deadline) throw new Error(`the cluster did not form within ${FORM_TIMEOUT_MS} ms:\n${last}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      for (const c of clients) c.disconnect();
    }
  }
}

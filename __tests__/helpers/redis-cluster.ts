import { execFile } from 'node:child_process';
import Redis, { Cluster } from 'ioredis';
import type { RedisNode } from '../../server/config';
import { freeClusterPort, TestRedis } from './redis-server';

export interface RedisClusterOptions {
  /** Masters, each owning a share of the 16 384 slots. Default 3 (the fewest redis-cli accepts). */
  readonly masters?: number;
  /** Replicas per master. Default 0. */
  readonly replicasPerMaster?: number;
  /** requirepass (and masterauth) on every node. */
  readonly password?: string;
  /** cluster-node-timeout: how long a master may be unreachable before its replica takes over, ms. Default 5000. */
  readonly nodeTimeoutMs?: number;
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
      extraArgs: [
        '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 5000),
        // Replicas sync at once rather than after Redis's default 5 s wait for more replicas.
        '--repl-diskless-sync-delay', '0',
      ],
      ...(options.password !== undefined ? { password: options.password } : {}),
    };
    const started = await Promise.allSettled(Array.from({ length: masters * (1 + replicas) }, async () => TestRedis.start({ ...serverOptions, port: await freeClusterPort() })));
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

  /** The server on `port`. */
  server(port: number): TestRedis {
    const server = this.servers.find((s) => s.port === port);
    if (server === undefined) throw new Error(`no node of this cluster listens on ${port}`);
    return server;
  }

  /** The port of the master owning `slot`, asked of any live node. */
  async masterOf(slot: number): Promise<number> {
    const view = await this.view();
    const owner = view.find((n) => n.master && n.slots.has(slot));
    if (owner === undefined) throw new Error(`no master owns slot ${slot}`);
    return owner.port;
  }

  /**
   * Waits (bounded poll) until every live node agrees that `slot` is owned by a master other
   * than `formerPort` and the cluster is ok again: a replica took over.
   */
  async waitForFailover(slot: number, formerPort: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.servers.filter((s) => s.running && s.port !== formerPort);
      const views = await Promise.all(live.map(async (s) => {
        const c = this.nodeClient(s.port);
        try {
          const [nodes, info] = await Promise.all([c.call('CLUSTER', 'NODES').then(String), c.call('CLUSTER', 'INFO').then(String)]);
          const owner = parseNodes(nodes).find((n) => n.master && n.slots.has(slot));
          return /^cluster_state:ok\r?$/m.test(info) ? owner?.port ?? null : null;
        } finally {
          c.disconnect();
        }
      }));
      const first = views[0];
      if (first !== undefined && first !== null && first !== formerPort && views.every((v) => v === first)) return first;
      if (Date.now() > deadline) throw new Error(`slot ${slot} did not fail over from ${formerPort} within ${timeoutMs} ms (views: ${JSON.stringify(views)})`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * Moves `slot` and its keys to the master on `toPort` while the cluster serves, as
   * `redis-cli --cluster reshard` does: IMPORTING/MIGRATING, MIGRATE the keys in batches,
   * then SETSLOT NODE on both masters (the others learn it by gossip).
   */
  async migrateSlot(slot: number, toPort: number): Promise<void> {
    const fromPort = await this.masterOf(slot);
    if (fromPort === toPort) return;
    const from = this.nodeClient(fromPort);
    const to = this.nodeClient(toPort);
    try {
      const [fromId, toId] = await Promise.all([from.call('CLUSTER', 'MYID').then(String), to.call('CLUSTER', 'MYID').then(String)]);
      await to.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId);
      await from.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId);
      const auth = this.options.password !== undefined ? ['AUTH', this.options.password] : [];
      for (;;) {
        const keys = (await from.call('CLUSTER', 'GETKEYSINSLOT', slot, 100)) as string[];
        if (keys.length === 0) break;
        await from.call('MIGRATE', '127.0.0.1', toPort, '', 0, 5000, ...auth, 'KEYS', ...keys);
      }
      await to.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
      await from.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId);
    } finally {
      from.disconnect();
      to.disconnect();
    }
  }

  /** Kills every node (by its PID) and removes their directories. Idempotent. */
  destroy(): Promise<void> {
    this.destroyed ??= Promise.all(this.servers.map((s) => s.destroy())).then(() => undefined);
    return this.destroyed;
  }

  /** CLUSTER NODES as one live node sees it. */
  private async view(): Promise<ClusterNode[]> {
    const live = this.servers.find((s) => s.running);
    if (live === undefined) throw new Error('no node of the cluster runs');
    const c = this.nodeClient(live.port);
    try {
      return parseNodes(String(await c.call('CLUSTER', 'NODES')));
    } finally {
      c.disconnect();
    }
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

  /** Bounded poll: every node reports cluster_state:ok and knows all the others, and every replica is in sync. */
  private async waitUntilFormed(): Promise<void> {
    const clients = this.servers.map((s) => this.nodeClient(s.port));
    const deadline = Date.now() + FORM_TIMEOUT_MS;
    let last = '';
    try {
      for (;;) {
        const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO').then(String)));
        const formed = infos.every((info) => /^cluster_state:ok\r?$/m.test(info) && new RegExp(`^cluster_known_nodes:${this.servers.length}\\r?$`, 'm').test(info));
        const replication = await Promise.all(clients.map((c) => c.info('replication')));
        const synced = replication.every((info) => /^role:master\r?$/m.test(info) || /^master_link_status:up\r?$/m.test(info));
        if (formed && synced) return;
        last = infos.find((info) => !/^cluster_state:ok\r?$/m.test(info)) ?? infos[0] ?? '';
        if (Date.now() > deadline) throw new Error(`the cluster did not form within ${FORM_TIMEOUT_MS} ms:\n${last}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    } finally {
      for (const c of clients) c.disconnect();
    }
  }
}

interface ClusterNode {
  readonly port: number;
  readonly master: boolean;
  readonly slots: ReadonlySet<number>;
}

/** CLUSTER NODES: `id host:port@bus flags master ping pong epoch link slot slot-range …`; failed nodes are left out. */
function parseNodes(text: string): ClusterNode[] {
  return text.split('\n').filter((line) => line.trim() !== '').flatMap((line) => {
    const [, address = '', flags = '', , , , , , ...slots] = line.trim().split(' ');
    if (flags.includes('fail') && !flags.includes('pfail')) return [];
    const owned = new Set<number>();
    for (const range of slots) {
      if (range.startsWith('[')) continue; // a slot being migrated or imported
      const [lo = '', hi = lo] = range.split('-');
      for (let slot = Number(lo); slot <= Number(hi); slot++) owned.add(slot);
    }
    return [{ port: Number(address.split('@')[0]?.split(':').pop()), master: flags.includes('master'), slots: owned }];
  });
}

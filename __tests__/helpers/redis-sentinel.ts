import Redis from 'ioredis';
import type { RedisNode } from '../../server/config';
import { TestRedis } from './redis-server';

export interface RedisSentinelOptions {
  /** The name the Sentinels know the primary by (REDIS_SENTINEL_NAME). Default `mymaster`. */
  readonly name?: string;
  /** requirepass and masterauth on the primary and replicas; the Sentinels get it as auth-pass. */
  readonly password?: string;
  /** Replicas of the primary. Default 2. */
  readonly replicas?: number;
  /** Sentinel processes. Default 3. */
  readonly sentinels?: number;
  /** Sentinels that must agree the primary is down. Default 2. */
  readonly quorum?: number;
  /** `down-after-milliseconds`: how long the primary may not answer before a Sentinel thinks it down. Default 1000. */
  readonly downAfterMs?: number;
  /** `failover-timeout`, ms. Default 5000. */
  readonly failoverTimeoutMs?: number;
}

/** How long starting everything and waiting for the Sentinels to know each other may take, ms. */
const START_TIMEOUT_MS = 20_000;
/** Between two looks while waiting for replication or the Sentinels, ms. */
const POLL_MS = 50;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A flat `[key, value, key, value …]` reply (SENTINEL MASTER / REPLICAS) as a record. */
function fields(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

/** `key:value` from an INFO section. */
function infoField(info: string, key: string): string | undefined {
  return new RegExp(`^${key}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

/**
 * A throwaway Redis Sentinel deployment on loopback: a primary, its replicas
 * (`--replicaof`) and Sentinel processes (`redis-server --sentinel`), each a TestRedis on a
 * free port with its own directory (a Sentinel's with its own sentinel config, which it
 * rewrites). `start()` resolves once the replicas are in sync and every Sentinel knows the
 * primary, every replica and every other Sentinel. Only processes it started are ever
 * signalled, by their PIDs; never the Redis on 6379.
 */
export class TestRedisSentinel {
  readonly name: string;
  private readonly sentinelClients: Redis[];
  /** The last connection error of each Sentinel client (ioredis reconnects by itself), for messages. */
  private readonly sentinelErrors = new Map<number, string>();
  private destroyed: Promise<void> | null = null;

  private constructor(
    /** The primary first, then the replicas, as started (roles change with failovers). */
    readonly servers: readonly TestRedis[],
    readonly sentinelServers: readonly TestRedis[],
    private readonly options: RedisSentinelOptions,
  ) {
    this.name = options.name ?? 'mymaster';
    this.sentinelClients = sentinelServers.map((s) => {
      const client = new Redis({ host: '127.0.0.1', port: s.port, maxRetriesPerRequest: 1, lazyConnect: true });
      client.on('error', (err: unknown) => this.sentinelErrors.set(s.port, String(err)));
      return client;
    });
  }

  static async start(options: RedisSentinelOptions = {}): Promise<TestRedisSentinel> {
    const name = options.name ?? 'mymaster';
    const password = options.password;
    const auth = password !== undefined ? { password } : {};
    const servers: TestRedis[] = [];
    const sentinels: TestRedis[] = [];
    const deployment = (): TestRedisSentinel => new TestRedisSentinel(servers, sentinels, options);
    let firstPrimary = 0;
    try {
      // Diskless full syncs start at once (the default waits 5 s for more replicas to join).
      const syncNow = ['--repl-diskless-sync-delay', '0'];
      const primary = await TestRedis.start({ ...auth, extraArgs: syncNow });
      servers.push(primary);
      firstPrimary = primary.port;
      const replicas = await Promise.allSettled(Array.from({ length: options.replicas ?? 2 }, () => TestRedis.start({
        ...auth, extraArgs: [...syncNow, '--replicaof', '127.0.0.1', String(primary.port)],
      })));
      for (const r of replicas) if (r.status === 'fulfilled') servers.push(r.value);
      const failedReplica = replicas.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failedReplica !== undefined) throw failedReplica.reason;
      await deployment().waitForReplication(primary.port, servers.length - 1, START_TIMEOUT_MS);

      const config = [
        'sentinel resolve-hostnames no',
        `sentinel monitor ${name} 127.0.0.1 ${primary.port} ${options.quorum ?? 2}`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
        `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 5000}`,
        `sentinel parallel-syncs ${name} 1`,
        ...(password !== undefined ? [`sentinel auth-pass ${name} ${password}`] : []),
        '',
      ].join('\n');
      const started = await Promise.allSettled(Array.from({ length: options.sentinels ?? 3 }, () => TestRedis.start({
        config, extraArgs: ['--sentinel'], readyLine: 'Sentinel ID is',
      })));
      for (const s of started) if (s.status === 'fulfilled') sentinels.push(s.value);
      const failedSentinel = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failedSentinel !== undefined) throw failedSentinel.reason;
    } catch (err) {
      await deployment().destroy();
      throw err;
    }
    const deployed = deployment();
    try {
      await Promise.all(deployed.sentinelClients.map((c) => c.connect()));
      await deployed.waitUntilMonitored(firstPrimary, START_TIMEOUT_MS);
    } catch (err) {
      await deployed.destroy();
      throw err;
    }
    return deployed;
  }

  /** The Sentinels, as REDIS_SENTINELS takes them. */
  get sentinelNodes(): readonly RedisNode[] {
    return this.sentinelServers.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  /** `host:port,host:port`: the seed list for REDIS_SENTINELS. */
  get sentinels(): string {
    return this.sentinelNodes.map((n) => `${n.host}:${n.port}`).join(',');
  }

  /** The data server (primary or replica) on `port`. */
  server(port: number): TestRedis {
    const server = this.servers.find((s) => s.port === port);
    if (server === undefined) throw new TypeError(`no server of this deployment on port ${port}`);
    return server;
  }

  /** The primary's port, as the first Sentinel that answers names it (SENTINEL GET-MASTER-ADDR-BY-NAME). */
  async primaryPort(): Promise<number> {
    const errors: string[] = [];
    for (const [i, client] of this.sentinelClients.entries()) {
      if (!(this.sentinelServers[i]?.running ?? false)) continue;
      try {
        return await this.askPrimary(client);
      } catch (err) {
        const port = this.sentinelServers[i]?.port ?? -1;
        errors.push(`sentinel ${port}: ${String(err)}${this.sentinelErrors.has(port) ? ` (last connection error: ${this.sentinelErrors.get(port)})` : ''}`);
      }
    }
    throw new Error(`no Sentinel named the primary of "${this.name}": ${errors.join('; ')}`);
  }

  /** SIGKILL to the primary's process (by its PID): it dies at once, mid-write. Resolves with its port. */
  async killPrimary(): Promise<number> {
    const port = await this.primaryPort();
    await this.server(port).kill();
    return port;
  }

  /**
   * Resolves with the new primary's port once every running Sentinel names one other than
   * `oldPort` and that server reports `role:master`; a bounded poll.
   */
  async waitForFailover(oldPort: number, timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let last = 'nothing asked yet';
    for (;;) {
      const named = await Promise.all(this.sentinelClients
        .filter((_, i) => this.sentinelServers[i]?.running ?? false)
        .map((c) => this.askPrimary(c).catch((err: unknown) => String(err))));
      const port = named[0];
      if (typeof port === 'number' && port !== oldPort && named.every((p) => p === port)) {
        const role = await this.info(port, 'replication').then((info) => infoField(info, 'role') ?? '?', (err: unknown) => String(err));
        if (role === 'master') return port;
        last = `the Sentinels name ${port}, which says role ${role}`;
      } else {
        last = `the Sentinels name ${JSON.stringify(named)}`;
      }
      if (Date.now() > deadline) throw new Error(`no failover away from ${oldPort} within ${timeoutMs} ms: ${last}`);
      await sleep(POLL_MS);
    }
  }

  /** Starts the server on `port` again (same directory, same arguments); the Sentinels turn it into a replica if another server is primary now. */
  async restart(port: number): Promise<void> {
    const server = [...this.servers, ...this.sentinelServers].find((s) => s.port === port);
    if (server === undefined) throw new TypeError(`no process of this deployment on port ${port}`);
    await server.start();
  }

  /** A client for one data server (close it after use). */
  client(port: number): Redis {
    return this.server(port).client();
  }

  /** Kills every process it started (by PID), sentinels first, and removes their directories. Idempotent. */
  destroy(): Promise<void> {
    this.destroyed ??= (async () => {
      for (const c of this.sentinelClients) c.disconnect();
      await Promise.all(this.sentinelServers.map((s) => s.destroy()));
      await Promise.all(this.servers.map((s) => s.destroy()));
    })();
    return this.destroyed;
  }

  private async askPrimary(client: Redis): Promise<number> {
    const reply = await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
    const port = Array.isArray(reply) ? Number(reply[1]) : NaN;
    if (!Number.isInteger(port)) throw new Error(`unexpected answer ${JSON.stringify(reply)}`);
    return port;
  }

  /** INFO `section` of one data server, on a connection of its own that does not retry. */
  private async info(port: number, section: string): Promise<string> {
    const password = this.options.password;
    const client = new Redis({
      host: '127.0.0.1', port, lazyConnect: true, connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 0,
      enableOfflineQueue: false, retryStrategy: () => null, ...(password !== undefined ? { password } : {}),
    });
    let connectionError: unknown = null;
    // Reported through the rejected connect()/info() below; kept for the message.
    client.on('error', (err: unknown) => {
      connectionError = err;
    });
    try {
      await client.connect();
      return await client.info(section);
    } catch (err) {
      throw new Error(`INFO ${section} on ${port}: ${String(err)}${connectionError !== null && connectionError !== err ? ` (${String(connectionError)})` : ''}`);
    } finally {
      client.disconnect();
    }
  }

  /** Bounded poll: the primary has `replicas` replicas and each says master_link_status:up. */
  private async waitForReplication(primaryPort: number, replicas: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const others = this.servers.filter((s) => s.port !== primaryPort);
      const infos = await Promise.all([primaryPort, ...others.map((s) => s.port)].map((p) => this.info(p, 'replication')));
      const connected = Number(infoField(infos[0] ?? '', 'connected_slaves') ?? 0);
      const up = infos.slice(1).every((info) => infoField(info, 'master_link_status') === 'up');
      if (connected >= replicas && up) return;
      if (Date.now() > deadline) throw new Error(`replicas not in sync within ${timeoutMs} ms:\n${infos.join('\n---\n')}`);
      await sleep(POLL_MS);
    }
  }

  /** Bounded poll: every Sentinel sees the primary up, every replica linked to it, and every other Sentinel. */
  private async waitUntilMonitored(primaryPort: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const replicas = this.servers.length - 1;
    const others = this.sentinelServers.length - 1;
    for (;;) {
      const views = await Promise.all(this.sentinelClients.map(async (c, i) => {
        const master = fields(await c.call('SENTINEL', 'MASTER', this.name));
        const known = (await c.call('SENTINEL', 'REPLICAS', this.name)) as unknown[];
        const linked = known.map(fields).filter((r) => r.flags === 'slave' && r['master-link-status'] === 'ok').length;
        const ok = master.flags === 'master' && Number(master.port) === primaryPort && linked === replicas && Number(master['num-other-sentinels']) === others;
        return { ok, view: `sentinel ${this.sentinelServers[i]?.port ?? '?'}: master ${master.port} flags ${master.flags}, linked replicas ${linked}/${replicas}, other sentinels ${master['num-other-sentinels']}/${others}` };
      }));
      if (views.every((v) => v.ok)) return;
      if (Date.now() > deadline) throw new Error(`the Sentinels did not agree within ${timeoutMs} ms:\n${views.map((v) => v.view).join('\n')}`);
      await sleep(POLL_MS);
    }
  }
}

import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Broker, BrokerHandlers, BrokerSubscription } from '../broker/broker';
import { AppError } from '../errors';
import type { FeedHead } from '../store/feed-store';
import { whenReady, withTimeout } from './deadline';
import { keySlot } from './key-slot';
import { FeedHandlers } from './feed-handlers';
import { feedKeys } from './keys';

export interface ShardedBrokerOptions {
  /** The Cluster command client: SPUBLISH goes through it (routed by slot), and its slot map says which master owns a channel. */
  readonly cluster: Cluster;
  /** Opens a subscriber connection to one master: lazyConnect, autoResubscribe off, its errors reported. */
  readonly open: (host: string, port: number) => Redis;
  readonly prefix: string;
  readonly onError: (err: unknown, context: string) => void;
  /** Called for each message on a feed channel that is not a well-formed announcement. */
  readonly onRejected?: () => void;
  /** How often subscriptions are checked against the slot map, ms. Default 1000. */
  readonly reconcileMs?: number;
}

/** One subscriber connection to one master, and the feeds whose shard channels it carries. */
interface Shard {
  /** `host:port`, as the Cluster client's slot map names the master. */
  readonly node: string;
  readonly redis: Redis;
  readonly feeds: Set<string>;
  connectedBefore: boolean;
  /** The probe channel subscribed on it (a slot this master owns), if any. */
  probeChannel: string | null;
}

interface Placement {
  readonly ready: Promise<Shard>;
  /** Set once subscribed. */
  shard: Shard | null;
}

/** Waiting for a subscriber connection to a master, and for its SSUBSCRIBE, at most this long, ms. */
const CONNECT_TIMEOUT_MS = 2000;
/** A SSUBSCRIBE answered MOVED (the slot map was stale) is retried this often after refreshing it. */
const MOVED_RETRIES = 3;

/**
 * Redis Cluster sharded pub/sub (SSUBSCRIBE / SPUBLISH): each feed's announcements stay on
 * the shard that owns the feed's slot instead of crossing every node of the cluster, so
 * pub/sub grows with the number of masters.
 *
 * ioredis's own cluster subscriber mishandles shard channels (issue 1759; and an
 * unsolicited `sunsubscribe`, which Redis sends when a slot moves, is taken for the reply
 * to a pending command), so this broker keeps one plain subscriber connection per master
 * it needs and routes each channel by slot itself. Whenever a subscription may have missed
 * announcements — its connection dropped and came back, its slot moved (resharding), its
 * master failed over — the feed is subscribed again on the slot's current master and only
 * then are its handlers told to `resync`, so hubs read what they missed from the store.
 * A timer compares every subscription with the Cluster client's slot map (refreshed
 * every few seconds, on MOVED, and here whenever a subscriber connection is down).
 */
export class ShardedRedisBroker implements Broker {
  private readonly handlers: FeedHandlers;
  private readonly placements = new Map<string, Placement>();
  private readonly shards = new Map<string, Shard>();
  private readonly probes = new Map<string, () => void>();
  private readonly probeId = randomUUID();
  private readonly reconcileTimer: NodeJS.Timeout;
  private reconciling = false;
  private closed = false;

  constructor(private readonly options: ShardedBrokerOptions) {
    this.handlers = new FeedHandlers(options.prefix, options.onError, options.onRejected);
    this.reconcileTimer = setInterval(() => this.reconcile(), options.reconcileMs ?? 1000);
    this.reconcileTimer.unref();
  }

  async publish(feedId: string, head: FeedHead): Promise<void> {
    await this.options.cluster.spublish(this.channel(feedId), JSON.stringify({ seq: head.seq, epoch: head.epoch }));
  }

  async subscribe(feedId: string, handlers: BrokerHandlers): Promise<BrokerSubscription> {
    if (this.closed) throw new AppError('unavailable', 'the broker is closed');
    this.handlers.add(feedId, handlers);
    const placement = this.placements.get(feedId) ?? this.place(feedId);
    try {
      await placement.ready;
    } catch (err) {
      this.remove(feedId, handlers);
      throw new AppError('unavailable', 'could not subscribe to the broker', undefined, err);
    }
    let active = true;
    return {
      unsubscribe: async () => {
        if (!active) return;
        active = false;
        this.remove(feedId, handlers);
      },
    };
  }

  /**
   * True when a probe published on each master's slots comes back through this node's
   * subscriber connection to it — or that master doesn't answer at all (see below).
   */
  async probe(timeoutMs: number): Promise<boolean> {
    if (this.closed) return false;
    const masters = [...new Set(this.options.cluster.slots.map((nodes) => nodes[0]))].filter((n): n is string => n !== undefined);
    if (masters.length === 0) return false;
    // A master that doesn't answer at all is down (its replica is about to take over): that
    // shard's feeds wait, but this node still delivers everyone else's and stays ready.
    const results = await Promise.all(masters.map(async (node) => (await this.probeMaster(node, timeoutMs)) || !(await this.answers(node, timeoutMs))));
    return results.every(Boolean);
  }

  repair(): void {
    if (this.closed) return;
    // Each connection comes back through 'ready', which subscribes its feeds again and resyncs them.
    for (const shard of this.shards.values()) shard.redis.disconnect(true);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reconcileTimer);
    this.handlers.clear();
    this.placements.clear();
    this.probes.clear();
    // No SUNSUBSCRIBE round trips (unbounded on a hung master): the connections just go.
    for (const shard of this.shards.values()) shard.redis.disconnect();
    this.shards.clear();
  }

  /** Subscribes the feed's channel on the master owning its slot (following MOVED). */
  private place(feedId: string): Placement {
    const channel = this.channel(feedId);
    const placement: Placement = {
      shard: null,
      ready: (async (): Promise<Shard> => {
        for (let attempt = 0; ; attempt++) {
          const shard = await this.shardFor(keySlot(channel));
          shard.feeds.add(feedId);
          try {
            await withTimeout(shard.redis.ssubscribe(channel), CONNECT_TIMEOUT_MS);
            return shard;
          } catch (err) {
            shard.feeds.delete(feedId);
            if (attempt >= MOVED_RETRIES || !isMoved(err)) throw err;
            await this.refreshSlots();
          }
        }
      })(),
    };
    this.placements.set(feedId, placement);
    placement.ready.then(
      (shard) => {
        placement.shard = shard;
        // Everyone left while it subscribed: let it go again.
        if (this.placements.get(feedId) === placement && !this.handlers.has(feedId)) this.unplace(feedId);
      },
      () => {
        if (this.placements.get(feedId) === placement) this.placements.delete(feedId);
      },
    );
    return placement;
  }

  /** Ends the feed's subscription (best effort: a connection that is down holds nothing). */
  private unplace(feedId: string): void {
    const placement = this.placements.get(feedId);
    this.placements.delete(feedId);
    const shard = placement?.shard;
    if (shard === null || shard === undefined || !shard.feeds.delete(feedId)) return;
    if (shard.redis.status !== 'ready') return;
    shard.redis.sunsubscribe(this.channel(feedId)).catch((err: unknown) => this.options.onError(err, `sunsubscribe ${feedId}`));
  }

  /** Subscribes the feed again where its slot lives now, then tells its handlers to resync. */
  private replace(feedId: string, context: string): void {
    this.unplace(feedId);
    if (!this.handlers.has(feedId) || this.closed) return;
    this.place(feedId).ready.then(
      () => this.handlers.resync(feedId),
      (err: unknown) => this.options.onError(err, `${context}: subscribing ${feedId} again (retried within a second)`),
    );
  }

  /** The (connected) subscriber connection to the master owning `slot`. */
  private async shardFor(slot: number): Promise<Shard> {
    let node = this.options.cluster.slots[slot]?.[0];
    if (node === undefined) {
      await this.refreshSlots();
      node = this.options.cluster.slots[slot]?.[0];
    }
    if (node === undefined) throw new Error(`no master is known for slot ${slot}`);
    const shard = this.shards.get(node) ?? this.openShard(node);
    await whenReady(shard.redis, CONNECT_TIMEOUT_MS);
    return shard;
  }

  private openShard(node: string): Shard {
    const colon = node.lastIndexOf(':');
    const redis = this.options.open(node.slice(0, colon), Number(node.slice(colon + 1)));
    const shard: Shard = { node, redis, feeds: new Set(), connectedBefore: false, probeChannel: null };
    this.shards.set(node, shard);
    redis.on('smessage', (channel: string, message: string) => this.deliver(channel, message));
    redis.on('ready', () => {
      if (shard.connectedBefore) this.recover(shard);
      shard.connectedBefore = true;
    });
    redis.on('error', (err: unknown) => {
      // ioredis took a push (a slot moved away: Redis unsubscribed us) for a reply: this
      // connection's replies can't be trusted now. Start it afresh; 'ready' resubscribes.
      if (err instanceof Error && err.message.startsWith('Command queue state error')) redis.disconnect(true);
    });
    redis.connect().catch(() => undefined); // failures are retried by its retryStrategy and reported through 'error'
    return shard;
  }

  /** A connection came back: whatever it carried may have missed announcements. */
  private recover(shard: Shard): void {
    shard.probeChannel = null;
    const feeds = [...shard.feeds];
    shard.feeds.clear();
    for (const feedId of feeds) {
      if (this.placements.get(feedId)?.shard === shard) this.placements.delete(feedId);
      this.replace(feedId, `reconnected to ${shard.node}`);
    }
  }

  /**
   * Moves every subscription whose slot now belongs to another master (failover,
   * resharding), places feeds whose subscription failed, and drops connections to masters
   * no longer needed.
   */
  private reconcile(): void {
    if (this.closed || this.reconciling) return;
    this.reconciling = true;
    const work = async (): Promise<void> => {
      if ([...this.shards.values()].some((s) => s.feeds.size > 0 && s.redis.status !== 'ready')) await this.refreshSlots();
      const slots = this.options.cluster.slots;
      for (const feedId of this.handlers.feeds()) {
        const placement = this.placements.get(feedId);
        if (placement === undefined) this.replace(feedId, 'placing');
        else if (placement.shard !== null && slots[keySlot(this.channel(feedId))]?.[0] !== placement.shard.node) this.replace(feedId, 'slot moved');
      }
      const owners = new Set(slots.map((nodes) => nodes[0]));
      for (const [node, shard] of this.shards) {
        if (shard.feeds.size > 0 || owners.has(node)) continue;
        shard.redis.disconnect();
        this.shards.delete(node);
      }
    };
    work().catch((err: unknown) => this.options.onError(err, 'sharded broker: checking subscriptions against the slot map')).finally(() => {
      this.reconciling = false;
    });
  }

  private refreshSlots(): Promise<void> {
    return new Promise((resolve) => {
      this.options.cluster.refreshSlotsCache((err) => {
        if (err) this.options.onError(err, 'sharded broker: refreshing the slot map');
        resolve();
      });
    });
  }

  private async probeMaster(node: string, timeoutMs: number): Promise<boolean> {
    const id = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    try {
      const channel = this.probeChannelFor(node);
      if (channel === null) return false;
      const arrived = new Promise<boolean>((resolve) => {
        this.probes.set(id, () => resolve(true));
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const shard = await withTimeout(this.shardFor(keySlot(channel)), timeoutMs);
      if (shard.probeChannel !== channel) {
        await withTimeout(shard.redis.ssubscribe(channel), timeoutMs);
        shard.probeChannel = channel;
      }
      await this.options.cluster.spublish(channel, id);
      return await arrived;
    } catch {
      return false; // the answer is "not delivering"; the connections' own errors are reported where they are opened
    } finally {
      clearTimeout(timer);
      this.probes.delete(id);
    }
  }

  /** Whether the master answers PING on the Cluster client's own connection to it. */
  private async answers(node: string, timeoutMs: number): Promise<boolean> {
    const master = this.options.cluster.nodes('master').find((r) => `${r.options.host ?? ''}:${r.options.port ?? 0}` === node);
    if (master === undefined) return false;
    return withTimeout(master.ping(), timeoutMs).then((reply) => reply === 'PONG', () => false);
  }

  /** A channel of this node's own whose slot `node` owns, or null when it owns none. */
  private probeChannelFor(node: string): string | null {
    const slots = this.options.cluster.slots;
    for (let i = 0; i < 100_000; i++) {
      const channel = `${this.options.prefix}:probe:${this.probeId}:{p${i}}`;
      if (slots[keySlot(channel)]?.[0] === node) return channel;
    }
    return null;
  }

  private remove(feedId: string, handlers: BrokerHandlers): void {
    if (!this.handlers.remove(feedId, handlers)) return;
    // Still subscribing: `place` lets it go once it is done.
    if (this.placements.get(feedId)?.shard !== null) this.unplace(feedId);
  }

  private deliver(channel: string, message: string): void {
    if (!this.handlers.deliver(channel, message)) this.probes.get(message)?.();
  }

  private channel(feedId: string): string {
    return feedKeys(this.options.prefix, feedId).channel;
  }
}

function isMoved(err: unknown): boolean {
  return err instanceof Error && /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/.test(err.message);
}

/**
 * The store and broker contracts against a real local Redis Cluster (3 masters, throwaway
 * redis-server processes), plus what only a Cluster can break: a feed's keys in one slot,
 * feeds spread over several masters, and every cross-feed read (the feeds index, its
 * backfill by SCAN, scheduled publication) still seeing all of them.
 */
import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import type { Backend } from '../../server/backend';
import { parseNewEntry, parseNewFeed } from '../../server/domain/validate';
import { feedKeys, globalKeys } from '../../server/redis/keys';
import { createRedisBackend } from '../../server/redis/redis-backend';
import { TestRedisCluster } from '../helpers/redis-cluster';
import { freePort } from '../helpers/redis-server';
import { describeBroker } from './broker-contract';
import { describeStore } from './store-contract';

let cluster: TestRedisCluster;
let n = 0;
const errors: unknown[] = [];
const onError = (err: unknown): void => {
  // A handler that throws is part of the contract suite; anything else fails the test.
  if (!(err instanceof Error && err.message === 'handler bug')) errors.push(err);
};

beforeAll(async () => {
  cluster = await TestRedisCluster.start({ masters: 3 });
}, 60_000);
afterAll(async () => {
  await cluster.destroy();
});
afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});

/** Each test gets its own key prefix on the shared test cluster. */
const backend = (historySize: number): Promise<Backend> => createRedisBackend({ clusterNodes: cluster.seeds, prefix: `c${++n}`, historySize, onError });

describeStore('redis cluster', async ({ historySize }) => backend(historySize));

describeBroker('redis cluster', async () => {
  const b = await backend(100);
  return { broker: b.broker, close: () => b.close() };
});

const ctx = { actor: 'desk' };
const FEEDS = Array.from({ length: 20 }, (_, i) => `spread-${i}`);

/** The master (its port) serving each slot, from CLUSTER SLOTS. */
async function slotOwners(node: Redis): Promise<(slot: number) => number> {
  const ranges = (await node.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]], ...unknown[]]>;
  return (slot) => {
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`no master serves slot ${slot}`);
    return range[2][1];
  };
}

describe('Redis Cluster specifics', () => {
  let b: Backend;
  let prefix: string;
  let client: Cluster;
  let node: Redis;

  beforeEach(async () => {
    b = await backend(100);
    prefix = `c${n}`;
    client = await cluster.client();
    node = cluster.nodeClient(cluster.seeds[0]?.port ?? 0);
    for (const id of FEEDS) {
      await b.store.createFeed(parseNewFeed({ id, title: `Live: ${id}` }), ctx);
      await b.store.createEntry(id, parseNewEntry({ headline: `${id} opens` }), ctx);
    }
  });
  afterEach(async () => {
    node.disconnect();
    await client.quit();
    await b.close();
  });

  it("keeps each feed's keys in one slot and spreads 20 feeds over at least 2 masters, where their keys really are", async () => {
    const ownerOf = await slotOwners(node);
    const masters = new Set<number>();
    for (const id of FEEDS) {
      const k = feedKeys(prefix, id);
      const slots = new Set(await Promise.all([k.feed, k.seq, k.epoch, k.events, k.entries, k.timeline, k.audit].map((key) => node.call('CLUSTER', 'KEYSLOT', key))));
      expect(slots.size).toBe(1);
      const port = ownerOf(Number([...slots][0]));
      masters.add(port);
      // Read straight from that master (no redirection): the feed's data lives there.
      const owner = cluster.nodeClient(port);
      try {
        expect(await owner.exists(k.feed, k.seq, k.entries)).toBe(3);
      } finally {
        owner.disconnect();
      }
    }
    expect(masters.size).toBeGreaterThanOrEqual(2);
  });

  it('lists feeds on every master, with entry counts, in pages', async () => {
    const first = await b.store.listFeeds(null, 15);
    expect(first.feeds).toHaveLength(15);
    expect(first.nextCursor).not.toBeNull();
    const second = await b.store.listFeeds(first.nextCursor, 15);
    const all = [...first.feeds, ...second.feeds];
    expect(all.map((f) => f.id).sort()).toEqual([...FEEDS].sort());
    expect(all.every((f) => f.entryCount === 1)).toBe(true);
  });

  it('backfills the feeds index by scanning every master', async () => {
    await client.del(globalKeys(prefix).feeds); // as an older Liveline left them: no index
    // A fresh node (store) on the same prefix: it has not backfilled yet.
    const fresh = await createRedisBackend({ clusterNodes: cluster.seeds, prefix, historySize: 100, onError });
    try {
      const { feeds } = await fresh.store.listFeeds(null, 50);
      expect(feeds.map((f) => f.id).sort()).toEqual([...FEEDS].sort());
      expect(await client.get(globalKeys(prefix).feedsBackfilled)).toBe('1');
    } finally {
      await fresh.close();
    }
  });

  it('publishes scheduled entries of feeds on every master, also after the due-feeds index lost them', async () => {
    const publishAt = new Date(Date.now() + 300).toISOString();
    const scheduled = new Map<string, string>();
    for (const id of FEEDS) {
      const result = await b.store.scheduleEntry(id, parseNewEntry({ headline: `${id} at the hour` }), publishAt, ctx);
      if (!('scheduled' in result)) throw new Error('expected it to be scheduled');
      scheduled.set(id, result.scheduled.id);
    }
    // Half of them as a node that died between the script and its ZADD left them: the repair must find them.
    for (const id of FEEDS.slice(0, 10)) await client.zadd(globalKeys(prefix).dueFeeds, '+inf', id);
    const deadline = Date.now() + 10_000;
    let published = 0;
    while (published < FEEDS.length && Date.now() < deadline) {
      published += await b.store.publishDue();
      if (published < FEEDS.length) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(published).toBe(FEEDS.length);
    for (const id of FEEDS) {
      expect((await b.store.snapshot(id, 10))?.entries.map((e) => e.id)).toContain(scheduled.get(id));
    }
  });
});

describe('Redis Cluster connections', () => {
  // First: ioredis leaves a 2 s timer behind a refused connection it disconnects (disconnectTimeout),
  // which the next test outlasts, so the worker exits on its own.
  it('fail start-up with unavailable within the connect timeout when no seed node answers', async () => {
    const down = [{ host: '127.0.0.1', port: await freePort() }]; // nothing listens there
    const started = Date.now();
    await expect(createRedisBackend({ clusterNodes: down, prefix: 'x', historySize: 100, onError: () => undefined, connectTimeoutMs: 500 }))
      .rejects.toMatchObject({ code: 'unavailable' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('authenticate to every node with the password, commands and pub/sub alike', async () => {
    const secured = await TestRedisCluster.start({ masters: 3, password: 'cluster-secret' });
    try {
      await expect(createRedisBackend({ clusterNodes: secured.seeds, prefix: 'p', historySize: 100, onError: () => undefined, connectTimeoutMs: 1000 }))
        .rejects.toMatchObject({ code: 'unavailable' });
      const b = await createRedisBackend({ clusterNodes: secured.seeds, password: 'cluster-secret', prefix: 'p', historySize: 100, onError });
      try {
        for (const id of FEEDS) await b.store.createFeed(parseNewFeed({ id, title: id }), ctx);
        expect((await b.store.listFeeds(null, 50)).feeds).toHaveLength(FEEDS.length);
        expect(await b.isReady()).toBe(true);
        expect(await b.broker.probe(2000)).toBe(true);
      } finally {
        await b.close();
      }
    } finally {
      await secured.destroy();
    }
  }, 60_000);
});

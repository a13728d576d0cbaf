/**
 * Resharding while live: the slots of half the feeds move to other masters (as
 * `redis-cli --cluster reshard` moves them: IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE)
 * during a burst of posts through two nodes. Nothing acknowledged is lost or duplicated,
 * every reader gets each entry once and in order, and no reader is reset: each node
 * follows its feeds' shard channels to their new masters and catches up from the store.
 */
import type { Cluster } from 'ioredis';
import { feedKeys } from '../../server/redis/keys';
import { keySlot } from '../../server/redis/key-slot';
import { FailoverScenario } from '../helpers/failover-scenario';
import { BalancedNodes } from '../helpers/balanced-nodes';
import { TestRedisCluster } from '../helpers/redis-cluster';
import { range } from '../helpers/sdk-reader';
import { UNLIMITED } from '../helpers/test-app';

const TOKEN = 'cluster-reshard-token-0123456789abcdef';
const FEEDS = range(6).map((i) => `reshard-${i}`);
const slotOf = (feed: string): number => keySlot(feedKeys('ll', feed).channel);

describe('two nodes on a 3-master Redis Cluster while slots move', () => {
  jest.setTimeout(70_000);
  let cluster: TestRedisCluster | null = null;
  let client: Cluster | null = null;
  let running: BalancedNodes | null = null;
  let scenario: FailoverScenario | null = null;

  beforeAll(async () => {
    cluster = await TestRedisCluster.start({ masters: 3 });
    client = await cluster.client();
    const env = { ...UNLIMITED, REDIS_CLUSTER_NODES: cluster.seedList, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` };
    running = await BalancedNodes.start(env, 2);
  }, 60_000);

  const nodes = (): BalancedNodes => running as BalancedNodes;

  afterAll(async () => {
    await scenario?.close();
    await running?.close();
    client?.disconnect();
    await cluster?.destroy();
  });

  it('moves three feeds to other masters during a burst: nothing lost, nothing twice, no reset', async () => {
    const redis = cluster as TestRedisCluster;
    scenario = await FailoverScenario.start({
      balancerUrl: nodes().balancer.url, nodeUrls: nodes().urls, token: TOKEN, feeds: FEEDS, editors: 3, entryDeadlineMs: 20_000,
    });
    await scenario.waitForAcknowledged(30, 10_000);

    const masters = redis.servers.map((s) => s.port); // no replicas: every server is a master
    const moved: string[] = [];
    for (const feed of FEEDS.slice(0, 3)) {
      const from = await redis.masterOf(slotOf(feed));
      const to = masters.find((p) => p !== from) as number;
      await redis.migrateSlot(slotOf(feed), to);
      moved.push(`${feed}: ${from} → ${await redis.masterOf(slotOf(feed))}`);
      await scenario.waitForAcknowledgedAfter(Date.now(), 10, 10_000); // posts go on between the moves
    }
    await scenario.waitForAcknowledgedAfter(Date.now(), 40, 10_000);
    await scenario.stopPosting();

    process.stdout.write(`redis cluster resharding (${moved.join(', ')}): ${scenario.summary()}\n`);
    await scenario.verify(15_000);
    process.stdout.write(`redis cluster resharding readers: ${scenario.readerSummary()}\n`);
    expect(scenario.resets()).toBe(0);
    expect(scenario.stats.map((s) => s.gaveUp)).toEqual([null, null, null]);
    // Each node follows the moved feeds to their new masters.
    for (const feed of FEEDS.slice(0, 3)) {
      const owner = await redis.masterOf(slotOf(feed));
      const shard = redis.nodeClient(owner);
      try {
        expect([feed, Number(((await shard.call('PUBSUB', 'SHARDNUMSUB', feedKeys('ll', feed).channel)) as unknown[])[1])]).toEqual([feed, 2]);
      } finally {
        shard.disconnect();
      }
    }
  });
});

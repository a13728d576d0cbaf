/**
 * The built server on a Redis Cluster with a replica per master: two nodes behind a
 * balancer, editors posting with Idempotency-Key retries, readers on both nodes and through
 * the balancer; the master owning a feed is killed (SIGKILL) mid-stream. Its replica takes
 * over, writes to that shard's feeds fail for the few seconds it takes (counted and
 * printed), and afterwards every acknowledged entry is in the store and reached every
 * reader once, in order — none was shown before a replica held it.
 */
import { feedKeys } from '../../server/redis/keys';
import { keySlot } from '../../server/redis/key-slot';
import { FailoverScenario } from '../helpers/failover-scenario';
import { BalancedNodes } from '../helpers/balanced-nodes';
import { TestRedisCluster } from '../helpers/redis-cluster';
import { range } from '../helpers/sdk-reader';
import { UNLIMITED } from '../helpers/test-app';

const TOKEN = 'cluster-failover-token-0123456789abcdef';
const FEEDS = range(6).map((i) => `failover-${i}`);

describe('two nodes on a 3-master Redis Cluster with a replica each', () => {
  jest.setTimeout(70_000);
  let cluster: TestRedisCluster | null = null;
  let running: BalancedNodes | null = null;
  let scenario: FailoverScenario | null = null;

  beforeAll(async () => {
    cluster = await TestRedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
    const env = { ...UNLIMITED, REDIS_CLUSTER_NODES: cluster.seedList, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` };
    running = await BalancedNodes.start(env, 2);
  }, 60_000);

  const nodes = (): BalancedNodes => running as BalancedNodes;

  afterAll(async () => {
    await scenario?.close();
    await running?.close();
    await cluster?.destroy();
  });

  it('waits for 1 replica by default, since every master has one', () => {
    for (const n of nodes().nodes) expect(n.output()).toMatch(/^Durability: changes are acknowledged and shown to readers once 1 replica\(s\) hold them/m);
  });

  it('a master killed mid-stream: its replica takes over, and every acknowledged entry is stored and reaches every reader once, in order', async () => {
    const redis = cluster as TestRedisCluster;
    scenario = await FailoverScenario.start({
      balancerUrl: nodes().balancer.url, nodeUrls: nodes().urls, token: TOKEN, feeds: FEEDS, editors: 2, entryDeadlineMs: 30_000,
    });
    await scenario.waitForAcknowledged(40, 10_000);

    const slot = keySlot(feedKeys('ll', FEEDS[0] as string).channel);
    const victim = await redis.masterOf(slot);
    const killedAt = Date.now();
    await redis.server(victim).kill();
    const promoted = await redis.waitForFailover(slot, victim, 20_000);
    const promotedAt = Date.now();
    // As an orchestrator would: the old master comes back, now as the new master's replica,
    // so its shard can confirm writes again.
    await redis.server(victim).start();
    await scenario.waitForAcknowledgedAfter(promotedAt, 1, 20_000);
    const recoveredAt = Date.now();
    await scenario.waitForAcknowledgedAfter(recoveredAt, 80, 15_000);
    await scenario.stopPosting();

    process.stdout.write(`redis cluster failover: master ${victim} killed, replica ${promoted} took over after ${promotedAt - killedAt} ms, `
      + `writes back ${recoveredAt - killedAt} ms after the kill; ${scenario.summary()}\n`);
    await scenario.verify(15_000);
    process.stdout.write(`redis cluster failover readers: ${scenario.readerSummary()}\n`);

    const { longestMs, failedAttempts } = scenario.outages();
    expect(failedAttempts).toBeGreaterThan(0); // the kill was felt…
    // …as 503s from the nodes for the shard's writes only: the nodes stayed ready (the balancer never ran out of them).
    expect([...new Set((scenario as FailoverScenario).stats.flatMap((st) => [...st.failures.keys()]))]).toEqual(['503 unavailable']);
    expect(longestMs).toBeLessThan(20_000); // …and ended
    expect(scenario.stats.map((s) => s.gaveUp)).toEqual([null, null]);
  });
});

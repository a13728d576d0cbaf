/**
 * The built server on Redis Sentinel (REDIS_SENTINELS, REDIS_SENTINEL_NAME): two nodes behind
 * a balancer, editors posting without pause, readers on both nodes and through the balancer;
 * the primary is killed (SIGKILL) mid-stream. Once the Sentinels have promoted a replica,
 * writes succeed again, and no acknowledged entry is lost, duplicated or shown out of order.
 */
import { FailoverScenario } from '../helpers/failover-scenario';
import { BalancedNodes } from '../helpers/balanced-nodes';
import type { NodeProcess } from '../helpers/node-process';
import { TestRedisSentinel } from '../helpers/redis-sentinel';
import { range } from '../helpers/sdk-reader';
import { UNLIMITED } from '../helpers/test-app';

const TOKEN = 'sentinel-editor-token-0123456789abcdef';
const FEEDS = range(4).map((i) => `sentinel-${i}`);

/** A node's logged errors other than request lines (ioredis, store, broker), for a failure message. */
function loggedErrors(node: NodeProcess): string {
  return node.output().split('\n').filter((l) => l.startsWith('{"level":50') && !l.includes('"msg":"request"')).slice(-15).map((l) => l.slice(0, 300)).join('\n');
}

describe('two nodes on a Redis Sentinel deployment (primary + 2 replicas, 3 Sentinels)', () => {
  jest.setTimeout(50_000);
  let sentinel: TestRedisSentinel | null = null;
  let running: BalancedNodes | null = null;
  let scenario: FailoverScenario | null = null;

  beforeAll(async () => {
    sentinel = await TestRedisSentinel.start();
    const env = { ...UNLIMITED, REDIS_SENTINELS: sentinel.sentinels, REDIS_SENTINEL_NAME: sentinel.name, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` };
    running = await BalancedNodes.start(env, 2);
  }, 30_000);

  const nodes = (): BalancedNodes => running as BalancedNodes;

  afterAll(async () => {
    await scenario?.close();
    await running?.close();
    await sentinel?.destroy();
  });

  it("says at start-up that it runs on the Sentinels' primary and waits for 1 replica", () => {
    const names = (sentinel as TestRedisSentinel).sentinels;
    for (const n of nodes().nodes) {
      expect(n.output()).toContain(`Mode: production (Redis store and pub/sub on primary "mymaster" of Sentinels ${names}, key prefix "ll").`);
      expect(n.output()).toMatch(/^Durability: .*\b1 replica/m);
    }
  });

  it('primary killed mid-stream: writes fail until a replica is promoted, then every acknowledged entry is stored and reaches every reader once, in order', async () => {
    const redis = sentinel as TestRedisSentinel;
    scenario = await FailoverScenario.start({
      balancerUrl: nodes().balancer.url, nodeUrls: nodes().urls, token: TOKEN, feeds: FEEDS, editors: 2, entryDeadlineMs: 25_000,
    });
    await scenario.waitForAcknowledged(40, 10_000);

    const killedAt = Date.now();
    const oldPrimary = await redis.killPrimary();
    const newPrimary = await redis.waitForFailover(oldPrimary, 20_000);
    const promotedAt = Date.now();
    // Writes succeed again (for each editor), then a few more seconds' worth of them.
    await scenario.waitForAcknowledgedAfter(promotedAt, 1, 10_000);
    const recoveredAt = Date.now();
    await scenario.waitForAcknowledgedAfter(recoveredAt, 80, 10_000);
    await scenario.stopPosting();

    process.stdout.write(`redis sentinel failover: primary ${oldPrimary} killed, ${newPrimary} promoted after ${promotedAt - killedAt} ms, `
      + `writes back ${recoveredAt - killedAt} ms after the kill; ${scenario.summary()}\n`);
    await scenario.verify(12_000).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${nodes().nodes.map((n, i) => `node ${i} errors:\n${loggedErrors(n)}`).join('\n')}`);
    });
    process.stdout.write(`redis sentinel failover readers: ${scenario.readerSummary()}\n`);

    const { longestMs, failedAttempts } = scenario.outages();
    expect(newPrimary).not.toBe(oldPrimary);
    expect(failedAttempts).toBeGreaterThan(0); // the kill was felt…
    expect(longestMs).toBeLessThan(15_000); // …and ended
    expect(scenario.stats.map((s) => s.gaveUp)).toEqual([null, null]);
  });
});

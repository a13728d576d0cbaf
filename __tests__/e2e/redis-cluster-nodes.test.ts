/**
 * The built server as an operator runs it on a Redis Cluster (REDIS_CLUSTER_NODES): two
 * nodes, 20 feeds spread over three masters, 20 readers per node, 400 posts through either
 * node — each reader gets every entry of its feeds once, in order, and each feed's
 * announcements travel on its own shard channel (SSUBSCRIBE on the master owning the
 * feed's slot), never on a global channel.
 */
import type { Cluster } from 'ioredis';
import { feedKeys } from '../../server/redis/keys';
import { keySlot } from '../../server/redis/key-slot';
import { NodeProcess } from '../helpers/node-process';
import { TestReader } from '../helpers/reader';
import { TestRedisCluster } from '../helpers/redis-cluster';
import { range } from '../helpers/sdk-reader';
import { UNLIMITED } from '../helpers/test-app';

const TOKEN = 'cluster-editor-token-0123456789abcdef';
const FEEDS = range(20).map((i) => `cluster-${i}`);
const READERS_PER_NODE = 20;
const FEEDS_PER_READER = 5;
const POSTS_PER_FEED = 20;

async function request(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

/** Reader r follows FEEDS_PER_READER consecutive feeds, so each feed has readers on both nodes. */
const feedsOf = (r: number): string[] => range(FEEDS_PER_READER, 0).map((k) => FEEDS[(r + k) % FEEDS.length] as string);

describe('two nodes as separate processes on a 3-master Redis Cluster', () => {
  jest.setTimeout(90_000);
  let cluster: TestRedisCluster;
  let client: Cluster;
  let nodes: NodeProcess[] = [];
  const readers: TestReader[][] = [[], []];

  beforeAll(async () => {
    cluster = await TestRedisCluster.start({ masters: 3 });
    client = await cluster.client();
    const env = { ...UNLIMITED, REDIS_CLUSTER_NODES: cluster.seedList, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` };
    nodes = await Promise.all([0, 1].map(() => NodeProcess.start(env)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(readers.flat().map((r) => r.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    client?.disconnect();
    await cluster?.destroy();
  });

  const url = (i: number): string => (nodes[i] as NodeProcess).url;
  const channel = (feed: string): string => feedKeys('ll', feed).channel;
  /** `host:port` of the master owning the feed's slot, by the cluster's own slot map. */
  const ownerOf = (feed: string): string => client.slots[keySlot(channel(feed))]?.[0] ?? 'none';

  it('delivers 400 posts through either node to 20 readers per node, once each and in order', async () => {
    for (const n of nodes) expect(n.output()).toContain('Mode: production (Redis Cluster store and sharded pub/sub');
    for (const i of [0, 1]) expect((await fetch(`${url(i)}/readyz`)).status).toBe(200);
    for (const id of FEEDS) expect((await request(url(0), 'POST', '/v1/feeds', { id, title: id })).status).toBe(201);
    expect(new Set(FEEDS.map(ownerOf)).size).toBeGreaterThanOrEqual(2);

    for (const i of [0, 1]) {
      for (const r of range(READERS_PER_NODE, 0)) {
        const reader = await TestReader.connect(url(i));
        (readers[i] as TestReader[]).push(reader);
        for (const id of feedsOf(r)) await reader.subscribe(id);
      }
    }
    const posts = await Promise.all(FEEDS.flatMap((id) => range(POSTS_PER_FEED).map((j) => request(url(j % 2), 'POST', `/v1/feeds/${id}/entries`, { headline: `${id} ${j}` }))));
    expect(posts.filter((p) => p.status !== 201)).toEqual([]);

    for (const i of [0, 1]) {
      for (const [r, reader] of (readers[i] as TestReader[]).entries()) {
        for (const id of feedsOf(r)) expect((await reader.events(id, POSTS_PER_FEED, 15_000)).map((f) => f.seq)).toEqual(range(POSTS_PER_FEED));
        expect(reader.pending().filter((f) => f.type === 'event')).toEqual([]); // nothing twice
      }
    }
    const listed = (await request(url(1), 'GET', '/v1/feeds?limit=50')).body as { feeds: Array<{ id: string; entryCount: number }> };
    expect(listed.feeds.map((f) => [f.id, f.entryCount]).sort()).toEqual(FEEDS.map((id) => [id, POSTS_PER_FEED]).sort());
  });

  it('subscribes each feed on its own master only (PUBSUB SHARDNUMSUB), and on no global channel (PUBSUB NUMSUB)', async () => {
    const masters = client.nodes('master');
    for (const master of masters) {
      const node = `${master.options.host ?? ''}:${master.options.port ?? 0}`;
      const shard = (await master.call('PUBSUB', 'SHARDNUMSUB', ...FEEDS.map(channel))) as Array<string | number>;
      const global = (await master.call('PUBSUB', 'NUMSUB', ...FEEDS.map(channel))) as Array<string | number>;
      for (const [k, id] of FEEDS.entries()) {
        // Both Liveline nodes have readers of every feed: two subscribers where the slot lives, none elsewhere.
        expect([id, Number(shard[2 * k + 1])]).toEqual([id, ownerOf(id) === node ? 2 : 0]);
        expect([id, Number(global[2 * k + 1])]).toEqual([id, 0]);
      }
    }
  });
});

/**
 * The built server as an operator runs it on a Redis Cluster (REDIS_CLUSTER_NODES): two
 * nodes, feeds spread over three masters, writes through either node reaching readers on
 * the other in order.
 */
import { NodeProcess } from '../helpers/node-process';
import { TestReader } from '../helpers/reader';
import { TestRedisCluster } from '../helpers/redis-cluster';
import { range } from '../helpers/sdk-reader';
import { UNLIMITED } from '../helpers/test-app';

const TOKEN = 'cluster-editor-token-0123456789abcdef';
const FEEDS = range(6).map((i) => `cluster-${i}`);

async function request(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: await res.json() };
}

describe('two nodes as separate processes on a 3-master Redis Cluster', () => {
  jest.setTimeout(60_000);
  let cluster: TestRedisCluster;
  let nodes: NodeProcess[] = [];
  const readers: TestReader[] = [];

  beforeAll(async () => {
    cluster = await TestRedisCluster.start({ masters: 3 });
    const env = { ...UNLIMITED, REDIS_CLUSTER_NODES: cluster.seedList, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` };
    nodes = await Promise.all([0, 1].map(() => NodeProcess.start(env)));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await Promise.all(nodes.map((n) => n.stop()));
    await cluster.destroy();
  });

  const url = (i: number): string => (nodes[i] as NodeProcess).url;

  it('is ready, and delivers entries posted through either node to readers on both, as seq 1…20 per feed', async () => {
    for (const n of nodes) expect(n.output()).toContain('Mode: production (Redis Cluster store and pub/sub');
    for (const i of [0, 1]) expect((await fetch(`${url(i)}/readyz`)).status).toBe(200);
    for (const id of FEEDS) expect((await request(url(0), 'POST', '/v1/feeds', { id, title: id })).status).toBe(201);
    for (const i of [0, 1]) {
      const r = await TestReader.connect(url(i));
      readers.push(r);
      for (const id of FEEDS) await r.subscribe(id);
    }
    const posts = await Promise.all(FEEDS.flatMap((id) => range(20).map((j) => request(url(j % 2), 'POST', `/v1/feeds/${id}/entries`, { headline: `${id} ${j}` }))));
    expect(posts.every((p) => p.status === 201)).toBe(true);
    for (const r of readers) {
      for (const id of FEEDS) expect((await r.events(id, 20, 15_000)).map((f) => f.seq)).toEqual(range(20));
    }
    const listed = (await request(url(1), 'GET', '/v1/feeds?limit=50')).body as { feeds: Array<{ id: string; entryCount: number }> };
    expect(listed.feeds.map((f) => [f.id, f.entryCount]).sort()).toEqual(FEEDS.map((id) => [id, 20]).sort());
  });
});

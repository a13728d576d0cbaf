import { NodeProcess } from '../helpers/node-process';
import { TestReader } from '../helpers/reader';
import { TestRedis } from '../helpers/redis-server';
import { range, SdkReader } from '../helpers/sdk-reader';
import { TcpBalancer } from '../helpers/tcp-balancer';
import { UNLIMITED } from '../helpers/test-app';

const TOKEN = 'nodes-editor-token-0123456789abcdef';

/** POSTs with the editor token to a node. */
async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('three nodes as separate processes on one Redis', () => {
  jest.setTimeout(60_000);
  let redis: TestRedis;
  let nodes: NodeProcess[] = [];
  const readers: TestReader[] = [];
  const sdks: SdkReader[] = [];
  let balancer: TcpBalancer | null = null;

  beforeAll(async () => {
    redis = await TestRedis.start();
    const env = { ...UNLIMITED, REDIS_URL: redis.url, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` };
    nodes = await Promise.all([0, 1, 2].map(() => NodeProcess.start(env)));
  });

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    for (const s of sdks.splice(0)) s.close();
    await balancer?.close();
    balancer = null;
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.destroy();
  });

  const url = (i: number): string => (nodes[i] as NodeProcess).url;

  it('200 entries posted concurrently through different nodes reach every reader as seq 1…200', async () => {
    expect((await post(url(0), '/v1/feeds', { id: 'concurrent', title: 'Concurrent' })).status).toBe(201);
    for (let i = 0; i < 9; i++) {
      const r = await TestReader.connect(url(i % 3));
      readers.push(r);
      await r.subscribe('concurrent');
    }
    const posts = await Promise.all(range(200).map((i) => post(url(i % 3), '/v1/feeds/concurrent/entries', { headline: `entry ${i}` })));
    expect(posts.every((p) => p.status === 201)).toBe(true);
    expect(new Set(posts.map((p) => (p.body as { seq: number }).seq)).size).toBe(200);
    for (const r of readers) {
      const seqs = (await r.events('concurrent', 200, 15_000)).map((f) => f.seq);
      expect(seqs).toEqual(range(200));
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (const r of readers) expect(r.pending().filter((f) => f.type === 'event')).toEqual([]);
  });

  it('the same Idempotency-Key sent 10 times in parallel to different nodes creates one entry', async () => {
    await post(url(0), '/v1/feeds', { id: 'idem-nodes', title: 'Idempotency' });
    const results = await Promise.all(range(10).map((i) => post(url(i % 3), '/v1/feeds/idem-nodes/entries', { headline: 'Once only' }, { 'Idempotency-Key': 'shared-key-1' })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    const snapshot = (await (await fetch(`${url(1)}/v1/feeds/idem-nodes`)).json()) as { seq: number; entries: unknown[] };
    expect(snapshot.seq).toBe(1);
    expect(snapshot.entries).toHaveLength(1);
  });

  it('CLIENT KILL TYPE pubsub during a burst: gaps are filled, readers see none', async () => {
    await post(url(0), '/v1/feeds', { id: 'pubsub-kill', title: 'Pub/sub kill' });
    for (let i = 0; i < 6; i++) {
      const r = await TestReader.connect(url(i % 3));
      readers.push(r);
      await r.subscribe('pubsub-kill');
    }
    const admin = redis.client();
    const kill = async (): Promise<void> => {
      expect(Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(3);
    };
    const burst = async (from: number, to: number, killAt: number): Promise<void> => {
      const pending: Promise<unknown>[] = [];
      for (let i = from; i <= to; i++) {
        pending.push(post(url(i % 3), '/v1/feeds/pubsub-kill/entries', { headline: `burst ${i}` }));
        if (i === killAt) await kill();
      }
      await Promise.all(pending);
    };
    const received: number[][] = readers.map(() => []);
    const upTo = async (n: number): Promise<void> => {
      for (const [i, r] of readers.entries()) {
        const have = received[i] as number[];
        const more = await r.events('pubsub-kill', n - have.length, 15_000);
        have.push(...more.map((f) => f.seq as number));
      }
    };
    try {
      await burst(1, 60, 30);
      await upTo(60); // every node's subscriber is back (or its gap was filled)
      await burst(61, 120, 80);
      await upTo(120);
    } finally {
      admin.disconnect();
    }
    for (const seqs of received) expect(seqs).toEqual(range(120));
  });

  it('kill -9 of a node mid-stream: its SDK readers resume through another node, nothing missed or twice', async () => {
    await post(url(0), '/v1/feeds', { id: 'node-loss', title: 'Node loss' });
    const victim = nodes[2] as NodeProcess;
    const ports = nodes.map((n) => Number(new URL(n.url).port));
    balancer = await TcpBalancer.start(() => ports);
    for (let i = 0; i < 6; i++) sdks.push(new SdkReader(balancer.url, 'node-loss'));
    await Promise.all(sdks.map((s) => s.live()));

    for (let i = 1; i <= 100; i++) {
      await post(url(i % 2), '/v1/feeds/node-loss/entries', { headline: `stream ${i}` }); // nodes 0 and 1 survive
      if (i === 40) expect(await victim.stop('SIGKILL')).toBeNull();
    }
    for (const s of sdks) {
      await s.until(() => s.events.length >= 100, '100 events');
      expect(s.seqs).toEqual(range(100));
    }
  });
});

/**
 * A change is shown to readers and acknowledged only once a replica holds it (Redis WAIT,
 * LIVELINE_REDIS_MIN_REPLICAS); when the replica doesn't confirm in time the editor gets a
 * 503 to retry with the same Idempotency-Key. And a change whose announcement never went
 * out (its node died between the write and the publish) still reaches readers: hubs check
 * a quiet feed's head.
 */
import Redis from 'ioredis';
import type { RunningApp } from '../../server/app';
import { feedKeys } from '../../server/redis/keys';
import { RedisStore } from '../../server/redis/redis-store';
import { TestReader } from '../helpers/reader';
import { TestRedis } from '../helpers/redis-server';
import { api, metricValue, startTestApp } from '../helpers/test-app';

/** Bounded poll until the primary sees its replica in sync. */
async function waitForReplica(primary: Redis, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await primary.info('replication');
    if (/^slave0:.*state=online/m.test(info)) return;
    if (Date.now() > deadline) throw new Error(`the replica did not come online:\n${info}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('writes wait for a replica; lost announcements are found', () => {
  jest.setTimeout(30_000);
  let primary: TestRedis;
  let replica: TestRedis;
  let primaryClient: Redis;
  let app: RunningApp;
  const readers: TestReader[] = [];

  beforeAll(async () => {
    primary = await TestRedis.start();
    replica = await TestRedis.start({ extraArgs: ['--replicaof', '127.0.0.1', String(primary.port)] });
    primaryClient = primary.client();
    await waitForReplica(primaryClient);
    app = await startTestApp({ REDIS_URL: primary.url, LIVELINE_REDIS_WAIT_TIMEOUT_MS: '300' }, { gateway: { headCheckMs: 300 } });
  });

  afterAll(async () => {
    await Promise.all(readers.map((r) => r.close()));
    await app?.close();
    primaryClient?.disconnect();
    replica?.resume();
    await Promise.all([primary?.destroy(), replica?.destroy()]);
  });

  async function reader(feed: string): Promise<TestReader> {
    const r = await TestReader.connect(app.url);
    readers.push(r);
    await r.subscribe(feed);
    return r;
  }

  it('waits for the replica by default when the primary has one, and says so', async () => {
    expect(app.durability).toBe('changes are acknowledged and shown to readers once 1 replica(s) hold them (LIVELINE_REDIS_MIN_REPLICAS=1)');
    const editor = api(app);
    expect((await editor.post('/v1/feeds', { id: 'durable', title: 'Durable' })).status).toBe(201);
    const r = await reader('durable');
    const created = await editor.post('/v1/feeds/durable/entries', { headline: 'On two servers' });
    expect(created.status).toBe(201);
    expect((await r.events('durable', 1))[0]).toMatchObject({ seq: 1 });
    const onReplica = replica.client();
    try {
      expect(Object.keys(await onReplica.hgetall('ll:{durable}:entries'))).toHaveLength(1);
    } finally {
      onReplica.disconnect();
    }
  });

  it('answers 503 when the replica does not confirm in time, and the retry with the same key lands once', async () => {
    const editor = api(app);
    expect((await editor.post('/v1/feeds', { id: 'stalled', title: 'Stalled replica' })).status).toBe(201);
    const r = await reader('stalled');
    replica.pause();
    const headers = { 'Idempotency-Key': 'stalled-replica-1' };
    const refused = await editor.post('/v1/feeds/stalled/entries', { headline: 'Waiting for the replica' }, headers);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'unavailable' } });
    expect(JSON.stringify(refused.body)).toContain('retry with the same Idempotency-Key');
    replica.resume();
    await waitForReplica(primaryClient);
    const retried = await editor.post('/v1/feeds/stalled/entries', { headline: 'Waiting for the replica' }, headers);
    expect([200, 201]).toContain(retried.status);
    const events = await r.events('stalled', 1);
    expect(events[0]).toMatchObject({ seq: 1, data: { headline: 'Waiting for the replica' } });
    expect((await editor.get('/v1/feeds/stalled/entries')).body).toMatchObject({ entries: [{ headline: 'Waiting for the replica' }] });
  });

  it('delivers a change nobody announced (its node died before publishing) within the head-check period', async () => {
    const editor = api(app);
    expect((await editor.post('/v1/feeds', { id: 'quiet', title: 'Quiet feed' })).status).toBe(201);
    const r = await reader('quiet');
    const before = await metricValue(app, 'liveline_store_reads_total{reason="head_check"}');
    // Another node's store whose announcement never leaves: it died between the write and the publish.
    const redis = new Redis(primary.url);
    const errors: unknown[] = [];
    const silent = new RedisStore({ redis, prefix: 'll', historySize: 1000, onError: (err) => errors.push(err), announce: async () => undefined });
    try {
      await silent.createEntry('quiet', { headline: 'Never announced', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, { actor: 'desk' });
    } finally {
      redis.disconnect();
    }
    expect((await r.events('quiet', 1, 5000))[0]).toMatchObject({ seq: 1, data: { headline: 'Never announced' } });
    expect(await metricValue(app, 'liveline_store_reads_total{reason="head_check"}')).toBeGreaterThan(before);
    expect(errors).toEqual([]);
  });

  it('resets its readers when the store no longer holds an event they were given (a failover lost it, another took its seq)', async () => {
    const editor = api(app);
    expect((await editor.post('/v1/feeds', { id: 'rewritten', title: 'Rewritten history' })).status).toBe(201);
    const r = await reader('rewritten');
    const first = (await editor.post('/v1/feeds/rewritten/entries', { headline: 'Lost in the failover' })).body as { entry: { id: string } };
    expect((await r.events('rewritten', 1))[0]).toMatchObject({ seq: 1, data: { headline: 'Lost in the failover' } });
    // What a promoted replica that never got seq 1 looks like, then a change taking seq 1 there
    // (through a store whose announcement never leaves, so only the overlap check can notice).
    const k = feedKeys('ll', 'rewritten');
    await primaryClient.multi().del(k.events).set(k.seq, 0).hdel(k.entries, first.entry.id).zrem(k.timeline, first.entry.id).exec();
    const redis = new Redis(primary.url);
    try {
      const other = new RedisStore({ redis, prefix: 'll', historySize: 1000, onError: () => undefined, announce: async () => undefined });
      await other.createEntry('rewritten', { headline: 'Took its seq', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, { actor: 'desk' });
    } finally {
      redis.disconnect();
    }
    expect((await editor.post('/v1/feeds/rewritten/entries', { headline: 'After' })).status).toBe(201);
    // Not seq 2 on top of a seq 1 the store doesn't hold: a reset, and the reload shows the store's truth.
    expect(await r.next((f) => f.feed === 'rewritten' && (f.type === 'reset' || f.type === 'event'))).toMatchObject({ type: 'reset', reason: 'epoch_changed' });
    expect((await editor.get('/v1/feeds/rewritten/entries')).body).toMatchObject({ entries: [{ headline: 'After' }, { headline: 'Took its seq' }] });
  });
});

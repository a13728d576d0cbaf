import type { RunningApp } from '../../server/app';
import { TestRedis } from '../helpers/redis-server';
import { range, SdkReader } from '../helpers/sdk-reader';
import { api, readyz, startTestApp } from '../helpers/test-app';

/** The headlines a page built on `s` shows for `epoch`: its last snapshot, then created entries. */
function view(s: SdkReader, epoch: string): string[] {
  const last = [...s.snapshots].reverse().find((x) => x.snapshot.epoch === epoch);
  if (last === undefined) return [];
  const created = s.events
    .filter((e) => e.epoch === epoch && e.seq > last.snapshot.seq && e.type === 'entry.created')
    .map((e) => (e.data as { headline: string | null }).headline ?? '');
  return [...created.reverse(), ...last.snapshot.entries.map((e) => e.headline ?? '')];
}


describe('Redis outages, restarts and data loss', () => {
  jest.setTimeout(60_000);
  let redis: TestRedis;
  let app: RunningApp;
  const sdks: SdkReader[] = [];

  afterEach(async () => {
    for (const s of sdks.splice(0)) s.close();
    await app.close();
    await redis.destroy();
  });

  it('Redis stopped: writes answer 503 within 2 s and /readyz 503; Redis back: writes succeed without a restart', async () => {
    redis = await TestRedis.start();
    app = await startTestApp({ REDIS_URL: redis.url });
    const http = api(app);
    await http.createFeed('outage');
    await http.postEntry('outage', 'before');
    await readyz(app, 200);

    await redis.stop();
    const started = Date.now();
    const refused = await http.post('/v1/feeds/outage/entries', { headline: 'during' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'unavailable' } });
    const read = await http.get('/v1/feeds/outage');
    expect(read.status).toBe(503);
    await readyz(app, 503);

    await redis.start(); // no persistence: the data is gone, the node is not
    await readyz(app, 200);
    await http.createFeed('outage');
    const after = await http.post('/v1/feeds/outage/entries', { headline: 'after' });
    expect(after.status).toBe(201);
    expect(after.body).toMatchObject({ seq: 1 });
  });

  it('Redis hanging: a write fails within 2 s, and a retry with its Idempotency-Key lands exactly once', async () => {
    redis = await TestRedis.start();
    app = await startTestApp({ REDIS_URL: redis.url });
    const http = api(app);
    await http.createFeed('hang');
    redis.pause();
    const started = Date.now();
    const refused = await http.post('/v1/feeds/hang/entries', { headline: 'maybe' }, { 'Idempotency-Key': 'hang-1' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(refused.status).toBe(503);
    redis.resume(); // the timed-out script may still run now: its outcome was unknown to the editor
    await readyz(app, 200);
    const retried = await http.post('/v1/feeds/hang/entries', { headline: 'maybe' }, { 'Idempotency-Key': 'hang-1' });
    expect(retried.status).toBe(201);
    const snap = (await http.get('/v1/feeds/hang')).body as { entries: Array<{ headline: string }> };
    expect(snap.entries.map((e) => e.headline)).toEqual(['maybe']);
  });

  it('Redis restarted with AOF: no acknowledged entry is lost, seq continues, SDK readers see each once', async () => {
    redis = await TestRedis.start({ aof: true });
    app = await startTestApp({ REDIS_URL: redis.url });
    const http = api(app);
    await http.createFeed('durable');
    for (let i = 0; i < 2; i++) sdks.push(new SdkReader(app.url, 'durable'));
    await Promise.all(sdks.map((s) => s.live()));

    for (let i = 1; i <= 30; i++) await http.postEntry('durable', `before ${i}`);
    await redis.kill(); // SIGKILL: only what the AOF holds survives
    await redis.start();
    await readyz(app, 200);
    for (let i = 31; i <= 40; i++) expect((await http.postEntry('durable', `after ${i}`)).seq).toBe(i);

    const events = await http.get('/v1/feeds/durable/events?since=0');
    expect((events.body as { events: Array<{ seq: number }> }).events.map((e) => e.seq)).toEqual(range(40));
    for (const s of sdks) {
      await s.until(() => s.events.length >= 40, '40 events');
      expect(s.seqs).toEqual(range(40));
      expect(s.resets).toEqual([]);
    }
  });

  it('Redis restarted without persistence: readers are reset and reload the snapshot; none is left on a stale view', async () => {
    redis = await TestRedis.start();
    app = await startTestApp({ REDIS_URL: redis.url });
    const http = api(app);
    await http.createFeed('volatile');
    for (let i = 0; i < 3; i++) sdks.push(new SdkReader(app.url, 'volatile'));
    await Promise.all(sdks.map((s) => s.live()));
    for (let i = 1; i <= 5; i++) await http.postEntry('volatile', `lost ${i}`);
    for (const s of sdks) await s.until(() => s.events.length === 5, '5 events');

    await redis.kill();
    await redis.start(); // empty: the feed and its history are gone
    await readyz(app, 200);
    await http.createFeed('volatile'); // the desk recreates it: a new epoch
    await http.postEntry('volatile', 'first of the new history');
    const { epoch } = (await http.get('/v1/feeds/volatile')).body as { epoch: string };

    for (const s of sdks) {
      await s.until(() => s.snapshots.some((x) => x.reason === 'reset' && x.snapshot.epoch === epoch) && s.sub.state === 'live', 'reset snapshot');
      expect(s.resets.length).toBeGreaterThanOrEqual(1);
      // What the page shows now: the new snapshot plus the new epoch's events after it.
      await s.until(() => view(s, epoch).includes('first of the new history'), 'the new entry');
      expect(view(s, epoch)).toEqual(['first of the new history']);
    }
    await http.postEntry('volatile', 'second');
    for (const s of sdks) {
      await s.until(() => s.events.some((e) => e.epoch === epoch && e.seq === 2), 'live event of the new epoch');
      expect(s.sub.epoch).toBe(epoch);
    }
  });
});

import { join } from 'node:path';
import type { RunningApp } from '../../server/app';
import { NodeProcess } from '../helpers/node-process';
import { TestReader, type Frame } from '../helpers/reader';
import { TestRedis } from '../helpers/redis-server';
import { api, EDITOR_TOKEN, startTestApp, UNLIMITED } from '../helpers/test-app';

const TOKEN = 'schedule-editor-token-0123456789abcdef';

async function call(base: string, method: string, path: string, body?: unknown, token = TOKEN): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const isCreated = (id: string) => (f: Frame): boolean => f.type === 'event' && f.event === 'entry.created' && (f.data as { id?: string }).id === id;

/** Asserts `reader` got exactly one entry.created for `id`: after it, a marker entry arrives with nothing between. */
async function expectExactlyOnce(reader: TestReader, base: string, feed: string, id: string, token = TOKEN): Promise<void> {
  const marker = (await call(base, 'POST', `/v1/feeds/${feed}/entries`, { headline: 'marker' }, token)).body.entry as { id: string };
  await reader.next(isCreated(marker.id), 10_000);
  expect(reader.pending().filter(isCreated(id))).toEqual([]);
}

describe('scheduled entries over HTTP (embedded)', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('are listed, rescheduled and cancelled by editors, invisible to readers until their time, then published once', async () => {
    const http = api(app);
    await http.createFeed('night');
    const reader = await TestReader.connect(app.url);
    await reader.subscribe('night');

    const publishAt = new Date(Date.now() + 1500).toISOString();
    const res = await http.post('/v1/feeds/night/entries', { headline: 'Polls close', body: '<p>Polls have closed.</p>', publishAt });
    expect(res.status).toBe(202);
    expect(res.headers.get('etag')).toBe('"1"');
    const scheduled = (res.body as { scheduled: { id: string } }).scheduled;
    expect(res.headers.get('location')).toBe(`/v1/feeds/night/scheduled/${scheduled.id}`);
    expect((await http.get(res.headers.get('location') as string)).body).toEqual(res.body);
    const cancelled = (await http.post('/v1/feeds/night/entries', { headline: 'Never', publishAt: new Date(Date.now() + 60_000).toISOString() })).body as { scheduled: { id: string } };

    const list = await http.get('/v1/feeds/night/scheduled');
    expect(list.headers.get('cache-control')).toBe('no-store');
    expect((list.body as { scheduled: Array<{ id: string }> }).scheduled.map((s) => s.id)).toEqual([scheduled.id, cancelled.scheduled.id]);
    expect((await http.call('PATCH', `/v1/feeds/night/scheduled/${cancelled.scheduled.id}`, { headline: 'Stale' }, { 'If-Match': '"2"' })).status).toBe(412);
    const moved = await http.call('PATCH', `/v1/feeds/night/scheduled/${cancelled.scheduled.id}`, { publishAt: new Date(Date.now() + 120_000).toISOString() }, { 'If-Match': '"1"' });
    expect(moved.status).toBe(200);
    expect(moved.headers.get('etag')).toBe('"2"');
    expect((await http.delete(`/v1/feeds/night/scheduled/${cancelled.scheduled.id}`)).body).toEqual({ id: cancelled.scheduled.id, cancelled: true });
    expect((await http.delete(`/v1/feeds/night/scheduled/${cancelled.scheduled.id}`)).body).toMatchObject({ error: { code: 'scheduled_entry_not_found' } });

    const snapshot = (await http.get('/v1/feeds/night')).body as { seq: number; entries: unknown[] };
    expect(snapshot).toMatchObject({ seq: 0, entries: [] });
    expect((await http.get('/v1/feeds/night/events?since=0')).body).toMatchObject({ events: [] });

    const frame = await reader.next(isCreated(scheduled.id), 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(publishAt));
    expect(frame).toMatchObject({ seq: 1, data: { headline: 'Polls close', revision: 1 } });
    await expectExactlyOnce(reader, app.url, 'night', scheduled.id, EDITOR_TOKEN);
    expect((await http.get('/v1/feeds/night/scheduled')).body).toEqual({ scheduled: [] });
    await reader.close();
  });

  it('publishes a publishAt in the past at once, and refuses one more than a year ahead or malformed, writing nothing', async () => {
    const http = api(app);
    await http.createFeed('times');
    const past = await http.post('/v1/feeds/times/entries', { headline: 'Late', publishAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(201);
    expect(past.body).toMatchObject({ entry: { headline: 'Late' }, seq: 1 });
    const farAhead = new Date(Date.now() + 366 * 24 * 3600 * 1000).toISOString();
    for (const publishAt of [farAhead, 'tomorrow', '2030-01-01', 1_900_000_000_000, '2027-02-30T10:00:00Z', '2027-01-01T25:00:00Z']) {
      const res = await http.post('/v1/feeds/times/entries', { headline: 'Bad', publishAt });
      expect([publishAt, res.status, res.body]).toEqual([publishAt, 400, { error: expect.objectContaining({ code: 'validation_failed', field: 'publishAt' }) }]);
    }
    expect((await http.patch('/v1/feeds/times/scheduled/nope', { headline: 'x' })).status).toBe(404);
    expect((await http.get('/v1/feeds/times/scheduled')).body).toEqual({ scheduled: [] });
    expect((await http.get('/v1/feeds/times')).body).toMatchObject({ seq: 1 });
  });
});

describe('scheduled entries on two nodes on Redis', () => {
  jest.setTimeout(60_000);
  let redis: TestRedis;
  const nodes: NodeProcess[] = [];
  const readers: TestReader[] = [];
  const env = (): Record<string, string> => ({ ...UNLIMITED, REDIS_URL: redis.url, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` });

  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await Promise.all(nodes.splice(0).map((n) => n.stop('SIGKILL')));
  });
  afterAll(async () => {
    await redis.destroy();
  });

  it('publishes exactly once at its time when the node that accepted it was killed with kill -9 before', async () => {
    const [a, b] = await Promise.all([NodeProcess.start(env()), NodeProcess.start(env())]);
    nodes.push(a as NodeProcess, b as NodeProcess);
    const [urlA, urlB] = [(a as NodeProcess).url, (b as NodeProcess).url];
    expect((await call(urlA, 'POST', '/v1/feeds', { id: 'killed', title: 'Killed' })).status).toBe(201);
    const reader = await TestReader.connect(urlB);
    readers.push(reader);
    await reader.subscribe('killed');

    const publishAt = new Date(Date.now() + 2500).toISOString();
    const res = await call(urlA, 'POST', '/v1/feeds/killed/entries', { headline: 'Results at ten', publishAt });
    expect(res.status).toBe(202);
    const id = (res.body.scheduled as { id: string }).id;
    expect(await (a as NodeProcess).stop('SIGKILL')).toBeNull();

    expect(((await call(urlB, 'GET', '/v1/feeds/killed')).body as { entries: unknown[] }).entries).toEqual([]);
    expect(reader.pending().filter((f) => f.type === 'event')).toEqual([]);
    await reader.next(isCreated(id), 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(publishAt));
    await expectExactlyOnce(reader, urlB, 'killed', id);
    const snapshot = (await call(urlB, 'GET', '/v1/feeds/killed')).body as { entries: Array<{ id: string }> };
    expect(snapshot.entries.filter((e) => e.id === id)).toHaveLength(1);
  });

  it('publishes 20 entries due at once exactly once each with both nodes racing, and never early on a node whose clock runs 1.5 s ahead', async () => {
    const skewed = await NodeProcess.start({
      ...env(),
      NODE_OPTIONS: `--require ${join(__dirname, '..', 'helpers', 'clock-skew.cjs')}`,
      LIVELINE_TEST_CLOCK_SKEW_MS: '1500',
    });
    const plain = await NodeProcess.start(env());
    nodes.push(skewed, plain);
    expect((await call(plain.url, 'POST', '/v1/feeds', { id: 'race', title: 'Race' })).status).toBe(201);
    const onSkewed = await TestReader.connect(skewed.url);
    const onPlain = await TestReader.connect(plain.url);
    readers.push(onSkewed, onPlain);
    await onSkewed.subscribe('race');
    await onPlain.subscribe('race');

    const publishAt = new Date(Date.now() + 3000).toISOString();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await call(plain.url, 'POST', '/v1/feeds/race/entries', { headline: `Result ${i}`, publishAt });
      expect(res.status).toBe(202);
      ids.push((res.body.scheduled as { id: string }).id);
    }
    // Asserting that nothing happens before a time takes waiting until it: by then the skewed
    // node's clock has been past publishAt for 1.2 s, so publishing by it would have shown.
    await new Promise((resolve) => setTimeout(resolve, Date.parse(publishAt) - 300 - Date.now()));
    for (const reader of [onSkewed, onPlain]) expect(reader.pending().filter((f) => f.type === 'event')).toEqual([]);
    for (const reader of [onSkewed, onPlain]) {
      for (const id of ids) await reader.next(isCreated(id), 15_000);
    }
    for (const reader of [onSkewed, onPlain]) await expectExactlyOnce(reader, plain.url, 'race', ids[0] as string);
    const events = (await call(plain.url, 'GET', '/v1/feeds/race/events?since=0')).body as { events: Array<{ event: string; data: { id: string } }> };
    const created = events.events.filter((e) => e.event === 'entry.created').map((e) => e.data.id);
    expect(created.slice(0, 20).sort()).toEqual([...ids].sort());
    expect(new Set(created).size).toBe(created.length);
  });
});

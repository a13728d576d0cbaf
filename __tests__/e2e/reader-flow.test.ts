import type { RunningApp } from '../../server/app';
import { TestReader } from '../helpers/reader';
import { api, startTestApp } from '../helpers/test-app';

describe('an editor posts, every reader sees it (embedded, real ws clients)', () => {
  let app: RunningApp;
  let http: ReturnType<typeof api>;
  const readers: TestReader[] = [];
  const reader = async (): Promise<TestReader> => {
    const r = await TestReader.connect(app.url);
    readers.push(r);
    return r;
  };

  beforeEach(async () => {
    app = await startTestApp({ LIVELINE_HISTORY_SIZE: '10' });
    http = api(app);
  });

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await app.close();
  });

  it('delivers a posted entry to two readers with seq 1, then edits and deletions', async () => {
    await http.createFeed('election');
    const [a, b] = [await reader(), await reader()];
    const subscribed = await a.subscribe('election');
    expect(subscribed).toMatchObject({ type: 'subscribed', feed: 'election', seq: 0, epoch: expect.any(String) });
    await b.subscribe('election');

    const { entry } = await http.postEntry('election', 'Polls close');
    for (const r of [a, b]) {
      expect(await r.next()).toMatchObject({
        type: 'event', feed: 'election', seq: 1, epoch: subscribed.epoch, event: 'entry.created',
        data: { id: entry.id, headline: 'Polls close', body: '<p>Polls close</p>' },
      });
    }

    const edit = await http.patch(`/v1/feeds/election/entries/${entry.id}`, { body: '<p>Polls closed at 8pm</p>', pinned: true });
    expect(edit.status).toBe(200);
    for (const r of [a, b]) {
      const frame = await r.next();
      expect(frame).toMatchObject({ seq: 2, event: 'entry.updated', data: { id: entry.id, body: '<p>Polls closed at 8pm</p>', pinned: true } });
      const data = frame.data as { updatedAt: string; publishedAt: string };
      expect(Date.parse(data.updatedAt)).toBeGreaterThanOrEqual(Date.parse(data.publishedAt));
    }

    expect((await http.delete(`/v1/feeds/election/entries/${entry.id}`)).status).toBe(200);
    for (const r of [a, b]) expect(await r.next()).toMatchObject({ seq: 3, event: 'entry.deleted', data: { id: entry.id } });

    expect((await http.patch('/v1/feeds/election', { status: 'ended' })).status).toBe(200);
    for (const r of [a, b]) expect(await r.next()).toMatchObject({ seq: 4, event: 'feed.updated', data: { id: 'election', status: 'ended' } });

    const snapshot = await http.get('/v1/feeds/election');
    expect(snapshot.body).toMatchObject({ seq: 4, entries: [], feed: { status: 'ended', coverageEndedAt: expect.any(String) } });
  });

  it('sends the exact bytes of one event to every reader', async () => {
    await http.createFeed('bytes');
    const raw: string[][] = [[], []];
    const rs = [await reader(), await reader()];
    for (const r of rs) await r.subscribe('bytes');
    rs.forEach((r, i) => r.ws.on('message', (d) => raw[i]?.push(d.toString())));
    await http.postEntry('bytes', 'Same for all');
    for (const r of rs) await r.next((f) => f.type === 'event');
    expect(raw[0]).toEqual(raw[1]);
    expect(JSON.parse(raw[0]?.[0] ?? '{}')).not.toHaveProperty('actor');
  });

  it('a reader that drops and resubscribes with since gets exactly the entries it missed, in order', async () => {
    await http.createFeed('resume');
    const first = await reader();
    await first.subscribe('resume');
    await http.postEntry('resume', 'one');
    const seen = await first.next((f) => f.type === 'event');
    await first.close();

    for (const h of ['two', 'three', 'four']) await http.postEntry('resume', h);

    const again = await reader();
    const sub = await again.subscribe('resume', { since: seen.seq as number, epoch: seen.epoch as string });
    expect(sub).toMatchObject({ seq: 4 });
    const missed = await again.events('resume', 3);
    expect(missed.map((f) => [f.seq, (f.data as { headline: string }).headline])).toEqual([[2, 'two'], [3, 'three'], [4, 'four']]);

    await http.postEntry('resume', 'five');
    expect(await again.next((f) => f.type === 'event')).toMatchObject({ seq: 5 });
    expect(again.pending()).toEqual([]);
  });

  it('resumes correctly while entries keep arriving during the catch-up', async () => {
    await http.createFeed('busy');
    for (let i = 1; i <= 5; i++) await http.postEntry('busy', `before ${i}`);
    const r = await reader();
    r.send({ type: 'subscribe', feed: 'busy', since: 1 });
    const during = Promise.all([6, 7, 8].map((i) => http.postEntry('busy', `during ${i}`)));
    await during;
    const frames = await r.events('busy', 7);
    expect(frames.map((f) => f.seq)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });

  it('answers a cursor older than the history window with reset, not a gap', async () => {
    await http.createFeed('old');
    for (let i = 1; i <= 15; i++) await http.postEntry('old', `entry ${i}`); // history keeps 10
    const r = await reader();
    r.send({ type: 'subscribe', feed: 'old', since: 2 });
    expect(await r.next((f) => f.type === 'reset')).toEqual({ type: 'reset', feed: 'old', reason: 'history_expired' });
    expect(r.pending().filter((f) => f.type === 'event')).toEqual([]);

    const inWindow = await reader();
    await inWindow.subscribe('old', { since: 5 });
    expect((await inWindow.events('old', 10)).map((f) => f.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);

    const events = await http.get('/v1/feeds/old/events?since=2');
    expect(events.status).toBe(410);
    expect(events.body).toMatchObject({ error: { code: 'reset', reason: 'history_expired', seq: 15 } });
  });

  it('answers a cursor from another epoch or from the future with reset', async () => {
    await http.createFeed('epochs');
    await http.postEntry('epochs', 'one');
    const r = await reader();
    r.send({ type: 'subscribe', feed: 'epochs', since: 1, epoch: 'not-this-one' });
    expect(await r.next((f) => f.type === 'reset')).toMatchObject({ reason: 'epoch_changed' });
    r.send({ type: 'subscribe', feed: 'epochs', since: 99 });
    expect(await r.next((f) => f.type === 'reset')).toMatchObject({ reason: 'cursor_ahead' });
  });

  it('holds several feeds on one connection and stops a feed on unsubscribe', async () => {
    await http.createFeed('north');
    await http.createFeed('south');
    const r = await reader();
    await r.subscribe('north');
    await r.subscribe('south');
    await http.postEntry('south', 'S1');
    await http.postEntry('north', 'N1');
    expect(await r.next((f) => f.type === 'event')).toMatchObject({ feed: 'south', seq: 1 });
    expect(await r.next((f) => f.type === 'event')).toMatchObject({ feed: 'north', seq: 1 });

    r.send({ type: 'unsubscribe', feed: 'south' });
    await r.next((f) => f.type === 'unsubscribed');
    await http.postEntry('south', 'S2');
    await http.postEntry('north', 'N2');
    expect(await r.next((f) => f.type === 'event')).toMatchObject({ feed: 'north', seq: 2 });
    expect(r.pending()).toEqual([]);
  });

  it('serves older entries page by page, pinned entries first in the snapshot', async () => {
    await http.createFeed('pages');
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push((await http.postEntry('pages', `e${i}`)).entry.id);
    await http.patch(`/v1/feeds/pages/entries/${ids[0]}`, { pinned: true });

    const snap = await http.get('/v1/feeds/pages?limit=2');
    const body = snap.body as { entries: Array<{ headline: string }>; nextBefore: string; seq: number };
    expect(body.entries.map((e) => e.headline)).toEqual(['e1', 'e5', 'e4']);
    expect(body.seq).toBe(6);

    const older = await http.get(`/v1/feeds/pages/entries?before=${body.nextBefore}&limit=2`);
    expect((older.body as { entries: Array<{ headline: string }> }).entries.map((e) => e.headline)).toEqual(['e3', 'e2']);
    expect(older.body).toMatchObject({ nextBefore: null });

    expect(snap.headers.get('etag')).toBeTruthy();
    const again = await http.get('/v1/feeds/pages?limit=2', { 'If-None-Match': snap.headers.get('etag') ?? '' });
    expect(again.status).toBe(304);
  });

  it('lists events since a cursor over HTTP', async () => {
    await http.createFeed('log');
    await http.postEntry('log', 'a');
    await http.postEntry('log', 'b');
    const res = await http.get('/v1/feeds/log/events?since=1');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ feed: 'log', seq: 2, events: [{ type: 'event', seq: 2, event: 'entry.created', data: { headline: 'b' } }] });
  });

  it('replays the original response for a repeated Idempotency-Key and refuses it with another body', async () => {
    await http.createFeed('idem');
    const body = { headline: 'Once', body: '<p>only once</p>' };
    const first = await http.post('/v1/feeds/idem/entries', body, { 'Idempotency-Key': 'k-1' });
    const second = await http.post('/v1/feeds/idem/entries', body, { 'Idempotency-Key': 'k-1' });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('idempotent-replayed')).toBe('true');

    const other = await http.post('/v1/feeds/idem/entries', { headline: 'Other' }, { 'Idempotency-Key': 'k-1' });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ error: { code: 'idempotency_key_reused' } });

    const parallel = await Promise.all(Array.from({ length: 10 }, () => http.post('/v1/feeds/idem/entries', { headline: 'P' }, { 'Idempotency-Key': 'k-2' })));
    expect(new Set(parallel.map((r) => JSON.stringify(r.body))).size).toBe(1);

    const snap = await http.get('/v1/feeds/idem');
    expect((snap.body as { entries: unknown[]; seq: number }).entries).toHaveLength(2);
    expect((snap.body as { seq: number }).seq).toBe(2);
  });

  it('closes a reader whose send buffer passes the cap with SLOW_READER (4008)', async () => {
    await app.close();
    app = await startTestApp({}, { gateway: { maxBufferedBytes: 64 * 1024 } });
    http = api(app);
    await http.createFeed('flood');
    const slow = await reader();
    await slow.subscribe('flood');
    slow.ws.pause(); // stop reading: the server's buffer for this reader fills up
    // Enough to fill the kernel's loopback buffers too, so the server's own buffer grows.
    const big = `<p>${'x'.repeat(45_000)}</p>`;
    const count = 300;
    const healthy = await reader();
    await healthy.subscribe('flood');
    const posts: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) posts.push(http.postEntry('flood', `big ${i}`, { body: big }));
    await Promise.all(posts);
    expect((await healthy.events('flood', count)).map((f) => f.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    slow.ws.resume();
    expect(await slow.waitClosed()).toBe(4008);
  });

  it('tells readers to reconnect elsewhere (1012) when the server closes', async () => {
    await http.createFeed('bye');
    const r = await reader();
    await r.subscribe('bye');
    await app.close();
    expect(await r.waitClosed()).toBe(1012);
    await app.close(); // idempotent
  });
});

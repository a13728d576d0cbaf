import WebSocket from 'ws';
import type { RunningApp } from '../../server/app';
import { TestReader } from '../helpers/reader';
import { api, startTestApp } from '../helpers/test-app';

/** Every bad request gets a clear error with a code, and the feed is exactly as before. */
describe('bad input is refused clearly and changes nothing', () => {
  let app: RunningApp;
  let http: ReturnType<typeof api>;
  let before: unknown;
  const readers: TestReader[] = [];

  beforeAll(async () => {
    app = await startTestApp({ LIVELINE_ALLOWED_ORIGINS: 'https://news.example.com' });
    http = api(app);
    await http.createFeed('desk');
    await http.postEntry('desk', 'The one entry');
  });

  beforeEach(async () => {
    before = (await http.get('/v1/feeds/desk')).body;
  });

  afterEach(async () => {
    expect((await http.get('/v1/feeds/desk')).body).toEqual(before);
    await Promise.all(readers.splice(0).map((r) => r.close()));
  });

  afterAll(() => app.close());

  const entry = { headline: 'Should not exist', body: '<p>nope</p>' };

  it.each([
    ['no token', null],
    ['a wrong token', 'wrong-token-wrong-token-wrong'],
    ['an empty bearer', ''],
  ])('401 for %s', async (_name, token) => {
    const res = await api(app, token).post('/v1/feeds/desk/entries', entry);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('401 on every editor route without a token', async () => {
    const anon = api(app, null);
    for (const res of [
      await anon.post('/v1/feeds', { title: 'x' }),
      await anon.patch('/v1/feeds/desk', { title: 'x' }),
      await anon.patch('/v1/feeds/desk/entries/abc', { pinned: true }),
      await anon.delete('/v1/feeds/desk/entries/abc'),
      await anon.get('/v1/feeds'),
      await anon.get('/v1/feeds/desk/audit'),
      await anon.get('/v1/feeds/desk/scheduled'),
      await anon.get('/v1/feeds/desk/entries/abc/revisions'),
      await anon.patch('/v1/feeds/desk/scheduled/abc', { headline: 'x' }),
      await anon.delete('/v1/feeds/desk/scheduled/abc'),
    ]) expect(res.status).toBe(401);
  });

  it.each([
    ['a feed startsAt that is no time', 'PATCH', '/v1/feeds/desk', { startsAt: 'eight' }, 'startsAt'],
    ['a feed startsAt without its offset', 'POST', '/v1/feeds', { title: 'x', startsAt: '2026-12-24T18:00:00' }, 'startsAt'],
    ['a publishAt more than a year ahead', 'POST', '/v1/feeds/desk/entries', { headline: 'x', publishAt: '2099-01-01T00:00:00Z' }, 'publishAt'],
    ['a publishAt that is a number', 'POST', '/v1/feeds/desk/entries', { headline: 'x', publishAt: 1 }, 'publishAt'],
    ['an empty scheduled entry', 'POST', '/v1/feeds/desk/entries', { body: '<p></p>', publishAt: '2026-12-31T23:00:00Z' }, 'body'],
    ['a correction on a scheduled entry', 'PATCH', '/v1/feeds/desk/scheduled/abc', { headline: 'x', correction: 'y' }, 'correction'],
  ])('400 validation_failed for %s, nothing scheduled', async (_name, method, path, body, field) => {
    const res = await http.call(method, path, body);
    expect([res.status, res.body]).toEqual([400, { error: expect.objectContaining({ code: 'validation_failed', field }) }]);
    expect((await http.get('/v1/feeds/desk/scheduled')).body).toEqual({ scheduled: [] });
  });

  it('400 invalid_json for a malformed body', async () => {
    const res = await http.post('/v1/feeds/desk/entries', '{"headline": "unterminated');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'invalid_json' } });
  });

  it('400 validation_failed naming the field', async () => {
    const res = await http.post('/v1/feeds/desk/entries', { headline: 42 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'validation_failed', field: 'headline' } });
  });

  it('413 payload_too_large for an oversized body', async () => {
    const res = await http.post('/v1/feeds/desk/entries', { headline: 'big', body: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } });
  });

  it('415 unsupported_media_type for a body that is not JSON', async () => {
    const res = await http.call('POST', '/v1/feeds/desk/entries', undefined, { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });

  it('404 for an unknown feed, entry or route', async () => {
    expect((await http.post('/v1/feeds/nowhere/entries', entry)).body).toMatchObject({ error: { code: 'feed_not_found' } });
    expect((await http.get('/v1/feeds/nowhere')).status).toBe(404);
    expect((await http.get('/v1/feeds/NOT%20valid')).status).toBe(404);
    expect((await http.patch('/v1/feeds/desk/entries/missing', { pinned: true })).body).toMatchObject({ error: { code: 'entry_not_found' } });
    expect((await http.delete('/v1/feeds/desk/entries/missing')).status).toBe(404);
    expect((await http.get('/v1/nothing-here')).body).toMatchObject({ error: { code: 'route_not_found' } });
  });

  it('409 for a feed id that is taken, 422 for a reused Idempotency-Key', async () => {
    expect((await http.post('/v1/feeds', { id: 'desk', title: 'again' })).status).toBe(409);
    await http.post('/v1/feeds/desk/entries', { headline: 'The one entry' }, { 'Idempotency-Key': 'desk-key' });
    before = (await http.get('/v1/feeds/desk')).body; // that first use was a real write
    const reused = await http.post('/v1/feeds/desk/entries', entry, { 'Idempotency-Key': 'desk-key' });
    expect(reused.status).toBe(422);
  });

  it('400 for a malformed cursor', async () => {
    expect((await http.get('/v1/feeds/desk/events')).body).toMatchObject({ error: { code: 'invalid_cursor' } });
    expect((await http.get('/v1/feeds/desk/events?since=-1')).status).toBe(400);
    expect((await http.get('/v1/feeds/desk/entries?before=xyz')).body).toMatchObject({ error: { code: 'invalid_cursor' } });
    expect((await http.get('/v1/feeds/desk?limit=0')).status).toBe(400);
  });

  it('answers non-JSON, binary and unknown frames with an error frame and keeps the connection', async () => {
    const r = await TestReader.connect(app.url);
    readers.push(r);
    r.send('this is not json');
    expect(await r.next()).toMatchObject({ type: 'error', code: 'bad_frame' });
    r.send({ type: 'publish', feed: 'desk', data: {} });
    expect(await r.next()).toMatchObject({ type: 'error', code: 'unknown_type' });
    r.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await r.next()).toMatchObject({ type: 'error', code: 'bad_frame' });
    r.send({ type: 'subscribe', feed: 'desk', since: 'yesterday' });
    expect(await r.next()).toMatchObject({ type: 'error', code: 'invalid_field' });
    r.send({ type: 'subscribe', feed: 'nowhere' });
    expect(await r.next()).toMatchObject({ type: 'error', code: 'feed_not_found', feed: 'nowhere' });
    expect(await r.subscribe('desk')).toMatchObject({ type: 'subscribed', seq: expect.any(Number) });
  });

  it('closes with 1009 when a frame is larger than the limit', async () => {
    const r = await TestReader.connect(app.url);
    readers.push(r);
    r.send({ type: 'subscribe', feed: 'desk', epoch: 'x'.repeat(10_000) });
    expect(await r.waitClosed()).toBe(1009);
  });

  it('refuses a WebSocket from an Origin not on the allowlist, accepts one on it', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${app.url.replace('http', 'ws')}/v1/ws`, { origin: 'https://evil.example.org' });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
    const ok = await TestReader.connect(app.url, { origin: 'https://news.example.com' });
    readers.push(ok);
    expect(await ok.subscribe('desk')).toMatchObject({ type: 'subscribed' });
  });

  it('answers upgrades on other paths with 404', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${app.url.replace('http', 'ws')}/elsewhere`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(404);
  });
});

describe('hostile requests never crash the server or leak a 500', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  /** Sends raw bytes and resolves with the status line the server answered. */
  async function raw(request: string): Promise<string> {
    const { createConnection } = await import('node:net');
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: app.port });
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
      socket.end(request);
    });
  }

  it('answers an upgrade with an unparseable URL and keeps serving', async () => {
    const answer = await raw('GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 404/);
    expect((await api(app).get('/healthz')).status).toBe(200);
  });

  it('answers malformed percent-encoding and corrupt gzip bodies with 4xx codes', async () => {
    const http = api(app);
    expect((await http.get('/v1/feeds/%E0%A4%A')).status).toBe(400);
    expect((await http.patch('/v1/feeds/f/entries/%ZZ', { pinned: true })).body).toMatchObject({ error: { code: 'bad_request' } });
    const gz = await http.call('POST', '/v1/feeds', 'not gzip at all', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    expect(gz.status).toBe(400);
  });

  it('answers SDK paths that name object internals with 404', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect((await api(app).get(`/sdk/${name}`)).status).toBe(404);
    }
  });

  it('answers unknown routes with 404, not 401', async () => {
    const anon = api(app, null);
    expect((await anon.get('/nope')).status).toBe(404);
    expect((await anon.call('PUT', '/v1/feeds/x')).body).toMatchObject({ error: { code: 'route_not_found' } });
  });
});

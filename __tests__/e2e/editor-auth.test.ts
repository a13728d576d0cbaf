/**
 * Editor authentication is throttled per client address, and two editorial guards hold
 * end to end: at most LIVELINE_MAX_PINNED_PER_FEED pinned entries per feed, and no edit
 * leaves an entry with neither headline nor body.
 */
import type { RunningApp } from '../../server/app';
import { TestReader } from '../helpers/reader';
import { TestRedis } from '../helpers/redis-server';
import { httpFrom } from '../helpers/http-from';
import { api, EDITOR_TOKEN, metricValue, startTestApp } from '../helpers/test-app';

interface RawResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: unknown;
}

/** One editor request from a chosen loopback source address (see httpFrom). */
async function call(app: RunningApp, options: {
  localAddress: string;
  token?: string | null;
  authorization?: string;
  method?: string;
  path?: string;
  body?: unknown;
  headers?: Record<string, string>;
}): Promise<RawResponse> {
  const authorization = options.authorization ?? (options.token === null ? undefined : `Bearer ${options.token ?? EDITOR_TOKEN}`);
  const res = await httpFrom(`${app.url}${options.path ?? '/v1/feeds'}`, {
    method: options.method ?? 'POST',
    localAddress: options.localAddress,
    body: JSON.stringify(options.body ?? { title: 'Live: any' }),
    headers: {
      'Content-Type': 'application/json',
      ...(authorization !== undefined ? { Authorization: authorization } : {}),
      ...options.headers,
    },
  });
  return { status: res.status, headers: res.headers, body: res.text === '' ? null : (JSON.parse(res.text) as unknown) };
}

const sample = metricValue;

const WRONG = 'wrong-token-wrong-token-wrong-token-0000';
const errorCode = (res: { body: unknown }): unknown => (res.body as { error?: { code?: unknown } } | null)?.error?.code;

describe('editor authentication is throttled per address', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app.close();
  });

  it('Ten wrong tokens from one address → 429 (with Retry-After, code too_many_auth_failures); the right token from another address still works', async () => {
    app = await startTestApp({ LIVELINE_AUTH_FAILURES_PER_MINUTE: '5' });
    const guesser = '127.0.0.2';
    const answers: RawResponse[] = [];
    for (let i = 0; i < 10; i++) {
      // Wrong, missing and malformed credentials all count as failures.
      const attempt = i === 1 ? { token: null } : i === 3 ? { authorization: `Basic ${WRONG}` } : { token: `${WRONG}${i}` };
      answers.push(await call(app, { localAddress: guesser, ...attempt }));
    }
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    const throttled = answers[9] as RawResponse;
    expect(errorCode(throttled)).toBe('too_many_auth_failures');
    const retryAfter = Number(throttled.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    // Checked before the token is compared: even the right token waits, and learns nothing.
    const right = await call(app, { localAddress: guesser, body: { id: 'from-guesser', title: 'Live: no' } });
    expect(right.status).toBe(429);
    expect(errorCode(right)).toBe('too_many_auth_failures');
    expect(right.headers['www-authenticate']).toBeUndefined();

    // Another address (127.0.0.1, through fetch and through http.request) is unaffected.
    expect((await api(app).post('/v1/feeds', { id: 'desk', title: 'Live: desk' })).status).toBe(201);
    expect((await call(app, { localAddress: '127.0.0.1', path: '/v1/feeds/desk/entries', body: { headline: 'still works' } })).status).toBe(201);
    expect((await api(app).get('/v1/feeds/from-guesser')).status).toBe(404);

    expect(await sample(app, 'liveline_auth_failures_total')).toBe(5);
    expect(await sample(app, 'liveline_refused_total{limit="auth_failures"}')).toBe(6);
  });

  it('counts the rightmost X-Forwarded-For address behind a trusted proxy', async () => {
    app = await startTestApp({ LIVELINE_AUTH_FAILURES_PER_MINUTE: '3', LIVELINE_TRUST_PROXY: '1' });
    const from = (xff: string, token: string | null = WRONG) => call(app, { localAddress: '127.0.0.1', token, headers: { 'X-Forwarded-For': xff } });
    // The client may write anything left of what the balancer appended: it doesn't dodge the count.
    expect((await from('198.51.100.1, 203.0.113.7')).status).toBe(401);
    expect((await from('198.51.100.2, 203.0.113.7')).status).toBe(401);
    expect((await from('203.0.113.7')).status).toBe(401);
    const refused = await from('198.51.100.3, 203.0.113.7', EDITOR_TOKEN);
    expect(refused.status).toBe(429);
    expect(errorCode(refused)).toBe('too_many_auth_failures');
    // One more try every 60 s / 3; the bucket started refilling at the first failure.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(18);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(20);

    // Another client behind the same balancer (same socket address) still gets in, and
    // putting the throttled address on the left doesn't throttle anyone.
    expect((await from('198.51.100.9', EDITOR_TOKEN)).status).toBe(201);
    expect((await from('203.0.113.7, 198.51.100.10', EDITOR_TOKEN)).status).toBe(201);
    expect(await sample(app, 'liveline_auth_failures_total')).toBe(3);
    expect(await sample(app, 'liveline_refused_total{limit="auth_failures"}')).toBe(1);
  });
});

describe('editorial guards through the HTTP API', () => {
  let app: RunningApp;
  const readers: TestReader[] = [];
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await app.close();
  });

  it('refuses a pin beyond LIVELINE_MAX_PINNED_PER_FEED with 409 too_many_pinned; readers see nothing of it', async () => {
    app = await startTestApp({ LIVELINE_MAX_PINNED_PER_FEED: '2' });
    const http = api(app);
    await http.createFeed('pins');
    const reader = await TestReader.connect(app.url);
    readers.push(reader);
    await reader.subscribe('pins');

    const a = await http.postEntry('pins', 'Pinned A', { pinned: true }); // 1
    await http.postEntry('pins', 'Pinned B', { pinned: true }); // 2
    const refusedCreate = await http.post('/v1/feeds/pins/entries', { headline: 'Pinned C', pinned: true });
    expect(refusedCreate.status).toBe(409);
    expect(refusedCreate.body).toEqual({ error: { code: 'too_many_pinned', message: 'this feed already has 2 pinned entries; unpin one first', field: 'pinned', limit: 2 } });
    const loose = await http.postEntry('pins', 'Loose'); // 3
    const refusedPatch = await http.patch(`/v1/feeds/pins/entries/${loose.entry.id}`, { pinned: true, headline: 'Loose, pinned' });
    expect(refusedPatch.status).toBe(409);
    expect(errorCode(refusedPatch)).toBe('too_many_pinned');
    expect((await http.patch(`/v1/feeds/pins/entries/${a.entry.id}`, { headline: 'Pinned A, corrected' })).status).toBe(200); // 4
    expect((await http.patch(`/v1/feeds/pins/entries/${a.entry.id}`, { pinned: false })).status).toBe(200); // 5
    expect((await http.patch(`/v1/feeds/pins/entries/${loose.entry.id}`, { pinned: true })).status).toBe(200); // 6

    const events = await reader.events('pins', 6);
    expect(events.map((f) => [f.seq, f.event, (f.data as { headline?: string }).headline, (f.data as { pinned?: boolean }).pinned])).toEqual([
      [1, 'entry.created', 'Pinned A', true],
      [2, 'entry.created', 'Pinned B', true],
      [3, 'entry.created', 'Loose', false],
      [4, 'entry.updated', 'Pinned A, corrected', true],
      [5, 'entry.updated', 'Pinned A, corrected', false],
      [6, 'entry.updated', 'Loose', true],
    ]);
    const snapshot = (await http.get('/v1/feeds/pins')).body as { seq: number; entries: Array<{ headline: string; pinned: boolean }> };
    expect(snapshot.seq).toBe(6);
    expect(snapshot.entries.filter((e) => e.pinned).map((e) => e.headline)).toEqual(['Loose', 'Pinned B']);
    expect(reader.pending().filter((f) => f.type === 'event')).toEqual([]);
  });

  it('refuses a PATCH that would leave an entry with neither headline nor body (400), writing nothing', async () => {
    app = await startTestApp();
    const http = api(app);
    await http.createFeed('content');
    const reader = await TestReader.connect(app.url);
    readers.push(reader);
    await reader.subscribe('content');
    const titled = (await http.post('/v1/feeds/content/entries', { headline: 'Only a headline' })).body as { entry: { id: string } };
    const bodied = (await http.post('/v1/feeds/content/entries', { body: '<p>Only a body</p>' })).body as { entry: { id: string } };

    const noHeadline = await http.patch(`/v1/feeds/content/entries/${titled.entry.id}`, { headline: null });
    expect(noHeadline.status).toBe(400);
    expect(noHeadline.body).toMatchObject({ error: { code: 'validation_failed', field: 'headline', message: expect.stringContaining('headline') } });
    for (const body of ['', '<p>&nbsp;</p>', '<script>alert(1)</script>']) {
      const noBody = await http.patch(`/v1/feeds/content/entries/${bodied.entry.id}`, { body });
      expect(noBody.status).toBe(400);
      expect(noBody.body).toMatchObject({ error: { code: 'validation_failed', field: 'body' } });
    }
    const ok = await http.patch(`/v1/feeds/content/entries/${titled.entry.id}`, { headline: null, body: '<p>Now with a body</p>' });
    expect(ok.status).toBe(200);

    expect((await reader.events('content', 3)).map((f) => [f.seq, f.event])).toEqual([[1, 'entry.created'], [2, 'entry.created'], [3, 'entry.updated']]);
    const snapshot = (await http.get('/v1/feeds/content')).body as { seq: number; entries: Array<{ headline: string | null; body: string }> };
    expect(snapshot.seq).toBe(3);
    expect(snapshot.entries.map((e) => [e.headline, e.body])).toEqual([[null, '<p>Only a body</p>'], [null, '<p>Now with a body</p>']]);
  });

  it('applies the configured pinned cap on Redis too', async () => {
    const redis = await TestRedis.start();
    try {
      app = await startTestApp({ REDIS_URL: redis.url, LIVELINE_MAX_PINNED_PER_FEED: '1' });
      const http = api(app);
      await http.createFeed('redis-pins');
      await http.postEntry('redis-pins', 'The one pinned entry', { pinned: true });
      const refused = await http.post('/v1/feeds/redis-pins/entries', { headline: 'A second', pinned: true });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({ error: { code: 'too_many_pinned', message: 'this feed already has 1 pinned entry; unpin one first' } });
      expect(((await http.get('/v1/feeds/redis-pins')).body as { seq: number }).seq).toBe(1);
    } finally {
      await app.close();
      await redis.destroy();
    }
  });
});

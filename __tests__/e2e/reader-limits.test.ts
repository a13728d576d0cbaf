import WebSocket from 'ws';
import type { RunningApp } from '../../server/app';
import { createMemoryBackend } from '../../server/backend';
import { httpFrom } from '../helpers/http-from';
import { TestReader } from '../helpers/reader';
import { api, metricValue, startTestApp, waitForMetric } from '../helpers/test-app';

/** Another client, as far as the server can tell: Linux routes all of 127/8 to loopback. */
const OTHER_ADDRESS = '127.0.0.2';

interface Answer {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

/** GET from a chosen local address (fetch can't bind one). */
async function get(app: RunningApp, path: string, options: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await httpFrom(`${app.url}${path}`, options);
  return { status: res.status, headers: res.headers, body: res.text };
}

/** Opens a WebSocket; resolves with the refusal (status, error code) or 0 when it opened. */
function upgrade(app: RunningApp, options: { localAddress?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; code: string | null; ws: WebSocket | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${app.url.replace('http', 'ws')}/v1/ws`, options);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(body) as { error: { code: string } }).error.code, ws: null }));
    });
    ws.on('open', () => resolve({ status: 0, code: null, ws }));
    ws.on('error', () => undefined);
  });
}

describe('reader-side budgets: no anonymous client costs more than its share', () => {
  jest.setTimeout(30_000);
  let app: RunningApp;
  const readers: TestReader[] = [];
  const sockets: WebSocket[] = [];
  const reader = async (options: Parameters<typeof TestReader.connect>[1] = {}): Promise<TestReader> => {
    const r = await TestReader.connect(app.url, options);
    readers.push(r);
    return r;
  };

  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await app.close();
  });

  it('caps the connections one address holds at once; another address still connects', async () => {
    app = await startTestApp({ LIVELINE_MAX_CONNECTIONS_PER_IP: '3' });
    await api(app).createFeed('cap');
    for (let i = 0; i < 3; i++) await reader();
    expect(await upgrade(app)).toMatchObject({ status: 429, code: 'too_many_connections' });
    const sse = await get(app, '/v1/feeds/cap/stream');
    expect(sse.status).toBe(429);
    expect(JSON.parse(sse.body)).toMatchObject({ error: { code: 'too_many_connections' } });

    const other = await reader({ localAddress: OTHER_ADDRESS });
    await other.subscribe('cap');
    expect(await metricValue(app, 'liveline_refused_total{limit="concurrent_per_ip"}')).toBe(2);

    // A connection that leaves gives its slot back.
    await readers[0]?.close();
    let again = await upgrade(app);
    for (const deadline = Date.now() + 5000; again.status === 429 && Date.now() < deadline;) again = await upgrade(app);
    expect(again.status).toBe(0);
    if (again.ws !== null) sockets.push(again.ws);
  });

  it('counts the address the balancer reports, and IPv6 per /64', async () => {
    app = await startTestApp({ LIVELINE_MAX_CONNECTIONS_PER_IP: '2', LIVELINE_TRUST_PROXY: '1' });
    const from = (address: string) => ({ headers: { 'X-Forwarded-For': `198.51.100.77, ${address}` } });
    await reader(from('2001:db8:1:2::1'));
    await reader(from('2001:db8:1:2:ffff::9'));
    expect(await upgrade(app, from('2001:db8:1:2::abcd'))).toMatchObject({ status: 429, code: 'too_many_connections' });
    for (const address of ['2001:db8:1:3::1', '203.0.113.5']) { // the next /64, and IPv4, are someone else
      const opened = await upgrade(app, from(address));
      expect(opened.status).toBe(0);
      if (opened.ws !== null) sockets.push(opened.ws);
    }
  });

  it('answers a flood of frames with an error frame, then closes with 4429', async () => {
    app = await startTestApp({ LIVELINE_FRAMES_PER_SECOND: '5' }); // bursts of 25
    await api(app).createFeed('flood');
    const r = await reader();
    for (let i = 0; i < 60; i++) r.send({ type: 'unsubscribe', feed: 'flood' });
    expect(await r.next((f) => f.type === 'error')).toMatchObject({ code: 'rate_limited' });
    expect(await r.waitClosed()).toBe(4429);
    expect(await metricValue(app, 'liveline_refused_total{limit="frames"}')).toBeGreaterThan(10);

    // Other readers are not affected.
    const calm = await reader();
    await calm.subscribe('flood');
  });

  it('limits subscribes per connection per minute with an error frame naming the feed', async () => {
    app = await startTestApp({ LIVELINE_SUBSCRIBES_PER_MINUTE: '3' });
    await api(app).createFeed('sub');
    const r = await reader();
    for (let i = 0; i < 3; i++) await r.subscribe('sub');
    r.send({ type: 'subscribe', feed: 'sub' });
    expect(await r.next((f) => f.type === 'error')).toMatchObject({ code: 'rate_limited', feed: 'sub' });
    expect(await metricValue(app, 'liveline_refused_total{limit="subscribes"}')).toBe(1);
  });

  it('builds no hub for made-up feeds, and a client naming many feeds costs no more than its cap', async () => {
    app = await startTestApp({ LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3' });
    const editor = api(app);
    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) await editor.createFeed(id);
    const r = await reader();
    for (let i = 0; i < 20; i++) {
      r.send({ type: 'subscribe', feed: `no-such-feed-${i % 4}` });
      await r.next((f) => f.type === 'error' && f.code === 'feed_not_found' && f.feed === `no-such-feed-${i % 4}`);
    }
    // Four distinct names: at most one existence read each, and no hub at all.
    expect(await metricValue(app, 'liveline_store_reads_total{reason="exists"}')).toBeLessThanOrEqual(4);
    expect(await metricValue(app, 'liveline_store_reads_total{reason="hub_start"}')).toBe(0);

    for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) r.send({ type: 'subscribe', feed: id });
    for (const id of ['a1', 'a2', 'a3']) await r.next((f) => f.type === 'subscribed' && f.feed === id);
    for (const id of ['a4', 'a5']) await r.next((f) => f.type === 'error' && f.code === 'too_many_subscriptions' && f.feed === id);
    expect(await metricValue(app, 'liveline_store_reads_total{reason="hub_start"}')).toBe(3);
  });

  it('lets a feed go when readers leave while it is being looked up: no hub is kept for nobody', async () => {
    // A store whose head reads wait for the test to let them go: readers leave meanwhile.
    const backend = createMemoryBackend({ historySize: 100 }, (err) => {
      throw err;
    });
    let letGo: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    const slow = new Proxy(backend.store, {
      get(target, prop, receiver) {
        if (prop === 'head') {
          return async (feedId: string) => {
            await gate;
            return target.head(feedId);
          };
        }
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    app = await startTestApp({}, { backend: { ...backend, store: slow }, gateway: { hubLingerMs: 200 } });
    await api(app).createFeed('brief');
    const leaving = await Promise.all(Array.from({ length: 5 }, () => reader()));
    for (const r of leaving) r.send({ type: 'subscribe', feed: 'brief' });
    await waitForMetric(app, 'liveline_store_reads_total{reason="exists"}', (v) => v > 0);
    for (const r of leaving) r.ws.terminate();
    await waitForMetric(app, 'liveline_connections{transport="websocket"}', (v) => v === 0);
    letGo();
    // The lookup still finds the feed and a hub starts for the readers who were there…
    await waitForMetric(app, 'liveline_store_reads_total{reason="hub_start"}', (v) => v === 1);
    // …and goes after its linger, since none of them is left.
    await waitForMetric(app, 'liveline_feeds_served', (v) => v === 0, 3000);
    await backend.close();
  });

  it('replays at most LIVELINE_MAX_RESUME_EVENTS events to one reader; further behind is a reset', async () => {
    app = await startTestApp({ LIVELINE_MAX_RESUME_EVENTS: '5' });
    const editor = api(app);
    await editor.createFeed('behind');
    for (let i = 1; i <= 10; i++) await editor.postEntry('behind', `e${i}`);
    const r = await reader();
    r.send({ type: 'subscribe', feed: 'behind', since: 2 });
    expect(await r.next((f) => f.type === 'reset')).toMatchObject({ reason: 'too_far_behind' });
    await r.subscribe('behind', { since: 5 });
    expect((await r.events('behind', 5)).map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
    // The reset cost no store read at all; the resume one shared read of its events.
    expect(await metricValue(app, 'liveline_store_reads_total{reason="backfill"}')).toBe(1);
  });

  it('replays at most LIVELINE_MAX_RESUME_EVENTS events over HTTP too; further behind is a 410 reset', async () => {
    app = await startTestApp({ LIVELINE_MAX_RESUME_EVENTS: '5' });
    const editor = api(app);
    await editor.createFeed('http-behind');
    for (let i = 1; i <= 10; i++) await editor.postEntry('http-behind', `e${i}`);
    const far = await get(app, '/v1/feeds/http-behind/events?since=2');
    expect(far.status).toBe(410);
    expect(JSON.parse(far.body)).toMatchObject({ error: { code: 'reset', reason: 'too_far_behind', seq: 10 } });
    const near = JSON.parse((await get(app, '/v1/feeds/http-behind/events?since=5')).body) as { events: Array<{ seq: number }> };
    expect(near.events.map((e) => e.seq)).toEqual([6, 7, 8, 9, 10]);
  });

  it('charges a reader request by what it may return: a 100-entry page costs five 20-entry ones', async () => {
    app = await startTestApp({ LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '5' }); // bursts of 10 units
    await api(app).createFeed('weights');
    expect((await get(app, '/v1/feeds/weights?limit=100')).status).toBe(200);
    expect((await get(app, '/v1/feeds/weights?limit=100')).status).toBe(200);
    expect((await get(app, '/v1/feeds/weights?limit=100')).status).toBe(429); // 15 units of 10
    expect((await get(app, '/v1/feeds/weights', { localAddress: OTHER_ADDRESS })).status).toBe(200);
  });

  it('reads the store once for many cursors "ahead" of the feed, not once each', async () => {
    app = await startTestApp({ LIVELINE_SUBSCRIBES_PER_MINUTE: '1000' });
    const editor = api(app);
    await editor.createFeed('ahead');
    await editor.postEntry('ahead', 'one');
    const r = await reader();
    await r.subscribe('ahead');
    const before = await metricValue(app, 'liveline_store_reads_total{reason="catch_up"}');
    for (let i = 0; i < 90; i++) r.send({ type: 'subscribe', feed: 'ahead', since: 1_000_000 + i }); // within the frame burst
    // Each subscribe replaces the one before; the last is told its cursor is ahead.
    await r.next((f) => f.type === 'reset' && f.reason === 'cursor_ahead');
    expect(await metricValue(app, 'liveline_store_reads_total{reason="catch_up"}') - before).toBeLessThanOrEqual(5);
  });

  it('closes a connection that keeps sending a little over its frame budget', async () => {
    app = await startTestApp({ LIVELINE_FRAMES_PER_SECOND: '20' }); // bursts of 100
    await api(app).createFeed('steady');
    const r = await reader();
    for (let i = 0; i < 100; i++) r.send({ type: 'unsubscribe', feed: 'steady' });
    const pace = setInterval(() => {
      if (r.ws.readyState === r.ws.OPEN) r.send({ type: 'unsubscribe', feed: 'steady' });
    }, 20); // 50 a second: two and a half times the budget, never a long burst
    try {
      expect(await r.waitClosed()).toBe(4429);
    } finally {
      clearInterval(pace);
    }
    expect(r.pending().filter((f) => f.type === 'error' && f.code === 'rate_limited')).toHaveLength(1);
  });

  it("limits readers' HTTP requests per address; another address is unaffected", async () => {
    app = await startTestApp({ LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '2' }); // bursts of 4
    await api(app).createFeed('http');
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(app, '/v1/feeds/http')));
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(refused[0]?.body ?? '{}')).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await get(app, '/v1/feeds/http', { localAddress: OTHER_ADDRESS })).status).toBe(200);
    expect((await get(app, '/v1/feeds/http/events?since=0', { localAddress: '127.0.0.3' })).status).toBe(200);
    expect(await metricValue(app, 'liveline_refused_total{limit="reader_requests"}')).toBe(refused.length);
  });

  it('says Vary: Origin on every reader answer when an allowlist decides', async () => {
    app = await startTestApp({ LIVELINE_ALLOWED_ORIGINS: 'https://news.example.com', LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '3' });
    await api(app).createFeed('vary');
    const cases = [
      { path: '/v1/feeds/vary', origin: 'https://news.example.com', acao: 'https://news.example.com' },
      { path: '/v1/feeds/vary', origin: 'https://evil.example', acao: undefined },
      { path: '/v1/feeds/vary', origin: undefined, acao: undefined },
      { path: '/v1/feeds/nope', origin: 'https://news.example.com', acao: 'https://news.example.com' },
      { path: '/v1/feeds/vary/stream', origin: 'https://evil.example', acao: undefined },
    ];
    for (const c of cases) {
      const a = await get(app, c.path, c.origin === undefined ? {} : { headers: { Origin: c.origin } });
      expect(a.headers.vary).toMatch(/\bOrigin\b/);
      expect(a.headers['access-control-allow-origin']).toBe(c.acao);
    }
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(app, '/v1/feeds/vary')));
    const refused = answers.find((a) => a.status === 429);
    expect(refused?.headers.vary).toMatch(/\bOrigin\b/);
  });

  it('matches routes exactly: no other case, no trailing slash, no metrics on the public port', async () => {
    app = await startTestApp();
    await api(app).createFeed('exact');
    for (const path of ['/V1/feeds/exact', '/v1/feeds/exact/', '/HEALTHZ', '/healthz/', '/metrics', '/METRICS', '/metrics/']) {
      const a = await get(app, path);
      expect([path, a.status]).toEqual([path, 404]);
      expect(a.body).not.toContain('# TYPE');
    }
    expect((await get(app, '/v1/feeds/exact')).status).toBe(200);
    expect(await (await fetch(app.metricsUrl)).text()).toContain('# TYPE liveline_connections gauge');
  });
});

import { createConnection } from 'node:net';
import WebSocket from 'ws';
import type { RunningApp } from '../../server/app';
import { BlackholeProxy } from '../helpers/blackhole-proxy';
import { TestReader } from '../helpers/reader';
import { TestRedis } from '../helpers/redis-server';
import { api, EDITOR_TOKEN, metricValue, readyz, startTestApp } from '../helpers/test-app';

const metric = metricValue;


/** The HTTP status a WebSocket upgrade is refused with (0 when it opens). */
function upgradeStatus(app: RunningApp, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${app.url.replace('http', 'ws')}/v1/ws`, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 0, body: '' });
    });
    ws.on('error', () => undefined);
  });
}

describe('operations: metrics, readiness, limits', () => {
  jest.setTimeout(30_000);
  let app: RunningApp;
  const readers: TestReader[] = [];
  const reader = async (): Promise<TestReader> => {
    const r = await TestReader.connect(app.url);
    readers.push(r);
    return r;
  };

  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await app.close();
  });

  it('/metrics exposes the documented names, and the counters move when entries flow', async () => {
    app = await startTestApp();
    const http = api(app);
    await http.createFeed('metered');
    const r = await reader();
    await r.subscribe('metered');
    for (let i = 1; i <= 3; i++) await http.postEntry('metered', `e${i}`);
    await r.events('metered', 3);

    const text = await (await fetch(app.metricsUrl)).text();
    for (const name of [
      'liveline_connections', 'liveline_subscriptions', 'liveline_events_published_total', 'liveline_events_delivered_total',
      'liveline_publish_to_deliver_seconds', 'liveline_slow_readers_disconnected_total', 'liveline_gaps_detected_total',
      'liveline_gap_events_filled_total', 'liveline_resets_sent_total', 'liveline_redis_errors_total', 'liveline_redis_reconnects_total',
      'liveline_http_requests_total', 'liveline_refused_total', 'liveline_ready', 'liveline_nodejs_eventloop_lag_seconds',
    ]) expect(text).toContain(`# TYPE ${name} `);
    expect(await metric(app, 'liveline_events_published_total{type="entry.created"}')).toBe(3);
    expect(await metric(app, 'liveline_events_delivered_total{transport="websocket"}')).toBe(3);
    expect(await metric(app, 'liveline_connections{transport="websocket"}')).toBe(1);
    expect(await metric(app, 'liveline_subscriptions{transport="websocket"}')).toBe(1);
    expect(await metric(app, 'liveline_publish_to_deliver_seconds_count')).toBe(3);
    expect(await metric(app, 'liveline_http_requests_total{route="/v1/feeds/:feedId/entries",method="POST",status="201"}')).toBe(3);
    expect(await metric(app, 'liveline_ready')).toBe(1);

    r.send({ type: 'subscribe', feed: 'metered', since: 0, epoch: 'stale' });
    await r.next((f) => f.type === 'reset');
    expect(await metric(app, 'liveline_resets_sent_total{reason="epoch_changed"}')).toBe(1);
    await r.close();
    await r.waitClosed();
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(await metric(app, 'liveline_connections{transport="websocket"}')).toBe(0);
  });

  it('limits readers per node: 503 overloaded for the next, the connected ones unharmed', async () => {
    app = await startTestApp({ LIVELINE_MAX_CONNECTIONS: '2' });
    await api(app).createFeed('full');
    const held = [await reader(), await reader()];
    for (const r of held) await r.subscribe('full');
    const refused = await upgradeStatus(app);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'overloaded' } });
    expect((await api(app).get('/v1/feeds/full/stream')).status).toBe(503);
    await api(app).postEntry('full', 'still flowing');
    for (const r of held) expect(await r.next((f) => f.type === 'event')).toMatchObject({ seq: 1 });
    expect(await metric(app, 'liveline_refused_total{limit="connections"}')).toBe(2);
  });

  it('limits new connections per second per address: 429 for that address only', async () => {
    app = await startTestApp({ LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '2', LIVELINE_TRUST_PROXY: '1' });
    await api(app).createFeed('rate');
    const first = await reader();
    await first.subscribe('rate');
    const from = (ip: string) => upgradeStatus(app, { 'X-Forwarded-For': ip });
    const burst = [];
    for (let i = 0; i < 6; i++) burst.push((await from('203.0.113.7')).status);
    expect(burst).toContain(429);
    expect(burst.slice(0, 3)).toEqual([0, 0, 0]); // a burst of twice the rate is fine
    expect((await from('198.51.100.9')).status).toBe(0); // another address is not affected
    const refused = await from('203.0.113.7');
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'rate_limited' } });
    await api(app).postEntry('rate', 'flowing');
    expect(await first.next((f) => f.type === 'event')).toMatchObject({ seq: 1 });
  });

  it('counts a connection against the address the balancer saw, not one the client wrote', async () => {
    app = await startTestApp({ LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '1', LIVELINE_TRUST_PROXY: '1' });
    // The balancer appends the real address; a forged entry on the left must not buy a new bucket.
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await upgradeStatus(app, { 'X-Forwarded-For': `10.9.8.${i}, 203.0.113.50` })).status);
    expect(statuses).toEqual([0, 0, 429, 429]);
  });

  it('limits subscriptions per connection with an error frame; the others keep flowing', async () => {
    app = await startTestApp({ LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const http = api(app);
    for (const f of ['a', 'b', 'c']) await http.createFeed(f);
    const r = await reader();
    await r.subscribe('a');
    await r.subscribe('b');
    r.send({ type: 'subscribe', feed: 'c' });
    expect(await r.next((f) => f.type === 'error')).toMatchObject({ code: 'too_many_subscriptions', feed: 'c' });
    await http.postEntry('b', 'b1');
    await http.postEntry('c', 'c1');
    expect(await r.next((f) => f.type === 'event')).toMatchObject({ feed: 'b', seq: 1 });
    r.send({ type: 'unsubscribe', feed: 'a' });
    expect(await r.subscribe('c')).toMatchObject({ type: 'subscribed', feed: 'c', seq: 1 });
  });

  it('limits writes per editor per minute: 429 with Retry-After; other editors and readers unaffected', async () => {
    const other = 'other-editor-token-0123456789abcdef';
    app = await startTestApp({ LIVELINE_EDITOR_WRITES_PER_MINUTE: '3', LIVELINE_EDITOR_TOKENS: `desk:${EDITOR_TOKEN},night:${other}` });
    const desk = api(app);
    const r = await reader();
    await desk.createFeed('busy'); // write 1
    await r.subscribe('busy');
    await desk.postEntry('busy', 'one'); // 2
    await desk.postEntry('busy', 'two'); // 3
    const refused = await desk.post('/v1/feeds/busy/entries', { headline: 'three' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await api(app, other).post('/v1/feeds/busy/entries', { headline: 'from the night desk' })).status).toBe(201);
    expect((await r.events('busy', 3)).map((f) => (f.data as { headline: string }).headline)).toEqual(['one', 'two', 'from the night desk']);
  });

  it('shares the editor write limit across nodes through Redis', async () => {
    const redis = await TestRedis.start();
    try {
      app = await startTestApp({ REDIS_URL: redis.url, LIVELINE_EDITOR_WRITES_PER_MINUTE: '3' });
      const second = await startTestApp({ REDIS_URL: redis.url, LIVELINE_EDITOR_WRITES_PER_MINUTE: '3' });
      try {
        await api(app).createFeed('shared'); // 1, node A
        await api(second).postEntry('shared', 'b'); // 2, node B
        await api(app).postEntry('shared', 'a'); // 3, node A
        expect((await api(second).post('/v1/feeds/shared/entries', { headline: 'over' })).status).toBe(429);
        expect((await api(app).post('/v1/feeds/shared/entries', { headline: 'over' })).status).toBe(429);
      } finally {
        await second.close();
      }
    } finally {
      await app.close();
      await redis.destroy();
    }
  });

  it('closes a WebSocket that subscribes to nothing (4002), never a subscribed one', async () => {
    app = await startTestApp({ LIVELINE_IDLE_HANDSHAKE_MS: '200' });
    await api(app).createFeed('idle');
    const idle = await reader();
    const busy = await reader();
    await busy.subscribe('idle');
    expect(await idle.waitClosed()).toBe(4002);
    await api(app).postEntry('idle', 'still here');
    expect(await busy.next((f) => f.type === 'event')).toMatchObject({ seq: 1 });
  });

  it('drops a connection that never finishes its request headers (slow loris)', async () => {
    app = await startTestApp({ LIVELINE_HEADERS_TIMEOUT_MS: '300' });
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = createConnection({ host: '127.0.0.1', port: app.port });
      let data = '';
      socket.on('data', (d) => {
        data += d.toString();
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(data));
      socket.write('GET /v1/feeds/x HTTP/1.1\r\nHost: x\r\nX-Slow: '); // and never finishes
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('readiness tells the truth (Redis)', () => {
  jest.setTimeout(30_000);
  let redis: TestRedis;
  let app: RunningApp;

  beforeEach(async () => {
    redis = await TestRedis.start();
    app = await startTestApp({ REDIS_URL: redis.url });
  });
  afterEach(async () => {
    await app.close();
    await redis.destroy();
  });

  it('goes 503 when Redis stops, and recovers by itself when it is back', async () => {
    await readyz(app, 200);
    await redis.stop();
    await readyz(app, 503);
    expect(await metric(app, 'liveline_ready')).toBe(0);
    await redis.start();
    await readyz(app, 200);
  });

  it('goes 503 when its Redis connections silently stop receiving, and repairs itself; readers miss nothing', async () => {
    const proxy = await BlackholeProxy.start(redis.port);
    const node = await startTestApp({ REDIS_URL: proxy.url });
    const r = await TestReader.connect(node.url);
    try {
      const http = api(node);
      await http.createFeed('deaf');
      await r.subscribe('deaf');
      await http.postEntry('deaf', 'before');
      await readyz(node, 200);
      proxy.deafen(); // nothing is closed: only an end-to-end probe can tell
      await readyz(node, 503);
      await api(app).postEntry('deaf', 'while deaf'); // through the other node, on the same Redis
      await readyz(node, 200); // reconnected through the proxy, resubscribed, resynced
      await http.postEntry('deaf', 'after');
      expect((await r.events('deaf', 3)).map((f) => (f.data as { headline: string }).headline)).toEqual(['before', 'while deaf', 'after']);
    } finally {
      await r.close();
      await node.close();
      await proxy.close();
    }
  });

  it('goes 503 when its subscriber connection is killed, and repairs itself; readers miss nothing', async () => {
    const http = api(app);
    await http.createFeed('probe');
    const r = await TestReader.connect(app.url);
    try {
      await r.subscribe('probe');
      await http.postEntry('probe', 'before');
      await readyz(app, 200);
      const admin = redis.client();
      try {
        const clients = String(await admin.call('CLIENT', 'LIST'));
        const id = /id=(\d+) .*name=liveline-subscriber/.exec(clients)?.[1];
        expect(id).toBeDefined();
        await admin.call('CLIENT', 'KILL', 'ID', id as string);
        await readyz(app, 503);
        await http.postEntry('probe', 'while broken');
      } finally {
        admin.disconnect();
      }
      await readyz(app, 200);
      await http.postEntry('probe', 'after');
      expect((await r.events('probe', 3)).map((f) => f.seq)).toEqual([1, 2, 3]);
      expect(await metric(app, 'liveline_redis_reconnects_total{connection="subscriber"}')).toBeGreaterThanOrEqual(1);
    } finally {
      await r.close();
    }
  });
});

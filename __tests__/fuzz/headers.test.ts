/**
 * Fuzzing the request headers the server parses: `Last-Event-ID` (SSE), `Idempotency-Key`,
 * `If-Match`, `If-None-Match`, `Authorization`, `Origin` (SSE, reader routes and the
 * WebSocket handshake) and `X-Request-Id`, each with arbitrary values on a request that is
 * otherwise valid. Every answer must be a defined one: below 500, a catalogued error for a
 * 4xx, and the request id echoed when it is a sane one.
 */
import fc from 'fast-check';
import type { RunningApp } from '../../server/app';
import { EDITOR_TOKEN, api, startTestApp } from '../helpers/test-app';
import { FUZZ_RUNS, RawClient, RejectionCounter, checkAnswer, documentedRoutes, fuzzSeed, recordingLogger, report, type DocumentedRoute, type RawRequest } from './support';

const FEED = 'fuzz-headers';
const ALLOWED_ORIGIN = 'https://news.example.com';
/** Requests sent at once per fast-check run: FUZZ_RUNS / BATCH runs. */
const BATCH = 10;
const HEADERS = ['Last-Event-ID', 'Idempotency-Key', 'If-Match', 'If-None-Match', 'Authorization', 'Origin', 'X-Request-Id'] as const;
type HeaderName = (typeof HEADERS)[number];

/** Any value a client library will put on the wire: tab, printable ASCII and Latin-1 (bytes 0x80-0xff). */
const headerChar = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.constant('\t') },
);
const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: headerChar, maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: headerChar, minLength: 200, maxLength: 4000 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '', ' ', '*', ' * ', '1', '"1"', 'W/"1"', '"2"', '0', '"0"', '-1', '"-1"', '999999999999999', '"9999999999999999"', '1e3', '"1", "2"', 'W/', '""', '"',
      `Bearer ${EDITOR_TOKEN}`, 'Bearer', 'Bearer ', `bearer ${EDITOR_TOKEN}`, `Bearer  ${EDITOR_TOKEN}`, `Bearer ${EDITOR_TOKEN}x`, 'Basic Zm9vOmJhcg==', 'Bearer \u00e9\u00e9',
      ALLOWED_ORIGIN, `${ALLOWED_ORIGIN}/`, 'https://evil.example.org', 'null', 'file://', 'http://localhost', ALLOWED_ORIGIN.toUpperCase(),
      'NaN', '3', '2:3', 'abc', 'req-1', 'a'.repeat(64), 'a'.repeat(65), '../../etc', 'x'.repeat(201),
    ),
  },
  { weight: 1, arbitrary: fc.nat({ max: 50 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }).map((n) => `"${n}"`) },
);

interface HeaderCase {
  readonly header: HeaderName;
  readonly value: string;
  readonly target: number;
  readonly flag: boolean;
}

const headerCase: fc.Arbitrary<HeaderCase> = fc.record({
  header: fc.constantFrom(...HEADERS),
  value: headerValue,
  target: fc.nat(),
  flag: fc.boolean(),
});

describe('fuzz: the request headers the server parses', () => {
  let app: RunningApp;
  let client: RawClient;
  const log = recordingLogger();
  const rejections = new RejectionCounter();
  let entryId = '';
  let scheduledId = '';

  beforeAll(async () => {
    rejections.install();
    app = await startTestApp({ LIVELINE_ALLOWED_ORIGINS: ALLOWED_ORIGIN }, { log });
    client = new RawClient(app.port);
    const http = api(app);
    await http.createFeed(FEED);
    for (let i = 0; i < 3; i++) entryId = (await http.postEntry(FEED, `entry ${i}`)).entry.id;
    const res = await http.post(`/v1/feeds/${FEED}/entries`, { headline: 'later', publishAt: new Date(Date.now() + 100 * 24 * 3600 * 1000).toISOString() });
    scheduledId = (res.body as { scheduled: { id: string } }).scheduled.id;
  });

  afterAll(async () => {
    client.close();
    await app.close();
    rejections.uninstall();
  });

  /** An otherwise valid request that makes the server read `c.header`. */
  function requestFor(c: HeaderCase, routes: readonly DocumentedRoute[]): RawRequest {
    const editor = { Authorization: `Bearer ${EDITOR_TOKEN}` };
    const json = (body: unknown): Pick<RawRequest, 'body' | 'headers'> => ({ body: JSON.stringify(body), headers: { ...editor, 'Content-Type': 'application/json' } });
    const base = ((): RawRequest => {
      switch (c.header) {
        case 'Last-Event-ID':
          return { method: 'GET', path: `/v1/feeds/${FEED}/stream${c.flag ? '?since=1' : ''}`, firstChunkOnly: true };
        case 'Idempotency-Key':
          return { method: 'POST', path: `/v1/feeds/${FEED}/entries`, ...json({ headline: c.flag ? 'same entry' : `entry ${c.target % 5}` }) };
        case 'If-Match':
          return [
            { method: 'PATCH', path: `/v1/feeds/${FEED}/entries/${entryId}`, ...json({ keyEvent: c.flag }) },
            { method: 'PATCH', path: `/v1/feeds/${FEED}`, ...json({ description: c.flag ? 'one' : 'two' }) },
            { method: 'PATCH', path: `/v1/feeds/${FEED}/scheduled/${scheduledId}`, ...json({ pinned: c.flag }) },
            { method: 'DELETE', path: `/v1/feeds/${FEED}/entries/no-such-entry`, headers: editor },
          ][c.target % 4] as RawRequest;
        case 'If-None-Match':
          return { method: 'GET', path: [`/v1/feeds/${FEED}`, '/v1/openapi.json', `/feeds/${FEED}`, `/feeds/${FEED}/embed`, '/editor'][c.target % 5] as string };
        case 'Authorization':
          return c.flag ? { method: 'GET', path: '/v1/feeds?limit=1' } : { method: 'POST', path: `/v1/feeds/${FEED}/entries`, body: '{"headline":"by whom?"}', headers: { 'Content-Type': 'application/json' } };
        case 'Origin':
          return [
            { method: 'GET', path: `/v1/feeds/${FEED}/stream`, firstChunkOnly: true },
            { method: 'GET', path: `/v1/feeds/${FEED}` },
            { method: 'GET', path: '/v1/ws', headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': Buffer.from('0123456789abcdef').toString('base64') } },
          ][c.target % 3] as RawRequest;
        case 'X-Request-Id': {
          const route = routes[c.target % routes.length] as DocumentedRoute;
          const path = route.path.replace('{feedId}', FEED).replace('{entryId}', entryId).replace('{file}', Object.values(route.pathEnums).flat()[0] ?? 'x');
          return { method: route.method, path, headers: editor, firstChunkOnly: route.path.endsWith('/stream'), ...(route.hasBody ? { body: '{}', headers: { ...editor, 'Content-Type': 'application/json' } } : {}) };
        }
      }
    })();
    return { ...base, headers: { ...base.headers, [c.header]: c.value } };
  }

  it(`answers ${FUZZ_RUNS} requests with arbitrary parsed headers with defined statuses`, async () => {
    expect(rejections.installed()).toBe(true);
    const documented = documentedRoutes();
    const routes = documented.filter((r) => r.path !== '/v1/ws');
    const matchers = documented.map((r) => ({ r, re: new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`) }));
    const seed = fuzzSeed(0x5eed03);
    const started = Date.now();
    let cases = 0;
    const statuses = new Map<HeaderName, Map<number, number>>();

    const send = async (c: HeaderCase): Promise<void> => {
      const req = requestFor(c, routes);
      const res = await client.request(req);
      cases += 1;
      const byStatus = statuses.get(c.header) ?? new Map<number, number>();
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      statuses.set(c.header, byStatus);
      const route = matchers.find((m) => m.r.method === req.method && m.re.test(req.path.split('?')[0] ?? ''))?.r;
      const verdict = checkAnswer(res, route);
      if (!verdict.ok) throw new Error(`${req.method} ${req.path} with ${c.header}: ${JSON.stringify(c.value)}: ${verdict.why}`);
      if (res.status === 101 && c.header === 'Origin' && c.value !== ALLOWED_ORIGIN) throw new Error(`a WebSocket from Origin ${JSON.stringify(c.value)} was let in`);
      const echoed = res.headers['x-request-id'];
      if (c.header === 'X-Request-Id' && res.status !== 101) {
        const sane = /^[A-Za-z0-9._-]{1,64}$/.test(c.value);
        if (sane ? echoed !== c.value : typeof echoed !== 'string' || echoed === c.value) throw new Error(`X-Request-Id ${JSON.stringify(c.value)} answered with ${JSON.stringify(echoed)}`);
      }
    };

    await fc.assert(
      fc.asyncProperty(fc.array(headerCase, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await Promise.all(batch.map(send));
      }),
      { seed, numRuns: FUZZ_RUNS / BATCH, endOnFailure: true },
    );

    expect((await client.request({ method: 'GET', path: '/healthz' })).status).toBe(200);
    report('http headers', {
      cases,
      seed: `${seed} (replay: FUZZ_SEED=${seed})`,
      statuses: JSON.stringify(Object.fromEntries([...statuses].map(([h, m]) => [h, Object.fromEntries([...m].sort((a, b) => a[0] - b[0]))]))),
      'unhandled rejections': rejections.reasons.length,
      'server error logs': log.errors.length,
      ms: Date.now() - started,
    });
    expect(cases).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(rejections.reasons).toEqual([]);
    expect(log.errors).toEqual([]);
  }, 180_000);
});

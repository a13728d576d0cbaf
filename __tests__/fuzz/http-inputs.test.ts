/**
 * Fuzzing every documented HTTP route (read from the OpenAPI document, so a new route is
 * covered without editing this file): arbitrary and mutated JSON bodies, arbitrary query
 * strings and path ids, with and without the editor token. Every answer must be below 500,
 * every 4xx a catalogued `{"error":{"code","message"}}`, and a refused write must leave the
 * fixed feed exactly as it was (its snapshot and its audit trail).
 */
import fc from 'fast-check';
import type { RunningApp } from '../../server/app';
import { openApiDocument } from '../../server/http/openapi';
import { EDITOR_TOKEN, api, startTestApp } from '../helpers/test-app';
import { FUZZ_RUNS, RawClient, RejectionCounter, checkAnswer, documentedRoutes, fuzzSeed, oddJson, oddString, pct, recordingLogger, report, type DocumentedRoute, type RawResponse } from './support';

const FIXED = 'fuzz-fixed';
const OTHER = 'fuzz-other';
const QUERY_NAMES = ['limit', 'before', 'since', 'epoch', 'cursor'];
/** Requests sent at once per fast-check run: FUZZ_RUNS / BATCH runs. */
const BATCH = 20;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of an operation's JSON body, from its schema in the document. */
function bodyFields(route: DocumentedRoute): string[] {
  const item: unknown = (openApiDocument.paths as Readonly<Record<string, unknown>>)[route.path];
  const op = isRecord(item) ? item[route.method.toLowerCase()] : undefined;
  const body = isRecord(op) ? op.requestBody : undefined;
  const content = isRecord(body) && isRecord(body.content) ? body.content['application/json'] : undefined;
  let schema: unknown = isRecord(content) ? content.schema : undefined;
  if (isRecord(schema) && typeof schema.$ref === 'string') schema = (openApiDocument.components.schemas as Readonly<Record<string, unknown>>)[schema.$ref.replace('#/components/schemas/', '')];
  return isRecord(schema) && isRecord(schema.properties) ? Object.keys(schema.properties) : [];
}

const soon = (): number => Date.now() + 200 * 24 * 3600 * 1000;
const isoDate = fc.oneof(
  fc.integer({ min: -365, max: 360 }).map((days) => new Date(Date.now() + days * 24 * 3600 * 1000).toISOString()),
  fc.integer({ min: 0, max: 360 }).map((days) => new Date(Date.now() + days * 24 * 3600 * 1000).toISOString().replace('Z', '+02:00')),
);
const text = (max: number): fc.Arbitrary<string> => fc.string({ minLength: 1, maxLength: max });
const names = fc.array(text(20), { maxLength: 4 });

/** Values a field accepts, by name; a field not listed here gets odd values only. */
const VALID: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  id: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/),
  title: text(80),
  description: fc.string({ maxLength: 80 }),
  status: fc.constantFrom('scheduled', 'live', 'ended'),
  summary: fc.oneof(fc.constant(null), text(60).map((t) => `<ul><li>${t}</li></ul>`)),
  startsAt: fc.oneof(fc.constant(null), isoDate),
  headline: fc.oneof(text(80), fc.constant(null)),
  body: fc.oneof(text(80).map((t) => `<p>${t}</p>`), fc.constant('<p></p>'), fc.constant('')),
  authors: names,
  tags: names,
  pinned: fc.boolean(),
  keyEvent: fc.boolean(),
  publishAt: isoDate,
  correction: text(100),
};

interface Choice {
  readonly kind: 'known' | 'scheduled' | 'raw' | 'malformed' | 'fixed' | 'other' | 'pattern';
  readonly index: number;
  readonly raw: string;
}

type Body =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown; readonly contentType: string | null }
  | { readonly kind: 'raw'; readonly text: string; readonly contentType: string | null };

interface HttpCase {
  readonly route: DocumentedRoute;
  readonly auth: string | null;
  readonly feed: Choice;
  readonly entry: Choice;
  readonly file: string;
  readonly query: string;
  readonly body: Body;
}

const MALFORMED = fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '..', '%2e%2e', 'a%2Fb', '%C0%AF');
const choice = (kinds: ReadonlyArray<[Choice['kind'], number]>): fc.Arbitrary<Choice> =>
  fc.record({
    kind: fc.oneof(...kinds.map(([kind, weight]) => ({ weight, arbitrary: fc.constant(kind) }))),
    index: fc.nat(),
    raw: fc.oneof({ weight: 4, arbitrary: oddString }, { weight: 1, arbitrary: MALFORMED }),
  });

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(null, 'text/plain', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'application/merge-patch+json', 'multipart/form-data; boundary=x') },
);

/** A query string: the documented parameters and a few others, odd values, repeats, odd syntax. */
function queryFor(route: DocumentedRoute): fc.Arbitrary<string> {
  const keys = [...new Set([...route.queryParams, ...QUERY_NAMES])];
  const value = fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 120 }).map(String) }, { weight: 4, arbitrary: oddString });
  const pair = fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...keys), value).map(([k, v]) => `${k}=${pct(v)}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...keys), fc.constantFrom('[]', '[a]', '[0]', '[__proto__]'), value).map(([k, b, v]) => `${k}${pct(b)}=${pct(v)}`) },
    { weight: 1, arbitrary: fc.tuple(oddString, oddString).map(([k, v]) => `${pct(k)}=${pct(v)}`) },
    { weight: 1, arbitrary: fc.constantFrom('', '=', '&', 'limit', 'since=', '%', 'limit=%zz', 'before=%E0%A4%A', '__proto__[x]=1') },
  );
  return fc.array(pair, { maxLength: 4 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.join('&')}`));
}

/** A body: the route's own fields with right or wrong values, some dropped, some added; or any JSON; or not JSON. */
function bodyFor(route: DocumentedRoute): fc.Arbitrary<Body> {
  const fields = bodyFields(route);
  const field = (name: string): fc.Arbitrary<unknown> => fc.oneof({ weight: 3, arbitrary: VALID[name] ?? oddJson }, { weight: 1, arbitrary: oddJson });
  const mutated = fc.tuple(
    fc.record(Object.fromEntries(fields.map((f) => [f, field(f)])), { requiredKeys: [] }),
    fc.oneof({ weight: 5, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), oddJson, { maxKeys: 2 }) }),
  ).map(([known, extra]) => ({ ...extra, ...known }));
  const json = (value: fc.Arbitrary<unknown>): fc.Arbitrary<Body> => fc.tuple(value, contentType).map(([v, ct]): Body => ({ kind: 'json', value: v, contentType: ct }));
  const raw = fc.tuple(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('{', '{"headline": "x"', 'null', '"x"', '[]', '{"a":1}{"b":2}', '\ufeff{}', '{"__proto__":{"x":1}}')), contentType)
    .map(([t, ct]): Body => ({ kind: 'raw', text: t, contentType: ct }));
  const none = fc.constant<Body>({ kind: 'none' });
  if (!route.hasBody) return fc.oneof({ weight: 8, arbitrary: none }, { weight: 1, arbitrary: json(fc.jsonValue({ maxDepth: 2 })) }, { weight: 1, arbitrary: raw });
  return fc.oneof(
    { weight: 6, arbitrary: json(fields.length > 0 ? mutated : fc.jsonValue()) },
    { weight: 3, arbitrary: json(fc.jsonValue({ maxDepth: 3 })) },
    { weight: 1, arbitrary: raw },
    { weight: 1, arbitrary: none },
  );
}

function caseFor(route: DocumentedRoute): fc.Arbitrary<HttpCase> {
  return fc.record({
    route: fc.constant(route),
    auth: fc.oneof(
      { weight: 7, arbitrary: fc.constant(`Bearer ${EDITOR_TOKEN}`) },
      { weight: 2, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('Bearer ', 'Bearer wrong-token-wrong-token-wrong-token', `bearer ${EDITOR_TOKEN}`, `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${EDITOR_TOKEN} x`) },
    ),
    feed: choice([['fixed', 8], ['other', 1], ['pattern', 1], ['raw', 2]]),
    entry: choice([['known', 5], ['scheduled', 2], ['raw', 2]]),
    file: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...Object.values(route.pathEnums).flat(), 'x') }, { weight: 1, arbitrary: oddString.map(pct) }),
    query: queryFor(route),
    body: bodyFor(route),
  });
}

describe('fuzz: HTTP bodies and query parameters on every documented route', () => {
  let app: RunningApp;
  let client: RawClient;
  const log = recordingLogger();
  const rejections = new RejectionCounter();
  const known: string[] = [];
  const scheduled: string[] = [];

  beforeAll(async () => {
    rejections.install();
    app = await startTestApp({}, { log });
    client = new RawClient(app.port);
    const http = api(app);
    await http.createFeed(FIXED);
    await http.createFeed(OTHER);
    for (let i = 0; i < 4; i++) known.push((await http.postEntry(FIXED, `fixed entry ${i}`, { pinned: i === 0 })).entry.id);
    for (let i = 0; i < 2; i++) {
      const res = await http.post(`/v1/feeds/${FIXED}/entries`, { headline: `later ${i}`, publishAt: new Date(soon()).toISOString() });
      scheduled.push((res.body as { scheduled: { id: string } }).scheduled.id);
    }
  });

  afterAll(async () => {
    client.close();
    await app.close();
    rejections.uninstall();
  });

  function pathOf(c: HttpCase): string {
    const pick = (ch: Choice, fixed: string): string => {
      switch (ch.kind) {
        case 'fixed': return fixed;
        case 'other': return OTHER;
        case 'known': return known.length === 0 ? 'none' : (known[ch.index % known.length] as string);
        case 'scheduled': return scheduled[ch.index % scheduled.length] as string;
        case 'malformed': return ch.raw;
        default: return pct(ch.raw);
      }
    };
    return c.route.path
      .replace('{feedId}', c.feed.kind === 'pattern' ? pct(c.feed.raw.toLowerCase().replace(/[^a-z0-9-]/g, '') || 'nothing-here') : pick(c.feed, FIXED))
      .replace('{entryId}', pick(c.entry, known[0] ?? 'none'))
      .replace('{file}', c.file) + c.query;
  }

  async function fixedState(): Promise<{ snapshot: string; audit: Array<{ json: string; requestId: unknown; action: unknown }>; entries: string[] }> {
    const [snap, audit] = await Promise.all([
      client.request({ method: 'GET', path: `/v1/feeds/${FIXED}?limit=100` }),
      client.request({ method: 'GET', path: `/v1/feeds/${FIXED}/audit?limit=100`, headers: { Authorization: `Bearer ${EDITOR_TOKEN}` } }),
    ]);
    if (snap.status !== 200 || audit.status !== 200) throw new Error(`reading the fixed feed: ${snap.status} ${audit.status}`);
    const records = (JSON.parse(audit.text) as { records: Array<Record<string, unknown>> }).records;
    const entries = (JSON.parse(snap.text) as { entries: Array<{ id: string }> }).entries.map((e) => e.id);
    return { snapshot: snap.text, audit: records.map((r) => ({ json: JSON.stringify(r), requestId: r.requestId, action: r.action })), entries };
  }

  it(`answers ${FUZZ_RUNS} arbitrary requests below 500, with catalogued errors, and refusals change nothing`, async () => {
    expect(rejections.installed()).toBe(true);
    const routes = documentedRoutes();
    expect(routes.length).toBeGreaterThan(20);
    const seed = fuzzSeed(0x5eed02);
    const started = Date.now();
    let state = await fixedState();
    const counts = { cases: 0, writes: 0, refusedWrites: 0, fullyCheckedRefusals: 0, stateChecks: 0 };
    const statuses = new Map<number, number>();
    const perRoute = new Map<string, number>();
    let n = 0;

    /** One request: the answer must pass checkAnswer; a write also returns what the state check needs. */
    const send = async (c: HttpCase): Promise<{ c: HttpCase; path: string; requestId: string; res: RawResponse }> => {
      n += 1;
      const requestId = `fz-${n}`;
      const headers: Record<string, string> = { 'X-Request-Id': requestId };
      if (c.auth !== null) headers.Authorization = c.auth;
      let body: string | undefined;
      if (c.body.kind !== 'none') {
        body = c.body.kind === 'json' ? JSON.stringify(c.body.value) ?? 'null' : c.body.text;
        if (c.body.contentType !== null) headers['Content-Type'] = c.body.contentType;
      }
      const path = pathOf(c);
      const res = await client.request({ method: c.route.method, path, headers, ...(body !== undefined ? { body } : {}), firstChunkOnly: c.route.path.endsWith('/stream') });
      counts.cases += 1;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      perRoute.set(`${c.route.method} ${c.route.path}`, (perRoute.get(`${c.route.method} ${c.route.path}`) ?? 0) + 1);
      const verdict = checkAnswer(res, c.route);
      if (!verdict.ok) throw new Error(`${c.route.method} ${path}: ${verdict.why}`);
      return { c, path, requestId, res };
    };

    // Each run is a batch of requests sent at once (the server sees them concurrently, the
    // run stays fast); the batch's writes are then checked against the fixed feed together.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(...routes.map(caseFor)), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const done = await Promise.all(batch.map(send));
        const writes = done.filter((d) => d.c.route.method !== 'GET');
        if (writes.length === 0) return;
        counts.writes += writes.length;
        counts.stateChecks += 1;
        const after = await fixedState();
        const seen = new Set(state.audit.map((r) => r.json));
        const added = after.audit.filter((r) => !seen.has(r.json) && r.action !== 'scheduled.published');
        const accepted = new Set(writes.filter((w) => w.res.status < 300).map((w) => w.requestId));
        const refused = writes.filter((w) => w.res.status >= 300);
        counts.refusedWrites += refused.length;
        // Refused requests record nothing: every new record is an accepted request's.
        const foreign = added.filter((r) => typeof r.requestId !== 'string' || !accepted.has(r.requestId));
        if (foreign.length > 0) {
          const culprits = refused.filter((w) => foreign.some((r) => r.requestId === w.requestId)).map((w) => `${w.c.route.method} ${w.path} (${w.res.status})`);
          throw new Error(`records of requests that were not accepted: ${JSON.stringify(foreign)}; refused: ${JSON.stringify(culprits)}`);
        }
        // When nothing was accepted, the feed is byte for byte what it was.
        const published = after.audit.some((r) => !seen.has(r.json) && r.action === 'scheduled.published');
        if (accepted.size === 0 && !published) {
          counts.fullyCheckedRefusals += refused.length;
          if (after.snapshot !== state.snapshot) throw new Error(`the fixed feed changed though every write was refused: ${refused.map((w) => `${w.c.route.method} ${w.path} (${w.res.status})`).join(', ')}`);
        }
        state = after;
        known.splice(0, known.length, ...after.entries);
        for (const w of writes) {
          if (w.res.status !== 202) continue;
          const id: unknown = (JSON.parse(w.res.text) as { scheduled?: { id?: unknown } }).scheduled?.id;
          if (typeof id === 'string') scheduled.push(id);
        }
      }),
      { seed, numRuns: FUZZ_RUNS / BATCH, endOnFailure: true },
    );

    expect((await client.request({ method: 'GET', path: '/healthz' })).status).toBe(200);
    report('http bodies and queries', {
      cases: counts.cases,
      seed: `${seed} (replay: FUZZ_SEED=${seed})`,
      routes: `${perRoute.size} of ${routes.length} documented`,
      statuses: JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]))),
      writes: counts.writes,
      'refused writes': `${counts.refusedWrites} (none recorded in the audit; ${counts.fullyCheckedRefusals} in batches with no accepted write, snapshot unchanged)`,
      'state checks': counts.stateChecks,
      'unhandled rejections': rejections.reasons.length,
      'server error logs': log.errors.length,
      ms: Date.now() - started,
    });
    expect(counts.cases).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(perRoute.size).toBe(routes.length);
    expect(rejections.reasons).toEqual([]);
    expect(log.errors).toEqual([]);
  }, 180_000);
});

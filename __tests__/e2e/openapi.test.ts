import http from 'node:http';
import Ajv2020 from 'ajv/dist/2020';
import type { RunningApp } from '../../server/app';
import { WS_PATH } from '../../server/gateway/ws-gateway';
import { documentedRoutes, listRoutes, OPENAPI_PATH, openApiDocument } from '../../server/http/openapi';
import { TestReader } from '../helpers/reader';
import { EDITOR_TOKEN, readyz, startTestApp } from '../helpers/test-app';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const doc = JSON.parse(JSON.stringify(openApiDocument)) as JsonObject;
const DOC_ID = 'urn:liveline:openapi';
const escape = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Ajv holding the whole document, so its `#/components/...` refs resolve as in OpenAPI. */
const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
ajv.addFormat('date-time', (s: string) => RFC3339.test(s) && Number.isFinite(Date.parse(s)));
ajv.addVocabulary(Object.keys(doc));
ajv.addSchema({ ...doc, $id: DOC_ID });

function schemaErrors(schemaPointer: string, value: unknown): string[] {
  const validate = ajv.getSchema(`${DOC_ID}${schemaPointer}`);
  if (validate === undefined) return [`no schema at ${schemaPointer}`];
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

let app: RunningApp;
/** The composed express app behind the public listener, as startApp built it. */
let expressApp: unknown;

beforeAll(async () => {
  // startApp hands its express app to http.createServer: catch it there, so the routes
  // compared below are the ones really mounted, by whatever module mounts them.
  const createServer = jest.spyOn(http, 'createServer');
  try {
    app = await startTestApp({ LIVELINE_MAX_PINNED_PER_FEED: '1' }, { demo: true });
    const handlers = (createServer.mock.calls as unknown[][]).flat().filter((a) => typeof a === 'function' && 'router' in a);
    expect(handlers).toHaveLength(1); // the public listener; the metrics listener has no express app
    expressApp = handlers[0];
  } finally {
    createServer.mockRestore();
  }
  await readyz(app, 200);
});

afterAll(async () => {
  await app?.close();
});

describe('the OpenAPI document and the running app', () => {
  test('every route the app serves is documented, and every documented route is served', () => {
    // The WebSocket endpoint is answered on the HTTP server's `upgrade` event, not by express.
    const served = [...listRoutes(expressApp), `GET ${WS_PATH}`];
    const documented = documentedRoutes(openApiDocument);
    expect(served.length).toBeGreaterThan(15);
    expect({
      undocumented: served.filter((r) => !documented.includes(r)).sort(),
      unserved: documented.filter((r) => !served.includes(r)).sort(),
    }).toEqual({ undocumented: [], unserved: [] });
  });

  test(`GET ${OPENAPI_PATH} serves the document as JSON, cacheable and readable cross-origin`, async () => {
    const res = await fetch(`${app.url}${OPENAPI_PATH}`, { headers: { Origin: 'https://news.example.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual(doc);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${app.url}${OPENAPI_PATH}`, { headers: { 'If-None-Match': etag as string } });
    expect(again.status).toBe(304);
  });
});

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

interface CallOptions {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** null: no Authorization header. Default: the test editor's token. */
  readonly token?: string | null;
}

/**
 * Calls `method template` on the running app and checks the answer against the document:
 * the status must be one the operation documents, with a body of a documented media type
 * that (for JSON) validates against the documented schema.
 */
async function call(method: string, template: string, expected: number, options: CallOptions = {}): Promise<Answer> {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.params?.[name] ?? ''));
  const { body, token = EDITOR_TOKEN } = options;
  const res = await fetch(`${app.url}${path}${options.query ?? ''}`, {
    method,
    headers: {
      ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const route = `${method} ${template}${options.query ?? ''}`;
  expect({ route, status: res.status, text: res.status === expected ? '' : text }).toEqual({ route, status: expected, text: '' });
  const operation = ((doc.paths as JsonObject)[template] as JsonObject | undefined)?.[method.toLowerCase()] as JsonObject | undefined;
  const response = (operation?.responses as JsonObject | undefined)?.[String(res.status)] as JsonObject | undefined;
  expect({ route, documented: response !== undefined }).toEqual({ route, documented: true });
  const type = res.headers.get('content-type')?.split(';')[0] ?? null;
  const content = response?.content as JsonObject | undefined;
  expect({ route, type: content === undefined ? null : type }).toEqual({ route, type: content === undefined ? null : Object.keys(content).find((t) => t === type) ?? 'one of its documented types' });
  let parsed: unknown = text;
  if (type === 'application/json') {
    parsed = JSON.parse(text) as unknown;
    const pointer = `#/paths/${escape(template)}/${method.toLowerCase()}/responses/${res.status}/content/application~1json/schema`;
    expect({ route, errors: schemaErrors(pointer, parsed) }).toEqual({ route, errors: [] });
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Reads an SSE stream until `until` appears, then hangs up; returns the JSON of every `data:` line. */
async function sseFrames(path: string, until: string): Promise<{ status: number; type: string | null; frames: unknown[] }> {
  const abort = new AbortController();
  const res = await fetch(`${app.url}${path}`, { signal: abort.signal });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!text.includes(until)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  abort.abort();
  const frames = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as unknown);
  return { status: res.status, type: res.headers.get('content-type'), frames };
}

describe('the answers the app really gives are the documented ones', () => {
  const feed = 'openapi-tour';
  const feedParams = { feedId: feed };
  let entryId = '';
  let scheduledId = '';
  let snapshotEtag = '';

  test('probes, SDK files and the demo page', async () => {
    await call('GET', '/healthz', 200);
    await call('GET', '/readyz', 200);
    await call('GET', '/sdk/{file}', 200, { params: { file: 'liveline.js' } });
    await call('GET', '/sdk/{file}', 404, { params: { file: 'nope.js' } });
    await call('GET', '/', 200);
  });

  test('editors: feeds', async () => {
    await call('POST', '/v1/feeds', 201, { body: { id: feed, title: 'Live updates: OpenAPI tour', status: 'scheduled', startsAt: '2026-11-03T19:00:00+01:00' } });
    await call('POST', '/v1/feeds', 409, { body: { id: feed, title: 'again' } });
    await call('POST', '/v1/feeds', 401, { body: { title: 'no token' }, token: null });
    await call('POST', '/v1/feeds', 401, { body: { title: 'wrong token' }, token: 'x'.repeat(40) });
    await call('POST', '/v1/feeds', 400, { body: '{"title":' });
    await call('POST', '/v1/feeds', 400, { body: { title: 'x', colour: 'red' } });
    await call('POST', '/v1/feeds', 415, { body: 'title=x', headers: { 'Content-Type': 'text/plain' } });
    await call('GET', '/v1/feeds', 200, { query: '?limit=1' });
    await call('GET', '/v1/feeds', 400, { query: '?limit=0' });
    await call('GET', '/v1/feeds', 400, { query: '?cursor=%00nonsense' });
    await call('PATCH', '/v1/feeds/{feedId}', 200, { params: feedParams, body: { status: 'live', summary: '<ul><li>One</li></ul>' } });
    await call('PATCH', '/v1/feeds/{feedId}', 412, { params: feedParams, body: { title: 'stale' }, headers: { 'If-Match': '"1"' } });
    await call('PATCH', '/v1/feeds/{feedId}', 400, { params: feedParams, body: { title: 'bad' }, headers: { 'If-Match': 'yesterday' } });
    await call('PATCH', '/v1/feeds/{feedId}', 404, { params: { feedId: 'no-such-feed' }, body: { title: 'x' } });
  });

  test('editors: entries', async () => {
    const posted = await call('POST', '/v1/feeds/{feedId}/entries', 201, {
      params: feedParams,
      body: { headline: 'Polls close', body: '<p>First results within the hour.</p>', authors: ['Ada'], pinned: true },
      headers: { 'Idempotency-Key': 'tour-1' },
    });
    entryId = (posted.body as { entry: { id: string } }).entry.id;
    const replay = await call('POST', '/v1/feeds/{feedId}/entries', 201, {
      params: feedParams,
      body: { headline: 'Polls close', body: '<p>First results within the hour.</p>', authors: ['Ada'], pinned: true },
      headers: { 'Idempotency-Key': 'tour-1' },
    });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await call('POST', '/v1/feeds/{feedId}/entries', 422, { params: feedParams, body: { headline: 'Other' }, headers: { 'Idempotency-Key': 'tour-1' } });
    await call('POST', '/v1/feeds/{feedId}/entries', 409, { params: feedParams, body: { headline: 'Second pin', pinned: true } });
    await call('POST', '/v1/feeds/{feedId}/entries', 400, { params: feedParams, body: { body: '<p></p>' } });
    await call('POST', '/v1/feeds/{feedId}/entries', 404, { params: { feedId: 'no-such-feed' }, body: { headline: 'x' } });
    await call('PATCH', '/v1/feeds/{feedId}/entries/{entryId}', 200, {
      params: { ...feedParams, entryId },
      body: { body: '<p>Results within two hours.</p>', correction: 'The timing was wrong.' },
    });
    await call('PATCH', '/v1/feeds/{feedId}/entries/{entryId}', 412, { params: { ...feedParams, entryId }, body: { headline: 'stale' }, headers: { 'If-Match': '"1"' } });
    await call('PATCH', '/v1/feeds/{feedId}/entries/{entryId}', 404, { params: { ...feedParams, entryId: 'nope' }, body: { headline: 'x' } });
    await call('GET', '/v1/feeds/{feedId}/entries/{entryId}/revisions', 200, { params: { ...feedParams, entryId } });
  });

  test('editors: scheduled entries and the audit log', async () => {
    const publishAt = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await call('POST', '/v1/feeds/{feedId}/entries', 202, { params: feedParams, body: { headline: 'Exit poll', publishAt } });
    scheduledId = (scheduled.body as { scheduled: { id: string } }).scheduled.id;
    const tooFar = new Date(Date.now() + 400 * 86_400_000).toISOString();
    await call('POST', '/v1/feeds/{feedId}/entries', 400, { params: feedParams, body: { headline: 'Next year', publishAt: tooFar } });
    await call('GET', '/v1/feeds/{feedId}/scheduled', 200, { params: feedParams });
    const ids = { ...feedParams, entryId: scheduledId };
    await call('PATCH', '/v1/feeds/{feedId}/scheduled/{entryId}', 200, { params: ids, body: { headline: 'Exit poll: first figures' } });
    await call('PATCH', '/v1/feeds/{feedId}/scheduled/{entryId}', 412, { params: ids, body: { headline: 'stale' }, headers: { 'If-Match': '"1"' } });
    await call('DELETE', '/v1/feeds/{feedId}/scheduled/{entryId}', 200, { params: ids });
    await call('DELETE', '/v1/feeds/{feedId}/scheduled/{entryId}', 404, { params: ids });
    await call('GET', '/v1/feeds/{feedId}/audit', 200, { params: feedParams, query: '?limit=100' });
    await call('GET', '/v1/feeds/{feedId}/audit', 400, { params: feedParams, query: '?limit=101' });
  });

  test('readers', async () => {
    const snapshot = await call('GET', '/v1/feeds/{feedId}', 200, { params: feedParams, token: null });
    snapshotEtag = snapshot.headers.get('etag') ?? '';
    await call('GET', '/v1/feeds/{feedId}', 304, { params: feedParams, token: null, headers: { 'If-None-Match': snapshotEtag } });
    await call('GET', '/v1/feeds/{feedId}', 404, { params: { feedId: 'no-such-feed' }, token: null });
    await call('GET', '/v1/feeds/{feedId}', 400, { params: feedParams, query: '?limit=1000', token: null });
    await call('GET', '/v1/feeds/{feedId}/entries', 200, { params: feedParams, query: '?limit=1', token: null });
    await call('GET', '/v1/feeds/{feedId}/entries', 400, { params: feedParams, query: '?before=nonsense', token: null });
    await call('GET', '/v1/feeds/{feedId}/events', 200, { params: feedParams, query: '?since=0', token: null });
    await call('GET', '/v1/feeds/{feedId}/events', 410, { params: feedParams, query: '?since=0&epoch=another-history', token: null });
    await call('GET', '/v1/feeds/{feedId}/events', 400, { params: feedParams, query: '?since=yesterday', token: null });
  });

  test('realtime: the SSE stream and the WebSocket carry documented frames', async () => {
    const stream = await sseFrames(`/v1/feeds/${feed}/stream?since=0`, '"type":"event"');
    expect(stream.status).toBe(200);
    expect(stream.type).toMatch(/^text\/event-stream/);
    expect(stream.frames.length).toBeGreaterThan(1);
    for (const frame of stream.frames) expect(schemaErrors('#/components/schemas/ServerFrame', frame)).toEqual([]);
    await call('GET', '/v1/feeds/{feedId}/stream', 404, { params: { feedId: 'no-such-feed' }, token: null });
    await call('GET', '/v1/feeds/{feedId}/stream', 400, { params: feedParams, query: '?since=yesterday', token: null });

    const reader = await TestReader.connect(app.url); // 101 Switching Protocols
    try {
      const subscribed = await reader.subscribe(feed, { since: 0 });
      const event = await reader.next((f) => f.type === 'event');
      for (const frame of [subscribed, event]) expect(schemaErrors('#/components/schemas/ServerFrame', frame)).toEqual([]);
      reader.send({ type: 'subscribe', feed: 'no-such-feed' });
      expect(schemaErrors('#/components/schemas/ServerFrame', await reader.next((f) => f.type === 'error'))).toEqual([]);
    } finally {
      reader.ws.close();
    }
    await call('GET', WS_PATH, 404, { token: null }); // without the upgrade
  });

  test('editors: deleting', async () => {
    await call('DELETE', '/v1/feeds/{feedId}/entries/{entryId}', 412, { params: { ...feedParams, entryId }, headers: { 'If-Match': '"1"' } });
    await call('DELETE', '/v1/feeds/{feedId}/entries/{entryId}', 200, { params: { ...feedParams, entryId } });
    await call('DELETE', '/v1/feeds/{feedId}/entries/{entryId}', 404, { params: { ...feedParams, entryId } });
    await call('GET', '/v1/feeds/{feedId}/entries/{entryId}/revisions', 404, { params: { ...feedParams, entryId } });
  });
});

import type { RunningApp } from '../../server/app';
import type { AuditRecord, FeedSummary } from '../../server/domain/types';
import { api, startTestApp } from '../helpers/test-app';

const ANA = 'ana-token-0123456789abcdef0123456789';
const BEN = 'ben-token-0123456789abcdef0123456789';

describe('the audit log and the feeds index, for editors', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp({ LIVELINE_EDITOR_TOKENS: `ana:${ANA},ben:${BEN}` });
  });
  afterAll(() => app.close());

  it('lists every change of a scripted session in order, with editor names and request ids, and never a token', async () => {
    const ana = api(app, ANA);
    const ben = api(app, BEN);
    const as = (requestId: string) => ({ 'X-Request-Id': requestId });
    expect((await ana.post('/v1/feeds', { id: 'election', title: 'Election night' }, as('s1'))).status).toBe(201);
    const { entry } = (await ana.post('/v1/feeds/election/entries', { headline: 'Polls open' }, as('s2'))).body as { entry: { id: string } };
    expect((await ben.call('PATCH', `/v1/feeds/election/entries/${entry.id}`, { headline: 'Polls opened at 7', correction: 'Time added.' }, as('s3'))).status).toBe(200);
    expect((await ana.call('PATCH', `/v1/feeds/election/entries/${entry.id}`, { pinned: true }, as('s4'))).status).toBe(200);
    const { scheduled } = (await ben.post('/v1/feeds/election/entries', { headline: 'Later', publishAt: new Date(Date.now() + 3_600_000).toISOString() }, as('s5'))).body as { scheduled: { id: string } };
    expect((await ben.call('PATCH', `/v1/feeds/election/scheduled/${scheduled.id}`, { headline: 'Later still' }, as('s6'))).status).toBe(200);
    expect((await ana.call('DELETE', `/v1/feeds/election/scheduled/${scheduled.id}`, undefined, as('s7'))).status).toBe(200);
    expect((await ben.call('PATCH', '/v1/feeds/election', { status: 'ended' }, as('s8'))).status).toBe(200);
    expect((await ana.call('DELETE', `/v1/feeds/election/entries/${entry.id}`, undefined, as('s9'))).status).toBe(200);
    // Refused changes change nothing, so they are not in the log.
    expect((await ana.call('PATCH', '/v1/feeds/election', { status: 'paused' }, as('s10'))).status).toBe(400);

    const first = await ana.get('/v1/feeds/election/audit?limit=5');
    expect(first.headers.get('cache-control')).toBe('no-store');
    const page1 = first.body as { records: AuditRecord[]; nextBefore: string };
    const page2 = (await ana.get(`/v1/feeds/election/audit?limit=5&before=${page1.nextBefore}`)).body as { records: AuditRecord[]; nextBefore: string | null };
    expect(page2.nextBefore).toBeNull();
    const log = [...page1.records, ...page2.records].reverse();
    expect(log.map((r) => [r.requestId, r.actor, r.action, r.entryId, r.revisionBefore, r.revisionAfter])).toEqual([
      ['s1', 'ana', 'feed.created', null, null, 1],
      ['s2', 'ana', 'entry.created', entry.id, null, 1],
      ['s3', 'ben', 'entry.updated', entry.id, 1, 2],
      ['s4', 'ana', 'entry.updated', entry.id, 2, 2],
      ['s5', 'ben', 'entry.scheduled', scheduled.id, null, 1],
      ['s6', 'ben', 'scheduled.updated', scheduled.id, 1, 2],
      ['s7', 'ana', 'scheduled.cancelled', scheduled.id, 2, null],
      ['s8', 'ben', 'feed.updated', null, 1, 2],
      ['s9', 'ana', 'entry.deleted', entry.id, 2, null],
    ]);
    expect(log.map((r) => r.seq)).toEqual([null, 1, 2, 3, null, null, null, 4, 5]);
    const times = log.map((r) => Date.parse(r.at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
    const everything = JSON.stringify([first.body, page2]);
    expect(everything).not.toContain(ANA);
    expect(everything).not.toContain(BEN);

    expect((await api(app, null).get('/v1/feeds/election/audit')).status).toBe(401);
    expect((await ana.get('/v1/feeds/election/audit?limit=0')).body).toMatchObject({ error: { code: 'validation_failed', field: 'limit' } });
    expect((await ana.get('/v1/feeds/election/audit?before=soon')).body).toMatchObject({ error: { code: 'invalid_cursor' } });
    expect((await ana.get('/v1/feeds/nowhere/audit')).status).toBe(404);
  });

  it('lists feeds for editors, most recently changed first, with status and entry counts, in pages', async () => {
    const ana = api(app, ANA);
    for (const id of ['index-a', 'index-b', 'index-c']) await ana.createFeed(id, { status: 'scheduled', startsAt: '2026-12-24T18:00:00+01:00' });
    await ana.postEntry('index-a', 'Now the newest change');
    const first = await ana.get('/v1/feeds?limit=2');
    expect(first.headers.get('cache-control')).toBe('no-store');
    const page1 = first.body as { feeds: FeedSummary[]; nextCursor: string };
    expect(page1.feeds.map((f) => [f.id, f.status, f.entryCount])).toEqual([['index-a', 'scheduled', 1], ['index-c', 'scheduled', 0]]);
    const page2 = (await ana.get(`/v1/feeds?limit=2&cursor=${page1.nextCursor}`)).body as { feeds: FeedSummary[] };
    expect(page2.feeds.map((f) => f.id)).toEqual(['index-b', 'election']);
    expect((await ana.get('/v1/feeds/index-a')).body).toMatchObject({ feed: { status: 'scheduled', startsAt: '2026-12-24T17:00:00.000Z', coverageStartedAt: null } });
    expect((await api(app, null).get('/v1/feeds')).status).toBe(401);
    expect((await ana.get('/v1/feeds?cursor=-1')).body).toMatchObject({ error: { code: 'invalid_cursor' } });
  });
});

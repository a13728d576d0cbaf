import type { RunningApp } from '../../server/app';
import { api, startTestApp } from '../helpers/test-app';

describe('editing over HTTP: revisions, corrections, If-Match', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('sends each version as an ETag; a second editor on a stale revision gets 412 with the current entry, and nothing is overwritten', async () => {
    const http = api(app);
    await http.createFeed('desk');
    const created = await http.post('/v1/feeds/desk/entries', { headline: 'Turnout 61%', body: '<p>Early figures.</p>' });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    const { entry } = created.body as { entry: { id: string; revision: number } };
    expect(entry.revision).toBe(1);

    // Both editors opened revision 1; the first saves with a correction note.
    const first = await http.call('PATCH', `/v1/feeds/desk/entries/${entry.id}`, { headline: 'Turnout 63%', correction: 'An earlier version misstated the turnout.' }, { 'If-Match': '"1"' });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    expect(first.body).toMatchObject({ entry: { revision: 2, headline: 'Turnout 63%', corrections: [{ revision: 2, note: 'An earlier version misstated the turnout.' }] } });

    const second = await http.call('PATCH', `/v1/feeds/desk/entries/${entry.id}`, { headline: 'Turnout 60%' }, { 'If-Match': '"1"' });
    expect(second.status).toBe(412);
    expect(second.body).toMatchObject({ error: { code: 'revision_conflict', entry: { id: entry.id, revision: 2, headline: 'Turnout 63%' } } });
    const del = await http.call('DELETE', `/v1/feeds/desk/entries/${entry.id}`, undefined, { 'If-Match': '"1"' });
    expect(del.status).toBe(412);

    const snapshot = await http.get('/v1/feeds/desk');
    expect((snapshot.body as { entries: unknown[] }).entries).toEqual([expect.objectContaining({ headline: 'Turnout 63%', revision: 2 })]);

    // Merged from the current revision, it goes through; without If-Match the last write wins, as before.
    expect((await http.call('PATCH', `/v1/feeds/desk/entries/${entry.id}`, { headline: 'Turnout 62%' }, { 'If-Match': 'W/"2"' })).status).toBe(200);
    expect((await http.patch(`/v1/feeds/desk/entries/${entry.id}`, { body: '<p>Final.</p>' })).body).toMatchObject({ entry: { revision: 4 } });
    expect((await http.call('DELETE', `/v1/feeds/desk/entries/${entry.id}`, undefined, { 'If-Match': '"4"' })).status).toBe(200);
  });

  it('lists every version of an entry for editors (who, when, what it said); readers can\'t', async () => {
    const http = api(app);
    await http.createFeed('history');
    const { entry } = (await http.post('/v1/feeds/history/entries', { headline: 'Polls close', body: '<p>At 22:00.</p>' })).body as { entry: { id: string } };
    await http.call('PATCH', `/v1/feeds/history/entries/${entry.id}`, { body: '<p>At 21:00.</p>', correction: 'Polls close at 21:00, not 22:00.' }, { 'If-Match': '"1"' });
    const res = await http.get(`/v1/feeds/history/entries/${entry.id}/revisions`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      revisions: [
        expect.objectContaining({ revision: 1, actor: 'desk', headline: 'Polls close', body: '<p>At 22:00.</p>', correction: null, at: expect.any(String) }),
        expect.objectContaining({ revision: 2, actor: 'desk', body: '<p>At 21:00.</p>', correction: 'Polls close at 21:00, not 22:00.' }),
      ],
    });
    expect(JSON.stringify(res.body)).not.toContain('test-editor-token'); // the editor's name, never the token
    expect((await api(app, null).get(`/v1/feeds/history/entries/${entry.id}/revisions`)).status).toBe(401);
    expect((await http.get('/v1/feeds/history/entries/nope/revisions')).status).toBe(404);
  });

  it('guards feed edits the same way', async () => {
    const http = api(app);
    const created = await http.post('/v1/feeds', { id: 'night', title: 'Election night' });
    expect(created.headers.get('etag')).toBe('"1"');
    const ok = await http.call('PATCH', '/v1/feeds/night', { title: 'Election night: results' }, { 'If-Match': '"1"' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('"2"');
    const stale = await http.call('PATCH', '/v1/feeds/night', { status: 'ended' }, { 'If-Match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ error: { code: 'revision_conflict', feed: { revision: 2, status: 'live' } } });
  });

  it('refuses a malformed If-Match and a correction without a change of content', async () => {
    const http = api(app);
    await http.createFeed('strict');
    const { entry } = (await http.post('/v1/feeds/strict/entries', { headline: 'x' })).body as { entry: { id: string } };
    const bad = await http.call('PATCH', `/v1/feeds/strict/entries/${entry.id}`, { headline: 'y' }, { 'If-Match': 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'bad_request', field: 'If-Match' } });
    const lonely = await http.patch(`/v1/feeds/strict/entries/${entry.id}`, { correction: 'Nothing changed.' });
    expect(lonely.status).toBe(400);
    expect(lonely.body).toMatchObject({ error: { code: 'validation_failed', field: 'correction' } });
    expect(((await http.get('/v1/feeds/strict')).body as { seq: number }).seq).toBe(1);
  });
});

import type { RunningApp } from '../../server/app';
import type { FetchLike } from '../../client-sdk/src';
import { SdkReader } from '../helpers/sdk-reader';
import { api, startTestApp } from '../helpers/test-app';

describe('reader reads a CDN may cache', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('snapshots and entry pages carry Cache-Control and an ETag; 304 until the feed changes, then a new tag', async () => {
    const http = api(app);
    await http.createFeed('cdn');
    for (let i = 0; i < 3; i++) await http.postEntry('cdn', `Entry ${i}`);
    const snapshot = await http.get('/v1/feeds/cdn?limit=2');
    const page = await http.get(`/v1/feeds/cdn/entries?limit=1&before=${(snapshot.body as { nextBefore: string }).nextBefore}`);
    const cacheControl = 'public, max-age=5, stale-while-revalidate=30';
    const tags: string[] = [];
    for (const [path, res] of [['/v1/feeds/cdn?limit=2', snapshot], [`/v1/feeds/cdn/entries?limit=1&before=${(snapshot.body as { nextBefore: string }).nextBefore}`, page]] as const) {
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe(cacheControl);
      const etag = res.headers.get('etag') as string;
      expect(etag).toMatch(/^"[^"]+"$/);
      tags.push(etag);
      const revalidated = await http.get(path, { 'If-None-Match': etag });
      expect([revalidated.status, revalidated.body, revalidated.headers.get('etag')]).toEqual([304, null, etag]);
    }
    expect(new Set(tags).size).toBe(2); // a page and a snapshot are different representations

    // Any change to the feed (here an edit of an entry on the older page) changes both tags.
    const entries = (await http.get('/v1/feeds/cdn/entries?limit=10')).body as { entries: Array<{ id: string }> };
    await http.patch(`/v1/feeds/cdn/entries/${entries.entries[2]?.id}`, { headline: 'Entry 0, corrected' });
    const after = await http.get('/v1/feeds/cdn?limit=2', { 'If-None-Match': tags[0] as string });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(tags[0]);
    const pageAfter = await http.get(`/v1/feeds/cdn/entries?limit=1&before=${(snapshot.body as { nextBefore: string }).nextBefore}`, { 'If-None-Match': tags[1] as string });
    expect(pageAfter.status).toBe(200);
    expect(pageAfter.body).toMatchObject({ entries: [{ headline: 'Entry 0, corrected' }] });

    // The SDK's fetch after a reset goes past every cache, and asks none to keep it.
    const fresh = await http.get('/v1/feeds/cdn?fresh=abc');
    expect(fresh.headers.get('cache-control')).toBe('no-store');
  });

  it('takes max-age and stale-while-revalidate from the config; 0 means revalidate every time', async () => {
    const tuned = await startTestApp({ LIVELINE_CACHE_MAX_AGE_S: '2', LIVELINE_CACHE_STALE_WHILE_REVALIDATE_S: '60' });
    const uncached = await startTestApp({ LIVELINE_CACHE_MAX_AGE_S: '0' });
    try {
      await api(tuned).createFeed('tuned');
      await api(uncached).createFeed('tuned');
      expect((await api(tuned).get('/v1/feeds/tuned')).headers.get('cache-control')).toBe('public, max-age=2, stale-while-revalidate=60');
      expect((await api(uncached).get('/v1/feeds/tuned')).headers.get('cache-control')).toBe('no-cache');
    } finally {
      await Promise.all([tuned.close(), uncached.close()]);
    }
  });
});

describe('a cache that keeps snapshots too long never traps a reader in a reset loop', () => {
  it('after the feed\'s history is replaced (new epoch), the SDK reloads past the cache and goes live', async () => {
    let app = await startTestApp();
    const port = app.port;
    await api(app).createFeed('epochs');
    await api(app).postEntry('epochs', 'Before the restart');

    // The worst CDN: keeps every GET forever, whatever Cache-Control says.
    const kept = new Map<string, { status: number; body: unknown }>();
    const urls: string[] = [];
    const cachingFetch: FetchLike = async (url, init) => {
      urls.push(url);
      let hit = kept.get(url);
      if (hit === undefined) {
        const res = await fetch(url, init);
        hit = { status: res.status, body: res.ok ? await res.json() : null };
        kept.set(url, hit);
      }
      const { status, body } = hit;
      return { ok: status >= 200 && status < 300, status, url, json: async () => body };
    };
    const reader = new SdkReader(app.url, 'epochs', { fetch: cachingFetch });
    try {
      await reader.live();
      const firstEpoch = reader.sub.epoch;

      // The embedded store loses everything on restart: the feed comes back with another epoch.
      await app.close();
      app = await startTestApp({ PORT: String(port) });
      await api(app).createFeed('epochs');
      const { entry } = await api(app).postEntry('epochs', 'After the restart');

      await reader.until(() => reader.sub.state === 'live' && reader.sub.epoch !== firstEpoch, 'live on the new epoch');
      const seen = (): boolean => reader.snapshots.some((s) => s.snapshot.entries.some((e) => e.id === entry.id))
        || reader.events.some((e) => (e.data as { id?: string }).id === entry.id);
      await reader.until(seen, 'the new entry');
      expect(reader.resets).toEqual(['epoch_changed']);
      expect(urls.filter((u) => u.includes('fresh='))).toHaveLength(1);
    } finally {
      reader.close();
      await app.close();
    }
  });
});

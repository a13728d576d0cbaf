import type Redis from 'ioredis';
import { feedKeys } from '../../server/redis/keys';
import { createRedisBackend } from '../../server/redis/redis-backend';
import { TestRedis } from '../helpers/redis-server';
import { describeBroker } from './broker-contract';
import { describeStore } from './store-contract';

let server: TestRedis;
let n = 0;
const errors: unknown[] = [];
const onError = (err: unknown): void => {
  // A handler that throws is part of the contract suite; anything else fails the test.
  if (!(err instanceof Error && err.message === 'handler bug')) errors.push(err);
};

beforeAll(async () => {
  server = await TestRedis.start();
});
afterAll(async () => {
  await server.destroy();
});
afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});

/** Each test gets its own key prefix on the shared test server. */
const backend = (historySize: number) => createRedisBackend({ url: server.url, prefix: `t${++n}`, historySize, onError });

describeStore('redis', async ({ historySize }) => backend(historySize));

describeBroker('redis', async () => {
  const b = await backend(100);
  return { broker: b.broker, close: () => b.close() };
});

describe('Redis store specifics', () => {
  it('keeps every key of a feed in one cluster slot (hash tag)', async () => {
    const b = await backend(100);
    const client: Redis = server.client();
    try {
      const prefix = `t${n}`;
      await b.store.createFeed({ id: 'slot', title: 'Slot', description: '', status: 'live', summary: null, startsAt: null }, { actor: 'desk' });
      await b.store.createEntry('slot', { headline: 'x', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, { actor: 'desk' }, { key: 'k', fingerprint: 'f' });
      const all = await client.keys(`${prefix}:*`);
      // The feeds index spans feeds: its own key, kept beside the scripts (GlobalKeys).
      expect(all.filter((k) => !k.includes('{')).sort()).toEqual([`${prefix}:feeds`]);
      const keys = all.filter((k) => k.includes('{'));
      expect(keys.length).toBeGreaterThanOrEqual(6);
      const slots = new Set(await Promise.all(keys.map((k) => client.call('CLUSTER', 'KEYSLOT', k).catch(() => keyslotByTag(k)))));
      expect(slots.size).toBe(1);
      for (const k of keys) expect(k).toContain('{slot}');
    } finally {
      client.disconnect();
      await b.close();
    }
  });
});

describe('Redis store: data written before revisions existed', () => {
  it('reads an entry and a feed stored without revision as revision 1, uncorrected, and edits them from there', async () => {
    const b = await backend(100);
    const client: Redis = server.client();
    try {
      const k = feedKeys(`t${n}`, 'old');
      const ctx = { actor: 'desk' };
      const { entry } = await b.store.createEntry(
        (await b.store.createFeed({ id: 'old', title: 'Old', description: '', status: 'live', summary: null, startsAt: null }, ctx)).id,
        { headline: 'before', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, ctx,
      );
      // As an older Liveline wrote them: no revision, no corrections.
      const strip = (json: string | null): Record<string, unknown> => {
        const { revision: _r, corrections: _c, startsAt: _s, coverageStartedAt: _a, coverageEndedAt: _e, ...rest } = JSON.parse(json ?? '{}') as Record<string, unknown>;
        return rest;
      };
      await client.hset(k.entries, entry.id, JSON.stringify(strip(await client.hget(k.entries, entry.id))));
      // …and the coverage times under their old names.
      await client.set(k.feed, JSON.stringify({ ...strip(await client.get(k.feed)), liveSince: '2024-11-05T18:00:00.000Z', endedAt: null }));

      expect((await b.store.snapshot('old', 10))?.entries[0]).toMatchObject({ revision: 1, corrections: [] });
      await client.del(k.revisions(entry.id)); // and no history
      expect(await b.store.revisions('old', entry.id)).toEqual([expect.objectContaining({ revision: 1, headline: 'before', actor: '' })]);
      const feed = await b.store.getFeed('old');
      expect(feed).toMatchObject({ revision: 1, startsAt: null, coverageStartedAt: '2024-11-05T18:00:00.000Z', coverageEndedAt: null });
      expect(feed).not.toHaveProperty('liveSince');
      const edited = await b.store.updateEntry('old', entry.id, { headline: 'after', correction: 'Renamed.' }, ctx, 1);
      expect(edited.entry).toMatchObject({ revision: 2, corrections: [{ revision: 2, note: 'Renamed.' }] });
      expect((await b.store.revisions('old', entry.id)).map((v) => [v.revision, v.headline, v.actor])).toEqual([[1, 'before', ''], [2, 'after', 'desk']]);
    } finally {
      client.disconnect();
      await b.close();
    }
  });
});

describe('Redis store: the due-feeds index', () => {
  it('is mended when a node died between scheduling an entry and pointing the index at it: the entry still goes out', async () => {
    const b = await backend(100);
    const client: Redis = server.client();
    try {
      const ctx = { actor: 'desk' };
      await b.store.createFeed({ id: 'orphan', title: 'Orphan', description: '', status: 'live', summary: null, startsAt: null }, ctx);
      const publishAt = new Date(Date.now() + 200).toISOString();
      const result = await b.store.scheduleEntry('orphan', { headline: 'Still due', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, publishAt, ctx);
      if (!('scheduled' in result)) throw new Error('expected it to be scheduled');
      // As a publisher's raise left it when the scheduling node died before its ZADD.
      await client.zadd(`t${n}:due-feeds`, '+inf', 'orphan');
      const deadline = Date.now() + 5000;
      let published = 0;
      while (published === 0 && Date.now() < deadline) {
        published += await b.store.publishDue();
        if (published === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(published).toBe(1);
      expect((await b.store.snapshot('orphan', 10))?.entries.map((e) => e.id)).toEqual([result.scheduled.id]);
      expect(await client.zscore(`t${n}:due-feeds`, 'orphan')).toBe('inf');
    } finally {
      client.disconnect();
      await b.close();
    }
  });
});

describe('Redis store: feeds written before the feeds index existed', () => {
  it('are added to the index the first time editors list feeds, with their last change', async () => {
    const b = await backend(100);
    const client: Redis = server.client();
    try {
      const ctx = { actor: 'desk' };
      for (const id of ['older', 'newer']) {
        await b.store.createFeed({ id, title: id, description: '', status: 'live', summary: null, startsAt: null }, ctx);
        await b.store.createEntry(id, { headline: id, body: '', authors: [], tags: [], pinned: false, keyEvent: false }, ctx);
        await new Promise((resolve) => setTimeout(resolve, 5)); // a later last change for the next
      }
      // An editor's Idempotency-Key may make a key that looks like a feed's: it must not break the listing.
      await b.store.createEntry('older', { headline: 'k', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, ctx, { key: 'x}:feed', fingerprint: 'f' });
      await client.del(`t${n}:feeds`); // as an older Liveline left them: no index
      const { feeds } = await b.store.listFeeds(null, 10);
      expect(feeds.map((f) => [f.id, f.entryCount])).toEqual([['older', 2], ['newer', 1]]);
      expect(await client.get(`t${n}:feeds:backfilled`)).toBe('1');
    } finally {
      client.disconnect();
      await b.close();
    }
  });
});

/** Without cluster mode CLUSTER KEYSLOT is refused; the hash tag is what decides the slot. */
function keyslotByTag(key: string): string {
  return /\{([^}]+)\}/.exec(key)?.[1] ?? key;
}

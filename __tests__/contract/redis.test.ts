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
      await b.store.createFeed({ id: 'slot', title: 'Slot', description: '', status: 'live', summary: null }, { actor: 'desk' });
      await b.store.createEntry('slot', { headline: 'x', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, { actor: 'desk' }, { key: 'k', fingerprint: 'f' });
      const keys = await client.keys(`${prefix}:*`);
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
        (await b.store.createFeed({ id: 'old', title: 'Old', description: '', status: 'live', summary: null }, ctx)).id,
        { headline: 'before', body: '', authors: [], tags: [], pinned: false, keyEvent: false }, ctx,
      );
      // As an older Liveline wrote them: no revision, no corrections.
      const strip = (json: string | null): string => {
        const { revision: _r, corrections: _c, ...rest } = JSON.parse(json ?? '{}') as Record<string, unknown>;
        return JSON.stringify(rest);
      };
      await client.hset(k.entries, entry.id, strip(await client.hget(k.entries, entry.id)));
      await client.set(k.feed, strip(await client.get(k.feed)));

      expect((await b.store.snapshot('old', 10))?.entries[0]).toMatchObject({ revision: 1, corrections: [] });
      await client.del(k.revisions(entry.id)); // and no history
      expect(await b.store.revisions('old', entry.id)).toEqual([expect.objectContaining({ revision: 1, headline: 'before', actor: '' })]);
      expect(await b.store.getFeed('old')).toMatchObject({ revision: 1 });
      const edited = await b.store.updateEntry('old', entry.id, { headline: 'after', correction: 'Renamed.' }, ctx, 1);
      expect(edited.entry).toMatchObject({ revision: 2, corrections: [{ revision: 2, note: 'Renamed.' }] });
      expect((await b.store.revisions('old', entry.id)).map((v) => [v.revision, v.headline, v.actor])).toEqual([[1, 'before', ''], [2, 'after', 'desk']]);
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

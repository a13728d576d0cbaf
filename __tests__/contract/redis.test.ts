import type Redis from 'ioredis';
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

/** Without cluster mode CLUSTER KEYSLOT is refused; the hash tag is what decides the slot. */
function keyslotByTag(key: string): string {
  return /\{([^}]+)\}/.exec(key)?.[1] ?? key;
}

/** The Broker contract, run against every implementation. */
import type { Broker } from '../../server/broker/broker';
import type { FeedEvent } from '../../server/domain/types';

export type BrokerFactory = () => Promise<{ broker: Broker; close(): Promise<void> }>;

let counter = 0;
function event(feed: string, seq: number): FeedEvent {
  return {
    feed, seq, epoch: 'e1', type: 'entry.deleted', data: { id: `entry-${seq}` }, at: new Date(0).toISOString(), actor: 'desk',
  };
}

function collector() {
  const got: FeedEvent[] = [];
  let wake: (() => void) | null = null;
  return {
    got,
    handlers: {
      event: (e: FeedEvent) => {
        got.push(e);
        wake?.();
      },
      resync: () => undefined,
    },
    async waitFor(count: number, timeoutMs = 3000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (got.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`got ${got.length} of ${count}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    },
  };
}

export function describeBroker(name: string, factory: BrokerFactory): void {
  describe(`Broker contract: ${name}`, () => {
    let broker: Broker;
    let close: () => Promise<void>;
    let feed: string;

    beforeEach(async () => {
      ({ broker, close } = await factory());
      counter += 1;
      feed = `broker-${Date.now().toString(36)}-${counter}`;
    });
    afterEach(() => close());

    it('delivers to every subscriber of the feed, in publish order, never inside publish', async () => {
      const a = collector();
      const b = collector();
      await broker.subscribe(feed, a.handlers);
      await broker.subscribe(feed, b.handlers);
      for (let seq = 1; seq <= 100; seq++) {
        const published = broker.publish(event(feed, seq));
        if (seq === 1) expect(a.got).toHaveLength(0); // handlers never run inside publish()
        await published;
      }
      await Promise.all([a.waitFor(100), b.waitFor(100)]);
      expect(a.got.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(b.got).toEqual(a.got);
      expect(a.got[0]).toEqual(event(feed, 1));
    });

    it('keeps feeds apart and stops after unsubscribe', async () => {
      const mine = collector();
      const other = collector();
      const sub = await broker.subscribe(feed, mine.handlers);
      await broker.subscribe(`${feed}-other`, other.handlers);
      await broker.publish(event(feed, 1));
      await mine.waitFor(1);
      await sub.unsubscribe();
      await sub.unsubscribe();
      await broker.publish(event(feed, 2));
      await broker.publish(event(`${feed}-other`, 1));
      await other.waitFor(1);
      expect(mine.got.map((e) => e.seq)).toEqual([1]);
      expect(other.got.map((e) => e.feed)).toEqual([`${feed}-other`]);
    });

    it('keeps delivering to others when a handler throws', async () => {
      const good = collector();
      await broker.subscribe(feed, { event: () => { throw new Error('handler bug'); }, resync: () => undefined });
      await broker.subscribe(feed, good.handlers);
      await broker.publish(event(feed, 1));
      await broker.publish(event(feed, 2));
      await good.waitFor(2);
    });

    it('closes idempotently', async () => {
      await broker.close();
      await broker.close();
    });
  });
}

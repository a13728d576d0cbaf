/** The Broker contract, run against every implementation. */
import type { Broker } from '../../server/broker/broker';
import type { FeedHead } from '../../server/store/feed-store';

export type BrokerFactory = () => Promise<{ broker: Broker; close(): Promise<void> }>;

let counter = 0;
const head = (seq: number): FeedHead => ({ seq, epoch: 'e1' });

function collector() {
  const got: FeedHead[] = [];
  let wake: (() => void) | null = null;
  return {
    got,
    handlers: {
      announce: (h: FeedHead) => {
        got.push(h);
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

    it('announces to every subscriber of the feed, in publish order, never inside publish', async () => {
      const a = collector();
      const b = collector();
      await broker.subscribe(feed, a.handlers);
      await broker.subscribe(feed, b.handlers);
      for (let seq = 1; seq <= 100; seq++) {
        const published = broker.publish(feed, head(seq));
        if (seq === 1) expect(a.got).toHaveLength(0); // handlers never run inside publish()
        await published;
      }
      await Promise.all([a.waitFor(100), b.waitFor(100)]);
      expect(a.got.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(b.got).toEqual(a.got);
      expect(a.got[0]).toEqual(head(1));
    });

    it('keeps feeds apart and stops after unsubscribe', async () => {
      const mine = collector();
      const other = collector();
      const sub = await broker.subscribe(feed, mine.handlers);
      await broker.subscribe(`${feed}-other`, other.handlers);
      await broker.publish(feed, head(1));
      await mine.waitFor(1);
      await sub.unsubscribe();
      await sub.unsubscribe();
      await broker.publish(feed, head(2));
      await broker.publish(`${feed}-other`, head(7));
      await other.waitFor(1);
      expect(mine.got.map((e) => e.seq)).toEqual([1]);
      expect(other.got).toEqual([head(7)]);
    });

    it('keeps delivering to others when a handler throws', async () => {
      const good = collector();
      await broker.subscribe(feed, { announce: () => { throw new Error('handler bug'); }, resync: () => undefined });
      await broker.subscribe(feed, good.handlers);
      await broker.publish(feed, head(1));
      await broker.publish(feed, head(2));
      await good.waitFor(2);
    });

    it('closes idempotently', async () => {
      await broker.close();
      await broker.close();
    });
  });
}

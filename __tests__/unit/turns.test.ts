import { performance } from 'node:perf_hooks';
import { Turns } from '../../server/gateway/turns';

/** Resolves after the loop's next check phase: one loop iteration. */
const nextIteration = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('turns', () => {
  it('serves many light waiters in one loop iteration, one after another', async () => {
    const turns = new Turns(5);
    const served: number[] = [];
    const all = Array.from({ length: 100 }, (_, i) => turns.next(`reader-${i}`).then(() => served.push(i)));
    await nextIteration();
    await nextIteration();
    expect(served.length).toBe(100);
    await Promise.all(all);
  });

  it('gives heavy waiters only a slice per iteration, round-robin by key, each turn current until the next is given', async () => {
    const turns = new Turns(5);
    const order: string[] = [];
    let overlapping = 0;
    const heavy = (key: string): Promise<void> => turns.next(key).then((turn) => {
      const until = performance.now() + 2; // 2 ms of replaying
      while (performance.now() < until);
      if (!turn.current) overlapping += 1;
      order.push(key);
    });
    const all = [...Array.from({ length: 20 }, () => heavy('flood')), heavy('honest')];
    await nextIteration(); // the first slice runs in this iteration's check phase, just before
    expect(order.length).toBeGreaterThan(1);
    expect(order.length).toBeLessThanOrEqual(4); // a 5 ms slice holds about three 2 ms turns
    expect(order.slice(0, 2)).toEqual(['flood', 'honest']); // the honest reader doesn't wait behind the flood
    await Promise.all(all);
    expect(order).toHaveLength(21);
    expect(overlapping).toBe(0);
  });
});

import { createBackoff } from '../../client-sdk/src/backoff';

describe('createBackoff (full jitter)', () => {
  it('defaults to a 500 ms first window doubling up to a 20 s cap', () => {
    const delay = createBackoff({ random: () => 0.5 });
    expect([0, 1, 2, 3, 4, 5, 6].map(delay)).toEqual([250, 500, 1000, 2000, 4000, 8000, 10000]);
    expect(delay(50)).toBe(10000);
  });

  it('spans the whole window: random 0 gives 0, random just under 1 just under the bound', () => {
    expect(createBackoff({ random: () => 0 })(7)).toBe(0);
    const high = createBackoff({ random: () => 0.999 });
    expect(high(0)).toBeCloseTo(499.5);
    expect(high(3)).toBeCloseTo(3996);
    expect(high(20)).toBeCloseTo(19980);
  });

  it('stays within [0, min(max, base * 2^n)) with Math.random', () => {
    const delay = createBackoff({ baseMs: 100, maxMs: 3000 });
    for (let attempt = 0; attempt < 12; attempt++) {
      const bound = Math.min(3000, 100 * 2 ** attempt);
      for (let i = 0; i < 200; i++) {
        const d = delay(attempt);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(bound);
      }
    }
  });

  it('is deterministic for an injected random and finite for huge attempts', () => {
    const values = [0.1, 0.9, 0.3];
    let i = 0;
    const delay = createBackoff({ baseMs: 1000, maxMs: 8000, random: () => values[i++ % values.length] ?? 0 });
    expect([delay(0), delay(1), delay(5)]).toEqual([100, 1800, 2400]);
    expect(delay(5000)).toBe(800);
  });
});

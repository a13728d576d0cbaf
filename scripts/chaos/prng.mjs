// A seeded PRNG (mulberry32): the same seed gives the same fault schedule and editor choices.

/** @param {number} seed @returns {() => number} uniform in [0, 1) */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {() => number} rnd @param {number} min @param {number} max @returns {number} an integer in [min, max] */
export const between = (rnd, min, max) => min + Math.floor(rnd() * (max - min + 1));

/** @template T @param {() => number} rnd @param {readonly T[]} items @returns {T} */
export const pick = (rnd, items) => items[Math.floor(rnd() * items.length)];

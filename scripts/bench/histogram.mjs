// Latency histogram with 1 % wide buckets from 0.01 ms to beyond 10 minutes: cheap to fill in a
// worker, small to send to the parent (a plain array), merged by adding.

const BASE_MS = 0.01;
const LOG_STEP = Math.log(1.01);
export const BUCKETS = 2400;

export function newHistogram() {
  return { counts: new Uint32Array(BUCKETS), n: 0, max: -Infinity, negatives: 0 };
}

/** Records one latency in ms (a negative one, from clock skew between processes, counts as 0). */
export function record(h, ms) {
  h.n += 1;
  if (ms > h.max) h.max = ms;
  if (ms <= BASE_MS) {
    if (ms < 0) h.negatives += 1;
    h.counts[0] += 1;
    return;
  }
  const i = Math.ceil(Math.log(ms / BASE_MS) / LOG_STEP);
  h.counts[i < BUCKETS ? i : BUCKETS - 1] += 1;
}

/** A JSON-able copy (sparse: [index, count] pairs). */
export function toJSON(h) {
  const pairs = [];
  for (let i = 0; i < BUCKETS; i++) if (h.counts[i] !== 0) pairs.push([i, h.counts[i]]);
  return { pairs, n: h.n, max: h.n ? h.max : null, negatives: h.negatives };
}

/** Adds the JSON form `j` into histogram `h`. */
export function mergeInto(h, j) {
  for (const [i, c] of j.pairs) h.counts[i] += c;
  h.n += j.n;
  h.negatives += j.negatives;
  if (j.max !== null && j.max > h.max) h.max = j.max;
}

/** The p-th percentile in ms: the upper edge of its bucket (within 1 %), never above the max. */
export function percentileOf(h, p) {
  if (h.n === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * h.n));
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += h.counts[i];
    if (seen >= rank) return Math.min(h.max, BASE_MS * Math.exp(i * LOG_STEP));
  }
  return h.max;
}

/** p50, p90, p99 and max in ms, rounded to 0.01. */
export function summary(h) {
  const r = (x) => (x === null ? null : Math.round(x * 100) / 100);
  return { samples: h.n, p50: r(percentileOf(h, 50)), p90: r(percentileOf(h, 90)), p99: r(percentileOf(h, 99)), max: r(h.n ? h.max : null), negatives: h.negatives };
}

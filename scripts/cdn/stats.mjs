// Figures for scripts/cdn/main.mjs's report: latency percentiles, how stale the snapshots
// readers got were, and one phase's requests, origin load and CPU.
import { mergeInto, newHistogram, summary } from '../bench/histogram.mjs';
import { requestsBetween } from './origin.mjs';

export const SNAPSHOT_ROUTE = '/v1/feeds/:feedId';
export const PAGE_ROUTE = '/v1/feeds/:feedId/entries';

const round = (x, digits = 1) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits);
const pct = (part, whole) => (whole === 0 ? null : round((100 * part) / whole, 1));

/** p50/p99/max (ms) of a histogram sent by the worker. */
export function latency(json) {
  const h = newHistogram();
  mergeInto(h, json);
  const s = summary(h);
  return { n: s.samples, p50: s.p50, p99: s.p99, max: s.max };
}

/**
 * How far behind the snapshots readers got were. A snapshot asked for at `t` carrying seq S
 * is behind when a post with a seq above S was acknowledged to the editor before `t`; it has
 * been stale since the first such post was acknowledged: staleness = t - that post's time.
 * @param {number[]} flat [askedAt, seq, …] from the worker
 * @param {{seq: number, at: number}[]} posts acknowledged posts in seq order
 */
export function staleness(flat, posts) {
  const ages = [];
  let behind = 0;
  for (let i = 0; i < flat.length; i += 2) {
    const t = flat[i];
    const seq = flat[i + 1];
    // the first post with a seq above the snapshot's (posts are in seq order)
    let lo = 0;
    let hi = posts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (posts[mid].seq > seq) hi = mid;
      else lo = mid + 1;
    }
    const missing = posts[lo];
    const age = missing !== undefined && missing.at < t ? t - missing.at : 0;
    if (age > 0) behind += 1;
    ages.push(age);
  }
  ages.sort((a, b) => a - b);
  const at = (p) => (ages.length === 0 ? null : round(ages[Math.min(ages.length - 1, Math.ceil((p / 100) * ages.length) - 1)], 0));
  return { snapshots: ages.length, behind_pct: pct(behind, ages.length), p50_ms: at(50), p99_ms: at(99), max_ms: ages.length ? round(ages.at(-1), 0) : null };
}

/**
 * One phase's figures: what readers got (client side), what reached the node (its counters),
 * the node's CPU (utime+stime from /proc) and, behind nginx, nginx's own.
 * @param {{result: object, before: Map, after: Map, cpu: number, nginxCpu: number|null, posts: object[]}} p
 */
export function phaseSummary({ result, before, after, cpu, nginxCpu, posts }) {
  const snapshot = requestsBetween(before, after, SNAPSHOT_ROUTE);
  const page = requestsBetween(before, after, PAGE_ROUTE);
  const requests = sumValues(result.cache.snapshot) + sumValues(result.cache.page);
  const origin = snapshot.total + page.total;
  const statuses = {};
  for (const route of ['snapshot', 'page']) {
    for (const [k, n] of Object.entries(result.cache[route])) statuses[k] = (statuses[k] ?? 0) + n;
  }
  const reads = result.pageLoads;
  const out = {
    seconds: round(result.seconds, 1),
    page_loads: reads,
    requests,
    requests_per_s: round(requests / result.seconds, 0),
    failed: result.failed,
    ...(result.failure ? { failure: result.failure } : {}),
    http_status: result.status,
    origin_requests: origin,
    origin_by_route: { snapshot: snapshot.byStatus, page: page.byStatus },
    origin_304: (snapshot.byStatus['304'] ?? 0) + (page.byStatus['304'] ?? 0),
    origin_saved_pct: requests === 0 ? null : round(100 - (100 * origin) / requests, 2),
    origin_cpu_s: round(cpu, 2),
    origin_cpu_pct_of_core: round((100 * cpu) / result.seconds, 1),
    origin_cpu_us_per_request: requests === 0 ? null : round((cpu * 1e6) / requests, 0),
    origin_cpu_us_per_page_load: reads === 0 ? null : round((cpu * 1e6) / reads, 0),
  };
  if (nginxCpu === null) {
    out.latency_ms = latency(result.latency.direct);
    out.staleness = staleness(result.snapshots, posts);
    return out;
  }
  out.cache_status = statuses;
  out.cache_status_by_route = result.cache;
  out.latency_ms = { cached: latency(result.latency.cached), uncached: latency(result.latency.uncached) };
  out.nginx_cpu_s = round(nginxCpu, 2);
  out.staleness = staleness(result.snapshots, posts);
  return out;
}

function sumValues(o) {
  return Object.values(o).reduce((a, b) => a + b, 0);
}

/** The report for people (stderr). */
export function humanSummary(r) {
  const c = r.behind_nginx;
  const d = r.direct;
  const lines = [
    `through nginx (${c.seconds} s): ${c.requests} requests (${c.requests_per_s}/s, ${c.page_loads} page loads), ${c.origin_requests} reached the node `
      + `(${c.origin_304} of them 304): ${c.origin_saved_pct}% of origin requests saved`,
    `  cache status: ${Object.entries(c.cache_status).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `  latency ms: cached p50 ${c.latency_ms.cached.p50} p99 ${c.latency_ms.cached.p99}; uncached p50 ${c.latency_ms.uncached.p50} p99 ${c.latency_ms.uncached.p99}`,
    `  node CPU ${c.origin_cpu_s} s (${c.origin_cpu_us_per_page_load} µs per page load), nginx CPU ${c.nginx_cpu_s} s`,
    `  other processes used ${c.machine.others_pct}% of the machine's CPU meanwhile`,
    `  staleness: ${c.staleness.behind_pct}% of snapshots behind, p99 ${c.staleness.p99_ms} ms, max ${c.staleness.max_ms} ms (bound ${c.staleness.bound_ms} ms)`,
    `straight to the node (${d.seconds} s): ${d.requests} requests (${d.requests_per_s}/s, ${d.page_loads} page loads), latency p50 ${d.latency_ms.p50} p99 ${d.latency_ms.p99} ms`,
    `  node CPU ${d.origin_cpu_s} s (${d.origin_cpu_us_per_page_load} µs per page load, ${d.origin_cpu_pct_of_core}% of a core); other processes used ${d.machine.others_pct}% of the machine's CPU`,
    `origin CPU per page load: ${r.compare.origin_cpu_saved_pct}% less behind nginx`,
  ];
  return lines.join('\n');
}

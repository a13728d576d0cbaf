// Load-generator child of scripts/cdn/main.mjs (started through scripts/bench/ipc.mjs):
// `readers` simulated page loads at once, like readers arriving from a link. Each one
// fetches the snapshot (GET /v1/feeds/:feed, what the SDK loads first), then the next older
// page (GET …/entries?before=<nextBefore>&limit=20, what the widget's "older" button loads),
// waits a small random think time, and starts over, until `seconds` are up.
//
// Per request it records the status, X-Cache-Status (nginx's $upstream_cache_status; none
// when talking to the node directly) and the latency; per snapshot, when it was asked for
// (wall-clock ms) and the feed's seq it carried, for the staleness the parent works out.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { newHistogram, record, toJSON } from '../bench/histogram.mjs';

const T0 = performance.timeOrigin;
/** Answered by nginx from its cache, without waiting for the node. */
const FROM_CACHE = new Set(['HIT', 'STALE', 'UPDATING']);
const PAGE_LIMIT = 20;
const TIMEOUT_MS = 10_000;

async function run({ url, feed, readers, seconds, thinkMs }) {
  const st = { requests: 0, pageLoads: 0, failed: 0, failure: null, status: {}, cache: { snapshot: {}, page: {} } };
  const hist = { cached: newHistogram(), uncached: newHistogram(), direct: newHistogram() };
  const snapshots = []; // flat: [askedAt, seq, askedAt, seq, …]
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const get = async (urlPath, route) => {
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}${urlPath}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
      const text = await res.text();
      const ms = performance.now() - t0;
      st.requests += 1;
      st.status[res.status] = (st.status[res.status] ?? 0) + 1;
      const cs = res.headers.get('x-cache-status');
      const key = cs ?? 'none';
      st.cache[route][key] = (st.cache[route][key] ?? 0) + 1;
      record(cs === null ? hist.direct : FROM_CACHE.has(cs) ? hist.cached : hist.uncached, ms);
      return res.status === 200 ? { body: JSON.parse(text), askedAt: T0 + t0 } : null;
    } catch (err) {
      st.failed += 1;
      st.failure ??= `${urlPath}: ${err.message}`;
      return null;
    }
  };

  const reader = async () => {
    await sleep(Math.random() * 1000); // readers arrive over the first second
    while (performance.now() < deadline) {
      const snap = await get(`/v1/feeds/${feed}`, 'snapshot');
      if (snap !== null) {
        snapshots.push(snap.askedAt, snap.body.seq);
        const before = snap.body.nextBefore;
        if (before !== null) await get(`/v1/feeds/${feed}/entries?before=${encodeURIComponent(before)}&limit=${PAGE_LIMIT}`, 'page');
      }
      st.pageLoads += 1;
      await sleep(thinkMs[0] + Math.random() * (thinkMs[1] - thinkMs[0]));
    }
  };

  await Promise.all(Array.from({ length: readers }, reader));
  return {
    ...st,
    seconds: (performance.now() - started) / 1000,
    latency: { cached: toJSON(hist.cached), uncached: toJSON(hist.uncached), direct: toJSON(hist.direct) },
    snapshots,
  };
}

process.on('message', (msg) => {
  if (msg.cmd !== 'run') return;
  run(msg).then(
    (result) => process.send({ id: msg.id, ev: 'done', result }),
    (err) => process.send({ id: msg.id, ev: 'error', message: err.stack ?? String(err) }),
  );
});
// The parent went away (finished, interrupted or crashed): nothing left to do.
process.on('disconnect', () => process.exit(0));

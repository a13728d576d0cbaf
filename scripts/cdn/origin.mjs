// The origin: one embedded Liveline node (`node dist/server/index.js`) on free loopback ports,
// its Prometheus counters, a feed with entries, and an editor posting to it directly.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENTRY, ROOT, SERVER_NODE_FLAGS } from '../bench-lib.mjs';
import { freePort, startProcess, stopProcess, waitForLine } from '../bench/procs.mjs';

/** The limits __tests__/helpers/test-app.ts's UNLIMITED lifts: every reader comes from loopback. */
const UNLIMITED = {
  LIVELINE_EDITOR_WRITES_PER_MINUTE: '1000000',
  LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '100000',
  LIVELINE_MAX_CONNECTIONS_PER_IP: '100000',
  LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '100000',
  LIVELINE_AUTH_FAILURES_PER_MINUTE: '100000',
  LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND: '100000000',
};

export class MissingBuild extends Error {}

/** Throws MissingBuild unless `npm run build` has produced the server. */
export function checkBuild() {
  if (!existsSync(ENTRY)) throw new MissingBuild(`${path.relative(ROOT, ENTRY)} is missing: run \`npm run build\` first (this script builds nothing)`);
}

/**
 * Starts one embedded node: PORT and LIVELINE_METRICS_PORT on free loopback ports, a
 * generated editor token, limits lifted, no drain window.
 * @returns {Promise<{url: string, hostPort: string, metricsUrl: string, pid: number, token: string, stop: () => Promise<void>}>}
 */
export async function startOrigin() {
  checkBuild();
  const port = await freePort();
  let metricsPort = await freePort();
  while (metricsPort === port) metricsPort = await freePort();
  const token = randomBytes(24).toString('base64url');
  const env = {
    ...process.env,
    ...UNLIMITED,
    PORT: String(port),
    HOST: '127.0.0.1',
    LIVELINE_METRICS_PORT: String(metricsPort),
    LIVELINE_METRICS_HOST: '127.0.0.1',
    LIVELINE_EDITOR_TOKENS: `cdn:${token}`,
    LIVELINE_DRAIN_MS: '0',
    // Behind nginx as in production: the reader's address is the rightmost X-Forwarded-For entry.
    LIVELINE_TRUST_PROXY: '1',
  };
  delete env.REDIS_URL; // embedded: never anyone's Redis
  delete env.REDIS_PASSWORD;
  const child = startProcess(process.execPath, [...SERVER_NODE_FLAGS, ENTRY], { cwd: ROOT, env, name: `liveline :${port}` });
  const stop = () => stopProcess(child, 10_000);
  try {
    const url = await waitForLine(child, /Liveline is running at (http:\/\/\S+)/, 20_000);
    if (url !== `http://127.0.0.1:${port}`) throw new Error(`the node says it runs at ${url}, expected http://127.0.0.1:${port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, hostPort: `127.0.0.1:${port}`, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, pid: child.pid, token, stop };
}

/** liveline_http_requests_total from the node's metrics listener: Map `${route} ${method} ${status}` → count. */
export async function httpRequests(metricsUrl) {
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  const counts = new Map();
  for (const m of text.matchAll(/^liveline_http_requests_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    counts.set(`${labels.route} ${labels.method} ${labels.status}`, Number(m[2]));
  }
  return counts;
}

/** GET requests of `route` between two readings, by status: {total, byStatus}. */
export function requestsBetween(before, after, route) {
  const byStatus = {};
  let total = 0;
  for (const [key, n] of after) {
    const [r, method, status] = key.split(' ');
    if (r !== route || method !== 'GET') continue;
    const d = n - (before.get(key) ?? 0);
    if (d === 0) continue;
    byStatus[status] = d;
    total += d;
  }
  return { total, byStatus };
}

/** An editor on the node itself (never through the cache). */
export function editor(origin) {
  /** Every acknowledged post, in seq order: {seq, at} (`at`: wall-clock ms of the acknowledgement). */
  const posts = [];
  const call = async (method, urlPath, body) => {
    const res = await fetch(`${origin.url}${urlPath}`, {
      method,
      headers: { authorization: `Bearer ${origin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`${method} ${urlPath}: HTTP ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text);
  };
  const post = async (feed, n) => {
    const { seq } = await call('POST', `/v1/feeds/${feed}/entries`, {
      headline: `Update ${n}`,
      body: `<p>Update ${n}: officials at the count confirmed turnout above the last election; declarations are expected after midnight.</p>`,
    });
    posts.push({ seq, at: Date.now() });
  };
  /** Creates a live feed with `entries` entries; returns its id. */
  const createFeed = async (entries) => {
    const feed = `cdn-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    await call('POST', '/v1/feeds', { id: feed, title: 'Election night (CDN run)', status: 'live' });
    for (let i = 1; i <= entries; i++) await post(feed, i);
    return feed;
  };
  /** Posts one entry now and every `everyMs` until `signal` aborts; resolves then. Failures are counted, not thrown. */
  const postEvery = async (feed, everyMs, signal) => {
    const st = { failures: 0, failure: null };
    let next = performance.now();
    while (!signal.aborted) {
      await sleep(Math.max(0, next - performance.now()), undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      next += everyMs;
      await post(feed, posts.length + 1).catch((err) => {
        st.failures += 1;
        st.failure ??= err.message;
      });
    }
    return st;
  };
  return { posts, createFeed, postEvery };
}

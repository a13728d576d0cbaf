// Liveline nodes as benchmark targets: start `node <root>/dist/server/index.js` with the
// protective limits lifted (every reader comes from loopback), create a feed, and size the
// entry body so that the event frame readers get is the requested number of bytes.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import WebSocket from 'ws';
import { SERVER_NODE_FLAGS } from '../bench-lib.mjs';
import { startProcess, stopProcess, waitForLine } from './procs.mjs';

export const TOKEN = randomBytes(24).toString('base64url'); // 32 characters, the shortest a node accepts

const FILLER = 'Officials in the north-east count confirmed turnout above the last election; '
  + 'the first declarations are expected shortly after midnight, with recounts possible in two wards. '
  + 'Our correspondents at the count report a calm mood. ';

/** `n` characters of plain prose (nothing the sanitizer or JSON would escape). */
export function filler(n) {
  return FILLER.repeat(Math.ceil(Math.max(1, n) / FILLER.length)).slice(0, Math.max(0, n));
}

export function entryPath(root) {
  return path.join(root, 'dist', 'server', 'index.js');
}

/**
 * Starts one Liveline node.
 * @param {{root: string, redisUrl: string|null, prefix: string, cpus: string|null, cpuProf: string|null, name: string, drainMs?: number,
 *          cluster?: {seeds: string[], password: string}}} o  cluster: on a Redis Cluster (REDIS_CLUSTER_NODES) instead of redisUrl
 */
export async function startNode(o) {
  const entry = entryPath(o.root);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` in ${o.root}`);
  const env = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LIVELINE_EDITOR_TOKENS: `bench:${TOKEN}`,
    // Every reader comes from loopback and one editor posts fast: lift the limits that would refuse them.
    LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '1000000',
    LIVELINE_MAX_CONNECTIONS: '100000',
    LIVELINE_MAX_CONNECTIONS_PER_IP: '100000',
    LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND: '100000000',
    LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '1000000',
    LIVELINE_EDITOR_WRITES_PER_MINUTE: '1000000',
    LIVELINE_METRICS_PORT: '0',
    LIVELINE_DRAIN_MS: String(o.drainMs ?? 0),
  };
  delete env.REDIS_URL;
  delete env.REDIS_CLUSTER_NODES;
  delete env.REDIS_SENTINELS;
  delete env.REDIS_PASSWORD;
  if (o.cluster) {
    env.REDIS_CLUSTER_NODES = o.cluster.seeds.join(',');
    env.REDIS_PASSWORD = o.cluster.password;
    env.LIVELINE_REDIS_PREFIX = o.prefix;
  } else if (o.redisUrl !== null) {
    env.REDIS_URL = o.redisUrl;
    env.LIVELINE_REDIS_PREFIX = o.prefix;
  }
  const args = [...SERVER_NODE_FLAGS, ...(o.cpuProf !== null ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : [])];
  const child = startProcess(process.execPath, [...args, entry], { cwd: o.root, env, cpus: o.cpus, name: o.name });
  let metricsUrl = null; // printed after the URL line
  const onBanner = (line) => {
    const m = /^Metrics \(Prometheus[^)]*\): (http:\/\/\S+)/.exec(line.trim());
    if (m !== null) metricsUrl = m[1];
  };
  child.on('line', onBanner);
  let url;
  try {
    url = await waitForLine(child, /Liveline is running at (http:\/\/\S+)/, 20_000);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) {
    await stopProcess(child);
    throw new Error(`${o.name} is not on loopback: ${url}`);
  }
  const errors = { count: 0 };
  child.on('line', (line) => {
    if (line.includes('"level":"error"') || line.includes('"level":50')) errors.count += 1;
  });
  return { url, child, errors, loopDelay: () => loopDelay(metricsUrl), stop: () => stopProcess(child, 10_000) };
}

/**
 * The node's event-loop delay since the last call (prom-client resets it on every scrape),
 * ms: `{max, p99}`, or null when the node has no metrics listener (older builds).
 */
async function loopDelay(metricsUrl) {
  if (metricsUrl === null) return null;
  const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) })).text();
  const value = (name) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? null : Math.round(Number(line.slice(name.length + 1)) * 1e4) / 10;
  };
  return { max: value('liveline_nodejs_eventloop_lag_max_seconds'), p99: value('liveline_nodejs_eventloop_lag_p99_seconds') };
}

export async function api(url, method, urlPath, body) {
  const res = await fetch(`${url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** Opens a probe WebSocket on `wsUrl`, runs `act`, and resolves with the first frame matching `want`. */
export function probeFrame(wsUrl, protocols, onOpen, act, want) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, protocols, { perMessageDeflate: false });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`probe on ${wsUrl}: no frame within 10 s`));
    }, 10_000);
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    ws.on('open', () => onOpen(ws));
    ws.on('message', (data) => {
      const s = data.toString();
      if (s.includes('"type":"subscribed"')) {
        act().catch(reject);
        return;
      }
      if (!want(s)) return;
      clearTimeout(timer);
      ws.terminate();
      resolve(data.length);
    });
    if (protocols.length > 0) ws.once('open', () => act().catch(reject));
  });
}

/**
 * Creates a fresh feed on `url` and finds the entry body that makes event frames `payload` bytes.
 * @returns {Promise<{feed: string, bodyHtml: string, frameBytes: number}>}
 */
export async function newFeed(url, payload) {
  const feed = `bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const created = await api(url, 'POST', '/v1/feeds', { id: feed, title: 'Fan-out benchmark', status: 'live' });
  if (created.status !== 201) throw new Error(`creating feed ${feed}: HTTP ${created.status} ${created.text.slice(0, 200)}`);
  const probe = async (bodyHtml) => probeFrame(`${url.replace(/^http/, 'ws')}/v1/ws`, [],
    (ws) => ws.send(JSON.stringify({ type: 'subscribe', feed })),
    async () => {
      const r = await api(url, 'POST', `/v1/feeds/${feed}/entries`, { headline: `t:${(Date.now() + 0.5).toFixed(3)}`, body: bodyHtml });
      if (r.status !== 201) throw new Error(`calibration post: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    },
    (s) => s.startsWith('{"type":"event"') || s.includes('"type":"event"'));
  const first = await probe(`<p>${filler(10)}</p>`);
  const bodyHtml = `<p>${filler(10 + payload - first)}</p>`;
  const frameBytes = await probe(bodyHtml);
  return { feed, bodyHtml, frameBytes };
}

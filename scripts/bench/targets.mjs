// The four targets, behind one shape: start, a fresh channel per run (feed or Nchan channel,
// with the publish request sized to the payload), the PIDs to measure, stop.
//
//   embedded   one Liveline node, in-memory store and broker
//   redis      one Liveline node on a throwaway redis-server
//   two-nodes  two Liveline nodes on one throwaway redis-server; readers alternate, posts go to the first
//   nchan      nginx + Nchan (Redis storage on its own throwaway redis-server)
import { randomBytes } from 'node:crypto';
import { TOKEN, newFeed, probeFrame, startNode } from './liveline.mjs';
import { ensureNchan, startNchan } from './nchan.mjs';
import { startRedis } from './procs.mjs';

export const TARGETS = ['embedded', 'redis', 'two-nodes', 'nchan'];

/**
 * @typedef {object} Channel
 * @property {'liveline'|'nchan'} protocol
 * @property {string[]} wsUrls   readers use wsUrls[i % length]
 * @property {string|null} subscribe  the frame a Liveline reader sends once open
 * @property {string} feed
 * @property {number} frameBytes  size of one delivery frame, measured
 * @property {object} publish   the publisher's settings (url, token, bodyHtml | pad)
 *
 * @typedef {object} Target
 * @property {string} name
 * @property {() => number[]} serverPids   processes whose CPU counts as the server's
 * @property {() => number[]} redisPids
 * @property {(payload: number) => Promise<Channel>} newChannel
 * @property {() => number} errorLogs
 * @property {() => Promise<Array<{max: number|null, p99: number|null}|null>>} loopDelay  each Liveline node's event-loop delay since the last call, ms
 * @property {() => Promise<void>} stop
 */

/**
 * @param {string} name one of TARGETS
 * @param {{root: string, serverCpus: string|null, otherCpus: string|null, cpuProf: string|null, log: (s: string) => void}} o
 * @returns {Promise<Target>}
 */
export async function startTarget(name, o) {
  const stops = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    if (name === 'nchan') return await startNchanTarget(o, stops, stopAll);
    const redis = name === 'embedded' ? null : await startRedis(o.otherCpus);
    if (redis !== null) stops.push(redis.stop);
    const prefix = `llbench${randomBytes(3).toString('hex')}`;
    const nodes = [];
    for (let k = 0; k < (name === 'two-nodes' ? 2 : 1); k++) {
      const node = await startNode({ root: o.root, redisUrl: redis?.url ?? null, prefix, cpus: o.serverCpus, cpuProf: o.cpuProf, name: `liveline node ${k + 1}` });
      nodes.push(node);
      stops.push(node.stop);
    }
    return {
      name,
      serverPids: () => nodes.map((n) => n.child.pid),
      redisPids: () => (redis === null ? [] : [redis.child.pid]),
      errorLogs: () => nodes.reduce((a, n) => a + n.errors.count, 0),
      loopDelay: () => Promise.all(nodes.map((n) => n.loopDelay())),
      newChannel: async (payload) => {
        const { feed, bodyHtml, frameBytes } = await newFeed(nodes[0].url, payload);
        return {
          protocol: 'liveline',
          feed,
          wsUrls: nodes.map((n) => `${n.url.replace(/^http/, 'ws')}/v1/ws`),
          subscribe: JSON.stringify({ type: 'subscribe', feed }),
          frameBytes,
          publish: { protocol: 'liveline', url: `${nodes[0].url}/v1/feeds/${feed}/entries`, token: TOKEN, bodyHtml },
        };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function startNchanTarget(o, stops, stopAll) {
  ensureNchan(o.log);
  const redis = await startRedis(o.otherCpus);
  stops.push(redis.stop);
  const nginx = await startNchan({ redisUrl: redis.url, cpus: o.serverCpus });
  stops.push(nginx.stop);
  const publishOnce = async (channel, body) => {
    const res = await fetch(`${nginx.url}/pub/${channel}`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`nchan publish: HTTP ${res.status} ${text.slice(0, 200)}`);
  };
  return {
    name: 'nchan',
    serverPids: nginx.pids,
    redisPids: () => [redis.child.pid],
    errorLogs: () => 0,
    loopDelay: async () => [],
    newChannel: async (payload) => {
      const wsBase = `${nginx.url.replace(/^http/, 'ws')}/sub/`;
      // Size the pad on a calibration channel: frame = Nchan's "id: …\ncontent-type: …\n\n" + body.
      const cal = `cal${randomBytes(6).toString('hex')}`;
      const body = (pad) => `{"seq":1,"t":${(Date.now() + 0.5).toFixed(3)},"pad":"${pad}"}`;
      const isMsg = (s) => s.startsWith('id: ');
      const first = await probeFrame(wsBase + cal, ['ws+meta.nchan'], () => {}, () => publishOnce(cal, body('')), isMsg);
      const pad = 'x'.repeat(Math.max(0, payload - first));
      const cal2 = `cal${randomBytes(6).toString('hex')}`;
      const frameBytes = await probeFrame(wsBase + cal2, ['ws+meta.nchan'], () => {}, () => publishOnce(cal2, body(pad)), isMsg);
      const channel = `bench${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
      return {
        protocol: 'nchan',
        feed: channel,
        wsUrls: [wsBase + channel],
        subscribe: null,
        frameBytes,
        publish: { protocol: 'nchan', url: `${nginx.url}/pub/${channel}`, pad },
      };
    },
    stop: stopAll,
  };
}

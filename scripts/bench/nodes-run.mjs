// `npm run bench -- --nodes 1,2,4`: do nodes add up? One throwaway Redis Cluster (3 masters, no
// replicas; redis-cluster.mjs), and for each node count N a fresh set of N Liveline nodes on it
// (`node dist/server/index.js` with REDIS_CLUSTER_NODES, REDIS_PASSWORD and the env the other
// Redis targets get), then one fan-out run of run.mjs: the same readers on one fresh feed, reader
// i on node i % N (evenly spread), post k through the HTTP API of node k % N (as a balancer would).
// Every reader checks every seq, as in every run; the run fails on any loss, duplicate or
// out-of-order delivery.
//
// Per node: its readers, its deliveries/s (= total x its share of the readers: exact, since a
// valid run loses nothing), its CPU (utime+stime from /proc) in seconds, cores and µs per
// delivery, and its event-loop delay (max, p99) from its /metrics. Before each measured run, a
// WARMUP_SECONDS run on its own fresh feed whose figures are dropped.
import { randomBytes } from 'node:crypto';
import { cpuSets } from './args.mjs';
import { TOKEN, newFeed, startNode } from './liveline.mjs';
import { startBenchCluster } from './redis-cluster.mjs';
import { fanoutRun } from './run.mjs';

const MASTERS = 3;
/** Posting time of the warm-up run before each measured one (its figures are dropped): N fresh nodes would
 * otherwise each pay V8's compilation inside the measured window, which penalises N = 4 for a start-up cost. */
const WARMUP_SECONDS = 2;
const r2 = (x) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 100) / 100);

/**
 * N Liveline nodes on `cluster`, as a run.mjs target.
 * @returns {Promise<import('./targets.mjs').Target>}
 */
async function startClusterNodes(cluster, count, o) {
  const prefix = `llbench${randomBytes(3).toString('hex')}`;
  const nodes = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let k = 0; k < count; k++) {
      nodes.push(await startNode({
        root: o.root, redisUrl: null, cluster, prefix, cpus: o.serverCpus, cpuProf: o.cpuProf, name: `liveline node ${k + 1} of ${count}`,
      }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    name: 'cluster',
    serverPids: () => nodes.map((n) => n.child.pid),
    redisPids: cluster.pids,
    errorLogs: () => nodes.reduce((a, n) => a + n.errors.count, 0),
    loopDelay: () => Promise.all(nodes.map((n) => n.loopDelay())),
    newChannel: async (payload) => {
      const { feed, bodyHtml, frameBytes } = await newFeed(nodes[0].url, payload);
      const urls = nodes.map((n) => `${n.url}/v1/feeds/${feed}/entries`);
      return {
        protocol: 'liveline',
        feed,
        wsUrls: nodes.map((n) => `${n.url.replace(/^http/, 'ws')}/v1/ws`),
        subscribe: JSON.stringify({ type: 'subscribe', feed }),
        frameBytes,
        publish: { protocol: 'liveline', url: urls[0], urls, token: TOKEN, bodyHtml },
      };
    },
    stop,
  };
}

/** The per-node figures of a run.mjs result with `count` nodes. */
export function perNode(res, count) {
  const readers = res.readersOpened ?? res.readers;
  return Array.from({ length: count }, (_, k) => {
    const mine = Math.floor(readers / count) + (k < readers % count ? 1 : 0);
    const share = readers > 0 ? mine / readers : 0;
    const cpuSec = res.serverCpuSecPerProcess?.[k] ?? null;
    const deliveries = (res.deliveries ?? 0) * share;
    return {
      node: k + 1,
      readers: mine,
      deliveriesPerSec: res.achievedDeliveriesPerSec === null || res.achievedDeliveriesPerSec === undefined ? null : Math.round(res.achievedDeliveriesPerSec * share),
      cpuSec,
      cpuCores: cpuSec !== null && res.cpuWallSec > 0 ? r2(cpuSec / res.cpuWallSec) : null,
      cpuUsPerDelivery: cpuSec !== null && deliveries > 0 ? r2((cpuSec * 1e6) / deliveries) : null,
      loopDelayMs: res.serverLoopDelayMs?.[k] ?? null,
    };
  });
}

/**
 * Runs every node count of `o.nodeCounts` on one cluster; `emit` gets one result per count.
 * @returns {Promise<number>} how many runs were not valid
 */
export async function nodesRun(o, emit, log) {
  const cpus = cpuSets(o, o.pin);
  log(`starting a Redis Cluster of ${MASTERS} masters (no replicas)`);
  const cluster = await startBenchCluster({ masters: MASTERS, cpus: cpus.otherCpus });
  let failures = 0;
  try {
    for (const count of o.nodeCounts) {
      log(`starting ${count} Liveline node(s) on the cluster${o.pin ? ' (pinned to CPU 0)' : ''}`);
      const target = await startClusterNodes(cluster, count, { root: o.root, ...cpus, cpuProf: o.cpuProf });
      let res;
      try {
        const warm = await fanoutRun(target, { ...o, ...cpus, seconds: WARMUP_SECONDS });
        if (!warm.valid) log(`warm-up with ${count} node(s) not valid: ${warm.errors.join('; ') || 'loss or duplicates'}`);
        res = await fanoutRun(target, { ...o, ...cpus });
      } finally {
        await target.stop();
      }
      const per = perNode(res, count);
      const cores = per.reduce((a, p) => a + (p.cpuCores ?? 0), 0);
      const redisCores = res.cpuWallSec > 0 ? (res.redisCpuSec ?? 0) / res.cpuWallSec : 0;
      emit({
        mode: 'nodes', pinned: o.pin, nodes: count, cluster: { masters: MASTERS, replicas: 0 }, ...res,
        deliveriesPerSecPerNode: res.achievedDeliveriesPerSec === null ? null : Math.round(res.achievedDeliveriesPerSec / count),
        // what the nodes deliver per core of CPU they used: the capacity figure (docs/capacity.md)
        deliveriesPerServerCoreSec: cores > 0 && res.achievedDeliveriesPerSec ? Math.round(res.achievedDeliveriesPerSec / cores) : null,
        warmupSeconds: WARMUP_SECONDS,
        // machine CPU no process of the run is charged with: kernel softirq (loopback TCP), other processes
        unattributedCores: res.machineBusyPct === null ? null
          : Math.round(100 * ((res.machineBusyPct / 100) * o.cpus - (res.serverCpuUtil ?? 0) - (res.generatorCpuUtil ?? 0) - redisCores)) / 100,
        perNode: per,
      });
      if (!res.valid) failures += 1;
    }
  } finally {
    await cluster.stop();
  }
  return failures;
}

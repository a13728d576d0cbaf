// `npm run chaos -- --seed S --seconds N [--out FILE] [--backend redis|cluster] [--overlap K]`:
// a randomized, bounded chaos run on loopback. A throwaway Redis with AOF behind our fault proxy
// (or a 3-master, 1-replica Redis Cluster), Liveline nodes behind our balancer, editors and
// readers (raw WebSocket, SSE, the SDK) through it, and a seeded schedule of faults, up to K at
// once (faults.mjs); then quiesce, record the run, check it (checker.mjs) and print a summary.
// `npm run chaos -- --long MINUTES …` runs successive seeds instead (long-run.mjs).
// Every process it starts is stopped by its PID; exit 0 clean, 1 on a violation, 2 otherwise.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { ROOT } from '../bench-lib.mjs';
import { parseArgs } from './args.mjs';
import { check } from './checker.mjs';
import { makeNode, startRedis, startRedisCluster, waitReady } from './cluster.mjs';
import { Editors } from './editors.mjs';
import { kindsFor, runFaults, schedule } from './faults.mjs';
import { sleep } from './feed-log.mjs';
import { startBalancer, startFaultProxy } from './net.mjs';
import { catchUp, compact, record, storeState, summary } from './report.mjs';
import { SdkReader } from './sdk-reader.mjs';
import { SseReader } from './sse-reader.mjs';
import { WsReader } from './ws-reader.mjs';

if (process.argv.includes('--long')) {
  const { longRun } = await import('./long-run.mjs');
  process.exit(await longRun(process.argv.slice(2)));
}
const o = parseArgs(process.argv.slice(2), kindsFor);
const t0 = Date.now();
const log = (line) => process.stderr.write(`[chaos ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
const replay = `npm run chaos -- --seed ${o.seed} --seconds ${o.seconds} --backend ${o.backend} --overlap ${o.overlap} --nodes ${o.nodes} --feeds ${o.feeds} --editors ${o.editors}`
  + (o.allFaults ? '' : ` --faults ${o.faults.join(',')}`);
if (!existsSync(path.join(ROOT, 'dist', 'server', 'index.js'))) {
  log('dist/server/index.js is missing: run `npm run build` first');
  process.exit(2);
}
// A run never outlives its bound: faults, then at most ~2 min of quiesce and checking.
const hardStop = setTimeout(() => {
  log(`hard deadline passed; stopping everything (replay: ${replay})`);
  void cleanup().finally(() => process.exit(2));
}, (o.seconds + 150) * 1000);
hardStop.unref();

const feeds = Array.from({ length: o.feeds }, (_, i) => `feed-${i + 1}`);
const token = randomBytes(24).toString('hex');
const plan = schedule(o.seed, o.seconds, o.faults, o.overlap);
const ctx = { redis: null, proxy: null, cluster: null, nodes: [], balancer: null, readers: [], editors: null, feeds };

async function cleanup() {
  for (const r of ctx.readers) r.close();
  await ctx.balancer?.close();
  await Promise.all(ctx.nodes.map((n) => n.terminate(3000)));
  await ctx.proxy?.close();
  await ctx.redis?.destroy();
  await ctx.cluster?.destroy();
}

async function setup() {
  log(`seed ${o.seed}: ${plan.length} faults over ${o.seconds} s on ${o.backend}, at most ${o.overlap} at once; replay with: ${replay}`);
  let store;
  if (o.backend === 'cluster') {
    ctx.cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    // A write is acknowledged once a replica holds it (what the server picks itself with replicas; explicit here).
    store = { REDIS_CLUSTER_NODES: ctx.cluster.seeds, LIVELINE_REDIS_MIN_REPLICAS: process.env.LIVELINE_REDIS_MIN_REPLICAS ?? '1' };
  } else {
    ctx.redis = await startRedis();
    ctx.proxy = await startFaultProxy(ctx.redis.port);
    store = { REDIS_URL: ctx.proxy.url };
  }
  const env = {
    ...store, LIVELINE_EDITOR_TOKENS: `chaos:${token}`, LIVELINE_DRAIN_MS: '500', LIVELINE_EDITOR_WRITES_PER_MINUTE: '1000000',
    // Every reader of ours arrives from 127.0.0.1 (the balancer): its per-address budgets are one page's times many.
    LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '5000', LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '2000', LIVELINE_MAX_CONNECTIONS_PER_IP: '5000',
    LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND: '1000000',
  };
  for (let i = 0; i < o.nodes; i++) ctx.nodes.push(await makeNode(i, env));
  await Promise.all(ctx.nodes.map((n) => n.start()));
  ctx.balancer = await startBalancer(() => ctx.nodes.map((n) => n.port));
  log(`${ctx.cluster ? `redis cluster ${ctx.cluster.servers.map((x) => `pid ${x.pid} :${x.port}`).join(', ')} (3 masters, 1 replica each, AOF)` : `redis-server pid ${ctx.redis.pid} :${ctx.redis.port} (AOF) behind proxy :${ctx.proxy.port}`}; nodes ${ctx.nodes.map((n) => `pid ${n.child.pid} :${n.port}`).join(', ')}; balancer :${ctx.balancer.port}`);
  for (const id of feeds) {
    const res = await fetch(`${ctx.balancer.url}/v1/feeds`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ id, title: `Chaos ${id}`, status: 'live' }),
    });
    if (res.status !== 201) throw new Error(`creating ${id}: ${res.status} ${await res.text()}`);
  }
  const base = ctx.balancer.url;
  ctx.readers.push(new WsReader('ws-1', base, feeds), new WsReader('ws-2', base, feeds), new SseReader('sse-1', base, feeds), new SdkReader('sdk-1', base, feeds), new SdkReader('sdk-2', base, feeds));
  const deadline = Date.now() + 15_000;
  while (ctx.readers.some((r) => [...r.logs.values()].some((l) => l.position < 0))) {
    if (Date.now() > deadline) throw new Error('readers did not start within 15 s');
    await sleep(50);
  }
  await sleep(300); // every reader's subscribe is in before the first write
}

/** Faults stopped: everything runs again, editors stop, readers catch up (bounded). */
async function quiesce() {
  if (ctx.cluster) {
    for (const x of ctx.cluster.servers) x.signal('SIGCONT');
    for (const x of ctx.cluster.servers) if (x.pid === null) await x.start();
    try {
      await ctx.cluster.waitHealthy(30_000);
    } catch (err) {
      log(err.message);
    }
  } else {
    ctx.proxy.heal();
    ctx.redis.signal('SIGCONT');
    if (ctx.redis.pid === null) await ctx.redis.start();
  }
  for (const n of ctx.nodes) if (!n.running) await n.start();
  for (const n of ctx.nodes) if (!(await waitReady(n.url, 20_000))) log(`node ${n.index} not ready 20 s after the faults:\n${n.tail()}`);
  await ctx.editors.stop();
  let store = await storeState(ctx.balancer.url, feeds);
  const behind = await catchUp(ctx.readers, store, 30_000);
  if (behind.length > 0) log(`not caught up within 30 s: ${behind.join('; ')}`);
  store = await storeState(ctx.balancer.url, feeds);
  return store;
}

let code = 2;
try {
  await setup();
  ctx.editors = new Editors({ base: ctx.balancer.url, token, feeds, count: o.editors, seed: o.seed, runId: `r${o.seed}` });
  const faultsStart = Date.now();
  const faults = await runFaults(ctx, plan, faultsStart, log, () => Date.now() - faultsStart > o.seconds * 1000 + 5000, o.overlap);
  log('faults over: quiescing');
  const store = await quiesce();
  const run = record({ seed: o.seed, seconds: o.seconds, backend: o.backend, overlap: o.overlap, t0: faultsStart, feeds, editors: ctx.editors, readers: ctx.readers, store, faults, schedule: plan });
  const violations = check(run);
  run.violations = violations;
  run.replay = replay;
  run.compact = compact(run, violations);
  if (o.out !== null) writeFileSync(o.out, JSON.stringify(run));
  process.stdout.write(`${summary(run, ctx.editors, violations, ctx.readers)}\n`);
  if (violations.length > 0) {
    process.stdout.write(`violations:\n- ${violations.slice(0, 50).join('\n- ')}${violations.length > 50 ? `\n… ${violations.length - 50} more` : ''}\n`);
    process.stdout.write(`schedule: ${JSON.stringify(plan)}\nreplay: ${replay}\n`);
  }
  code = violations.length === 0 ? 0 : 1;
} catch (err) {
  log(`run failed: ${err.stack ?? err}\nreplay: ${replay}`);
  for (const n of ctx.nodes) log(`node ${n.index} last output:\n${n.tail()}`);
} finally {
  await cleanup();
}
clearTimeout(hardStop);
process.exit(code);

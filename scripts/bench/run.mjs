// One fan-out run against a started target: readers spread over worker processes, one
// publisher process, then the figures as one result object (a JSON line for main.mjs).
//
// Measuring window: from the first post to the last delivery, plus one post interval. The publisher stops posting after
// `seconds`; the window then stays open until every reader has every acknowledged post, or for
// at most `drainCap` seconds (the backlog an overloaded server built up is drained and counted,
// but not forever; what is missing then is lost). Achieved deliveries/s = distinct deliveries /
// window. Server, Redis and generator CPU are read from /proc at the window's start and end.
import { setTimeout as sleep } from 'node:timers/promises';
import { machineCpu } from '../bench-lib.mjs';
import { mergeInto, newHistogram, summary } from './histogram.mjs';
import { startWorker } from './ipc.mjs';
import { sumCpu, sumRss } from './procs.mjs';

const r1 = (x) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10) / 10);
const r3 = (x) => (x === null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);

/** Source addresses for readers, so that 20,000 connections don't run out of ephemeral ports. */
export const LOCAL_ADDRESSES = Array.from({ length: 8 }, (_, k) => `127.0.0.${k + 1}`);

/**
 * Starts `workers` reader workers and connects `readers` readers of `channel` over them.
 * @returns {Promise<{workers: object[], opened: number, failures: number, sample: string|null, ms: number}>}
 */
export async function connectReaders(channel, { readers, workers, cpus, maxIds, batch = 200 }) {
  const n = Math.max(1, Math.min(workers, readers));
  const ws = [];
  let first = 0;
  for (let k = 0; k < n; k++) {
    const count = Math.floor(readers / n) + (k < readers % n ? 1 : 0);
    const w = startWorker('reader-worker.mjs', `reader worker ${k + 1}`, cpus);
    ws.push({ w, count, first });
    first += count;
  }
  const started = Date.now();
  const replies = await Promise.all(ws.map(({ w, count, first: f }) => w.call('connect', {
    cfg: {
      protocol: channel.protocol, feed: channel.feed, subscribe: channel.subscribe, count, first: f, maxIds, batch,
      // reader i of this worker is reader f + i overall: keep the node alternation global
      urls: channel.wsUrls.map((_, j) => channel.wsUrls[(f + j) % channel.wsUrls.length]),
      localAddresses: LOCAL_ADDRESSES,
    },
  }, 300_000)));
  return {
    workers: ws.map((x) => x.w),
    opened: replies.reduce((a, r) => a + r.opened, 0),
    failures: replies.reduce((a, r) => a + r.failures, 0),
    sample: replies.find((r) => r.sample !== null)?.sample ?? null,
    ms: Date.now() - started,
  };
}

export async function stopWorkers(workers) {
  await Promise.all(workers.map(async (w) => {
    try {
      await w.call('close', {}, 10_000);
    } catch {
      // it may already be gone; stop() below kills it by PID if not
    }
    await w.stop();
  }));
}

/**
 * One fan-out run. `rate` is posts/s; offered deliveries/s = rate x readers.
 * @param {import('./targets.mjs').Target} target
 */
export async function fanoutRun(target, o) {
  const channel = await target.newChannel(o.payload);
  const maxIds = Math.ceil(o.rate * o.seconds) + 1;
  const result = {
    target: target.name, readers: o.readers, rate: o.rate, seconds: o.seconds, payload: o.payload, frameBytes: channel.frameBytes,
    offeredDeliveriesPerSec: Math.round(o.rate * o.readers), workers: o.workers, concurrency: o.concurrency,
  };
  const errors = [];
  let workers = [];
  try {
    const c = await connectReaders(channel, { readers: o.readers, workers: o.workers, cpus: o.otherCpus, maxIds });
    workers = c.workers;
    Object.assign(result, { readersOpened: c.opened, openFailures: c.failures, connectMs: c.ms });
    if (c.sample !== null) errors.push(c.sample);
    if (c.opened === 0) throw new Error('no reader could connect');
    await sleep(1000);
    const rssBefore = sumRss(target.serverPids());
    const genPids = () => workers.map((w) => w.pid);
    const publisher = startWorker('publisher-worker.mjs', 'publisher', o.otherCpus);
    const allGen = () => [...genPids(), publisher.pid];
    await target.loopDelay(); // starts the nodes' event-loop delay afresh
    const cpu0 = { server: sumCpu(target.serverPids()), each: target.serverPids().map((p) => sumCpu([p])), redis: sumCpu(target.redisPids()), gen: sumCpu(allGen()), machine: machineCpu() };
    const pub = await publisher.call('publish', {
      cfg: { ...channel.publish, rate: o.rate, seconds: o.seconds, concurrency: o.concurrency, timeoutMs: 15_000 },
    }, (o.seconds + 60) * 1000);
    const pubCpu = sumCpu([publisher.pid]);
    await publisher.stop();
    const expected = pub.ok * c.opened;
    const drainCapMs = o.drainCap * 1000;
    const drainStart = Date.now();
    let prog = [];
    for (;;) {
      prog = await Promise.all(workers.map((w) => w.call('progress', {}, 10_000)));
      if (prog.reduce((a, p) => a + p.distinct, 0) >= expected || Date.now() - drainStart > drainCapMs) break;
      await sleep(50);
    }
    const cpu1 = { server: sumCpu(target.serverPids()), each: target.serverPids().map((p) => sumCpu([p])), redis: sumCpu(target.redisPids()), gen: sumCpu(genPids()) + pubCpu, machine: machineCpu() };
    const rssEnd = sumRss(target.serverPids());
    const loopDelayMs = (await target.loopDelay()).filter((d) => d !== null);
    const parts = await Promise.all(workers.map((w) => w.call('finish', { posts: pub.ok }, 30_000)));
    const hist = newHistogram();
    const sum = (k) => parts.reduce((a, p) => a + p[k], 0);
    for (const p of parts) mergeInto(hist, p.hist);
    const lastAt = Math.max(...parts.map((p) => p.lastAt ?? -Infinity));
    // n posts span n - 1 intervals: add one, so that a run at a steady rate reports that rate
    const intervalMs = pub.sent > 1 ? (pub.lastAt - pub.firstAt) / (pub.sent - 1) : 1000 / o.rate;
    const windowSec = Number.isFinite(lastAt) && pub.firstAt !== null ? (lastAt - pub.firstAt + intervalMs) / 1000 : null;
    const deliveries = sum('distinct');
    const serverCpu = cpu1.server - cpu0.server;
    const genCpu = cpu1.gen - cpu0.gen;
    const wallSec = (cpu1.machine.total - cpu0.machine.total) / (o.cpus || 1);
    Object.assign(result, {
      posts: { offered: pub.offered, sent: pub.sent, ok: pub.ok, errors: pub.errors, retries: pub.retries, achievedRate: pub.achievedRate, httpMs: pub.httpMs },
      deliveries,
      expected,
      achievedDeliveriesPerSec: windowSec ? Math.round(deliveries / windowSec) : null,
      windowSec: r3(windowSec),
      postWindowSec: pub.lastAt !== null ? r3((pub.lastAt - pub.firstAt) / 1000) : null,
      drainSec: pub.lastAt !== null && Number.isFinite(lastAt) ? r3(Math.max(0, lastAt - pub.lastAt) / 1000) : null,
      drainCapped: deliveries < expected,
      lost: sum('lost'),
      duplicated: sum('duplicates'),
      outOfOrder: sum('outOfOrder'),
      extra: sum('extra'),
      badFrames: sum('badFrames') + sum('unexpected'),
      noTimestamp: sum('noTimestamp'),
      unexpectedCloses: sum('closes'),
      readersIncomplete: sum('readersIncomplete'),
      latencyMs: summary(hist),
      serverCpuSec: r3(serverCpu),
      serverCpuUsPerDelivery: deliveries > 0 ? r3((serverCpu * 1e6) / deliveries) : null,
      serverCpuUtil: wallSec > 0 ? r3(serverCpu / wallSec) : null,
      serverCpuSecPerProcess: cpu1.each.map((c, k) => r3(c - cpu0.each[k])), // per Liveline node (nginx: master, worker)
      cpuWallSec: r3(wallSec),
      redisCpuSec: target.redisPids().length > 0 ? r3(cpu1.redis - cpu0.redis) : null,
      generatorCpuSec: r3(genCpu),
      generatorCpuUtil: wallSec > 0 ? r3(genCpu / wallSec) : null,
      // its CPUs nearly used up: the generator, not the server, may be what limits the figures
      generatorSaturated: wallSec > 0 && genCpu / wallSec >= 0.9 * (o.otherCpus === null ? o.cpus : o.cpus - 1),
      machineBusyPct: cpu1.machine.total > cpu0.machine.total ? Math.round((100 * (cpu1.machine.busy - cpu0.machine.busy)) / (cpu1.machine.total - cpu0.machine.total)) : null,
      serverRssKB: { withReaders: rssBefore, end: rssEnd },
      // the event loop's longest stall and p99 during the run, per Liveline node (none for nchan)
      serverLoopDelayMs: loopDelayMs.length > 0 ? loopDelayMs : null,
      serverErrorLogs: target.errorLogs(),
    });
    for (const p of parts) {
      if (p.unexpectedSample) errors.push(`unexpected frame: ${p.unexpectedSample}`);
      if (p.closeSample) errors.push(p.closeSample);
    }
    if (pub.errorSample) errors.push(pub.errorSample);
  } catch (err) {
    errors.push(String(err?.message ?? err));
    result.failed = true;
  } finally {
    await stopWorkers(workers);
  }
  result.errors = errors.slice(0, 5);
  result.valid = !result.failed && result.lost === 0 && result.duplicated === 0 && result.outOfOrder === 0 && result.extra === 0
    && result.badFrames === 0 && result.posts?.errors === 0 && result.openFailures === 0 && result.unexpectedCloses === 0;
  return result;
}

/**
 * Idle connections: RSS of the server processes before and after `n` subscribed, silent readers.
 * @param {import('./targets.mjs').Target} target
 */
export async function idleRun(target, o) {
  const channel = await target.newChannel(o.payload);
  // every reader to the first node only
  const one = { ...channel, wsUrls: channel.wsUrls.slice(0, 1) };
  await sleep(1000);
  const pids = target.serverPids().slice(0, target.name === 'nchan' ? undefined : 1);
  const rssBefore = sumRss(pids);
  const cpuBefore = sumCpu(pids);
  const errors = [];
  const result = { target: target.name, connections: o.idle, workers: o.workers };
  let workers = [];
  try {
    const c = await connectReaders(one, { readers: o.idle, workers: o.workers, cpus: o.otherCpus, maxIds: 1, batch: 500 });
    workers = c.workers;
    if (c.sample !== null) errors.push(c.sample);
    const cpuConnect = sumCpu(pids) - cpuBefore;
    await sleep(3000); // let the server settle before reading its memory
    const rssAfter = sumRss(pids);
    Object.assign(result, {
      opened: c.opened,
      openFailures: c.failures,
      connectSec: r3(c.ms / 1000),
      connectServerCpuSec: r3(cpuConnect),
      serverRssKB: { before: rssBefore, after: rssAfter },
      rssPerConnectionKB: c.opened > 0 ? r1((rssAfter - rssBefore) / c.opened) : null,
    });
  } catch (err) {
    errors.push(String(err?.message ?? err));
    result.failed = true;
  } finally {
    await stopWorkers(workers);
  }
  result.errors = errors.slice(0, 5);
  result.valid = !result.failed && result.openFailures === 0;
  return result;
}

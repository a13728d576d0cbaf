// `--restart N`: a node restart under N readers. Two Liveline nodes, A and B, on one throwaway
// redis-server, both with LIVELINE_DRAIN_MS = --drain-ms (default 0). A feed gets 10 entries; N
// readers (restart-worker.mjs, spread over --workers processes) subscribe on A from that seq and
// epoch. t0 = SIGTERM to A (by PID): A closes them (1012) spread over the drain; each reconnects to
// B after the SDK's full-jitter backoff and resumes from its cursor while --entries-during entries
// are posted to B, spread over max(1 s, drain). The run ends once every reader holds the last seq
// on B (at most WAVE_CAP_MS after the last post). Node B's CPU and RSS are sampled every 250 ms.
// Figures: restart-stats.mjs.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTimes, machineCpu, memoryKb } from '../bench-lib.mjs';
import { startWorker } from './ipc.mjs';
import { api, startNode } from './liveline.mjs';
import { alive, startRedis, stopProcess, sumCpu } from './procs.mjs';
import { restartResult } from './restart-stats.mjs';
import { stopWorkers } from './run.mjs';

const nowMs = () => performance.timeOrigin + performance.now();
const ENTRIES_BEFORE = 10;
const WAVE_CAP_MS = 60_000;
// Source addresses: every reader connects twice (A, then B) and each socket is bound to its
// address before connecting, so the kernel's port search per bind grows with the ports in use,
// TIME_WAIT ones from the runs just before included (8 addresses made back-to-back runs' client
// spend 7 s in the kernel). 64 addresses keep it at a few hundred ports each.
const LOCAL_ADDRESSES = Array.from({ length: 64 }, (_, k) => `127.0.0.${k + 1}`);

/** Redis, then node A and node B (only B gets --cpu-prof: A is the one that exits). Pinned: B alone on `serverCpus`. */
async function startPair(o) {
  const stops = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  try {
    const redis = await startRedis(o.otherCpus);
    stops.push(redis.stop);
    const prefix = `llbench${randomBytes(3).toString('hex')}`;
    const common = { root: o.root, redisUrl: redis.url, prefix, drainMs: o.drainMs };
    const a = await startNode({ ...common, cpus: o.otherCpus, cpuProf: null, name: 'liveline node A' });
    stops.push(() => stopProcess(a.child, o.drainMs + 10_000));
    const b = await startNode({ ...common, cpus: o.serverCpus, cpuProf: o.cpuProf, name: 'liveline node B' });
    stops.push(b.stop);
    return { redis, a, b, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function post(url, feed, headline) {
  const r = await api(url, 'POST', `/v1/feeds/${feed}/entries`, { headline, body: '<p>Restart benchmark entry.</p>' });
  if (r.status !== 201) throw new Error(`post to ${feed}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  return JSON.parse(r.text).seq;
}

/** utime and stime summed over `pids`, seconds (a PID that is gone counts 0). */
function times(pids) {
  const t = { user: 0, sys: 0 };
  for (const pid of pids) {
    try {
      const x = cpuTimes(pid);
      t.user += x.user;
      t.sys += x.sys;
    } catch {
      // exited
    }
  }
  return t;
}

/** Node B's peak CPU (cores, over >= 200 ms) and RSS while the wave runs; node A's CPU until it exits. */
function sampler(pid, aPid) {
  const s = { peakCores: 0, peakRssKB: 0, aCpu: sumCpu([aPid]) };
  let prev = { t: performance.now(), cpu: sumCpu([pid]) };
  const timer = setInterval(() => {
    const t = performance.now();
    const cpu = sumCpu([pid]);
    if (t - prev.t >= 200) {
      s.peakCores = Math.max(s.peakCores, (cpu - prev.cpu) / ((t - prev.t) / 1000));
      prev = { t, cpu };
    }
    s.aCpu = Math.max(s.aCpu, sumCpu([aPid]));
    try {
      s.peakRssKB = Math.max(s.peakRssKB, memoryKb(pid).rss);
    } catch {
      // gone
    }
  }, 250);
  return { s, stop: () => clearInterval(timer) };
}

/** Splits `readers` over `workers` restart workers and subscribes them all on node A. */
async function connectRestartReaders(o, base) {
  const n = Math.max(1, Math.min(o.workers, o.restart));
  const ws = [];
  let first = 0;
  for (let k = 0; k < n; k++) {
    const count = Math.floor(o.restart / n) + (k < o.restart % n ? 1 : 0);
    ws.push({ w: startWorker('restart-worker.mjs', `restart worker ${k + 1}`, o.otherCpus), count, first });
    first += count;
  }
  const started = Date.now();
  const replies = await Promise.all(ws.map(({ w, count, first: f }) => w.call('connect', {
    cfg: { ...base, count, first: f, batch: 200, localAddresses: LOCAL_ADDRESSES },
  }, 300_000)));
  return {
    workers: ws.map((x) => x.w),
    opened: replies.reduce((a, r) => a + r.opened, 0),
    failures: replies.reduce((a, r) => a + r.failures, 0),
    sample: replies.find((r) => r.sample !== null)?.sample ?? null,
    ms: Date.now() - started,
  };
}

const all = (workers, cmd, body, ms = 10_000) => Promise.all(workers.map((w) => w.call(cmd, body, ms)));

export async function restartRun(o) {
  const E = o.entriesDuring;
  const postWindowMs = Math.max(1000, o.drainMs);
  const res = { target: 'two-nodes', readers: o.restart, workers: Math.min(o.workers, o.restart), drainMs: o.drainMs, entriesBefore: ENTRIES_BEFORE, entriesDuring: E, postWindowMs };
  const errors = [];
  const pair = await startPair(o);
  let workers = [];
  const m = { posts: { ok: 0, errors: 0, lastPostMs: null, seqs: [] }, aExit: null };
  try {
    const feed = `restart-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const created = await api(pair.a.url, 'POST', '/v1/feeds', { id: feed, title: 'Restart benchmark', status: 'live' });
    if (created.status !== 201) throw new Error(`creating feed ${feed}: HTTP ${created.status} ${created.text.slice(0, 200)}`);
    for (let k = 0; k < ENTRIES_BEFORE; k++) await post(pair.a.url, feed, `before ${k + 1}`);
    const snap = JSON.parse((await api(pair.a.url, 'GET', `/v1/feeds/${feed}`)).text);
    const ws = (u) => `${u.replace(/^http/, 'ws')}/v1/ws`;
    const c = await connectRestartReaders(o, {
      feed, epoch: snap.epoch, baseSeq: snap.seq, entries: E, urls: [ws(pair.a.url), ws(pair.b.url)], httpA: pair.a.url, httpB: pair.b.url,
    });
    workers = c.workers;
    Object.assign(res, { baseSeq: snap.seq, readersOpened: c.opened, openFailures: c.failures, connectSec: Math.round(c.ms / 100) / 10 });
    if (c.sample !== null) errors.push(c.sample);
    if (c.opened === 0) throw new Error('no reader could connect');
    await sleep(1000);
    const bPid = pair.b.child.pid;
    const wPids = workers.map((w) => w.pid);
    m.bRssBeforeKB = memoryKb(bPid).rss;
    await all(workers, 'arm', {});
    await pair.b.loopDelay();
    const samp = sampler(bPid, pair.a.child.pid);
    const cpuNow = () => ({ b: times([bPid]), client: times(wPids), redis: sumCpu([pair.redis.child.pid]), machine: machineCpu() });
    m.cpu0 = { ...cpuNow(), a: samp.s.aCpu };
    m.t0 = nowMs();
    pair.a.child.once('exit', (code, signal) => {
      m.aExit = { code, signal, atMs: nowMs() - m.t0 };
    });
    pair.a.child.kill('SIGTERM'); // by its PID: the node this run started
    // the entries during the wave: open loop, spread evenly from t0 over the post window
    const posts = [];
    for (let k = 0; k < E; k++) {
      const wait = (E > 1 ? (k * postWindowMs) / (E - 1) : 0) - (nowMs() - m.t0);
      if (wait > 1) await sleep(wait);
      m.posts.lastPostMs = nowMs() - m.t0;
      posts.push(post(pair.b.url, feed, `during ${k + 1}`).then((seq) => {
        m.posts.ok += 1;
        m.posts.seqs.push(seq);
      }, (err) => {
        m.posts.errors += 1;
        errors.push(String(err.message));
      }));
    }
    await Promise.all(posts);
    m.finalSeq = m.posts.seqs.length > 0 ? Math.max(...m.posts.seqs) : snap.seq;
    await all(workers, 'target', { seq: m.finalSeq });
    const capAt = Date.now() + WAVE_CAP_MS;
    let doneCount = 0;
    for (;;) {
      doneCount = (await all(workers, 'progress', {})).reduce((a, p) => a + p.readersDone, 0);
      if (doneCount >= c.opened || Date.now() > capAt) break;
      await sleep(50);
    }
    m.waveMs = nowMs() - m.t0;
    m.capped = doneCount < c.opened;
    samp.stop();
    m.cpu1 = { ...cpuNow(), a: samp.s.aCpu };
    m.bRssEndKB = memoryKb(bPid).rss;
    m.bPeak = samp.s;
    m.bLoopDelay = await pair.b.loopDelay();
    await Promise.race([pair.a.child.exited, sleep(o.drainMs + 20_000)]);
    await sleep(500); // anything arriving after this would be a duplicate or an extra event
    m.parts = await all(workers, 'finish', { final: m.finalSeq }, 30_000);
    m.aAlive = alive(pair.a.child);
    m.bErrorLogs = pair.b.errors.count;
    m.aErrorLogs = pair.a.errors.count;
  } catch (err) {
    errors.push(String(err?.message ?? err));
    res.failed = true;
  } finally {
    await stopWorkers(workers);
    await pair.stop();
  }
  return restartResult(res, m, errors, o);
}

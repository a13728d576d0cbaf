#!/usr/bin/env node
// What a shared cache in front of Liveline saves the origin, measured on loopback:
//   node scripts/cdn/main.mjs [--readers 200] [--seconds 20] [--baseline-seconds 8]
//
// Needs `npm run build` (builds nothing itself) and nginx (installed with apt-get when
// /usr/sbin/nginx is missing). It starts one embedded Liveline node and nginx running
// deploy/nginx-cache.conf in front of it (scripts/cdn/nginx.mjs), creates a feed with 20
// entries, and has an editor post one entry at once (so that an older page exists: snapshots
// hold 20) and then every 2 s, directly to the node. After 2 s of readers straight to the
// node to warm it up (its JIT; not measured):
//   1. through nginx, --seconds: --readers simulated page loads at once, each the snapshot
//      then one older page, again and again after 50-250 ms (scripts/cdn/reader-worker.mjs);
//   2. baseline, --baseline-seconds: the same readers straight to the node.
// Each phase: requests readers got (client side) and X-Cache-Status, requests that reached
// the node (its liveline_http_requests_total, scraped from its metrics port), the node's CPU
// (utime+stime from /proc/<pid>/stat), latency, and how stale the snapshots were.
// Prints a summary on stderr and ONE JSON line on stdout. Every run is bounded (about
// --seconds + --baseline-seconds + 12 s) and stops exactly what it started, by PID, also
// on error and on SIGINT/SIGTERM (a second signal exits at once).
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, gitState, machineCpu, preflight } from '../bench-lib.mjs';
import { startWorker } from '../bench/ipc.mjs';
import { ensureNginx, nginxVersion, startNginx } from './nginx.mjs';
import { MissingBuild, checkBuild, editor, httpRequests, startOrigin } from './origin.mjs';
import { humanSummary, phaseSummary } from './stats.mjs';

const THINK_MS = [50, 250];
const POST_EVERY_MS = 2000;
const INITIAL_ENTRIES = 20;
const WARMUP_S = 2;
const log = (s) => process.stderr.write(`cdn: ${s}\n`);

class UsageError extends Error {}

function parseArgs(argv) {
  const o = { readers: 200, seconds: 20, baselineSeconds: null };
  const names = { '--readers': 'readers', '--seconds': 'seconds', '--baseline-seconds': 'baselineSeconds' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    if (flag === '--help' || flag === '-h') throw new UsageError('usage: node scripts/cdn/main.mjs [--readers N] [--seconds S] [--baseline-seconds B]');
    if (!(flag in names)) throw new UsageError(`unknown argument ${argv[i]}`);
    const v = inline ?? argv[++i];
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${flag} needs a whole number of at least 1`);
    o[names[flag]] = Number(v);
  }
  if (o.readers > 5000) throw new UsageError('--readers: at most 5000');
  if (o.seconds > 300) throw new UsageError('--seconds: at most 300');
  o.baselineSeconds ??= Math.max(3, Math.round(o.seconds * 0.4));
  if (o.baselineSeconds > 300) throw new UsageError('--baseline-seconds: at most 300');
  return o;
}

/** max-age and stale-while-revalidate of the node's snapshots, from its Cache-Control. */
async function cachePolicy(url, feed) {
  const res = await fetch(`${url}/v1/feeds/${feed}`, { signal: AbortSignal.timeout(10_000) });
  await res.text();
  const cc = res.headers.get('cache-control') ?? '';
  const num = (name) => Number(new RegExp(`${name}=(\\d+)`).exec(cc)?.[1] ?? 0);
  return { cache_control: cc, max_age_s: num('max-age'), stale_while_revalidate_s: num('stale-while-revalidate') };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  checkBuild();
  ensureNginx(log);
  // A stale build, too few file descriptors, and how busy the machine was (other work skews every figure).
  const busyBefore = await preflight('cdn', o.readers * 3);

  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig) => {
    signals += 1;
    if (signals > 1) process.exit(130); // procs.mjs's exit hook kills what is still running, by PID
    log(`${sig}: stopping what this run started`);
    ac.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interrupted = new Promise((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }));
  interrupted.catch(() => {});
  const step = (p) => Promise.race([p, interrupted]);

  const stops = []; // run in reverse, whatever happens
  const editorStop = new AbortController();
  let editing = null;
  try {
    const origin = await step(startOrigin());
    stops.push(origin.stop);
    log(`liveline node PID ${origin.pid} on ${origin.url}, metrics ${origin.metricsUrl}`);
    const nginx = await step(startNginx({ upstream: origin.hostPort, log }));
    stops.push(nginx.stop);
    const worker = startWorker('../cdn/reader-worker.mjs', 'readers', null);
    stops.push(worker.stop);
    const ownCpu = () => {
      const self = process.cpuUsage();
      return cpuSeconds(origin.pid) + nginx.cpu() + cpuSeconds(worker.pid) + (self.user + self.system) / 1e6;
    };

    const desk = editor(origin);
    const feed = await step(desk.createFeed(INITIAL_ENTRIES));
    const policy = await step(cachePolicy(origin.url, feed));
    log(`feed ${feed}: ${INITIAL_ENTRIES} entries; snapshots say "${policy.cache_control}"`);
    editing = desk.postEvery(feed, POST_EVERY_MS, editorStop.signal);

    const phase = async (name, url, seconds, withNginx) => {
      log(`${name}: ${o.readers} readers for ${seconds} s → ${url}`);
      const before = await step(httpRequests(origin.metricsUrl));
      const cpu0 = cpuSeconds(origin.pid);
      const nginx0 = withNginx ? nginx.cpu() : 0;
      const [machine0, own0] = [machineCpu(), ownCpu()];
      const { result } = await step(worker.call('run', { url, feed, readers: o.readers, seconds, thinkMs: THINK_MS }, (seconds + 30) * 1000));
      await step(sleep(300)); // background refreshes still in flight land
      const cpu = cpuSeconds(origin.pid) - cpu0;
      const nginxCpu = withNginx ? nginx.cpu() - nginx0 : null;
      const [machine1, own1] = [machineCpu(), ownCpu()];
      const after = await step(httpRequests(origin.metricsUrl));
      const summary = phaseSummary({ result, before, after, cpu, nginxCpu, posts: desk.posts });
      // Other work on the machine skews every figure: how much of its CPU went to processes not ours.
      const total = machine1.total - machine0.total;
      summary.machine = {
        busy_pct: Math.round((100 * (machine1.busy - machine0.busy)) / total),
        others_pct: Math.max(0, Math.round((100 * (machine1.busy - machine0.busy - (own1 - own0))) / total)),
      };
      return summary;
    };
    log(`warm-up: ${o.readers} readers for ${WARMUP_S} s straight to the node (not measured)`);
    await step(worker.call('run', { url: origin.url, feed, readers: o.readers, seconds: WARMUP_S, thinkMs: THINK_MS }, 60_000));
    const cached = await phase('through nginx', nginx.url, o.seconds, true);
    const direct = await phase('baseline, straight to the node', origin.url, o.baselineSeconds, false);
    editorStop.abort();
    const editorStats = await editing;

    // A copy expires max-age after nginx stored it, as nginx's whole-second clock sees it (up
    // to 1 s later), and is replaced one origin request after the next reader asks.
    const uncachedMax = cached.latency_ms.uncached.max ?? 0;
    cached.staleness.bound_ms = Math.round(policy.max_age_s * 1000 + 1000 + uncachedMax);
    cached.staleness.within_bound = cached.staleness.max_ms === null || cached.staleness.max_ms <= cached.staleness.bound_ms;
    const perLoad = (p) => (p.page_loads === 0 ? null : Math.round((p.origin_requests / p.page_loads) * 1000) / 1000);
    const report = {
      bench: 'liveline-cdn',
      command: `node scripts/cdn/main.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
      git: gitState(),
      nginx: nginxVersion(),
      node: process.version,
      machine_busy_before_pct: Math.round(busyBefore * 100),
      readers: o.readers,
      think_ms: THINK_MS,
      initial_entries: INITIAL_ENTRIES,
      warmup_s: WARMUP_S,
      post_every_ms: POST_EVERY_MS,
      posts: desk.posts.length,
      post_failures: editorStats.failures,
      ...policy,
      behind_nginx: cached,
      direct,
      compare: {
        origin_requests_per_page_load: { behind_nginx: perLoad(cached), direct: perLoad(direct) },
        origin_cpu_us_per_page_load: { behind_nginx: cached.origin_cpu_us_per_page_load, direct: direct.origin_cpu_us_per_page_load },
        origin_cpu_saved_pct: direct.origin_cpu_us_per_page_load
          ? Math.round(1000 - (1000 * cached.origin_cpu_us_per_page_load) / direct.origin_cpu_us_per_page_load) / 10 : null,
      },
    };
    process.stderr.write(`${humanSummary(report)}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
    if (cached.failed + direct.failed > 0) process.exitCode = 1;
  } finally {
    editorStop.abort();
    await editing?.catch(() => {});
    for (const stop of stops.reverse()) await stop().catch((err) => log(`stopping: ${err.message}`));
  }
}

main().catch((err) => {
  if (err instanceof UsageError || err instanceof MissingBuild) {
    process.stderr.write(`cdn: ${err.message}\n`);
    process.exit(err instanceof UsageError && /^usage/.test(err.message) ? 0 : 2);
  }
  if (/^interrupted by/.test(err.message)) {
    process.stderr.write(`cdn: ${err.message}; everything this run started is stopped\n`);
    process.exit(130);
  }
  process.stderr.write(`cdn: ${err.stack ?? err.message}\n`);
  process.exit(1);
});

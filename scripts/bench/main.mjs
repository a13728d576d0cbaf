#!/usr/bin/env node
// `npm run bench`: Liveline (embedded, on Redis, two nodes on Redis) side by side with
// nginx + Nchan, same load generator, same ~500-byte deliveries. See args.mjs for options.
//
// With no arguments it runs the full comparison and writes docs/benchmarks.md:
//   1. saturation, pinned (server on CPU 0): 1,000 readers, 400 posts/s = 400k deliveries/s
//      offered, 10 s, for all four targets               (~15 s each, ~1 min)
//   2. sweep, unpinned, 1,000 readers, embedded/redis/nchan  (~14 s per step; each stops at the
//      first rate with p99 >= 250 ms or any loss: 2-6 steps, ~3-4 min)
//   3. idle, 15,000 connections, embedded and nchan       (~25 s)
//   4. restart, 10,000 readers moved from node A to node B, drain 0  (~20 s)
//   5. nodes: 1, 2 and 4 nodes on one Redis Cluster, 1,000 readers, 150 posts/s  (~70 s)
// On the 2-vCPU dev machine that is about 6 minutes in all; at worst (every sweep running through
// all 9 rates) about 10 minutes. Every run is bounded: posting time + a capped drain.
//
// Every process it starts (Liveline nodes, redis-server, nginx, generator workers) is its own
// child, stopped by PID; temp dirs are removed. Redis is always a throwaway redis-server on a
// free port, never the one on 6379.
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { ROOT, machineCpu, softFdLimit } from '../bench-lib.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, statSync } from 'node:fs';
import { NODES_DEFAULT_RATE, cpuSets, parseArgs } from './args.mjs';
import { human } from './human.mjs';
import { nchanVersions } from './nchan.mjs';
import { writeDoc } from './report.mjs';
import { restartRun } from './restart-run.mjs';
import { nodesRun } from './nodes-run.mjs';
import { fanoutRun, idleRun } from './run.mjs';
import { startTarget } from './targets.mjs';

const SWEEP_P99_LIMIT_MS = 250;
const log = (s) => process.stderr.write(`bench: ${s}\n`);

const o = parseArgs(process.argv.slice(2));
const lines = [];
let failures = 0;

function commitOf(dir) {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (err) {
    return `unknown (${err.message.split('\n')[0]})`;
  }
}

const context = {
  root: o.root,
  commit: commitOf(o.root),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
};

function emit(res) {
  const line = JSON.stringify({ bench: 'liveline-vs-nchan', ...context, ...res });
  lines.push(line);
  process.stdout.write(`${line}\n`);
  if (o.out !== null) appendFileSync(o.out, `${line}\n`);
  process.stderr.write(`${human({ ...context, ...res })}\n`);
}

/** Starts `name`, runs `fn(target)`, always stops it. */
async function withTarget(name, pin, fn) {
  const cpus = cpuSets(o, pin);
  log(`starting ${name}${pin ? ' (server pinned to CPU 0)' : ''}`);
  const target = await startTarget(name, { root: o.root, ...cpus, cpuProf: o.cpuProf, log });
  try {
    return await fn(target, cpus);
  } finally {
    await target.stop();
  }
}

async function fixed(name, pin, mode, overrides = {}) {
  return withTarget(name, pin, async (target, cpus) => {
    const res = await fanoutRun(target, { ...o, ...cpus, ...overrides });
    emit({ mode, pinned: pin, ...res });
    if (!res.valid) failures += 1;
    return res;
  });
}

async function sweep(name, pin) {
  return withTarget(name, pin, async (target, cpus) => {
    let best = null;
    let stoppedBy = 'rates exhausted';
    for (const deliveries of o.rates) {
      const rate = deliveries / o.readers;
      const res = await fanoutRun(target, { ...o, ...cpus, rate });
      const clean = res.valid && res.latencyMs?.p99 !== null && res.latencyMs.p99 < SWEEP_P99_LIMIT_MS && !res.drainCapped;
      emit({ mode: 'sweep', pinned: pin, step: deliveries, clean, ...res });
      // Loss at the step that ends the sweep is the sweep's answer, not a failure of the run;
      // duplicates, out-of-order deliveries and errors are failures anywhere.
      if (res.duplicated > 0 || res.outOfOrder > 0 || res.failed || res.posts?.errors > 0) failures += 1;
      if (!clean) {
        stoppedBy = res.valid ? `p99 ${res.latencyMs?.p99} ms at ${deliveries}/s` : `loss or errors at ${deliveries}/s`;
        break;
      }
      best = res;
    }
    emit({
      mode: 'sweep-summary', pinned: pin, target: name, readers: o.readers, payload: o.payload, p99LimitMs: SWEEP_P99_LIMIT_MS, stoppedBy,
      maxCleanDeliveriesPerSec: best?.achievedDeliveriesPerSec ?? null, maxCleanStep: best ? best.offeredDeliveriesPerSec : null,
      serverCpuUsPerDeliveryAtMax: best?.serverCpuUsPerDelivery ?? null, latencyMsAtMax: best?.latencyMs ?? null, valid: best !== null,
    });
  });
}

async function idle(name, n) {
  return withTarget(name, false, async (target, cpus) => {
    const res = await idleRun(target, { ...o, ...cpus, idle: n });
    emit({ mode: 'idle', pinned: false, ...res });
    if (!res.valid) failures += 1;
  });
}

/** `--restart N`: its own pair of nodes (restart-run.mjs). */
async function restart(n, drainMs, pin) {
  log(`restart: ${n} readers on node A, SIGTERM to A (drain ${drainMs} ms), every reader resumes on node B${pin ? ' (node B pinned to CPU 0)' : ''}`);
  const res = await restartRun({ ...o, ...cpuSets(o, pin), restart: n, drainMs });
  emit({ mode: 'restart', pinned: pin, ...res });
  if (!res.valid) failures += 1;
}

/** Warnings worth seeing first (a build older than its sources, few fds), and one second of machine load. */
async function preflight() {
  const entry = path.join(o.root, 'dist', 'server', 'index.js');
  const index = path.join(o.root, 'server', 'index.ts');
  if (existsSync(entry) && existsSync(index) && statSync(index).mtimeMs > statSync(entry).mtimeMs) log(`warning: ${o.root}/server is newer than its dist/: run \`npm run build\` there`);
  if (softFdLimit() < 1024) log('warning: a low open-files limit; children raise theirs with ulimit -n');
  const a = machineCpu();
  await sleep(1000);
  const b = machineCpu();
  const busy = (b.busy - a.busy) / (b.total - a.total);
  if (busy > 0.1) log(`warning: the machine was ${Math.round(busy * 100)}% busy before the run; figures will be skewed`);
  return busy;
}

function machineInfo() {
  const cpus = os.cpus();
  return { cpuModel: cpus[0]?.model ?? null, cpus: cpus.length, memGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release(), ...nchanVersions() };
}

async function main() {
  if (o.writeDoc !== null) {
    const out = writeDoc(o.writeDoc, path.join(ROOT, 'docs', 'benchmarks.md'));
    log(`wrote ${out}`);
    return;
  }
  const busy = await preflight();
  emit({ mode: 'machine', ...machineInfo(), busyBeforePct: Math.round(busy * 100), options: { ...o, full: o.full } });
  if (o.full) {
    for (const t of ['embedded', 'redis', 'two-nodes', 'nchan']) await fixed(t, true, 'saturate', { readers: 1000, rate: 400, payload: 500 });
    for (const t of ['embedded', 'redis', 'nchan']) await sweep(t, false);
    for (const t of ['embedded', 'nchan']) await idle(t, 15_000);
    await restart(10_000, 0, false);
    failures += await nodesRun({ ...o, readers: 1000, rate: NODES_DEFAULT_RATE, payload: 500, pin: false, nodeCounts: [1, 2, 4] }, emit, log);
    const jsonl = path.join(os.tmpdir(), `liveline-bench-${Date.now()}.jsonl`);
    appendFileSync(jsonl, `${lines.join('\n')}\n`);
    log(`raw JSON lines: ${jsonl}`);
    log(`wrote ${writeDoc(jsonl, path.join(ROOT, 'docs', 'benchmarks.md'))}`);
    return;
  }
  if (o.mode === 'nodes') {
    failures += await nodesRun(o, emit, log);
    return;
  }
  if (o.mode === 'restart') {
    await restart(o.restart, o.drainMs, o.pin);
    return;
  }
  for (const t of o.targets) {
    if (o.mode === 'idle') await idle(t, o.idle);
    else if (o.mode === 'sweep') await sweep(t, o.pin);
    else await fixed(t, o.pin, o.pin ? 'saturate' : 'fixed');
  }
}

const started = Date.now();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`interrupted by ${sig}; stopping the processes this run started`);
    process.exit(130); // the 'exit' handler in procs.mjs kills every child still running, by PID
  });
}
main().then(
  () => {
    log(`done in ${Math.round((Date.now() - started) / 1000)} s; ${failures === 0 ? 'every run valid' : `${failures} run(s) NOT valid`}`);
    process.exit(failures === 0 ? 0 : 1);
  },
  (err) => {
    log(`ERROR: ${err?.stack ?? err}`);
    process.exit(1);
  },
);

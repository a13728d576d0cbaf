#!/usr/bin/env node
// Fan-out benchmark: one Liveline node, N WebSocket readers on one feed, M entries posted at
// a fixed rate over the HTTP API. Measures connect+subscribe time, server memory per
// connection, publish-to-receive latency percentiles, deliveries per second and per server
// CPU-second, and checks that every reader got every seq once, in order.
//
//   npm run build
//   node scripts/bench-fanout.mjs [--readers 1000] [--entries 200] [--rate 20]
//                                 [--redis redis://127.0.0.1:PORT] [--batch 200] [--timeout 120]
//                                 [--cpu-prof DIR]
//
// The server runs as a child process (node dist/server/index.js) on a free loopback port;
// only that child is ever killed, by its PID. The benchmark client runs on the same machine,
// so client and server share the CPUs: read the figures with that in mind.
// Prints a human-readable report and, last, one line of JSON with every figure.
// Exit code: 0 all good; 1 a delivery problem, an error or the hard timeout; 2 bad usage.

import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import WebSocket from 'ws';
import { CLK_TCK, ENTRY, ROOT, cpuSeconds, cpuTimes, gitState, machineCpu, memoryKb, percentile, preflight } from './bench-lib.mjs';

const T0 = performance.timeOrigin;
/** High-resolution wall-clock ms; the client is one process, so send and receive share it. */
const nowMs = () => T0 + performance.now();

const USAGE = `usage: node scripts/bench-fanout.mjs [--readers N] [--entries M] [--rate PER_SEC]
         [--redis redis://127.0.0.1:PORT] [--batch N] [--timeout SECONDS] [--cpu-prof DIR]
  --readers   WebSocket readers on one feed (default 1000)
  --entries   entries posted (default 200)
  --rate      entries per second, fixed schedule (default 20)
  --redis     run the node in production mode against this Redis (loopback only, never port 6379)
  --batch     readers opened concurrently (default 200)
  --timeout   hard limit for the whole run, seconds (default 120)
  --cpu-prof  write a V8 CPU profile of the server into DIR (node --cpu-prof)
Requires \`npm run build\` first.`;

// ---------------------------------------------------------------- arguments

function usageError(message) {
  process.stderr.write(`bench-fanout: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveNumber(v, key, integer) {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) usageError(`${key} must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

function checkRedisUrl(v) {
  let u;
  try {
    u = new URL(v);
  } catch {
    usageError(`--redis: not a URL: ${v}`);
  }
  if (u.protocol !== 'redis:') usageError('--redis must be a redis:// URL');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))) usageError('--redis must point at a loopback address');
  if ((u.port || '6379') === '6379') usageError('--redis must not use port 6379 (start a throwaway redis-server on another port)');
  return v;
}

function parseArgs(argv) {
  const o = { readers: 1000, entries: 200, rate: 20, redis: null, batch: 200, timeout: 120, cpuProf: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined) usageError(`${key} needs a value`);
      return v;
    };
    switch (key) {
      case '--readers': o.readers = positiveNumber(value(), key, true); break;
      case '--entries': o.entries = positiveNumber(value(), key, true); break;
      case '--rate': o.rate = positiveNumber(value(), key, false); break;
      case '--batch': o.batch = positiveNumber(value(), key, true); break;
      case '--timeout': o.timeout = positiveNumber(value(), key, false); break;
      case '--redis': o.redis = checkRedisUrl(value()); break;
      case '--cpu-prof': o.cpuProf = path.resolve(value()); break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usageError(`unknown argument ${arg}`);
    }
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));

if (!existsSync(ENTRY)) {
  process.stderr.write(`bench-fanout: ${path.relative(process.cwd(), ENTRY) || ENTRY} is missing: run \`npm run build\` first.\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- /proc readings









// ---------------------------------------------------------------- state

const N = opts.readers;
const M = opts.entries;
const token = randomBytes(24).toString('base64url'); // 32 characters, the shortest a node accepts
const st = {
  phase: 'starting',
  startedAt: Date.now(),
  url: null,
  feedId: `bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
  readersOpened: 0,
  openFailures: 0,
  openErrorSample: null,
  connectMs: null,
  serverCpuConnectSec: null,
  rssBeforeKb: null,
  rssAfterKb: null,
  rssEndKb: null,
  hwmKb: null,
  postsSent: 0,
  postsOk: 0,
  postErrors: 0,
  postErrorSample: null,
  httpMs: [],
  firstPostAt: null,
  lastPostAt: null,
  lastDeliveryAt: null,
  serverCpuAtFirstPost: null,
  serverCpuAtEnd: null,
  serverSysAtFirstPost: null,
  machineBusyBefore: null,
  machineAtFirstPost: null,
  machineAtEnd: null,
  serverSysAtEnd: null,
  clientCpuAtFirstPost: null,
  clientCpuAtEnd: null,
  frames: 0, // every event frame received, duplicates included
  accepted: 0, // event frames with a new seq
  duplicates: 0,
  gaps: 0, // seqs skipped
  extra: 0, // seqs beyond base + M
  unexpectedFrames: 0,
  unexpectedFrameSample: null,
  badFrames: 0,
  noTimestamp: 0, // event frames without a readable `t:<ms>` headline
  unexpectedCloses: 0,
  closeSample: null,
  readersDone: 0,
  frameBytes: null,
  serverErrorLogs: 0,
  serverLogTail: [],
  baseSeqs: new Set(),
};
const sockets = new Array(N);
const opened = new Uint8Array(N);
const base = new Int32Array(N).fill(-1); // the feed's seq in each reader's `subscribed` frame
const expected = new Int32Array(N); // next seq each reader should get
const received = new Int32Array(N); // new seqs each reader got
const latencies = new Float64Array(N * M);
let latencyCount = 0;
const sendAt = new Float64Array(M + 1).fill(NaN); // by seq offset 1..M
const lastRecvAt = new Float64Array(M + 1).fill(NaN);
const subscribedWaiters = new Array(N);
let closingAll = false;
let drainResolve = null;
let child = null;
let childExited = null;
let finished = false;

// ---------------------------------------------------------------- the server child

function startServer() {
  const env = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    LIVELINE_EDITOR_TOKENS: `bench:${token}`,
    // Every reader here comes from one address and one editor posts fast: lift the protective
    // limits (connections per address per second, connections per node, editor writes per
    // minute) that would otherwise refuse them (429/503). Builds without them ignore these.
    LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '1000000',
    LIVELINE_MAX_CONNECTIONS: String(Math.max(20_000, N + 1000)),
    LIVELINE_MAX_CONNECTIONS_PER_IP: String(Math.max(20_000, N + 1000)),
    LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND: '100000000',
    LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '1000000',
    LIVELINE_EDITOR_WRITES_PER_MINUTE: '1000000',
    LIVELINE_METRICS_PORT: '0',
    LIVELINE_DRAIN_MS: '0', // on shutdown, send remaining readers away at once
  };
  delete env.REDIS_URL;
  if (opts.redis !== null) {
    env.REDIS_URL = opts.redis;
    env.LIVELINE_REDIS_PREFIX = `llbench${randomBytes(3).toString('hex')}`;
  }
  const nodeArgs = opts.cpuProf !== null ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] : [];
  child = spawn(process.execPath, [...nodeArgs, ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  childExited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not print its URL within 20 s')), 20_000);
    const onLine = (line) => {
      // Always drain the pipes: a full pipe would block the server's logging.
      if (line.includes('"level":"error"')) st.serverErrorLogs += 1;
      st.serverLogTail.push(line.slice(0, 300));
      if (st.serverLogTail.length > 15) st.serverLogTail.shift();
      const m = /Liveline is running at (http:\/\/\S+)/.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        pending += chunk;
        let nl;
        while ((nl = pending.indexOf('\n')) >= 0) {
          onLine(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}, signal ${signal}) before it was ready:\n  ${st.serverLogTail.join('\n  ')}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function childAlive() {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

async function stopServer() {
  if (!childAlive()) return;
  child.kill('SIGTERM'); // by its PID: only the process this script started
  const exited = await Promise.race([childExited, sleep(10_000).then(() => null)]);
  if (exited === null && childAlive()) {
    child.kill('SIGKILL');
    await Promise.race([childExited, sleep(2000)]);
  }
}

process.on('exit', () => {
  if (childAlive()) child.kill('SIGKILL');
});

// ---------------------------------------------------------------- HTTP

async function api(method, urlPath, body) {
  const res = await globalThis.fetch(`${st.url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: globalThis.AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // keep null
  }
  return { status: res.status, json, text };
}

const FILLER = 'Officials in the north-east count confirmed turnout above the last election; '
  + 'the first declarations are expected shortly after midnight, with recounts possible in two wards. '
  + 'Our correspondents at the count report a calm mood.';

async function postEntry(i) {
  const sent = nowMs();
  const started = performance.now();
  st.postsSent += 1;
  try {
    const r = await api('POST', `/v1/feeds/${st.feedId}/entries`, {
      headline: `t:${sent.toFixed(3)}`,
      body: `<p>Entry ${i + 1}. ${FILLER}</p>`,
    });
    st.httpMs.push(performance.now() - started);
    if (r.status === 201) st.postsOk += 1;
    else {
      st.postErrors += 1;
      st.postErrorSample ??= `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
    }
  } catch (err) {
    st.postErrors += 1;
    st.postErrorSample ??= String(err);
  }
}

// ---------------------------------------------------------------- readers

// The client shares the CPUs with the server, so it reads event frames cheaply: the server
// serialises `{"type":"event","feed":…,"seq":…` in that order, and the entry's headline is
// `t:<ms>`; a frame that doesn't start like that is JSON-parsed in full.
let eventPrefix = null;
const HEADLINE_KEY = Buffer.from('"headline":"t:');
const QUOTE = 0x22;

function readInt(buf, at) {
  let n = 0;
  let j = at;
  for (; j < buf.length && buf[j] >= 0x30 && buf[j] <= 0x39; j++) n = n * 10 + (buf[j] - 0x30);
  return j === at ? NaN : n;
}

function onFrame(i, data) {
  const now = nowMs();
  eventPrefix ??= Buffer.from(`{"type":"event","feed":${JSON.stringify(st.feedId)},"seq":`);
  if (data.length > eventPrefix.length && data.compare(eventPrefix, 0, eventPrefix.length, 0, eventPrefix.length) === 0) {
    const seq = readInt(data, eventPrefix.length);
    const h = data.indexOf(HEADLINE_KEY);
    const end = h < 0 ? -1 : data.indexOf(QUOTE, h + HEADLINE_KEY.length);
    const sent = end < 0 ? NaN : Number(data.toString('latin1', h + HEADLINE_KEY.length, end));
    if (Number.isInteger(seq)) {
      onEvent(i, seq, sent, now, data.length);
      return;
    }
  }
  let f;
  try {
    f = JSON.parse(data.toString());
  } catch {
    st.badFrames += 1;
    return;
  }
  if (f.type === 'event' && f.feed === st.feedId && Number.isInteger(f.seq)) {
    const h = f.data?.headline;
    onEvent(i, f.seq, typeof h === 'string' && h.startsWith('t:') ? Number(h.slice(2)) : NaN, now, data.length);
    return;
  }
  if (f.type === 'subscribed' && f.feed === st.feedId && subscribedWaiters[i] !== undefined) {
    base[i] = f.seq;
    expected[i] = f.seq + 1;
    st.baseSeqs.add(f.seq);
    subscribedWaiters[i]();
    return;
  }
  st.unexpectedFrames += 1;
  st.unexpectedFrameSample ??= data.toString().slice(0, 200);
}

/** One event frame for reader i: checks its seq and records its latency. */
function onEvent(i, seq, sent, now, bytes) {
  st.frames += 1;
  st.frameBytes ??= bytes;
  const exp = expected[i];
  if (seq < exp) {
    st.duplicates += 1;
    return;
  }
  if (seq > exp) st.gaps += seq - exp;
  expected[i] = seq + 1;
  const k = seq - base[i];
  if (k > M) {
    st.extra += 1;
    return;
  }
  st.accepted += 1;
  received[i] += 1;
  st.lastDeliveryAt = now;
  if (Number.isFinite(sent)) {
    if (latencyCount < latencies.length) latencies[latencyCount++] = now - sent;
    sendAt[k] = sent;
    if (!(lastRecvAt[k] >= now)) lastRecvAt[k] = now;
  } else {
    st.noTimestamp += 1;
  }
  if (k === M) {
    st.readersDone += 1;
    if (st.readersDone === st.readersOpened && drainResolve !== null) drainResolve();
  }
}

function openReader(i, wsUrl) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      subscribedWaiters[i] = undefined;
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(() => settle(new Error('no `subscribed` frame within 15 s')), 15_000);
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 15_000 });
    sockets[i] = ws;
    subscribedWaiters[i] = () => settle();
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', feed: st.feedId })));
    ws.on('message', (data) => onFrame(i, data));
    ws.on('error', (err) => settle(err));
    ws.on('close', (code, reason) => {
      if (!closingAll) {
        if (opened[i] === 1) {
          st.unexpectedCloses += 1;
          st.closeSample ??= `reader ${i}: close ${code} ${reason.toString()}`;
        }
        settle(new Error(`closed (${code}) before subscribing`));
      }
    });
  });
}

async function openReaders() {
  const wsUrl = `${st.url.replace(/^http/, 'ws')}/v1/ws`;
  for (let start = 0; start < N; start += opts.batch) {
    const end = Math.min(N, start + opts.batch);
    const jobs = [];
    for (let i = start; i < end; i++) jobs.push(openReader(i, wsUrl));
    const results = await Promise.allSettled(jobs);
    results.forEach((r, j) => {
      const i = start + j;
      if (r.status === 'fulfilled') {
        opened[i] = 1;
        st.readersOpened += 1;
      } else {
        st.openFailures += 1;
        st.openErrorSample ??= `reader ${i}: ${r.reason?.message ?? r.reason}`;
        sockets[i]?.terminate();
      }
    });
  }
}

async function closeReaders(graceful) {
  closingAll = true;
  const open = sockets.filter((ws) => ws !== undefined && ws.readyState !== WebSocket.CLOSED);
  const gone = Promise.all(open.map((ws) => new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    else ws.once('close', resolve);
  })));
  for (const ws of open) {
    if (graceful && ws.readyState === WebSocket.OPEN) ws.close(1000, 'benchmark done');
    else ws.terminate();
  }
  await Promise.race([gone, sleep(5000)]);
  for (const ws of open) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}

// ---------------------------------------------------------------- report


const r1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10) / 10);
const r2 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 100) / 100);
const fmt = (x, unit = '') => (x === null ? 'n/a' : `${x.toLocaleString('en-US')}${unit}`);

function buildResult(outcome) {
  const lat = latencies.slice(0, latencyCount).sort();
  const fanout = [];
  for (let k = 1; k <= M; k++) if (Number.isFinite(lastRecvAt[k]) && Number.isFinite(sendAt[k])) fanout.push(lastRecvAt[k] - sendAt[k]);
  const fan = Float64Array.from(fanout).sort();
  const http = Float64Array.from(st.httpMs).sort();
  let missing = 0;
  let readersIncomplete = 0;
  for (let i = 0; i < N; i++) {
    if (opened[i] !== 1) continue;
    missing += M - received[i];
    if (received[i] < M) readersIncomplete += 1;
  }
  const windowMs = st.firstPostAt !== null && st.lastDeliveryAt !== null ? st.lastDeliveryAt - st.firstPostAt : null;
  const serverCpu = st.serverCpuAtEnd !== null && st.serverCpuAtFirstPost !== null ? st.serverCpuAtEnd - st.serverCpuAtFirstPost : null;
  const clientCpu = st.clientCpuAtEnd !== null && st.clientCpuAtFirstPost !== null ? st.clientCpuAtEnd - st.clientCpuAtFirstPost : null;
  const machine = st.machineAtEnd !== null && st.machineAtFirstPost !== null
    ? { busy: st.machineAtEnd.busy - st.machineAtFirstPost.busy, total: st.machineAtEnd.total - st.machineAtFirstPost.total }
    : null;
  const postWindowMs = st.firstPostAt !== null && st.lastPostAt !== null ? st.lastPostAt - st.firstPostAt : null;
  const problems = {
    openFailures: st.openFailures,
    postErrors: st.postErrors,
    gaps: st.gaps,
    duplicates: st.duplicates,
    missing,
    readersIncomplete,
    extraEvents: st.extra,
    unexpectedFrames: st.unexpectedFrames,
    badFrames: st.badFrames,
    noTimestamp: st.noTimestamp,
    unexpectedCloses: st.unexpectedCloses,
    subscribedSeqsDiffer: st.baseSeqs.size > 1 ? 1 : 0,
  };
  const problemCount = Object.values(problems).reduce((a, b) => a + b, 0);
  const ok = outcome === 'completed' && problemCount === 0 && st.postsOk === M;
  const cpus = os.cpus();
  return {
    bench: 'fanout',
    ok,
    outcome,
    phase: st.phase,
    mode: opts.redis === null ? 'embedded' : 'redis',
    readers: N,
    readersOpened: st.readersOpened,
    entries: M,
    rate: opts.rate,
    batch: opts.batch,
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? null, memGB: r1(os.totalmem() / 2 ** 30), node: process.version, sharedCpu: true },
    connect: {
      ms: r1(st.connectMs),
      perSec: st.connectMs ? Math.round(st.readersOpened / (st.connectMs / 1000)) : null,
      serverCpuSec: r2(st.serverCpuConnectSec),
    },
    memory: {
      rssBeforeKB: st.rssBeforeKb,
      rssAfterKB: st.rssAfterKb,
      perConnKB: st.rssAfterKb !== null && st.readersOpened > 0 ? r2((st.rssAfterKb - st.rssBeforeKb) / st.readersOpened) : null,
      rssEndKB: st.rssEndKb,
      peakKB: st.hwmKb,
    },
    latencyMs: {
      samples: lat.length,
      p50: r2(percentile(lat, 50)), p90: r2(percentile(lat, 90)), p99: r2(percentile(lat, 99)), max: r2(lat.length ? lat[lat.length - 1] : null),
    },
    fanoutCompleteMs: { p50: r2(percentile(fan, 50)), p99: r2(percentile(fan, 99)), max: r2(fan.length ? fan[fan.length - 1] : null) },
    posts: {
      sent: st.postsSent,
      ok: st.postsOk,
      errors: st.postErrors,
      achievedRate: postWindowMs ? r1(((st.postsSent - 1) * 1000) / postWindowMs) : null,
      httpP50Ms: r2(percentile(http, 50)),
      httpP99Ms: r2(percentile(http, 99)),
    },
    delivery: {
      frames: st.frames,
      expected: st.readersOpened * M,
      frameBytes: st.frameBytes,
      windowMs: r1(windowMs),
      perSec: windowMs ? Math.round(st.frames / (windowMs / 1000)) : null,
      offeredPerSec: Math.round(st.readersOpened * opts.rate),
      serverCpuSec: r2(serverCpu),
      serverSysCpuSec: st.serverSysAtEnd !== null ? r2(st.serverSysAtEnd - st.serverSysAtFirstPost) : null,
      serverCpuUtil: serverCpu !== null && windowMs ? r2(serverCpu / (windowMs / 1000)) : null,
      perServerCpuSec: serverCpu ? Math.round(st.frames / serverCpu) : null,
      clientCpuSec: r2(clientCpu),
      // Busy CPU-seconds of the whole machine in the window, and what neither the server nor
      // this client used (other processes, and kernel network work not charged to either).
      machineBusySec: machine !== null ? r2(machine.busy) : null,
      machineBusyPct: machine !== null && machine.total > 0 ? Math.round((100 * machine.busy) / machine.total) : null,
      otherCpuSec: machine !== null && serverCpu !== null && clientCpu !== null ? r2(machine.busy - serverCpu - clientCpu) : null,
    },
    machineBusyBeforePct: st.machineBusyBefore !== null ? Math.round(st.machineBusyBefore * 100) : null,
    baseSeq: st.baseSeqs.size === 1 ? [...st.baseSeqs][0] : [...st.baseSeqs],
    problems,
    serverErrorLogs: st.serverErrorLogs,
    samples: {
      openError: st.openErrorSample, postError: st.postErrorSample, unexpectedFrame: st.unexpectedFrameSample, close: st.closeSample,
    },
    git: gitState(),
    clkTck: CLK_TCK,
    elapsedSec: r1((Date.now() - st.startedAt) / 1000),
  };
}

function printReport(res, error) {
  const L = [];
  const mb = (kb) => (kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
  L.push('');
  L.push(`Liveline fan-out benchmark: ${res.mode} mode, ${N} readers on one feed, ${M} entries at ${opts.rate}/s`);
  L.push(`machine: ${res.machine.cpus} CPUs (${res.machine.cpuModel}), ${res.machine.memGB} GB, Node ${res.machine.node}`);
  if (res.git !== null) L.push(`code: commit ${res.git.commit}${res.git.serverDirty ? ' with uncommitted changes in server/' : ''}`);
  L.push('note: the benchmark client runs on the same machine, so client and server share these CPUs');
  L.push(`connect+subscribe: ${res.readersOpened}/${N} readers in ${fmt(res.connect.ms, ' ms')} (${fmt(res.connect.perSec, '/s')}, batches of ${opts.batch}; server CPU ${fmt(res.connect.serverCpuSec, ' s')})`);
  L.push(`server memory (RSS): ${mb(res.memory.rssBeforeKB)} before readers -> ${mb(res.memory.rssAfterKB)} subscribed = ${fmt(res.memory.perConnKB, ' KB')} per connection; ${mb(res.memory.rssEndKB)} at the end, peak ${mb(res.memory.peakKB)}`);
  L.push(`publish->receive latency (${fmt(res.latencyMs.samples)} reader x event samples): p50 ${fmt(res.latencyMs.p50, ' ms')}, p90 ${fmt(res.latencyMs.p90, ' ms')}, p99 ${fmt(res.latencyMs.p99, ' ms')}, max ${fmt(res.latencyMs.max, ' ms')}`);
  L.push(`fan-out complete (post -> last reader has it), per entry: p50 ${fmt(res.fanoutCompleteMs.p50, ' ms')}, p99 ${fmt(res.fanoutCompleteMs.p99, ' ms')}, max ${fmt(res.fanoutCompleteMs.max, ' ms')}`);
  L.push(`posts: ${res.posts.ok}/${M} ok, ${res.posts.errors} errors, achieved ${fmt(res.posts.achievedRate, '/s')}; HTTP p50 ${fmt(res.posts.httpP50Ms, ' ms')}, p99 ${fmt(res.posts.httpP99Ms, ' ms')}`);
  L.push(`deliveries: ${fmt(res.delivery.frames)}/${fmt(res.delivery.expected)} event frames of ${fmt(res.delivery.frameBytes, ' B')} in ${fmt(res.delivery.windowMs, ' ms')} = ${fmt(res.delivery.perSec, '/s')} (offered load readers x rate = ${fmt(res.delivery.offeredPerSec, '/s')})`);
  L.push(`server CPU in that window: ${fmt(res.delivery.serverCpuSec, ' s')} (${fmt(res.delivery.serverCpuUtil === null ? null : Math.round(res.delivery.serverCpuUtil * 100), '%')} of one core; ${fmt(res.delivery.serverSysCpuSec, ' s')} of it in the kernel) = ${fmt(res.delivery.perServerCpuSec)} deliveries per server CPU-second; client CPU ${fmt(res.delivery.clientCpuSec, ' s')}`);
  L.push(`machine in that window: ${fmt(res.delivery.machineBusyPct, '%')} busy over all CPUs; ${fmt(res.delivery.otherCpuSec, ' CPU-s')} used by neither server nor client (other processes, kernel); ${fmt(res.machineBusyBeforePct, '%')} busy before the run`);
  const p = res.problems;
  const bad = Object.entries(p).filter(([, v]) => v > 0);
  L.push(bad.length === 0 && res.outcome === 'completed'
    ? `order check: every reader got seq ${res.baseSeq + 1}..${res.baseSeq + M} once, in order: OK`
    : `order check: PROBLEMS ${bad.length ? bad.map(([k, v]) => `${k}=${v}`).join(', ') : '(none counted, run incomplete)'}`);
  for (const [k, v] of Object.entries(res.samples)) if (v !== null) L.push(`  sample ${k}: ${v}`);
  if (res.serverErrorLogs > 0) L.push(`server logged ${res.serverErrorLogs} error lines; last lines:\n  ${st.serverLogTail.join('\n  ')}`);
  if (error) L.push(`ERROR (${res.phase}): ${error}`);
  L.push(`result: ${res.ok ? 'OK' : `NOT OK (${res.outcome})`}`);
  process.stdout.write(`${L.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

async function finish(outcome, error) {
  if (finished) return;
  finished = true;
  clearTimeout(hardTimer);
  if (childAlive()) {
    try {
      if (st.serverCpuAtFirstPost !== null && st.serverCpuAtEnd === null) {
        // Cut short while posting: close the CPU window now, so what was measured is reported.
        st.machineAtEnd = machineCpu();
        st.serverSysAtEnd = cpuTimes(child.pid).sys;
        st.serverCpuAtEnd = cpuSeconds(child.pid);
        const c = process.cpuUsage();
        st.clientCpuAtEnd = (c.user + c.system) / 1e6;
      }
      st.rssEndKb ??= memoryKb(child.pid).rss;
      st.hwmKb = memoryKb(child.pid).hwm;
    } catch {
      // the child is gone
    }
  }
  const res = buildResult(outcome);
  if (error !== undefined) res.error = String(error?.message ?? error);
  printReport(res, res.error);
  try {
    await closeReaders(outcome === 'completed');
  } finally {
    await stopServer();
  }
  process.exit(res.ok ? 0 : 1);
}

// ---------------------------------------------------------------- run

const hardTimer = setTimeout(() => {
  void finish('timeout', `hard timeout of ${opts.timeout} s reached during ${st.phase}`);
}, opts.timeout * 1000);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => void finish('interrupted', `interrupted by ${sig}`));

async function main() {
  st.machineBusyBefore = await preflight('bench-fanout', N + 100);

  st.phase = 'starting the server';
  st.url = await startServer();
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(st.url)) throw new Error(`the server is not on loopback: ${st.url}`);

  st.phase = 'creating the feed';
  const created = await api('POST', '/v1/feeds', { id: st.feedId, title: 'Fan-out benchmark', status: 'live' });
  if (created.status !== 201) throw new Error(`creating the feed: HTTP ${created.status} ${created.text.slice(0, 200)}`);
  await sleep(500);
  st.rssBeforeKb = memoryKb(child.pid).rss;

  st.phase = 'connecting readers';
  const cpuBeforeConnect = cpuSeconds(child.pid);
  const connectStart = performance.now();
  await openReaders();
  st.connectMs = performance.now() - connectStart;
  st.serverCpuConnectSec = cpuSeconds(child.pid) - cpuBeforeConnect;
  await sleep(1000); // let the server settle before reading its memory
  st.rssAfterKb = memoryKb(child.pid).rss;
  if (st.readersOpened === 0) throw new Error('no reader could connect');

  st.phase = 'posting and delivering';
  const drained = new Promise((resolve) => {
    drainResolve = resolve;
  });
  const interval = 1000 / opts.rate;
  const posts = [];
  st.machineAtFirstPost = machineCpu();
  st.serverSysAtFirstPost = cpuTimes(child.pid).sys;
  st.serverCpuAtFirstPost = cpuSeconds(child.pid);
  const c0 = process.cpuUsage();
  st.clientCpuAtFirstPost = (c0.user + c0.system) / 1e6;
  const start = performance.now();
  st.firstPostAt = nowMs();
  for (let i = 0; i < M; i++) {
    const wait = start + i * interval - performance.now();
    if (wait > 1) await sleep(wait);
    st.lastPostAt = nowMs();
    posts.push(postEntry(i)); // open loop: a slow answer does not delay the next post
  }
  await Promise.all(posts);
  const drainLimit = 30_000;
  const timedOut = await Promise.race([drained.then(() => false), sleep(drainLimit).then(() => true)]);
  st.machineAtEnd = machineCpu();
  st.serverSysAtEnd = cpuTimes(child.pid).sys;
  st.serverCpuAtEnd = cpuSeconds(child.pid);
  const c1 = process.cpuUsage();
  st.clientCpuAtEnd = (c1.user + c1.system) / 1e6;
  const m = memoryKb(child.pid);
  st.rssEndKb = m.rss;
  st.hwmKb = m.hwm;
  st.phase = 'done';
  await finish(timedOut ? 'incomplete' : 'completed', timedOut ? `not every reader had every entry ${drainLimit / 1000} s after the last post` : undefined);
}

main().catch((err) => finish('error', err));

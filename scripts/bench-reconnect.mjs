#!/usr/bin/env node
// Reconnect benchmark: how long N readers take to reconnect and catch up after a node
// restart. A throwaway redis-server and two Liveline nodes, A and B, in production mode;
// N raw WebSocket readers subscribe to one feed on node A; A gets SIGTERM and sends them
// away (close 1012) spread over LIVELINE_DRAIN_MS; each reader reconnects to node B after
// the SDK's full-jitter backoff and resumes from its cursor (`since` + `epoch`) while
// entries keep being posted to B. Measures when the readers were sent away, when they were
// resubscribed and caught up on B, node A's exit, node B's CPU, memory and /healthz
// latency during the wave, and checks that every reader got every seq once, in order.
//
//   npm run build
//   node scripts/bench-reconnect.mjs [--readers 10000] [--drain-ms 10000] [--entries-during 20]
//                                    [--entries-before 10] [--post-window-ms MS] [--batch 200]
//                                    [--timeout 180] [--cpu-prof DIR]
//
// Every process it starts (redis-server on a free loopback port, never 6379, in a temp
// dir; the two nodes on free loopback ports) is stopped by its PID when it ends, fails,
// times out or gets SIGINT, and the temp dir is removed. The benchmark client runs on the
// same machine, so client and servers share the CPUs: read the figures with that in mind.
// Prints a human-readable report and, last, one line of JSON with every figure.
// Exit code: 0 all good; 1 a delivery problem, an error or the hard timeout; 2 bad usage.

import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { CLK_TCK, ENTRY, ROOT, SERVER_NODE_FLAGS, cpuSeconds, cpuTimes, gitState, machineCpu, memoryKb, percentile, preflight } from './bench-lib.mjs';

const T0 = performance.timeOrigin;
/** High-resolution wall-clock ms; the client is one process, so send and receive share it. */
const nowMs = () => T0 + performance.now();

const USAGE = `usage: node scripts/bench-reconnect.mjs [--readers N] [--drain-ms MS] [--entries-during M]
         [--entries-before K] [--post-window-ms MS] [--batch N] [--timeout SECONDS] [--cpu-prof DIR]
  --readers         WebSocket readers on one feed, all on node A at first (default 10000)
  --drain-ms        LIVELINE_DRAIN_MS of both nodes: A sends its readers away over this window (default 10000; 0 = all at once)
  --entries-during  entries posted to node B from the SIGTERM on (default 20)
  --entries-before  entries posted before the readers subscribe (default 10)
  --post-window-ms  the entries during are spread evenly over this window (default: --drain-ms, or 1000 when it is 0)
  --batch           readers opened concurrently at the start (default 200)
  --timeout         hard limit for the whole run, seconds (default 180)
  --cpu-prof        write V8 CPU profiles of both nodes into DIR (node --cpu-prof; the file names carry the PIDs in the JSON)
Requires \`npm run build\` first, and Debian's redis-server.`;

// ---------------------------------------------------------------- arguments

function usageError(message) {
  process.stderr.write(`bench-reconnect: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function wholeNumber(v, key, min, max) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) usageError(`${key} must be a whole number from ${min} to ${max}`);
  return n;
}

function parseArgs(argv) {
  const o = { readers: 10_000, drainMs: 10_000, entriesDuring: 20, entriesBefore: 10, postWindowMs: null, batch: 200, timeout: 180, cpuProf: null };
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
      case '--readers': o.readers = wholeNumber(value(), key, 1, 1_000_000); break;
      case '--drain-ms': o.drainMs = wholeNumber(value(), key, 0, 600_000); break;
      case '--entries-during': o.entriesDuring = wholeNumber(value(), key, 1, 100_000); break;
      case '--entries-before': o.entriesBefore = wholeNumber(value(), key, 0, 100_000); break;
      case '--post-window-ms': o.postWindowMs = wholeNumber(value(), key, 0, 600_000); break;
      case '--batch': o.batch = wholeNumber(value(), key, 1, 100_000); break;
      case '--timeout': o.timeout = wholeNumber(value(), key, 1, 3600); break;
      case '--cpu-prof': o.cpuProf = path.resolve(value()); break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usageError(`unknown argument ${arg}`);
    }
  }
  o.postWindowMs ??= o.drainMs > 0 ? o.drainMs : 1000;
  return o;
}

const opts = parseArgs(process.argv.slice(2));

if (!existsSync(ENTRY)) {
  process.stderr.write(`bench-reconnect: ${path.relative(process.cwd(), ENTRY) || ENTRY} is missing: run \`npm run build\` first.\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- /proc readings






function clientCpuSeconds() {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
}




// ---------------------------------------------------------------- state

const N = opts.readers;
const E = opts.entriesDuring;
const A = 0;
const B = 1;
const token = randomBytes(24).toString('base64url'); // 32 characters, the shortest a node accepts
const st = {
  phase: 'starting',
  startedAt: Date.now(),
  tmpDir: null,
  feedId: `bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
  baseSeq: null,
  epoch: null,
  targetSeq: Infinity, // the final seq, known once every post during the wave has answered
  readersOpened: 0,
  openFailures: 0,
  openErrorSample: null,
  connectMs: null,
  t0: null, // nowMs() just before SIGTERM to node A
  aExit: null,
  aExitMs: null,
  postsSent: 0,
  postsOk: 0,
  postErrors: 0,
  postErrorSample: null,
  postSeqs: [],
  httpMs: [],
  lastPostAtMs: null,
  waveEndMs: null,
  bRssBeforeKb: null,
  bRssEndKb: null,
  bPeakRssKb: 0,
  bHwmKb: null,
  bPeakCpu: 0,
  bCpuAtT0: null,
  bCpuAtEnd: null,
  bSysAtT0: null,
  bSysAtEnd: null,
  aCpuLast: null,
  aCpuAtT0: null,
  clientCpuAtT0: null,
  clientCpuAtEnd: null,
  machineBusyBefore: null,
  machineAtT0: null,
  machineAtEnd: null,
  healthMs: [],
  healthFailures: 0,
  frames: 0,
  duplicates: 0,
  gaps: 0,
  gapReaders: 0,
  epochMismatch: 0,
  extra: 0,
  resets: 0,
  errorFrames: 0,
  unavailableFrames: 0,
  subscribesToB: 0,
  readyMs: [],
  readyNot200: 0,
  readyFirstNot200Ms: null,
  readyLastNot200Ms: null,
  listenAtT0: null,
  listenAtEnd: null, // `unavailable` error frames: the SDK subscribes again after a backoff
  unexpectedFrames: 0,
  unexpectedFrameSample: null,
  badFrames: 0,
  closeCodes: new Map(),
  closesNot1012: 0,
  closesBeforeRestart: 0,
  failedAttempts: 0,
  failedAttemptSample: null,
  failedAttemptReasons: new Map(),
  dropsOnB: 0,
  dropOnBSample: null,
  readersDone: 0,
  bMetrics: null,
  sample: { reset: null, errorFrame: null, unavailable: null, close: null },
  redisPort: null,
  redisCallsAtT0: null,
  redisCallsAtEnd: null,
};
const sockets = new Array(N);
const opened = new Uint8Array(N); // subscribed on node A at the start
const node = new Uint8Array(N); // A or B: where the reader's socket goes
const subscribedHere = new Uint8Array(N); // the current socket has its `subscribed`
const lastSeq = new Int32Array(N); // each reader's cursor, as the SDK keeps it
const epochs = new Array(N); // and its epoch
const attempt = new Int32Array(N); // backoff attempt, reset on `subscribed`, as the SDK does
const connectsToB = new Int32Array(N);
const unavailableCount = new Int32Array(N); // `unavailable` answers per reader
const closeAt = new Float64Array(N).fill(NaN); // ms after t0: node A's close reached the reader
const resubAt = new Float64Array(N).fill(NaN); // ms after t0: first `subscribed` from node B
// ms after t0: the last `subscribed` from node B: the subscribe that held (node B sends
// `subscribed` before the catch-up, which may still fail with `unavailable`)
const lastSubAt = new Float64Array(N).fill(NaN);
const done = new Uint8Array(N);
const subscribeSentAt = new Float64Array(N).fill(NaN); // ms after t0: the last subscribe sent to node B
const answerMs = []; // node B: subscribe -> `subscribed`, ms
const unavailableMs = []; // node B: subscribe -> `unavailable` error frame, ms
const recvAt = new Float64Array(N * E).fill(NaN); // ms after t0 reader i got seq base+k+1
const latencies = new Float64Array(N * E);
let latencyCount = 0;
const subscribedWaiters = new Array(N);
const procs = new Map(); // name → { child, exited, tail, errorLogs, url }
let closingAll = false;
let waveResolve = null;
let finished = false;
let wsUrls = null;
let sampler = null;
let probing = false;

// ---------------------------------------------------------------- child processes

/** A free loopback port (the kernel's pick), never 6379. */
async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 6379) return port;
  }
}

/** Starts a child in its own process group (a terminal's Ctrl-C reaches only this script). */
function startProc(name, command, args, env, readyPattern, timeoutMs) {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const p = { name, child, tail: [], errorLogs: 0, errorKinds: new Map(), exitInfo: null };
  p.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      p.exitInfo = { code, signal, atMs: nowMs() };
      resolve(p.exitInfo);
    });
    child.once('error', () => resolve({ code: null, signal: null, atMs: nowMs() }));
  });
  // Every line of its output has been read (after it exited).
  p.outputDone = new Promise((resolve) => child.once('close', resolve));
  procs.set(name, p);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${timeoutMs / 1000} s:\n  ${p.tail.join('\n  ')}`)), timeoutMs);
    const onLine = (line) => {
      // Always drain the pipes: a full pipe would block the child's logging.
      if (line.includes('"level":"error"') || line.includes('"level":50')) {
        p.errorLogs += 1;
        let kind = line.slice(0, 120);
        try {
          const j = JSON.parse(line);
          kind = `${j.msg}: ${j.err?.message ?? j.err ?? ''}`;
        } catch {
          // not JSON: keep the start of the line
        }
        if (p.errorKinds.size < 20 || p.errorKinds.has(kind)) p.errorKinds.set(kind, (p.errorKinds.get(kind) ?? 0) + 1);
      }
      p.tail.push(line.slice(0, 300));
      if (p.tail.length > 15) p.tail.shift();
      const m = readyPattern.exec(line);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] ?? true);
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
      reject(new Error(`${name} exited (code ${code}, signal ${signal}) before it was ready:\n  ${p.tail.join('\n  ')}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err.code === 'ENOENT' ? new Error(`${command} not found: install it (Debian: apt-get install redis-server)`) : err);
    });
  });
}

function alive(p) {
  return p !== undefined && p.child.pid !== undefined && p.child.exitCode === null && p.child.signalCode === null;
}

/** Stops one child we started, by its PID: SIGTERM, then SIGKILL after `graceMs`. */
async function stopProc(name, graceMs) {
  const p = procs.get(name);
  if (!alive(p)) return;
  p.child.kill('SIGTERM');
  const exited = await Promise.race([p.exited, sleep(graceMs).then(() => null)]);
  if (exited === null && alive(p)) {
    p.child.kill('SIGKILL');
    await Promise.race([p.exited, sleep(2000)]);
  }
}

function removeTmpDir() {
  if (st.tmpDir === null) return;
  try {
    rmSync(st.tmpDir, { recursive: true, force: true });
  } catch {
    // best effort
  }
  st.tmpDir = null;
}

process.on('exit', () => {
  for (const p of procs.values()) if (alive(p)) p.child.kill('SIGKILL');
  removeTmpDir();
});

async function startRedis() {
  st.tmpDir = mkdtempSync(path.join(os.tmpdir(), 'liveline-bench-reconnect-'));
  const port = await freePort();
  await startProc('redis', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', st.tmpDir, '--daemonize', 'no', '--logfile', '',
  ], { PATH: process.env.PATH ?? '/usr/bin:/bin' }, /(Ready to accept connections)/, 10_000);
  st.redisPort = port;
  return `redis://127.0.0.1:${port}`;
}

async function startNode(name, redisUrl, prefix) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LIVELINE_') && k !== 'REDIS_URL' && k !== 'PORT' && k !== 'HOST') env[k] = v;
  Object.assign(env, {
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: redisUrl,
    LIVELINE_REDIS_PREFIX: prefix,
    LIVELINE_EDITOR_TOKENS: `bench:${token}`,
    LIVELINE_DRAIN_MS: String(opts.drainMs),
    // Every reader here comes from one address and one editor posts fast: lift the
    // protective limits that would otherwise refuse them (429/503).
    LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '1000000',
    LIVELINE_MAX_CONNECTIONS: '1000000',
    LIVELINE_MAX_CONNECTIONS_PER_IP: '1000000',
    LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND: '100000000',
    LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '1000000',
    LIVELINE_EDITOR_WRITES_PER_MINUTE: '1000000',
    LIVELINE_METRICS_PORT: '0',
  });
  const nodeArgs = [...SERVER_NODE_FLAGS, ...(opts.cpuProf !== null ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] : [])];
  // The banner is one write: by its metrics line, the URL line has been read too.
  const metricsUrl = await startProc(name, process.execPath, [...nodeArgs, ENTRY], env, /^Metrics \(Prometheus[^)]*\): (http:\/\/\S+)/, 20_000);
  const url = procs.get(name).tail.map((line) => /Liveline is running at (http:\/\/\S+)/.exec(line)?.[1]).find(Boolean);
  if (url === undefined || !/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`node ${name} is not on loopback: ${url}`);
  procs.get(name).url = url;
  procs.get(name).metricsUrl = metricsUrl;
  return url;
}

async function waitReady(url) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await globalThis.fetch(`${url}/readyz`, { signal: globalThis.AbortSignal.timeout(2000) });
      await r.text();
      if (r.status === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${url}/readyz did not answer 200 within 15 s`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------- HTTP

async function api(url, method, urlPath, body) {
  const res = await globalThis.fetch(`${url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
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
  + 'the first declarations are expected shortly after midnight, with recounts possible in two wards.';

async function postEntry(url, headline, i) {
  const started = performance.now();
  st.postsSent += 1;
  try {
    const r = await api(url, 'POST', `/v1/feeds/${st.feedId}/entries`, { headline, body: `<p>Entry ${i + 1}. ${FILLER}</p>` });
    st.httpMs.push(performance.now() - started);
    if (r.status === 201 && Number.isInteger(r.json?.seq)) {
      st.postsOk += 1;
      return r.json.seq;
    }
    st.postErrors += 1;
    st.postErrorSample ??= `HTTP ${r.status}: ${r.text.slice(0, 200)}`;
  } catch (err) {
    st.postErrors += 1;
    st.postErrorSample ??= String(err);
  }
  return null;
}

// ---------------------------------------------------------------- readers

// The client shares the CPUs with the servers, so it reads event frames cheaply: the
// server serialises `{"type":"event","feed":…,"seq":N,"epoch":"…"` in that order, and the
// entries posted during the wave have the headline `t:<ms>`. Anything else is JSON-parsed.
let eventPrefix = null;
let epochPart = null;
const HEADLINE_KEY = Buffer.from('"headline":"t:');
const QUOTE = 0x22;

function readInt(buf, at) {
  let n = 0;
  let j = at;
  for (; j < buf.length && buf[j] >= 0x30 && buf[j] <= 0x39; j++) n = n * 10 + (buf[j] - 0x30);
  return j === at ? [NaN, j] : [n, j];
}

const rel = () => nowMs() - st.t0;

function onFrame(i, ws, data) {
  if (sockets[i] !== ws) return; // a socket this reader already gave up on
  eventPrefix ??= Buffer.from(`{"type":"event","feed":${JSON.stringify(st.feedId)},"seq":`);
  if (data.length > eventPrefix.length && data.compare(eventPrefix, 0, eventPrefix.length, 0, eventPrefix.length) === 0) {
    const [seq, after] = readInt(data, eventPrefix.length);
    if (Number.isInteger(seq)) {
      const epochOk = data.length >= after + epochPart.length && data.compare(epochPart, 0, epochPart.length, after, after + epochPart.length) === 0;
      const h = data.indexOf(HEADLINE_KEY, after);
      const end = h < 0 ? -1 : data.indexOf(QUOTE, h + HEADLINE_KEY.length);
      const sent = end < 0 ? NaN : Number(data.toString('latin1', h + HEADLINE_KEY.length, end));
      onEvent(i, ws, seq, epochOk, sent);
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
    onEvent(i, ws, f.seq, f.epoch === epochs[i], typeof h === 'string' && h.startsWith('t:') ? Number(h.slice(2)) : NaN);
    return;
  }
  if (f.type === 'subscribed' && f.feed === st.feedId) {
    if (f.epoch !== epochs[i]) {
      // The SDK would reset and reload the snapshot: the history was lost. Never expected here.
      st.epochMismatch += 1;
    }
    subscribedHere[i] = 1;
    ws.everSubscribed = true;
    if (node[i] === B && st.t0 !== null) {
      answerMs.push(rel() - subscribeSentAt[i]);
      lastSubAt[i] = rel();
    }
    // As the SDK (client.ts and subscription.ts): `subscribed` starts the backoff over, even
    // though the server sends it before the catch-up, which may still fail (`unavailable`).
    attempt[i] = 0;
    if (node[i] === B && Number.isNaN(resubAt[i])) resubAt[i] = rel();
    subscribedWaiters[i]?.();
    checkDone(i);
    return;
  }
  if (f.type === 'reset' && f.feed === st.feedId) {
    // Never expected (the cursor is well inside the history): do what the SDK does anyway,
    // reload the snapshot and resubscribe from it; the seqs it skipped count as missing.
    st.resets += 1;
    st.sample.reset ??= `reader ${i}: ${data.toString().slice(0, 200)}`;
    subscribedHere[i] = 0;
    void api(procs.get(node[i] === B ? 'B' : 'A').url, 'GET', `/v1/feeds/${st.feedId}`).then((r) => {
      if (sockets[i] !== ws || r.status !== 200) return;
      lastSeq[i] = r.json.seq;
      epochs[i] = r.json.epoch;
      sendSubscribe(i, ws);
    }, () => undefined);
    return;
  }
  if (f.type === 'error') {
    if (f.code === 'unavailable' && f.feed === st.feedId) {
      st.unavailableFrames += 1;
      if (node[i] === B) unavailableMs.push(rel() - subscribeSentAt[i]);
      unavailableCount[i] += 1;
      if (done[i] === 1) {
        // Not served after all: it counts as done again once a subscribe holds.
        done[i] = 0;
        st.readersDone -= 1;
      }
      st.sample.unavailable ??= `reader ${i}: ${data.toString().slice(0, 200)}`;
      // As the SDK: ask again after a backoff delay.
      subscribedHere[i] = 0;
      setTimeout(() => {
        if (sockets[i] === ws && ws.readyState === WebSocket.OPEN) sendSubscribe(i, ws);
      }, backoff(i));
    } else {
      st.errorFrames += 1;
      st.sample.errorFrame ??= `reader ${i}: ${data.toString().slice(0, 200)}`;
    }
    return;
  }
  st.unexpectedFrames += 1;
  st.unexpectedFrameSample ??= data.toString().slice(0, 200);
}

/** One event frame for reader i: dedupes by seq, as the SDK does, and records when it came. */
function onEvent(i, ws, seq, epochOk, sent) {
  st.frames += 1;
  if (!epochOk) {
    st.epochMismatch += 1;
    return;
  }
  const last = lastSeq[i];
  if (seq <= last) {
    st.duplicates += 1; // the server promises none; the SDK would drop it silently
    return;
  }
  if (seq > last + 1) {
    // A gap: never deliver out of order; the SDK asks the server to fill it from its cursor.
    st.gaps += seq - last - 1;
    st.gapReaders += 1;
    if (subscribedHere[i] === 1) sendSubscribe(i, ws);
    return;
  }
  lastSeq[i] = seq;
  const k = seq - st.baseSeq; // 1..E
  if (k < 1 || k > E) {
    st.extra += 1;
    return;
  }
  const now = rel();
  recvAt[i * E + k - 1] = now;
  if (Number.isFinite(sent) && latencyCount < latencies.length) latencies[latencyCount++] = now + st.t0 - sent;
  checkDone(i);
}

function sendSubscribe(i, ws) {
  if (node[i] === B) {
    subscribeSentAt[i] = rel();
    st.subscribesToB += 1;
  }
  ws.send(JSON.stringify({ type: 'subscribe', feed: st.feedId, since: lastSeq[i], epoch: epochs[i] }));
}

/** Resubscribed on node B and has every entry up to the final seq. */
function checkDone(i) {
  if (done[i] === 1 || node[i] !== B || subscribedHere[i] !== 1 || lastSeq[i] < st.targetSeq) return;
  done[i] = 1;
  st.readersDone += 1;
  if (st.readersDone === st.readersOpened && waveResolve !== null) waveResolve();
}

/** Full-jitter backoff, the SDK's defaults: random in [0, min(20 s, 0.5 s · 2^attempt)). */
function backoff(i) {
  return Math.random() * Math.min(20_000, 500 * 2 ** attempt[i]++);
}

/** Opens reader i's socket to node `to` and subscribes from its cursor. */
function connect(i, to) {
  node[i] = to;
  subscribedHere[i] = 0;
  if (to === B) connectsToB[i] += 1;
  const ws = new WebSocket(wsUrls[to], { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: 15_000 });
  sockets[i] = ws;
  // A socket that opens but never gets a `subscribed` is given up on, like one that never opens.
  ws.everSubscribed = false;
  const stall = setTimeout(() => {
    if (sockets[i] === ws && !ws.everSubscribed) {
      ws.lastError = 'no `subscribed` within 30 s';
      ws.terminate();
    }
  }, 30_000);
  ws.on('open', () => sendSubscribe(i, ws));
  ws.on('message', (data) => onFrame(i, ws, data));
  ws.on('unexpected-response', (req, res) => {
    // An HTTP answer instead of an upgrade (503 while draining, 429, …): note it, then fail.
    ws.lastError = `HTTP ${res.statusCode}`;
    res.resume();
    ws.terminate();
  });
  ws.on('error', (err) => {
    ws.lastError ??= err.code ?? err.message;
    subscribedWaiters[i]?.(err);
  });
  ws.on('close', (code, reason) => {
    clearTimeout(stall);
    onClose(i, ws, code, reason.toString());
  });
}

function onClose(i, ws, code, reason) {
  const wasServed = subscribedHere[i] === 1;
  if (sockets[i] !== ws) return;
  sockets[i] = undefined;
  subscribedHere[i] = 0;
  if (closingAll || finished) return;
  if (opened[i] !== 1) {
    subscribedWaiters[i]?.(new Error(`closed (${code} ${reason}) before subscribing${ws.lastError ? `: ${ws.lastError}` : ''}`));
    return;
  }
  if (node[i] === A) {
    if (st.t0 === null) {
      st.closesBeforeRestart += 1;
      st.sample.close ??= `reader ${i}: close ${code} ${reason} before the restart`;
    } else {
      closeAt[i] = rel();
      st.closeCodes.set(code, (st.closeCodes.get(code) ?? 0) + 1);
      if (code !== 1012) {
        st.closesNot1012 += 1;
        st.sample.close ??= `reader ${i}: close ${code} ${reason}`;
      }
    }
  } else if (wasServed) {
    st.dropsOnB += 1;
    st.dropOnBSample ??= `reader ${i}: close ${code} ${reason}${ws.lastError ? `: ${ws.lastError}` : ""}`;
  } else {
    st.failedAttempts += 1;
    const why = ws.lastError ? String(ws.lastError) : `close ${code}`;
    st.failedAttemptReasons.set(why, (st.failedAttemptReasons.get(why) ?? 0) + 1);
    st.failedAttemptSample ??= `reader ${i}: ${why}${reason ? ` (${reason})` : ''}`;
  }
  // Like the SDK: reconnect after a full-jitter backoff (the balancer would pick node B,
  // the only node left; before the restart, back to node A), resuming from the cursor.
  const to = st.t0 === null ? A : B;
  setTimeout(() => {
    if (!closingAll && !finished) connect(i, to);
  }, backoff(i));
}

function openReader(i) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => settle(new Error('no `subscribed` frame within 15 s')), 15_000);
    function settle(err) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      subscribedWaiters[i] = undefined;
      if (err === undefined) {
        opened[i] = 1; // from now on, this reader reconnects by itself
        st.readersOpened += 1;
        resolve();
      } else {
        reject(err);
      }
    }
    subscribedWaiters[i] = settle;
    lastSeq[i] = st.baseSeq;
    epochs[i] = st.epoch;
    connect(i, A);
  });
}

async function openReaders() {
  for (let start = 0; start < N; start += opts.batch) {
    const end = Math.min(N, start + opts.batch);
    const jobs = [];
    for (let i = start; i < end; i++) jobs.push(openReader(i));
    const results = await Promise.allSettled(jobs);
    results.forEach((r, j) => {
      const i = start + j;
      if (r.status === 'rejected') {
        st.openFailures += 1;
        st.openErrorSample ??= `reader ${i}: ${r.reason?.message ?? r.reason}`;
        const ws = sockets[i];
        sockets[i] = undefined;
        ws?.terminate();
      }
    });
  }
}

async function closeReaders() {
  closingAll = true;
  const open = sockets.filter((ws) => ws !== undefined && ws.readyState !== WebSocket.CLOSED);
  const gone = Promise.all(open.map((ws) => new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    else ws.once('close', resolve);
  })));
  for (const ws of open) {
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'benchmark done');
    else ws.terminate();
  }
  await Promise.race([gone, sleep(5000)]);
  for (const ws of open) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}

// ---------------------------------------------------------------- node B during the wave

function startSampler() {
  const b = procs.get('B').child.pid;
  const a = procs.get('A').child.pid;
  let prev = { t: performance.now(), cpu: cpuSeconds(b) };
  sampler = setInterval(() => {
    try {
      const t = performance.now();
      const cpu = cpuSeconds(b);
      if (t - prev.t >= 200) {
        st.bPeakCpu = Math.max(st.bPeakCpu, (cpu - prev.cpu) / ((t - prev.t) / 1000));
        prev = { t, cpu };
      }
      st.bPeakRssKb = Math.max(st.bPeakRssKb, memoryKb(b).rss);
    } catch {
      // node B is gone: the report says so
    }
    try {
      if (alive(procs.get('A'))) st.aCpuLast = cpuSeconds(a);
    } catch {
      // node A exited
    }
  }, 250);
}

/** TcpExt ListenOverflows and ListenDrops of the whole machine (the nodes' accept queues on loopback here). */
function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/).map(Number);
    return { overflows: values[names.indexOf('ListenOverflows')], drops: values[names.indexOf('ListenDrops')] };
  } catch {
    return null;
  }
}

async function probeReady(url) {
  while (probing) {
    const s = performance.now();
    let status = 0;
    try {
      const r = await globalThis.fetch(`${url}/readyz`, { signal: globalThis.AbortSignal.timeout(10_000) });
      await r.text();
      status = r.status;
    } catch {
      // counts as not ready
    }
    st.readyMs.push(performance.now() - s);
    if (status !== 200) {
      st.readyNot200 += 1;
      st.readyFirstNot200Ms ??= rel();
      st.readyLastNot200Ms = rel();
    }
    await sleep(200);
  }
}

async function probeHealth(url) {
  probing = true;
  void probeReady(url);
  while (probing) {
    const s = performance.now();
    try {
      const r = await globalThis.fetch(`${url}/healthz`, { signal: globalThis.AbortSignal.timeout(10_000) });
      await r.text();
      if (r.status === 200) st.healthMs.push(performance.now() - s);
      else st.healthFailures += 1;
    } catch {
      st.healthFailures += 1;
    }
    await sleep(200);
  }
}

/** Calls per Redis command so far (INFO commandstats), over a raw RESP connection. */
function redisCommandCalls() {
  return new Promise((resolve) => {
    const sock = netConnect(st.redisPort, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      resolve(null);
    }, 3000);
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('connect', () => sock.write('*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n'));
    sock.on('data', (d) => {
      buf += d;
      const m = /^\$(\d+)\r\n/.exec(buf);
      if (m === null || buf.length < m[0].length + Number(m[1])) return;
      clearTimeout(timer);
      sock.end();
      const calls = {};
      for (const line of buf.slice(m[0].length).split('\r\n')) {
        const c = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
        if (c !== null) calls[c[1]] = Number(c[2]);
      }
      resolve(calls);
    });
    sock.on('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
}

async function scrapeMetrics(url) {
  try {
    const r = await globalThis.fetch(url, { signal: globalThis.AbortSignal.timeout(5000) });
    const text = await r.text();
    const wanted = /^(liveline_(connections|subscriptions|gaps_detected_total|gap_events_filled_total|resets_sent_total|refused_total|slow_readers_disconnected_total|stalled_readers_total|events_delivered_total|redis_errors_total)\b[^ ]*) (\S+)$/;
    const out = {};
    for (const line of text.split('\n')) {
      const m = wanted.exec(line);
      if (m !== null && Number(m[3]) !== 0) out[m[1]] = Number(m[3]);
    }
    return out;
  } catch (err) {
    return { error: String(err) };
  }
}

// ---------------------------------------------------------------- report


const r1 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10) / 10);
const r2 = (x) => (x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 100) / 100);
const fmt = (x, unit = '') => (x === null || x === undefined ? 'n/a' : `${x.toLocaleString('en-US')}${unit}`);

/** p-th percentile over the opened readers of a per-reader time; readers without one count as never. */
function readerPercentiles(values, ps) {
  const xs = [];
  let never = 0;
  for (let i = 0; i < N; i++) {
    if (opened[i] !== 1) continue;
    if (Number.isFinite(values[i])) xs.push(values[i]);
    else never += 1;
  }
  const sorted = Float64Array.from(xs).sort();
  const total = sorted.length + never;
  const out = { n: sorted.length, never };
  for (const p of ps) {
    const rank = Math.max(1, Math.ceil((p / 100) * total));
    out[`p${p}`] = rank <= sorted.length ? r1(sorted[rank - 1]) : null;
  }
  out.min = sorted.length ? r1(sorted[0]) : null;
  out.max = never === 0 && sorted.length ? r1(sorted[sorted.length - 1]) : null;
  return out;
}

function serverErrorLogs() {
  return Object.fromEntries([...procs.values()].filter((p) => p.name !== 'redis').map((p) => [p.name, { lines: p.errorLogs, kinds: Object.fromEntries(p.errorKinds) }]));
}

function msStats(xs) {
  const a = Float64Array.from(xs).sort();
  return { n: a.length, min: r1(a.length ? a[0] : null), p50: r1(percentile(a, 50)), p99: r1(percentile(a, 99)), max: r1(a.length ? a[a.length - 1] : null) };
}

function redisCallsDelta() {
  if (st.redisCallsAtT0 === null || st.redisCallsAtEnd === null) return null;
  const out = {};
  for (const [cmd, n] of Object.entries(st.redisCallsAtEnd)) {
    const d = n - (st.redisCallsAtT0[cmd] ?? 0);
    if (d > 0 && cmd !== 'info') out[cmd] = d;
  }
  return out;
}

function buildResult(outcome) {
  // The final seq every reader must reach, and the last-entry index it is in recvAt.
  const finalK = Number.isFinite(st.targetSeq) ? st.targetSeq - st.baseSeq : null;
  const doneAt = new Float64Array(N).fill(NaN);
  const downtime = new Float64Array(N).fill(NaN);
  let missing = 0;
  let readersIncomplete = 0;
  for (let i = 0; i < N; i++) {
    if (opened[i] !== 1) continue;
    downtime[i] = lastSubAt[i] - closeAt[i];
    let got = 0;
    for (let k = 0; k < E; k++) if (Number.isFinite(recvAt[i * E + k])) got += 1;
    missing += (finalK ?? E) - got;
    const has = finalK !== null && finalK >= 1 ? recvAt[i * E + finalK - 1] : NaN;
    if (done[i] === 1 && Number.isFinite(has) && Number.isFinite(lastSubAt[i])) doneAt[i] = Math.max(has, lastSubAt[i]);
    else readersIncomplete += 1;
  }
  const lat = latencies.slice(0, latencyCount).sort();
  const lastReader = [];
  for (let k = 0; k < E; k++) {
    let worst = -Infinity;
    for (let i = 0; i < N; i++) if (opened[i] === 1 && recvAt[i * E + k] > worst) worst = recvAt[i * E + k];
    if (Number.isFinite(worst) && Number.isFinite(st.sendAtRel?.[k])) lastReader.push(worst - st.sendAtRel[k]);
  }
  const lastSorted = Float64Array.from(lastReader).sort();
  const http = Float64Array.from(st.httpMs).sort();
  const health = Float64Array.from(st.healthMs).sort();
  const waveSec = st.waveEndMs !== null ? st.waveEndMs / 1000 : null;
  const bCpu = st.bCpuAtEnd !== null && st.bCpuAtT0 !== null ? st.bCpuAtEnd - st.bCpuAtT0 : null;
  const machine = st.machineAtEnd !== null && st.machineAtT0 !== null
    ? { busy: st.machineAtEnd.busy - st.machineAtT0.busy, total: st.machineAtEnd.total - st.machineAtT0.total }
    : null;
  let attemptsMax = 0;
  let readersRetried = 0;
  let unavailableReaders = 0;
  let unavailableMax = 0;
  for (let i = 0; i < N; i++) {
    if (opened[i] !== 1) continue;
    if (unavailableCount[i] > 0) unavailableReaders += 1;
    unavailableMax = Math.max(unavailableMax, unavailableCount[i]);
    attemptsMax = Math.max(attemptsMax, connectsToB[i]);
    if (connectsToB[i] > 1) readersRetried += 1;
  }
  const aExitOk = st.aExit !== null && st.aExit.code === 0;
  const problems = {
    openFailures: st.openFailures,
    postErrors: st.postErrors,
    closesBeforeRestart: st.closesBeforeRestart,
    closesNot1012: st.closesNot1012,
    nodeAExitNot0: st.t0 !== null && !aExitOk ? 1 : 0,
    gaps: st.gaps,
    duplicates: st.duplicates,
    epochMismatch: st.epochMismatch,
    resets: st.resets,
    errorFrames: st.errorFrames, // error frames other than `unavailable`
    missing,
    readersIncomplete,
    extraEvents: st.extra,
    unexpectedFrames: st.unexpectedFrames,
    badFrames: st.badFrames,
  };
  const problemCount = Object.values(problems).reduce((a, b) => a + b, 0);
  const ok = outcome === 'completed' && problemCount === 0 && st.postsOk === E;
  const cpus = os.cpus();
  return {
    bench: 'reconnect',
    ok,
    outcome,
    phase: st.phase,
    mode: 'redis, 2 nodes',
    readers: N,
    readersOpened: st.readersOpened,
    drainMs: opts.drainMs,
    entriesBefore: opts.entriesBefore,
    entriesDuring: E,
    postWindowMs: opts.postWindowMs,
    machine: { cpus: cpus.length, cpuModel: cpus[0]?.model ?? null, memGB: r1(os.totalmem() / 2 ** 30), node: process.version, sharedCpu: true },
    connectMs: r1(st.connectMs),
    // ms after SIGTERM to node A (t0) at which node A's close reached each reader
    closeMs: readerPercentiles(closeAt, [10, 50, 90]),
    closeCodes: Object.fromEntries(st.closeCodes),
    nodeA: {
      exitCode: st.aExit?.code ?? null,
      exitSignal: st.aExit?.signal ?? null,
      exitMs: r1(st.aExitMs),
      cpuSecAfterSigterm: st.aCpuLast !== null && st.aCpuAtT0 !== null ? r2(st.aCpuLast - st.aCpuAtT0) : null,
    },
    // ms after t0: first `subscribed` from node B; and resubscribed AND holding every entry
    resubscribedMs: readerPercentiles(lastSubAt, [50, 90, 99, 100]),
    firstSubscribedMs: readerPercentiles(resubAt, [50, 90, 99, 100]),
    caughtUpMs: readerPercentiles(doneAt, [50, 90, 99, 100]),
    // per reader: node A's close → node B's `subscribed` (backoff + connect + subscribe)
    downtimeMs: readerPercentiles(downtime, [50, 90, 99, 100]),
    reconnects: {
      connectsToB: Array.from(connectsToB).reduce((a, b) => a + b, 0),
      readersRetried,
      maxAttempts: attemptsMax,
      failedAttempts: st.failedAttempts,
      failedReasons: Object.fromEntries(st.failedAttemptReasons),
      dropsOnB: st.dropsOnB,
      // `unavailable` error frames from node B (its store read failed): resubscribed after a backoff
      unavailableFrames: st.unavailableFrames,
      subscribesSent: st.subscribesToB,
      unavailableReaders,
      unavailableMaxPerReader: unavailableMax,
      // node B's answers to subscribes: `subscribed` (then the catch-up) and `unavailable`
      subscribedAfterMs: msStats(answerMs),
      unavailableAfterMs: msStats(unavailableMs),
    },
    // Redis commands during the wave (calls, from INFO commandstats); the Lua scripts are EVALSHA
    redisCalls: redisCallsDelta(),
    posts: {
      sent: st.postsSent,
      ok: st.postsOk,
      errors: st.postErrors,
      lastPostMs: r1(st.lastPostAtMs),
      httpP50Ms: r2(percentile(http, 50)),
      httpP99Ms: r2(percentile(http, 99)),
      httpMaxMs: r2(http.length ? http[http.length - 1] : null),
    },
    latencyMs: {
      samples: lat.length,
      p50: r1(percentile(lat, 50)), p90: r1(percentile(lat, 90)), p99: r1(percentile(lat, 99)), max: r1(lat.length ? lat[lat.length - 1] : null),
    },
    lastReaderMs: { p50: r1(percentile(lastSorted, 50)), max: r1(lastSorted.length ? lastSorted[lastSorted.length - 1] : null) },
    nodeB: {
      waveMs: r1(st.waveEndMs),
      rssBeforeKB: st.bRssBeforeKb,
      peakRssKB: st.bPeakRssKb || null,
      hwmKB: st.bHwmKb,
      rssEndKB: st.bRssEndKb,
      cpuSec: r2(bCpu),
      sysCpuSec: st.bSysAtEnd !== null && st.bSysAtT0 !== null ? r2(st.bSysAtEnd - st.bSysAtT0) : null,
      cpuAvgPct: bCpu !== null && waveSec ? Math.round((100 * bCpu) / waveSec) : null,
      cpuPeakPct: Math.round(100 * st.bPeakCpu),
      readyz: { samples: st.readyMs.length, not200: st.readyNot200, firstNot200Ms: r1(st.readyFirstNot200Ms), lastNot200Ms: r1(st.readyLastNot200Ms) },
      listenOverflows: st.listenAtT0 !== null && st.listenAtEnd !== null ? st.listenAtEnd.overflows - st.listenAtT0.overflows : null,
      healthz: { samples: health.length, failures: st.healthFailures, p50Ms: r1(percentile(health, 50)), p99Ms: r1(percentile(health, 99)), maxMs: r1(health.length ? health[health.length - 1] : null) },
      metrics: st.bMetrics,
    },
    client: {
      cpuSec: st.clientCpuAtEnd !== null && st.clientCpuAtT0 !== null ? r2(st.clientCpuAtEnd - st.clientCpuAtT0) : null,
    },
    machineDuringWave: machine !== null ? { busySec: r2(machine.busy), busyPct: machine.total > 0 ? Math.round((100 * machine.busy) / machine.total) : null } : null,
    machineBusyBeforePct: st.machineBusyBefore !== null ? Math.round(st.machineBusyBefore * 100) : null,
    baseSeq: st.baseSeq,
    finalSeq: Number.isFinite(st.targetSeq) ? st.targetSeq : null,
    problems,
    serverErrorLogs: serverErrorLogs(),
    samples: {
      openError: st.openErrorSample, postError: st.postErrorSample, unexpectedFrame: st.unexpectedFrameSample,
      failedAttempt: st.failedAttemptSample, dropOnB: st.dropOnBSample, ...st.sample,
    },
    pids: Object.fromEntries([...procs.values()].map((p) => [p.name, p.child.pid ?? null])),
    git: gitState(),
    clkTck: CLK_TCK,
    elapsedSec: r1((Date.now() - st.startedAt) / 1000),
  };
}

function printReport(res, error) {
  const L = [];
  const mb = (kb) => (kb === null || kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`);
  const s = (ms) => (ms === null || ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
  const pcts = (o, ps) => ps.map((p) => `${p === 100 ? '100%' : `${p}%`} ${s(o[`p${p}`])}`).join(', ') + (o.never ? ` (${o.never} readers never)` : '');
  L.push('');
  L.push(`Liveline reconnect benchmark: ${N} readers on one feed, node A -> node B (Redis), LIVELINE_DRAIN_MS=${opts.drainMs}`);
  L.push(`machine: ${res.machine.cpus} CPUs (${res.machine.cpuModel}), ${res.machine.memGB} GB, Node ${res.machine.node}`);
  if (res.git !== null) L.push(`code: commit ${res.git.commit}${res.git.serverDirty ? ' with uncommitted changes in server/' : ''}`);
  L.push('note: the client (one Node thread), both nodes and Redis share these CPUs');
  L.push(`setup: ${res.readersOpened}/${N} readers subscribed on node A in ${fmt(res.connectMs, ' ms')} (batches of ${opts.batch}); feed at seq ${res.baseSeq}`);
  L.push(`t0 = SIGTERM to node A. Times below are from t0.`);
  L.push(`node A's closes reached the readers: min ${s(res.closeMs.min)}, p10 ${s(res.closeMs.p10)}, p50 ${s(res.closeMs.p50)}, p90 ${s(res.closeMs.p90)}, max ${s(res.closeMs.max)}; codes ${JSON.stringify(res.closeCodes)}`);
  L.push(`node A exited with code ${fmt(res.nodeA.exitCode)}${res.nodeA.exitSignal ? ` (signal ${res.nodeA.exitSignal})` : ''} after ${s(res.nodeA.exitMs)}; its CPU after SIGTERM ${fmt(res.nodeA.cpuSecAfterSigterm, ' s')}`);
  L.push(`resubscribed on node B (the subscribe that held): ${pcts(res.resubscribedMs, [50, 90, 99, 100])}`);
  if (res.reconnects.unavailableFrames > 0) L.push(`  first \`subscribed\` from node B (its catch-up may then have failed): ${pcts(res.firstSubscribedMs, [50, 90, 99, 100])}`);
  L.push(`resubscribed and caught up to seq ${fmt(res.finalSeq)}: ${pcts(res.caughtUpMs, [50, 90, 99, 100])}`);
  L.push(`per reader, close -> resubscribed (backoff + connect + subscribe): p50 ${s(res.downtimeMs.p50)}, p90 ${s(res.downtimeMs.p90)}, p99 ${s(res.downtimeMs.p99)}, max ${s(res.downtimeMs.p100)}`);
  L.push(`reconnects: ${fmt(res.reconnects.connectsToB)} attempts to node B, ${fmt(res.reconnects.failedAttempts)} failed ${JSON.stringify(res.reconnects.failedReasons)}, ${fmt(res.reconnects.readersRetried)} readers needed more than one (max ${res.reconnects.maxAttempts}); ${fmt(res.reconnects.dropsOnB)} dropped by node B after subscribing; ${fmt(res.reconnects.subscribesSent)} subscribes sent to node B, ${fmt(res.reconnects.unavailableFrames)} answered \`unavailable\` (retried after a backoff; ${fmt(res.reconnects.unavailableReaders)} readers, up to ${res.reconnects.unavailableMaxPerReader} times one reader)`);
  const ms = (o) => `min ${fmt(o.min, ' ms')}, p50 ${fmt(o.p50, ' ms')}, p99 ${fmt(o.p99, ' ms')}, max ${fmt(o.max, ' ms')}`;
  L.push(`node B answered a subscribe with \`subscribed\` (${fmt(res.reconnects.subscribedAfterMs.n)}): ${ms(res.reconnects.subscribedAfterMs)}${res.reconnects.unavailableAfterMs.n ? `; with \`unavailable\` (${fmt(res.reconnects.unavailableAfterMs.n)}): ${ms(res.reconnects.unavailableAfterMs)}` : ''}`);
  if (res.redisCalls !== null) L.push(`redis commands during the wave: ${Object.entries(res.redisCalls).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  L.push(`entries during the wave: ${res.posts.ok}/${E} posted to node B over ${s(res.posts.lastPostMs)}; POST p50 ${fmt(res.posts.httpP50Ms, ' ms')}, p99 ${fmt(res.posts.httpP99Ms, ' ms')}, max ${fmt(res.posts.httpMaxMs, ' ms')}`);
  L.push(`  publish -> reader has it (${fmt(res.latencyMs.samples)} reader x entry samples, readers between nodes included): p50 ${fmt(res.latencyMs.p50, ' ms')}, p90 ${fmt(res.latencyMs.p90, ' ms')}, p99 ${fmt(res.latencyMs.p99, ' ms')}, max ${fmt(res.latencyMs.max, ' ms')}; last reader per entry p50 ${fmt(res.lastReaderMs.p50, ' ms')}, max ${fmt(res.lastReaderMs.max, ' ms')}`);
  const b = res.nodeB;
  L.push(`node B over the wave (${s(b.waveMs)}): CPU ${fmt(b.cpuSec, ' s')} (${fmt(b.sysCpuSec, ' s')} kernel), average ${fmt(b.cpuAvgPct, '%')} of a core, peak ${fmt(b.cpuPeakPct, '%')} (250 ms samples); RSS ${mb(b.rssBeforeKB)} idle -> peak ${mb(b.peakRssKB)} (VmHWM ${mb(b.hwmKB)}), ${mb(b.rssEndKB)} at the end`);
  L.push(`  GET /healthz every 200 ms: ${b.healthz.samples} answered, ${b.healthz.failures} failed; p50 ${fmt(b.healthz.p50Ms, ' ms')}, p99 ${fmt(b.healthz.p99Ms, ' ms')}, max ${fmt(b.healthz.maxMs, ' ms')}`);
  L.push(`  GET /readyz every 200 ms: ${b.readyz.not200} of ${b.readyz.samples} not 200${b.readyz.not200 ? ` (first at ${s(b.readyz.firstNot200Ms)}, last at ${s(b.readyz.lastNot200Ms)})` : ''}; kernel listen-queue overflows (TcpExt ListenOverflows) ${fmt(b.listenOverflows)}`);
  if (b.metrics !== null) L.push(`  node B metrics: ${Object.entries(b.metrics).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  L.push(`client CPU over the wave ${fmt(res.client.cpuSec, ' s')}; machine ${fmt(res.machineDuringWave?.busyPct ?? null, '%')} busy over all CPUs (${fmt(res.machineBusyBeforePct, '%')} before the run)`);
  const bad = Object.entries(res.problems).filter(([, v]) => v > 0);
  L.push(bad.length === 0 && res.outcome === 'completed'
    ? `order check: every reader got seq ${res.baseSeq + 1}..${res.finalSeq} once, in order, across the move: OK`
    : `order check: PROBLEMS ${bad.length ? bad.map(([k, v]) => `${k}=${v}`).join(', ') : '(none counted, run incomplete)'}`);
  for (const [k, v] of Object.entries(res.samples)) if (v !== null && v !== undefined) L.push(`  sample ${k}: ${v}`);
  for (const p of procs.values()) {
    if (p.name !== 'redis' && p.errorLogs > 0) L.push(`node ${p.name} logged ${p.errorLogs} error lines: ${[...p.errorKinds].map(([k, v]) => `${v} x "${k}"`).join(', ')}`);
  }
  if (error) L.push(`ERROR (${res.phase}): ${error}`);
  L.push(`result: ${res.ok ? 'OK' : `NOT OK (${res.outcome})`}`);
  process.stdout.write(`${L.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

function closeWaveWindow() {
  if (st.t0 === null || st.waveEndMs !== null) return;
  st.waveEndMs = rel();
  probing = false;
  if (sampler !== null) clearInterval(sampler);
  sampler = null;
  st.machineAtEnd = machineCpu();
  st.clientCpuAtEnd = clientCpuSeconds();
  const b = procs.get('B');
  if (alive(b)) {
    try {
      st.bCpuAtEnd = cpuSeconds(b.child.pid);
      st.bSysAtEnd = cpuTimes(b.child.pid).sys;
      const m = memoryKb(b.child.pid);
      st.bRssEndKb = m.rss;
      st.bHwmKb = m.hwm;
      st.bPeakRssKb = Math.max(st.bPeakRssKb, m.rss);
    } catch {
      // gone
    }
  }
}

async function finish(outcome, error) {
  if (finished) return;
  finished = true;
  clearTimeout(hardTimer);
  closeWaveWindow();
  const res = buildResult(outcome);
  if (error !== undefined) res.error = String(error?.message ?? error);
  try {
    await closeReaders();
  } finally {
    // Readers are gone, so the nodes' drain has nothing to wait for.
    await Promise.all([stopProc('A', 5000), stopProc('B', 5000)]);
    await stopProc('redis', 5000);
    removeTmpDir();
  }
  // The nodes' error lines, once their output is read to the end (a busy node's logs lag).
  await Promise.race([Promise.all([...procs.values()].map((p) => p.outputDone)), sleep(3000)]);
  res.serverErrorLogs = serverErrorLogs();
  printReport(res, res.error);
  process.exit(res.ok ? 0 : 1);
}

// ---------------------------------------------------------------- run

const hardTimer = setTimeout(() => {
  void finish('timeout', `hard timeout of ${opts.timeout} s reached during ${st.phase}`);
}, opts.timeout * 1000);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => void finish('interrupted', `interrupted by ${sig}`));
process.on('uncaughtException', (err) => void finish('error', err));

async function main() {
  st.machineBusyBefore = await preflight('bench-reconnect', N + 200);

  st.phase = 'starting redis-server and the nodes';
  const redisUrl = await startRedis();
  const prefix = `llbench${randomBytes(3).toString('hex')}`;
  const [urlA, urlB] = await Promise.all([startNode('A', redisUrl, prefix), startNode('B', redisUrl, prefix)]);
  await Promise.all([waitReady(urlA), waitReady(urlB)]);
  wsUrls = [`${urlA.replace(/^http/, 'ws')}/v1/ws`, `${urlB.replace(/^http/, 'ws')}/v1/ws`];

  st.phase = 'creating the feed';
  const created = await api(urlA, 'POST', '/v1/feeds', { id: st.feedId, title: 'Reconnect benchmark', status: 'live' });
  if (created.status !== 201) throw new Error(`creating the feed: HTTP ${created.status} ${created.text.slice(0, 200)}`);
  for (let i = 0; i < opts.entriesBefore; i++) {
    if ((await postEntry(urlA, `before ${i + 1}`, i)) === null) throw new Error(`posting entry ${i + 1}: ${st.postErrorSample}`);
  }
  st.postsSent = st.postsOk = 0;
  st.httpMs.length = 0;
  // As the SDK: load the snapshot, then subscribe from exactly its seq and epoch.
  const snap = await api(urlA, 'GET', `/v1/feeds/${st.feedId}`);
  if (snap.status !== 200) throw new Error(`snapshot: HTTP ${snap.status} ${snap.text.slice(0, 200)}`);
  st.baseSeq = snap.json.seq;
  st.epoch = snap.json.epoch;
  epochPart = Buffer.from(`,"epoch":${JSON.stringify(st.epoch)}`);

  st.phase = 'connecting readers to node A';
  const connectStart = performance.now();
  await openReaders();
  st.connectMs = performance.now() - connectStart;
  if (st.readersOpened === 0) throw new Error(`no reader could connect: ${st.openErrorSample}`);
  await sleep(1000); // let everything settle
  st.bRssBeforeKb = memoryKb(procs.get('B').child.pid).rss;

  st.phase = 'restart: node A draining, readers moving to node B';
  const waveDone = new Promise((resolve) => {
    waveResolve = resolve;
  });
  const a = procs.get('A');
  const b = procs.get('B');
  st.machineAtT0 = machineCpu();
  st.clientCpuAtT0 = clientCpuSeconds();
  st.bCpuAtT0 = cpuSeconds(b.child.pid);
  st.bSysAtT0 = cpuTimes(b.child.pid).sys;
  st.aCpuAtT0 = cpuSeconds(a.child.pid);
  st.redisCallsAtT0 = await redisCommandCalls();
  st.listenAtT0 = listenOverflows();
  startSampler();
  st.t0 = nowMs();
  a.child.kill('SIGTERM'); // by its PID: the node this script started
  void a.exited.then((info) => {
    st.aExit = info;
    st.aExitMs = info.atMs - st.t0;
  });
  void probeHealth(urlB);

  // The entries during the wave: open loop, spread evenly from t0 over the post window.
  const posts = [];
  st.sendAtRel = new Float64Array(E).fill(NaN);
  for (let i = 0; i < E; i++) {
    const at = E > 1 ? (i * opts.postWindowMs) / (E - 1) : 0;
    const wait = at - rel();
    if (wait > 1) await sleep(wait);
    st.lastPostAtMs = rel();
    const sent = nowMs();
    posts.push(postEntry(urlB, `t:${sent.toFixed(3)}`, i).then((seq) => {
      if (seq !== null) {
        st.postSeqs.push(seq);
        const k = seq - st.baseSeq;
        if (k >= 1 && k <= E) st.sendAtRel[k - 1] = sent - st.t0;
      }
    }));
  }
  await Promise.all(posts);
  // Every post has answered: the final seq is known (the highest any post got).
  st.targetSeq = st.postSeqs.length > 0 ? Math.max(...st.postSeqs) : st.baseSeq;
  if (st.targetSeq - st.baseSeq > E) process.stderr.write(`bench-reconnect: warning: the feed reached seq ${st.targetSeq}, more than the ${E} entries posted\n`);
  for (let i = 0; i < N; i++) if (opened[i] === 1) checkDone(i);

  st.phase = 'waiting for every reader to be resubscribed and caught up on node B';
  if (st.readersDone < st.readersOpened) await waveDone;
  closeWaveWindow();
  st.redisCallsAtEnd = await redisCommandCalls();
  st.listenAtEnd = listenOverflows();

  st.phase = 'waiting for node A to exit';
  const aBound = opts.drainMs + 20_000;
  await Promise.race([a.exited, sleep(aBound)]);
  if (st.aExit === null) await sleep(0);
  await sleep(500); // anything after this would be a duplicate or an extra event
  st.bMetrics = await scrapeMetrics(procs.get('B')?.metricsUrl ?? `${urlB}/metrics`);
  st.phase = 'done';
  await finish(alive(a) ? 'incomplete' : 'completed', alive(a) ? `node A had not exited ${aBound / 1000} s after SIGTERM` : undefined);
}

main().catch((err) => finish('error', err));

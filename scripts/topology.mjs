#!/usr/bin/env node
// Runs docker-compose.yml's topology with local processes, on loopback only:
//   redis-server (AOF, fsync always, password required, in a temp dir) ← N Liveline
//   nodes ← HAProxy with deploy/haproxy.cfg, the very file the compose "lb" service mounts.
//   Each node also has its own Prometheus /metrics port, which the balancer never reaches.
//
// Usage: npm run build && node scripts/topology.mjs [--nodes 2] [--port 8080]
//   --nodes  how many Liveline nodes (1 up to the number of LIVELINE_NODE<n> servers in
//            deploy/haproxy.cfg; servers not started point at a closed port and stay DOWN)
//   --port   the balancer's port (0: a free one); redis and the nodes always get free ports
//   --cluster MxR  a Redis Cluster of M masters with R replicas each (e.g. 3x1, as in
//            docker-compose.cluster.yml) instead of one redis-server: scripts/topology/cluster.mjs
//            forms it; the nodes get REDIS_CLUSTER_NODES, and the JSON line has "cluster"
//            ({masters, replicas, seeds, nodes:[{url,pid}], password}) in place of "redis"
// Editor tokens: LIVELINE_EDITOR_TOKENS from the environment, or one generated and printed.
// Redis password: REDIS_PASSWORD from the environment, or one generated per run; redis-server
// reads it from a config file in the temp dir (not its command line) and the nodes get it
// as REDIS_PASSWORD (never inside REDIS_URL). Other LIVELINE_* variables in the environment
// reach the nodes too.
//
// Once the balancer answers /readyz and sees every node UP, it prints ONE JSON line on
// stdout, {lb, monitor, nodes:[{url,metricsUrl,pid}], redis:{url,pid,password},
// haproxy:{pid}, token}, then a summary for people. A node's metricsUrl is the one its
// start-up banner prints. Start-up fails if a node warns that Redis is used without a
// password. The processes' own output goes to stderr, each line prefixed
// with its name. SIGINT/SIGTERM/SIGHUP stops exactly the processes it started: the
// nodes with SIGTERM (they drain), then haproxy, then redis (which flushes its AOF), and
// removes the temp dir; exit 0 when everything stopped on its own. A second signal kills
// them at once. If anything fails to start, it stops what it started and exits 1.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from './bench-lib.mjs';
import { parseClusterShape, startRedisCluster } from './topology/cluster.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HAPROXY_CFG = path.join(ROOT, 'deploy', 'haproxy.cfg');
const SERVER_ENTRY = path.join(ROOT, 'dist', 'server', 'index.js');
const SDK_BUNDLE = path.join(ROOT, 'client-sdk', 'dist', 'liveline.js');
/** How long a process may take to become ready, and to stop after SIGTERM (above a node's ~10 s drain window). */
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 25_000;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { nodes: 2, port: 8080 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || !/^\d+$/.test(v)) throw new UsageError(`${flag} needs a whole number`);
      return Number(v);
    };
    if (flag === '--nodes') opts.nodes = value();
    else if (flag === '--port') opts.port = value();
    else if (flag === '--cluster') {
      // A Redis Cluster (docker-compose.cluster.yml) instead of one redis-server: scripts/topology/cluster.mjs.
      opts.cluster = parseClusterShape(inline ?? argv[++i]);
      if (opts.cluster === null) throw new UsageError('--cluster needs MxR: M masters (3 or more) with R replicas each, e.g. 3x1');
    }
    else if (flag === '--help' || flag === '-h') opts.help = true;
    else throw new UsageError(`unknown argument ${arg}`);
  }
  if (opts.port > 65535) throw new UsageError('--port must be 0-65535');
  return opts;
}

/** The LIVELINE_NODE<n> variables deploy/haproxy.cfg uses: one per "server" line. */
function configuredNodeCount() {
  const cfg = readFileSync(HAPROXY_CFG, 'utf8');
  const indexes = new Set([...cfg.matchAll(/^\s*server\s+\S+\s+"\$\{LIVELINE_NODE(\d+)\}"/gm)].map((m) => Number(m[1])));
  let n = 0;
  while (indexes.has(n + 1)) n++;
  return n;
}

/** A free loopback port (the kernel's pick). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * A cluster's Redis node that exits on its own is started again after this long, ms: past
 * its cluster-node-timeout (5 s) and the election, so its replica has taken over and the
 * node rejoins as that replica's replica (restarted at once, it would come back as master
 * from its AOF before anyone noticed, and the failover path would never run).
 */
const RESTART_DELAY_MS = 10_000;

/** One child process we started: its output prefixed on stderr, its exit observable. */
class Proc {
  constructor(name, command, args, env) {
    if (shuttingDown) throw new Error('stopping: not starting anything more');
    this.name = name;
    this.tail = '';
    this.stopping = false;
    // Own process group: a Ctrl-C in the terminal reaches only this runner, which then
    // stops the processes in order (nodes drain before Redis goes away).
    this.child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (err) => {
        this.spawnError = err;
        resolve({ code: null, signal: null });
      });
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.exitInfo = null;
    void this.exited.then((info) => {
      this.exitInfo = info;
      if (!this.stopping && !shuttingDown && started) {
        log(`${this.name} (pid ${this.pid}) exited on its own: ${describeExit(info)}; the rest keeps running`
          + (this.onUnexpectedExit ? `; restarting it in ${RESTART_DELAY_MS} ms (restart: unless-stopped)` : ''));
        this.onUnexpectedExit?.();
      }
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream.on('data', (chunk) => {
        const text = partial + chunk.toString();
        const lines = text.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.line(line);
      });
      stream.on('end', () => {
        if (partial !== '') this.line(partial);
        partial = '';
      });
    }
  }

  get pid() {
    return this.child.pid;
  }

  get running() {
    return this.exitInfo === null && this.spawnError === undefined;
  }

  line(line) {
    this.tail = `${this.tail}${line}\n`.slice(-4000);
    process.stderr.write(`[${this.name}] ${line}\n`);
    this.onLine?.(line);
  }

  /** Sends `signal`; after `timeoutMs` without an exit, SIGKILL. Resolves true when it exited by itself. */
  async stop(signal, timeoutMs) {
    this.stopping = true;
    if (!this.running) return true;
    this.child.kill(signal);
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result !== 'timeout') return true;
    log(`${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms of ${signal}: SIGKILL`);
    this.child.kill('SIGKILL');
    await this.exited;
    return false;
  }

  /** Rejects once the process exits (used to fail a start-up wait early). */
  failOnExit() {
    return this.exited.then((info) => {
      const missing = this.spawnError?.code === 'ENOENT' ? ' (install it: bash scripts/install-system-deps.sh)' : '';
      const why = this.spawnError ? `could not run ${this.child.spawnfile}: ${this.spawnError.message}${missing}` : describeExit(info);
      throw new Error(`${this.name} exited during start-up (${why})${this.tail ? `; its last output:\n${this.tail}` : ''}`);
    });
  }
}

function describeExit({ code, signal }) {
  return signal ? `signal ${signal}` : `code ${code}`;
}

function log(message) {
  process.stderr.write(`[topology] ${message}\n`);
}

/** Resolves when `check()` resolves true; polls every 100 ms; rejects after `timeoutMs` or when `proc` exits. */
async function until(what, check, timeoutMs, proc) {
  const deadline = Date.now() + timeoutMs;
  let stop = false;
  const exited = proc ? proc.failOnExit() : new Promise(() => {});
  exited.catch(() => {});
  const poll = (async () => {
    let last = 'no answer yet';
    while (!stop) {
      try {
        if (await check()) return;
        last = 'not yet';
      } catch (err) {
        last = err instanceof Error ? err.message : String(err);
      }
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${last})`);
      await delay(100);
    }
  })();
  try {
    await Promise.race([poll, exited]);
  } finally {
    stop = true;
  }
}

async function httpStatus(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status;
}

/** Each server's status ("UP", "DOWN", "MAINT", …) in the backend, from HAProxy's stats CSV. */
async function serverStates(monitorUrl) {
  const res = await fetch(`${monitorUrl}/stats;csv`, { signal: AbortSignal.timeout(2000) });
  const [header, ...rows] = (await res.text()).split('\n').filter(Boolean);
  const cols = header.replace(/^# /, '').split(',');
  const at = (name) => cols.indexOf(name);
  const states = {};
  for (const row of rows) {
    const f = row.split(',');
    if (f[at('pxname')] === 'liveline_nodes' && f[at('svname')] !== 'BACKEND') states[f[at('svname')]] = f[at('status')];
  }
  return states;
}

/** REDIS_PASSWORD from the environment, or a new random one; it goes into a redis.conf line. */
function redisPassword() {
  const configured = process.env.REDIS_PASSWORD;
  if (configured !== undefined && configured !== '') {
    if ([...configured].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
      throw new UsageError('REDIS_PASSWORD must not contain control characters');
    }
    return { value: configured, generated: false };
  }
  return { value: randomBytes(24).toString('base64url'), generated: true };
}

/** A value for redis.conf: double-quoted, with Redis's escapes for backslash and quote. */
function redisConfString(value) {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** What a node's start-up banner says about metrics and Redis authentication. */
const METRICS_BANNER = /^Metrics \(Prometheus; keep this port private\): (\S+)$/;
const NO_REDIS_PASSWORD_WARNING = 'WARNING: Redis is used without a password';

function editorTokens() {
  const configured = process.env.LIVELINE_EDITOR_TOKENS?.trim();
  if (configured) {
    const first = configured.split(',')[0] ?? '';
    return { value: configured, token: first.slice(first.indexOf(':') + 1).trim(), generated: false };
  }
  const token = randomBytes(24).toString('base64url');
  return { value: `topology:${token}`, token, generated: true };
}

const procs = [];
let shuttingDown = false;
let started = false;
let tempDir = null;

/** Stops what was started, newest layer first. Resolves true when everything exited by itself. */
async function stopAll({ force = false } = {}) {
  const sig = (s) => (force ? 'SIGKILL' : s);
  const byKind = (kind) => procs.filter((p) => p.kind === kind);
  let clean = true;
  const stopLayer = async (kind, signal, timeoutMs) => {
    const results = await Promise.all(byKind(kind).map((p) => p.stop(sig(signal), timeoutMs)));
    if (results.includes(false)) clean = false;
  };
  await stopLayer('node', 'SIGTERM', STOP_TIMEOUT_MS); // drain first, while the balancer and Redis still work
  await stopLayer('haproxy', 'SIGTERM', 5000);
  await stopLayer('redis', 'SIGTERM', 10_000); // a clean shutdown flushes the AOF
  if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
  tempDir = null;
  return clean && !force;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`topology: ${err.message}\nusage: node scripts/topology.mjs [--nodes N] [--port PORT] [--cluster MxR]\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write('usage: node scripts/topology.mjs [--nodes N] [--port PORT] [--cluster MxR]\n(runs redis-server with a password, N Liveline nodes each with a private metrics port, and haproxy with deploy/haproxy.cfg, on loopback;\n REDIS_PASSWORD and LIVELINE_EDITOR_TOKENS are generated unless set;\n --cluster 3x1: a Redis Cluster of 3 masters with 1 replica each instead of one redis-server, as in\n docker-compose.cluster.yml; the nodes get REDIS_CLUSTER_NODES, and its seeds are printed)\n');
    return 0;
  }
  if (!existsSync(SERVER_ENTRY) || !existsSync(SDK_BUNDLE)) {
    process.stderr.write('topology: dist/ is missing: run `npm run build` first (it builds the server and the SDK)\n');
    return 1;
  }
  const maxNodes = configuredNodeCount();
  if (opts.nodes < 1 || opts.nodes > maxNodes) {
    process.stderr.write(`topology: --nodes must be 1-${maxNodes}: deploy/haproxy.cfg has ${maxNodes} server lines (add one there, and a service in docker-compose.yml, to run more)\n`);
    return 2;
  }

  let password;
  try {
    password = redisPassword();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`topology: ${err.message}\n`);
    return 2;
  }
  const tokens = editorTokens();
  tempDir = mkdtempSync(path.join(tmpdir(), 'liveline-topology-'));
  const basePath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  // Debian puts haproxy in /usr/sbin, which a non-root PATH may lack.
  const PATH = basePath.split(':').includes('/usr/sbin') ? basePath : `${basePath}:/usr/sbin:/sbin`;

  // --cluster MxR: a Redis Cluster instead (scripts/topology/cluster.mjs); the nodes get its seeds.
  const cluster = opts.cluster ? await startRedisCluster({
    ...opts.cluster,
    password: password.value,
    dir: tempDir,
    PATH,
    startProc: function startRedisNode(name, command, args, env) {
      const proc = new Proc(name, command, args, env);
      proc.kind = 'redis';
      // As docker-compose.cluster.yml's `restart: unless-stopped`: a node that dies comes back
      // on its port and directory, rejoins from its nodes.conf (as a replica, if it was failed
      // over), so its shard has a replica to confirm writes again.
      proc.onUnexpectedExit = () => setTimeout(() => {
        if (!shuttingDown) startRedisNode(name, command, args, env);
      }, RESTART_DELAY_MS);
      procs.push(proc);
      return proc;
    },
    until,
    startTimeoutMs: START_TIMEOUT_MS,
  }) : null;

  // Redis: AOF with fsync on every write and a password, as in docker-compose.yml. The
  // password is in a config file only this user can read, so it never shows in `ps`.
  let redisPort = null;
  let redis = null;
  let redisUrl = null;
  if (!cluster) {
    redisPort = await freePort();
    const redisConf = path.join(tempDir, 'redis.conf');
    writeFileSync(redisConf, `requirepass ${redisConfString(password.value)}\n`, { mode: 0o600 });
    redis = new Proc('redis', 'redis-server', [
      redisConf,
      '--port', String(redisPort), '--bind', '127.0.0.1', '--dir', tempDir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--loglevel', 'warning',
    ], { PATH });
    redis.kind = 'redis';
    procs.push(redis);
    redisUrl = `redis://127.0.0.1:${redisPort}`;
    await until('redis-server answers (with the password)', () => redisPing(redisPort, password.value), START_TIMEOUT_MS, redis);
  }

  // The nodes, as docker-compose.yml configures liveline-1, liveline-2 (but on loopback).
  const nodes = [];
  for (let i = 1; i <= opts.nodes; i++) {
    const port = await freePort();
    const metricsPort = await freePort();
    const node = new Proc(`node${i}`, process.execPath, [...SERVER_NODE_FLAGS, SERVER_ENTRY], {
      ...process.env,
      PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      // Metrics on a port of their own, which deploy/haproxy.cfg never points at.
      LIVELINE_METRICS_PORT: String(metricsPort),
      LIVELINE_METRICS_HOST: '127.0.0.1',
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster.seeds.join(','), REDIS_URL: undefined } : { REDIS_URL: redisUrl, REDIS_CLUSTER_NODES: undefined }),
      REDIS_PASSWORD: password.value,
      LIVELINE_EDITOR_TOKENS: tokens.value,
      LIVELINE_TRUST_PROXY: '1',
    });
    node.kind = 'node';
    node.url = `http://127.0.0.1:${port}`;
    node.metricsUrl = null; // from its banner
    node.redisWithoutPassword = false;
    node.onLine = (line) => {
      const metrics = METRICS_BANNER.exec(line);
      if (metrics) node.metricsUrl = metrics[1];
      if (line.startsWith(NO_REDIS_PASSWORD_WARNING)) node.redisWithoutPassword = true;
    };
    procs.push(node);
    nodes.push(node);
  }
  await Promise.all(nodes.map((n) => until(
    `${n.name} /readyz and its "Metrics (Prometheus…)" banner line`,
    async () => n.metricsUrl !== null && (await httpStatus(`${n.url}/readyz`)) === 200,
    START_TIMEOUT_MS,
    n,
  )));
  const unauthenticated = nodes.filter((n) => n.redisWithoutPassword).map((n) => n.name);
  if (unauthenticated.length > 0) throw new Error(`${unauthenticated.join(', ')} warned that Redis is used without a password, though REDIS_PASSWORD was given`);

  // HAProxy, foreground (-db), with deploy/haproxy.cfg filled in by the environment.
  const lbPort = opts.port === 0 ? await freePort() : opts.port;
  const monitorPort = await freePort();
  const lbEnv = { PATH, LB_BIND: `127.0.0.1:${lbPort}`, LB_MONITOR_BIND: `127.0.0.1:${monitorPort}` };
  const closedPort = await freePort(); // nothing listens there: unused servers stay DOWN
  for (let i = 1; i <= maxNodes; i++) lbEnv[`LIVELINE_NODE${i}`] = i <= nodes.length ? new URL(nodes[i - 1].url).host : `127.0.0.1:${closedPort}`;
  const haproxy = new Proc('haproxy', 'haproxy', ['-f', HAPROXY_CFG, '-db'], lbEnv);
  haproxy.kind = 'haproxy';
  procs.push(haproxy);
  const lb = `http://127.0.0.1:${lbPort}`;
  const monitor = `http://127.0.0.1:${monitorPort}`;
  await until('the balancer sees every node UP', async () => {
    const states = await serverStates(monitor);
    return nodes.every((_, i) => states[`node${i + 1}`] === 'UP');
  }, START_TIMEOUT_MS, haproxy);
  await until('the balancer answers /readyz', async () => (await httpStatus(`${lb}/readyz`)) === 200, START_TIMEOUT_MS, haproxy);

  const summary = {
    lb,
    monitor,
    nodes: nodes.map((n) => ({ url: n.url, metricsUrl: n.metricsUrl, pid: n.pid })),
    ...(cluster
      ? {
        cluster: {
          ...opts.cluster,
          seeds: cluster.seeds,
          nodes: cluster.servers.map((s) => ({ url: `redis://127.0.0.1:${s.port}`, pid: s.proc.pid })),
          password: password.value,
        },
      }
      : { redis: { url: redisUrl, pid: redis.pid, password: password.value } }),
    haproxy: { pid: haproxy.pid },
    token: tokens.token,
  };
  started = true;
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  const lines = [
    '',
    `Liveline topology is running: ${lb} (HAProxy with deploy/haproxy.cfg, pid ${haproxy.pid})`,
    ...nodes.map((n) => `  ${n.name}: ${n.url} (pid ${n.pid}); Prometheus metrics (not through the balancer): ${n.metricsUrl}`),
    ...(cluster
      ? [
        `  redis cluster: ${opts.cluster.masters} masters with ${opts.cluster.replicas} replica(s) each (AOF in ${tempDir}), password required`,
        `  cluster seeds (REDIS_CLUSTER_NODES): ${cluster.seeds.join(',')}`,
        ...cluster.servers.map((s) => `    ${s.proc.name}: 127.0.0.1:${s.port} (pid ${s.proc.pid})`),
      ]
      : [`  redis: ${redisUrl} (pid ${redis.pid}, AOF in ${tempDir}), password required`]),
    password.generated
      ? `  redis password (generated for this run; set REDIS_PASSWORD to choose your own): REDISCLI_AUTH=${password.value} redis-cli ${cluster ? '-c ' : ''}-p ${cluster ? cluster.servers[0].port : redisPort}`
      : `  redis password: the one in REDIS_PASSWORD (REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ${cluster ? '-c ' : ''}-p ${cluster ? cluster.servers[0].port : redisPort})`,
    `  balancer health and stats: ${monitor}/healthz, ${monitor}/stats`,
    tokens.generated
      ? `Editor token (generated for this run; set LIVELINE_EDITOR_TOKENS to choose your own): ${tokens.token}`
      : 'Editor token: the first one in LIVELINE_EDITOR_TOKENS',
    `Create a feed:  curl -X POST ${lb}/v1/feeds -H "Authorization: Bearer ${tokens.generated ? tokens.token : '$LIVELINE_TOKEN'}" -H 'Content-Type: application/json' -d '{"id":"demo","title":"Demo"}'`,
    'Stop with Ctrl-C (SIGINT) or SIGTERM: the nodes drain, then everything started here stops.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return null; // keep running until a signal
}

/** A Redis command in RESP (each argument a bulk string, so any byte is safe). */
function resp(...args) {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/** AUTH and PING over a raw socket: redis-server is up, and accepts the password. */
function redisPing(port, password) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('connect', () => socket.write(`${resp('AUTH', password)}${resp('PING')}`));
    socket.on('data', (d) => {
      answer += d.toString();
      const replies = answer.split('\r\n');
      if (replies.length >= 3) {
        socket.end();
        resolve(replies[0] === '+OK' && replies[1] === '+PONG');
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(false));
  });
}

let signals = 0;
function onSignal(signal) {
  signals += 1;
  if (signals === 1) {
    shuttingDown = true;
    log(`${signal}: stopping the nodes (they drain), then haproxy and redis`);
    stopAll().then(
      (clean) => {
        log(clean ? 'stopped' : 'stopped, but something had to be killed');
        process.exit(clean ? 0 : 1);
      },
      (err) => {
        log(`stopping failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  } else {
    log(`${signal} again: killing everything now`);
    for (const p of procs) if (p.running) p.child.kill('SIGKILL');
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
    process.exit(1);
  }
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('SIGHUP', onSignal); // the terminal went away: the children, in their own process groups, would not notice

main().then(
  (code) => {
    if (code === null || shuttingDown) return;
    if (code !== 0) void stopAll({ force: true }).finally(() => process.exit(code));
    else process.exit(0);
  },
  async (err) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll().catch(() => false);
    process.exit(1);
  },
);

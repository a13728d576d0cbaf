// The Redis Cluster for `node scripts/topology.mjs --cluster MxR` (docker-compose.cluster.yml's
// redis-1…redis-6 and cluster-init, from local processes): M masters with R replicas each,
// throwaway redis-server processes on free loopback ports (cluster-enabled, AOF with fsync
// always, requirepass and masterauth from a config file only this user can read), joined
// with `redis-cli --cluster create … --cluster-replicas R --cluster-yes`, then a bounded
// poll until every node reports cluster_state:ok and knows every other node, and every
// replica holds its master's data. A node that dies is started again by topology.mjs.
// scripts/topology.mjs starts the processes (its Proc, its until) and stops them.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** How long `redis-cli --cluster create` and the wait for cluster_state:ok may take, ms. */
export const CLUSTER_FORM_TIMEOUT_MS = 30_000;

/** "3x1" → { masters: 3, replicas: 1 }; null when the text is not MxR with M ≥ 3 (the fewest redis-cli accepts). */
export function parseClusterShape(text) {
  const m = /^(\d+)x(\d+)$/.exec(text ?? '');
  if (!m) return null;
  const masters = Number(m[1]);
  const replicas = Number(m[2]);
  if (masters < 3 || masters > 16 || replicas > 4) return null;
  return { masters, replicas };
}

/** Whether nothing listens on `port` on loopback right now. */
function bindable(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port for a cluster node, whose cluster bus listens 10 000 higher: both below the
 * kernel's ephemeral range (32768+), so no outgoing connection takes either before the node
 * binds, and the bus port stays ≤ 65535 (Redis refuses a node port above 55535).
 */
export async function freeClusterPort(taken) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 12_768);
    if (taken.includes(port) || taken.includes(port - 10_000) || taken.includes(port + 10_000)) continue;
    if ((await bindable(port)) && (await bindable(port + 10_000))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) below 32768');
}

/** A value for redis.conf: double-quoted, with Redis's escapes for backslash and quote. */
function redisConfString(value) {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** redis-cli with the password in REDISCLI_AUTH (never on a command line); resolves stdout, rejects on failure. */
function redisCli(args, { password, PATH, timeoutMs = 5000 }) {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { env: { PATH, REDISCLI_AUTH: password }, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`redis-cli ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`.trim()));
      else resolve(stdout);
    });
  });
}

/**
 * Starts `masters × (1 + replicas)` cluster-enabled redis-server processes and forms the
 * cluster. `startProc(name, command, args, env)` starts one process the caller tracks (and
 * stops); `until(what, check, timeoutMs, proc)` is the caller's bounded poll. Resolves { seeds: ["127.0.0.1:port", …], servers: [{ port, proc }] }.
 */
export async function startRedisCluster({ masters, replicas, password, dir, PATH, startProc, until, startTimeoutMs }) {
  const servers = [];
  for (let i = 1; i <= masters * (1 + replicas); i++) {
    const port = await freeClusterPort(servers.map((srv) => srv.port));
    const nodeDir = path.join(dir, `redis-${i}`);
    mkdirSync(nodeDir, { mode: 0o700 });
    const conf = path.join(nodeDir, 'redis.conf');
    // masterauth: a replica authenticates to its master with the same password.
    writeFileSync(conf, `requirepass ${redisConfString(password)}\nmasterauth ${redisConfString(password)}\n`, { mode: 0o600 });
    const proc = startProc(`redis-${i}`, 'redis-server', [
      conf,
      '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--loglevel', 'warning',
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000',
    ], { PATH });
    servers.push({ port, proc });
  }
  await Promise.all(servers.map(({ port, proc }) => until(
    `${proc.name} answers (with the password)`,
    async () => (await redisCli(['-p', String(port), 'ping'], { password, PATH })).trim() === 'PONG',
    startTimeoutMs,
    proc,
  )));

  const seeds = servers.map(({ port }) => `127.0.0.1:${port}`);
  await redisCli(['--cluster', 'create', ...seeds, '--cluster-replicas', String(replicas), '--cluster-yes'], {
    password, PATH, timeoutMs: CLUSTER_FORM_TIMEOUT_MS,
  });
  const known = new RegExp(`^cluster_known_nodes:${servers.length}\\r?$`, 'm');
  await Promise.all(servers.map(({ port, proc }) => until(
    `${proc.name} reports cluster_state:ok, sees ${masters} masters with ${replicas} replica(s) each, and is in sync if a replica`,
    async () => {
      const info = await redisCli(['-p', String(port), 'cluster', 'info'], { password, PATH });
      if (!/^cluster_state:ok\r?$/m.test(info) || !known.test(info)) return false;
      // Each line of CLUSTER NODES: id addr flags master-id …; flags say master or slave.
      const roles = (await redisCli(['-p', String(port), 'cluster', 'nodes'], { password, PATH }))
        .split('\n').filter((l) => l.trim() !== '').map((l) => l.split(' ')[2] ?? '');
      const count = (role) => roles.filter((flags) => flags.split(',').includes(role)).length;
      if (count('master') !== masters || count('slave') !== masters * replicas) return false;
      // A replica still loading its first copy can't confirm writes yet (LIVELINE_REDIS_MIN_REPLICAS).
      const replication = await redisCli(['-p', String(port), 'info', 'replication'], { password, PATH });
      return /^role:master\r?$/m.test(replication) || /^master_link_status:up\r?$/m.test(replication);
    },
    CLUSTER_FORM_TIMEOUT_MS,
    proc,
  )));
  return { seeds, servers };
}

// A throwaway local Redis Cluster for `npm run bench -- --nodes LIST`: the processes and the
// `redis-cli --cluster create` of scripts/topology/cluster.mjs (3 masters, no replicas), but
// started and stopped by PID with procs.mjs like every other bench process. Once formed, AOF is
// switched off on every master (CONFIG SET appendonly no): the other Redis targets run without
// persistence too, and an fsync per write would be what the figures measure.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisCluster } from '../topology/cluster.mjs';
import { alive, startProcess, stopProcess, tempDir } from './procs.mjs';

const START_TIMEOUT_MS = 20_000;

function redisCli(port, args, password, PATH) {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', String(port), ...args], { env: { PATH, REDISCLI_AUTH: password }, timeout: 5000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${err.message} ${stderr}`.trim()));
      else resolve(stdout.trim());
    });
  });
}

/** topology/cluster.mjs's bounded poll, on a procs.mjs child: every 100 ms until `check()` is true. */
async function until(what, check, timeoutMs, proc) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (proc !== undefined && !alive(proc)) throw new Error(`${proc.name} exited while waiting for: ${what}\n  ${proc.tail.join('\n  ')}`);
    try {
      if (await check()) return;
      last = 'not yet';
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${last})`);
    await sleep(100);
  }
}

/**
 * Starts a cluster of `masters` masters (no replicas) on free loopback ports (never 6379).
 * @returns {Promise<{seeds: string[], password: string, pids: () => number[], stop: () => Promise<void>}>}
 */
export async function startBenchCluster({ masters = 3, cpus = null } = {}) {
  const tmp = tempDir('llbench-cluster-');
  const password = randomBytes(18).toString('base64url');
  const PATH = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const children = [];
  const stop = async () => {
    await Promise.all(children.map((c) => stopProcess(c, 5000)));
    tmp.remove();
  };
  try {
    const { seeds, servers } = await startRedisCluster({
      masters, replicas: 0, password, dir: tmp.dir, PATH, until, startTimeoutMs: START_TIMEOUT_MS,
      startProc: (name, command, args, env) => {
        const child = startProcess(command, args, { env, cpus, name: `cluster ${name}` });
        children.push(child);
        return child;
      },
    });
    for (const { port } of servers) {
      const ok = await redisCli(port, ['config', 'set', 'appendonly', 'no'], password, PATH);
      if (ok !== 'OK') throw new Error(`redis-cli -p ${port} config set appendonly no: ${ok}`);
    }
    return { seeds, password, pids: () => children.map((c) => c.pid), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

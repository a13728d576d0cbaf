// The processes of a chaos run, each started by us and stopped by its PID: one throwaway
// redis-server with AOF (appendfsync always) on a free port, restartable on the same port and
// directory; Liveline nodes (`node dist/server/index.js`) on fixed free ports, restartable.
import path from 'node:path';
import process from 'node:process';
import { ROOT } from '../bench-lib.mjs';
import { alive, freePort, startProcess, stopProcess, tempDir, waitForLine } from '../bench/procs.mjs';

/** A free port that is not the shared Redis's 6379. */
async function ourPort() {
  for (;;) {
    const port = await freePort();
    if (port !== 6379) return port;
  }
}

export async function startRedis() {
  const tmp = tempDir('liveline-chaos-redis-');
  const port = await ourPort();
  const redis = {
    port, dir: tmp.dir, child: null,
    get pid() { return alive(redis.child) ? redis.child.pid : null; },
    async start() {
      const child = startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp.dir, '--save', '',
        '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'yes'], { name: `redis-server :${port}` });
      redis.child = child;
      await waitForLine(child, /(Ready to accept connections)/, 15_000);
    },
    /** @param {NodeJS.Signals} signal */
    signal(signal) { if (alive(redis.child)) redis.child.kill(signal); },
    async kill() {
      const child = redis.child;
      if (!alive(child)) return;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await child.exited;
    },
    async destroy() {
      await redis.kill();
      tmp.remove();
    },
  };
  await redis.start();
  return redis;
}

/**
 * One Liveline node on `port`; start() again after a stop or a kill.
 * @param {number} index @param {Record<string, string>} env
 */
export async function makeNode(index, env) {
  const port = await ourPort();
  const node = {
    index, port, url: `http://127.0.0.1:${port}`, child: null, starts: 0,
    get running() { return alive(node.child); },
    async start() {
      node.starts++;
      const child = startProcess(process.execPath, [path.join('dist', 'server', 'index.js')], {
        cwd: ROOT, name: `node ${index} :${port}`,
        env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LIVELINE_METRICS_PORT: '0', ...env },
      });
      node.child = child;
      await waitForLine(child, /(Liveline is running at)/, 20_000);
    },
    /** kill -9: resolves once it is gone. */
    async kill() {
      if (!alive(node.child)) return;
      node.child.kill('SIGKILL');
      await node.child.exited;
    },
    /** SIGTERM: drains, then exits; SIGKILL after `graceMs`. */
    async terminate(graceMs = 8000) { await stopProcess(node.child, graceMs); },
    /** The node's output, last lines. */
    tail: () => (node.child?.tail ?? []).join('\n'),
  };
  return node;
}

/** Resolves true once `url`/readyz answers 200, false after `timeoutMs`. */
export async function waitReady(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return true;
    } catch {
      // not up yet: polled again below
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

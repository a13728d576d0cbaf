// The processes of a chaos run, each started by us and stopped by its PID: one throwaway
// redis-server with AOF (appendfsync always) on a free port, restartable on the same port and
// directory, or a throwaway Redis Cluster (startRedisCluster, below); Liveline nodes (`node dist/server/index.js`) on fixed free ports, restartable.
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { ROOT } from '../bench-lib.mjs';
import { alive, freePort, startProcess, stopProcess, tempDir, waitForLine } from '../bench/procs.mjs';
import { freeClusterPort } from '../topology/cluster.mjs';

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
    /** SIGTERM: drains, then exits; SIGKILL after `graceMs`. Resolves how it ended: {ms, signal, code, tail}. */
    async terminate(graceMs = 8000) {
      const child = node.child;
      if (!alive(child)) return null;
      const t = Date.now();
      await stopProcess(child, graceMs);
      const { code, signal } = await child.exited;
      return { ms: Date.now() - t, code, signal, tail: (child.tail ?? []).slice(-6) };
    },
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

/** redis-cli against one node: resolves stdout (trimmed), rejects on failure. */
function cli(port, args, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    execFile('redis-cli', ['-p', String(port), ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${err.message} ${stderr}`.trim()));
      else if (/^(ERR|MOVED|ASK|CLUSTERDOWN|LOADING)\b/.test(stdout.trim())) reject(new Error(`redis-cli -p ${port} ${args.join(' ')}: ${stdout.trim()}`));
      else resolve(stdout.trim());
    });
  });
}

/** CLUSTER NODES → [{id, port, master, failed, masterId, slots: [[from, to]…]}]. */
function parseNodes(text) {
  return text.split('\n').filter((l) => l.trim() !== '').map((line) => {
    const [id, addr, flags, masterId, , , , , ...slots] = line.trim().split(' ');
    const f = flags.split(',');
    return {
      id, port: Number(addr.split('@')[0].split(':').at(-1)), master: f.includes('master'), failed: f.includes('fail') || f.includes('fail?'), masterId,
      slots: slots.filter((s) => !s.startsWith('[')).map((s) => s.split('-').map(Number)).map(([a, b]) => [a, b ?? a]),
    };
  });
}

/**
 * A throwaway Redis Cluster for `npm run chaos -- --backend cluster`: 3 masters with 1 replica
 * each (redis-server --cluster-enabled yes, cluster-node-timeout 1000 ms, diskless sync at once,
 * AOF with fsync always, no password on loopback), formed with `redis-cli --cluster create
 * --cluster-replicas 1`, ready once every node says cluster_state:ok and every replica's link
 * to its master is up. Each server is restartable on its port and directory (its nodes.conf
 * keeps its identity, so a killed master rejoins as a replica of the one that took over).
 */
export async function startRedisCluster({ masters = 3, replicas = 1 } = {}) {
  const tmp = tempDir('liveline-chaos-cluster-');
  const servers = [];
  const cluster = {
    servers,
    get seeds() { return servers.map((s) => `127.0.0.1:${s.port}`).join(','); },
    async destroy() {
      await Promise.all(servers.map((s) => s.kill()));
      tmp.remove();
    },
    /** CLUSTER NODES as the first live node answering sees it. */
    async view() {
      for (const s of servers) {
        if (s.pid === null) continue;
        try {
          return parseNodes(await cli(s.port, ['cluster', 'nodes'], 2000));
        } catch {
          // stopped or paused: ask the next one
        }
      }
      throw new Error('no node of the cluster answers CLUSTER NODES');
    },
    /** Notes each server's role (for the log) as the cluster sees it now; never throws. */
    async roles() {
      try {
        const view = await cluster.view();
        for (const s of servers) s.role = view.find((n) => n.port === s.port)?.master ? 'master' : 'replica';
      } catch {
        // the log just says less
      }
    },
    async slotOf(feed) { return Number(await cli(servers.find((s) => s.pid !== null).port, ['cluster', 'keyslot', `{${feed}}`])); },
    /** The server of the master owning `slot`. */
    async masterOf(slot) {
      const owner = (await cluster.view()).find((n) => n.master && !n.failed && n.slots.some(([a, b]) => a <= slot && slot <= b));
      if (owner === undefined) throw new Error(`no master owns slot ${slot}`);
      return servers.find((s) => s.port === owner.port);
    },
    /**
     * Moves `slot` and its keys to another master (picked by `choice`) while the cluster serves,
     * as `redis-cli --cluster reshard` does: IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT NODE.
     */
    async migrateSlot(slot, choice) {
      const view = await cluster.view();
      const from = view.find((n) => n.master && n.slots.some(([a, b]) => a <= slot && slot <= b));
      const others = view.filter((n) => n.master && !n.failed && n.id !== from.id && n.slots.length > 0);
      const to = others[choice % others.length];
      await cli(to.port, ['cluster', 'setslot', String(slot), 'importing', from.id]);
      await cli(from.port, ['cluster', 'setslot', String(slot), 'migrating', to.id]);
      let moved = 0;
      // A migration is finished, never abandoned: a slot left MIGRATING/IMPORTING (say the
      // cluster went down mid-way) would refuse the feed's multi-key scripts until someone runs
      // redis-cli --cluster fix. A failed step waits for the cluster and carries on (bounded).
      for (let attempt = 1; ; attempt++) {
        try {
          for (;;) {
            const keys = (await cli(from.port, ['cluster', 'getkeysinslot', String(slot), '100'])).split('\n').filter((k) => k !== '');
            if (keys.length === 0) break;
            await cli(from.port, ['migrate', '127.0.0.1', String(to.port), '', '0', '5000', 'KEYS', ...keys], 10_000);
            moved += keys.length;
          }
          await cli(to.port, ['cluster', 'setslot', String(slot), 'node', to.id]);
          await cli(from.port, ['cluster', 'setslot', String(slot), 'node', to.id]);
          return { from: from.port, to: to.port, keys: moved };
        } catch (err) {
          if (attempt >= 3) throw err;
          await cluster.waitHealthy(30_000);
        }
      }
    },
    /** Bounded: every node says cluster_state:ok, sees `masters` masters each with a replica, and every replica's link is up. */
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer yet';
      for (;;) {
        try {
          for (const s of servers) {
            if (!/^cluster_state:ok\r?$/m.test(await cli(s.port, ['cluster', 'info'], 2000))) throw new Error(`:${s.port} cluster_state not ok`);
            const view = parseNodes(await cli(s.port, ['cluster', 'nodes'], 2000));
            const ms = view.filter((n) => n.master && n.slots.length > 0 && !n.failed);
            if (ms.length !== masters || ms.some((m) => !view.some((n) => !n.master && !n.failed && n.masterId === m.id))) throw new Error(`:${s.port} does not see ${masters} masters each with a live replica`);
            const repl = await cli(s.port, ['info', 'replication'], 2000);
            if (!/^role:master\r?$/m.test(repl) && !/^master_link_status:up\r?$/m.test(repl)) throw new Error(`:${s.port} replica link not up`);
          }
          return true;
        } catch (err) {
          last = err.message;
        }
        if (Date.now() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms: ${last}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
  };
  try {
    for (let i = 1; i <= masters * (1 + replicas); i++) {
      const port = await freeClusterPort(servers.map((s) => s.port));
      const dir = path.join(tmp.dir, `redis-${i}`);
      mkdirSync(dir, { mode: 0o700 });
      const s = {
        port, dir, child: null, role: null,
        get pid() { return alive(s.child) ? s.child.pid : null; },
        async start() {
          const child = startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
            '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no', '--protected-mode', 'yes',
            '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000', '--repl-diskless-sync-delay', '0'],
          { name: `redis-cluster :${port}` });
          s.child = child;
          await waitForLine(child, /(Ready to accept connections)/, 15_000);
        },
        /** @param {NodeJS.Signals} signal */
        signal(signal) { if (alive(s.child)) s.child.kill(signal); },
        async kill() {
          const child = s.child;
          if (!alive(child)) return;
          child.kill('SIGCONT');
          child.kill('SIGKILL');
          await child.exited;
        },
      };
      servers.push(s);
    }
    await Promise.all(servers.map((s) => s.start()));
    await cli(servers[0].port, ['--cluster', 'create', ...servers.map((s) => `127.0.0.1:${s.port}`), '--cluster-replicas', String(replicas), '--cluster-yes'], 30_000);
    await cluster.waitHealthy(30_000);
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}

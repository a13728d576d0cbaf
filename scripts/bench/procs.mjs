// Processes the benchmark starts, and only those: spawning (optionally pinned with taskset and
// with a raised open-files limit), reading their output, stopping them by PID, free ports,
// temp dirs, a throwaway redis-server, and /proc readings of several processes at once.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, memoryKb } from '../bench-lib.mjs';

/** Open-files limit asked for every process we start (the hard limit is raised too when we are root). */
export const FD_LIMIT = 70_000;

/** Every child still running, so that an exit path can kill them by PID. */
const live = new Set();
/** Temp dirs not yet removed. */
const dirs = new Set();

process.on('exit', () => {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `cmd args` through `sh -c 'ulimit -n …; exec taskset -c CPUS cmd args'`: exec keeps the
 * PID, so the child's PID is the command's own.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{cpus?: string|null, env?: object, cwd?: string, ipc?: boolean, name: string}} o
 */
export function startProcess(cmd, args, o) {
  const pin = o.cpus ? `taskset -c ${o.cpus} ` : '';
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec ${pin}"$@"`;
  const stdio = o.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = spawn('sh', ['-c', script, 'sh', cmd, ...args], { cwd: o.cwd, env: o.env ?? process.env, stdio });
  live.add(child);
  child.name = o.name;
  child.tail = [];
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    live.delete(child);
    resolve({ code, signal });
  }));
  child.once('error', (err) => child.tail.push(`spawn error: ${err.message}`));
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        child.tail.push(line.slice(0, 400));
        if (child.tail.length > 20) child.tail.shift();
        child.emit('line', line);
      }
    });
  }
  return child;
}

export function alive(child) {
  return child !== null && child !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Resolves with the first capture of `re` in the child's output, or rejects on exit or timeout. */
export function waitForLine(child, re, ms) {
  return new Promise((resolve, reject) => {
    const done = (fn, v) => {
      clearTimeout(timer);
      child.off('line', onLine);
      child.off('exit', onExit);
      fn(v);
    };
    const onLine = (line) => {
      const m = re.exec(line);
      if (m !== null) done(resolve, m[1] ?? m[0]);
    };
    const onExit = (code, signal) => done(reject, new Error(`${child.name} exited (code ${code}, signal ${signal}):\n  ${child.tail.join('\n  ')}`));
    const timer = setTimeout(() => done(reject, new Error(`${child.name}: no ${re} within ${ms} ms:\n  ${child.tail.join('\n  ')}`)), ms);
    child.on('line', onLine);
    child.once('exit', onExit);
  });
}

/** SIGTERM to the child's PID, SIGKILL after `graceMs`. */
export async function stopProcess(child, graceMs = 5000) {
  if (!alive(child)) return;
  child.kill('SIGTERM');
  const done = await Promise.race([child.exited, sleep(graceMs).then(() => null)]);
  if (done === null && alive(child)) {
    child.kill('SIGKILL');
    await Promise.race([child.exited, sleep(2000)]);
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** A new private temp dir, with its remover. */
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(dir);
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
}

/**
 * A throwaway redis-server on a free loopback port (never 6379): no persistence.
 * @returns {Promise<{url: string, port: number, child: import('node:child_process').ChildProcess, stop: () => Promise<void>}>}
 */
export async function startRedis(cpus) {
  const tmp = tempDir('llbench-redis-');
  let port = await freePort();
  if (port === 6379) port = await freePort();
  const child = startProcess('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', tmp.dir, '--protected-mode', 'yes', '--maxclients', '1000'], { cpus, name: `redis-server :${port}` });
  try {
    await waitForLine(child, /(Ready to accept connections)/, 10_000);
  } catch (err) {
    await stopProcess(child);
    tmp.remove();
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    stop: async () => {
      await stopProcess(child);
      tmp.remove();
    },
  };
}

/** PIDs of the direct children of `pid` (Linux /proc). */
export function childPids(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Sum of utime+stime over `pids`, seconds; a PID that is gone counts 0. */
export function sumCpu(pids) {
  let s = 0;
  for (const pid of pids) {
    try {
      s += cpuSeconds(pid);
    } catch {
      // the process has exited; its time is no longer readable
    }
  }
  return s;
}

/** Sum of VmRSS over `pids`, KB. */
export function sumRss(pids) {
  let s = 0;
  for (const pid of pids) s += memoryKb(pid).rss;
  return s;
}

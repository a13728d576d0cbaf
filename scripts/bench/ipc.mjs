// Load-generator children (reader-worker.mjs, publisher-worker.mjs) and request/reply over IPC.
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive, startProcess, stopProcess } from './procs.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * Starts `node <file>` with an IPC channel, pinned to `cpus` if given.
 * @returns {{child: import('node:child_process').ChildProcess, pid: number, call: (cmd: string, body?: object, timeoutMs?: number) => Promise<object>, stop: () => Promise<void>}}
 */
export function startWorker(file, name, cpus) {
  const child = startProcess(process.execPath, [path.join(HERE, file)], { ipc: true, cpus, name });
  let nextId = 1;
  const waiting = new Map();
  child.on('message', (msg) => {
    const w = waiting.get(msg.id);
    if (w === undefined) return;
    waiting.delete(msg.id);
    if (msg.ev === 'error') w.reject(new Error(`${name}: ${msg.message}`));
    else w.resolve(msg);
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`${name} exited (code ${code}, signal ${signal}):\n  ${child.tail.join('\n  ')}`));
    waiting.clear();
  });
  const call = (cmd, body = {}, timeoutMs = 120_000) => new Promise((resolve, reject) => {
    if (!alive(child) || !child.connected) {
      reject(new Error(`${name} is not running:\n  ${child.tail.join('\n  ')}`));
      return;
    }
    const id = nextId++;
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`${name}: no answer to ${cmd} within ${timeoutMs} ms`));
    }, timeoutMs);
    waiting.set(id, {
      resolve: (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      reject: (e) => {
        clearTimeout(timer);
        reject(e);
      },
    });
    child.send({ cmd, id, ...body });
  });
  const stop = async () => {
    if (child.connected) child.disconnect();
    await Promise.race([child.exited, sleep(3000)]);
    await stopProcess(child, 2000);
  };
  return { child, pid: child.pid, call, stop };
}

// The fault kinds and the seeded schedule. Faults run one after another: each starts, lasts
// its duration, ends (whatever was stopped is started again), and its recovery time is how
// long after its end every running node was ready again and an editor had a change acknowledged.
import { execFile } from 'node:child_process';
import { between, pick, prng } from './prng.mjs';
import { sleep } from './feed-log.mjs';
import { waitReady } from './cluster.mjs';
import { frameFlood, neverReading, reconnectStorm, subscribeFlood } from './abuse.mjs';

const redisCli = (port, ...args) => new Promise((resolve) => {
  execFile('redis-cli', ['-p', String(port), ...args], { timeout: 3000 }, (err, stdout) => resolve(err ? `error: ${err.message}` : stdout.trim()));
});

/** kind → (ctx, fault) => Promise<string|void>, which returns once the fault has ended (a note for the log). */
export const FAULTS = {
  'node-kill9': async ({ nodes }, f) => {
    const node = nodes[f.node % nodes.length];
    await node.kill();
    await sleep(f.ms);
    await node.start();
  },
  'node-sigterm': async ({ nodes }, f) => {
    const node = nodes[f.node % nodes.length];
    await node.terminate();
    await sleep(f.ms);
    await node.start();
  },
  'redis-restart': async ({ redis }, f) => {
    await redis.kill();
    await sleep(f.ms);
    await redis.start();
  },
  'pubsub-kill': async ({ redis }) => `CLIENT KILL TYPE pubsub: ${await redisCli(redis.port, 'CLIENT', 'KILL', 'TYPE', 'pubsub')}`,
  'redis-sigstop': async ({ redis }, f) => {
    redis.signal('SIGSTOP');
    await sleep(f.ms);
    redis.signal('SIGCONT');
  },
  'client-pause': async ({ redis }, f) => {
    const answer = await redisCli(redis.port, 'CLIENT', 'PAUSE', String(f.ms), 'ALL');
    await sleep(f.ms);
    return `CLIENT PAUSE ${f.ms} ALL: ${answer}`;
  },
  'proxy-delay': async ({ proxy }, f) => {
    proxy.delay(f.delay);
    await sleep(f.ms);
    proxy.heal();
    return `${f.delay} ms each way`;
  },
  'proxy-blackhole': async ({ proxy }, f) => {
    proxy.blackhole();
    await sleep(f.ms);
    proxy.heal();
  },
  'proxy-cut': async ({ proxy }) => { proxy.cut(); },
  'reader-stall': async ({ readers }, f) => {
    const stallable = readers.filter((r) => typeof r.stall === 'function');
    await stallable[f.node % stallable.length]?.stall(f.ms);
  },
  'reconnect-storm': async ({ readers, balancer }, f) => {
    for (const r of readers) r.drop?.();
    return reconnectStorm(balancer.url, f.ms);
  },
  'never-reading': async ({ balancer, feeds }, f) => neverReading(balancer.url, feeds, f.ms),
  'frame-flood': async ({ nodes }, f) => frameFlood(nodes.filter((n) => n.running).map((n) => n.url), f.ms),
  'subscribe-flood': async ({ nodes, feeds }, f) => subscribeFlood(nodes.filter((n) => n.running).map((n) => n.url), feeds, f.ms),
};

export const KINDS = Object.keys(FAULTS);

/** The seeded schedule: faults back to back over `seconds`, each with its pause before it. */
export function schedule(seed, seconds, kinds) {
  const rnd = prng(seed);
  const out = [];
  for (let at = 1000; at < seconds * 1000;) {
    const kind = pick(rnd, kinds);
    const ms = between(rnd, 300, 2500);
    const fault = { kind, at, ms, node: between(rnd, 0, 1000), delay: between(rnd, 20, 300) };
    out.push(fault);
    at += ms + between(rnd, 800, 2000);
  }
  return out;
}

/** After a fault's end: ms until every node that should run is ready and a change was acknowledged since. */
export async function recovery(ctx, endedAt, timeoutMs = 30_000) {
  for (const n of ctx.nodes) if (!(await waitReady(n.url, timeoutMs - (Date.now() - endedAt)))) return null;
  while (ctx.editors.lastAckAt < endedAt) {
    if (Date.now() - endedAt > timeoutMs) return null;
    await sleep(20);
  }
  return Math.max(Date.now(), ctx.editors.lastAckAt) - endedAt;
}

/** Runs `plan` on its timetable from `t0` until done or `stop()` says so; logs each fault. */
export async function runFaults(ctx, plan, t0, log, stop) {
  const done = [];
  for (const f of plan) {
    while (Date.now() - t0 < f.at && !stop()) await sleep(Math.min(100, f.at - (Date.now() - t0)));
    if (stop()) break;
    const started = Date.now();
    log(`+${((started - t0) / 1000).toFixed(1)}s fault ${f.kind} start (${f.ms} ms${f.kind.startsWith('node') ? `, node ${f.node % ctx.nodes.length}` : ''})`);
    let note = '';
    try {
      note = (await FAULTS[f.kind](ctx, f)) ?? '';
    } catch (err) {
      note = `failed: ${err.message}`;
    }
    const ended = Date.now();
    const recoveredMs = await recovery(ctx, ended);
    log(`+${((ended - t0) / 1000).toFixed(1)}s fault ${f.kind} end after ${ended - started} ms; recovered in ${recoveredMs === null ? 'NOT within 30 s' : `${recoveredMs} ms`}${note ? `; ${note}` : ''}`);
    done.push({ ...f, startedAt: started - t0, durationMs: ended - started, recoveredMs, note });
  }
  return done;
}

// The fault kinds, the seeded schedule and the runner. Faults may overlap: at any moment up to
// K (`--overlap K`, default 2) are active, at most one per component, so that combinations stay
// meaningful (a node dies while Redis stalls and a reconnect storm is under way, but Redis is
// never SIGSTOPped while it is being restarted):
//   node   — a Liveline node killed or stopped;
//   redis  — the store: its process (restart, SIGSTOP, CLIENT PAUSE, pub/sub clients killed),
//            our proxy in front of it, and on a cluster a master killed or a slot migrated;
//   client — readers stalled or dropped, and the abusive clients.
// The runner enforces the same rules at run time (a fault that overran delays the next one of
// its component, and K is never exceeded), so the schedule is what runs, only later.
//
// Recovery time, per fault: the ms from its SETTLE point until the system is HEALTHY again.
//   settle  = the first moment at or after the fault's end when no node or redis fault is
//             active (so a node fault that ends while Redis is stalled is measured from the end
//             of that stall, or of the last write-path fault that overlapped on from it);
//   healthy = every node that should run (not one a later fault took down) answers /readyz
//             200 and, on every feed, an editor had a change acknowledged that it sent after
//             the settle point.
// A node or redis fault that starts while a fault is recovering is in that figure too: the
// fault records it (interruptedBy), and docs/reliability.md keeps such figures apart.
// Client faults are measured the same way (what they cost is in the abuse figures instead).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { between, pick, prng } from './prng.mjs';
import { sleep } from './feed-log.mjs';
import { waitReady } from './cluster.mjs';
import { frameFlood, neverReading, reconnectStorm, subscribeFlood } from './abuse.mjs';

export const redisCli = (port, ...args) => new Promise((resolve) => {
  execFile('redis-cli', ['-p', String(port), ...args], { timeout: 3000 }, (err, stdout) => resolve(err ? `error: ${err.message.split('\n')[0]}` : stdout.trim()));
});

/** The Redis server a process fault hits: the one Redis, or a cluster node picked by the seed. */
const target = (ctx, f) => (ctx.cluster ? ctx.cluster.servers[f.node % ctx.cluster.servers.length] : ctx.redis);
const where = (ctx, s) => (ctx.cluster ? ` (cluster node :${s.port}${s.role ? `, ${s.role}` : ''})` : '');

/** kind → (ctx, fault) => Promise<string|{note, stats}|void>, which returns once the fault has ended. */
export const FAULTS = {
  'node-kill9': async ({ nodes }, f) => {
    const node = nodes[f.node % nodes.length];
    node.faulted = true;
    await node.kill();
    await sleep(f.ms);
    await node.start();
    node.faulted = false;
  },
  'node-sigterm': async ({ nodes }, f) => {
    const node = nodes[f.node % nodes.length];
    node.faulted = true;
    const ended = await node.terminate();
    await sleep(f.ms);
    await node.start();
    node.faulted = false;
    if (ended === null) return 'was not running';
    if (ended.signal === 'SIGKILL') return { note: `did NOT exit within 8 s of SIGTERM (killed); its last output: ${ended.tail.join(' | ')}`, stats: { sigtermExitMs: null } };
    return { note: `exited ${ended.code} ${ended.ms} ms after SIGTERM`, stats: { sigtermExitMs: ended.ms } };
  },
  'redis-restart': async (ctx, f) => {
    const s = target(ctx, f);
    await ctx.cluster?.roles();
    const w = where(ctx, s);
    await s.kill();
    await sleep(f.ms);
    await s.start();
    return `kill -9, restarted with its AOF${w}`;
  },
  'pubsub-kill': async (ctx) => {
    const ports = ctx.cluster ? ctx.cluster.servers.filter((s) => s.pid !== null).map((s) => s.port) : [ctx.redis.port];
    const answers = await Promise.all(ports.map((p) => redisCli(p, 'CLIENT', 'KILL', 'TYPE', 'pubsub')));
    return `CLIENT KILL TYPE pubsub: ${answers.join(', ')}`;
  },
  'redis-sigstop': async (ctx, f) => {
    const s = target(ctx, f);
    await ctx.cluster?.roles();
    s.signal('SIGSTOP');
    await sleep(f.ms);
    s.signal('SIGCONT');
    return `SIGSTOP ${f.ms} ms${where(ctx, s)}`;
  },
  'client-pause': async (ctx, f) => {
    const s = target(ctx, f);
    await ctx.cluster?.roles();
    const answer = await redisCli(s.port, 'CLIENT', 'PAUSE', String(f.ms), 'ALL');
    await sleep(f.ms);
    return `CLIENT PAUSE ${f.ms} ALL: ${answer}${where(ctx, s)}`;
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
  'master-kill9': async ({ cluster, feeds }, f) => {
    const feed = feeds[f.node % feeds.length];
    const slot = await cluster.slotOf(feed);
    const s = await cluster.masterOf(slot);
    await s.kill();
    await sleep(f.ms);
    await s.start();
    // The fault lasts until the shard is whole again (the restarted node a replica in sync):
    // a second kill before that would take down both copies of the shard, beyond what one
    // replica per master can survive, and measure that instead of Liveline.
    await cluster.waitHealthy(30_000);
    return `kill -9 of master :${s.port} owning ${feed} (slot ${slot}); restarted ${f.ms} ms later`;
  },
  'slot-migrate': async ({ cluster, feeds }, f) => {
    const feed = feeds[f.node % feeds.length];
    const slot = await cluster.slotOf(feed);
    const { from, to, keys } = await cluster.migrateSlot(slot, f.delay);
    return `slot ${slot} (${feed}) moved from :${from} to :${to}, ${keys} key(s)`;
  },
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

/** Which part of the system each kind hits (see the header). */
export const COMPONENT = {
  'node-kill9': 'node', 'node-sigterm': 'node',
  'redis-restart': 'redis', 'pubsub-kill': 'redis', 'redis-sigstop': 'redis', 'client-pause': 'redis',
  'proxy-delay': 'redis', 'proxy-blackhole': 'redis', 'proxy-cut': 'redis', 'master-kill9': 'redis', 'slot-migrate': 'redis',
  'reader-stall': 'client', 'reconnect-storm': 'client', 'never-reading': 'client', 'frame-flood': 'client', 'subscribe-flood': 'client',
};
/** The abusive clients (their cost is measured). */
export const ABUSE = ['reconnect-storm', 'never-reading', 'frame-flood', 'subscribe-flood'];
const WRITE_PATH = new Set(['node', 'redis']);

const PROXY = ['proxy-delay', 'proxy-blackhole', 'proxy-cut'];
const CLUSTER_ONLY = ['master-kill9', 'slot-migrate'];
/** Every kind there is; KINDS (kept for the one-Redis backend) has no cluster-only kind. */
export const ALL_KINDS = Object.keys(FAULTS);
export const KINDS = ALL_KINDS.filter((k) => !CLUSTER_ONLY.includes(k));
/** The kinds a backend runs: the proxy sits in front of one Redis only; master-kill9 and slot-migrate need a cluster. */
export const kindsFor = (backend) => (backend === 'cluster' ? ALL_KINDS.filter((k) => !PROXY.includes(k)) : KINDS);

/** Whether `kind` may start while the faults `active` are: fewer than `overlap` active, none of its component. */
export function compatible(kind, active, overlap) {
  return active.length < overlap && !active.some((a) => COMPONENT[a.kind] === COMPONENT[kind]);
}

/** How long a kind lasts as scheduled: a killed master stays down ~3 s, so that a replica takes over. */
const duration = (rnd, kind) => (kind === 'master-kill9' ? between(rnd, 2500, 3500) : between(rnd, 300, 2500));

/**
 * The seeded schedule over `seconds`: with overlap 1 faults back to back, each with its pause
 * before it (as before); with overlap K a fault starts every 0.3–1.5 s whenever fewer than K
 * are active and one of `kinds` is compatible with them (else at the next end).
 */
export function schedule(seed, seconds, kinds, overlap = 1) {
  const rnd = prng(seed);
  const out = [];
  for (let at = 1000; at < seconds * 1000;) {
    const active = out.filter((f) => f.at <= at && f.at + f.ms > at);
    const candidates = kinds.filter((k) => compatible(k, active, overlap));
    if (candidates.length === 0) {
      at = Math.min(...active.map((f) => f.at + f.ms)) + between(rnd, 100, 600);
      continue;
    }
    const kind = pick(rnd, candidates);
    const ms = duration(rnd, kind);
    const fault = { kind, at, ms, node: between(rnd, 0, 1000), delay: between(rnd, 20, 300) };
    out.push(fault);
    at += overlap === 1 ? ms + between(rnd, 800, 2000) : between(rnd, 300, 1500);
  }
  return out.map((f, i) => ({ i, ...f }));
}

/** Ticks of CPU (user + system) a process used so far, from /proc/PID/stat; null when unreadable. */
export function cpuTicks(pid) {
  if (pid == null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // utime, stime (fields 14 and 15)
  } catch {
    return null;
  }
}
const CLK_TCK = 100;

/** Every node's CPU ticks now, by pid. */
const nodeTicks = (ctx) => new Map(ctx.nodes.map((n) => [n.child?.pid, cpuTicks(n.running ? n.child.pid : null)]));
/** Share of one CPU the nodes used (summed) between two readings, per cent; pids that changed are skipped. */
function cpuPercent(before, after, ms) {
  let ticks = 0;
  for (const [pid, t] of after) if (t !== null && before.get(pid) != null) ticks += t - before.get(pid);
  return ms > 0 ? Math.round((ticks / CLK_TCK) * 1000 / ms * 1000) / 10 : null;
}

/** Healthy (see the header) since `settledAt`: ms after it, or null when not within `timeoutMs`. A node a later fault took down is not waited for. */
export async function recovery(ctx, settledAt, timeoutMs = 30_000) {
  const ready = async (n) => n.faulted || (await waitReady(n.url, 1000));
  for (;;) {
    if ((await Promise.all(ctx.nodes.map(ready))).every(Boolean)) break;
    if (Date.now() - settledAt > timeoutMs) return null;
  }
  const acked = () => {
    const since = new Map();
    for (let i = ctx.editors.acknowledged.length - 1; i >= 0; i--) {
      const a = ctx.editors.acknowledged[i];
      if (a.at < settledAt) break;
      if ((a.sentAt ?? a.at) >= settledAt && !since.has(a.feed)) since.set(a.feed, a.at);
    }
    return ctx.feeds.every((f) => since.has(f)) ? Math.max(...since.values()) : null;
  };
  for (;;) {
    const at = acked();
    if (at !== null) return Math.max(at, Date.now() - 1) - settledAt;
    if (Date.now() - settledAt > timeoutMs) return null;
    await sleep(20);
  }
}

/**
 * Runs `plan` on its timetable from `t0` until done or `stop()` says so, several faults at once
 * as the schedule says (and never breaking its rules); logs each fault; resolves the faults run.
 */
export async function runFaults(ctx, plan, t0, log, stop, overlap = 1) {
  const rel = (t) => `+${((t - t0) / 1000).toFixed(1)}s`;
  /** @type {Map<number, {f: any, started: number, end: (t: number) => void, done: Promise<number>}>} */
  const active = new Map();
  const writePathActive = () => [...active.values()].filter((a) => WRITE_PATH.has(COMPONENT[a.f.kind]));
  const done = [];
  const running = [];
  /** fault index → when it started */
  const starts = new Map();
  const one = async (f, started) => {
    const others = [...active.values()].map((a) => a.f.i).filter((i) => i !== f.i);
    log(`${rel(started)} fault #${f.i} ${f.kind} start (${f.ms} ms${f.kind.startsWith('node') ? `, node ${f.node % ctx.nodes.length}` : ''}${others.length ? `; overlaps #${others.join(', #')}` : ''})`);
    const abuse = ABUSE.includes(f.kind);
    const cpu0 = abuse ? nodeTicks(ctx) : null;
    let note = '';
    let stats = null;
    try {
      const r = await FAULTS[f.kind](ctx, f);
      if (r && typeof r === 'object') ({ note, stats } = r);
      else note = r ?? '';
    } catch (err) {
      note = `failed: ${err.message}`;
    }
    const ended = Date.now();
    if (abuse) stats = { ...stats, nodeCpuPercent: cpuPercent(cpu0, nodeTicks(ctx), ended - started) };
    active.get(f.i).end(ended);
    active.delete(f.i);
    // Settle: the first moment with no node or redis fault active (following the chain of overlaps).
    const waitedFor = [];
    let settled = ended;
    for (let w = writePathActive(); w.length > 0; w = writePathActive()) {
      waitedFor.push(...w.map((a) => a.f.i).filter((i) => !waitedFor.includes(i)));
      settled = Math.max(settled, ...(await Promise.all(w.map((a) => a.done))));
    }
    const recoveredMs = await recovery(ctx, settled);
    // Write-path faults that started while this one was recovering: its figure includes them.
    const interruptedBy = [...starts].filter(([i, t]) => i !== f.i && t > settled && t < settled + (recoveredMs ?? 30_000) && WRITE_PATH.has(COMPONENT[plan[i].kind])).map(([i]) => i);
    log(`${rel(ended)} fault #${f.i} ${f.kind} end after ${ended - started} ms; ${settled > ended ? `settled at ${rel(settled)} (after #${waitedFor.join(', #')}); ` : ''}recovered in ${recoveredMs === null ? 'NOT within 30 s' : `${recoveredMs} ms`}${interruptedBy.length ? ` (interrupted by #${interruptedBy.join(', #')})` : ''}${note ? `; ${note}` : ''}`);
    done.push({ ...f, startedAt: started - t0, durationMs: ended - started, endedAt: ended - t0, settledAt: settled - t0, waitedFor, overlapped: others, recoveredMs, interruptedBy, note, ...(stats ? { stats } : {}) });
    return ended;
  };
  for (const f of plan) {
    for (;;) {
      const now = Date.now() - t0;
      if (stop()) break;
      if (now >= f.at && compatible(f.kind, [...active.values()].map((a) => a.f), overlap)) break;
      await sleep(Math.max(5, Math.min(100, f.at - now)));
    }
    if (stop()) break;
    const started = Date.now();
    starts.set(f.i, started);
    const entry = { f, started, end: null, done: null };
    entry.done = new Promise((r) => { entry.end = r; });
    active.set(f.i, entry);
    running.push(one(f, started).catch((err) => log(`fault #${f.i} ${f.kind}: ${err.stack ?? err}`)));
  }
  await Promise.all(running);
  return done.sort((a, b) => a.i - b.i);
}

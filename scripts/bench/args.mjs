// Command-line options of `npm run bench`.
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { eachOption, ROOT } from '../bench-lib.mjs';
import { TARGETS } from './targets.mjs';

/** Posts/s of `--nodes` without --rate: x 1000 readers, about what one node delivers with p99 < 250 ms here. */
export const NODES_DEFAULT_RATE = 150;

export const USAGE = `usage: npm run bench -- [mode] [options]
modes (default, with no mode and no options: the full comparison written to docs/benchmarks.md):
  (none)         one fixed-rate run per target
  --pin          server process(es) pinned to CPU 0 (taskset), generator and Redis to the others
                 (--restart: node B alone on CPU 0; node A, Redis and the workers on the others)
  --sweep        rising delivery rates until p99 >= 250 ms or any loss; reports the highest clean rate
  --idle N       N idle subscribed connections to one node; server RSS per connection
  --restart N    a node restart under N readers: two nodes on Redis, N readers on node A, SIGTERM to A;
                 every reader resumes on node B; reports when all were resubscribed and caught up
  --nodes LIST   do nodes add up: LIST Liveline node counts (e.g. 1,2,4), each in turn on one throwaway Redis Cluster
                 (3 masters, no replicas); readers spread evenly over the nodes, posts round-robin over them
                 (default --rate here: 150 posts/s, x 1000 readers = 150,000 deliveries/s); see docs/capacity.md
  --full         the full comparison (what no arguments does); writes docs/benchmarks.md
  --write-doc F  only write docs/benchmarks.md from the JSON lines in file F
options:
  --target T     embedded|redis|two-nodes|nchan, comma-separated, or all (default all; not with --nodes)
  --root DIR     Liveline checkout whose dist/server/index.js runs (default this repo)
  --readers N    readers on one feed/channel (default 1000)
  --rate R       posts per second (default 400); deliveries/s offered = R x readers
  --seconds S    posting time per run (default 10)
  --payload B    bytes of one delivery frame (default 500)
  --workers W    reader worker processes (default 2; with --restart on 2 vCPUs, 2 beat 3 and 4)
  --drain-ms MS  --restart: LIVELINE_DRAIN_MS of both nodes (default 0: A closes every reader at once)
  --entries-during M  --restart: entries posted to node B from the SIGTERM on, over max(1 s, drain) (default 20)
  --concurrency C  publisher requests in flight at most (default 32)
  --drain S      longest wait for the backlog after the last post (default 15)
  --rates LIST   sweep rates in deliveries/s (default 10000,25000,50000,75000,100000,150000,200000,300000,400000)
  --cpu-prof DIR V8 CPU profiles of Liveline servers into DIR (--restart: node B only)
  --out FILE     also append the JSON lines to FILE
Stdout: one JSON line per run. Stderr: a short human report. Exit 1 on any loss, duplicate,
out-of-order delivery or error; 2 on bad usage.`;

function usageError(message) {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function wholeNumber(v, key, min, max) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) usageError(`${key} must be a whole number from ${min} to ${max}`);
  return n;
}

function positive(v, key, integer) {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) usageError(`${key} must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

export function parseArgs(argv) {
  const o = {
    mode: 'fixed', pin: false, full: argv.length === 0, idle: null, writeDoc: null, targets: [...TARGETS], root: ROOT,
    readers: 1000, rate: 400, seconds: 10, payload: 500, workers: 2, restart: null, drainMs: 0, entriesDuring: 20, concurrency: 32, drainCap: 15, cpuProf: null, out: null,
    nodeCounts: null, rateSet: false,
    rates: [10_000, 25_000, 50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 400_000],
  };
  eachOption(argv, usageError, (key, value, arg) => {
    switch (key) {
      case '--pin': o.pin = true; break;
      case '--sweep': o.mode = 'sweep'; break;
      case '--idle': o.mode = 'idle'; o.idle = positive(value(), key, true); break;
      case '--restart': o.mode = 'restart'; o.restart = positive(value(), key, true); break;
      case '--drain-ms': o.drainMs = wholeNumber(value(), key, 0, 600_000); break;
      case '--entries-during': o.entriesDuring = wholeNumber(value(), key, 1, 10_000); break;
      case '--nodes': o.mode = 'nodes'; o.nodeCounts = value().split(',').map((x) => wholeNumber(x, key, 1, 16)); break;
      case '--full': o.full = true; break;
      case '--write-doc': o.writeDoc = path.resolve(value()); break;
      case '--target': {
        const v = value();
        o.targets = v === 'all' ? [...TARGETS] : v.split(',');
        for (const t of o.targets) if (!TARGETS.includes(t)) usageError(`unknown target ${t} (${TARGETS.join(', ')}, all)`);
        break;
      }
      case '--root': o.root = path.resolve(value()); break;
      case '--readers': o.readers = positive(value(), key, true); break;
      case '--rate': o.rate = positive(value(), key, false); o.rateSet = true; break;
      case '--seconds': o.seconds = positive(value(), key, false); break;
      case '--payload': o.payload = positive(value(), key, true); break;
      case '--workers': o.workers = positive(value(), key, true); break;
      case '--concurrency': o.concurrency = positive(value(), key, true); break;
      case '--drain': o.drainCap = positive(value(), key, false); break;
      case '--rates': o.rates = value().split(',').map((x) => positive(x, key, false)); break;
      case '--cpu-prof': o.cpuProf = path.resolve(value()); break;
      case '--out': o.out = path.resolve(value()); break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usageError(`unknown argument ${arg}`);
    }
  });
  if (o.payload < 200) usageError('--payload must be at least 200 bytes (the frame envelope alone is ~150)');
  if (o.idle !== null && o.idle > 60_000) usageError('--idle is limited to 60,000 connections');
  if (o.restart !== null && o.restart > 60_000) usageError('--restart is limited to 60,000 readers');
  if (o.mode === 'nodes' && !o.rateSet) o.rate = NODES_DEFAULT_RATE;
  o.cpus = os.cpus().length;
  if (o.pin && o.cpus < 2) usageError('--pin needs at least 2 CPUs');
  return o;
}

/** taskset CPU lists for the server and for everything else. */
export function cpuSets(o, pin) {
  if (!pin) return { serverCpus: null, otherCpus: null };
  return { serverCpus: '0', otherCpus: o.cpus === 2 ? '1' : `1-${o.cpus - 1}` };
}

// Command-line options of `npm run chaos`.
import path from 'node:path';
import process from 'node:process';
import { eachOption } from '../bench-lib.mjs';

export const USAGE = `usage: npm run chaos -- [--seed S] [--seconds N] [--out FILE] [--backend redis|cluster] [--overlap K] [--nodes 2|3] [--feeds F] [--editors E] [--faults LIST]
       npm run chaos -- --long MINUTES [--seconds N] [--first-seed S]   (successive seeds, see long-run.mjs)
  --seed S      the PRNG seed of the fault schedule and the editors' choices (default: random, printed)
  --seconds N   seconds of faults, 5-600 (default 30); then quiesce, check, and stop
  --out FILE    write the run's JSON record (what the checker read) to FILE
  --backend B   redis (one Redis with AOF behind our fault proxy, default) or cluster (3 masters
                with 1 replica each; no proxy faults, plus master-kill9 and slot-migrate)
  --overlap K   at most K faults active at once, at most one per component (default 2; 1 = one after another)
  --nodes N     Liveline nodes behind the balancer (default 3)
  --feeds F     feeds followed by every reader (default 3)
  --editors E   editors posting, editing and deleting side by side (default 3)
  --faults LIST only these fault kinds, comma-separated (default: all; see faults.mjs)
Exit 0 when the checker found nothing, 1 on a violation, 2 on bad usage or a failed start.`;

function usageError(message) {
  process.stderr.write(`chaos: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function int(v, key, min, max) {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) usageError(`${key} must be a whole number from ${min} to ${max}`);
  return n;
}

/** @param {string[]} argv @param {(backend: string) => readonly string[]} kindsFor every fault kind of a backend */
export function parseArgs(argv, kindsFor) {
  const o = { seed: Math.floor(Math.random() * 2 ** 31), seconds: 30, out: null, backend: 'redis', overlap: 2, nodes: 3, feeds: 3, editors: 3, faults: null };
  eachOption(argv, usageError, (key, value, arg) => {
    switch (key) {
      case '--seed': o.seed = int(value(), key, 0, 2 ** 31 - 1); break;
      case '--seconds': o.seconds = int(value(), key, 5, 600); break;
      case '--out': o.out = path.resolve(value()); break;
      case '--nodes': o.nodes = int(value(), key, 2, 3); break;
      case '--feeds': o.feeds = int(value(), key, 1, 10); break;
      case '--editors': o.editors = int(value(), key, 1, 10); break;
      case '--backend': o.backend = value(); if (!['redis', 'cluster'].includes(o.backend)) usageError('--backend must be redis or cluster'); break;
      case '--overlap': o.overlap = int(value(), key, 1, 3); break;
      case '--faults': o.faults = value().split(','); break;
      case '-h': case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: usageError(`unknown argument ${arg}`);
    }
  });
  const kinds = kindsFor(o.backend);
  o.allFaults = o.faults === null;
  o.faults ??= [...kinds];
  for (const f of o.faults) if (!kinds.includes(f)) usageError(`unknown fault ${f} on --backend ${o.backend} (${kinds.join(', ')})`);
  return o;
}

// What the benchmarks in scripts/ share: where the built server is, and readings of a
// process and of the machine from /proc (Linux), in seconds and KB.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ENTRY = path.join(ROOT, 'dist', 'server', 'index.js');
/**
 * Node's flags for a Liveline node, as `npm start` and the Dockerfile run it:
 * --optimize-for-size keeps V8's heap slack small (npm run bench -- --idle 15000: 4.4 KB of
 * RSS per idle reader instead of 7.1 KB, at the same CPU per delivery).
 */
export const SERVER_NODE_FLAGS = ['--optimize-for-size'];

/**
 * Walks command-line options (`--key value` or `--key=value`): calls `on(key, value, arg)` for
 * each, where `value()` takes the option's value (the next argument unless given with `=`) and
 * calls `usageError` when there is none.
 */
export function eachOption(argv, usageError, on) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    on(key, () => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined) usageError(`${key} needs a value`);
      return v;
    }, arg);
  }
}

export function clockTicks() {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // fall through: Linux's USER_HZ is 100 almost everywhere
  }
  return 100;
}
export const CLK_TCK = clockTicks();

/** VmRSS and VmHWM of a process, KB. */
export function memoryKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** utime and stime of a process, seconds. */
export function cpuTimes(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // rest[0] is field 3 (state)
  return { user: Number(rest[11]) / CLK_TCK, sys: Number(rest[12]) / CLK_TCK };
}

/** utime + stime of a process, seconds. */
export function cpuSeconds(pid) {
  const t = cpuTimes(pid);
  return t.user + t.sys;
}

/** Whole-machine CPU time from /proc/stat, seconds: busy (everything but idle and iowait) and total. */
export function machineCpu() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  return { busy: (user + nice + system + irq + softirq + steal) / CLK_TCK, total: (user + nice + system + idle + iowait + irq + softirq + steal) / CLK_TCK };
}

export function softFdLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

/** The commit the working tree is on, and whether server/ has uncommitted changes. */
export function gitState() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'server') !== '';
    return { commit, serverDirty: dirty };
  } catch {
    return null;
  }
}

export function staleBuild() {
  const built = statSync(ENTRY).mtimeMs;
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).some((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? walk(p) : d.name.endsWith('.ts') && statSync(p).mtimeMs > built;
  });
  try {
    return walk(path.join(ROOT, 'server'));
  } catch {
    return false;
  }
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Warnings worth seeing before a run (a stale build, too few file descriptors for
 * `connections`), then one second of the machine's load: other work skews every figure.
 * Returns the share of the CPUs that was busy in that second.
 */
export async function preflight(name, connections) {
  if (staleBuild()) process.stderr.write(`${name}: warning: server/ has sources newer than dist/: run \`npm run build\` for current figures\n`);
  const fdLimit = softFdLimit();
  if (fdLimit < connections) process.stderr.write(`${name}: warning: open-files limit ${fdLimit} is below ${connections}; raise it (ulimit -n) or expect failed connections\n`);
  const idle0 = machineCpu();
  await sleep(1000);
  const idle1 = machineCpu();
  const busy = (idle1.busy - idle0.busy) / (idle1.total - idle0.total);
  if (busy > 0.1) process.stderr.write(`${name}: warning: the machine was ${Math.round(busy * 100)}% busy before the run; figures will be skewed\n`);
  return busy;
}

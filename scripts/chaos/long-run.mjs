// The long chaos run behind docs/reliability.md:
//   npm run chaos -- --long MINUTES [--seconds N] [--first-seed S] [--overlap K] [--out-dir DIR]
//   (or node scripts/chaos/long-run.mjs --long MINUTES …)
// runs successive seeds (S, S+1, …), alternating the backends redis and cluster, each one a
// bounded `node scripts/chaos/main.mjs --seed … --seconds N --backend … --overlap K` (default
// N = 60, K = 2), until MINUTES have passed (a run that would end past them is not started).
// Each run's compact summary (seed, backend, faults with their recovery, acknowledged and
// delivered, the checker's counts and verdict, what each abuse cost) is appended as one JSON
// line to docs/reliability/runs.jsonl, tagged with this long run's id, its machine and commit;
// a failing run's full record and log are kept in docs/reliability/failures/. Then
// `node scripts/chaos/reliability-doc.mjs` regenerates docs/reliability.md from runs.jsonl.
// Exit 0 when every run passed its checker, 1 when one did not, 2 when a run could not start.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { ROOT } from '../bench-lib.mjs';

const HERE = path.join(ROOT, 'scripts', 'chaos');

function parse(argv) {
  const o = { minutes: null, seconds: 60, firstSeed: Math.floor(Math.random() * 2 ** 30), overlap: 2, outDir: path.join(ROOT, 'docs', 'reliability') };
  for (let i = 0; i < argv.length; i++) {
    const [key, inline] = argv[i].includes('=') ? argv[i].split('=', 2) : [argv[i], undefined];
    const v = () => Number(inline ?? argv[++i]);
    if (key === '--long') o.minutes = v();
    else if (key === '--seconds') o.seconds = v();
    else if (key === '--first-seed') o.firstSeed = v();
    else if (key === '--overlap') o.overlap = v();
    else if (key === '--out-dir') o.outDir = path.resolve(inline ?? argv[++i]);
    else throw new Error(`long-run: unknown argument ${argv[i]}`);
  }
  if (!(o.minutes > 0 && o.minutes <= 24 * 60)) throw new Error('long-run: --long MINUTES (1 to 1440) is required');
  if (!(Number.isInteger(o.seconds) && o.seconds >= 5 && o.seconds <= 600)) throw new Error('long-run: --seconds must be 5 to 600');
  return o;
}

const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    return null;
  }
};

/** One bounded run of main.mjs; resolves {code, stdout, stderr}. */
function runOne(args, boundMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(HERE, 'main.mjs'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; process.stderr.write(d); });
    // main.mjs bounds itself (seconds + 150 s); this is the backstop, by its PID only.
    const timer = setTimeout(() => child.kill('SIGKILL'), boundMs);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? signal, stdout, stderr }); });
  });
}

export async function longRun(argv) {
  let o;
  try {
    o = parse(argv);
  } catch (err) {
    process.stderr.write(`${err.message}\nusage: npm run chaos -- --long MINUTES [--seconds N] [--first-seed S] [--overlap K] [--out-dir DIR]\n`);
    return 2;
  }
  mkdirSync(o.outDir, { recursive: true });
  const jsonl = path.join(o.outDir, 'runs.jsonl');
  const started = Date.now();
  const until = started + o.minutes * 60_000;
  const id = new Date(started).toISOString();
  let redisVersion = '?';
  try {
    redisVersion = execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 }).split(' ').find((w) => w.startsWith('v='))?.slice(2) ?? '?';
  } catch {
    // not fatal: the machine line says '?'
  }
  const machine = `${os.cpus().length}× ${os.cpus()[0]?.model?.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}, redis ${redisVersion}`;
  const commit = `${git('rev-parse', '--short', 'HEAD') ?? 'unknown'}${git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : ''}`;
  const command = `npm run chaos -- --long ${o.minutes} --seconds ${o.seconds} --first-seed ${o.firstSeed} --overlap ${o.overlap}`;
  const tmp = path.join(os.tmpdir(), `liveline-chaos-long-${process.pid}`);
  mkdirSync(tmp, { recursive: true });
  // A run takes its seconds, ~25 s of setup, quiesce and checking; not started unless it fits.
  const estimateMs = (o.seconds + 30) * 1000;
  let worst = 0;
  let n = 0;
  process.stderr.write(`[long] ${command}: successive seeds from ${o.firstSeed}, redis and cluster in turn, for ${o.minutes} min\n`);
  for (let seed = o.firstSeed; Date.now() + estimateMs <= until || n === 0; seed++, n++) {
    const backend = n % 2 === 0 ? 'redis' : 'cluster';
    const out = path.join(tmp, `run-${seed}.json`);
    const t = Date.now();
    const args = ['--seed', String(seed), '--seconds', String(o.seconds), '--backend', backend, '--overlap', String(o.overlap), '--out', out];
    const r = await runOne(args, (o.seconds + 200) * 1000);
    const line = { longRun: id, minutes: o.minutes, command, commit, machine, at: new Date(t).toISOString(), wallMs: Date.now() - t, exit: r.code };
    if (existsSync(out)) {
      const run = JSON.parse(readFileSync(out, 'utf8'));
      Object.assign(line, run.compact, { replay: run.replay });
      if (run.compact.verdict !== 'pass') {
        const dir = path.join(o.outDir, 'failures');
        mkdirSync(dir, { recursive: true });
        copyFileSync(out, path.join(dir, `seed-${seed}-${backend}.json`));
        writeFileSync(path.join(dir, `seed-${seed}-${backend}.log`), `${r.stdout}\n--- driver log ---\n${r.stderr}`);
      }
      rmSync(out, { force: true });
    } else {
      Object.assign(line, { seed, backend, seconds: o.seconds, overlap: o.overlap, verdict: 'error', error: r.stderr.split('\n').filter((l) => /run failed|failed to start|hard deadline/.test(l)).slice(0, 3).join('\n') || r.stderr.split('\n').filter((l) => l.trim()).slice(-3).join('\n') });
    }
    worst = Math.max(worst, line.verdict === 'pass' ? 0 : line.verdict === 'fail' ? 1 : 2);
    appendFileSync(jsonl, `${JSON.stringify(line)}\n`);
    process.stderr.write(`[long] seed ${seed} on ${backend}: ${line.verdict} (${Math.round((Date.now() - t) / 1000)} s; ${Math.round((Date.now() - started) / 60_000)} of ${o.minutes} min)\n`);
  }
  rmSync(tmp, { recursive: true, force: true });
  process.stderr.write(`[long] ${n} run(s) in ${((Date.now() - started) / 60_000).toFixed(1)} min appended to ${path.relative(ROOT, jsonl)}\n`);
  return worst === 0 ? 0 : worst === 1 ? 1 : 2;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(HERE, 'long-run.mjs')) {
  process.exit(await longRun(process.argv.slice(2)));
}

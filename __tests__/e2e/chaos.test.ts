/**
 * `npm run chaos` with one fixed seed: 30 s of seeded faults (seed 216 schedules kill -9 and
 * SIGTERM of nodes, a Redis restart with AOF, CLIENT KILL TYPE pubsub, Redis SIGSTOP, proxy delays,
 * a reconnect storm, a stalled and a never-reading reader, a subscribe flood) while editors
 * post, correct and delete through the balancer and raw WebSocket, SSE and SDK readers follow
 * every feed. The run's one checker (scripts/chaos/checker.mjs) must find nothing: every
 * acknowledged change reached every reader once and in order (or a reset's snapshot held it),
 * every final view equals the store, and the store lost no acknowledged write.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SEED = 216;
const SECONDS = 30;

interface RunRecord {
  acknowledged: unknown[];
  faults: Array<{ kind: string; recoveredMs: number | null }>;
  readers: Array<{ name: string; kind: string }>;
  violations: string[];
}

/** Runs the driver to its end (it bounds itself; the test's timeout is the backstop). */
function runChaos(out: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/chaos/main.mjs', '--seed', String(SEED), '--seconds', String(SECONDS), '--out', out], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run chaos: a seeded chaos run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'liveline-chaos-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`seed ${SEED}, ${SECONDS} s of faults: the checker finds no violation`, async () => {
    const out = join(dir, 'run.json');
    const { code, stdout, stderr } = await runChaos(out);
    console.log(`${stdout}\n--- driver log ---\n${stderr}`);
    if (code !== 0) throw new Error(`npm run chaos exited ${code}:\n${stdout}\n${stderr}`);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunRecord;
    expect(run.violations).toEqual([]);
    expect(run.acknowledged.length).toBeGreaterThan(100);
    expect(new Set(run.readers.map((r) => r.kind))).toEqual(new Set(['websocket', 'sse', 'sdk']));
    expect(run.faults.map((f) => f.kind)).toEqual(expect.arrayContaining(['node-kill9', 'node-sigterm', 'redis-restart', 'pubsub-kill', 'redis-sigstop']));
    expect(run.faults.filter((f) => f.recoveredMs === null)).toEqual([]);
  }, 240_000);
});

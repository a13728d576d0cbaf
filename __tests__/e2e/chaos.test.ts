/**
 * `npm run chaos` with fixed seeds, at once (≤ 60 s in all):
 * - seed 216 on one Redis, 30 s of seeded faults, up to 2 at once (--overlap 2: a node fault, a
 *   Redis fault and a client fault may run together): kill -9 and SIGTERM of nodes, Redis
 *   restarts with AOF, CLIENT KILL TYPE pubsub, Redis SIGSTOP and CLIENT PAUSE, proxy delays and
 *   a black hole, reconnect storms, a stalled reader, subscribe and frame floods;
 * - seed 17 on a Redis Cluster (3 masters, 1 replica each), 12 s: kill -9 of the master owning a
 *   feed's slot (a replica takes over; the old master rejoins as a replica), slot migrations,
 *   a node kill, a cluster node restarted and SIGSTOPped, floods.
 * Meanwhile editors post, correct and delete through the balancer and raw WebSocket, SSE and SDK
 * readers follow every feed. The run's one checker (scripts/chaos/checker.mjs) must find
 * nothing: every acknowledged change reached every reader once and in order (or a reset's
 * snapshot held it), every final view equals the store, and the store lost no acknowledged write.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface RunRecord {
  backend: string;
  acknowledged: unknown[];
  faults: Array<{ kind: string; recoveredMs: number | null; overlapped: number[] }>;
  readers: Array<{ name: string; kind: string }>;
  violations: string[];
}
interface Result { code: number | null; stdout: string; stderr: string; run: RunRecord | null }

/** Runs the driver to its end (it bounds itself; the test's timeout is the backstop). */
function runChaos(dir: string, seed: number, seconds: number, backend: string): Promise<Result> {
  const out = join(dir, `run-${backend}-${seed}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/chaos/main.mjs', '--seed', String(seed), '--seconds', String(seconds), '--backend', backend, '--overlap', '2', '--out', out], {
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
    child.once('exit', (code) => {
      let run: RunRecord | null = null;
      try {
        run = JSON.parse(readFileSync(out, 'utf8')) as RunRecord;
      } catch {
        // no record: the assertions below say why, with the driver's output
      }
      resolve({ code, stdout, stderr, run });
    });
  });
}

describe('npm run chaos: seeded chaos runs with overlapping faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'liveline-chaos-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // Both start together; each test waits for its own.
  let redis: Promise<Result>;
  let cluster: Promise<Result>;
  beforeAll(() => {
    redis = runChaos(dir, 216, 30, 'redis');
    cluster = runChaos(dir, 17, 12, 'cluster');
  });

  const passes = async (result: Promise<Result>): Promise<RunRecord> => {
    const { code, stdout, stderr, run } = await result;
    console.log(`${stdout}\n--- driver log ---\n${stderr}`);
    if (code !== 0 || run === null) throw new Error(`npm run chaos exited ${code}:\n${stdout}\n${stderr}`);
    expect(run.violations).toEqual([]);
    expect(new Set(run.readers.map((r) => r.kind))).toEqual(new Set(['websocket', 'sse', 'sdk']));
    expect(run.faults.filter((f) => f.recoveredMs === null)).toEqual([]);
    expect(run.faults.some((f) => f.overlapped.length > 0)).toBe(true);
    return run;
  };

  it('seed 216 on one Redis, 30 s of faults, up to 2 at once: the checker finds no violation', async () => {
    const run = await passes(redis);
    expect(run.acknowledged.length).toBeGreaterThan(100);
    expect(run.faults.map((f) => f.kind)).toEqual(expect.arrayContaining(['node-kill9', 'node-sigterm', 'redis-restart', 'pubsub-kill', 'redis-sigstop', 'proxy-blackhole']));
  }, 240_000);

  it('seed 17 on a Redis Cluster, 12 s of faults (a master killed, slots migrated): the checker finds no violation', async () => {
    const run = await passes(cluster);
    expect(run.backend).toBe('cluster');
    expect(run.acknowledged.length).toBeGreaterThan(30);
    expect(run.faults.map((f) => f.kind)).toEqual(expect.arrayContaining(['master-kill9', 'slot-migrate', 'node-kill9']));
  }, 240_000);
});

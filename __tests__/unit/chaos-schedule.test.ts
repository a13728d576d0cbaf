/**
 * The seeded fault schedule of `npm run chaos` (scripts/chaos/faults.mjs), through its small
 * CLI (scripts/chaos/schedule-cli.mjs; jest does not load ES modules): the same seed gives the
 * same schedule; with --overlap K at most K faults are active at any moment and never two of
 * one component (node, redis, client); with overlap 1 they run one after another; the cluster
 * backend has no proxy faults and has master-kill9 and slot-migrate.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'scripts', 'chaos', 'schedule-cli.mjs');

interface Fault { i: number; kind: string; at: number; ms: number; node: number; delay: number }
interface Out { kinds: string[]; component: Record<string, string>; plan: Fault[] }

const SPECS = [
  '216:60:redis:2', '217:60:redis:1', '1:5:redis:2', '1:5:cluster:2', '216:120:redis:1',
  ...[1, 216, 4242].flatMap((seed) => [`${seed}:120:redis:2`, `${seed}:120:redis:3`, `${seed}:120:cluster:2`]),
];
/** Every schedule the tests look at, from one run of the CLI (twice, to compare). */
function all(): Map<string, Out> {
  const r = spawnSync(process.execPath, [CLI, ...SPECS], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`schedule-cli.mjs exited ${r.status}: ${r.stderr}`);
  const outs = JSON.parse(r.stdout) as Out[];
  return new Map(SPECS.map((s, i): [string, Out] => [s, outs[i] as Out]));
}
const first = all();
const second = all();
const plan = (seed: number, seconds: number, backend: string, overlap: number): Out => {
  const out = first.get(`${seed}:${seconds}:${backend}:${overlap}`);
  if (out === undefined) throw new Error('not in SPECS');
  return out;
};

/** The most faults active at once, and whether two of one component ever were. */
function overlaps(out: Out): { most: number; sameComponent: boolean } {
  let most = 0;
  let sameComponent = false;
  for (const f of out.plan) {
    const active = out.plan.filter((g) => g.at <= f.at && g.at + g.ms > f.at);
    most = Math.max(most, active.length);
    const comps = active.map((g) => out.component[g.kind]);
    if (new Set(comps).size !== comps.length) sameComponent = true;
  }
  return { most, sameComponent };
}

describe('chaos fault schedule', () => {
  it('is the same for the same seed, and differs for another', () => {
    expect([...second]).toEqual([...first]);
    expect(plan(216, 60, 'redis', 2).plan.length).toBeGreaterThan(20);
    expect(plan(217, 60, 'redis', 1).plan).not.toEqual(plan(216, 60, 'redis', 2).plan);
  });

  it.each([[2, 'redis'], [3, 'redis'], [2, 'cluster']])('overlap %i on %s: at most that many at once, one per component, and they do overlap', (k, backend) => {
    for (const seed of [1, 216, 4242]) {
      const out = plan(seed, 120, backend, k);
      const { most, sameComponent } = overlaps(out);
      expect(most).toBeLessThanOrEqual(k);
      expect(most).toBeGreaterThan(1);
      expect(sameComponent).toBe(false);
      expect(out.plan.every((f) => out.kinds.includes(f.kind))).toBe(true);
    }
  });

  it('overlap 1: one after another', () => {
    expect(overlaps(plan(216, 120, 'redis', 1)).most).toBe(1);
  });

  it('the cluster backend swaps the proxy faults for master-kill9 and slot-migrate', () => {
    const redis = plan(1, 5, 'redis', 2).kinds;
    const cluster = plan(1, 5, 'cluster', 2).kinds;
    expect(redis).toEqual(expect.arrayContaining(['proxy-delay', 'proxy-blackhole', 'proxy-cut']));
    expect(redis).not.toContain('master-kill9');
    expect(cluster).toEqual(expect.arrayContaining(['master-kill9', 'slot-migrate', 'node-kill9', 'pubsub-kill', 'frame-flood']));
    expect(cluster.filter((k) => k.startsWith('proxy-'))).toEqual([]);
  });
});

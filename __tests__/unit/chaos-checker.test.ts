/**
 * scripts/chaos/checker.mjs, the one checker of `npm run chaos`, on small hand-written runs: a
 * clean one passes, and each broken guarantee (a gap, a duplicate, a reordering, a stale final
 * view, a lost acknowledged write) is reported with the reader, feed and seq. The checker is an
 * ES module like the other scripts, which jest (ts-jest, CommonJS) does not load: it runs through
 * its small CLI, scripts/chaos/check-cli.mjs, which prints the violations as JSON.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '..', '..', 'scripts', 'chaos', 'check-cli.mjs');

interface Delivery { seq: number; epoch: string; type: string; entryId: string | null; revision: number | null }
interface EntryRef { id: string; revision: number | null }
interface Run {
  feeds: string[];
  acknowledged: Array<{ feed: string; entryId: string; seq: number; op: 'create' | 'update' | 'delete'; headline?: string; revision?: number }>;
  uncertain?: Array<{ feed: string; entryId: string; op: 'create' | 'update' | 'delete' }>;
  readers: Array<{
    name: string; throughout: boolean; problem?: string | null;
    feeds: Record<string, { segments: Array<{ why: string; from: number; epoch: string | null; snapshot: { seq: number; epoch: string; entries: EntryRef[] } | null; deliveries: Delivery[] }>; view: EntryRef[] | null }>;
  }>;
  store: Record<string, { seq: number; epoch: string; entries: EntryRef[] }>;
}

function check(run: Run): { code: number | null; violations: string[] } {
  const r = spawnSync(process.execPath, [CLI, '-'], { input: JSON.stringify(run), encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 && r.status !== 1) throw new Error(`check-cli.mjs exited ${r.status}: ${r.stderr}`);
  return { code: r.status, violations: JSON.parse(r.stdout) as string[] };
}

const E = 'ep1';
const created = (seq: number, id: string): Delivery => ({ seq, epoch: E, type: 'entry.created', entryId: id, revision: 1 });
const updated = (seq: number, id: string, revision: number): Delivery => ({ seq, epoch: E, type: 'entry.updated', entryId: id, revision });
const deleted = (seq: number, id: string): Delivery => ({ seq, epoch: E, type: 'entry.deleted', entryId: id, revision: null });

/**
 * Feed f: a created (1), b created (2), a updated to revision 2 (3), b deleted (4), c created (5).
 * Reader "ws" follows from seq 0; reader "sdk" is told reset after seq 2 and reloads at seq 4.
 */
function cleanRun(): Run {
  const all = [created(1, 'a'), created(2, 'b'), updated(3, 'a', 2), deleted(4, 'b'), created(5, 'c')];
  const final: EntryRef[] = [{ id: 'a', revision: 2 }, { id: 'c', revision: 1 }];
  return {
    feeds: ['f'],
    acknowledged: [
      { feed: 'f', entryId: 'a', seq: 1, op: 'create', headline: 'A', revision: 1 },
      { feed: 'f', entryId: 'b', seq: 2, op: 'create', headline: 'B', revision: 1 },
      { feed: 'f', entryId: 'a', seq: 3, op: 'update', headline: 'A2', revision: 2 },
      { feed: 'f', entryId: 'b', seq: 4, op: 'delete' },
      { feed: 'f', entryId: 'c', seq: 5, op: 'create', headline: 'C', revision: 1 },
    ],
    readers: [
      { name: 'ws', throughout: true, feeds: { f: { segments: [{ why: 'subscribed from seq 0', from: 0, epoch: null, snapshot: null, deliveries: all }], view: final } } },
      {
        name: 'sdk', throughout: true, feeds: {
          f: {
            segments: [
              { why: 'initial snapshot', from: 0, epoch: E, snapshot: { seq: 0, epoch: E, entries: [] }, deliveries: [created(1, 'a'), created(2, 'b')] },
              { why: 'reset (too_far_behind), reloaded at seq 4', from: 4, epoch: E, snapshot: { seq: 4, epoch: E, entries: [{ id: 'a', revision: 2 }] }, deliveries: [created(5, 'c')] },
            ],
            view: final,
          },
        },
      },
    ],
    store: { f: { seq: 5, epoch: E, entries: final } },
  };
}

/** The clean run with reader "ws"'s deliveries of feed f replaced. */
function withWsDeliveries(deliveries: Delivery[]): Run {
  const run = cleanRun();
  const seg = run.readers[0]?.feeds.f?.segments[0];
  if (seg === undefined) throw new Error('fixture');
  seg.deliveries = deliveries;
  return run;
}

describe('chaos checker (scripts/chaos/checker.mjs)', () => {
  it('passes a clean run, including a reader that was reset and reloaded the snapshot', () => {
    expect(check(cleanRun())).toEqual({ code: 0, violations: [] });
  });

  it('reports a gap: the reader, the feed and the missing seq', () => {
    const { code, violations } = check(withWsDeliveries([created(1, 'a'), created(2, 'b'), deleted(4, 'b'), created(5, 'c')]));
    expect(code).toBe(1);
    expect(violations).toContain('ws, feed f: gap, seq 3 never delivered (segment from seq 0 to 5, subscribed from seq 0)');
    expect(violations).toContain('ws, feed f: acknowledged seq 3 (update of entry a (revision 2)) never delivered, and no reloaded snapshot covers it');
  });

  it('reports a duplicate', () => {
    const { code, violations } = check(withWsDeliveries([created(1, 'a'), created(2, 'b'), created(2, 'b'), updated(3, 'a', 2), deleted(4, 'b'), created(5, 'c')]));
    expect(code).toBe(1);
    expect(violations).toEqual(['ws, feed f: duplicate, seq 2 delivered again (subscribed from seq 0)']);
  });

  it('reports a reordering', () => {
    const { code, violations } = check(withWsDeliveries([created(1, 'a'), updated(3, 'a', 2), created(2, 'b'), deleted(4, 'b'), created(5, 'c')]));
    expect(code).toBe(1);
    expect(violations).toEqual(['ws, feed f: out of order, seq 2 delivered after seq 3 (subscribed from seq 0)']);
  });

  it('reports a stale final view: a missing entry, a deleted one still shown, an old revision', () => {
    const run = cleanRun();
    const sdk = run.readers[1]?.feeds.f;
    if (sdk === undefined) throw new Error('fixture');
    sdk.view = [{ id: 'a', revision: 1 }, { id: 'b', revision: 1 }];
    const { code, violations } = check(run);
    expect(code).toBe(1);
    expect(violations).toEqual([
      'sdk, feed f: stale final view, lacks 1 entry the store holds at seq 5: c',
      'sdk, feed f: stale final view, shows 1 entry the store no longer holds at seq 5: b',
      'sdk, feed f: stale final view, entry a shown at revision 1, the store has revision 2 at seq 5',
    ]);
  });

  it('reports a lost acknowledged write: the store lacks an entry, or holds an older revision', () => {
    const run = cleanRun();
    run.store.f = { seq: 5, epoch: E, entries: [{ id: 'a', revision: 1 }] };
    for (const r of run.readers) if (r.feeds.f !== undefined) r.feeds.f.view = [{ id: 'a', revision: 1 }];
    const { violations } = check(run);
    expect(violations).toContain('store: feed f lacks entry c, acknowledged (create of entry c (revision 1)) at seq 5: a lost acknowledged write');
    expect(violations).toContain('store: feed f holds entry a at revision 1, revision 2 was acknowledged at seq 3: a lost acknowledged write');
  });

  it('reports an acknowledged change a reset reader neither got nor found in its reloaded snapshot', () => {
    const run = cleanRun();
    const seg = run.readers[1]?.feeds.f?.segments[1];
    if (seg?.snapshot == null) throw new Error('fixture');
    seg.snapshot.entries = [{ id: 'a', revision: 1 }];
    const { violations } = check(run);
    expect(violations).toEqual([
      'sdk, feed f: acknowledged seq 3 (update of entry a (revision 2)) never delivered, and the snapshot reloaded at seq 4 (reset (too_far_behind), reloaded at seq 4) does not reflect it',
    ]);
  });

  it('holds a reader that stopped early, and one that never reached the head, to account', () => {
    const run = withWsDeliveries([created(1, 'a'), created(2, 'b'), updated(3, 'a', 2)]);
    run.readers.push({ name: 'gave-up', throughout: true, problem: 'closed with 4500', feeds: {} });
    const { violations } = check(run);
    expect(violations).toContain('ws, feed f: ends at seq 3, the store\'s head is seq 5 (seq 4–5 never delivered)');
    expect(violations).toContain('gave-up, feed f: never subscribed');
    expect(violations).toContain('gave-up: closed with 4500');
  });

  it('lets an entry be gone when its delete may have landed without an answer', () => {
    const run = cleanRun();
    run.uncertain = [{ feed: 'f', entryId: 'c', op: 'delete' }];
    run.store.f = { seq: 6, epoch: E, entries: [{ id: 'a', revision: 2 }] };
    for (const r of run.readers) {
      const f = r.feeds.f;
      if (f === undefined) continue;
      f.segments.at(-1)?.deliveries.push(deleted(6, 'c'));
      f.view = [{ id: 'a', revision: 2 }];
    }
    expect(check(run)).toEqual({ code: 0, violations: [] });
  });
});

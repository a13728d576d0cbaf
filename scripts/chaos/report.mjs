// The end of a run: the store's final state, the run's record (what the checker reads) and the
// printed summary: acknowledged vs delivered per reader, gaps and duplicates, faults and recovery.
import { readAll, sleep } from './feed-log.mjs';

/** Each feed as the store holds it now (through a node, past caches), retried while it fails (bounded). */
export async function storeState(base, feeds, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  const store = {};
  for (const feed of feeds) {
    for (;;) {
      try {
        const { snapshot, entries } = await readAll(base, feed);
        store[feed] = { seq: snapshot.seq, epoch: snapshot.epoch, entries: entries.map((e) => ({ id: e.id, revision: e.revision ?? null, headline: e.headline ?? null })), complete: true };
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(200);
      }
    }
  }
  return store;
}

/** Waits (bounded) until every reader's cursor of every feed reaches `store`'s head; returns those that did not. */
export async function catchUp(readers, store, timeoutMs) {
  const behind = () => readers.flatMap((r) => [...r.logs.values()]
    .filter((l) => l.position !== store[l.feed].seq)
    .map((l) => `${r.name} at ${l.feed} seq ${l.position} of ${store[l.feed].seq}`));
  const deadline = Date.now() + timeoutMs;
  while (behind().length > 0 && Date.now() < deadline) await sleep(50);
  return behind();
}

export function record({ seed, seconds, feeds, editors, readers, store, faults, schedule }) {
  return {
    seed, seconds, feeds, schedule, faults,
    acknowledged: editors.acknowledged,
    uncertain: editors.uncertain,
    readers: readers.map((r) => ({
      name: r.name, kind: r.kind, throughout: true, problem: r.problem ?? null,
      feeds: Object.fromEntries([...r.logs].map(([feed, log]) => [feed, log.toJSON()])),
    })),
    store,
  };
}

const count = (re, violations) => violations.filter((v) => re.test(v)).length;

/** The human summary, one string. */
export function summary(run, editors, violations, readerObjs) {
  const lines = [];
  const heads = run.feeds.map((f) => `${f} seq ${run.store[f].seq} (${run.store[f].entries.length} entries)`).join(', ');
  const ops = ['create', 'update', 'delete'].map((op) => `${run.acknowledged.filter((a) => a.op === op).length} ${op}`).join(', ');
  lines.push(`seed ${run.seed}, ${run.seconds} s of faults; feeds: ${heads}`);
  lines.push(`editors: ${run.acknowledged.length} changes acknowledged (${ops}), ${run.uncertain.length} uncertain, ${editors.attempts} attempts; failed attempts {${[...editors.failures].map(([k, n]) => `${k}: ${n}`).join(', ')}}`);
  for (const r of run.readers) {
    const obj = readerObjs.find((o) => o.name === r.name);
    const fs = Object.values(r.feeds);
    const delivered = fs.reduce((n, f) => n + f.segments.reduce((m, s) => m + s.deliveries.length, 0), 0);
    const acked = fs.reduce((n, f) => n + f.segments.reduce((m, s) => m + s.deliveries.filter((d) => run.acknowledged.some((a) => a.seq === d.seq && a.entryId === d.entryId)).length, 0), 0);
    const reloads = fs.reduce((n, f) => n + f.segments.length - 1, 0);
    lines.push(`reader ${r.name}: ${delivered} events delivered (${acked} of the ${run.acknowledged.length} acknowledged), ${reloads} snapshot reload(s)`
      + `${obj?.connects ? `, ${obj.connects} connection(s)` : ''}${obj?.errors?.length ? `, ${obj.errors.length} SDK errors` : ''}${r.problem ? `, PROBLEM: ${r.problem}` : ''}`);
  }
  lines.push(`faults: ${run.faults.length}`);
  for (const f of run.faults) lines.push(`  +${(f.startedAt / 1000).toFixed(1)}s ${f.kind} ${f.durationMs} ms, recovered in ${f.recoveredMs === null ? 'NOT within 30 s' : `${f.recoveredMs} ms`}${f.note ? ` (${f.note})` : ''}`);
  const recs = run.faults.map((f) => f.recoveredMs).filter((x) => x !== null);
  if (recs.length > 0) lines.push(`recovery: longest ${Math.max(...recs)} ms, median ${recs.sort((a, b) => a - b)[Math.floor(recs.length / 2)]} ms`);
  lines.push(`checker: ${violations.length === 0 ? 'PASS, no violation' : `FAIL, ${violations.length} violation(s): ${count(/: gap,/, violations)} gap(s), ${count(/: duplicate,/, violations)} duplicate(s), ${count(/out of order/, violations)} reordering(s), ${count(/stale final view/, violations)} stale view(s), ${count(/lost acknowledged/, violations)} lost write(s)`}`);
  return lines.join('\n');
}

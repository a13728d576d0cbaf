// The end of a run: the store's final state, the run's record (what the checker reads) and the
// printed summary: acknowledged vs delivered per reader, gaps and duplicates, faults and recovery.
import { COMPONENT } from './faults.mjs';
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

export function record({ seed, seconds, backend, overlap, t0, feeds, editors, readers, store, faults, schedule }) {
  return {
    seed, seconds, backend, overlap, t0, feeds, schedule, faults,
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
  lines.push(`faults: ${run.faults.length} on ${run.backend ?? 'redis'}, at most ${run.overlap ?? 1} at once; recovery = ms from settle (the fault's end, or the end of the last node/redis fault still active then) until every node is ready and every feed had a change acknowledged that was sent after settle`);
  for (const f of run.faults) {
    const settle = f.settledAt > f.endedAt ? `, settled ${f.settledAt - f.endedAt} ms later (after #${f.waitedFor.join(', #')})` : '';
    const over = f.overlapped?.length ? ` [overlapping #${f.overlapped.join(', #')}]` : '';
    lines.push(`  #${f.i ?? '?'} +${(f.startedAt / 1000).toFixed(1)}s ${f.kind} ${f.durationMs} ms${over}${settle}, recovered in ${f.recoveredMs === null ? 'NOT within 30 s' : `${f.recoveredMs} ms`}${f.interruptedBy?.length ? ` (interrupted by #${f.interruptedBy.join(', #')})` : ''}${f.note ? ` (${f.note})` : ''}`);
  }
  const recs = run.faults.map((f) => f.recoveredMs).filter((x) => x !== null);
  if (recs.length > 0) lines.push(`recovery: longest ${Math.max(...recs)} ms, median ${recs.sort((a, b) => a - b)[Math.floor(recs.length / 2)]} ms`);
  const c = compact(run, violations);
  for (const a of c.abuse) lines.push(`  abuse ${a.kind} ${a.durationMs} ms: ${JSON.stringify(a.stats ?? {})}; other readers' delivery p99 during it ${a.p99DuringMs ?? '–'} ms, while no node/redis fault was active ${a.p99AloneMs ?? '–'} ms (${a.nAlone})`);
  const l = c.latency;
  lines.push(`delivery latency (editor's send → reader): p50/p99 during abuse ${l.duringAbuse.p50}/${l.duringAbuse.p99} ms (${l.duringAbuse.n}), abuse with no node/redis fault ${l.abuseAlone.p50}/${l.abuseAlone.p99} ms (${l.abuseAlone.n}), outside abuse ${l.outsideAbuse.p50}/${l.outsideAbuse.p99} ms (${l.outsideAbuse.n}), with no fault active ${l.quiet.p50}/${l.quiet.p99} ms (${l.quiet.n})`);
  lines.push(`checker: ${violations.length === 0 ? 'PASS, no violation' : `FAIL, ${violations.length} violation(s): ${count(/: gap,/, violations)} gap(s), ${count(/: duplicate,/, violations)} duplicate(s), ${count(/out of order/, violations)} reordering(s), ${count(/stale final view/, violations)} stale view(s), ${count(/lost acknowledged/, violations)} lost write(s)`}`);
  return lines.join('\n');
}

/** @param {number[]} xs @param {number} q */
const quantile = (xs, q) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const stat = (xs) => ({ n: xs.length, p50: quantile(xs, 0.5), p99: quantile(xs, 0.99), max: xs.length ? Math.max(...xs) : null });

/** Every delivery of an acknowledged change: [sentAt (epoch ms), latency ms]. */
function latencies(run) {
  const acks = new Map(run.acknowledged.filter((a) => a.sentAt != null).map((a) => [`${a.feed} ${a.seq}`, a]));
  const out = [];
  for (const r of run.readers) {
    for (const [feed, rf] of Object.entries(r.feeds)) {
      for (const seg of rf.segments) {
        for (const d of seg.deliveries) {
          const a = acks.get(`${feed} ${d.seq}`);
          if (a !== undefined && d.at != null && a.entryId === d.entryId) out.push([a.sentAt, d.at - a.sentAt]);
        }
      }
    }
  }
  return out;
}

const ABUSE_KINDS = ['reconnect-storm', 'never-reading', 'frame-flood', 'subscribe-flood'];

/**
 * The run in a few numbers (one line of docs/reliability/runs.jsonl): faults with their
 * recovery, acknowledged vs delivered, the checker's counts, what each abuse cost.
 */
export function compact(run, violations = run.violations ?? []) {
  const t0 = run.t0 ?? 0;
  const windows = (pred) => run.faults.filter(pred).map((f) => [t0 + f.startedAt, t0 + f.startedAt + f.durationMs]);
  const inside = (ws, t) => ws.some(([a, b]) => a <= t && t <= b);
  const abuseW = windows((f) => ABUSE_KINDS.includes(f.kind));
  const anyW = windows(() => true);
  const writeW = windows((f) => COMPONENT[f.kind] === 'node' || COMPONENT[f.kind] === 'redis');
  const lat = latencies(run);
  const delivered = {};
  const deliveredAcked = {};
  const reloads = {};
  const ackKeys = new Set(run.acknowledged.map((a) => `${a.feed} ${a.seq} ${a.entryId}`));
  for (const r of run.readers) {
    const segs = Object.entries(r.feeds).flatMap(([feed, f]) => f.segments.map((s) => [feed, s]));
    delivered[r.name] = segs.reduce((n, [, s]) => n + s.deliveries.length, 0);
    deliveredAcked[r.name] = segs.reduce((n, [feed, s]) => n + s.deliveries.filter((d) => ackKeys.has(`${feed} ${d.seq} ${d.entryId}`)).length, 0);
    reloads[r.name] = Object.values(r.feeds).reduce((n, f) => n + f.segments.length - 1, 0);
  }
  const counts = {
    gaps: count(/: gap,/, violations), duplicates: count(/: duplicate,/, violations), reorderings: count(/out of order/, violations),
    staleViews: count(/stale final view/, violations), lost: count(/lost acknowledged|never delivered, and no reloaded/, violations),
  };
  counts.other = violations.length - Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    seed: run.seed, backend: run.backend ?? 'redis', seconds: run.seconds, overlap: run.overlap ?? 1,
    faults: run.faults.map((f) => ({
      kind: f.kind, durationMs: f.durationMs, recoveredMs: f.recoveredMs, overlapped: f.overlapped?.length ?? 0,
      settleWaitMs: f.settledAt != null ? f.settledAt - f.endedAt : 0, interrupted: (f.interruptedBy?.length ?? 0) > 0, ...(f.note?.startsWith('failed') ? { failed: f.note } : {}),
    })),
    acknowledged: run.acknowledged.length, uncertain: run.uncertain?.length ?? 0,
    delivered, deliveredAcked, reloads, counts,
    verdict: violations.length === 0 ? 'pass' : 'fail', violations: violations.slice(0, 5),
    abuse: run.faults.filter((f) => ABUSE_KINDS.includes(f.kind)).map((f) => {
      const w = [[t0 + f.startedAt, t0 + f.startedAt + f.durationMs]];
      const during = lat.filter(([t]) => inside(w, t));
      // "alone": the deliveries of changes sent during the attack while no node or redis fault was active.
      const alone = during.filter(([t]) => !inside(writeW, t)).map(([, x]) => x);
      return { kind: f.kind, durationMs: f.durationMs, stats: f.stats ?? null, p99DuringMs: quantile(during.map(([, x]) => x), 0.99), p99AloneMs: quantile(alone, 0.99), nAlone: alone.length };
    }),
    latency: {
      duringAbuse: stat(lat.filter(([t]) => inside(abuseW, t)).map(([, x]) => x)),
      outsideAbuse: stat(lat.filter(([t]) => !inside(abuseW, t)).map(([, x]) => x)),
      abuseAlone: stat(lat.filter(([t]) => inside(abuseW, t) && !inside(writeW, t)).map(([, x]) => x)),
      quiet: stat(lat.filter(([t]) => !inside(anyW, t)).map(([, x]) => x)),
    },
  };
}

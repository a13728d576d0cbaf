// The one checker of a chaos run: a pure function from a recorded run (JSON, see the typedefs)
// to the list of violated guarantees, each a sentence naming the reader, the feed and the seq.
// No I/O: `npm run chaos` records a run and calls check(); so do the unit tests, with small
// hand-written runs (through check-cli.mjs, as jest does not load ES modules).

/**
 * @typedef {'create'|'update'|'delete'} Op
 * @typedef {{feed: string, entryId: string, seq: number, op: Op, headline?: string|null, revision?: number|null, editor?: number}} Ack
 *   A change an editor got a 2xx for.
 * @typedef {{feed: string, entryId: string, op: Op}} Uncertain
 *   A change whose answer never came (timeouts, 5xx, a retry answered 404): it may or may not have landed.
 * @typedef {{id: string, revision: number|null}} EntryRef
 * @typedef {{seq: number, epoch: string, entries: EntryRef[], complete?: boolean}} Snapshot
 *   A feed as of `seq`; `complete: false` when it holds only the newest entries.
 * @typedef {{seq: number, epoch: string, type: string, entryId: string|null, revision: number|null}} Delivery
 * @typedef {{why: string, from: number, epoch: string|null, snapshot: Snapshot|null, deliveries: Delivery[]}} Segment
 *   One unbroken stretch of a reader's feed: from a subscribe (`from` 0 or a cursor) or from a
 *   `reset` and its reloaded snapshot (`from` = the snapshot's seq), the events delivered after it.
 * @typedef {{segments: Segment[], view: EntryRef[]|null}} ReaderFeed
 *   `view`: the entries the reader shows at the end (null: it keeps none).
 * @typedef {{name: string, throughout: boolean, problem?: string|null, feeds: Record<string, ReaderFeed>}} Reader
 *   `throughout`: it followed every feed from before the first write to the end, so every
 *   acknowledged change must reach it; `problem`: why it could not (it gave up).
 * @typedef {{feeds: string[], acknowledged: Ack[], uncertain?: Uncertain[], readers: Reader[], store: Record<string, Snapshot>}} Run
 */

/** @param {Ack} a */
const describe = (a) => `${a.op} of entry ${a.entryId}${a.revision != null ? ` (revision ${a.revision})` : ''}`;

/** @param {number[]} seqs sorted @returns {string} "4, 7–9" */
function ranges(seqs) {
  const out = [];
  for (let i = 0; i < seqs.length; i++) {
    let j = i;
    while (j + 1 < seqs.length && seqs[j + 1] === seqs[j] + 1) j++;
    out.push(j === i ? `${seqs[i]}` : `${seqs[i]}–${seqs[j]}`);
    i = j;
  }
  return out.join(', ');
}

/**
 * What the store must hold of each acknowledged entry: absent (an acknowledged delete),
 * either (a delete that may have landed), or present at least at the acknowledged revision.
 * @param {Ack[]} acks @param {Uncertain[]} uncertain
 * @returns {Map<string, {must: 'absent'|'present'|'either', revision: number, ack: Ack}>}
 */
function expectations(acks, uncertain) {
  const byEntry = new Map();
  for (const a of [...acks].sort((x, y) => x.seq - y.seq)) {
    const e = byEntry.get(a.entryId) ?? { must: 'present', revision: 0, ack: a };
    if (a.op === 'delete') e.must = 'absent';
    e.revision = Math.max(e.revision, a.revision ?? 0);
    e.ack = a;
    byEntry.set(a.entryId, e);
  }
  for (const u of uncertain) {
    const e = byEntry.get(u.entryId);
    if (e !== undefined && u.op === 'delete' && e.must === 'present') e.must = 'either';
  }
  return byEntry;
}

/** @param {string} feed @param {Ack[]} acks @param {Uncertain[]} uncertain @param {Snapshot|undefined} store */
function checkStore(feed, acks, uncertain, store) {
  if (store === undefined) return [`store: feed ${feed} is missing (${acks.length} acknowledged changes)`];
  const problems = [];
  const held = new Map(store.entries.map((e) => [e.id, e]));
  for (const [id, e] of expectations(acks, uncertain)) {
    const got = held.get(id);
    if (e.must === 'present' && got === undefined) problems.push(`store: feed ${feed} lacks entry ${id}, acknowledged (${describe(e.ack)}) at seq ${e.ack.seq}: a lost acknowledged write`);
    else if (e.must === 'absent' && got !== undefined) problems.push(`store: feed ${feed} still holds entry ${id}, whose delete was acknowledged at seq ${e.ack.seq}`);
    else if (got !== undefined && got.revision != null && got.revision < e.revision) problems.push(`store: feed ${feed} holds entry ${id} at revision ${got.revision}, revision ${e.revision} was acknowledged at seq ${e.ack.seq}: a lost acknowledged write`);
  }
  const bySeq = new Map();
  for (const a of acks) {
    if (a.seq > store.seq) problems.push(`store: feed ${feed} head is seq ${store.seq}, yet ${describe(a)} was acknowledged at seq ${a.seq}`);
    const other = bySeq.get(a.seq);
    if (other !== undefined && (other.entryId !== a.entryId || other.op !== a.op)) problems.push(`store: feed ${feed} acknowledged two changes at seq ${a.seq}: ${describe(other)} and ${describe(a)}`);
    bySeq.set(a.seq, a);
  }
  return problems;
}

/** Gaps, duplicates and reordering inside one segment, and deliveries that contradict an acknowledgement. */
function checkSegment(where, seg, acksBySeq) {
  const problems = [];
  const seen = new Set();
  let last = seg.from;
  for (const d of seg.deliveries) {
    if (seen.has(d.seq) || d.seq <= seg.from) problems.push(`${where}: duplicate, seq ${d.seq} delivered again${d.seq <= seg.from ? ` after its segment started at seq ${seg.from}` : ''} (${seg.why})`);
    else if (d.seq < last) problems.push(`${where}: out of order, seq ${d.seq} delivered after seq ${last} (${seg.why})`);
    seen.add(d.seq);
    last = Math.max(last, d.seq);
    if (seg.epoch !== null && d.epoch !== seg.epoch) problems.push(`${where}: seq ${d.seq} delivered in epoch ${d.epoch}, its segment is in epoch ${seg.epoch} (${seg.why})`);
    const a = acksBySeq.get(d.seq);
    if (a !== undefined && d.entryId !== a.entryId) problems.push(`${where}: seq ${d.seq} carried ${d.type} of ${d.entryId}, but ${describe(a)} was acknowledged at seq ${d.seq}`);
  }
  const missing = [];
  for (let s = seg.from + 1; s < last; s++) if (!seen.has(s)) missing.push(s);
  if (missing.length > 0) problems.push(`${where}: gap, seq ${ranges(missing)} never delivered (segment from seq ${seg.from} to ${last}, ${seg.why})`);
  return { problems, last };
}

/** Whether a snapshot reflects an acknowledged change it comes after. */
function snapshotHas(snap, a, expect) {
  const got = snap.entries.find((e) => e.id === a.entryId);
  const deletedLater = expect.must !== 'present';
  if (a.op === 'delete') return got === undefined;
  if (got === undefined) return deletedLater || snap.complete === false;
  return got.revision == null || a.revision == null || got.revision >= a.revision;
}

/** @param {Reader} reader @param {string} feed @param {Ack[]} acks @param {Uncertain[]} uncertain @param {Snapshot} store */
function checkReaderFeed(reader, feed, acks, uncertain, store) {
  const where = `${reader.name}, feed ${feed}`;
  const rf = reader.feeds[feed];
  if (rf === undefined || rf.segments.length === 0) return reader.throughout ? [`${where}: never subscribed`] : [];
  const acksBySeq = new Map(acks.map((a) => [a.seq, a]));
  const problems = [];
  let position = 0;
  for (const seg of rf.segments) {
    const r = checkSegment(where, seg, acksBySeq);
    problems.push(...r.problems);
    position = r.last;
  }
  if (!reader.throughout) return problems;
  const expect = expectations(acks, uncertain);
  for (const a of acks) {
    const delivered = rf.segments.some((s) => s.from < a.seq && s.deliveries.some((d) => d.seq === a.seq));
    if (delivered) continue;
    const reload = rf.segments.find((s) => s.from >= a.seq && s.snapshot !== null);
    const e = expect.get(a.entryId) ?? { must: 'present' };
    if (reload === undefined) problems.push(`${where}: acknowledged seq ${a.seq} (${describe(a)}) never delivered, and no reloaded snapshot covers it`);
    else if (reload.snapshot !== null && !snapshotHas(reload.snapshot, a, e)) problems.push(`${where}: acknowledged seq ${a.seq} (${describe(a)}) never delivered, and the snapshot reloaded at seq ${reload.from} (${reload.why}) does not reflect it`);
  }
  if (position !== store.seq) problems.push(`${where}: ends at seq ${position}, the store's head is seq ${store.seq}${position < store.seq ? ` (seq ${position + 1}–${store.seq} never delivered)` : ''}`);
  const lastEpoch = rf.segments.at(-1)?.deliveries.at(-1)?.epoch ?? rf.segments.at(-1)?.epoch ?? null;
  if (lastEpoch !== null && lastEpoch !== store.epoch) problems.push(`${where}: ends in epoch ${lastEpoch}, the store's is ${store.epoch}`);
  if (rf.view !== null) problems.push(...compareView(where, rf.view, store));
  return problems;
}

/** The reader's final view against the store's snapshot: the same entries at the same revisions. */
function compareView(where, view, store) {
  const problems = [];
  const shown = new Map(view.map((e) => [e.id, e.revision]));
  const held = new Map(store.entries.map((e) => [e.id, e.revision]));
  const missing = [...held.keys()].filter((id) => !shown.has(id));
  const extra = [...shown.keys()].filter((id) => !held.has(id));
  if (missing.length > 0) problems.push(`${where}: stale final view, lacks ${missing.length} entr${missing.length === 1 ? 'y' : 'ies'} the store holds at seq ${store.seq}: ${missing.slice(0, 5).join(', ')}`);
  if (extra.length > 0) problems.push(`${where}: stale final view, shows ${extra.length} entr${extra.length === 1 ? 'y' : 'ies'} the store no longer holds at seq ${store.seq}: ${extra.slice(0, 5).join(', ')}`);
  for (const [id, rev] of shown) {
    const want = held.get(id);
    if (want !== undefined && want != null && rev !== want) problems.push(`${where}: stale final view, entry ${id} shown at revision ${rev}, the store has revision ${want} at seq ${store.seq}`);
  }
  return problems;
}

/**
 * Every violated guarantee of a recorded run; empty when it is clean.
 * @param {Run} run
 * @returns {string[]}
 */
export function check(run) {
  const uncertain = run.uncertain ?? [];
  const problems = [];
  for (const feed of run.feeds) {
    const acks = run.acknowledged.filter((a) => a.feed === feed);
    const unc = uncertain.filter((u) => u.feed === feed);
    const store = run.store[feed];
    problems.push(...checkStore(feed, acks, unc, store));
    if (store === undefined) continue;
    for (const reader of run.readers) problems.push(...checkReaderFeed(reader, feed, acks, unc, store));
  }
  for (const reader of run.readers) if (reader.problem) problems.push(`${reader.name}: ${reader.problem}`);
  return problems;
}

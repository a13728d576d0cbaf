// What one reader saw of one feed, in the shape the checker reads: segments (from a subscribe,
// or from a reset and its reloaded snapshot) of deliveries, and the entries it would show.

const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FeedLog {
  /** @param {string} feed */
  constructor(feed) {
    this.feed = feed;
    /** @type {import('./checker.mjs').Segment[]} */
    this.segments = [];
    /** @type {Map<string, number|null>} entry id → revision shown */
    this.view = new Map();
  }

  /** The last seq the reader has (its cursor), -1 before it started. */
  get position() {
    const s = this.segments.at(-1);
    return s === undefined ? -1 : (s.deliveries.at(-1)?.seq ?? s.from);
  }

  /** The epoch of its cursor, or null. */
  get epoch() {
    const s = this.segments.at(-1);
    return s?.deliveries.at(-1)?.epoch ?? s?.epoch ?? null;
  }

  /** A new segment from seq 0, nothing shown. */
  startFromZero(why) {
    this.segments.push({ why, from: 0, epoch: null, snapshot: null, deliveries: [] });
    this.view.clear();
  }

  /** A new segment from a snapshot {seq, epoch, entries, nextBefore?} (plus older pages, if read). */
  startFromSnapshot(why, snapshot, entries = snapshot.entries, complete = snapshot.nextBefore == null) {
    const refs = entries.map((e) => ({ id: e.id, revision: e.revision ?? null }));
    this.segments.push({ why, from: snapshot.seq, epoch: snapshot.epoch, snapshot: { seq: snapshot.seq, epoch: snapshot.epoch, entries: refs, complete }, deliveries: [] });
    this.view = new Map(refs.map((e) => [e.id, e.revision]));
  }

  /** One delivered event: {seq, epoch, event|type, data}. */
  deliver(seq, epoch, type, data) {
    const d = isRecord(data) ? data : {};
    const entryId = type.startsWith('entry.') && typeof d.id === 'string' ? d.id : null;
    const revision = typeof d.revision === 'number' ? d.revision : null;
    this.segments.at(-1)?.deliveries.push({ seq, epoch, type, entryId, revision, at: Date.now() });
    if (entryId === null) return;
    if (type === 'entry.deleted') this.view.delete(entryId);
    else this.view.set(entryId, revision);
  }

  /** The record the checker reads. */
  toJSON() {
    return { segments: this.segments, view: [...this.view].map(([id, revision]) => ({ id, revision })) };
  }
}

/**
 * Every entry of a feed: the snapshot, then every older page (through `base`, past caches).
 * @returns {Promise<{snapshot: any, entries: any[]}>}
 */
export async function readAll(base, feed, timeoutMs = 5000) {
  const get = async (p) => {
    const res = await fetch(`${base}${p}`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.json();
    if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const snapshot = await get(`/v1/feeds/${feed}?limit=100&fresh=${Date.now().toString(36)}`);
  const entries = [...snapshot.entries];
  for (let before = snapshot.nextBefore; before !== null;) {
    const page = await get(`/v1/feeds/${feed}/entries?limit=100&before=${encodeURIComponent(before)}`);
    entries.push(...page.entries);
    before = page.nextBefore;
  }
  return { snapshot, entries };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The open feed as the console knows it, fed from three sources that may arrive in any
 * order: the live subscription (snapshot, then events), the answers to this console's own
 * writes, and fresh snapshots fetched after them. Every piece of news carries the feed's
 * `seq` at which it was true, so the newest always wins and nothing steps back: an entry
 * (or the feed) is replaced only by news with a higher seq, and a deletion is remembered
 * with its seq so an older copy can't bring the entry back.
 */
import type { Entry, Feed, FeedSnapshot } from './parse';

interface Known {
  readonly seq: number;
  /** null: deleted at `seq`. */
  readonly entry: Entry | null;
}

export type Listener = () => void;

export class FeedState {
  private feedNews: { seq: number; feed: Feed } | null = null;
  private readonly known = new Map<string, Known>();
  private latestSeq = -1;
  /** Cursor for older unpinned entries than the snapshot brought; null at the end. */
  nextBefore: string | null = null;
  private readonly listeners = new Set<Listener>();

  constructor(readonly feedId: string) {}

  get feed(): Feed | null {
    return this.feedNews?.feed ?? null;
  }

  /** The newest seq heard of. */
  get seq(): number {
    return this.latestSeq;
  }

  /** Entries as readers see them: pinned first, then newest first. */
  get entries(): Entry[] {
    const all: Entry[] = [];
    for (const k of this.known.values()) if (k.entry !== null) all.push(k.entry);
    return all.sort((a, b) => Number(b.pinned) - Number(a.pinned) || (a.publishedAt < b.publishedAt ? 1 : a.publishedAt > b.publishedAt ? -1 : 0));
  }

  entry(id: string): Entry | null {
    return this.known.get(id)?.entry ?? null;
  }

  /** Called after every change; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** An entry as of `seq` (created or changed there, or in a snapshot at `seq`). */
  putEntry(entry: Entry, seq: number): void {
    if (this.take(entry.id, { seq, entry })) this.changed(seq);
  }

  deleteEntry(id: string, seq: number): void {
    if (this.take(id, { seq, entry: null })) this.changed(seq);
  }

  putFeed(feed: Feed, seq: number): void {
    if (this.feedNews !== null && this.feedNews.seq >= seq) return;
    this.feedNews = { seq, feed };
    this.changed(seq);
  }

  /**
   * A whole snapshot at `snap.seq`. Entries it holds are taken as of its seq; entries it
   * lacks that were known from before it and are newer than its oldest unpinned entry were
   * deleted (or are beyond its page: older ones are kept, as "load older" left them).
   */
  putSnapshot(snap: FeedSnapshot): void {
    if (snap.seq < this.latestSeq && this.feedNews !== null) {
      // Older than what we know: take only what it can still add.
      for (const e of snap.entries) this.take(e.id, { seq: snap.seq, entry: e });
      this.changed(snap.seq);
      return;
    }
    const inSnapshot = new Set(snap.entries.map((e) => e.id));
    const unpinned = snap.entries.filter((e) => !e.pinned);
    const floor = snap.nextBefore === null ? '' : unpinned[unpinned.length - 1]?.publishedAt ?? '';
    for (const [id, k] of this.known) {
      if (inSnapshot.has(id) || k.seq > snap.seq) continue;
      if (k.entry === null || k.entry.pinned || k.entry.publishedAt >= floor) this.known.delete(id);
    }
    for (const e of snap.entries) this.take(e.id, { seq: snap.seq, entry: e });
    if (this.feedNews === null || this.feedNews.seq < snap.seq) this.feedNews = { seq: snap.seq, feed: snap.feed };
    this.nextBefore = snap.nextBefore;
    this.changed(snap.seq);
  }

  /** A page of older entries read at (at least) `seq`. */
  putOlder(entries: readonly Entry[], nextBefore: string | null, seq: number): void {
    for (const e of entries) this.take(e.id, { seq, entry: e });
    this.nextBefore = nextBefore;
    this.changed(seq);
  }

  private take(id: string, news: Known): boolean {
    const held = this.known.get(id);
    if (held !== undefined && held.seq >= news.seq) return false;
    this.known.set(id, news);
    return true;
  }

  private changed(seq: number): void {
    this.latestSeq = Math.max(this.latestSeq, seq);
    for (const l of [...this.listeners]) l();
  }
}

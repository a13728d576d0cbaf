/**
 * Replies and stored JSON as the Redis store reads them back: typed, checked, and brought up
 * to date when written by an older Liveline (before revisions and the coverage fields).
 */
import type { Entry, Feed, FeedEvent } from '../domain/types';
import { upgradeStoredEntry, upgradeStoredFeed, type StoredEntry, type StoredFeed } from '../store/feed-state';

/** JSON this store wrote itself; a value that isn't an object means the data is corrupt. */
export function parseStored<T extends object>(raw: string): T {
  const value: unknown = JSON.parse(raw);
  if (typeof value !== 'object' || value === null) throw new Error(`corrupt stored value: ${raw.slice(0, 80)}`);
  return value as T;
}

export function list(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new Error(`expected an array reply, got ${typeof v}`);
  return v;
}

export function tuple(v: unknown, length: number): unknown[] {
  const a = list(v);
  if (a.length !== length) throw new Error(`expected ${length} values, got ${a.length}`);
  return a;
}

export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString();
  throw new Error(`expected a string reply, got ${typeof v}`);
}

export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(str(v));
  if (!Number.isSafeInteger(n)) throw new Error(`expected an integer reply, got ${String(v)}`);
  return n;
}

export function storedEntries(v: unknown): Entry[] {
  // HMGET answers null for an id whose entry vanished; the scripts run atomically, so that is corruption.
  return list(v).map((e) => storedEntry(str(e)));
}

export const storedEntry = (raw: string): Entry => upgradeStoredEntry(parseStored<StoredEntry>(raw));
export const storedFeed = (raw: string): Feed => upgradeStoredFeed(parseStored<StoredFeed>(raw));

/** An event from the log, its entry or feed brought up to date (events logged before revisions existed). */
export function storedEvent(raw: string): FeedEvent {
  const e = parseStored<FeedEvent>(raw);
  if (e.type === 'entry.created' || e.type === 'entry.updated') return { ...e, data: upgradeStoredEntry(e.data) };
  if (e.type === 'feed.updated') return { ...e, data: upgradeStoredFeed(e.data) };
  return e;
}

/**
 * What Redis pub/sub carries per change: the feed's new head, `{"seq":N,"epoch":"E"}`
 * (the commit script builds the same text). Anyone who can reach Redis can publish, so a
 * message is parsed strictly and is only ever a hint to read the store.
 */
import type { FeedHead } from '../store/feed-store';

/** The head a message announces, or null when it isn't a well-formed announcement. */
export function parseAnnouncement(message: string): FeedHead | null {
  if (message.length > 256) return null;
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { seq, epoch } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return null;
  if (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > 64) return null;
  return { seq, epoch };
}

import { LiveError } from './errors';
import type { FeedSnapshot } from './types';

/** The part of `fetch` the SDK uses; the global fetch (browser, Node ≥ 18) fits it. */
export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string> },
) => Promise<{ readonly ok: boolean; readonly status: number; json(): Promise<unknown> }>;

/**
 * GET {base}/v1/feeds/{feed}. Rejects with LiveError 'feed_not_found' on 404 and
 * 'snapshot_failed' on anything else that isn't a well-formed snapshot.
 */
export async function loadSnapshot(fetchFn: FetchLike, base: string, feed: string): Promise<FeedSnapshot> {
  const url = `${base}/v1/feeds/${feed}`;
  const fail = (why: string, cause?: unknown): LiveError =>
    new LiveError('snapshot_failed', `snapshot of "${feed}" failed: ${why}`, cause === undefined ? { feed } : { feed, cause });
  let status: number;
  let body: unknown;
  try {
    const res = await fetchFn(url, { headers: { accept: 'application/json' } });
    status = res.status;
    if (res.ok) body = await res.json();
  } catch (cause) {
    throw fail(cause instanceof Error ? cause.message : String(cause), cause);
  }
  if (status === 404) throw new LiveError('feed_not_found', `feed "${feed}" does not exist (GET ${url}: 404)`, { feed });
  if (body === undefined) throw fail(`GET ${url}: HTTP ${status}`);
  const s = body as Partial<FeedSnapshot> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    !Number.isSafeInteger(s.seq) ||
    typeof s.epoch !== 'string' ||
    typeof s.feed !== 'object' ||
    !Array.isArray(s.entries)
  ) {
    throw fail('the response is not a feed snapshot');
  }
  return s as FeedSnapshot;
}

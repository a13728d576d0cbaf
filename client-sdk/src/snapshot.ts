import { LiveError } from './errors';
import type { FeedSnapshot } from './types';

/**
 * The part of `fetch` the SDK uses; the global fetch (browser, Node ≥ 18) fits it. `url` and
 * `type` of the response are read when present, to refuse answers that came from elsewhere.
 */
export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string>; redirect?: 'manual' },
) => Promise<{ readonly ok: boolean; readonly status: number; readonly url?: string; readonly type?: string; json(): Promise<unknown> }>;

/**
 * GET `url` (an absolute URL on the configured server) asking for JSON, and make sure the
 * answer is that server's: the SDK inserts HTML from it (entry bodies, the summary). So no
 * redirect is followed (`redirect: 'manual'`: a browser doesn't even send the request
 * elsewhere) and an answer whose `url` is on another origin (a fetch that followed one
 * anyway) is refused too: both reject with LiveError('untrusted_origin'). A failing fetch
 * rejects as fetch does.
 */
export async function getJson(fetchFn: FetchLike, url: string, feed: string): Promise<Awaited<ReturnType<FetchLike>>> {
  const res = await fetchFn(url, { headers: { accept: 'application/json' }, redirect: 'manual' });
  const origin = new URL(url).origin;
  const redirected = res.type === 'opaqueredirect' || /^30[12378]$/.test(String(res.status));
  if (redirected || (res.url && !res.url.startsWith(`${origin}/`))) {
    const how = redirected ? 'was redirected (no redirect is followed: give the final URL)' : `was answered by ${res.url}`;
    throw new LiveError('untrusted_origin', `GET ${url} ${how}; only ${origin} is trusted`, { feed });
  }
  return res;
}

/**
 * GET {base}/v1/feeds/{feed}. Rejects with LiveError 'feed_not_found' on 404,
 * 'untrusted_origin' if the answer doesn't come from `base` (see getJson), and
 * 'snapshot_failed' on anything else that isn't a well-formed snapshot.
 *
 * Snapshots are cacheable for a few seconds (a CDN in front may answer). With `fresh` the
 * URL is one no cache has seen (`?fresh=…`), so the answer comes from the server itself:
 * after a reset a cached copy from before it would only reset the reader again.
 */
export async function loadSnapshot(fetchFn: FetchLike, base: string, feed: string, fresh = false): Promise<FeedSnapshot> {
  const url = `${base}/v1/feeds/${feed}${fresh ? `?fresh=${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}` : ''}`;
  const fail = (why: string, cause?: unknown): LiveError =>
    new LiveError('snapshot_failed', `snapshot of "${feed}" failed: ${why}`, cause === undefined ? { feed } : { feed, cause });
  let status: number;
  let body: unknown;
  try {
    const res = await getJson(fetchFn, url, feed);
    status = res.status;
    if (res.ok) body = await res.json();
  } catch (cause) {
    if (cause instanceof LiveError) throw cause;
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

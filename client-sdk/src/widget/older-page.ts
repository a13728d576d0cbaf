import { getJson } from '../snapshot';
import type { Entry } from '../types';

export interface OlderPage {
  readonly entries: readonly Entry[];
  readonly nextBefore: string | null;
}

/**
 * GET {base}/v1/feeds/{feed}/entries?before=&limit=: the next older page. Like the snapshot,
 * only an answer of `base` itself, never one a redirect led to; rejects on anything else.
 */
export async function fetchOlderPage(base: string, feed: string, before: string, limit: number): Promise<OlderPage> {
  const res = await getJson((u, init) => fetch(u, init), `${base}/v1/feeds/${feed}/entries?before=${encodeURIComponent(before)}&limit=${limit}`, feed);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as OlderPage;
}

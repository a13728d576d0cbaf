import type { Request, RequestHandler, Response, Router } from 'express';
import type { CacheConfig, PagesConfig } from '../config';
import type { FeedSnapshot } from '../domain/types';
import { AppError } from '../errors';
import { FEED_ID_PATTERN } from '../gateway/protocol';
import { answeredFromCache, feedTag, sharedCacheControl } from '../http/cache';
import { rowsWeight, type Weight } from '../http/reader-budget';
import { exactRouter } from '../http/router';
import { DEFAULT_PAGE_SIZE, type FeedHead, type FeedStore } from '../store/feed-store';
import { SharedReads } from '../store/shared-reads';
import { lastModified } from './live-blog-jsonld';
import { embedFragment, livePage, notFoundHtml } from './live-page';
import { contentSecurityPolicy } from './page-security';

export interface PageRoutesDeps {
  readonly store: FeedStore;
  readonly pages: PagesConfig;
  readonly cache: CacheConfig;
  /** Charges a request to its address (LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND), as every reader read. */
  readonly budget: (weight: Weight) => RequestHandler;
}

/** A Host header that is a host name or address with an optional port, and nothing else. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The base URL the pages print (canonical, shared and embed URLs): LIVELINE_PUBLIC_URL, else
 * this request's own scheme and Host (a Host that isn't one is a 400).
 */
function publicBase(pages: PagesConfig, req: Request): string {
  if (pages.publicUrl !== null) return pages.publicUrl;
  const host = req.get('host') ?? '';
  if (!HOST.test(host)) throw new AppError('bad_request', 'the Host header must name a host');
  return `${req.protocol}://${host}`;
}

/**
 * The public live-blog page `/feeds/:feedId` and its CMS embed `/feeds/:feedId/embed`: the
 * widget's own markup for the feed's snapshot, rendered here (see live-page.ts), which the
 * widget script takes over in place. Charged like a snapshot read; cacheable by shared
 * caches (`ETag` from the feed's version, `304` for `If-None-Match`); an unknown feed is an
 * HTML 404.
 */
export function pageRoutes(deps: PageRoutesDeps): Router {
  const { store, pages, cache, budget } = deps;
  const r = exactRouter();
  const cacheControl = sharedCacheControl(cache);
  const heads = new SharedReads<FeedHead | null>();
  const snapshots = new SharedReads<FeedSnapshot | null>();
  const lastEvents = new SharedReads<string | null>();
  const publisher = { name: pages.publisherName, logoUrl: pages.publisherLogoUrl };

  /** When the event at the snapshot's seq was committed (deletions count), if the history still holds it. */
  const lastEventAt = async (snapshot: FeedSnapshot): Promise<string | null> => {
    if (snapshot.seq < 1) return null;
    const { feed: { id }, seq, epoch } = snapshot;
    return lastEvents.read(`${id} ${epoch} ${seq}`, async () => {
      const since = await store.eventsSince(id, seq - 1, epoch, 1);
      return since?.kind === 'events' ? since.events.find((e) => e.seq === seq)?.at ?? null : null;
    });
  };

  const serve = (variant: 'html' | 'embed', render: (snapshot: FeedSnapshot, base: string) => Promise<string>): RequestHandler => async (req, res) => {
    const id = req.params.feedId as string;
    const base = publicBase(pages, req);
    res.set({ 'Content-Security-Policy': contentSecurityPolicy(pages.publicUrl), 'X-Content-Type-Options': 'nosniff' });
    // The head first: its tag may then be older than the page it labels, never newer (caches refetch sooner, never keep a stale page).
    const head = FEED_ID_PATTERN.test(id) ? await heads.read(id, () => store.head(id)) : null;
    if (head === null) return notFound(res, id, variant);
    if (answeredFromCache(req, res, feedTag(head, variant), cacheControl)) return;
    const snapshot = await snapshots.read(id, () => store.snapshot(id, DEFAULT_PAGE_SIZE));
    if (snapshot === null) return notFound(res, id, variant);
    res.type('html').send(await render(snapshot, base));
  };

  r.get('/feeds/:feedId', budget(() => rowsWeight(DEFAULT_PAGE_SIZE)), serve('html', async (snapshot, base) => {
    const url = `${base}/feeds/${snapshot.feed.id}`;
    const modified = lastModified(snapshot, await lastEventAt(snapshot));
    // Without LIVELINE_PUBLIC_URL the script is this origin's: a forged Host can mislabel a page, never load a script from elsewhere.
    const script = `${pages.publicUrl ?? ''}/sdk/liveline.js`;
    return livePage({ snapshot, url, script, modified, publisher });
  }));

  r.get('/feeds/:feedId/embed', budget(() => rowsWeight(DEFAULT_PAGE_SIZE)), serve('embed', async (snapshot, base) => (
    embedFragment(snapshot, `${base}/sdk/liveline.js`)
  )));

  return r;
}

function notFound(res: Response, id: string, variant: 'html' | 'embed'): void {
  res.status(404).type('html').set('Cache-Control', 'no-store').send(notFoundHtml(id, variant === 'embed'));
}

/**
 * Readers' reads are cacheable by shared caches (a CDN, nginx `proxy_cache`): a short
 * `max-age`, `stale-while-revalidate`, and an `ETag` naming the feed's version, so caches
 * revalidate with a cheap `304`. Every change to a feed moves its (epoch, seq), and every
 * tag here is built from it, so any change changes the tag.
 */
import type { Request, Response } from 'express';
import type { CacheConfig } from '../config';
import type { FeedHead } from '../store/feed-store';

/** `Cache-Control` for a read a shared cache may keep for a few seconds. */
export function sharedCacheControl(cache: CacheConfig): string {
  if (cache.maxAgeSeconds === 0) return 'no-cache';
  return `public, max-age=${cache.maxAgeSeconds}, stale-while-revalidate=${cache.staleWhileRevalidateSeconds}`;
}

/**
 * A strong ETag for a representation of a feed at `head`; `variant` tells apart the
 * representations of one version (page size, cursor, HTML or JSON). A tag must never name
 * a newer version than what it labels: build it from a head read before (or with) the data.
 */
export function feedTag(head: FeedHead, variant: string): string {
  return `"${head.epoch}-${head.seq}-${variant.replace(/[^A-Za-z0-9_.-]/g, '_')}"`;
}

/**
 * Sets `ETag` and `Cache-Control` and, when the request's `If-None-Match` names this tag,
 * answers `304` and returns true: the caller sends nothing more.
 */
export function answeredFromCache(req: Request, res: Response, etag: string, cacheControl: string): boolean {
  res.set({ ETag: etag, 'Cache-Control': cacheControl });
  if (!matchesEtag(req.get('if-none-match'), etag)) return false;
  res.status(304).end();
  return true;
}

/** If-None-Match may list several tags and mark them weak (W/); any match counts. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

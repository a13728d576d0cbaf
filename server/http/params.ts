import { AppError } from '../errors';
import { FEED_ID_PATTERN } from '../gateway/protocol';

/** A feed id from the path; one that can't exist is simply not found. */
export function feedIdParam(raw: string | string[] | undefined): string {
  if (typeof raw !== 'string' || !FEED_ID_PATTERN.test(raw)) throw new AppError('feed_not_found', `no feed "${String(raw)}"`);
  return raw;
}

/** An integer query parameter in [min, max]; `fallback` when absent (null: required). */
export function intParam(raw: unknown, name: string, fallback: number | null, min: number, max: number): number {
  if (raw === undefined && fallback !== null) return fallback;
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) {
    throw new AppError(name === 'since' ? 'invalid_cursor' : 'validation_failed', `"${name}" must be an integer from ${min} to ${max}`, { field: name });
  }
  return n;
}

/**
 * The revision an `If-Match` header names (`"3"`, also `3` or `W/"3"`), or undefined when
 * there is none (`*` included: any current version matches). Anything else is a 400.
 */
export function ifMatchRevision(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(raw);
  const n = m === null ? NaN : Number(m[1]);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new AppError('bad_request', 'If-Match must name one revision, as the ETag gave it (e.g. "3")', { field: 'If-Match' });
  }
  return n;
}

/** The ETag of a feed or entry at `revision`: what an editor sends back as If-Match. */
export const revisionTag = (revision: number): string => `"${revision}"`;

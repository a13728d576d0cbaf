/**
 * Turns untrusted request bodies (`unknown`) into typed inputs, or throws
 * `AppError('validation_failed')` naming the field. Plain-text fields are trimmed and
 * must be rendered as text by clients; HTML fields are sanitised here.
 */
import { AppError } from '../errors';
import { FEED_ID_PATTERN } from '../gateway/protocol';
import { sanitizeBody } from './sanitize';
import { FEED_STATUSES, type FeedStatus } from './types';

export interface NewFeed {
  readonly id?: string;
  readonly title: string;
  readonly description: string;
  readonly status: FeedStatus;
  readonly summary: string | null;
  /** When the coverage is announced to begin (ISO 8601, normalised to UTC), or null. */
  readonly startsAt: string | null;
}

export interface FeedPatch {
  readonly title?: string;
  readonly description?: string;
  readonly status?: FeedStatus;
  readonly summary?: string | null;
  readonly startsAt?: string | null;
}

export interface NewEntry {
  readonly headline: string | null;
  readonly body: string;
  readonly authors: readonly string[];
  readonly tags: readonly string[];
  readonly pinned: boolean;
  readonly keyEvent: boolean;
}

export interface EntryPatch {
  readonly headline?: string | null;
  readonly body?: string;
  readonly authors?: readonly string[];
  readonly tags?: readonly string[];
  readonly pinned?: boolean;
  readonly keyEvent?: boolean;
  /** A correction note (plain text) kept with the revision this patch makes. */
  readonly correction?: string;
}

export const LIMITS = {
  title: 200,
  description: 2000,
  summary: 10_000,
  headline: 300,
  body: 50_000,
  listItems: 20,
  listItem: 100,
  correction: 500,
} as const;

export function parseNewFeed(input: unknown): NewFeed {
  const o = object(input, ['id', 'title', 'description', 'status', 'summary', 'startsAt']);
  const id = optional(o.id, (v) => feedId(v));
  return {
    ...(id !== undefined ? { id } : {}),
    title: text(o.title, 'title', LIMITS.title, true),
    description: optional(o.description, (v) => text(v, 'description', LIMITS.description, false)) ?? '',
    status: optional(o.status, status) ?? 'live',
    summary: o.summary === undefined || o.summary === null ? null : html(o.summary, 'summary', LIMITS.summary) || null,
    startsAt: optional(o.startsAt, (v) => dateTime(v, 'startsAt')) ?? null,
  };
}

export function parseFeedPatch(input: unknown): FeedPatch {
  const o = object(input, ['title', 'description', 'status', 'summary', 'startsAt']);
  const patch: { -readonly [K in keyof FeedPatch]: FeedPatch[K] } = {};
  if (o.title !== undefined) patch.title = text(o.title, 'title', LIMITS.title, true);
  if (o.description !== undefined) patch.description = text(o.description, 'description', LIMITS.description, false);
  if (o.status !== undefined) patch.status = status(o.status);
  if (o.summary !== undefined) patch.summary = o.summary === null ? null : html(o.summary, 'summary', LIMITS.summary) || null;
  if (o.startsAt !== undefined) patch.startsAt = o.startsAt === null ? null : dateTime(o.startsAt, 'startsAt');
  return nonEmpty(patch);
}

/** The farthest ahead an entry may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 365 * 24 * 60 * 60 * 1000;

/** A new entry as the API receives it: its content, and `publishAt` when it is to go out later. */
export interface NewEntryRequest {
  readonly entry: NewEntry;
  /** UTC; null: publish now. */
  readonly publishAt: string | null;
}

/** Changes to a scheduled entry: its content (no correction: readers never saw it) and its time. */
export interface ScheduledPatch extends Omit<EntryPatch, 'correction'> {
  readonly publishAt?: string;
}

export function parseNewEntryRequest(input: unknown, now: Date): NewEntryRequest {
  const o = object(input, ['headline', 'body', 'authors', 'tags', 'pinned', 'keyEvent', 'publishAt']);
  const { publishAt, ...content } = o;
  return { entry: parseNewEntry(content), publishAt: optional(publishAt, (v) => scheduleTime(v, now)) ?? null };
}

export function parseScheduledPatch(input: unknown, now: Date): ScheduledPatch {
  const o = object(input, ['headline', 'body', 'authors', 'tags', 'pinned', 'keyEvent', 'publishAt']);
  const { publishAt, ...content } = o;
  const patch: ScheduledPatch = Object.keys(content).length > 0 ? parseEntryPatch(content) : {};
  return nonEmpty(publishAt === undefined ? patch : { ...patch, publishAt: scheduleTime(publishAt, now) });
}

/** A publishAt: any time up to a year from `now` (one in the past means "now"). */
function scheduleTime(v: unknown, now: Date): string {
  const at = dateTime(v, 'publishAt');
  if (Date.parse(at) - now.getTime() > MAX_SCHEDULE_AHEAD_MS) throw invalid('publishAt', 'must be at most a year from now');
  return at;
}

export function parseNewEntry(input: unknown): NewEntry {
  const o = object(input, ['headline', 'body', 'authors', 'tags', 'pinned', 'keyEvent']);
  const entry: NewEntry = {
    headline: optional(o.headline, (v) => text(v, 'headline', LIMITS.headline, false)) || null,
    body: optional(o.body, (v) => html(v, 'body', LIMITS.body)) ?? '',
    authors: optional(o.authors, (v) => list(v, 'authors')) ?? [],
    tags: optional(o.tags, (v) => list(v, 'tags')) ?? [],
    pinned: optional(o.pinned, (v) => bool(v, 'pinned')) ?? false,
    keyEvent: optional(o.keyEvent, (v) => bool(v, 'keyEvent')) ?? false,
  };
  requireContent(entry, 'body');
  return entry;
}

export function parseEntryPatch(input: unknown): EntryPatch {
  const o = object(input, ['headline', 'body', 'authors', 'tags', 'pinned', 'keyEvent', 'correction']);
  const patch: { -readonly [K in keyof EntryPatch]: EntryPatch[K] } = {};
  if (o.headline !== undefined) patch.headline = o.headline === null ? null : text(o.headline, 'headline', LIMITS.headline, false) || null;
  if (o.body !== undefined) patch.body = html(o.body, 'body', LIMITS.body);
  if (o.authors !== undefined) patch.authors = list(o.authors, 'authors');
  if (o.tags !== undefined) patch.tags = list(o.tags, 'tags');
  if (o.pinned !== undefined) patch.pinned = bool(o.pinned, 'pinned');
  if (o.keyEvent !== undefined) patch.keyEvent = bool(o.keyEvent, 'keyEvent');
  if (o.correction !== undefined) {
    const note = text(o.correction, 'correction', LIMITS.correction, true);
    if (patch.headline === undefined && patch.body === undefined && patch.authors === undefined && patch.tags === undefined) {
      throw invalid('correction', 'a correction goes with a change of the headline, body, authors or tags');
    }
    patch.correction = note;
  }
  return nonEmpty(patch);
}

/**
 * Whether sanitised HTML shows the reader anything: text other than whitespace (`&nbsp;`
 * and zero-width characters count as whitespace), or an image. `<p></p>` or `<br>` alone
 * shows nothing. Works on sanitizeBody's output, where a `<` in text is always `&lt;`, so
 * dropping everything between `<` and `>` leaves exactly the text.
 */
export function hasVisibleContent(html: string): boolean {
  if (/<img\s[^>]*\bsrc=/i.test(html)) return true;
  const text = html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(nbsp|#160|#x0*a0|#8203|#x200b|zwsp);/gi, ' ')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '');
  return /\S/.test(text);
}

/**
 * An entry must show something: a headline or a body with visible content. Checked on a
 * new entry and on an entry as it would be after a patch (applyEntryPatch), so no change
 * can leave an empty entry. Throws `validation_failed` naming `field`, the one the editor
 * sent that emptied it.
 */
export function requireContent(entry: { readonly headline: string | null; readonly body: string }, field: 'headline' | 'body'): void {
  if (entry.headline === null && !hasVisibleContent(entry.body)) {
    throw invalid(field, 'an entry needs a headline or a body with visible content');
  }
}

/** Validates a feed id taken from a path or a body. */
export function feedId(v: unknown): string {
  if (typeof v !== 'string' || !FEED_ID_PATTERN.test(v)) {
    throw invalid('id', 'must be 1-64 characters of a-z, 0-9 and -, starting with a letter or digit');
  }
  return v;
}

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, { field });
}

function object(input: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new AppError('validation_failed', 'the body must be a JSON object');
  }
  const o = input as Record<string, unknown>;
  const unknownKey = Object.keys(o).find((k) => !allowed.includes(k));
  if (unknownKey !== undefined) throw invalid(unknownKey, `unknown field; expected one of ${allowed.join(', ')}`);
  return o;
}

function optional<T>(v: unknown, parse: (v: unknown) => T): T | undefined {
  return v === undefined || v === null ? undefined : parse(v);
}

/** Control characters other than tab and line breaks have no place in editorial text. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127) return true;
  }
  return false;
}

function text(v: unknown, field: string, max: number, required: boolean): string {
  if (typeof v !== 'string') throw invalid(field, 'must be a string');
  const s = v.trim();
  if (required && s === '') throw invalid(field, 'must not be empty');
  if (s.length > max) throw invalid(field, `must be at most ${max} characters`);
  if (hasControlCharacter(s)) throw invalid(field, 'must not contain control characters');
  return s;
}

function html(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string') throw invalid(field, 'must be a string of HTML');
  if (v.length > max) throw invalid(field, `must be at most ${max} characters`);
  return sanitizeBody(v);
}

function list(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.length > LIMITS.listItems) throw invalid(field, `must be an array of at most ${LIMITS.listItems} strings`);
  return v.map((item, i) => text(item, `${field}[${i}]`, LIMITS.listItem, true));
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** An ISO 8601 / RFC 3339 date-time with its offset (`2026-11-03T20:00:00Z`, `…+01:00`), returned in UTC. */
export function dateTime(v: unknown, field: string): string {
  const m = typeof v === 'string' ? DATE_TIME.exec(v) : null;
  const [year, month, day] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3])];
  // Date.parse rolls 30 February over into March; a date the calendar lacks is refused instead.
  const real = m !== null && month >= 1 && month <= 12 && day >= 1 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
  const t = real ? Date.parse(v as string) : NaN;
  if (!Number.isFinite(t)) throw invalid(field, 'must be a date and time with its offset, e.g. 2026-11-03T20:00:00Z');
  return new Date(t).toISOString();
}

function bool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw invalid(field, 'must be true or false');
  return v;
}

function status(v: unknown): FeedStatus {
  if (typeof v !== 'string' || !(FEED_STATUSES as readonly string[]).includes(v)) {
    throw invalid('status', `must be one of ${FEED_STATUSES.join(', ')}`);
  }
  return v as FeedStatus;
}

function nonEmpty<T extends object>(patch: T): T {
  if (Object.keys(patch).length === 0) throw new AppError('validation_failed', 'the patch changes nothing');
  return patch;
}

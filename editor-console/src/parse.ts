/**
 * What the API answers, checked at the boundary: every body arrives as `unknown` and is
 * turned into a typed value here or rejected with a TypeError naming what was wrong.
 */
import type { Correction, Entry, Feed, FeedSnapshot, FeedStatus } from '../../client-sdk/src/types';
import type { FeedSummary, ScheduledEntry } from '../../server/domain/types';

export type { Entry, Feed, FeedSnapshot, FeedStatus, FeedSummary, ScheduledEntry };

export interface FeedIndexPage {
  readonly feeds: readonly FeedSummary[];
  readonly nextCursor: string | null;
}

type Obj = Readonly<Record<string, unknown>>;

const fail = (what: string): never => {
  throw new TypeError(`unexpected answer from the server: ${what}`);
};

export function obj(v: unknown, what: string): Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : fail(`${what} is not an object`);
}

const str = (o: Obj, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : fail(`${k} is not a string`));
const optStr = (o: Obj, k: string): string | null => (o[k] === null || o[k] === undefined ? null : str(o, k));
const bool = (o: Obj, k: string): boolean => (typeof o[k] === 'boolean' ? (o[k] as boolean) : fail(`${k} is not a boolean`));
const int = (o: Obj, k: string): number => (Number.isSafeInteger(o[k]) ? (o[k] as number) : fail(`${k} is not an integer`));
const strings = (o: Obj, k: string): string[] => {
  const v = o[k];
  return Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : fail(`${k} is not a list of strings`);
};
const list = <T>(o: Obj, k: string, each: (v: unknown) => T): T[] => (Array.isArray(o[k]) ? (o[k] as unknown[]).map(each) : fail(`${k} is not a list`));

const STATUSES: readonly string[] = ['scheduled', 'live', 'ended'];
const status = (o: Obj): FeedStatus => {
  const s = str(o, 'status');
  return STATUSES.includes(s) ? (s as FeedStatus) : fail(`status "${s}"`);
};

export function parseFeed(v: unknown): Feed {
  const o = obj(v, 'feed');
  return {
    id: str(o, 'id'),
    title: str(o, 'title'),
    description: str(o, 'description'),
    status: status(o),
    summary: optStr(o, 'summary'),
    createdAt: str(o, 'createdAt'),
    updatedAt: str(o, 'updatedAt'),
    startsAt: optStr(o, 'startsAt'),
    coverageStartedAt: optStr(o, 'coverageStartedAt'),
    coverageEndedAt: optStr(o, 'coverageEndedAt'),
    revision: int(o, 'revision'),
  };
}

function parseCorrection(v: unknown): Correction {
  const o = obj(v, 'correction');
  return { revision: int(o, 'revision'), at: str(o, 'at'), note: str(o, 'note') };
}

/** The fields an entry and a scheduled entry share: which one it is, and its content. */
function parseContent(o: Obj): Pick<Entry, 'id' | 'feedId' | 'headline' | 'body' | 'authors' | 'tags' | 'pinned' | 'keyEvent'> {
  return {
    id: str(o, 'id'),
    feedId: str(o, 'feedId'),
    headline: optStr(o, 'headline'),
    body: str(o, 'body'),
    authors: strings(o, 'authors'),
    tags: strings(o, 'tags'),
    pinned: bool(o, 'pinned'),
    keyEvent: bool(o, 'keyEvent'),
  };
}

export function parseEntry(v: unknown): Entry {
  const o = obj(v, 'entry');
  return {
    ...parseContent(o),
    publishedAt: str(o, 'publishedAt'),
    updatedAt: str(o, 'updatedAt'),
    revision: int(o, 'revision'),
    corrections: o.corrections === undefined ? [] : list(o, 'corrections', parseCorrection),
  };
}

export function parseScheduled(v: unknown): ScheduledEntry {
  const o = obj(v, 'scheduled entry');
  return {
    ...parseContent(o),
    publishAt: str(o, 'publishAt'),
    createdAt: str(o, 'createdAt'),
    updatedAt: str(o, 'updatedAt'),
    revision: int(o, 'revision'),
    actor: str(o, 'actor'),
  };
}

export function parseSnapshot(v: unknown): FeedSnapshot {
  const o = obj(v, 'snapshot');
  return { feed: parseFeed(o.feed), entries: list(o, 'entries', parseEntry), nextBefore: optStr(o, 'nextBefore'), seq: int(o, 'seq'), epoch: str(o, 'epoch') };
}

export function parseFeedIndex(v: unknown): FeedIndexPage {
  const o = obj(v, 'feeds index');
  const feeds = list(o, 'feeds', (f): FeedSummary => {
    const s = obj(f, 'feed summary');
    return { id: str(s, 'id'), title: str(s, 'title'), status: status(s), entryCount: int(s, 'entryCount'), lastChangeAt: str(s, 'lastChangeAt'), revision: int(s, 'revision') };
  });
  return { feeds, nextCursor: optStr(o, 'nextCursor') };
}

/** `{entry, seq}` (a new or changed entry), `{feed, seq}`, `{id, seq}` (deleted), `{scheduled}`, `{feed}` (created)… */
export const field = <T>(v: unknown, key: string, parse: (x: unknown) => T): T => parse(obj(v, 'answer')[key]);
export const seqOf = (v: unknown): number => int(obj(v, 'answer'), 'seq');
export const entryPage = (v: unknown): { entries: Entry[]; nextBefore: string | null } => {
  const o = obj(v, 'page');
  return { entries: list(o, 'entries', parseEntry), nextBefore: optStr(o, 'nextBefore') };
};
export const scheduledList = (v: unknown): ScheduledEntry[] => list(obj(v, 'answer'), 'scheduled', parseScheduled);

import type { Entry } from '../../server/domain/types';
import { parseEntryPatch } from '../../server/domain/validate';
import { AppError } from '../../server/errors';
import { applyEntryPatch, DEFAULT_MAX_PINNED_PER_FEED, pinnedCap, tooManyPinned } from '../../server/store/feed-state';

const at = '2024-06-19T10:00:00.000Z';
const entry = (extra: Partial<Entry>): Entry => ({
  id: 'e1', feedId: 'f', headline: null, body: '', authors: [], tags: [], pinned: false, keyEvent: false, publishedAt: at, updatedAt: at, revision: 1, corrections: [], ...extra,
});
const later = new Date('2024-06-19T11:00:00.000Z');

function fieldOf(fn: () => unknown): unknown {
  try {
    fn();
    return null;
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'validation_failed') throw err;
    return err.details?.field;
  }
}

describe('applyEntryPatch', () => {
  it('refuses a patch that leaves neither headline nor visible body, naming the field it emptied', () => {
    expect(fieldOf(() => applyEntryPatch(entry({ headline: 'H' }), parseEntryPatch({ headline: null }), later))).toBe('headline');
    expect(fieldOf(() => applyEntryPatch(entry({ headline: 'H' }), parseEntryPatch({ headline: '' }), later))).toBe('headline');
    expect(fieldOf(() => applyEntryPatch(entry({ body: '<p>B</p>' }), parseEntryPatch({ body: '' }), later))).toBe('body');
    expect(fieldOf(() => applyEntryPatch(entry({ body: '<p>B</p>' }), parseEntryPatch({ body: '<p> </p>' }), later))).toBe('body');
    expect(fieldOf(() => applyEntryPatch(entry({ headline: 'H', body: '<p>B</p>' }), parseEntryPatch({ headline: null, body: '' }), later))).toBe('body');
  });

  it('allows emptying one when the other remains, and leaves non-content edits of any entry alone', () => {
    expect(applyEntryPatch(entry({ headline: 'H', body: '<p>B</p>' }), { headline: null }, later)).toMatchObject({ headline: null, updatedAt: later.toISOString() });
    expect(applyEntryPatch(entry({ headline: 'H', body: '<p>B</p>' }), { body: '' }, later)).toMatchObject({ headline: 'H', body: '' });
    expect(applyEntryPatch(entry({ body: '<img src="https://x.test/a.png" />' }), { headline: null }, later).headline).toBeNull();
    // An entry stored empty before this rule can still be pinned or unpinned.
    expect(applyEntryPatch(entry({}), { pinned: true }, later)).toMatchObject({ pinned: true, updatedAt: at });
  });
});

describe('pinned cap', () => {
  it('explains the refusal', () => {
    expect(tooManyPinned(5)).toMatchObject({ code: 'too_many_pinned', status: 409, message: 'this feed already has 5 pinned entries; unpin one first', details: { field: 'pinned', limit: 5 } });
    expect(tooManyPinned(1).message).toBe('this feed already has 1 pinned entry; unpin one first');
    expect(tooManyPinned(0).message).toMatch(/pinning is turned off/);
  });

  it('defaults to the configured default and refuses nonsense', () => {
    expect(pinnedCap(undefined)).toBe(DEFAULT_MAX_PINNED_PER_FEED);
    expect(DEFAULT_MAX_PINNED_PER_FEED).toBe(5);
    expect(pinnedCap(0)).toBe(0);
    expect(() => pinnedCap(-1)).toThrow(RangeError);
    expect(() => pinnedCap(1.5)).toThrow(RangeError);
  });
});

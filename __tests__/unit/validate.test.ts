import {
  dateTime, hasVisibleContent, parseEntryPatch, parseFeedPatch, parseNewEntry, parseNewEntryRequest, parseNewFeed, parseScheduledPatch, requireContent,
} from '../../server/domain/validate';
import { sanitizeBody } from '../../server/domain/sanitize';
import { AppError } from '../../server/errors';

function codeOf(fn: () => unknown): { code: string; field: unknown } | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { code: err.code, field: err.details?.field };
  }
}

describe('entry and feed validation', () => {
  it('fills defaults and sanitises the body', () => {
    expect(parseNewEntry({ body: '<p onclick="x()">Hi</p>' })).toEqual({
      headline: null, body: '<p>Hi</p>', authors: [], tags: [], pinned: false, keyEvent: false,
    });
    expect(parseNewFeed({ title: '  Live: vote  ' })).toEqual({ title: 'Live: vote', description: '', status: 'live', summary: null, startsAt: null });
  });

  it.each([
    [() => parseNewEntry(null), undefined],
    [() => parseNewEntry([]), undefined],
    [() => parseNewEntry({ body: 5 }), 'body'],
    [() => parseNewEntry({ body: '<script>x</script>' }), 'body'],
    [() => parseNewEntry({ body: '<p>&nbsp;</p><br>' }), 'body'],
    [() => parseNewEntry({ headline: '  ', body: '<p></p>' }), 'body'],
    [() => parseNewEntry({ headline: 'x', pinned: 'yes' }), 'pinned'],
    [() => parseNewEntry({ headline: 'x', authors: 'me' }), 'authors'],
    [() => parseNewEntry({ headline: 'x', authors: [''] }), 'authors[0]'],
    [() => parseNewEntry({ headline: 'x'.repeat(301) }), 'headline'],
    [() => parseNewEntry({ headline: 'bell\u0007' }), 'headline'],
    [() => parseNewEntry({ headline: 'x', extra: 1 }), 'extra'],
    [() => parseNewFeed({ title: '' }), 'title'],
    [() => parseNewFeed({ title: 'x', id: 'Bad Id' }), 'id'],
    [() => parseNewFeed({ title: 'x', status: 'paused' }), 'status'],
    [() => parseFeedPatch({}), undefined],
    [() => parseEntryPatch({}), undefined],
    [() => parseEntryPatch({ keyEvent: 1 }), 'keyEvent'],
  ])('refuses bad input %# with validation_failed', (fn, field) => {
    expect(codeOf(fn)).toEqual({ code: 'validation_failed', field });
  });

  it('lets a patch clear the headline and the summary', () => {
    expect(parseEntryPatch({ headline: null })).toEqual({ headline: null });
    expect(parseFeedPatch({ summary: null, status: 'ended' })).toEqual({ summary: null, status: 'ended' });
  });

  it.each([
    ['<p>Polls close at 8pm</p>', true],
    ['<p>&lt;</p>', true],
    ['<img src="https://news.example/photo.jpg" />', true],
    ['', false],
    ['<p></p>', false],
    ['<p> </p><br /><hr />', false],
    ['<p>&nbsp;&#160;\u200b</p>', false],
    ['<img />', false],
    ['<a href="https://x.example" title="a&gt;b"></a>', false],
  ])('judges whether %j shows anything (%s)', (html, visible) => {
    expect(hasVisibleContent(sanitizeBody(html))).toBe(visible);
  });

  it('requires a headline or a visible body, naming the given field', () => {
    expect(() => requireContent({ headline: 'H', body: '' }, 'body')).not.toThrow();
    expect(() => requireContent({ headline: null, body: '<p>B</p>' }, 'headline')).not.toThrow();
    expect(codeOf(() => requireContent({ headline: null, body: '<p></p>' }, 'headline'))).toEqual({ code: 'validation_failed', field: 'headline' });
    expect(parseNewEntry({ body: '<img src="https://news.example/photo.jpg">' }).body).toBe('<img src="https://news.example/photo.jpg" />');
  });

  it.each([
    ['2026-11-03T20:00:00Z', '2026-11-03T20:00:00.000Z'],
    ['2026-11-03T20:00:00.5-05:00', '2026-11-04T01:00:00.500Z'],
    ['2026-11-03T20:00+01:00', '2026-11-03T19:00:00.000Z'],
    ['2028-02-29t12:00:00z', '2028-02-29T12:00:00.000Z'],
  ])('reads the date-time %s as %s (UTC)', (given, utc) => {
    expect(dateTime(given, 'startsAt')).toBe(utc);
  });

  it.each([
    ['2026-11-03T20:00:00'], ['2026-11-03'], ['2027-02-29T12:00:00Z'], ['2026-13-01T00:00:00Z'], ['2026-11-03T24:00:00Z'],
    ['2026-11-03T20:60:00Z'], ['tomorrow'], [''], [1_900_000_000_000], [null], [{}],
  ])('refuses %p as a date-time, naming the field', (given) => {
    expect(codeOf(() => dateTime(given, 'startsAt'))).toEqual({ code: 'validation_failed', field: 'startsAt' });
  });

  it('reads publishAt beside an entry, up to a year ahead', () => {
    const now = new Date('2026-12-02T00:00:00Z');
    expect(parseNewEntryRequest({ headline: 'Soon', publishAt: '2026-12-02T20:00:00Z' }, now)).toEqual({
      entry: parseNewEntry({ headline: 'Soon' }), publishAt: '2026-12-02T20:00:00.000Z',
    });
    expect(parseNewEntryRequest({ headline: 'Now' }, now).publishAt).toBeNull();
    expect(codeOf(() => parseNewEntryRequest({ headline: 'Far', publishAt: '2027-12-03T00:00:00Z' }, now))).toEqual({ code: 'validation_failed', field: 'publishAt' });
    expect(codeOf(() => parseNewEntryRequest({ publishAt: '2026-12-02T20:00:00Z' }, now))).toEqual({ code: 'validation_failed', field: 'body' });
  });

  it('patches a scheduled entry: content and publishAt, no correction, not nothing', () => {
    const now = new Date('2026-12-02T00:00:00Z');
    expect(parseScheduledPatch({ publishAt: '2026-12-03T00:00:00Z' }, now)).toEqual({ publishAt: '2026-12-03T00:00:00.000Z' });
    expect(parseScheduledPatch({ headline: ' New ' }, now)).toEqual({ headline: 'New' });
    expect(codeOf(() => parseScheduledPatch({ headline: 'x', correction: 'y' }, now))).toEqual({ code: 'validation_failed', field: 'correction' });
    expect(codeOf(() => parseScheduledPatch({}, now))?.code).toBe('validation_failed');
  });
});

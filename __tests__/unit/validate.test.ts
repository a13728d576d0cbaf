import { hasVisibleContent, parseEntryPatch, parseFeedPatch, parseNewEntry, parseNewFeed, requireContent } from '../../server/domain/validate';
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
    expect(parseNewFeed({ title: '  Live: vote  ' })).toEqual({ title: 'Live: vote', description: '', status: 'live', summary: null });
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
});

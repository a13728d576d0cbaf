/**
 * The public page's structured data (schema.org LiveBlogPosting) and the escaping that keeps
 * data blocks data: pure functions, checked on what a search engine or a browser would read.
 */
import { plainText } from '../../client-sdk/src/widget/markup';
import type { Entry, Feed, FeedSnapshot } from '../../server/domain/types';
import { scriptJson } from '../../server/pages/html';
import { lastModified, liveBlogPosting } from '../../server/pages/live-blog-jsonld';

const FEED: Feed = {
  id: 'election-night',
  title: 'Live updates: Election night',
  description: 'Results as they come in.',
  status: 'live',
  summary: null,
  createdAt: '2026-11-03T17:00:00.000Z',
  updatedAt: '2026-11-03T18:00:00.000Z',
  startsAt: '2026-11-03T19:00:00.000Z',
  coverageStartedAt: '2026-11-03T18:55:00.000Z',
  coverageEndedAt: null,
  revision: 2,
};

const entry = (id: string, extra: Partial<Entry> = {}): Entry => ({
  id,
  feedId: FEED.id,
  headline: `Headline ${id}`,
  body: `<p>Body of ${id}.</p>`,
  authors: ['Ana Ruiz'],
  tags: [],
  pinned: false,
  keyEvent: false,
  publishedAt: '2026-11-03T19:10:00.000Z',
  updatedAt: '2026-11-03T19:10:00.000Z',
  revision: 1,
  corrections: [],
  ...extra,
});

const snapshotOf = (feed: Feed, entries: Entry[]): FeedSnapshot => ({ feed, entries, nextBefore: null, seq: 9, epoch: 'e1' });
const URL_ = 'https://live.example.com/feeds/election-night';
const PUBLISHER = { name: 'The Daily Example', logoUrl: 'https://news.example.com/logo.png' };

describe('the LiveBlogPosting of a feed', () => {
  it('describes the feed, its publisher with logo, and one BlogPosting per entry shown, each with its permalink', () => {
    const a = entry('a', { authors: ['Ana Ruiz', 'Tom Li'], updatedAt: '2026-11-03T19:20:00.000Z' });
    const b = entry('b', { headline: null, body: '<p>Turnout is <b>high</b> &amp; rising.</p><p>Second paragraph.</p>', authors: [] });
    const ld = liveBlogPosting(snapshotOf(FEED, [a, b]), URL_, '2026-11-03T19:20:00.000Z', PUBLISHER);
    expect(ld).toEqual({
      '@context': 'https://schema.org',
      '@type': 'LiveBlogPosting',
      headline: 'Live updates: Election night',
      description: 'Results as they come in.',
      url: URL_,
      mainEntityOfPage: URL_,
      datePublished: FEED.createdAt,
      dateModified: '2026-11-03T19:20:00.000Z',
      coverageStartTime: FEED.coverageStartedAt,
      publisher: { '@type': 'Organization', name: 'The Daily Example', logo: { '@type': 'ImageObject', url: PUBLISHER.logoUrl } },
      liveBlogUpdate: [
        {
          '@type': 'BlogPosting', headline: 'Headline a', articleBody: 'Body of a.', datePublished: a.publishedAt, dateModified: a.updatedAt,
          url: `${URL_}#entry-a`, author: [{ '@type': 'Person', name: 'Ana Ruiz' }, { '@type': 'Person', name: 'Tom Li' }],
        },
        {
          '@type': 'BlogPosting', headline: 'Turnout is high & rising. Second paragraph.', articleBody: 'Turnout is high & rising.\nSecond paragraph.',
          datePublished: b.publishedAt, dateModified: b.updatedAt, url: `${URL_}#entry-b`,
        },
      ],
    });
  });

  it('has a coverageEndTime only once the coverage has ended', () => {
    const live = liveBlogPosting(snapshotOf(FEED, []), URL_, FEED.updatedAt, PUBLISHER);
    expect(live).not.toHaveProperty('coverageEndTime');
    const ended = liveBlogPosting(snapshotOf({ ...FEED, status: 'ended', coverageEndedAt: '2026-11-04T02:00:00.000Z' }, []), URL_, FEED.updatedAt, PUBLISHER);
    expect(ended.coverageEndTime).toBe('2026-11-04T02:00:00.000Z');
    expect(ended.coverageStartTime).toBe(FEED.coverageStartedAt);
  });

  it('announces a scheduled start as coverageStartTime, and leaves out what is unknown (logo, description, start)', () => {
    const scheduled = liveBlogPosting(snapshotOf({ ...FEED, status: 'scheduled', coverageStartedAt: null }, []), URL_, FEED.updatedAt, PUBLISHER);
    expect(scheduled.coverageStartTime).toBe(FEED.startsAt);
    const bare = liveBlogPosting(snapshotOf({ ...FEED, description: '', startsAt: null, coverageStartedAt: null }, []), URL_, FEED.updatedAt, { name: 'Liveline', logoUrl: null });
    expect(bare.publisher).toEqual({ '@type': 'Organization', name: 'Liveline' });
    expect(bare).not.toHaveProperty('description');
    expect(bare).not.toHaveProperty('coverageStartTime');
  });

  it('is modified at the newest change: the feed, an entry, or the last event (a deletion leaves no entry behind)', () => {
    const snap = snapshotOf(FEED, [entry('a', { updatedAt: '2026-11-03T19:30:00.000Z' }), entry('b')]);
    expect(lastModified(snap, null)).toBe('2026-11-03T19:30:00.000Z');
    expect(lastModified(snap, '2026-11-03T19:45:00.000Z')).toBe('2026-11-03T19:45:00.000Z');
    expect(lastModified(snapshotOf(FEED, []), null)).toBe(FEED.updatedAt);
  });
});

describe('data blocks in a page', () => {
  it('JSON inside <script> can\'t end the element or open a comment, and reads back unchanged', () => {
    const hostile = { headline: '</script><script>alert(1)</script><!-- </SCRIPT >', body: 'a & b > c \u2028\u2029 "q"' };
    const text = scriptJson(hostile);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(hostile);
  });

  it('reads sanitised HTML as plain text: block ends are line breaks, character references decoded', () => {
    expect(plainText('<p>One &amp; <a href="https://x.example/?a=1&amp;b=2">two</a></p><ul><li>3 &lt; 4</li><li>&#8220;q&#x201D;&nbsp;x</li></ul>'))
      .toBe('One & two\n3 < 4\n\u201cq\u201d x');
    expect(plainText('line<br>break &unknown; &#0;')).toBe('line\nbreak &unknown; &#0;');
  });
});

/**
 * The public live-blog page `/feeds/:feedId` and its CMS embed over real HTTP: what a
 * crawler, a link preview, a CDN and a CMS get. (What a reader sees, with and without
 * JavaScript, is in __tests__/browser/public-page.test.ts.)
 */
import { createHash } from 'node:crypto';
import type { RunningApp } from '../../server/app';
import { openApiDocument } from '../../server/http/openapi';
import { api, startTestApp } from '../helpers/test-app';

type Json = { [key: string]: unknown };

const PUBLIC = {
  LIVELINE_PUBLIC_URL: 'https://live.example.com/',
  LIVELINE_PUBLISHER_NAME: 'The Daily Example',
  LIVELINE_PUBLISHER_LOGO_URL: 'https://news.example.com/logo.png',
};

/** HTML character references back to text (what a parser does with attribute values and text). */
const unescape = (s: string): string =>
  s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const block = (html: string, type: string): Json => {
  const m = new RegExp(`<script type="${type.replace('+', '\\+')}"[^>]*>([^<]*)</script>`).exec(html);
  if (m === null) throw new Error(`no ${type} block`);
  return JSON.parse(m[1] as string) as Json;
};
const jsonLd = (html: string): Json => block(html, 'application/ld+json');
const embedded = (html: string): Json => block(html, 'application/json');
const metaContent = (html: string, key: string): string | undefined => {
  const m = new RegExp(`<meta (?:name|property)="${key}" content="([^"]*)">`).exec(html);
  return m === null ? undefined : unescape(m[1] as string);
};
const articleIds = (html: string): string[] => [...html.matchAll(/<article id="entry-([\w-]+)"/g)].map((m) => m[1] as string);

async function get(app: RunningApp, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(`${app.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('the public live-blog page', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app?.close();
  });

  it('is the whole feed as HTML with canonical, Open Graph and Twitter tags, and JSON-LD matching it, its publisher from the config', async () => {
    app = await startTestApp(PUBLIC);
    const editor = api(app);
    await editor.createFeed('results', { description: 'Every result, as it comes in.', summary: '<ul><li>Polls closed at 20:00.</li></ul>', status: 'live' });
    const posted: string[] = [];
    for (let i = 1; i <= 24; i++) {
      posted.push((await editor.postEntry('results', `Result ${i}`, { authors: ['Ana Ruiz'], ...(i === 2 ? { pinned: true } : {}), ...(i === 23 ? { keyEvent: true } : {}) })).entry.id);
    }
    const fixed = await editor.call('PATCH', `/v1/feeds/results/entries/${posted[23]}`, { headline: 'Result 24, corrected', correction: 'The count was wrong.' });
    expect(fixed.status).toBe(200);

    const page = await get(app, '/feeds/results');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const url = 'https://live.example.com/feeds/results';
    expect(page.text).toContain(`<link rel="canonical" href="${url}">`);
    expect({
      'og:type': metaContent(page.text, 'og:type'),
      'og:title': metaContent(page.text, 'og:title'),
      'og:description': metaContent(page.text, 'og:description'),
      'og:url': metaContent(page.text, 'og:url'),
      'og:site_name': metaContent(page.text, 'og:site_name'),
      'twitter:card': metaContent(page.text, 'twitter:card'),
      'twitter:title': metaContent(page.text, 'twitter:title'),
      description: metaContent(page.text, 'description'),
    }).toEqual({
      'og:type': 'article', 'og:title': 'Live updates: results', 'og:description': 'Every result, as it comes in.', 'og:url': url,
      'og:site_name': 'The Daily Example', 'twitter:card': 'summary', 'twitter:title': 'Live updates: results', description: 'Every result, as it comes in.',
    });

    // The entries shown: the pinned one, then the newest 20 others; the JSON-LD has one update per entry shown.
    const snapshot = (await editor.get('/v1/feeds/results')).body as { feed: Json; entries: Array<{ id: string; updatedAt: string }>; seq: number; epoch: string; nextBefore: string };
    const shown = articleIds(page.text);
    expect(shown).toEqual(snapshot.entries.map((e) => e.id));
    expect(shown).toHaveLength(21);
    const ld = jsonLd(page.text);
    expect(ld).toMatchObject({
      '@context': 'https://schema.org',
      '@type': 'LiveBlogPosting',
      headline: 'Live updates: results',
      description: 'Every result, as it comes in.',
      url,
      datePublished: snapshot.feed.createdAt,
      coverageStartTime: snapshot.feed.coverageStartedAt,
      publisher: { '@type': 'Organization', name: 'The Daily Example', logo: { '@type': 'ImageObject', url: 'https://news.example.com/logo.png' } },
    });
    expect(ld).not.toHaveProperty('coverageEndTime');
    const updates = ld.liveBlogUpdate as Json[];
    expect(updates.map((u) => u.url)).toEqual(shown.map((id) => `${url}#entry-${id}`));
    expect(updates[1]).toEqual({
      '@type': 'BlogPosting', headline: 'Result 24, corrected', articleBody: 'Result 24', datePublished: expect.any(String),
      dateModified: snapshot.entries[1]?.updatedAt, url: `${url}#entry-${posted[23]}`, author: [{ '@type': 'Person', name: 'Ana Ruiz' }],
    });
    expect(ld.dateModified).toBe(snapshot.entries[1]?.updatedAt);

    // The widget's cursor: exactly the snapshot's.
    expect(embedded(page.text)).toMatchObject({ v: 1, snapshot: { seq: snapshot.seq, epoch: snapshot.epoch, nextBefore: snapshot.nextBefore } });

    // Ended: now with coverageEndTime, and modified when it ended.
    const ended = await editor.patch('/v1/feeds/results', { status: 'ended' });
    const feed = (ended.body as { feed: { coverageEndedAt: string; updatedAt: string } }).feed;
    const after = jsonLd((await get(app, '/feeds/results')).text);
    expect(after.coverageEndTime).toBe(feed.coverageEndedAt);
    expect(after.dateModified).toBe(feed.updatedAt);
  });

  it('escapes whatever editors write: nothing in a title, headline, author or note ends a script, a tag or an attribute', async () => {
    app = await startTestApp();
    const editor = api(app);
    const title = '"><script>alert(1)</script></title><!--';
    const headline = '</script><script>window.__pwned=1</script><!-- \u2028 end';
    await editor.createFeed('xss-page', { title, description: '</script>"\'&' });
    const { entry } = await editor.postEntry('xss-page', headline, { authors: ['<b>Eve</b>'], keyEvent: true });
    expect(entry.headline).toBe(headline);
    await editor.patch(`/v1/feeds/xss-page/entries/${entry.id}`, { correction: '</p></script><script>alert(2)</script>' });
    const { text } = await get(app, '/feeds/xss-page');
    expect(text.match(/<script/g)).toHaveLength(3); // JSON-LD, the embedded snapshot, the widget's bundle
    expect(text.match(/<\/script>/g)).toHaveLength(3);
    expect(text).not.toContain('<b>Eve</b>');
    expect(unescape(/<title>([^<]*)<\/title>/.exec(text)?.[1] ?? '')).toBe(title);
    expect(metaContent(text, 'og:title')).toBe(title);
    expect((jsonLd(text).liveBlogUpdate as Json[])[0]?.headline).toBe(headline);
    expect(((embedded(text).snapshot as Json).entries as Json[])[0]?.headline).toBe(headline);
  });

  it('is cacheable: ETag and Cache-Control on the page and the embed, 304 while nothing changed, a new tag after an edit', async () => {
    app = await startTestApp({ LIVELINE_CACHE_MAX_AGE_S: '7', LIVELINE_CACHE_STALE_WHILE_REVALIDATE_S: '60' });
    const editor = api(app);
    await editor.createFeed('cached');
    const { entry } = await editor.postEntry('cached', 'First');
    for (const path of ['/feeds/cached', '/feeds/cached/embed']) {
      const first = await get(app, path);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('public, max-age=7, stale-while-revalidate=60');
      const etag = first.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"[^"]+"$/);
      const again = await get(app, path, { 'If-None-Match': etag });
      expect(again.status).toBe(304);
      expect(again.text).toBe('');
      expect(again.headers.get('etag')).toBe(etag);
    }
    const page = (await get(app, '/feeds/cached')).headers.get('etag') ?? '';
    const embed = (await get(app, '/feeds/cached/embed')).headers.get('etag') ?? '';
    expect(page).not.toBe(embed);
    await editor.patch(`/v1/feeds/cached/entries/${entry.id}`, { headline: 'First, edited' });
    const edited = await get(app, '/feeds/cached', { 'If-None-Match': page });
    expect(edited.status).toBe(200);
    expect(edited.headers.get('etag')).not.toBe(page);
    expect(edited.text).toContain('First, edited');
    expect((await get(app, '/feeds/cached/embed', { 'If-None-Match': embed })).status).toBe(200);
  });

  it('runs no inline script: the policy allows the bundle from the Liveline server and each stylesheet by its hash', async () => {
    app = await startTestApp(PUBLIC);
    await api(app).createFeed('csp');
    const { headers, text } = await get(app, '/feeds/csp');
    const csp = headers.get('content-security-policy') ?? '';
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(['https://live.example.com']);
    expect(directives['connect-src']).toEqual(['https://live.example.com', 'wss://live.example.com']);
    expect(csp).not.toContain('unsafe');
    const styles = [...text.matchAll(/<style[^>]*>([^<]*)<\/style>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1] as string).digest('base64')}'`);
    expect(styles).toHaveLength(3);
    expect(directives['style-src']?.sort()).toEqual(styles.sort());
    expect(text).toContain('<script src="https://live.example.com/sdk/liveline.js" defer blocking="render"></script>');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('embed: the same markup as a fragment, with its stylesheet and an absolute script URL from LIVELINE_PUBLIC_URL', async () => {
    app = await startTestApp(PUBLIC);
    const editor = api(app);
    await editor.createFeed('embedded');
    await editor.postEntry('embedded', 'Inside a CMS page');
    const embed = await get(app, '/feeds/embedded/embed');
    const page = await get(app, '/feeds/embedded');
    expect(embed.status).toBe(200);
    expect(embed.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(embed.text).not.toMatch(/<html|<head>|<body/);
    expect(embed.text).toMatch(/^<style id="liveline-style">/);
    expect(embed.text).toContain('<script src="https://live.example.com/sdk/liveline.js" defer></script>');
    const root = (html: string): string => /<div class="liveline"[\s\S]*<\/div>/.exec(html)?.[0] ?? '';
    expect(root(embed.text)).toBe(root(page.text).replace('<h1 class="ll-title">Live updates: embedded</h1>', '<h2 class="ll-title">Live updates: embedded</h2>'));
    expect(root(embed.text)).toContain('Inside a CMS page');
  });

  it('an unknown feed is an HTML 404 page (a fragment for the embed), never cached', async () => {
    app = await startTestApp();
    for (const path of ['/feeds/no-such-feed', '/feeds/Not%20an%20id', '/feeds/no-such-feed/embed']) {
      const res = await get(app, path);
      expect({ path, status: res.status, type: res.headers.get('content-type') }).toEqual({ path, status: 404, type: 'text/html; charset=utf-8' });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.text).toContain('There is no live blog');
      expect(res.text.includes('<html')).toBe(!path.endsWith('/embed'));
    }
  });

  it('is charged to the reader budget like a snapshot: beyond it, 429 rate_limited with Retry-After', async () => {
    app = await startTestApp({ LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '1' });
    await api(app).createFeed('busy');
    expect((await get(app, '/feeds/busy')).status).toBe(200);
    expect((await get(app, '/feeds/busy/embed')).status).toBe(200); // the burst: twice the rate
    const refused = await get(app, '/feeds/busy');
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('answers only as the OpenAPI document says: statuses and media types', async () => {
    app = await startTestApp({ LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '3' }); // a burst of 6
    await api(app).createFeed('documented');
    const answers: Array<[string, number, string | null]> = [];
    for (const [template, path] of [['/feeds/{feedId}', '/feeds/documented'], ['/feeds/{feedId}/embed', '/feeds/documented/embed']] as const) {
      const ok = await get(app, path);
      const notModified = await get(app, path, { 'If-None-Match': ok.headers.get('etag') ?? '' });
      const missing = await get(app, path.replace('documented', 'missing'));
      for (const res of [ok, notModified, missing]) answers.push([template, res.status, res.headers.get('content-type')?.split(';')[0] ?? null]);
    }
    answers.push(['/feeds/{feedId}', (await get(app, '/feeds/documented')).status, 'application/json']);
    expect(answers.map(([, status]) => status)).toEqual([200, 304, 404, 200, 304, 404, 429]);
    for (const [template, status, type] of answers) {
      const response = openApiDocument.paths[template]?.get?.responses[String(status)];
      expect({ template, status, documented: response !== undefined }).toEqual({ template, status, documented: true });
      const content = response !== undefined && 'content' in response ? response.content : undefined;
      expect({ template, status, type: content === undefined ? null : type }).toEqual({ template, status, type: content === undefined ? null : Object.keys(content).find((t) => t === type) });
    }
  });
});

/**
 * The drop-in widget (Liveline.mount) in real headless Chromium, loaded from the server's
 * /sdk/liveline.js as a newsroom page loads it, against a real server. Every check is on
 * what a reader sees: DOM text and element positions.
 *
 * Custom pages are put on the app's origin (setContent over /healthz), with the browser's own
 * scroll anchoring turned off (`overflow-anchor: none`), so that "the page does not move"
 * is the widget's doing and holds in browsers without scroll anchoring (Safari); the
 * scrolling test also runs with it on, where the two must not correct twice.
 */
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../server/app';
import { startApp } from '../../server/app';
import { createMemoryBackend, type Backend } from '../../server/backend';
import { loadConfig } from '../../server/config';
import { parseNewEntry } from '../../server/domain/validate';
import type { WidgetHandle } from '../../client-sdk/src';
import { launchBrowser, newPage } from '../helpers/browser';
import { api, EDITOR_TOKEN, startTestApp, UNLIMITED } from '../helpers/test-app';

/** What the test pages put on window (the cast is erased: page functions run as plain JS). */
type TW = Window & { w: WidgetHandle; __pwned?: number };

const WAIT = { timeout: 10_000 };

let browser: Browser;
let app: RunningApp | null = null;
let backend: Backend | null = null;
let page: Page | null = null;
let errors: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser.close();
});

beforeEach(() => {
  errors = [];
});

afterEach(async () => {
  await page?.close();
  page = null;
  await app?.close();
  app = null;
  await backend?.close();
  backend = null;
  expect(errors).toEqual([]);
});

/**
 * Opens a page on the app's origin that loads /sdk/liveline.js and mounts the widget with
 * `mountOptions` (a JS object literal, evaluated in the page) as `window.w`; resolves once
 * the subscription is live.
 */
async function openWidget(
  running: RunningApp, feed: string, mountOptions = '{}', setup?: (p: Page) => void, nativeAnchoring = false,
): Promise<Page> {
  const p = await newPage(browser, errors);
  page = p;
  setup?.(p);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Widget test</title>
<style>${nativeAnchoring ? '' : 'html { overflow-anchor: none; }'} body { margin: 0 auto; max-width: 40rem; font: 16px/1.5 sans-serif; }</style></head>
<body><p style="height: 150px">The article above the live blog.</p>
<div id="w"></div>
<script src="/sdk/liveline.js"></script>
<script>window.w = Liveline.mount(document.getElementById('w'), Object.assign({ feed: ${JSON.stringify(feed)} }, ${mountOptions}));</script>
</body></html>`;
  // A page of the app's origin, then our HTML in it (a document fulfilled by page.route would
  // count as a public address and Chromium would block its WebSockets to loopback).
  await p.goto(`${running.url}/healthz`);
  await p.setContent(html);
  await p.waitForFunction(() => (window as unknown as TW).w.subscription.state === 'live', undefined, WAIT);
  return p;
}

/** Headlines of the entries list (not the pinned area), top to bottom. */
const listHeadlines = (p: Page): Promise<string[]> =>
  p.$$eval('.ll-list article .ll-hl', (els) => els.map((e) => e.textContent ?? ''));

/** Screen position (getBoundingClientRect().top) of an element. */
const topOf = (p: Page, selector: string): Promise<number> =>
  p.$eval(selector, (el) => el.getBoundingClientRect().top);

/** Waits until the list's headlines are exactly `expected`. */
async function listIs(p: Page, expected: string[]): Promise<void> {
  await p.waitForFunction(
    (want) => JSON.stringify(Array.from(document.querySelectorAll('.ll-list article .ll-hl'), (e) => e.textContent)) === want,
    JSON.stringify(expected),
    WAIT,
  );
}

describe('the live-blog widget in Chromium', () => {
  it('on the demo page: shows entries as posted, and follows edits, deletions, pins, key events and the feed', async () => {
    app = await startTestApp({}, { demo: true });
    const editor = api(app);
    page = await newPage(browser, errors);
    const p = page;
    await p.goto(`${app.url}/`);
    expect(await p.content()).not.toContain(EDITOR_TOKEN);
    expect(await p.textContent('#curl')).toContain(`${app.url}/v1/feeds/demo/entries`);

    // The snapshot: header, badge, "What to know", and the welcome entry.
    await p.waitForSelector('.ll-list article', WAIT);
    expect(await p.textContent('.ll-title')).toBe('Live updates: Liveline demo');
    expect(await p.textContent('.ll-badge')).toBe('LIVE');
    expect(await p.textContent('.ll-summary')).toContain('What to know');
    expect(await p.textContent('.ll-summary')).toContain('Entries appear within a fraction of a second.');
    await listIs(p, ['Welcome to Liveline']);

    const a = (await editor.postEntry('demo', 'Polls close', { body: '<p>First results <b>within the hour</b>.</p>', authors: ['Ana Ruiz', 'Tom Li'] })).entry;
    await listIs(p, ['Polls close', 'Welcome to Liveline']);
    const first = await p.$eval('.ll-list article', (el) => ({
      id: el.id,
      clock: el.querySelector('.ll-clock')?.textContent,
      ago: el.querySelector('.ll-ago')?.textContent,
      datetime: el.querySelector('time')?.getAttribute('datetime'),
      by: el.querySelector('.ll-by')?.textContent,
      body: el.querySelector('.ll-body')?.innerHTML,
      link: el.querySelector('a.ll-link')?.getAttribute('href'),
      updated: el.querySelector('.ll-upd'),
    }));
    expect(first).toEqual({
      id: `entry-${a.id}`, clock: expect.stringMatching(/\d\d:\d\d/), ago: 'Just now', datetime: expect.any(String),
      by: 'By Ana Ruiz, Tom Li', body: '<p>First results <b>within the hour</b>.</p>', link: `#entry-${a.id}`, updated: null,
    });
    const b = (await editor.postEntry('demo', 'Turnout high')).entry;
    await listIs(p, ['Turnout high', 'Polls close', 'Welcome to Liveline']);

    // A correction: in place, same element, with "Updated HH:MM".
    await p.evaluate((id) => document.getElementById(id)?.setAttribute('data-same', '1'), `entry-${a.id}`);
    expect((await editor.patch(`/v1/feeds/demo/entries/${a.id}`, { headline: 'Polls closed', body: '<p>Counting has begun.</p>' })).status).toBe(200);
    await listIs(p, ['Turnout high', 'Polls closed', 'Welcome to Liveline']);
    expect(await p.getAttribute(`#entry-${a.id}`, 'data-same')).toBe('1');
    expect(await p.textContent(`#entry-${a.id} .ll-body`)).toBe('Counting has begun.');
    expect(await p.textContent(`#entry-${a.id} .ll-upd`)).toMatch(/^Updated \d\d:\d\d/);

    // A deletion removes it.
    expect((await editor.delete(`/v1/feeds/demo/entries/${b.id}`)).status).toBe(200);
    await listIs(p, ['Polls closed', 'Welcome to Liveline']);
    expect(await p.$(`#entry-${b.id}`)).toBeNull();

    // A pin moves it into the pinned area (after the summary, before the list); unpinning moves it back.
    expect(await p.isHidden('.ll-pinned')).toBe(true);
    await editor.patch(`/v1/feeds/demo/entries/${a.id}`, { pinned: true });
    await p.waitForSelector(`.ll-pinned #entry-${a.id}`, WAIT);
    await listIs(p, ['Welcome to Liveline']);
    expect(await p.isVisible('.ll-pinned')).toBe(true);
    const order = await p.$$eval('.ll-summary, .ll-pinned, .ll-list', (els) => els.map((e) => e.getBoundingClientRect().top));
    expect(order).toEqual([...order].sort((x, y) => x - y));

    // A key event gets a link to its entry in "Key events", labelled by its headline.
    const welcome = await p.$eval('.ll-list article', (el) => el.id);
    expect(await p.isHidden('.ll-keys')).toBe(true);
    await editor.patch(`/v1/feeds/demo/entries/${welcome.slice('entry-'.length)}`, { keyEvent: true });
    const key = await p.waitForSelector(`.ll-keys a[href="#${welcome}"]`, WAIT);
    expect(await key.textContent()).toContain('Welcome to Liveline');
    await key.click();
    await p.waitForFunction((id) => location.hash === `#${id}`, welcome, WAIT);

    // feed.updated: title, and the coverage's state in place of the LIVE badge.
    await editor.patch('/v1/feeds/demo', { title: 'Results night', status: 'ended' });
    await p.waitForFunction(() => document.querySelector('.ll-notice')?.textContent === 'This live coverage has ended', undefined, WAIT);
    expect(await p.isHidden('.ll-badge')).toBe(true);
    expect(await p.textContent('.ll-title')).toBe('Results night');
  });

  it.each([
    ['without', false],
    ['with', true],
  ])('scrolled down (%s the browser\'s scroll anchoring): new entries wait behind "N new updates", and nothing moves under the reader', async (_, nativeAnchoring) => {
    app = await startTestApp();
    const editor = api(app);
    await editor.createFeed('scroll', { summary: '<p>Short summary.</p>' });
    for (let i = 1; i <= 30; i++) await editor.postEntry('scroll', `Entry ${i}`, { body: `<p>Body of entry ${i}.</p><p>A second paragraph.</p>` });
    const p = await openWidget(app, 'scroll', '{}', undefined, nativeAnchoring);
    expect(await p.$$eval('.ll-list article', (els) => els.length)).toBe(20);

    // Read mid-list: "Entry 20" (the 11th) near the top of the viewport.
    await p.evaluate(() => {
      const el = document.querySelectorAll('.ll-list article')[10] as HTMLElement;
      window.scrollBy(0, el.getBoundingClientRect().top - 100);
    });
    const watched = '.ll-list article:nth-child(11)';
    const watchedId = await p.$eval(watched, (el) => el.id);
    const at = await topOf(p, `#${watchedId}`);
    expect(at).toBeGreaterThan(0);

    const fresh = (await editor.postEntry('scroll', 'Breaking: new entry')).entry;
    await p.waitForSelector('.ll-more:has-text("1 new update")', { state: 'visible', ...WAIT });
    expect(await topOf(p, `#${watchedId}`)).toBeCloseTo(at, 0);
    expect(await p.title()).toBe('(1) Widget test');
    expect(await p.$(`#entry-${fresh.id}`)).toBeNull();
    // The button is on screen (sticky), the reader still sees what they saw.
    const button = await p.$eval('.ll-more', (el) => el.getBoundingClientRect().top);
    expect(button).toBeGreaterThanOrEqual(0);
    expect(button).toBeLessThan(100);

    const ids = await p.$$eval('.ll-list article', (els) => els.map((e) => e.id.slice('entry-'.length)));
    const stays = async (): Promise<void> => expect(Math.abs((await topOf(p, `#${watchedId}`)) - at)).toBeLessThan(1);
    // An edit above the viewport that makes an entry much taller.
    const long = Array.from({ length: 8 }, (_, i) => `<p>Correction paragraph ${i} with enough words to wrap.</p>`).join('');
    await editor.patch(`/v1/feeds/scroll/entries/${ids[0]}`, { body: long });
    await p.waitForSelector(`#entry-${ids[0]} .ll-body p:nth-child(8)`, { state: 'attached', ...WAIT });
    await stays();
    // A deletion above it.
    await editor.delete(`/v1/feeds/scroll/entries/${ids[1]}`);
    await p.waitForSelector(`#entry-${ids[1]}`, { state: 'detached', ...WAIT });
    await stays();
    // A pin: the entry moves from above the viewport into the pinned area, further up.
    await editor.patch(`/v1/feeds/scroll/entries/${ids[2]}`, { pinned: true, keyEvent: true });
    await p.waitForSelector(`.ll-pinned #entry-${ids[2]}`, { state: 'attached', ...WAIT });
    await stays();
    // The summary above grows.
    await editor.patch('/v1/feeds/scroll', { summary: '<ul><li>One</li><li>Two</li><li>Three</li><li>Four</li></ul>' });
    await p.waitForFunction(() => document.querySelectorAll('.ll-summary li').length === 4, undefined, WAIT);
    await stays();
    // A second new entry: the count goes up, still nothing moves.
    await editor.postEntry('scroll', 'Breaking: second');
    await p.waitForSelector('.ll-more:has-text("2 new updates")', WAIT);
    await stays();
    expect(await p.title()).toBe('(2) Widget test');

    // Clicking brings them in at the top and goes there.
    await p.click('.ll-more');
    await p.waitForFunction(() => document.querySelectorAll('.ll-list article').length === 20, undefined, WAIT);
    expect((await listHeadlines(p)).slice(0, 3)).toEqual(['Breaking: second', 'Breaking: new entry', 'Entry 30']);
    expect(await p.isHidden('.ll-more')).toBe(true);
    expect(await p.title()).toBe('Widget test');
    await p.waitForFunction(() => {
      const r = document.querySelector('.ll-list article')?.getBoundingClientRect();
      return r !== undefined && r.top >= -1 && r.top < window.innerHeight / 2;
    }, undefined, WAIT);
  });

  it('shows a correction note under the corrected entry, with its time, beside "Updated"', async () => {
    app = await startTestApp();
    const http = api(app);
    await http.createFeed('corrections');
    const { entry } = (await http.post('/v1/feeds/corrections/entries', { headline: 'Turnout 61%', body: '<p>Early figures.</p>' })).body as { entry: { id: string } };
    const p = await openWidget(app, 'corrections');
    await listIs(p, ['Turnout 61%']);
    const fixed = await http.call('PATCH', `/v1/feeds/corrections/entries/${entry.id}`, { headline: 'Turnout 63%', correction: 'An earlier version misstated the turnout.' }, { 'If-Match': '"1"' });
    expect(fixed.status).toBe(200);
    await listIs(p, ['Turnout 63%']);
    const note = await p.waitForSelector('.ll-list article .ll-corr', WAIT);
    expect(await note.textContent()).toMatch(/^Correction, \d{1,2}:\d{2}( [AP]M)?: An earlier version misstated the turnout\.$/);
    expect(await p.$eval('.ll-list article .ll-upd', (el) => el.textContent)).toMatch(/^Updated /);
  });

  it('across a server restart on the same port: every entry exactly once, none missing', async () => {
    backend = createMemoryBackend({ historySize: 1000 }, (err) => {
      throw err;
    });
    const config = (port: number) => loadConfig({ ...UNLIMITED, PORT: String(port), HOST: '127.0.0.1', LIVELINE_EDITOR_TOKENS: `desk:${EDITOR_TOKEN}`, LIVELINE_DRAIN_MS: '0' });
    app = await startApp(config(0), { backend, demo: false });
    const port = app.port;
    await api(app).createFeed('restart');
    await api(app).postEntry('restart', 'before 1');
    const p = await openWidget(app, 'restart', '{ client: new Liveline.LiveClient({ url: location.origin, minReconnectDelayMs: 50, maxReconnectDelayMs: 300 }) }');
    for (let i = 2; i <= 3; i++) await api(app).postEntry('restart', `before ${i}`);
    await listIs(p, ['before 3', 'before 2', 'before 1']);

    await app.close(); // readers get 1012 and retry into a closed port
    app = null;
    await p.waitForFunction(() => document.querySelector('.ll-conn')?.textContent === 'Reconnecting…', undefined, WAIT);
    for (let i = 4; i <= 6; i++) await backend.store.createEntry('restart', parseNewEntry({ headline: `while down ${i}` }), { actor: 'desk' });
    app = await startApp(config(port), { backend, demo: false });
    for (let i = 7; i <= 8; i++) await api(app).postEntry('restart', `after ${i}`);

    const expected = ['after 8', 'after 7', 'while down 6', 'while down 5', 'while down 4', 'before 3', 'before 2', 'before 1'];
    await listIs(p, expected);
    const ids = await p.$$eval('#w article', (els) => els.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(8);
    await p.waitForFunction(() => document.querySelector('.ll-conn')?.textContent === '', undefined, WAIT);
  });

  it('never runs markup from entries: XSS vectors in bodies stay inert, markup in text fields shows as text', async () => {
    app = await startTestApp();
    const editor = api(app);
    const dialogs: string[] = [];
    const vectors = [
      '<script>window.__pwned=1</script>',
      '<img src=x onerror="window.__pwned=1">',
      '<img src="x" onerror="alert(1)">',
      '<a id="js-link" href="javascript:window.__pwned=1">click me</a>',
      '<a href="jav&#x09;ascript:window.__pwned=1">tab</a>',
      '<a href="#" onclick="window.__pwned=1" id="onclick-link">click me too</a>',
      '<svg onload="window.__pwned=1"><circle r="1"></circle></svg>',
      '<svg><script>window.__pwned=1</script></svg>',
      '<svg><a xlink:href="javascript:window.__pwned=1"><text y="10">svg link</text></a></svg>',
      '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
      '<iframe src="javascript:parent.__pwned=1"></iframe>',
      '<object data="javascript:window.__pwned=1"></object>',
      '<embed src="javascript:window.__pwned=1">',
      '<details open ontoggle="window.__pwned=1">x</details>',
      '<input autofocus onfocus="window.__pwned=1">',
      '<video><source onerror="window.__pwned=1"></video>',
      '<body onload="window.__pwned=1">',
      '<math><mtext><table><mglyph><style><img src=x onerror="window.__pwned=1">',
      '<noscript><p title="</noscript><img src=x onerror=window.__pwned=1>">',
      '<scr<script>ipt>window.__pwned=1</scr</script>ipt>',
      '<form><button formaction="javascript:window.__pwned=1">x</button></form>',
      '<meta http-equiv="refresh" content="0;url=javascript:window.__pwned=1">',
      '<div style="background:url(javascript:window.__pwned=1)">styled</div>',
      '"><script>alert(1)</script>',
    ];
    const headline = '<img src=x onerror="window.__pwned=1">Breaking <b>news</b> <script>alert(1)</script>';
    await editor.createFeed('xss', { title: '<script>alert(1)</script>Title', description: '<b onmouseover=alert(1)>desc</b>', summary: vectors.join('') });
    // Half through the snapshot, half as live events.
    const half = Math.ceil(vectors.length / 2);
    const post = async (body: string): Promise<void> => {
      expect((await editor.post('/v1/feeds/xss/entries', { headline, body, authors: ['<i>Eve</i>'], tags: ['<b>x</b>'], keyEvent: true })).status).toBe(201);
    };
    for (const body of vectors.slice(0, half)) await post(body);
    const p = await openWidget(app, 'xss', '{}', (pg) => pg.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    }));
    for (const body of vectors.slice(half)) await post(body);
    await p.waitForFunction((n) => document.querySelectorAll('.ll-list article').length === n, vectors.length, WAIT);

    // Give anything that would fire (image errors, frames) the time a failing image takes.
    await p.evaluate(() => new Promise<void>((resolve) => {
      const img = document.createElement('img');
      img.onerror = () => resolve();
      img.src = '/sentinel-that-404s.png';
      document.body.append(img);
    }));
    // Links that survive sanitising are clicked too.
    await p.$$eval('#w .ll-html a', (links) => links.forEach((a) => (a as HTMLElement).click()));

    expect(await p.evaluate(() => (window as unknown as TW).__pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
    expect(await p.$$eval('#w script, #w iframe, #w svg, #w object, #w embed, #w math, #w form, #w input, #w meta, #w [style]', (els) => els.length)).toBe(0);
    expect(await p.$$eval('#w *', (els) => els.filter((e) => Array.from(e.attributes).some((a) => /^on/i.test(a.name))).length)).toBe(0);
    expect(await p.$$eval('#w a[href]', (els) => els.filter((a) => !/^(#|https?:|mailto:)/.test(a.getAttribute('href') ?? '')).length)).toBe(0);
    // Text fields are text: the markup is visible, literally.
    expect(new Set(await listHeadlines(p))).toEqual(new Set([headline]));
    expect(await p.textContent('.ll-title')).toBe('<script>alert(1)</script>Title');
    expect(await p.textContent('.ll-desc')).toBe('<b onmouseover=alert(1)>desc</b>');
    expect(await p.textContent('.ll-list article .ll-by')).toBe('By <i>Eve</i>');
    expect(await p.textContent('.ll-keys li a')).toContain(headline);
  });

  it('styles: false leaves the stylesheet to the page, which gets it as Liveline.widgetCss', async () => {
    app = await startTestApp();
    await api(app).createFeed('unstyled');
    await api(app).postEntry('unstyled', 'Plain');
    const p = await openWidget(app, 'unstyled', '{ styles: false }');
    await listIs(p, ['Plain']);
    expect(await p.$('#liveline-style')).toBeNull();
    expect(await p.$$eval('style', (els) => els.some((el) => (el.textContent ?? '').includes('.ll-entry')))).toBe(false);
    const css = await p.evaluate(() => (window as unknown as { Liveline: { widgetCss: string } }).Liveline.widgetCss);
    expect(css).toContain('.liveline');
    expect(css).toContain('.ll-entry');
  });

  it('"Load older" appends older pages at the bottom and disappears at the end', async () => {
    app = await startTestApp();
    const editor = api(app);
    await editor.createFeed('paging');
    for (let i = 1; i <= 45; i++) await editor.postEntry('paging', `Entry ${i}`, i === 10 ? { pinned: true } : {});
    const p = await openWidget(app, 'paging', '{ pageSize: 10 }');
    const newestFirst = (from: number, to: number): string[] =>
      Array.from({ length: from - to + 1 }, (_, i) => `Entry ${from - i}`).filter((h) => h !== 'Entry 10');
    await listIs(p, newestFirst(45, 26));
    expect(await p.textContent('.ll-pinned')).toContain('Entry 10');

    await p.click('.ll-older');
    await listIs(p, newestFirst(45, 16));
    await p.click('.ll-older'); // ten unpinned entries: 15 … 11, 9 … 5
    await listIs(p, newestFirst(45, 5));
    expect(await p.isVisible('.ll-older')).toBe(true);
    await p.click('.ll-older');
    await listIs(p, newestFirst(45, 1));
    await p.waitForSelector('.ll-older', { state: 'hidden', ...WAIT });
    const ids = await p.$$eval('#w article', (els) => els.map((e) => e.id));
    expect(new Set(ids).size).toBe(45);
  });

  it('announces new updates politely, and the pause toggle and a hidden tab hold new entries back', async () => {
    app = await startTestApp();
    const editor = api(app);
    await editor.createFeed('a11y');
    await editor.postEntry('a11y', 'First');
    const p = await openWidget(app, 'a11y');
    const focused = (): Promise<string> => p.evaluate(() => document.activeElement?.tagName ?? '');
    expect(await p.getAttribute('.ll-sr', 'aria-live')).toBe('polite');

    // At the top, visible, not paused: straight in, and announced.
    await editor.postEntry('a11y', 'Second');
    await listIs(p, ['Second', 'First']);
    await p.waitForFunction(() => document.querySelector('.ll-sr')?.textContent?.trim() === '1 new update', undefined, WAIT);
    expect(await focused()).toBe('BODY');
    expect(await p.evaluate(() => document.activeElement?.closest('.ll-sr'))).toBeNull();

    // Paused: held behind the button, announced, nothing inserted.
    expect(await p.getAttribute('.ll-pause', 'aria-pressed')).toBe('false');
    await p.click('.ll-pause');
    expect(await p.getAttribute('.ll-pause', 'aria-pressed')).toBe('true');
    await Promise.all([editor.postEntry('a11y', 'Third'), editor.postEntry('a11y', 'Fourth')]);
    await p.waitForSelector('.ll-more:has-text("2 new updates")', WAIT);
    await p.waitForFunction(() => document.querySelector('.ll-sr')?.textContent?.trim() === '2 new updates', undefined, WAIT);
    await listIs(p, ['Second', 'First']);
    expect(await p.title()).toBe('(2) Widget test');

    // Resumed: the held entries come in, and the next ones go straight in again.
    await p.click('.ll-pause');
    expect(await p.getAttribute('.ll-pause', 'aria-pressed')).toBe('false');
    await p.waitForFunction(() => document.querySelectorAll('.ll-list article').length === 4, undefined, WAIT);
    const [third, fourth] = await p.$$eval('.ll-list article .ll-hl', (els) => els.slice(0, 2).map((e) => e.textContent));
    expect(new Set([third, fourth])).toEqual(new Set(['Third', 'Fourth']));
    expect(await p.title()).toBe('Widget test');
    await editor.postEntry('a11y', 'Fifth');
    await p.waitForFunction(() => document.querySelector('.ll-list .ll-hl')?.textContent === 'Fifth', undefined, WAIT);

    // A hidden tab holds them too, and they come in when the reader comes back.
    await p.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await editor.postEntry('a11y', 'Sixth');
    await p.waitForSelector('.ll-more:has-text("1 new update")', WAIT);
    expect(await p.textContent('.ll-list .ll-hl')).toBe('Fifth');
    await p.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await p.waitForFunction(() => document.querySelector('.ll-list .ll-hl')?.textContent === 'Sixth', undefined, WAIT);
    expect(await p.isHidden('.ll-more')).toBe(true);
    expect(await focused()).toBe('BUTTON'); // still the pause toggle the reader last pressed
    expect(await p.getAttribute(':focus', 'class')).toContain('ll-pause');

    // destroy() restores the element and stops everything.
    await p.evaluate(() => {
      const { w } = window as unknown as TW;
      w.destroy();
      w.destroy();
    });
    expect(await p.$$eval('#w *', (els) => els.length)).toBe(0);
    expect(await p.evaluate(() => (window as unknown as TW).w.client.state)).toBe('disconnected');
  });
});

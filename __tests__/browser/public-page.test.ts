/**
 * The public live-blog page `/feeds/:feedId` in headless Chromium, served by a real server:
 * what a reader sees without JavaScript, and with it the widget taking the server's markup
 * over in place (the same elements, nothing moving: layout shifts measured by the browser),
 * then keeping it live. The reader here is in New York with a 12-hour clock, the server
 * writes UTC: every time on the page changes at the takeover, so it has to happen before
 * the first paint for nothing to move.
 */
import type { Page, Route } from 'playwright-core';
import { widgetSuite } from '../helpers/browser';
import { api } from '../helpers/test-app';

const WAIT = { timeout: 10_000 };
const POLL = { ...WAIT, polling: 50 }; // not requestAnimationFrame: the page may not render yet
const READER = { timezoneId: 'America/New_York', locale: 'en-US' };

const suite = widgetSuite();

interface Posted {
  readonly ids: string[];
  readonly corrected: string;
  readonly key: string;
  readonly pinned: string;
}

/** A live feed with a summary, 24 entries (one pinned, one key event, one corrected), authors. */
async function createFeed(feed: string): Promise<Posted> {
  const editor = api(suite.app());
  await editor.createFeed(feed, { description: 'Every result, as it comes in.', summary: '<ul><li>Polls closed at 20:00.</li></ul>', status: 'live' });
  const ids: string[] = [];
  for (let i = 1; i <= 24; i++) {
    const extra = { authors: ['Ana Ruiz'], ...(i === 3 ? { pinned: true } : {}), ...(i === 20 ? { keyEvent: true } : {}) };
    ids.push((await editor.postEntry(feed, `Result ${i}`, { body: `<p>Body of result ${i}.</p>`, ...extra })).entry.id);
  }
  const corrected = ids[22] as string;
  const fixed = await editor.patch(`/v1/feeds/${feed}/entries/${corrected}`, { headline: 'Result 23, corrected', correction: 'The count was wrong.' });
  expect(fixed.status).toBe(200);
  return { ids, corrected, key: ids[19] as string, pinned: ids[2] as string };
}

/** The page's layout shifts so far, as the browser reports them (PerformanceObserver, buffered). */
const layoutShifts = (p: Page): Promise<number[]> =>
  p.evaluate(() => {
    const observer = new PerformanceObserver(() => undefined);
    observer.observe({ type: 'layout-shift', buffered: true });
    const records = observer.takeRecords() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean }>;
    observer.disconnect();
    return records.filter((r) => !r.hadRecentInput).map((r) => r.value);
  });

/** Resolves once the document is complete (the widget has run) and the widget is connected. */
const widgetLive = (p: Page): Promise<unknown> =>
  p.waitForFunction(() => document.readyState === 'complete' && document.querySelector('.ll-conn')?.textContent === '' && 'Liveline' in window, undefined, POLL);

/** Resolves once the page has painted its content and then rendered two more frames (what changed is on screen). */
async function painted(p: Page): Promise<void> {
  await p.waitForFunction(() => performance.getEntriesByType('paint').some((e) => e.name === 'first-contentful-paint'), undefined, POLL);
  await p.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

const headlines = (p: Page, where = '.ll-list'): Promise<string[]> =>
  p.$$eval(`${where} article .ll-hl`, (els) => els.map((e) => e.textContent ?? ''));

describe('the public live-blog page (Chromium)', () => {
  it('without JavaScript: shows the whole feed — title, state, summary, key events, entries with times, authors and corrections', async () => {
    const posted = await createFeed('no-script');
    const p = await suite.openPage({ ...READER, javaScriptEnabled: false });
    await p.goto(`${suite.app().url}/feeds/no-script`);
    expect(await p.title()).toBe('Live updates: no-script');
    expect(await p.textContent('h1.ll-title')).toBe('Live updates: no-script');
    expect(await p.isVisible('.ll-badge')).toBe(true);
    expect(await p.textContent('.ll-desc')).toBe('Every result, as it comes in.');
    expect(await p.innerText('.ll-summary')).toContain('Polls closed at 20:00.');
    // The pinned entry on top, then the 20 newest others, newest first.
    expect(await headlines(p, '.ll-pinned')).toEqual(['Result 3']);
    const list = await headlines(p);
    expect(list).toHaveLength(20);
    expect(list.slice(0, 3)).toEqual(['Result 24', 'Result 23, corrected', 'Result 22']);
    const entry = await p.$eval(`#entry-${posted.corrected}`, (el) => (el as HTMLElement).innerText);
    expect(entry).toMatch(/^\d\d:\d\d UTC · \d{1,2} \w{3} \d{4}\s+Updated \d\d:\d\d UTC\s+Link\s+Result 23, corrected\s+By Ana Ruiz\s+Body of result 23\.\s+Correction, \d\d:\d\d UTC: The count was wrong\.$/);
    expect(await p.isVisible(`#entry-${posted.key} .ll-tag`)).toBe(true);
    expect(await p.innerText('.ll-keys')).toMatch(/^KEY EVENTS\s+\d\d:\d\d UTCResult 20$/);
    expect(await p.getAttribute('.ll-keys a', 'href')).toBe(`#entry-${posted.key}`);
    // Buttons that need the script are not shown.
    for (const button of ['.ll-pause', '.ll-older', '.ll-more']) expect(await p.isVisible(button)).toBe(false);
  });

  it('with JavaScript: the widget takes the markup over before the first paint — the same elements, times in the reader\'s zone, no layout shift', async () => {
    const posted = await createFeed('takeover');
    const p = await suite.openPage(READER);
    const violations: string[] = [];
    p.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) violations.push(m.text());
    });
    // The bundle is held back until the page's elements are marked.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await p.route('**/sdk/liveline.js', async (route: Route) => {
      await held;
      await route.continue();
    });
    await p.goto(`${suite.app().url}/feeds/takeover`, { waitUntil: 'commit' });
    await p.waitForFunction(() => document.readyState !== 'loading' && document.querySelector('.ll-sr') !== null, undefined, POLL);
    const before = await p.evaluate(() => {
      const w = window as unknown as { marked: Element[] };
      w.marked = Array.from(document.querySelectorAll('.liveline *'));
      return {
        paints: performance.getEntriesByType('paint').length,
        clock: document.querySelector('.ll-list .ll-clock')?.textContent ?? '',
        elements: w.marked.length,
      };
    });
    expect(before.paints).toBe(0); // nothing painted while the (render-blocking) bundle is on its way
    expect(before.clock).toMatch(/^\d\d:\d\d UTC$/);
    release();
    await widgetLive(p);
    await painted(p);

    const after = await p.evaluate(() => {
      const { marked } = window as unknown as { marked: Element[] };
      const now = Array.from(document.querySelectorAll('.liveline *'));
      const kept = marked.filter((el) => !el.matches('script.ll-data'));
      return {
        sameElements: now.length === kept.length && now.every((el, i) => el === kept[i]),
        dataBlockGone: document.querySelector('script.ll-data') === null,
        paints: performance.getEntriesByType('paint').map((e) => e.name),
      };
    });
    expect(after).toEqual({ sameElements: true, dataBlockGone: true, paints: expect.arrayContaining(['first-contentful-paint']) });
    expect(before.elements).toBeGreaterThan(200);

    // Every time now reads as the reader's: New York, 12-hour clock, relative.
    const newest = await p.$eval('.ll-list article', (el) => ({
      at: el.querySelector('time')?.getAttribute('datetime') ?? '',
      clock: el.querySelector('.ll-clock')?.textContent,
      ago: el.querySelector('.ll-ago')?.textContent,
    }));
    const newYork = new Intl.DateTimeFormat('en-US', { hour: '2-digit', minute: '2-digit', timeZone: 'America/New_York' });
    expect(newest).toEqual({ at: expect.any(String), clock: newYork.format(new Date(newest.at)), ago: 'Just now' });
    expect(await p.$eval(`#entry-${posted.corrected} .ll-corr`, (el) => el.textContent)).toMatch(/^Correction, \d\d:\d\d [AP]M: The count was wrong\.$/);
    expect(await p.textContent('.ll-keys time')).toMatch(/^\d\d:\d\d [AP]M$/);

    // The browser saw no layout shift at all: cumulative layout shift 0.
    const shifts = await layoutShifts(p);
    expect(shifts).toEqual([]);
    expect(violations).toEqual([]);
  });

  it('the measurement is real: the same takeover after a first paint (no render-blocking) does shift the layout', async () => {
    await createFeed('control');
    const p = await suite.openPage(READER);
    const html = await (await fetch(`${suite.app().url}/feeds/control`)).text();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await p.route('**/sdk/liveline.js', async (route: Route) => {
      await held;
      await route.continue();
    });
    await p.goto(`${suite.app().url}/healthz`);
    await p.setContent(html.replace(' blocking="render"', ''), { waitUntil: 'commit' });
    // The server's markup is on screen before the bundle arrives.
    await p.waitForFunction(() => document.querySelector('.ll-sr') !== null, undefined, POLL);
    await painted(p);
    release();
    await widgetLive(p);
    await painted(p);
    const shifts = await layoutShifts(p);
    expect(shifts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('stays live after the takeover: new entries, edits, deletions, pins and the coverage\'s state appear', async () => {
    const posted = await createFeed('stays-live');
    const editor = api(suite.app());
    const p = await suite.openPage(READER);
    await p.goto(`${suite.app().url}/feeds/stays-live`);
    await widgetLive(p);

    const fresh = (await editor.postEntry('stays-live', 'Breaking: a new result')).entry;
    await p.waitForFunction(() => document.querySelector('.ll-list article .ll-hl')?.textContent === 'Breaking: a new result', undefined, WAIT);
    expect(await p.textContent('.ll-sr')).toBe(''); // announced after a second, not yet
    await editor.patch(`/v1/feeds/stays-live/entries/${posted.ids[23]}`, { headline: 'Result 24, edited', body: '<p>New figures.</p>' });
    await p.waitForFunction((id) => document.querySelector(`#entry-${id} .ll-hl`)?.textContent === 'Result 24, edited', posted.ids[23], WAIT);
    expect(await p.textContent(`#entry-${posted.ids[23]} .ll-body`)).toBe('New figures.');
    expect(await p.textContent(`#entry-${posted.ids[23]} .ll-upd`)).toMatch(/^Updated \d\d:\d\d [AP]M$/);
    await editor.delete(`/v1/feeds/stays-live/entries/${posted.ids[21]}`);
    await p.waitForSelector(`#entry-${posted.ids[21]}`, { state: 'detached', ...WAIT });
    await editor.patch(`/v1/feeds/stays-live/entries/${fresh.id}`, { pinned: true });
    await p.waitForSelector(`.ll-pinned #entry-${fresh.id}`, WAIT);
    expect(await headlines(p, '.ll-pinned')).toEqual(['Breaking: a new result', 'Result 3']);
    await editor.patch('/v1/feeds/stays-live', { status: 'ended', title: 'Results: final' });
    await p.waitForFunction(() => document.querySelector('.ll-notice')?.textContent === 'This live coverage has ended', undefined, WAIT);
    expect(await p.textContent('h1.ll-title')).toBe('Results: final');
    expect(await p.isHidden('.ll-badge')).toBe(true);
    expect(await p.isVisible('.ll-order')).toBe(true);
  });

  it('a permalink to an entry only on an older page (/feeds/X#entry-ID) loads older pages and scrolls it into view', async () => {
    const posted = await createFeed('permalink');
    const old = posted.ids[0] as string; // Result 1: the oldest of 23 unpinned entries, past the first page of 20
    const p = await suite.openPage(READER);
    await p.goto(`${suite.app().url}/feeds/permalink#entry-${old}`);
    await p.waitForFunction((id) => {
      const r = document.getElementById(`entry-${id}`)?.getBoundingClientRect();
      return r !== undefined && r.top >= -1 && r.bottom <= window.innerHeight + 1;
    }, old, WAIT);
    expect(await p.evaluate(() => window.scrollY)).toBeGreaterThan(0);
    expect(await p.textContent(`#entry-${old} .ll-hl`)).toBe('Result 1');
    expect(await headlines(p)).toHaveLength(23); // every unpinned entry, each once
  });

  it('the server\'s markup is the widget\'s own DOM: an embed taken over equals a widget mounted on an empty element, to the character', async () => {
    await createFeed('same-dom');
    const fragment = await (await fetch(`${suite.app().url}/feeds/same-dom/embed`)).text();
    const p = await suite.openPage(READER);
    await p.goto(`${suite.app().url}/healthz`);
    await p.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A CMS page</title></head>
<body><article id="cms">${fragment}</article><div id="plain"></div></body></html>`);
    await widgetLive(p);
    await p.evaluate(() => (window as unknown as { Liveline: { mount(el: Element | null, o: object): void } }).Liveline.mount(document.getElementById('plain'), { feed: 'same-dom' }));
    await p.waitForFunction(() => document.querySelectorAll('#plain article').length === 21 && document.querySelector('#plain .ll-conn')?.textContent === '', undefined, WAIT);
    const [embedded, mounted] = await p.evaluate(() => [document.querySelector('#cms .liveline')?.innerHTML, document.getElementById('plain')?.innerHTML]);
    expect(embedded).toContain('Result 23, corrected');
    expect(embedded).toBe(mounted);
  });
});

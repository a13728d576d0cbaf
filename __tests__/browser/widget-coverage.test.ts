/**
 * The coverage lifecycle in the drop-in widget, in headless Chromium against a real server:
 * a feed goes scheduled → live → ended through feed.updated events and the widget shows each
 * state in one status line (spoken: role="status"); ended coverage offers "Oldest first",
 * which loads every remaining older page and then shows the whole story from its first
 * entry, pinned entries still on top.
 *
 * The page runs in a fixed time zone (Asia/Tokyo, no daylight saving) with its clock fixed
 * on 5 November 2030, noon, so "today" and "20:00" are the same on every machine.
 */
import type { Page } from 'playwright-core';
import type { Entry, WidgetHandle } from '../../client-sdk/src';
import { widgetSuite } from '../helpers/browser';
import { entry, snapshot } from '../helpers/fake-websocket';
import { PageFeedServer } from '../helpers/page-feed-server';
import { api } from '../helpers/test-app';

type TW = Window & { w: WidgetHandle; tops: string[]; busy: Array<string | null> };

const WAIT = { timeout: 10_000 };
const NOW = new Date('2030-11-05T12:00:00+09:00');

const suite = widgetSuite();

/**
 * Mounts the widget for `feed` with `mountOptions` (a JS object literal) on a page in Tokyo
 * at NOW, the feed served by the real app unless a fake `server` is given; resolves once live.
 */
async function openWidget(feed: string, mountOptions = '{}', server?: PageFeedServer): Promise<Page> {
  const p = await suite.openPage({ timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
  await server?.install(p);
  await p.clock.setFixedTime(NOW);
  await p.goto(`${suite.app().url}/healthz`);
  await p.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Coverage</title>
<style>body { margin: 0 auto; max-width: 40rem; font: 16px/1.5 sans-serif; }</style></head>
<body><div id="w"></div><script src="/sdk/liveline.js"></script>
<script>window.w = Liveline.mount(document.getElementById('w'), Object.assign({ feed: ${JSON.stringify(feed)}, locale: 'en-GB' }, ${mountOptions}));</script>
</body></html>`);
  await p.waitForFunction(() => (window as unknown as TW).w.subscription.state === 'live', undefined, WAIT);
  return p;
}

/** The status line as a reader sees it (hidden parts left out). */
const stateText = (p: Page): Promise<string> => p.$eval('.ll-state', (el) => (el as HTMLElement).innerText.trim());

async function stateIs(p: Page, text: string): Promise<void> {
  await p.waitForFunction((want) => (document.querySelector('.ll-state') as HTMLElement | null)?.innerText.trim() === want, text, WAIT);
}

/** Headlines of the entries list (not the pinned area), top to bottom. */
const listHeadlines = (p: Page): Promise<string[]> => p.$$eval('.ll-list article .ll-hl', (els) => els.map((e) => e.textContent ?? ''));

async function listIs(p: Page, expected: string[]): Promise<void> {
  await p.waitForFunction(
    (want) => JSON.stringify(Array.from(document.querySelectorAll('.ll-list article .ll-hl'), (e) => e.textContent)) === want,
    JSON.stringify(expected),
    WAIT,
  );
}

const listTop = (p: Page): Promise<number> => p.$eval('.ll-list', (el) => el.getBoundingClientRect().top);

describe('the coverage lifecycle in the widget (Chromium)', () => {
  it('scheduled → live → ended through feed.updated, each state shown in place; "Oldest first" shows the whole story in ascending order, and back', async () => {
    const editor = api(suite.app());
    await editor.createFeed('coverage', { status: 'scheduled' });
    const total = 130;
    for (let i = 1; i <= total; i++) {
      await editor.postEntry('coverage', `Entry ${i}`, { ...(i === 5 ? { pinned: true } : {}), ...(i === 3 || i === 128 ? { keyEvent: true } : {}) });
    }
    const p = await openWidget('coverage');
    const pageRequests: string[] = [];
    p.on('request', (r) => {
      if (r.url().includes('/entries?before=')) pageRequests.push(new URL(r.url()).searchParams.get('limit') ?? '');
    });

    // Scheduled, without a start time.
    expect(await p.getAttribute('.ll-state', 'role')).toBe('status');
    await stateIs(p, 'Live coverage has not started yet');
    expect(await p.isHidden('.ll-badge')).toBe(true);
    expect(await p.isVisible('.ll-pause')).toBe(true);
    expect(await p.isHidden('.ll-order')).toBe(true);
    const top = await listTop(p);

    // With a start time today, then tomorrow (the day is named), in the reader's time zone.
    expect((await editor.patch('/v1/feeds/coverage', { startsAt: '2030-11-05T11:00:00Z' })).status).toBe(200);
    await stateIs(p, 'Live coverage begins at 20:00');
    expect((await editor.patch('/v1/feeds/coverage', { startsAt: '2030-11-06T20:00:00+09:00' })).status).toBe(200);
    await stateIs(p, 'Live coverage begins on Wednesday 6 November at 20:00');
    expect(await listTop(p)).toBe(top);

    // Live: the LIVE badge, in the same line.
    expect((await editor.patch('/v1/feeds/coverage', { status: 'live' })).status).toBe(200);
    await stateIs(p, 'LIVE');
    expect(await p.isVisible('.ll-badge')).toBe(true);
    expect(await p.isHidden('.ll-notice')).toBe(true);
    expect(await listTop(p)).toBe(top);

    // Ended: the sentence, and the order toggle where the pause button was.
    expect((await editor.patch('/v1/feeds/coverage', { status: 'ended' })).status).toBe(200);
    await stateIs(p, 'This live coverage has ended');
    expect(await p.isHidden('.ll-badge')).toBe(true);
    expect(await p.isHidden('.ll-pause')).toBe(true);
    expect(await p.isVisible('.ll-order')).toBe(true);
    expect(await p.textContent('.ll-order')).toBe('Oldest first');
    expect(await p.getAttribute('.ll-order', 'aria-pressed')).toBe('false');
    expect(await listTop(p)).toBe(top);

    const newestFirst = (n: number): string[] => Array.from({ length: n }, (_, i) => `Entry ${n - i}`).filter((h) => h !== 'Entry 5');
    await listIs(p, newestFirst(total).slice(0, 20));
    expect(await p.textContent('.ll-pinned')).toContain('Entry 5');
    expect(await p.$$eval('.ll-keys li', (els) => els.map((e) => e.textContent))).toEqual([expect.stringContaining('Entry 128')]);

    // What the top of the list shows, and the list's aria-busy, through every change from here on.
    await p.evaluate(() => {
      const tw = window as unknown as TW;
      const list = document.querySelector('.ll-list') as HTMLElement;
      tw.tops = [];
      tw.busy = [];
      const note = (): void => {
        const first = list.querySelector('article .ll-hl')?.textContent ?? '';
        if (tw.tops[tw.tops.length - 1] !== first) tw.tops.push(first);
        const busy = list.getAttribute('aria-busy');
        if (tw.busy[tw.busy.length - 1] !== busy) tw.busy.push(busy);
      };
      note();
      new MutationObserver(note).observe(list, { childList: true, attributes: true, attributeFilter: ['aria-busy'] });
    });

    // Oldest first: every remaining older page is loaded (109 entries: pages of 100, in order),
    // then the list turns at once; pinned entries stay on top; key events follow the order.
    await p.click('.ll-order');
    expect(await p.getAttribute('.ll-order', 'aria-pressed')).toBe('true');
    const oldestFirst = newestFirst(total).reverse();
    await listIs(p, oldestFirst);
    expect(pageRequests).toEqual(['100', '100']);
    expect(await p.evaluate(() => (window as unknown as TW).tops)).toEqual(['Entry 130', 'Entry 1']); // never a half-turned list
    expect(await p.evaluate(() => (window as unknown as TW).busy)).toEqual([null, 'true', null]);
    expect(await p.isHidden('.ll-older')).toBe(true);
    expect(await p.$$eval('.ll-pinned article .ll-hl', (els) => els.map((e) => e.textContent))).toEqual(['Entry 5']);
    const order = await p.$$eval('.ll-summary, .ll-pinned, .ll-list', (els) => els.filter((e) => !(e as HTMLElement).hidden).map((e) => e.getBoundingClientRect().top));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(await p.$$eval('.ll-keys li', (els) => els.map((e) => e.textContent))).toEqual([
      expect.stringContaining('Entry 3'), expect.stringContaining('Entry 128'),
    ]);
    expect(new Set(await p.$$eval('#w article', (els) => els.map((e) => e.id))).size).toBe(total);

    // And back: newest first, everything still there, nothing loaded again.
    await p.click('.ll-order');
    expect(await p.getAttribute('.ll-order', 'aria-pressed')).toBe('false');
    await listIs(p, newestFirst(total));
    expect(pageRequests).toHaveLength(2);
    expect(await p.$$eval('.ll-keys li', (els) => els.map((e) => e.textContent))).toEqual([
      expect.stringContaining('Entry 128'), expect.stringContaining('Entry 3'),
    ]);

    // Oldest first again, then the desk reopens the coverage: live again, newest first, no toggle.
    await p.click('.ll-order');
    await listIs(p, oldestFirst);
    expect((await editor.patch('/v1/feeds/coverage', { status: 'live' })).status).toBe(200);
    await stateIs(p, 'LIVE');
    await listIs(p, newestFirst(total));
    expect(await p.isHidden('.ll-order')).toBe(true);
    expect(await p.getAttribute('.ll-order', 'aria-pressed')).toBe('false');
    expect(await p.isVisible('.ll-pause')).toBe(true);
    await editor.postEntry('coverage', 'Back on air');
    await p.waitForFunction(() => document.querySelector('.ll-list .ll-hl')?.textContent === 'Back on air', undefined, WAIT);
    expect((await listHeadlines(p)).slice(0, 2)).toEqual(['Back on air', `Entry ${total}`]);
  });

  it('says it through the labels and the locale it is given (a translation)', async () => {
    const editor = api(suite.app());
    await editor.createFeed('translated', { status: 'scheduled', startsAt: '2030-11-06T11:00:00Z' });
    await editor.postEntry('translated', 'Erster Eintrag');
    const p = await openWidget('translated', `{
      locale: 'de',
      labels: {
        live: 'LIVE',
        coverageBegins: (time, date) => 'Live-Berichterstattung ab ' + (date ? date + ', ' : '') + time + ' Uhr',
        coverageNotStarted: 'Die Live-Berichterstattung hat noch nicht begonnen',
        coverageEnded: 'Die Live-Berichterstattung ist beendet',
        oldestFirst: 'Älteste zuerst',
      },
    }`);
    await stateIs(p, 'Live-Berichterstattung ab Mittwoch, 6. November, 20:00 Uhr');
    await editor.patch('/v1/feeds/translated', { startsAt: null });
    await stateIs(p, 'Die Live-Berichterstattung hat noch nicht begonnen');
    await editor.patch('/v1/feeds/translated', { status: 'ended' });
    await stateIs(p, 'Die Live-Berichterstattung ist beendet');
    expect(await p.textContent('.ll-order')).toBe('Älteste zuerst');
    expect(await stateText(p)).toBe('Die Live-Berichterstattung ist beendet');
  });

  it('"Oldest first" on a longer story than it loads at once: it stops after 20 pages of 100, shows them oldest first, and offers the earlier ones at the top', async () => {
    // A fake server with no end of older pages: entry k was published k minutes before the newest.
    const newest = Date.UTC(2024, 10, 5, 20, 0);
    const story = (k: number): Entry => {
      const at = new Date(newest - k * 60_000).toISOString();
      return entry(`k${k}`, { feedId: 'endless', headline: `E${k}`, publishedAt: at, updatedAt: at });
    };
    const range = (from: number, n: number): Entry[] => Array.from({ length: n }, (_, i) => story(from + i));
    const ended = snapshot(100, 'e1', 'endless', range(0, 20));
    const server = new PageFeedServer('endless', { ...ended, feed: { ...ended.feed, id: 'endless', status: 'ended' }, nextBefore: '20' });
    server.olderPage = (before, limit) => ({ entries: range(Number(before), limit), nextBefore: String(Number(before) + limit) });
    const p = await openWidget('endless', '{}', server);
    await stateIs(p, 'This live coverage has ended');

    await p.click('.ll-order');
    await p.waitForFunction(() => document.querySelector('.ll-list .ll-hl')?.textContent === 'E2019', undefined, WAIT);
    expect(server.pageRequests).toEqual(Array.from({ length: 20 }, (_, i) => ({ before: String(20 + 100 * i), limit: 100 })));
    expect(await p.$$eval('.ll-list article', (els) => els.length)).toBe(2020);
    const heads = await listHeadlines(p);
    expect(heads.slice(0, 2)).toEqual(['E2019', 'E2018']);
    expect(heads.slice(-2)).toEqual(['E1', 'E0']);
    expect(await p.getAttribute('.ll-list', 'aria-busy')).toBeNull();
    // The earlier entries are offered where they would go: above the list.
    expect(await p.isVisible('.ll-older')).toBe(true);
    const [button, list] = await p.$$eval('.ll-older, .ll-list', (els) => els.map((e) => e.getBoundingClientRect().top));
    expect(button).toBeLessThan(list as number);

    await p.click('.ll-older');
    await p.waitForFunction(() => document.querySelector('.ll-list .ll-hl')?.textContent === 'E2039', undefined, WAIT);
    expect(server.pageRequests.at(-1)).toEqual({ before: '2020', limit: 20 });
    expect((await listHeadlines(p)).slice(0, 21)).toEqual([...Array.from({ length: 20 }, (_, i) => `E${2039 - i}`), 'E2019']);
  });
});

/**
 * "Two rapid edits whose events reach a reader in the wrong order never leave that reader on
 * the older revision", for the drop-in widget in headless Chromium. The widget's bundle and
 * page come from a real server; its feed comes from a fake one in the page's network
 * (Playwright routes for the snapshot and older pages, a routed WebSocket for the events),
 * so the test can deliver what a real server would not: revision 3 of an entry, then
 * revision 2 with a higher seq; a "Load older" page and a reloaded snapshot that carry
 * stale copies. Every check waits on the DOM.
 *
 * And against a real server of its own, with the reordering injected at its broker (as
 * e2e/revision-order.test.ts does for a raw WebSocket reader and an SDK reader): two rapid
 * edits announced in the wrong order, and the widget still ends on the newer revision
 * without ever showing the older one after it.
 */
import type { Page } from 'playwright-core';
import type { RunningApp } from '../../server/app';
import { createMemoryBackend, type Backend } from '../../server/backend';
import type { Entry, WidgetHandle } from '../../client-sdk/src';
import { entry, snapshot } from '../helpers/fake-websocket';
import { widgetSuite } from '../helpers/browser';
import { PageFeedServer } from '../helpers/page-feed-server';
import { reorderAnnouncements } from '../helpers/reordering-broker';
import { api, startTestApp } from '../helpers/test-app';

type TW = Window & {
  w: WidgetHandle;
  seen: Record<string, string[]>;
  /** Every (headline, body text) an entry's element showed, in order, as the DOM changed. */
  renders: Record<string, Array<{ headline: string; body: string }>>;
};

const WAIT = { timeout: 10_000 };
const FEED = 'reorder';

const at = (minute: number): string => new Date(Date.UTC(2024, 10, 5, 20, minute)).toISOString();
const version = (id: string, revision: number, publishedMinute: number): Entry =>
  entry(id, {
    feedId: FEED, revision, headline: `${id}: revision ${revision}`, body: `<p>Text of ${id}, revision ${revision}.</p>`,
    publishedAt: at(publishedMinute), updatedAt: at(publishedMinute + revision),
  });

const suite = widgetSuite();

/** Opens the widget on the app's origin against `server`; resolves once it is live. */
async function openWidget(server: PageFeedServer): Promise<Page> {
  const p = await suite.openPage();
  await server.install(p);
  await p.goto(`${suite.app().url}/healthz`);
  await p.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Revisions</title></head>
<body><div id="w"></div><script src="/sdk/liveline.js"></script>
<script>window.w = Liveline.mount(document.getElementById('w'), { feed: ${JSON.stringify(FEED)} });</script></body></html>`);
  await p.waitForFunction(() => (window as unknown as TW).w.subscription.state === 'live', undefined, WAIT);
  // Every headline each watched entry ever showed, in order, as the DOM changed.
  await p.evaluate(() => {
    const tw = window as unknown as TW;
    tw.seen = {};
    const note = (): void => {
      for (const el of Array.from(document.querySelectorAll('#w article'))) {
        const text = el.querySelector('.ll-hl')?.textContent ?? '';
        const list = (tw.seen[el.id] ??= []);
        if (list[list.length - 1] !== text) list.push(text);
      }
    };
    note();
    new MutationObserver(note).observe(document.getElementById('w') as HTMLElement, { childList: true, subtree: true, characterData: true });
  });
  return p;
}

const nonDecreasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x >= (xs[i - 1] as number));
const headlineOf = (p: Page, id: string): Promise<string | null> => p.textContent(`#entry-${id} .ll-hl`);
const seenOf = (p: Page, id: string): Promise<string[]> => p.evaluate((el) => (window as unknown as TW).seen[el] ?? [], `entry-${id}`);

describe('the widget never shows an older revision after a newer one (Chromium)', () => {
  it('entry.updated revision 3 then revision 2 (increasing seqs), a stale "Load older" page and a stale snapshot reload: the DOM stays on the newest revision', async () => {
    const server = new PageFeedServer(FEED, {
      ...snapshot(10, 'e1', FEED, [version('a', 1, 30)]),
      nextBefore: at(30),
    });
    const p = await openWidget(server);
    expect(await headlineOf(p, 'a')).toBe('a: revision 1');

    // Two rapid edits whose events arrive in the wrong order, then an edit of an entry that
    // isn't loaded yet (it is on the older page), then a new entry as a fence.
    server.emit('entry.updated', version('a', 3, 30));
    server.emit('entry.updated', version('a', 2, 30));
    server.emit('entry.updated', version('old', 2, 10));
    server.emit('entry.created', { ...version('marker', 1, 40), headline: 'Marker' });
    await p.waitForSelector('#entry-marker', { state: 'attached', ...WAIT });
    expect(await headlineOf(p, 'a')).toBe('a: revision 3');
    expect(await p.textContent('#entry-a .ll-body')).toBe('Text of a, revision 3.');
    expect(await seenOf(p, 'a')).toEqual(['a: revision 1', 'a: revision 3']);
    expect(await p.$('#entry-old')).toBeNull();

    // "Load older" brings an older copy of the entry edited meanwhile: the newer one is shown.
    server.olderPage = () => ({ entries: [version('old', 1, 10)], nextBefore: null });
    await p.click('.ll-older');
    await p.waitForSelector('#entry-old', { state: 'attached', ...WAIT });
    expect(await headlineOf(p, 'old')).toBe('old: revision 2');
    expect(await seenOf(p, 'old')).toEqual(['old: revision 2']);

    // The server can't resume this reader; the snapshot it reloads was read before the edits.
    server.snapshot = {
      ...snapshot(server.head, 'e1', FEED, [{ ...version('marker', 1, 40), headline: 'Marker' }, version('a', 2, 30), version('old', 1, 10)]),
      feed: { ...snapshot(0).feed, id: FEED, title: 'Reloaded' },
    };
    server.send({ type: 'reset', feed: FEED, reason: 'history_expired' });
    await p.waitForFunction(() => document.querySelector('.ll-title')?.textContent === 'Reloaded', undefined, WAIT);
    await p.waitForFunction(() => (window as unknown as TW).w.subscription.state === 'live', undefined, WAIT);
    expect(server.subscribes.map((f) => f.since)).toEqual([10, server.head]);
    expect(await headlineOf(p, 'a')).toBe('a: revision 3');
    expect(await headlineOf(p, 'old')).toBe('old: revision 2');
    expect(await seenOf(p, 'a')).toEqual(['a: revision 1', 'a: revision 3']);
    expect(await seenOf(p, 'old')).toEqual(['old: revision 2']);

    // And the next real edit still goes through.
    server.emit('entry.updated', version('a', 4, 30));
    await p.waitForFunction(() => document.querySelector('#entry-a .ll-hl')?.textContent === 'a: revision 4', undefined, WAIT);
  });
});

describe('the widget never shows an older revision after a newer one, with the reordering injected at a real server\'s broker (Chromium)', () => {
  let app: RunningApp | null = null;
  let backend: Backend | null = null;
  let page: Page | null = null;

  afterEach(async () => {
    // The page first, so the widget doesn't see its server go away mid-test.
    await page?.close();
    page = null;
    await app?.close();
    app = null;
    await backend?.close();
    backend = null;
  });

  it('two rapid edits announced in the wrong order: the widget ends on revision 3 and never shows an older revision after a newer one', async () => {
    backend = createMemoryBackend({ historySize: 1000 }, (err) => {
      throw err;
    });
    const reorder = reorderAnnouncements(backend.broker);
    app = await startTestApp({}, { backend });
    const http = api(app);
    await http.createFeed(FEED);
    // Another subscriber of the broker, to see the order announcements really arrive in.
    const heard: number[] = [];
    await backend.broker.subscribe(FEED, { announce: (head) => heard.push(head.seq), resync: () => undefined });

    // The widget on a page of this app's origin, loaded from its /sdk/liveline.js.
    const p = await suite.openPage();
    page = p;
    await p.goto(`${app.url}/healthz`);
    await p.setContent(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Revisions</title></head>
<body><div id="w"></div><script src="/sdk/liveline.js"></script>
<script>window.w = Liveline.mount(document.getElementById('w'), { feed: ${JSON.stringify(FEED)} });</script></body></html>`);
    await p.waitForFunction(() => (window as unknown as TW).w.subscription.state === 'live', undefined, WAIT);

    const { entry: posted, seq: head } = await http.postEntry(FEED, 'Turnout 61%', { body: '<p>First count.</p>' });
    const sel = `#entry-${posted.id}`;
    await p.waitForFunction((s) => document.querySelector(`${s} .ll-hl`)?.textContent === 'Turnout 61%', sel, WAIT);

    // Every headline and body the entry's element shows from now on, in order.
    await p.evaluate((id) => {
      const tw = window as unknown as TW;
      tw.renders = {};
      const note = (): void => {
        const el = document.getElementById(id);
        if (!el) return;
        const now = { headline: el.querySelector('.ll-hl')?.textContent ?? '', body: el.querySelector('.ll-body')?.textContent ?? '' };
        const list = (tw.renders[id] ??= []);
        const last = list[list.length - 1];
        if (last?.headline !== now.headline || last.body !== now.body) list.push(now);
      };
      note();
      new MutationObserver(note).observe(document.getElementById('w') as HTMLElement, { childList: true, subtree: true, characterData: true });
    }, `entry-${posted.id}`);

    // Two rapid edits, the first one's announcement held back until the second's is out.
    reorder.hold();
    const second = await http.patch(`/v1/feeds/${FEED}/entries/${posted.id}`, { headline: 'Turnout 62%', body: '<p>Second count.</p>' });
    const third = await http.patch(`/v1/feeds/${FEED}/entries/${posted.id}`, { headline: 'Turnout 63%', body: '<p>Third count.</p>' });
    expect([second.status, third.status]).toEqual([200, 200]);
    expect(second.body).toMatchObject({ entry: { revision: 2 } });
    expect(third.body).toMatchObject({ entry: { revision: 3 } });
    // A fence: once the widget shows this, everything about the two edits has reached it.
    const marker = await http.postEntry(FEED, 'Marker');
    expect(marker.seq).toBe(head + 3);
    await p.waitForFunction((s) => document.querySelector(`${s} .ll-hl`)?.textContent === 'Marker', `#entry-${marker.entry.id}`, WAIT);

    // The broker really delivered them out of order…
    expect(reorder.order.slice(-3)).toEqual([head + 2, head + 1, head + 3]);
    expect(heard.slice(-3)).toEqual([head + 2, head + 1, head + 3]);
    // …and the widget shows revision 3…
    expect(await p.textContent(`${sel} .ll-hl`)).toBe('Turnout 63%');
    expect(await p.textContent(`${sel} .ll-body`)).toBe('Third count.');
    // …having never gone back from a newer revision to an older one.
    const revisionByHeadline: Record<string, number> = { 'Turnout 61%': 1, 'Turnout 62%': 2, 'Turnout 63%': 3 };
    const revisionByBody: Record<string, number> = { 'First count.': 1, 'Second count.': 2, 'Third count.': 3 };
    const renders = await p.evaluate((id) => (window as unknown as TW).renders[id] ?? [], `entry-${posted.id}`);
    const headlines = renders.map((r) => revisionByHeadline[r.headline] ?? -1);
    const bodies = renders.map((r) => revisionByBody[r.body] ?? -1);
    expect(headlines[0]).toBe(1);
    expect(headlines.at(-1)).toBe(3);
    expect(nonDecreasing(headlines)).toBe(true);
    expect(bodies.at(-1)).toBe(3);
    expect(nonDecreasing(bodies)).toBe(true);
    expect(headlines).toEqual(bodies); // each render showed one revision's headline and body together
  });
});

/**
 * "Two rapid edits whose events reach a reader in the wrong order never leave that reader on
 * the older revision", for the drop-in widget in headless Chromium. The widget's bundle and
 * page come from a real server; its feed comes from a fake one in the page's network
 * (Playwright routes for the snapshot and older pages, a routed WebSocket for the events),
 * so the test can deliver what a real server would not: revision 3 of an entry, then
 * revision 2 with a higher seq; a "Load older" page and a reloaded snapshot that carry
 * stale copies. Every check waits on the DOM.
 */
import type { Page } from 'playwright-core';
import type { Entry, WidgetHandle } from '../../client-sdk/src';
import { entry, snapshot } from '../helpers/fake-websocket';
import { widgetSuite } from '../helpers/browser';
import { PageFeedServer } from '../helpers/page-feed-server';

type TW = Window & { w: WidgetHandle; seen: Record<string, string[]> };

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

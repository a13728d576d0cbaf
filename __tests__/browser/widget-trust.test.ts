/**
 * "The widget trusts only its own server", in real headless Chromium. Three loopback
 * servers: the newsroom's page server (plain HTTP, serving the test pages), Liveline server
 * A (the page's <script src> comes from it) and Liveline server B, reached through a TCP
 * relay that counts every connection the browser opens to it, so "B was never contacted"
 * is checked on B's side too, not only from the page's request log.
 *
 * What a web developer gets: a `data-liveline-url` on another origin than the script's is
 * ignored unless the page allowed that origin in code; the widget then shows the feed from
 * the script's server (as if the attribute were absent) and console.warn says why and how
 * to allow it. Code (`Liveline.allowServers`, `window.LivelineConfig`, `Liveline.mount(el,
 * { url })`) is trusted. HTML that reached the SDK by a redirect is never shown.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../server/app';
import type { WidgetHandle } from '../../client-sdk/src';
import { launchBrowser, newPage } from '../helpers/browser';
import { api, startTestApp } from '../helpers/test-app';
import { TcpBalancer } from '../helpers/tcp-balancer';

/** What the test pages put on window (the cast is erased: page functions run as plain JS). */
type TW = Window & {
  w: WidgetHandle;
  codes: string[];
  Liveline: { allowServers(servers: string[]): void };
};

const WAIT = { timeout: 10_000 };

let browser: Browser;
let a: RunningApp;
let b: RunningApp;
/** B as the browser reaches it: through this relay, which counts connections. */
let bRelay: TcpBalancer;
let bConnections = 0;
/** The newsroom's own web server: pages by path, plus a few misbehaving "Liveline servers" under /bad-*. */
let site: Server;
let siteUrl = '';
const pages = new Map<string, string>();
let page: Page | null = null;
let errors: string[] = [];
let warnings: string[] = [];
/** Every URL the page requested (HTTP and WebSocket). */
let requested: string[] = [];
/** Every URL that answered the page (HTTP responses, and WebSockets as requested). */
let answered: string[] = [];
let feedNo = 0;

const portOf = (server: Server): number => (server.address() as AddressInfo).port;
const hostOf = (url: string): string => new URL(url).host;

/** A well-formed snapshot of `feed` with one entry and more to page through, as a misbehaving server might serve it. */
function fakeSnapshot(feed: string): object {
  const at = '2024-11-05T20:00:00.000Z';
  return {
    feed: { id: feed, title: 'Served by the page server', description: '', status: 'live', summary: null, createdAt: at, updatedAt: at, startsAt: null, coverageStartedAt: at, coverageEndedAt: null },
    entries: [{ id: 'e1', feedId: feed, headline: 'Only entry', body: '<p>x</p>', authors: [], tags: [], pinned: false, keyEvent: false, publishedAt: at, updatedAt: at }],
    nextBefore: at,
    seq: 1,
    epoch: 'x',
  };
}

function siteHandler(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const html = pages.get(path);
  if (html !== undefined) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
    return;
  }
  // /bad-snapshot: every API request is redirected to B.
  // /bad-older: a good snapshot, but "Load older" pages are redirected to B.
  // /bad-stream: refuses WebSockets (no upgrade handler) so the SDK falls back to SSE, and redirects the stream to B.
  const [, kind = '', rest = ''] = /^\/bad-(snapshot|older|stream)(\/.*)$/.exec(path) ?? [];
  const redirect = (): void => {
    res.writeHead(302, { location: `${bRelay.url}${rest}`, 'access-control-allow-origin': '*' });
    res.end();
  };
  const json = (body: object): void => {
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    res.end(JSON.stringify(body));
  };
  const feed = /^\/v1\/feeds\/([a-z0-9-]+)/.exec(rest)?.[1] ?? '';
  if (kind === 'snapshot') return redirect();
  if (kind && rest === '/healthz') return json({ status: 'ok' });
  if (kind && rest === `/v1/feeds/${feed}`) return json(fakeSnapshot(feed));
  if (kind === 'older' && rest.endsWith('/entries')) return redirect();
  if (kind === 'stream' && rest.endsWith('/stream')) return redirect();
  res.writeHead(404).end();
}

beforeAll(async () => {
  browser = await launchBrowser();
  [a, b] = await Promise.all([startTestApp(), startTestApp()]);
  bRelay = await TcpBalancer.start(() => {
    bConnections++; // called once for every connection the relay routes to B
    return [b.port];
  });
  site = createServer(siteHandler);
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${portOf(site)}`;
});

afterAll(async () => {
  await browser.close();
  await bRelay.close();
  await new Promise((resolve) => site.close(resolve));
  await Promise.all([a.close(), b.close()]);
});

beforeEach(() => {
  errors = [];
  warnings = [];
  requested = [];
  answered = [];
  pages.clear();
});

afterEach(async () => {
  await page?.close();
  page = null;
});

/** A feed id new to this test, created on both servers with a title and a first entry naming the server. */
async function newFeed(): Promise<string> {
  const feed = `trust-${++feedNo}`;
  for (const [name, app] of [['A', a], ['B', b]] as const) {
    await api(app).createFeed(feed, { title: `${name}: ${feed}` });
    await api(app).postEntry(feed, `${name} first`);
  }
  return feed;
}

/** Opens `body` as a page of the newsroom's site, recording requests, warnings and page errors. */
async function open(body: string): Promise<Page> {
  const path = `/page-${feedNo}-${pages.size}`;
  pages.set(path, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trust test</title></head><body>${body}</body></html>`);
  const p = await newPage(browser, errors);
  page = p;
  p.on('request', (r) => requested.push(r.url()));
  p.on('response', (r) => answered.push(r.url()));
  p.on('websocket', (ws) => {
    requested.push(ws.url());
    answered.push(ws.url());
  });
  p.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  await p.goto(`${siteUrl}${path}`);
  return p;
}

/** Waits until the widget's title is `title` and its list's headlines are `headlines`. */
async function shows(p: Page, title: string, headlines: string[]): Promise<void> {
  await p.waitForFunction(
    ([t, want]) =>
      document.querySelector('.ll-title')?.textContent === t &&
      JSON.stringify(Array.from(document.querySelectorAll('.ll-list article .ll-hl'), (e) => e.textContent)) === want,
    [title, JSON.stringify(headlines)] as const,
    WAIT,
  );
}

/** Requests the page made to the server at `url` (by host, so ws:// and http:// both count). */
const requestsTo = (url: string): string[] => requested.filter((r) => hostOf(r) === hostOf(url));
/**
 * Answers the page got from the server at `url`. (After a redirect, Chromium's devtools
 * protocol reports a request for its target even when `redirect: 'manual'` stops there and
 * nothing is sent; the relay's connection count shows that B really was never contacted.)
 */
const answersFrom = (url: string): string[] => answered.filter((r) => hostOf(r) === hostOf(url));

describe('auto-mount takes its server from markup only when code allowed it', () => {
  it('ignores a data-liveline-url on another origin: shows the feed from the script\'s server, warns, and never contacts B', async () => {
    const feed = await newFeed();
    const before = bConnections;
    const p = await open(`<div data-liveline-feed="${feed}" data-liveline-url="${bRelay.url}"></div>
<script src="${a.url}/sdk/liveline.js"></script>`);
    await shows(p, `A: ${feed}`, ['A first']);
    await api(a).postEntry(feed, 'A live'); // live from A, too
    await shows(p, `A: ${feed}`, ['A live', 'A first']);

    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`data-liveline-url="${bRelay.url}"`);
    expect(warnings[0]).toContain(`Liveline.allowServers(['${bRelay.url}'])`);
    expect(warnings[0]).toContain(`window.LivelineConfig = { servers: ['${bRelay.url}'] }`);
    expect(requestsTo(bRelay.url)).toEqual([]);
    expect(bConnections).toBe(before);
    expect(requestsTo(a.url).some((u) => u.includes(`/v1/feeds/${feed}`))).toBe(true);
    expect(errors).toEqual([]);
  });

  it('takes a data-liveline-url on the script\'s own origin without a word', async () => {
    const feed = await newFeed();
    const p = await open(`<div data-liveline-feed="${feed}" data-liveline-url="${a.url}/"></div>
<script src="${a.url}/sdk/liveline.js"></script>`);
    await shows(p, `A: ${feed}`, ['A first']);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('uses B when the page allows it with Liveline.allowServers() right after the script tag', async () => {
    const feed = await newFeed();
    const p = await open(`<div data-liveline-feed="${feed}" data-liveline-url="${bRelay.url}"></div>
<script src="${a.url}/sdk/liveline.js"></script>
<script>Liveline.allowServers([${JSON.stringify(bRelay.url)}]);</script>`);
    await shows(p, `B: ${feed}`, ['B first']);
    await api(b).postEntry(feed, 'B live');
    await shows(p, `B: ${feed}`, ['B live', 'B first']);
    expect(warnings).toEqual([]);
    expect(requestsTo(a.url)).toEqual([`${a.url}/sdk/liveline.js`]); // nothing of the feed from A
    expect(errors).toEqual([]);
  });

  it('uses B when window.LivelineConfig allows it before an async script tag', async () => {
    const feed = await newFeed();
    const p = await open(`<script>window.LivelineConfig = { servers: [${JSON.stringify(bRelay.url)}] };</script>
<div data-liveline-feed="${feed}" data-liveline-url="${bRelay.url}"></div>
<script async src="${a.url}/sdk/liveline.js"></script>`);
    await shows(p, `B: ${feed}`, ['B first']);
    expect(warnings).toEqual([]);
    expect(requestsTo(a.url)).toEqual([`${a.url}/sdk/liveline.js`]);
    expect(errors).toEqual([]);
  });

  it('uses B when an ES module allows it right after importing liveline.mjs', async () => {
    const feed = await newFeed();
    const p = await open(`<div data-liveline-feed="${feed}" data-liveline-url="${bRelay.url}"></div>
<script type="module">
  import { allowServers } from ${JSON.stringify(`${a.url}/sdk/liveline.mjs`)};
  allowServers([${JSON.stringify(bRelay.url)}]);
</script>`);
    await shows(p, `B: ${feed}`, ['B first']);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('moves a widget to B when allowServers() comes after auto-mount', async () => {
    const feed = await newFeed();
    const before = bConnections;
    const p = await open(`<div data-liveline-feed="${feed}" data-liveline-url="${bRelay.url}"></div>
<script src="${a.url}/sdk/liveline.js"></script>`);
    await shows(p, `A: ${feed}`, ['A first']);
    expect(bConnections).toBe(before);
    await p.evaluate((url) => (window as unknown as TW).Liveline.allowServers([url]), bRelay.url);
    await shows(p, `B: ${feed}`, ['B first']);
    await api(b).postEntry(feed, 'B live');
    await shows(p, `B: ${feed}`, ['B live', 'B first']);
    expect(await p.$$('.liveline')).toHaveLength(1);
    expect(warnings).toHaveLength(1); // the one from auto-mount
    expect(errors).toEqual([]);
  });

  it('refuses a bad allowServers() call with a TypeError', async () => {
    await newFeed();
    const p = await open(`<script src="${a.url}/sdk/liveline.js"></script>`);
    const outcomes = await p.evaluate(() =>
      [['live.example.com'], 'https://live.example.com', [42], ['ftp://x.example']].map((arg) => {
        try {
          (window as unknown as TW).Liveline.allowServers(arg as string[]);
          return 'accepted';
        } catch (e) {
          return (e as Error).name;
        }
      }),
    );
    expect(outcomes).toEqual(['TypeError', 'TypeError', 'TypeError', 'TypeError']);
  });
});

describe('code is trusted', () => {
  it('Liveline.mount(el, { feed, url: B }) shows B, live', async () => {
    const feed = await newFeed();
    const p = await open(`<div id="w"></div>
<script src="${a.url}/sdk/liveline.js"></script>
<script>window.w = Liveline.mount(document.getElementById('w'), { feed: ${JSON.stringify(feed)}, url: ${JSON.stringify(bRelay.url)} });</script>`);
    await p.waitForFunction(() => (window as unknown as TW).w.subscription.state === 'live', undefined, WAIT);
    await shows(p, `B: ${feed}`, ['B first']);
    await api(b).postEntry(feed, 'B live');
    await shows(p, `B: ${feed}`, ['B live', 'B first']);
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('HTML reaches the page only from the configured server', () => {
  /** A widget mounted in code on `url` (a misbehaving server), its client's error codes recorded in window.codes. */
  const mountOn = (feed: string, url: string): string => `<div id="w"></div>
<script src="${a.url}/sdk/liveline.js"></script>
<script>
  window.codes = [];
  window.w = Liveline.mount(document.getElementById('w'), {
    feed: ${JSON.stringify(feed)}, url: ${JSON.stringify(url)},
    client: new Liveline.LiveClient({ url: ${JSON.stringify(url)}, minReconnectDelayMs: 50, maxReconnectDelayMs: 200 }),
  });
  window.w.client.on('error', (e) => window.codes.push(e.code));
</script>`;
  const codes = (p: Page): Promise<string[]> => p.evaluate(() => (window as unknown as TW).codes);

  it('a snapshot redirected to another origin is refused: nothing shown, and the browser never asks B', async () => {
    const feed = await newFeed();
    const before = bConnections;
    const p = await open(mountOn(feed, `${siteUrl}/bad-snapshot`));
    await p.waitForFunction(() => (window as unknown as TW).codes.filter((c) => c === 'untrusted_origin').length >= 2, undefined, WAIT); // and retried
    expect(await p.$$('.ll-list article')).toHaveLength(0);
    expect(await p.textContent('.ll-title')).toBe('');
    expect((await codes(p)).filter((c) => c === 'snapshot_failed')).toEqual([]);
    expect(answersFrom(bRelay.url)).toEqual([]);
    expect(bConnections).toBe(before);
    expect(errors).toEqual([]);
  });

  it('"Load older" redirected to another origin is refused: nothing added, the button says so, and B is never asked', async () => {
    const feed = await newFeed();
    const before = bConnections;
    const p = await open(mountOn(feed, `${siteUrl}/bad-older`));
    await shows(p, 'Served by the page server', ['Only entry']);
    // The refusal goes to the console (window.onerror) like any failed request of the page.
    const reported = p.waitForEvent('pageerror', WAIT);
    await p.click('.ll-older');
    expect((await reported).message).toMatch(/\/bad-older\/v1\/feeds\/.*\/entries.* was redirected.*only http:\/\/127\.0\.0\.1:\d+ is trusted/);
    await p.waitForSelector('.ll-older:has-text("Could not load older updates")', WAIT);
    await shows(p, 'Served by the page server', ['Only entry']);
    expect(answersFrom(bRelay.url)).toEqual([]);
    expect(bConnections).toBe(before);
    expect(errors).toHaveLength(1);
  });

  it('an SSE stream that a redirect sent to another origin delivers nothing and is reported', async () => {
    const feed = await newFeed();
    const p = await open(`<script src="${a.url}/sdk/liveline-core.js"></script>
<script>
  window.codes = [];
  window.seen = 0;
  const client = new Liveline.LiveClient({ url: ${JSON.stringify(`${siteUrl}/bad-stream`)}, minReconnectDelayMs: 50, maxReconnectDelayMs: 200 });
  client.on('error', (e) => window.codes.push(e.code));
  const sub = client.subscribe(${JSON.stringify(feed)});
  sub.on('event', () => window.seen++);
  sub.on('reset', () => window.seen++);
  client.connect();
  window.client = client;
</script>`);
    // WebSockets are refused, the SDK falls back to SSE, the stream is redirected to B. An
    // EventSource follows redirects by itself (B is asked; that can't be prevented), but the
    // SDK checks each message's origin: nothing from B is delivered, the drop is reported.
    await p.waitForFunction(() => (window as unknown as TW).codes.includes('untrusted_origin'), undefined, WAIT);
    expect(await p.evaluate(() => (window as unknown as TW & { seen: number }).seen)).toBe(0);
    expect(requested).toContain(`${siteUrl}/bad-stream/v1/feeds/${feed}/stream?since=1&epoch=x`);
    expect(errors).toEqual([]);
  });
});

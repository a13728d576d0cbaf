import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../server/app';
import { launchBrowser, newPage } from '../helpers/browser';
import { api, startTestApp } from '../helpers/test-app';
import { UpgradeProxy } from '../helpers/upgrade-proxy';

/** What the page's script puts on window (typed here, not as a global augmentation). */
interface PageGlobals {
  Liveline: typeof import('../../client-sdk/src/core');
  seen: number[];
  client: InstanceType<typeof import('../../client-sdk/src/core').LiveClient>;
  live: boolean;
}

describe('the SDK in Chromium behind a proxy that refuses WebSocket upgrades', () => {
  jest.setTimeout(30_000);
  let browser: Browser;
  let app: RunningApp;
  let proxy: UpgradeProxy;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser.close());

  beforeEach(async () => {
    app = await startTestApp();
    proxy = await UpgradeProxy.start(app.port);
    await api(app).createFeed('fallback');
    page = await newPage(browser, pageErrors);
    await page.goto(`${proxy.url}/healthz`); // any page of that origin
    await page.addScriptTag({ url: `${proxy.url}/sdk/liveline-core.js` });
  });

  afterEach(async () => {
    await page.close();
    await proxy.close();
    await app.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  /** Starts a reader in the page, recording the seq of every event it delivers. */
  async function startReader(): Promise<void> {
    await page.evaluate((url) => {
      const w = window as unknown as PageGlobals;
      w.seen = [];
      w.client = new w.Liveline.LiveClient({ url, minReconnectDelayMs: 50, maxReconnectDelayMs: 200 });
      w.live = false;
      const sub = w.client.subscribe('fallback');
      sub.on('event', (e) => w.seen.push(e.seq));
      sub.on('state', (state) => {
        w.live = state === 'live';
      });
      w.client.connect();
    }, proxy.url);
    // Entries posted before the snapshot loads would arrive in it, not as events.
    await page.waitForFunction(() => (window as unknown as PageGlobals).live);
  }

  const seen = (n: number) => page.waitForFunction((count) => (window as unknown as PageGlobals).seen.length >= count, n, { timeout: 10_000 });

  it('falls back to SSE when upgrades are refused from the start, and keeps receiving', async () => {
    proxy.allowUpgrades = false;
    await startReader();
    await page.waitForFunction(() => (window as unknown as PageGlobals).client.transport === 'sse' && (window as unknown as PageGlobals).client.state === 'connected');
    for (let i = 1; i <= 5; i++) await api(app).postEntry('fallback', `entry ${i}`);
    await seen(5);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).seen)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps its place across the switch from WebSocket to SSE: nothing missed, nothing twice', async () => {
    await startReader();
    for (let i = 1; i <= 3; i++) await api(app).postEntry('fallback', `ws ${i}`);
    await seen(3);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).client.transport)).toBe('websocket');

    proxy.allowUpgrades = false; // the proxy now refuses upgrades, and cuts the open socket
    proxy.dropUpgraded();
    for (let i = 4; i <= 6; i++) await api(app).postEntry('fallback', `while switching ${i}`);
    await page.waitForFunction(() => (window as unknown as PageGlobals).client.transport === 'sse');
    for (let i = 7; i <= 8; i++) await api(app).postEntry('fallback', `sse ${i}`);
    await seen(8);
    expect(await page.evaluate(() => (window as unknown as PageGlobals).seen)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

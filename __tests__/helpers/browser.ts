import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import type { RunningApp } from '../../server/app';
import { startTestApp } from './test-app';

/**
 * Debian's Chromium, headless, driven by playwright-core (no downloaded browser). The
 * flags keep it off the network: this machine allows loopback only.
 */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
    ],
  });
}

/** A new page that fails the test on any uncaught page error. */
export async function newPage(browser: Browser, errors: string[] = []): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => errors.push(err.message));
  return page;
}

export interface WidgetSuite {
  readonly app: () => RunningApp;
  /** A page for this test (closed after it), failing the test on any uncaught page error. */
  openPage(options?: BrowserContextOptions): Promise<Page>;
}

/**
 * One browser and one embedded app for a test file, and a fresh page per test: the hooks
 * every widget test file needs, registered once.
 */
export function widgetSuite(): WidgetSuite {
  let browser: Browser;
  let app: RunningApp;
  let page: Page | null = null;
  let errors: string[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
    app = await startTestApp();
  });
  afterAll(async () => {
    await browser.close();
    await app.close();
  });
  afterEach(async () => {
    await page?.close();
    page = null;
    expect(errors).toEqual([]);
    errors = [];
  });
  return {
    app: () => app,
    async openPage(options) {
      page = await browser.newPage(options);
      page.on('pageerror', (err) => errors.push(err.message));
      return page;
    },
  };
}

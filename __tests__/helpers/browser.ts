import { chromium, type Browser, type Page } from 'playwright-core';

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

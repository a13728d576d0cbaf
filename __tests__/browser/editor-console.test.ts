/**
 * The editor console at /editor in real headless Chromium, against a real server: what an
 * editor does and sees (sign in, create a feed, publish, correct, pin, resolve a conflict),
 * what a reader's page beside it shows meanwhile, that it works on a 375-pixel phone and
 * with the keyboard alone, and that its Content-Security-Policy holds (no violation).
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import type { RunningApp } from '../../server/app';
import type { WidgetHandle } from '../../client-sdk/src';
import { launchBrowser } from '../helpers/browser';
import { api, EDITOR_TOKEN, startTestApp } from '../helpers/test-app';

const WAIT = { timeout: 10_000 };

/** What the pages record on window (the cast is erased: page functions run as plain JS). */
type TW = Window & { __csp: string[]; w: WidgetHandle };

let browser: Browser;
let app: RunningApp;
let contexts: BrowserContext[] = [];
/** Uncaught page errors, console errors and CSP violations of every page of a test. */
let problems: string[] = [];
let pages: Page[] = [];
/** Requests the pages made that were refused (`412 /v1/feeds/…`): a test that expects some takes them out. */
let refused: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp();
});

afterAll(async () => {
  await browser.close();
  await app.close();
});

afterEach(async () => {
  for (const p of pages) problems.push(...(await p.evaluate(() => (window as unknown as TW).__csp ?? [])).map((v) => `CSP: ${v}`));
  await Promise.all(contexts.map((c) => c.close()));
  contexts = [];
  pages = [];
  const seen = [...problems, ...refused.map((r) => `refused: ${r}`)];
  problems = [];
  refused = [];
  expect(seen).toEqual([]);
});

/** A page in a context of its own (its own sessionStorage: another editor), recording every problem. */
async function newPage(options: BrowserContextOptions = {}, reader = false): Promise<Page> {
  const context = await browser.newContext(options);
  contexts.push(context);
  const page = await context.newPage();
  pages.push(page);
  await page.addInitScript(() => {
    const w = window as unknown as TW;
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    // A page without an icon of its own (the reader's public page) asks for /favicon.ico.
    if (reader && status !== null && new URL(msg.location().url).pathname === '/favicon.ico') return;
    if (status !== null) refused.push(`${status[1]} ${new URL(msg.location().url).pathname}`);
    else problems.push(`console: ${msg.text()}`);
  });
  return page;
}

async function openConsole(options: BrowserContextOptions = {}): Promise<Page> {
  const page = await newPage(options);
  await page.goto(`${app.url}/editor`);
  await page.getByRole('heading', { name: 'Sign in to the editor console' }).waitFor(WAIT);
  return page;
}

async function signIn(page: Page, token = EDITOR_TOKEN): Promise<void> {
  await page.getByLabel('Editor token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Feeds', exact: true }).waitFor(WAIT);
}

async function openFeed(page: Page, id: string, title: string): Promise<void> {
  await page.evaluate((hash) => {
    location.hash = hash;
  }, `#/feeds/${id}`);
  await page.getByRole('heading', { level: 1, name: title }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Publish' }).waitFor(WAIT);
}

/** A reader on the feed's public page (`/feeds/:feedId`), once its widget has taken the page over and is live. */
async function openReader(feed: string): Promise<Page> {
  const page = await newPage({}, true);
  await page.goto(`${app.url}/feeds/${feed}`);
  await page.waitForFunction(() => {
    const root = document.querySelector('.liveline');
    const widget = root === null ? undefined : (root as unknown as Record<symbol, { subscription: { state: string } } | undefined>)[Symbol.for('liveline.widget')];
    return widget?.subscription.state === 'live';
  }, undefined, WAIT);
  return page;
}

/** Waits until `selector`'s text in `page` is `text`. */
async function textIs(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(([s, t]) => document.querySelector(s as string)?.textContent?.trim() === t, [selector, text], WAIT);
}

/** The console's list item of the entry headed `headline`. */
const entryItem = (page: Page, headline: string) => page.locator('li.entry', { has: page.getByRole('heading', { name: headline, exact: true }) });

/** A datetime-local value `ms` from now, in the page's time zone. */
const localTime = (page: Page, ms: number): Promise<string> => page.evaluate((ahead) => {
  const d = new Date(Date.now() + ahead);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}, ms);

async function typeBody(page: Page, text: string): Promise<void> {
  const body = page.getByRole('textbox', { name: 'Body' });
  await body.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type(text);
}

describe('the editor console', () => {
  test('an editor creates a feed, publishes, corrects and pins an entry; a reader sees each change live; a stale edit by a second editor shows the conflict, and both merge and overwrite work', async () => {
    const a = await openConsole();
    await signIn(a);

    // Create the feed from the console.
    await a.getByLabel('Title').fill('Election night');
    await a.getByLabel('Feed id').fill('console-night');
    await a.getByRole('button', { name: 'Create feed' }).click();
    await a.getByRole('heading', { level: 1, name: 'Election night' }).waitFor(WAIT);
    expect(new URL(a.url()).hash).toBe('#/feeds/console-night');
    const reader = await openReader('console-night');
    await textIs(reader, '.ll-title', 'Election night');

    // Compose, with the preview as readers will see it; publish with Ctrl+Enter.
    await a.getByLabel('Headline').fill('Polls close');
    await typeBody(a, 'First results within the hour.');
    await a.getByLabel('Authors').fill('Ana Ruiz, Tom Li');
    await textIs(a, '.preview-widget .ll-hl', 'Polls close');
    await textIs(a, '.preview-widget .ll-by', 'By Ana Ruiz, Tom Li');
    await a.keyboard.press('Control+Enter');
    await textIs(reader, '.ll-list article .ll-hl', 'Polls close');
    expect(await reader.textContent('.ll-list article .ll-body')).toBe('First results within the hour.');
    await entryItem(a, 'Polls close').waitFor(WAIT);
    expect(await a.getByLabel('Headline').inputValue()).toBe(''); // the form is ready for the next one

    // Correct it with a note.
    await entryItem(a, 'Polls close').getByRole('button', { name: 'Correct' }).click();
    expect(await a.getByLabel('Headline').inputValue()).toBe('Polls close');
    await typeBody(a, 'First results within two hours.');
    await a.getByLabel('Correction note').fill('The timing was wrong.');
    await a.waitForFunction(() => /^Correction, .+: The timing was wrong\.$/.test(document.querySelector('.preview-widget .ll-corr')?.textContent ?? ''), undefined, WAIT);
    await a.getByRole('button', { name: 'Save changes' }).click();
    await textIs(reader, '.ll-list article .ll-body', 'First results within two hours.');
    await reader.waitForFunction(() => /^Correction, .+: The timing was wrong\.$/.test(document.querySelector('.ll-list article .ll-corr')?.textContent ?? ''), undefined, WAIT);

    // Pin it.
    await entryItem(a, 'Polls close').getByRole('button', { name: 'Pin', exact: true }).click();
    await textIs(reader, '.ll-pinned article .ll-hl', 'Polls close');
    await entryItem(a, 'Polls close').getByRole('button', { name: 'Unpin' }).waitFor(WAIT);

    // A second editor opens the entry to correct it (revision 2)...
    const b = await openConsole();
    await signIn(b);
    await openFeed(b, 'console-night', 'Election night');
    await entryItem(b, 'Polls close').getByRole('button', { name: 'Correct' }).click();
    expect(await b.getByLabel('Headline').inputValue()).toBe('Polls close');
    // ...while the first saves a correction (revision 3): the second's console follows live, and says so.
    await entryItem(a, 'Polls close').getByRole('button', { name: 'Correct' }).click();
    await a.getByLabel('Headline').fill('Polls closed at 8pm');
    await a.getByRole('button', { name: 'Save changes' }).click();
    await textIs(reader, '.ll-pinned article .ll-hl', 'Polls closed at 8pm');
    await entryItem(b, 'Polls closed at 8pm').waitFor(WAIT);
    await b.getByText('Someone else changed this entry while you were correcting it').waitFor(WAIT);

    // The second editor saves from revision 2: the conflict shows both versions side by side.
    await typeBody(b, 'Counting has begun.');
    await b.getByRole('button', { name: 'Save changes' }).click();
    const conflict = b.getByRole('dialog', { name: 'Edit conflict on this entry' });
    await conflict.waitFor(WAIT);
    expect(await conflict.locator('.theirs').textContent()).toContain('Polls closed at 8pm');
    expect(await conflict.locator('.theirs').textContent()).toContain('First results within two hours.');
    expect(await conflict.locator('.yours').textContent()).toContain('Counting has begun.');
    expect(await conflict.locator('.yours').textContent()).toContain('Polls close');

    // Merge: theirs goes into the form, mine stays visible; save the combination.
    await conflict.getByRole('button', { name: 'Merge' }).click();
    expect(await b.getByLabel('Headline').inputValue()).toBe('Polls closed at 8pm');
    expect(await b.locator('.composer .mine .yours').textContent()).toContain('Counting has begun.');
    await typeBody(b, 'First results within two hours. Counting has begun.');
    await b.getByRole('button', { name: 'Save changes' }).click();
    await textIs(reader, '.ll-pinned article .ll-body', 'First results within two hours. Counting has begun.');
    expect(await reader.textContent('.ll-pinned article .ll-hl')).toBe('Polls closed at 8pm');

    // Overwrite: another stale save, and this time the second editor's version wins.
    await entryItem(b, 'Polls closed at 8pm').getByRole('button', { name: 'Correct' }).click();
    await entryItem(a, 'Polls closed at 8pm').getByRole('button', { name: 'Correct' }).click();
    await a.getByLabel('Headline').fill('Polls closed at 8 pm');
    await a.getByRole('button', { name: 'Save changes' }).click();
    await textIs(reader, '.ll-pinned article .ll-hl', 'Polls closed at 8 pm');
    await b.getByLabel('Headline').fill('Polls closed; counting under way');
    await b.getByRole('button', { name: 'Save changes' }).click();
    await conflict.waitFor(WAIT);
    await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
    await textIs(reader, '.ll-pinned article .ll-hl', 'Polls closed; counting under way');
    await entryItem(a, 'Polls closed; counting under way').waitFor(WAIT);
    const revisions = (await api(app).get(`/v1/feeds/console-night/entries/${await reader.$eval('.ll-pinned article', (el) => el.id.slice(6))}/revisions`)).body as { revisions: unknown[] };
    expect(revisions.revisions).toHaveLength(6);
    // The two stale saves, and nothing else, were refused.
    const entryPath = `/v1/feeds/console-night/entries/${await reader.$eval('.ll-pinned article', (el) => el.id.slice(6))}`;
    expect(refused.splice(0)).toEqual([`412 ${entryPath}`, `412 ${entryPath}`]);
  });
});

describe("the editor console: the feed's panels, the toolbar and errors", () => {
  test('coverage status, "What to know", the toolbar\'s HTML, scheduling with reschedule and cancel, and API errors beside the field they name', async () => {
    const editor = api(app);
    await editor.createFeed('console-panels', { title: 'Budget day', status: 'scheduled', startsAt: new Date(Date.now() + 7_200_000).toISOString() });
    const reader = await openReader('console-panels');
    const page = await openConsole();
    await signIn(page);

    // Errors from the API appear beside what caused them, in words.
    await page.getByLabel('Title').fill('Budget day again');
    await page.getByLabel('Feed id').fill('console-panels');
    await page.getByRole('button', { name: 'Create feed' }).click();
    await page.getByText('Feed "console-panels" already exists.').waitFor(WAIT); // no field: beside the button
    await page.getByLabel('Feed id').fill('Not An Id');
    await page.getByRole('button', { name: 'Create feed' }).click();
    const idError = page.locator(`#${await page.getByLabel('Feed id').getAttribute('id')}-error`);
    await idError.waitFor(WAIT);
    expect(await idError.textContent()).toMatch(/^Must /);
    expect(await page.getByLabel('Feed id').getAttribute('aria-invalid')).toBe('true');

    await openFeed(page, 'console-panels', 'Budget day');
    expect(await page.locator('.coverage').textContent()).toMatch(/^Scheduled: starts /);
    await page.getByRole('button', { name: 'Publish' }).click(); // nothing written
    const bodyError = `#${await page.getByRole('textbox', { name: 'Body' }).getAttribute('id')}-error`;
    await textIs(page, bodyError, 'An entry needs a headline or a body with visible content.');
    expect(await page.isVisible(bodyError)).toBe(true);

    // The toolbar writes the HTML readers get: bold, a list, a link.
    await page.getByRole('textbox', { name: 'Body' }).click();
    await page.keyboard.type('Taxes ');
    await page.getByRole('button', { name: 'Bold' }).first().click();
    await page.keyboard.type('rise');
    await page.getByRole('button', { name: 'Bold' }).first().click();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'List' }).first().click();
    await page.keyboard.type('Fuel duty up');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Link' }).first().click();
    const linkDialog = page.getByRole('dialog', { name: 'Add a link' });
    await linkDialog.getByLabel('Link address').fill('javascript:alert(1)');
    await linkDialog.getByRole('button', { name: 'Add link' }).click();
    await linkDialog.getByText('Give the full address, starting with https://').waitFor(WAIT);
    await linkDialog.getByLabel('Link address').fill('https://example.com/budget');
    await page.keyboard.press('Enter');
    await linkDialog.waitFor({ state: 'detached', ...WAIT });
    await textIs(page, '.preview-widget .ll-body b', 'rise');
    await page.waitForFunction(() => {
      const body = document.querySelector('.preview-widget .ll-body');
      return body?.querySelector('li')?.textContent === 'Fuel duty up' && body.querySelector('a[href="https://example.com/budget"]') !== null;
    }, undefined, WAIT);
    await page.getByLabel('Headline').fill('The budget in brief');
    await page.getByRole('button', { name: 'Publish' }).click();
    await textIs(reader, '.ll-list article .ll-body b', 'rise');
    expect(await reader.textContent('.ll-list article .ll-body li')).toBe('Fuel duty up');
    expect(await reader.getAttribute('.ll-list article .ll-body a', 'href')).toBe('https://example.com/budget');

    // Coverage: go live; readers' badge follows.
    await page.getByLabel('Status').selectOption('live');
    await page.getByRole('button', { name: 'Save status' }).click();
    await textIs(reader, '.ll-badge', 'LIVE');
    await page.locator('.coverage').getByText(/^Live since /).waitFor(WAIT);

    // "What to know".
    await page.getByRole('textbox', { name: 'Summary' }).click();
    await page.getByRole('button', { name: 'List' }).nth(1).click();
    await page.keyboard.type('Income tax unchanged');
    await page.getByRole('button', { name: 'Save summary' }).click();
    await textIs(reader, '.ll-summary li', 'Income tax unchanged');

    // Another editor changes the summary while this one edits it: the conflict shows both; overwrite.
    await page.getByRole('textbox', { name: 'Summary' }).click();
    await page.keyboard.press('End');
    await page.keyboard.type(' for now');
    expect((await editor.patch('/v1/feeds/console-panels', { summary: '<ul><li>Income tax frozen</li></ul>' })).status).toBe(200);
    await textIs(reader, '.ll-summary li', 'Income tax frozen');
    await page.getByRole('button', { name: 'Save summary' }).click();
    const conflict = page.getByRole('dialog', { name: 'Edit conflict on the summary' });
    await conflict.waitFor(WAIT);
    expect(await conflict.locator('.theirs').textContent()).toContain('Income tax frozen');
    expect(await conflict.locator('.yours').textContent()).toContain('Income tax unchanged for now');
    await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
    await textIs(reader, '.ll-summary li', 'Income tax unchanged for now');
    // A change to another field of the feed meanwhile is no conflict: the status is saved on the new revision.
    await page.getByLabel('Status').selectOption('ended');
    expect((await editor.patch('/v1/feeds/console-panels', { title: 'Budget day 2026' })).status).toBe(200);
    await page.getByRole('heading', { level: 1, name: 'Budget day 2026' }).waitFor(WAIT);
    await page.getByRole('button', { name: 'Save status' }).click();
    await textIs(reader, '.ll-notice', 'This live coverage has ended');
    expect(await reader.textContent('.ll-title')).toBe('Budget day 2026');

    // Schedule for later, then reschedule and cancel it.
    await page.getByLabel('Headline').fill('Speech begins');
    await page.getByRole('checkbox', { name: 'Schedule for later' }).check();
    const inAnHour = await localTime(page, 3_600_000);
    await page.getByLabel('Publish at').fill(inAnHour);
    await page.getByRole('button', { name: 'Schedule', exact: true }).click();
    await page.getByText(/^Scheduled for /).waitFor(WAIT);
    const scheduledItem = page.locator('ol.scheduled li', { has: page.getByRole('heading', { name: 'Speech begins' }) });
    await scheduledItem.waitFor(WAIT);
    const { id, publishAt } = ((await editor.get('/v1/feeds/console-panels/scheduled')).body as { scheduled: Array<{ id: string; publishAt: string }> }).scheduled[0] ?? { id: '', publishAt: '' };
    const inTwoHours = await localTime(page, 7_200_000);
    await scheduledItem.getByLabel('New time').fill(inTwoHours);
    await scheduledItem.getByRole('button', { name: 'Reschedule' }).click();
    await page.getByText(/^Rescheduled "Speech begins" for /).waitFor(WAIT);
    const moved = ((await editor.get(`/v1/feeds/console-panels/scheduled/${id}`)).body as { scheduled: { publishAt: string } }).scheduled.publishAt;
    expect(Date.parse(moved) - Date.parse(publishAt)).toBeGreaterThan(3_500_000);
    await page.locator('ol.scheduled li').getByRole('button', { name: 'Cancel entry' }).click();
    await page.getByRole('dialog', { name: 'Cancel this scheduled entry?' }).getByRole('button', { name: 'Cancel entry' }).click();
    await page.getByText('Cancelled "Speech begins".').waitFor(WAIT);
    expect(((await editor.get('/v1/feeds/console-panels/scheduled')).body as { scheduled: unknown[] }).scheduled).toEqual([]);
    expect(await reader.$$eval('.ll-list article .ll-hl', (els) => els.map((e) => e.textContent))).toEqual(['The budget in brief']);
    expect(refused.splice(0).sort()).toEqual(['400 /v1/feeds', '400 /v1/feeds/console-panels/entries', '409 /v1/feeds', '412 /v1/feeds/console-panels', '412 /v1/feeds/console-panels']);

    // Signing out forgets the token: the next visit of this tab starts at sign-in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the editor console' }).waitFor(WAIT);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in to the editor console' }).waitFor(WAIT);
  });
});

interface Audit {
  /** Controls whose accessible name is not visible text (`button#3 ""`). */
  readonly unlabelled: string[];
  /** Visible controls the Tab key never reached. */
  readonly unreachable: string[];
  readonly controls: number;
  readonly scrollWidth: number;
}

/**
 * Every visible control (links, buttons, inputs, selects, text areas, editable areas) must
 * have a visible label naming it and be reached by walking the page with Tab; the page must
 * not scroll sideways.
 */
async function audit(page: Page): Promise<Audit> {
  const found = await page.evaluate(() => {
    const visible = (el: Element): boolean => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const text = (el: Element | null): string => (el !== null && visible(el) ? (el as HTMLElement).innerText.trim() : '');
    const controls = Array.from(document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea, [contenteditable="true"]'))
      .filter((el) => visible(el) && !(el as HTMLButtonElement).disabled);
    const seen = new Set<string>();
    (window as unknown as { __seen: Set<string> }).__seen = seen;
    document.addEventListener('focusin', (e) => {
      const i = (e.target as HTMLElement).dataset?.audit;
      if (i !== undefined) seen.add(i);
    });
    return controls.map((el, i) => {
      el.dataset.audit = String(i);
      let name = '';
      const labelled = el.getAttribute('aria-labelledby');
      if (labelled !== null) name = labelled.split(' ').map((id) => text(document.getElementById(id))).join(' ').trim();
      else if (el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement) name = Array.from(el.labels ?? [], text).join(' ').trim();
      else name = text(el);
      return { id: String(i), what: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}`, name };
    });
  });
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
  });
  // A datetime-local input takes several Tab stops (one per part of the date and time).
  for (let i = 0; i < found.length * 6 + 10; i++) {
    await page.keyboard.press('Tab');
    if (i % 10 === 9 && (await page.evaluate((n) => (window as unknown as { __seen: Set<string> }).__seen.size >= n, found.length))) break;
  }
  const seen = await page.evaluate(() => Array.from((window as unknown as { __seen: Set<string> }).__seen));
  return {
    unlabelled: found.filter((c) => c.name === '').map((c) => `${c.what} ""`),
    unreachable: found.filter((c) => !seen.includes(c.id)).map((c) => `${c.what} "${c.name}"`),
    controls: found.length,
    scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth),
  };
}

describe('the editor console on a phone, by keyboard', () => {
  test('at 375 px wide: no sideways scrolling on the sign-in, feeds and feed screens; every control has a visible label and is reached with Tab; sign-in and a confirmed delete work from the keyboard', async () => {
    const editor = api(app);
    await editor.createFeed('console-phone', { title: 'Storm watch: the coast braces for landfall tonight', summary: '<ul><li>Evacuations ordered along the coast.</li></ul>' });
    await editor.postEntry('console-phone', 'Winds pick up', { body: '<p>Gusts of 90 km/h at https://weather.example.com/stations/a-very-long-station-identifier-that-could-overflow</p>', authors: ['Ana Ruiz'], keyEvent: true });
    await editor.postEntry('console-phone', 'Schools closed');
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await editor.post('/v1/feeds/console-phone/entries', { headline: 'Landfall expected', publishAt: later })).status).toBe(202);
    const phone = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
    const page = await openConsole(phone);

    const signInScreen = await audit(page);
    expect(signInScreen).toEqual({ unlabelled: [], unreachable: [], controls: signInScreen.controls, scrollWidth: expect.any(Number) });
    expect(signInScreen.controls).toBeGreaterThanOrEqual(3); // brand link, token, Sign in
    expect(signInScreen.scrollWidth).toBeLessThanOrEqual(375);

    // Sign in by keyboard alone: the token field, Enter.
    await page.getByLabel('Editor token').focus();
    await page.keyboard.type(EDITOR_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Feeds', exact: true }).waitFor(WAIT);
    await page.getByRole('link', { name: 'Storm watch: the coast braces for landfall tonight' }).waitFor(WAIT);
    const feedsScreen = await audit(page);
    expect(feedsScreen).toEqual({ unlabelled: [], unreachable: [], controls: feedsScreen.controls, scrollWidth: expect.any(Number) });
    expect(feedsScreen.scrollWidth).toBeLessThanOrEqual(375);

    await page.getByRole('link', { name: 'Storm watch: the coast braces for landfall tonight' }).click();
    await page.getByRole('heading', { level: 1, name: 'Storm watch: the coast braces for landfall tonight' }).waitFor(WAIT);
    await entryItem(page, 'Winds pick up').waitFor(WAIT);
    await page.getByRole('heading', { name: 'Landfall expected' }).waitFor(WAIT);
    await page.getByText('Evacuations ordered along the coast.').first().waitFor(WAIT);
    await textIs(page, '#connection', 'Connected'); // the console's own live connection
    await page.getByLabel('Headline').fill('A draft, so the preview shows');
    await textIs(page, '.preview-widget .ll-hl', 'A draft, so the preview shows');
    const feedScreen = await audit(page);
    expect(feedScreen).toEqual({ unlabelled: [], unreachable: [], controls: feedScreen.controls, scrollWidth: expect.any(Number) });
    expect(feedScreen.scrollWidth).toBeLessThanOrEqual(375);
    expect(feedScreen.controls).toBeGreaterThan(30);

    // Delete by keyboard: the dialog opens on the safe choice, Escape keeps the entry, Enter on "Delete entry" removes it.
    const del = entryItem(page, 'Schools closed').getByRole('button', { name: 'Delete' });
    await del.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete this entry?' });
    await dialog.waitFor(WAIT);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep it');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', ...WAIT });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Delete');
    await page.keyboard.press('Enter');
    await dialog.waitFor(WAIT);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Delete entry');
    await page.keyboard.press('Enter');
    await entryItem(page, 'Schools closed').waitFor({ state: 'detached', ...WAIT });
    const snapshot = (await editor.get('/v1/feeds/console-phone?fresh=1')).body as { entries: Array<{ headline: string }> };
    expect(snapshot.entries.map((e) => e.headline)).toEqual(['Winds pick up']);
  });
});

describe('the editor console is served with a strict Content-Security-Policy', () => {
  test('/editor and its files carry the policy and security headers, exactly those paths exist, and the page breaks no rule of its policy (while inline script and style are refused)', async () => {
    const page = await fetch(`${app.url}/editor`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const host = new URL(app.url).host;
    const policy = (page.headers.get('content-security-policy') ?? '').split(/;\s*/);
    expect(policy).toEqual(expect.arrayContaining([
      "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' https:",
      `connect-src 'self' ws://${host} wss://${host}`, "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'",
    ]));
    expect(policy.join(';')).not.toContain('unsafe');
    const html = await page.text();
    expect(html).not.toMatch(/<script>|<style|style=|\son\w+=/i); // nothing inline

    for (const [file, type] of [['console.js', 'text/javascript'], ['console.css', 'text/css'], ['widget.css', 'text/css'], ['icon.svg', 'image/svg+xml']]) {
      const res = await fetch(`${app.url}/editor/${file}`);
      expect([file, res.status, res.headers.get('content-type')?.split(';')[0], res.headers.get('content-security-policy')?.startsWith("default-src 'self'")]).toEqual([file, 200, type, true]);
      const again = await fetch(`${app.url}/editor/${file}`, { headers: { 'If-None-Match': res.headers.get('etag') ?? '' } });
      expect([file, again.status]).toEqual([file, 304]);
    }
    expect(await (await fetch(`${app.url}/editor/widget.css`)).text()).toContain('.liveline');
    for (const path of ['/editor/', '/editor/index.html', '/editor/nope.js', '/editor/console.js/', '/Editor', '/editor/..%2Fpackage.json', '/editor/src/main.ts']) {
      const res = await fetch(`${app.url}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
    }

    const p = await openConsole();
    await signIn(p);
    // The policy is enforced, and violations are seen: inline script and style are refused.
    const refusedInline = await p.evaluate(() => new Promise<{ ran: boolean; violations: string[] }>((resolve) => {
      const w = window as unknown as TW & { __ran?: boolean };
      const script = document.createElement('script');
      script.textContent = 'window.__ran = true';
      document.head.append(script);
      const style = document.createElement('style');
      style.textContent = 'body { display: none }';
      document.head.append(style);
      const check = (): void => {
        if (w.__csp.length >= 2) resolve({ ran: w.__ran === true, violations: w.__csp.splice(0) });
        else setTimeout(check, 10);
      };
      check();
    }));
    expect(refusedInline.ran).toBe(false);
    expect(refusedInline.violations.map((v) => v.split(' ')[0]).sort()).toEqual(['script-src-elem', 'style-src-elem']);
    problems = problems.filter((m) => !m.includes('Content Security Policy')); // the two refusals just provoked
    expect(await p.isVisible('body')).toBe(true);
  });
});

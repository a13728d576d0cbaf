import { LiveClient, type ClientState } from '../client';
import { endpoints, FEED_ID } from '../protocol';
import type { Entry, Feed, FeedSnapshot } from '../types';
import { readerFormats } from './format';
import { announcer } from './announcer';
import { DEFAULT_LABELS, type WidgetLabels } from './labels';
import { coverageState, ENTRY_ID_PREFIX as ID_PREFIX, entryClass, entryHtml, entryInner, keyItemsHtml, widgetHtml } from './markup';
import { fetchOlderPage } from './older-page';
import type { MountOptions, WidgetHandle } from './options';
import { ownServer, setWidget, widgetOf } from './registry';
import { localise, part, servedSnapshot, type PartClass } from './served';
import { steadier } from './steady';
import { injectStyles } from './styles';

export type { MountOptions, WidgetHandle } from './options';

interface Shown {
  e: Entry;
  readonly el: HTMLElement;
}

/** The list counts as "at the top" while its top edge is at most this far above the viewport. */
const TOP_SLACK_PX = 40;
const RELATIVE_REFRESH_MS = 30_000;
/** "Oldest first" and a permalink to an entry not loaded yet load older pages of this size, at most this many. */
const ALL_PAGE_SIZE = 100;
const ALL_PAGES_MAX = 20;
const SEEK_PAGES_MAX = 10;

/**
 * Renders the live blog of `options.feed` into `element` and keeps it current: header with
 * the coverage's state (a LIVE badge; when it begins while scheduled; that it has ended,
 * with an "Oldest first" toggle), "What to know" summary, pinned entries, key events,
 * entries newest first, "Load older", a "N new updates" button when new entries are held
 * back, and a polite screen-reader announcer. When `element` holds the server's rendering of
 * the feed (the public page, the embed), the widget takes that markup over as it stands
 * and subscribes from its cursor: nothing is rendered again. Mounting on an element that
 * already shows a widget replaces it. Throws TypeError for a bad element, feed id, url or pageSize.
 */
export function mount(element: HTMLElement, options: MountOptions): WidgetHandle {
  if (!element || element.nodeType !== 1) throw new TypeError('Liveline.mount: element must be a DOM element');
  const { feed: feedId, pageSize = 20, locale } = options;
  if (!(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 100)) {
    throw new TypeError('Liveline.mount: pageSize must be an integer from 1 to 100');
  }
  if (typeof feedId !== 'string' || !FEED_ID.test(feedId)) throw new TypeError(`Liveline.mount: invalid feed id ${JSON.stringify(feedId)}`);
  const url = options.url ?? ownServer();
  const base = endpoints(url).http;
  widgetOf(element)?.destroy();

  const L: WidgetLabels = { ...DEFAULT_LABELS, ...options.labels };
  const t = readerFormats(locale, L);
  const doc = element.ownerDocument;
  const win = doc.defaultView ?? window;
  const served = options.labels ? null : servedSnapshot(element, feedId);
  const client = options.client ?? new LiveClient({ url });
  const sub = client.subscribe(feedId, served ? { snapshot: served.snapshot } : {}); // throws TypeError if already subscribed
  const reducedMotion = (): boolean => !!win.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

  // ---- the skeleton: the server's, taken over as it is, or rendered empty ----
  if (options.styles !== false) injectStyles(doc);
  const styled = element.classList.contains('liveline');
  const original = Array.from(element.childNodes, (n) => (served ? n.cloneNode(true) : n));
  if (served) served.data.remove();
  else element.innerHTML = widgetHtml(null, L, t);
  element.classList.add('liveline');
  const $ = <T extends HTMLElement = HTMLElement>(cls: PartClass): T => part(element, cls) as T;
  const badge = $('ll-badge');
  const notice = $('ll-notice');
  const conn = $('ll-conn');
  const pause = $<HTMLButtonElement>('ll-pause');
  const order = $<HTMLButtonElement>('ll-order');
  const title = $('ll-title');
  const desc = $('ll-desc');
  const summary = $('ll-summary');
  const pinned = $('ll-pinned');
  const keys = $('ll-keys');
  const more = $<HTMLButtonElement>('ll-more');
  const list = $('ll-list');
  const empty = $('ll-empty');
  const older = $<HTMLButtonElement>('ll-older');
  const live = $('ll-sr');
  const summaryBody = summary.lastElementChild as HTMLElement;
  const pinnedList = pinned.lastElementChild as HTMLElement;
  const keyList = keys.lastElementChild as HTMLElement;

  // ---- state ----
  const shown = new Map<string, Shown>();
  /** New entries held back (newest first) until the reader is at the top or asks for them. */
  let queue: Entry[] = [];
  let feed: Feed | undefined;
  let nextBefore: string | null = null;
  /** publishedAt of the oldest loaded unpinned entry; older ones arrive with "Load older". */
  let floor = '';
  /** Bumped by every snapshot and by destroy(): forgets a "Load older" in flight. */
  let generation = 0;
  /** The "Load older" request in flight: one at a time, shared by whoever asks meanwhile. */
  let loading: Promise<boolean> | undefined;
  /** The list (and key events) run oldest first; `wantOldest` is what the toggle asks for. */
  let oldestFirst = false;
  let wantOldest = false;
  let paused = false;
  let titled = false;
  let connectedOnce = false;
  let firstSnapshot = true;
  let destroyed = false;
  /** What the key-events list holds: it is rebuilt only when that changes. */
  let keyHtml = '';

  // ---- rendering ----
  const tpl = doc.createElement('template'); // inert: nothing in it loads or runs until inserted
  const fill = (el: HTMLElement, e: Entry): void => {
    el.className = entryClass(e);
    el.innerHTML = entryInner(e, L, t); // the body is sanitised by the server; text fields are escaped
  };

  const render = (e: Entry): Shown => {
    tpl.innerHTML = entryHtml(e, L, t);
    const s = { e, el: tpl.content.firstElementChild as HTMLElement };
    shown.set(e.id, s);
    return s;
  };

  const publishedAt = (el: Element): string => shown.get(el.id.slice(ID_PREFIX.length))?.e.publishedAt ?? '';
  /** Whether `a` goes before `b` in the list's order (the pinned area is always newest first). */
  const precedes = (a: string, b: string, oldest = oldestFirst): boolean => (oldest ? a < b : a > b);
  const byTime = (a: string, b: string): number => (a === b ? 0 : precedes(a, b) ? -1 : 1);

  /** Puts an entry where it belongs by publishedAt: pinned area, or list (unless older than what is loaded). */
  const place = (s: Shown): void => {
    const { pinned: pin, publishedAt: at } = s.e;
    if (!pin && nextBefore !== null && at < floor) {
      s.el.remove();
      shown.delete(s.e.id);
      return;
    }
    const target = pin ? pinnedList : list;
    const before = Array.from(target.children).find((c) => precedes(at, publishedAt(c), !pin && oldestFirst));
    target.insertBefore(s.el, before ?? null);
  };

  /** Brings every derived part (key events, counts, buttons, title) in line with the state. */
  const sync = (): void => {
    const html = keyItemsHtml(Array.from(shown.values(), (s) => s.e), t, oldestFirst);
    if (html !== keyHtml) keyList.innerHTML = keyHtml = html;
    keys.hidden = !html;
    pinned.hidden = !pinnedList.firstChild;
    const n = queue.length;
    more.hidden = !n;
    if (n) more.textContent = L.newUpdates(n);
    if (n || titled) {
      doc.title = (n ? `(${n}) ` : '') + doc.title.replace(/^\(\d+\) /, '');
      titled = n > 0;
    }
    older.hidden = nextBefore === null;
    empty.hidden = !!(list.firstChild || pinnedList.firstChild || n || nextBefore !== null);
  };

  const steady = steadier(win, element, (id) => shown.get(id.slice(ID_PREFIX.length))?.el);

  const atTop = (): boolean => list.getBoundingClientRect().top >= -TOP_SLACK_PX;
  const canInsert = (): boolean => !paused && doc.visibilityState !== 'hidden' && atTop();

  /** Inserts the held-back entries at the top, highlighted. */
  const flush = (): void => {
    const items = queue;
    queue = [];
    for (let i = items.length - 1; i >= 0; i--) {
      const s = render(items[i] as Entry);
      s.el.classList.add('ll-new');
      if (s.e.pinned || oldestFirst) place(s);
      else list.prepend(s.el);
    }
    sync();
  };

  const { announce, stop: stopAnnouncing } = announcer(live, L.newUpdates);

  /** The list in the order the toggle asks for (when everything it needs is loaded), older entries' button on their side. */
  const arrange = (oldest: boolean): void => {
    const items = Array.from(list.children);
    // Turned first, so that entries published in the same millisecond swap places too (the sort is stable).
    if (oldest !== oldestFirst) items.reverse();
    oldestFirst = oldest;
    list.append(...items.sort((a, b) => byTime(publishedAt(a), publishedAt(b))));
    if (oldest) list.before(older);
    else empty.after(older);
    sync();
  };

  const showState = (): void => {
    if (!feed) return;
    const state = coverageState(feed, L, t);
    // Only real changes: each one is spoken (role="status").
    if (notice.textContent !== state.notice) notice.textContent = state.notice;
    badge.hidden = !state.live;
    notice.hidden = !state.notice;
    pause.hidden = state.ended;
    order.hidden = !state.ended;
    if (!state.ended && (wantOldest || oldestFirst)) {
      wantOldest = false;
      order.setAttribute('aria-pressed', 'false');
      arrange(false);
    }
  };

  const showFeed = (f: Feed): void => {
    feed = f;
    title.textContent = f.title;
    desc.textContent = f.description;
    desc.hidden = !f.description;
    showState();
    summaryBody.innerHTML = f.summary ?? ''; // sanitised by the server
    summary.hidden = !f.summary;
  };

  /**
   * A permalink (#entry-ID) to an entry that isn't shown yet: older pages are loaded (at
   * most SEEK_PAGES_MAX) until it is, then it is scrolled to. `always`: scroll to it even if
   * it was shown already (the browser could not: it didn't exist when the page loaded).
   */
  const seek = async (always: boolean): Promise<void> => {
    const { hash } = win.location;
    const id = hash.startsWith(`#${ID_PREFIX}`) ? hash.slice(1 + ID_PREFIX.length) : '';
    if (!id) return;
    const found = shown.has(id);
    for (let n = 0; !shown.has(id) && nextBefore !== null && n < SEEK_PAGES_MAX; n++) {
      if (!(await loadOlder(ALL_PAGE_SIZE))) return;
    }
    if (always || !found) shown.get(id)?.el.scrollIntoView();
  };

  // ---- events ----
  const onSnapshot = (snap: FeedSnapshot): void => {
    generation++;
    loading = undefined;
    older.disabled = false;
    older.textContent = L.loadOlder;
    steady(() => {
      queue = [];
      shown.clear();
      pinnedList.textContent = '';
      list.textContent = '';
      floor = '';
      oldestFirst = false;
      for (const e of snap.entries) {
        const s = render(e);
        (e.pinned ? pinnedList : list).append(s.el);
        if (!e.pinned) floor = e.publishedAt;
      }
      nextBefore = snap.nextBefore;
      arrange(false); // newest first, as the snapshot comes
      showFeed(snap.feed);
    });
    if (wantOldest) void showOldestFirst();
    if (firstSnapshot) void seek(true);
    firstSnapshot = false;
  };

  const onCreated = (e: Entry): void => {
    if (shown.has(e.id) || queue.some((q) => q.id === e.id)) return onUpdated(e);
    announce(1);
    queue.unshift(e);
    if (canInsert()) flush();
    else steady(sync);
  };

  const onUpdated = (e: Entry): void => {
    // Never step back to an older version (a late or cached copy): the higher revision stands.
    // (The subscription already skips those; this holds for whatever else calls it.)
    const held = queue.find((x) => x.id === e.id) ?? shown.get(e.id)?.e;
    if (held !== undefined && (held.revision ?? 0) > (e.revision ?? 0)) return;
    const q = queue.findIndex((x) => x.id === e.id);
    if (q >= 0) {
      queue[q] = e;
      return;
    }
    steady(() => {
      const s = shown.get(e.id);
      if (s) {
        const moved = s.e.pinned !== e.pinned;
        s.e = e;
        fill(s.el, e);
        if (moved) place(s);
      } else {
        place(render(e));
      }
      sync();
    });
  };

  const onDeleted = ({ id }: { id: string }): void => {
    queue = queue.filter((x) => x.id !== id);
    steady(() => {
      shown.get(id)?.el.remove();
      shown.delete(id);
      sync();
    });
  };

  const onState = (state: ClientState): void => {
    if (state === 'connected') connectedOnce = true;
    if (sub.state !== 'closed') conn.textContent = state === 'connected' ? '' : connectedOnce ? L.reconnecting : L.connecting;
  };

  /** Adds the next older page (`limit` entries); resolves whether it did, false if it failed or a snapshot replaced the list. */
  const fetchOlder = async (limit: number): Promise<boolean> => {
    const gen = generation;
    if (nextBefore === null) return true;
    older.disabled = true;
    older.textContent = L.loading;
    let ok = false;
    try {
      const page = await fetchOlderPage(base, feedId, nextBefore, limit);
      if (gen !== generation) return false;
      steady(() => {
        for (const p of page.entries) {
          // The page may predate changes the subscription delivered (a cached page): never an older copy, nor a deleted entry.
          const e = sub.latest(p);
          if (!e || shown.has(e.id)) continue;
          const s = render(e);
          if (e.pinned) place(s);
          else if (oldestFirst) list.prepend(s.el); // the page is newest first, and older than everything shown
          else list.append(s.el);
        }
        const last = page.entries[page.entries.length - 1];
        if (last) floor = last.publishedAt;
        nextBefore = page.nextBefore;
        sync();
      });
      ok = true;
    } catch (error) {
      setTimeout(() => {
        throw error; // to the console / window.onerror, like any failed request the page makes
      });
    } finally {
      if (gen === generation) {
        older.disabled = false;
        older.textContent = ok ? L.loadOlder : L.loadFailed;
      }
    }
    return ok && gen === generation;
  };

  let filling = 0;
  /** While older pages are loaded for "Oldest first", the list says so (aria-busy; dimmed). */
  const dim = (d: number): void => {
    filling += d;
    if (filling) list.setAttribute('aria-busy', 'true');
    else list.removeAttribute('aria-busy');
  };

  const loadOlder = (limit = pageSize): Promise<boolean> => {
    if (!loading) {
      const p: Promise<boolean> = fetchOlder(limit).finally(() => {
        if (loading === p) loading = undefined;
      });
      loading = p;
    }
    return loading;
  };

  /**
   * What the "Oldest first" toggle asks for: every remaining older page first (in order, at
   * most ALL_PAGES_MAX of them, the list dimmed meanwhile), so that the list starts with the
   * coverage's first entry; then the list turns at once. If a page fails, the toggle goes back.
   */
  const showOldestFirst = async (): Promise<void> => {
    const gen = generation;
    let ok = true;
    dim(1);
    try {
      for (let n = 0; ok && wantOldest && nextBefore !== null && n < ALL_PAGES_MAX; n++) ok = await loadOlder(ALL_PAGE_SIZE);
    } finally {
      dim(-1);
    }
    if (gen !== generation) return; // a new snapshot: it starts over
    if (!ok) {
      wantOldest = false;
      order.setAttribute('aria-pressed', 'false');
    }
    if (wantOldest !== oldestFirst) arrange(wantOldest);
  };

  const onMore = (): void => {
    const newest = queue[0];
    flush();
    const el = newest && shown.get(newest.id)?.el;
    if (el) {
      el.scrollIntoView({ block: 'start', behavior: reducedMotion() ? 'auto' : 'smooth' });
      el.focus({ preventScroll: true });
    }
  };

  const onPause = (): void => {
    paused = !paused;
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused && queue.length && canInsert()) flush();
  };

  const onVisible = (): void => {
    if (queue.length && canInsert()) flush();
  };

  const tick = (): void => {
    element.querySelectorAll<HTMLElement>('.ll-ago').forEach((span) => {
      span.textContent = t.ago((span.parentElement as HTMLTimeElement).dateTime);
    });
    if (feed?.status === 'scheduled') steady(showState); // a start time that has passed is no longer announced
  };

  // ---- taking over the server's markup: the same elements, in the reader's time zone ----
  if (served) {
    const snap = served.snapshot;
    for (const e of snap.entries) {
      shown.set(e.id, { e, el: element.querySelector(`#${ID_PREFIX}${e.id}`) as HTMLElement });
      if (!e.pinned) floor = e.publishedAt;
    }
    nextBefore = snap.nextBefore;
    feed = snap.feed;
    firstSnapshot = false;
    localise(element, L, t);
    keyHtml = keyItemsHtml(snap.entries, t);
    showState();
    sync();
  }

  const offs = [
    sub.on('snapshot', onSnapshot),
    sub.on('entry.created', onCreated),
    sub.on('entry.updated', onUpdated),
    sub.on('entry.deleted', onDeleted),
    sub.on('feed.updated', (f) => steady(() => showFeed(f))),
    sub.on('state', (s) => {
      if (s === 'closed') conn.textContent = L.unavailable;
    }),
    client.on('state', onState),
  ];
  const onOlder = (): void => void loadOlder();
  const onOrder = (): void => {
    wantOldest = !wantOldest;
    order.setAttribute('aria-pressed', String(wantOldest));
    void showOldestFirst();
  };
  more.addEventListener('click', onMore);
  pause.addEventListener('click', onPause);
  older.addEventListener('click', onOlder);
  order.addEventListener('click', onOrder);
  doc.addEventListener('visibilitychange', onVisible);
  const ticker = setInterval(tick, RELATIVE_REFRESH_MS);
  onState(client.state);
  client.connect();
  if (served) void seek(false);

  const handle: WidgetHandle = {
    client,
    subscription: sub,
    destroy(): void {
      if (destroyed) return;
      destroyed = true;
      generation++;
      for (const off of offs) off();
      more.removeEventListener('click', onMore);
      pause.removeEventListener('click', onPause);
      older.removeEventListener('click', onOlder);
      order.removeEventListener('click', onOrder);
      doc.removeEventListener('visibilitychange', onVisible);
      clearInterval(ticker);
      stopAnnouncing();
      sub.unsubscribe();
      if (!options.client) client.disconnect();
      if (titled) doc.title = doc.title.replace(/^\(\d+\) /, '');
      if (!styled) element.classList.remove('liveline');
      element.replaceChildren(...original);
      if (widgetOf(element) === handle) setWidget(element, undefined);
    },
  };
  setWidget(element, handle);
  return handle;
}

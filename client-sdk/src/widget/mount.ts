import { LiveClient, type ClientState } from '../client';
import { endpoints } from '../protocol';
import { getJson } from '../snapshot';
import type { Subscription } from '../subscription';
import type { Entry, Feed, FeedSnapshot } from '../types';
import { excerpt, relativeTime, serverFromScript } from './format';
import { DEFAULT_LABELS, type WidgetLabels } from './labels';
import { injectStyles } from './styles';

export interface MountOptions {
  /** The feed to show (its id). Required. */
  feed: string;
  /**
   * The Liveline server's base URL. Default: the server the <script src> of this bundle
   * points at (…/sdk/liveline.js), else the page's own origin. Also used for "Load older".
   * Given here it is trusted (it is code); auto-mount's `data-liveline-url` is not, see allowServers().
   */
  url?: string;
  /**
   * Show the feed through this client (connected by mount() if it isn't; left connected by
   * destroy()). It must not be subscribed to the feed already. Default: a new LiveClient.
   */
  client?: LiveClient;
  /** Entries per "Load older" page, 1–100. Default 20 (the snapshot brings the newest 20). */
  pageSize?: number;
  /** Locale(s) for clock and relative times (BCP 47). Default: the browser's. */
  locale?: string | string[];
  /** Visible strings to replace; English by default. */
  labels?: Partial<WidgetLabels>;
}

export interface WidgetHandle {
  readonly client: LiveClient;
  readonly subscription: Subscription;
  /**
   * Unsubscribes (and disconnects the client mount() created), removes every listener and
   * timer, restores the element's original content and the document title. Idempotent.
   */
  destroy(): void;
}

interface Shown {
  e: Entry;
  readonly el: HTMLElement;
}

/** The list counts as "at the top" while its top edge is at most this far above the viewport. */
const TOP_SLACK_PX = 40;
/** Pending announcements are gathered for this long, then spoken as one ("3 new updates"). */
const ANNOUNCE_MS = 1000;
const RELATIVE_REFRESH_MS = 30_000;
const ID_PREFIX = 'entry-';
/** "Oldest first" loads the remaining older pages with the largest page the server gives, at most this many. */
const ALL_PAGE_SIZE = 100;
const ALL_PAGES_MAX = 20;

// Captured while this bundle's <script> runs: afterwards document.currentScript is another script or null
// (and it is null in an ES module).
const SCRIPT_SERVER =
  typeof document === 'undefined' ? '' : serverFromScript((document.currentScript as HTMLScriptElement | null)?.src);

/** The server a widget uses when not told otherwise: where this bundle's <script src> came from, else the page's origin. */
export const ownServer = (): string => SCRIPT_SERVER || location.origin;

const mounted = new WeakMap<Element, WidgetHandle>();

/** The widget `element` shows, if any (auto-mount skips such elements). */
export function widgetOf(element: Element): WidgetHandle | undefined {
  return mounted.get(element);
}

const h = <K extends keyof HTMLElementTagNameMap>(tag: K, cls = '', text?: string): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text !== undefined) el.textContent = text;
  return el;
};

const section = <K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, heading: string): HTMLElementTagNameMap[K] => {
  const el = h(tag, `ll-box ${cls}`);
  el.hidden = true;
  el.setAttribute('aria-label', heading);
  el.append(h('h3', 'll-h', heading));
  return el;
};

/**
 * Renders the live blog of `options.feed` into `element` and keeps it current: header with
 * the coverage's state (a LIVE badge; when it begins while scheduled; that it has ended,
 * with an "Oldest first" toggle), "What to know" summary, pinned entries, key events,
 * entries newest first, "Load older", a "N new updates" button when new entries are held
 * back, and a polite screen-reader announcer. Mounting on an element that already shows a
 * widget replaces it. Throws TypeError for a bad element, feed id, url or pageSize.
 */
export function mount(element: HTMLElement, options: MountOptions): WidgetHandle {
  if (!element || element.nodeType !== 1) throw new TypeError('Liveline.mount: element must be a DOM element');
  const { feed: feedId, pageSize = 20, locale } = options;
  if (!(Number.isInteger(pageSize) && pageSize >= 1 && pageSize <= 100)) {
    throw new TypeError('Liveline.mount: pageSize must be an integer from 1 to 100');
  }
  const url = options.url ?? ownServer();
  const base = endpoints(url).http;
  const client = options.client ?? new LiveClient({ url });
  const sub = client.subscribe(feedId); // throws TypeError for a bad or already subscribed feed
  mounted.get(element)?.destroy();

  const L: WidgetLabels = { ...DEFAULT_LABELS, ...options.labels };
  const doc = element.ownerDocument;
  const win = doc.defaultView ?? window;
  const clockFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  const dayFmt = (withYear: boolean): Intl.DateTimeFormat =>
    new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', year: withYear ? 'numeric' : undefined });
  const fullFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' });
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const clock = (iso: string): string => clockFmt.format(new Date(iso));
  const ago = (iso: string): string => relativeTime(rtf, iso, Date.now(), L.justNow);
  const reducedMotion = (): boolean => !!win.matchMedia?.('(prefers-reduced-motion: reduce)').matches;

  // ---- the skeleton ----
  injectStyles(doc);
  const original = Array.from(element.childNodes);
  // The coverage's state, one line whatever it is (a badge or a sentence), spoken when it changes.
  const state = h('span', 'll-state');
  state.setAttribute('role', 'status');
  const badge = h('span', 'll-badge ll-live', L.live);
  const notice = h('span', 'll-notice');
  state.append(badge, notice);
  const conn = h('span', 'll-conn');
  const toggle = (cls: string, text: string): HTMLButtonElement => {
    const b = h('button', `ll-btn ${cls}`, text);
    b.type = 'button';
    b.setAttribute('aria-pressed', 'false');
    return b;
  };
  const pause = toggle('ll-pause', L.pause);
  // Ended coverage is read as a story: from its first entry on. Takes the pause button's place.
  const order = toggle('ll-order', L.oldestFirst);
  order.hidden = true;
  const meta = h('div', 'll-meta');
  meta.append(state, conn, pause, order);
  const title = h('h2', 'll-title');
  const desc = h('p', 'll-desc');
  const header = h('header', 'll-head');
  header.append(meta, title, desc);
  const summary = section('section', 'll-summary', L.summary);
  const summaryBody = h('div', 'll-html');
  summary.append(summaryBody);
  const pinned = section('section', 'll-pinned', L.pinned);
  const pinnedList = h('div');
  pinned.append(pinnedList);
  const keys = section('nav', 'll-keys', L.keyEvents);
  const keyList = h('ol');
  keys.append(keyList);
  const bar = h('div', 'll-bar');
  const more = h('button', 'll-more');
  more.type = 'button';
  more.hidden = true;
  bar.append(more);
  const list = h('div', 'll-list');
  const empty = h('p', 'll-empty', L.empty);
  empty.hidden = true; // until the snapshot says so
  const older = h('button', 'll-btn ll-older', L.loadOlder);
  older.type = 'button';
  older.hidden = true;
  const announcer = h('div', 'll-sr');
  announcer.setAttribute('aria-live', 'polite');
  announcer.setAttribute('aria-atomic', 'true');
  element.classList.add('liveline');
  element.replaceChildren(header, summary, pinned, keys, bar, list, empty, older, announcer);

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
  let announced = 0;
  let announceTimer: ReturnType<typeof setTimeout> | undefined;
  let flip = false;

  // ---- rendering ----
  const fill = (el: HTMLElement, e: Entry): void => {
    el.className = e.keyEvent ? 'll-entry ll-key' : 'll-entry';
    const time = h('time');
    time.dateTime = e.publishedAt;
    time.title = fullFmt.format(new Date(e.publishedAt));
    time.append(h('span', 'll-clock', clock(e.publishedAt)), ' · ', h('span', 'll-ago', ago(e.publishedAt)));
    const when = h('div', 'll-when');
    when.append(time);
    if (e.updatedAt !== e.publishedAt) {
      const upd = h('time', 'll-upd', `${L.updated} ${clock(e.updatedAt)}`);
      upd.dateTime = e.updatedAt;
      when.append(upd);
    }
    if (e.keyEvent) when.append(h('span', 'll-tag', L.keyEvent));
    const link = h('a', 'll-link', L.permalink);
    link.setAttribute('href', `#${ID_PREFIX}${e.id}`);
    when.append(link);
    el.replaceChildren(when);
    if (e.headline) el.append(h('h3', 'll-hl', e.headline));
    if (e.authors.length) el.append(h('p', 'll-by', `${L.by} ${e.authors.join(', ')}`));
    const body = h('div', 'll-html ll-body');
    body.innerHTML = e.body; // sanitised by the server
    el.append(body);
    for (const c of e.corrections ?? []) el.append(h('p', 'll-corr', `${L.correction}, ${clock(c.at)}: ${c.note}`));
    if (e.tags.length) {
      const foot = h('div', 'll-foot');
      for (const tag of e.tags) foot.append(h('span', '', `#${tag}`));
      el.append(foot);
    }
  };

  const render = (e: Entry): Shown => {
    const el = h('article');
    el.id = ID_PREFIX + e.id;
    el.tabIndex = -1;
    fill(el, e);
    const s = { e, el };
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

  const label = (e: Entry): string => {
    if (e.headline) return e.headline;
    const t = h('template'); // inert: nothing in it loads or runs
    t.innerHTML = e.body;
    return excerpt(t.content.textContent ?? '');
  };

  /** Brings every derived part (key events, counts, buttons, title) in line with the state. */
  const sync = (): void => {
    const key = Array.from(shown.values())
      .filter((s) => s.e.keyEvent)
      .sort((a, b) => byTime(a.e.publishedAt, b.e.publishedAt))
      .map((s) => {
        const a = h('a');
        a.setAttribute('href', `#${ID_PREFIX}${s.e.id}`);
        const t = h('time', '', clock(s.e.publishedAt));
        t.dateTime = s.e.publishedAt;
        a.append(t, label(s.e));
        const li = h('li');
        li.append(a);
        return li;
      });
    keyList.replaceChildren(...key);
    keys.hidden = !key.length;
    pinned.hidden = !pinnedList.firstChild;
    const n = queue.length;
    more.hidden = !n;
    more.textContent = L.newUpdates(n);
    if (n || titled) {
      doc.title = (n ? `(${n}) ` : '') + doc.title.replace(/^\(\d+\) /, '');
      titled = n > 0;
    }
    older.hidden = nextBefore === null;
    empty.hidden = !!(list.firstChild || pinnedList.firstChild || n || nextBefore !== null);
  };

  /**
   * Runs a DOM change without moving what the reader is looking at: the first entry in the
   * viewport stays at the same screen position (browsers without scroll anchoring, or with
   * it disabled, would otherwise jump when something above it changes height).
   */
  const steady = (change: () => void): void => {
    let id = '';
    let top = 0;
    if (win.scrollY > 0) {
      const first = Array.from(element.getElementsByTagName('article')).find((a) => {
        const r = a.getBoundingClientRect();
        return r.bottom > 0 && r.top < win.innerHeight && r.height > 0;
      });
      if (first) {
        id = first.id.slice(ID_PREFIX.length);
        top = first.getBoundingClientRect().top;
      }
    }
    change();
    const el = shown.get(id)?.el;
    if (el?.isConnected) {
      const moved = el.getBoundingClientRect().top - top;
      if (moved) win.scrollBy(0, moved);
    }
  };

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

  const announce = (count: number): void => {
    announced += count;
    announceTimer ??= setTimeout(() => {
      announceTimer = undefined;
      // A trailing no-break space on every other message makes a repeated message count as a change.
      flip = !flip;
      announcer.textContent = L.newUpdates(announced) + (flip ? '\u00a0' : '');
      announced = 0;
    }, ANNOUNCE_MS);
  };

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

  /** "Live coverage begins at 20:00" (with the day when not today), or that it has not started. */
  const begins = (iso: string | null): string => {
    const t = new Date(iso ?? '');
    const now = new Date();
    if (!(t.getTime() > now.getTime())) return L.coverageNotStarted; // none, or late: no time in the past
    const today = t.toDateString() === now.toDateString();
    return L.coverageBegins(clockFmt.format(t), today ? null : dayFmt(t.getFullYear() !== now.getFullYear()).format(t));
  };

  const showState = (): void => {
    if (!feed) return;
    const { status } = feed;
    const text = status === 'ended' ? L.coverageEnded : status === 'live' ? '' : begins(feed.startsAt);
    // Only real changes: each one is spoken (role="status").
    if (notice.textContent !== text) notice.textContent = text;
    badge.hidden = status !== 'live';
    notice.hidden = !text;
    pause.hidden = status === 'ended';
    order.hidden = status !== 'ended';
    if (status !== 'ended' && (wantOldest || oldestFirst)) {
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
    // A permalink (#entry-ID) opened before the entries existed: go there now.
    const hash = firstSnapshot && win.location.hash.startsWith(`#${ID_PREFIX}`) ? win.location.hash.slice(1 + ID_PREFIX.length) : '';
    firstSnapshot = false;
    shown.get(decodeURIComponent(hash))?.el.scrollIntoView();
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
      // Like the snapshot: only an answer of `base` itself, never one a redirect led to.
      const res = await getJson((u, init) => fetch(u, init), `${base}/v1/feeds/${feedId}/entries?before=${encodeURIComponent(nextBefore)}&limit=${limit}`, feedId);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const page = (await res.json()) as { entries: Entry[]; nextBefore: string | null };
      if (gen !== generation) return false;
      steady(() => {
        for (const p of page.entries) {
          // The page may predate changes the subscription delivered: never an older copy, nor a deleted entry.
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
      const time = span.parentElement as HTMLTimeElement;
      span.textContent = ago(time.dateTime);
    });
    if (feed?.status === 'scheduled') steady(showState); // a start time that has passed is no longer announced
  };

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

  const handle: WidgetHandle = {
    client,
    subscription: sub,
    destroy(): void {
      if (destroyed) return;
      destroyed = true;
      generation++;
      for (const off of offs) off();
      doc.removeEventListener('visibilitychange', onVisible);
      clearInterval(ticker);
      clearTimeout(announceTimer);
      sub.unsubscribe();
      if (!options.client) client.disconnect();
      if (titled) doc.title = doc.title.replace(/^\(\d+\) /, '');
      element.classList.remove('liveline');
      element.replaceChildren(...original);
      if (mounted.get(element) === handle) mounted.delete(element);
    },
  };
  mounted.set(element, handle);
  return handle;
}

/**
 * Markup the server rendered (the public page `/feeds/:feedId` and the embed, see
 * server/pages/) for a widget to take over in place: the root element holds exactly what
 * widgetHtml() makes for a snapshot, preceded by a
 * `<script type="application/json" class="ll-data">{"v":MARKUP_VERSION,"snapshot":{…}}</script>`
 * with the snapshot itself, so the widget knows every entry it shows and subscribes from the
 * snapshot's cursor (seq, epoch) without loading it again.
 *
 * The embedded snapshot is markup, so it is never rendered: the widget adopts the elements
 * already there and inserts HTML only from its server (later events, pages, a reset's
 * snapshot). Anything that isn't well-formed markup of this build is not taken over: the
 * widget then renders as on any element, from a snapshot it loads.
 */
import type { Entry, FeedSnapshot } from '../types';
import type { WidgetLabels } from './labels';
import { DATA_CLASS, ENTRY_ID_PREFIX, MARKUP_VERSION, type TimeFormats } from './markup';

/** The classes every rendered widget has one element of (see markup.ts). */
export const PART_CLASSES = [
  'll-badge', 'll-notice', 'll-conn', 'll-pause', 'll-order', 'll-title', 'll-desc', 'll-summary', 'll-pinned', 'll-keys',
  'll-more', 'll-list', 'll-empty', 'll-older', 'll-sr',
] as const;

export type PartClass = (typeof PART_CLASSES)[number];

/** The element of a widget part inside `root` (null only in markup that isn't a widget's). */
export const part = (root: ParentNode, cls: PartClass): HTMLElement | null => root.querySelector(`.${cls}`);

const isEntry = (e: Partial<Entry> | null): e is Entry =>
  typeof e === 'object' && e !== null && typeof e.id === 'string' && /^[\w-]+$/.test(e.id) && typeof e.publishedAt === 'string' &&
  typeof e.body === 'string' && Array.isArray(e.authors) && Array.isArray(e.tags);

/**
 * The snapshot `root` was rendered from, with its data block, if `root` holds server-rendered
 * markup of this build for `feed` (every part, an element for every entry); else null.
 */
export function servedSnapshot(root: HTMLElement, feed: string): { snapshot: FeedSnapshot; data: Element } | null {
  const data = root.firstElementChild;
  if (!data?.classList.contains(DATA_CLASS)) return null;
  let parsed: { v?: unknown; snapshot?: Partial<FeedSnapshot> } | null;
  try {
    parsed = JSON.parse(data.textContent ?? '') as typeof parsed;
  } catch {
    return null; // not ours: rendered afresh from the server
  }
  const s = parsed?.snapshot;
  const ok =
    parsed?.v === MARKUP_VERSION && typeof s === 'object' && s !== null && s.feed?.id === feed && Number.isSafeInteger(s.seq) &&
    typeof s.epoch === 'string' && (s.nextBefore === null || typeof s.nextBefore === 'string') && Array.isArray(s.entries) &&
    s.entries.every((e) => isEntry(e) && root.querySelector(`#${ENTRY_ID_PREFIX}${e.id}`) !== null) &&
    PART_CLASSES.every((cls) => part(root, cls) !== null);
  return ok ? { snapshot: s as FeedSnapshot, data } : null;
}

/**
 * Puts every time under `root` in the reader's time zone and format: an entry's clock, its
 * relative time and tooltip, "Updated HH:MM", corrections and key events. Only what differs
 * is written.
 */
export function localise(root: HTMLElement, L: WidgetLabels, t: TimeFormats): void {
  const set = (el: Element | null, text: string): void => {
    if (el && el.textContent !== text) el.textContent = text;
  };
  root.querySelectorAll('time').forEach((time) => {
    const iso = time.dateTime;
    if (time.classList.contains('ll-at')) {
      time.title = t.full(iso);
      set(time.querySelector('.ll-clock'), t.clock(iso));
      set(time.querySelector('.ll-ago'), t.ago(iso));
    } else {
      set(time, time.classList.contains('ll-upd') ? `${L.updated} ${t.clock(iso)}` : t.clock(iso));
    }
  });
}

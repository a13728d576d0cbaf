/**
 * The widget's markup as HTML strings: the one rendering of a live blog. The widget builds
 * its DOM from these strings, and the server renders the public page and the embed
 * (server/pages/) with the very same functions, so the server's HTML is exactly the DOM the
 * widget would build, and the widget can take it over in place (no second render, nothing
 * moves). Pure: no DOM, no globals, nothing but strings in and out.
 *
 * Text fields (title, description, headline, authors, tags, notes) are escaped here; entry
 * bodies and the summary are HTML the server has sanitised and go in as they are.
 */
import type { Entry, Feed, FeedSnapshot } from '../types';
import type { WidgetLabels } from './labels';

/** How times read. The widget shows the reader's time zone; the server, not knowing it, UTC. */
export interface TimeFormats {
  /** The clock time of an entry, an edit, a correction, a key event: "20:15". */
  clock(iso: string): string;
  /** The full date and time (the tooltip of an entry's time). */
  full(iso: string): string;
  /** Next to an entry's clock: "5 minutes ago" (the server: the date, as a page is read later). */
  ago(iso: string): string;
  /** The status line of scheduled coverage: "Live coverage begins at 20:00", or not started yet. */
  begins(startsAt: string | null): string;
}

/** Every entry's element id (and permalink) is this plus the entry's id. */
export const ENTRY_ID_PREFIX = 'entry-';

/**
 * The shape of server-rendered markup (and its embedded data) a widget of this build takes
 * over; bumped whenever either changes, so a widget never adopts markup it doesn't know.
 */
export const MARKUP_VERSION = 1;

/** Class of the `<script type="application/json">` carrying the embedded snapshot (first child of the root). */
export const DATA_CLASS = 'll-data';

/** Text (or a quoted attribute value) as HTML. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const hidden = (yes: boolean): string => (yes ? ' hidden' : '');

const NAMED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/**
 * The text of sanitised HTML (an entry body): block ends become line breaks, tags go,
 * character references are decoded, runs of spaces collapse.
 */
export function plainText(html: string): string {
  return html
    .replace(/<\/(p|li|h\d|blockquote|pre|figcaption)>|<br\s*\/?>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#\d+|#x[\da-f]+|[a-z]+);/gi, (m, ref: string) => {
      const code = ref[0] !== '#' ? -1 : ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      if (code < 0) return NAMED[ref.toLowerCase()] ?? m;
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    })
    .replace(/[ \t\r\f\u00a0]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();
}

/** The first `words` words of `text` (whitespace collapsed), with "…" when cut. */
export function excerpt(text: string, words = 12): string {
  const all = text.trim().split(/\s+/);
  return all.slice(0, words).join(' ') + (all.length > words ? '…' : '');
}

/** What a key event or a shared entry is called: its headline, else the start of its text. */
export const entryLabel = (e: Entry): string => e.headline || excerpt(plainText(e.body));

/** The class attribute of an entry's <article>. */
export const entryClass = (e: Entry): string => (e.keyEvent ? 'll-entry ll-key' : 'll-entry');

/**
 * Inside an entry's <article>: when (clock · relative time, "Updated HH:MM", key event, permalink),
 * headline, authors, body, correction notes, tags.
 */
export function entryInner(e: Entry, L: WidgetLabels, t: TimeFormats): string {
  const at = esc(e.publishedAt);
  let html =
    `<div class="ll-when"><time class="ll-at" datetime="${at}" title="${esc(t.full(e.publishedAt))}">` +
    `<span class="ll-clock">${esc(t.clock(e.publishedAt))}</span> · <span class="ll-ago">${esc(t.ago(e.publishedAt))}</span></time>`;
  if (e.updatedAt !== e.publishedAt) html += `<time class="ll-upd" datetime="${esc(e.updatedAt)}">${esc(`${L.updated} ${t.clock(e.updatedAt)}`)}</time>`;
  if (e.keyEvent) html += `<span class="ll-tag">${esc(L.keyEvent)}</span>`;
  html += `<a class="ll-link" href="#${esc(ENTRY_ID_PREFIX + e.id)}">${esc(L.permalink)}</a></div>`;
  if (e.headline) html += `<h3 class="ll-hl">${esc(e.headline)}</h3>`;
  if (e.authors.length) html += `<p class="ll-by">${esc(`${L.by} ${e.authors.join(', ')}`)}</p>`;
  html += `<div class="ll-html ll-body">${e.body}</div>`;
  for (const c of e.corrections ?? []) {
    html += `<p class="ll-corr">${esc(L.correction)}, <time datetime="${esc(c.at)}">${esc(t.clock(c.at))}</time>: ${esc(c.note)}</p>`;
  }
  if (e.tags.length) html += `<div class="ll-foot">${e.tags.map((tag) => `<span>${esc(`#${tag}`)}</span>`).join('')}</div>`;
  return html;
}

/** One entry: `<article id="entry-ID">`, focusable by script (the "N new updates" button moves focus to it). */
export const entryHtml = (e: Entry, L: WidgetLabels, t: TimeFormats): string =>
  `<article id="${esc(ENTRY_ID_PREFIX + e.id)}" class="${entryClass(e)}" tabindex="-1">${entryInner(e, L, t)}</article>`;

/** The "Key events" list items, newest first (entries in `order` with equal times keep that order). */
export function keyItemsHtml(order: readonly Entry[], t: TimeFormats, oldestFirst = false): string {
  return order
    .filter((e) => e.keyEvent)
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.publishedAt === b.e.publishedAt ? a.i - b.i : (a.e.publishedAt < b.e.publishedAt) === oldestFirst ? -1 : 1))
    .map(({ e }) => `<li><a href="#${esc(ENTRY_ID_PREFIX + e.id)}"><time datetime="${esc(e.publishedAt)}">${esc(t.clock(e.publishedAt))}</time>${esc(entryLabel(e))}</a></li>`)
    .join('');
}

/** What the status line and the header's buttons show for a feed (or before the first snapshot). */
export interface CoverageState {
  readonly notice: string;
  readonly live: boolean;
  readonly ended: boolean;
}

export function coverageState(feed: Feed | null, L: WidgetLabels, t: TimeFormats): CoverageState {
  const status = feed?.status;
  return {
    notice: status === 'ended' ? L.coverageEnded : status === 'scheduled' ? t.begins(feed?.startsAt ?? null) : '',
    live: status === 'live',
    ended: status === 'ended',
  };
}

const box = (tag: string, cls: string, heading: string, empty: boolean, inner: string): string =>
  `<${tag} class="ll-box ${cls}" aria-label="${esc(heading)}"${hidden(empty)}><h3 class="ll-h">${esc(heading)}</h3>${inner}</${tag}>`;

/** A button; a toggle says whether it is pressed (`aria-pressed`), and every toggle starts unpressed. */
const button = (cls: string, text: string, isHidden: boolean, toggle = true): string =>
  `<button class="ll-btn ${cls}" type="button"${toggle ? ' aria-pressed="false"' : ''}${hidden(isHidden)}>${esc(text)}</button>`;

export interface WidgetMarkupOptions {
  /** The title's element: `h2` in a page about something else (the widget's default), `h1` on a page of its own. */
  readonly titleTag?: 'h1' | 'h2';
}

/**
 * The whole widget (the children of its root element) showing `snapshot`, or its empty
 * skeleton before one arrived (null): header with the coverage's state, title and
 * description; "What to know"; pinned entries; key events; the "N new updates" bar; the
 * entries, newest first; "No updates yet"; "Load older"; the screen-reader announcer.
 */
export function widgetHtml(snapshot: FeedSnapshot | null, L: WidgetLabels, t: TimeFormats, options: WidgetMarkupOptions = {}): string {
  const feed = snapshot?.feed ?? null;
  const entries = snapshot?.entries ?? [];
  const state = coverageState(feed, L, t);
  const titleTag = options.titleTag ?? 'h2';
  const pinned = entries.filter((e) => e.pinned);
  const list = entries.filter((e) => !e.pinned);
  const more = snapshot !== null && snapshot.nextBefore !== null;
  const keys = keyItemsHtml(entries, t);
  const description = feed?.description ?? '';
  return (
    '<header class="ll-head"><div class="ll-meta">' +
    `<span class="ll-state" role="status"><span class="ll-badge ll-live"${hidden(!state.live)}>${esc(L.live)}</span>` +
    `<span class="ll-notice"${hidden(!state.notice)}>${esc(state.notice)}</span></span>` +
    '<span class="ll-conn"></span>' +
    button('ll-pause', L.pause, state.ended) +
    button('ll-order', L.oldestFirst, !state.ended) +
    `</div><${titleTag} class="ll-title">${esc(feed?.title ?? '')}</${titleTag}>` +
    `<p class="ll-desc"${hidden(!description)}>${esc(description)}</p></header>` +
    box('section', 'll-summary', L.summary, !feed?.summary, `<div class="ll-html">${feed?.summary ?? ''}</div>`) +
    box('section', 'll-pinned', L.pinned, !pinned.length, `<div>${pinned.map((e) => entryHtml(e, L, t)).join('')}</div>`) +
    box('nav', 'll-keys', L.keyEvents, !keys, `<ol>${keys}</ol>`) +
    '<div class="ll-bar"><button class="ll-more" type="button" hidden></button></div>' +
    `<div class="ll-list">${list.map((e) => entryHtml(e, L, t)).join('')}</div>` +
    `<p class="ll-empty"${hidden(snapshot === null || entries.length > 0 || more)}>${esc(L.empty)}</p>` +
    button('ll-older', L.loadOlder, !more, false) +
    '<div class="ll-sr" aria-live="polite" aria-atomic="true"></div>'
  );
}

/**
 * The feed's entries as readers see them (pinned first, then newest first), each with its
 * actions: Correct, Pin/Unpin, Mark/Unmark key event, Delete (after a confirmation dialog).
 * The list follows the FeedState: an entry is rebuilt only when it changed, and kept in
 * place otherwise, so a live update elsewhere never takes the keyboard focus away.
 */
import { conflictOf, type Api } from './api';
import { confirmDialog } from './dialogs';
import { append, button, errorSlot, h, say, uid } from './dom';
import { messageOf, report } from './form-errors';
import { ApiError } from './http';
import { refreshSoon, type LiveFeed } from './live';
import { parseEntry, type Entry } from './parse';
import { sanitize, textOf } from './sanitize';
import { when } from './time';

interface Item {
  readonly el: HTMLElement;
  readonly content: HTMLElement;
  readonly pin: HTMLButtonElement;
  readonly key: HTMLButtonElement;
  readonly error: HTMLParagraphElement;
  entry: Entry;
  version: string;
}

export interface EntriesDeps {
  readonly api: Api;
  readonly live: LiveFeed;
  readonly edit: (entry: Entry) => void;
  readonly failed: (err: unknown) => void;
}

const versionOf = (e: Entry): string => `${e.revision ?? 1}:${e.pinned}:${e.keyEvent}`;
export const titleOf = (e: Entry): string => e.headline ?? (textOf(e.body).slice(0, 80) || 'Untitled entry');

function renderContent(e: Entry, into: HTMLElement, headingId: string): void {
  const badges = [e.pinned ? 'Pinned' : '', e.keyEvent ? 'Key event' : ''].filter(Boolean);
  const meta = h('p', { class: 'meta' }, `${when(e.publishedAt)} · revision ${e.revision ?? 1}`);
  if (e.updatedAt !== e.publishedAt) append(meta, ` · updated ${when(e.updatedAt)}`);
  for (const b of badges) append(meta, ' ', h('span', { class: 'badge' }, b));
  const body = h('div', { class: 'html' });
  body.append(sanitize(e.body));
  into.replaceChildren(meta);
  append(into,
    e.headline !== null && h('h3', { id: headingId }, e.headline),
    e.authors.length > 0 && h('p', { class: 'by' }, `By ${e.authors.join(', ')}`),
    body,
    ...(e.corrections ?? []).map((c) => h('p', { class: 'correction' }, `Correction, ${when(c.at)}: ${c.note}`)));
}

export function createEntriesView({ api, live, edit, failed }: EntriesDeps) {
  const { state } = live;
  const list = h('ol', { class: 'entries' });
  const empty = h('p', { class: 'hint' }, 'No entries yet: the first one you publish appears here.');
  const older = button('Load older entries');
  const olderError = errorSlot(uid('older-error'));
  const heading = h('h2', { id: 'entries-title', tabindex: '-1' }, 'Entries');
  const element = h('section', { class: 'entries-section', 'aria-labelledby': heading.id }, heading, empty, list, older, olderError);
  const items = new Map<string, Item>();

  const act = async (item: Item, run: () => Promise<void>): Promise<void> => {
    say(item.error, null);
    try {
      await run();
      refreshSoon(live, failed);
    } catch (err) {
      say(item.error, messageOf(err));
      if (!(err instanceof ApiError)) report(err);
    }
  };

  const flag = (item: Item, patch: { pinned: boolean } | { keyEvent: boolean }): Promise<void> =>
    act(item, async () => {
      // A pin or a key-event mark is not a change of content: it can't undo anyone's words, so it needs no If-Match.
      const { entry, seq } = await api.patchEntry(state.feedId, item.entry.id, patch);
      state.putEntry(entry, seq);
    });

  const remove = async (item: Item): Promise<void> => {
    const e = item.entry;
    const yes = await confirmDialog('Delete this entry?', `"${titleOf(e)}" will disappear from every reader's page. This can't be undone.`, 'Delete entry', 'Keep it');
    if (!yes) return;
    await act(item, async () => {
      try {
        const { seq } = await api.deleteEntry(state.feedId, e.id, e.revision);
        state.deleteEntry(e.id, seq);
      } catch (err) {
        const theirs = conflictOf(err, 'entry', parseEntry);
        if (theirs === null) throw err;
        throw new ApiError(412, 'revision_conflict', `Not deleted: someone else changed this entry since you looked (now revision ${theirs.revision ?? 1}). Check their version above, then delete again if you still mean to.`);
      }
    });
  };

  const create = (e: Entry): Item => {
    const headingId = uid('entry');
    const content = h('div', { class: 'entry-content' });
    const correct = button('Correct', { 'aria-describedby': headingId });
    const pin = button('Pin', { 'aria-describedby': headingId });
    const key = button('Mark key event', { 'aria-describedby': headingId });
    const del = button('Delete', { class: 'danger', 'aria-describedby': headingId });
    const error = errorSlot(`${headingId}-error`);
    const el = h('li', { class: 'entry', 'data-entry': e.id }, content, h('div', { class: 'actions' }, correct, pin, key, del), error);
    const item: Item = { el, content, pin, key, error, entry: e, version: '' };
    correct.addEventListener('click', () => edit(item.entry));
    pin.addEventListener('click', () => void flag(item, { pinned: !item.entry.pinned }));
    key.addEventListener('click', () => void flag(item, { keyEvent: !item.entry.keyEvent }));
    del.addEventListener('click', () => void remove(item));
    return item;
  };

  const update = (item: Item, e: Entry): void => {
    item.entry = e;
    const version = versionOf(e);
    if (version === item.version) return;
    item.version = version;
    const headingId = item.pin.getAttribute('aria-describedby') ?? uid('entry');
    renderContent(e, item.content, headingId);
    // Entries without a headline are described by their text.
    if (e.headline === null) item.content.querySelector('.html')?.setAttribute('id', headingId);
    item.pin.textContent = e.pinned ? 'Unpin' : 'Pin';
    item.key.textContent = e.keyEvent ? 'Unmark key event' : 'Mark key event';
    item.el.classList.toggle('pinned', e.pinned);
  };

  const render = (): void => {
    const entries = state.entries;
    const seen = new Set<string>();
    entries.forEach((e, i) => {
      seen.add(e.id);
      let item = items.get(e.id);
      if (item === undefined) {
        item = create(e);
        items.set(e.id, item);
      }
      update(item, e);
      // Moved only when out of place: moving an element would drop the focus inside it.
      if (list.children[i] !== item.el) list.insertBefore(item.el, list.children[i] ?? null);
    });
    for (const [id, item] of items) {
      if (seen.has(id)) continue;
      const hadFocus = item.el.contains(document.activeElement);
      item.el.remove();
      items.delete(id);
      if (hadFocus) heading.focus(); // the keyboard stays in the list, not lost on <body>
    }
    empty.hidden = entries.length > 0;
    older.hidden = state.nextBefore === null;
  };

  older.addEventListener('click', () => {
    say(olderError, null);
    live.loadOlder().catch((err: unknown) => {
      say(olderError, messageOf(err));
      if (!(err instanceof ApiError)) report(err);
    });
  });
  const off = state.onChange(render);
  render();
  return { element, destroy: off };
}

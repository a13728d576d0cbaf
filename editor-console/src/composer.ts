/**
 * Writing and correcting entries: the composer form with its live preview. New entries are
 * published (or scheduled, with "Schedule for later"); an entry being edited is saved with
 * `If-Match` of the revision it was loaded at, so another editor's newer save is never
 * overwritten silently: the 412 opens the conflict dialog. Ctrl+Enter / Cmd+Enter publishes.
 */
import { conflictOf, type Api, type EntryPatch, type NewEntryInput } from './api';
import { conflictDialog, entryParts, versionView } from './conflict-dialog';
import { composerForm, contentChanged, contentOf, type Content } from './composer-form';
import { confirmDialog } from './dialogs';
import { button, h } from './dom';
import { refreshSoon, type LiveFeed } from './live';
import { parseEntry, type Entry } from './parse';
import { createPreview, type Preview } from './preview';
import { sanitizeHtml } from './sanitize';
import { when } from './time';

export interface Composer {
  readonly element: HTMLElement;
  /** Loads `entry` into the form to correct it. */
  edit(entry: Entry): Promise<void>;
  destroy(): void;
}

export interface ComposerDeps {
  readonly api: Api;
  readonly live: LiveFeed;
  /** A new entry was scheduled: the scheduled list should reload. */
  readonly scheduled: () => void;
  /** A reload after a write failed (shown at the feed's level). */
  readonly failed: (err: unknown) => void;
}

type Mode = { readonly kind: 'new' } | { readonly kind: 'edit'; readonly base: Entry; readonly baseBody: string };

export function createComposer({ api, live, scheduled, failed }: ComposerDeps): Composer {
  const { state } = live;
  const form = composerForm();
  const submitButton = button('Publish', { class: 'primary' });
  const cancelEdit = button('Cancel edit');
  cancelEdit.hidden = true;
  form.actions.append(submitButton, cancelEdit);
  const mine = h('div', { class: 'mine', hidden: true });
  const feed = state.feed;
  if (feed === null) throw new TypeError('createComposer: the feed is not loaded yet');
  const preview: Preview = createPreview(feed);
  const element = h('section', { class: 'composer', 'aria-labelledby': form.title.id }, h('div', { class: 'composer-main' }, form.element, mine), preview.element);
  let mode: Mode = { kind: 'new' };
  let busy = false;

  const label = (): void => {
    const editing = mode.kind === 'edit';
    form.title.textContent = editing ? 'Correct entry' : 'New entry';
    submitButton.textContent = editing ? 'Save changes' : form.schedule.checked ? 'Schedule' : 'Publish';
    cancelEdit.hidden = !editing;
    form.correctionRow.hidden = !editing;
    form.scheduleRow.hidden = editing;
    form.publishAtRow.hidden = editing || !form.schedule.checked;
  };

  /** The draft as readers would get it, for the preview. */
  const draft = (): Entry | null => {
    const c = form.content();
    if (c.headline === null && c.body === '') return null;
    const now = new Date().toISOString();
    const body = sanitizeHtml(c.body);
    if (mode.kind === 'edit') {
      const { base, baseBody } = mode;
      const changed = contentChanged(contentOf(base), c, baseBody);
      const note = form.correction.value.trim();
      const corrections = changed && note !== '' ? [...(base.corrections ?? []), { revision: (base.revision ?? 1) + 1, at: now, note }] : base.corrections;
      return { ...base, ...c, body, updatedAt: changed ? now : base.updatedAt, corrections };
    }
    const at = form.publishAtValue() ?? now;
    return { id: 'draft', feedId: state.feedId, ...c, body, publishedAt: at, updatedAt: at, revision: 1, corrections: [] };
  };
  let previewTimer: ReturnType<typeof setTimeout> | undefined;
  const updatePreview = (): void => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => preview.show(draft()), 80);
  };
  form.onInput(() => {
    label();
    updatePreview();
  });

  const showMine = (c: Content | null): void => {
    mine.replaceChildren();
    mine.hidden = c === null;
    if (c === null) return;
    const dismiss = button('Hide my version');
    dismiss.addEventListener('click', () => showMine(null));
    mine.append(versionView('Your version (not saved)', entryParts(c), 'yours'), dismiss);
  };

  const startEdit = (entry: Entry): void => {
    form.fill(contentOf(entry));
    mode = { kind: 'edit', base: entry, baseBody: form.body.html() };
    form.notice.hidden = true;
    label();
  };

  const reset = (): void => {
    const authors = form.content().authors; // the same people usually write the next one
    mode = { kind: 'new' };
    form.fill({ headline: null, body: '', authors, tags: [], pinned: false, keyEvent: false });
    form.correction.value = '';
    form.schedule.checked = false;
    form.publishAt.value = '';
    form.notice.hidden = true;
    showMine(null);
    label();
  };

  const done = (message: string): void => {
    reset();
    form.status.textContent = message;
    form.headline.focus();
  };

  const publish = async (): Promise<void> => {
    const c = form.content();
    const publishAt = form.publishAtValue();
    if (publishAt === undefined) return form.errors.say('publishAt', 'Choose the date and time to publish at.');
    const input: NewEntryInput = {
      ...(c.headline !== null ? { headline: c.headline } : {}),
      ...(c.body !== '' ? { body: c.body } : {}),
      ...(c.authors.length ? { authors: c.authors } : {}),
      ...(c.tags.length ? { tags: c.tags } : {}),
      ...(c.pinned ? { pinned: true } : {}),
      ...(c.keyEvent ? { keyEvent: true } : {}),
      ...(publishAt !== null ? { publishAt } : {}),
    };
    const result = await api.createEntry(state.feedId, input);
    if (result.kind === 'scheduled') {
      scheduled();
      return done(`Scheduled for ${when(result.scheduled.publishAt)}.`);
    }
    state.putEntry(result.entry, result.seq);
    refreshSoon(live, failed);
    done(`Published at ${when(result.entry.publishedAt)}.`);
  };

  /** What to send to make `base` into the form's content; with `all`, every content field (an overwrite). */
  const patchFor = (base: Entry, baseBody: string, c: Content, all: boolean): EntryPatch => {
    const b = contentOf(base);
    const patch: { -readonly [K in keyof EntryPatch]: EntryPatch[K] } = {};
    if (all || c.headline !== b.headline) patch.headline = c.headline;
    if (all || c.body !== baseBody) patch.body = c.body;
    if (all || c.authors.join('\n') !== b.authors.join('\n')) patch.authors = c.authors;
    if (all || c.tags.join('\n') !== b.tags.join('\n')) patch.tags = c.tags;
    if (c.pinned !== b.pinned) patch.pinned = c.pinned;
    if (c.keyEvent !== b.keyEvent) patch.keyEvent = c.keyEvent;
    const note = form.correction.value.trim();
    if (note !== '') patch.correction = note;
    return patch;
  };

  const save = async (base: Entry, baseBody: string, all = false): Promise<void> => {
    const c = form.content();
    const patch = patchFor(base, baseBody, c, all);
    if (Object.keys(patch).length === 0) return form.errors.say(null, 'Nothing has changed yet.');
    try {
      const { entry, seq } = await api.patchEntry(state.feedId, base.id, patch, base.revision);
      state.putEntry(entry, seq);
      refreshSoon(live, failed);
      done(`Saved: readers now see revision ${entry.revision ?? 1}.`);
    } catch (err) {
      const theirs = conflictOf(err, 'entry', parseEntry);
      if (theirs === null) throw err;
      const choice = await conflictDialog('this entry', theirs.revision ?? 1, entryParts(theirs), entryParts({ ...c, body: sanitizeHtml(c.body) }));
      if (choice === 'overwrite') return save(theirs, sanitizeHtml(theirs.body), true);
      if (choice === 'merge') {
        const note = form.correction.value;
        startEdit(theirs);
        form.correction.value = note;
        showMine(c);
        form.status.textContent = `Their version (revision ${theirs.revision ?? 1}) is in the form; yours is shown below it. Combine them and save.`;
        form.headline.focus();
        updatePreview();
        return;
      }
      form.errors.say(null, `Not saved: someone else saved revision ${theirs.revision ?? 1} first.`);
    }
  };

  const submit = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    form.errors.clear();
    form.status.textContent = '';
    try {
      if (mode.kind === 'edit') await save(mode.base, mode.baseBody);
      else await publish();
    } catch (err) {
      form.errors.show(err);
    } finally {
      busy = false;
    }
  };

  submitButton.addEventListener('click', () => void submit());
  cancelEdit.addEventListener('click', () => {
    reset();
    form.status.textContent = 'Edit cancelled.';
    form.headline.focus();
  });
  element.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    void submit();
  });

  // Someone else changed (or deleted) the entry being corrected: say so now, not at save time.
  const off = state.onChange(() => {
    if (mode.kind !== 'edit') return;
    const now = state.entry(mode.base.id);
    const base = mode.base;
    if (now !== null && (now.revision ?? 1) <= (base.revision ?? 1)) return;
    form.notice.hidden = false;
    form.notice.textContent = now === null
      ? 'Someone else deleted this entry while you were correcting it.'
      : `Someone else changed this entry while you were correcting it (now revision ${now.revision ?? 1}). Saving will show you both versions.`;
  });

  label();
  return {
    element,
    async edit(entry) {
      const c = form.content();
      const unsaved = mode.kind === 'new' ? c.headline !== null || c.body !== '' : mode.base.id !== entry.id;
      if (unsaved && !(await confirmDialog('Discard your draft?', 'The form holds writing that is not saved. Correcting this entry replaces it.', 'Discard and correct', 'Keep writing'))) return;
      form.errors.clear();
      form.status.textContent = '';
      showMine(null);
      startEdit(entry);
      element.scrollIntoView({ block: 'start' });
      form.headline.focus();
      updatePreview();
    },
    destroy() {
      off();
      clearTimeout(previewTimer);
      preview.destroy();
    },
  };
}

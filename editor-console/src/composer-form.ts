/**
 * The composer's fields and what they hold: headline, body, authors, tags, key event, pin,
 * "schedule for later" with its time, and (when correcting) the correction note. Reads them
 * as entry content, fills them from an entry, and registers each with the form's errors so
 * an API error lands beside its field.
 */
import { errorSlot, field, h, input, statusLine } from './dom';
import { FormErrors } from './form-errors';
import type { NewEntry } from '../../server/domain/validate';
import type { Entry } from './parse';
import { richText, type RichText } from './rich-text';
import { fromLocalInput } from './time';

/** The content of an entry as the form holds it: what the API takes as a new entry (`body` is the editor's HTML, '' when nothing visible; the server sanitises it). */
export type Content = NewEntry;

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter((s) => s !== '');

export interface ComposerForm {
  readonly element: HTMLElement;
  readonly title: HTMLHeadingElement;
  readonly notice: HTMLParagraphElement;
  readonly headline: HTMLInputElement;
  readonly body: RichText;
  readonly schedule: HTMLInputElement;
  readonly scheduleRow: HTMLElement;
  readonly publishAt: HTMLInputElement;
  readonly publishAtRow: HTMLElement;
  readonly correction: HTMLInputElement;
  readonly correctionRow: HTMLElement;
  readonly actions: HTMLElement;
  readonly errors: FormErrors;
  readonly status: HTMLParagraphElement;
  content(): Content;
  fill(c: Content): void;
  /** The chosen publishAt with its offset; null when "schedule" is off; undefined when on but not a valid time. */
  publishAtValue(): string | null | undefined;
  onInput(listener: () => void): void;
}

export function composerForm(): ComposerForm {
  const headline = field('Headline', input({ maxlength: '300', autocomplete: 'off' }));
  const body = richText('Body', 'Ctrl+Enter (⌘+Enter on a Mac) publishes.');
  const authors = field('Authors', input({ autocomplete: 'off' }), 'Separate names with commas.');
  const tags = field('Tags', input({ autocomplete: 'off' }), 'Separate tags with commas.');
  const keyEvent = field('Key event', input({ type: 'checkbox' }), 'Listed in the "Key events" timeline.');
  const pinned = field('Pin to the top', input({ type: 'checkbox' }));
  const schedule = field('Schedule for later', input({ type: 'checkbox' }));
  const publishAt = field('Publish at', input({ type: 'datetime-local' }), 'Your local time.');
  publishAt.row.hidden = true;
  const correction = field('Correction note', input({ maxlength: '500', autocomplete: 'off' }),
    'Optional. Shown to readers under the entry ("Correction, 21:14: …"); needs a change of headline, body, authors or tags.');
  correction.row.hidden = true;
  const general = errorSlot(`composer-error-${Date.now().toString(36)}`);
  const errors = new FormErrors(general)
    .add('headline', headline.control, headline.error)
    .add('body', body.editable, body.error)
    .add('authors', authors.control, authors.error)
    .add('tags', tags.control, tags.error)
    .add('keyEvent', keyEvent.control, keyEvent.error)
    .add('pinned', pinned.control, pinned.error)
    .add('publishAt', publishAt.control, publishAt.error)
    .add('correction', correction.control, correction.error);
  const title = h('h2', { id: 'composer-title' }, 'New entry');
  const notice = h('p', { class: 'notice', hidden: true });
  notice.setAttribute('role', 'status');
  const status = statusLine();
  const actions = h('div', { class: 'actions' });
  const flags = h('div', { class: 'flags' }, keyEvent.row, pinned.row, schedule.row);
  const element = h('div', { class: 'composer-form' },
    title, notice, headline.row, body.row, authors.row, tags.row, flags, publishAt.row, correction.row, actions, general, status);

  const listeners: Array<() => void> = [];
  const changed = (): void => listeners.forEach((l) => l());
  for (const c of [headline.control, authors.control, tags.control, publishAt.control, correction.control]) c.addEventListener('input', changed);
  for (const c of [keyEvent.control, pinned.control]) c.addEventListener('change', changed);
  body.onInput(changed);
  schedule.control.addEventListener('change', () => {
    publishAt.row.hidden = !schedule.control.checked;
    changed();
  });

  return {
    element,
    title,
    notice,
    headline: headline.control,
    body,
    schedule: schedule.control,
    scheduleRow: schedule.row,
    publishAt: publishAt.control,
    publishAtRow: publishAt.row,
    correction: correction.control,
    correctionRow: correction.row,
    actions,
    errors,
    status,
    content: () => ({
      headline: headline.control.value.trim() || null,
      body: body.html(),
      authors: list(authors.control.value),
      tags: list(tags.control.value),
      pinned: pinned.control.checked,
      keyEvent: keyEvent.control.checked,
    }),
    fill(c) {
      headline.control.value = c.headline ?? '';
      body.setHtml(c.body);
      authors.control.value = c.authors.join(', ');
      tags.control.value = c.tags.join(', ');
      pinned.control.checked = c.pinned;
      keyEvent.control.checked = c.keyEvent;
      changed();
    },
    publishAtValue() {
      if (!schedule.control.checked) return null;
      return fromLocalInput(publishAt.control.value) ?? undefined;
    },
    onInput(listener) {
      listeners.push(listener);
    },
  };
}

/** An entry's content, as the form would hold it. */
export const contentOf = (e: Entry): Content => ({
  headline: e.headline, body: e.body, authors: e.authors, tags: e.tags, pinned: e.pinned, keyEvent: e.keyEvent,
});

const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Whether headline, body, authors or tags differ (what makes a new revision). `baseBody` is the base's body as the form reads it back. */
export function contentChanged(base: Content, now: Content, baseBody: string): boolean {
  return base.headline !== now.headline || baseBody !== now.body || !same(base.authors, now.authors) || !same(base.tags, now.tags);
}

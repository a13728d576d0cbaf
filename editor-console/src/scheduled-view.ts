/**
 * The feed's scheduled entries (GET /v1/feeds/:id/scheduled), soonest first, each with a
 * new time to reschedule it to and a Cancel (confirmed; readers never see it). Readers get
 * no event for these, so the list reloads after this console's own changes, when an entry
 * goes out (an `entry.created` with its id), and on "Refresh".
 */
import { conflictOf, type Api } from './api';
import { conflictDialog } from './conflict-dialog';
import { confirmDialog } from './dialogs';
import { button, errorSlot, field, h, input, say, statusLine, uid } from './dom';
import { FormErrors, messageOf, report } from './form-errors';
import { ApiError } from './http';
import type { LiveFeed } from './live';
import { parseScheduled, type ScheduledEntry } from './parse';
import { textOf } from './sanitize';
import { fromLocalInput, toLocalInput, when } from './time';

export interface ScheduledView {
  readonly element: HTMLElement;
  reload(): Promise<void>;
  destroy(): void;
}

const titleOf = (s: ScheduledEntry): string => s.headline ?? (textOf(s.body).slice(0, 80) || 'Untitled entry');

export function createScheduledView(api: Api, live: LiveFeed): ScheduledView {
  const feedId = live.state.feedId;
  const list = h('ol', { class: 'scheduled' });
  const empty = h('p', { class: 'hint' }, 'Nothing scheduled. Tick "Schedule for later" in the composer to write an entry ahead of time.');
  const refresh = button('Refresh scheduled');
  const error = errorSlot(uid('scheduled-error'));
  const status = statusLine();
  const heading = h('h2', { id: 'scheduled-title', tabindex: '-1' }, 'Scheduled');
  const element = h('section', { class: 'panel', 'aria-labelledby': heading.id }, heading, empty, list, h('div', { class: 'actions' }, refresh), error, status);
  let known: ScheduledEntry[] = [];

  const item = (s: ScheduledEntry): HTMLElement => {
    const headingId = uid('scheduled');
    const time = field('New time', input({ type: 'datetime-local', value: toLocalInput(s.publishAt) }));
    const general = errorSlot(uid('scheduled-item-error'));
    const errors = new FormErrors(general).add('publishAt', time.control, time.error);
    const reschedule = button('Reschedule', { 'aria-describedby': headingId });
    const cancel = button('Cancel entry', { class: 'danger', 'aria-describedby': headingId });

    const run = async (what: () => Promise<void>): Promise<void> => {
      errors.clear();
      status.textContent = '';
      try {
        await what();
      } catch (err) {
        errors.show(err);
      }
    };
    reschedule.addEventListener('click', () => void run(async () => {
      const at = fromLocalInput(time.control.value);
      if (at === null) return errors.say('publishAt', 'Choose the date and time to publish at.');
      let base = s;
      for (;;) {
        try {
          await api.reschedule(feedId, s.id, at, base.revision);
          status.textContent = `Rescheduled "${titleOf(s)}" for ${when(at)}.`;
          return await reload();
        } catch (err) {
          const theirs = conflictOf(err, 'scheduled', parseScheduled);
          if (theirs === null) throw err;
          const choice = await conflictDialog('this scheduled entry', theirs.revision, [['Publish at', when(theirs.publishAt)], ['Headline', theirs.headline ?? '']], [['Publish at', when(at)], ['Headline', s.headline ?? '']]);
          if (choice !== 'overwrite') return reload();
          base = theirs;
        }
      }
    }));
    cancel.addEventListener('click', () => void run(async () => {
      const yes = await confirmDialog('Cancel this scheduled entry?', `"${titleOf(s)}" will not be published, and readers will never see it.`, 'Cancel entry', 'Keep it');
      if (!yes) return;
      try {
        await api.cancelScheduled(feedId, s.id, s.revision);
      } catch (err) {
        if (conflictOf(err, 'scheduled', parseScheduled) === null) throw err;
        await reload();
        throw new ApiError(412, 'revision_conflict', 'Not cancelled: someone else changed this scheduled entry since you looked. Check it, then cancel again if you still mean to.');
      }
      status.textContent = `Cancelled "${titleOf(s)}".`;
      await reload();
    }));
    return h('li', { class: 'entry' },
      h('p', { class: 'meta' }, `Goes out ${when(s.publishAt)} · scheduled by ${s.actor}`),
      h('h3', { id: headingId }, titleOf(s)),
      time.row,
      h('div', { class: 'actions' }, reschedule, cancel),
      general);
  };

  const render = (): void => {
    const hadFocus = list.contains(document.activeElement);
    list.replaceChildren(...known.map(item));
    empty.hidden = known.length > 0;
    // The item that had the focus was rebuilt: keep the keyboard in this section.
    if (hadFocus) heading.focus();
  };

  const reload = async (): Promise<void> => {
    say(error, null);
    try {
      known = await api.listScheduled(feedId);
      render();
    } catch (err) {
      say(error, messageOf(err));
      if (!(err instanceof ApiError)) report(err);
    }
  };

  refresh.addEventListener('click', () => void reload());
  // A scheduled entry went out: it is an entry now.
  const off = live.onCreated((id) => {
    if (known.some((s) => s.id === id)) void reload();
  });
  return { element, reload, destroy: off };
}

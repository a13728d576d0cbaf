/**
 * The feeds index (GET /v1/feeds, most recently changed first, a page at a time) and the
 * form that creates a feed. Opening a feed is a plain link (`#/feeds/ID`).
 */
import type { Api } from './api';
import { button, errorSlot, field, h, input, say, select, statusLine, uid } from './dom';
import { FormErrors, messageOf, report } from './form-errors';
import { ApiError } from './http';
import type { FeedStatus, FeedSummary } from './parse';
import { when } from './time';

const STATUS: Readonly<Record<FeedStatus, string>> = { scheduled: 'Scheduled', live: 'Live', ended: 'Ended' };
const STATUSES: readonly FeedStatus[] = ['scheduled', 'live', 'ended'];

export const feedHref = (id: string): string => `#/feeds/${encodeURIComponent(id)}`;

function feedItem(f: FeedSummary): HTMLElement {
  return h('li', { class: 'feed' },
    h('a', { href: feedHref(f.id) }, f.title),
    h('p', { class: 'meta' },
      h('span', { class: `badge ${f.status}` }, STATUS[f.status]),
      ` ${f.entryCount} ${f.entryCount === 1 ? 'entry' : 'entries'} · changed ${when(f.lastChangeAt)} · ${f.id}`));
}

function createForm(api: Api, opened: (id: string) => void): HTMLElement {
  const title = field('Title', input({ required: true, maxlength: '200', placeholder: 'Live updates: …' }));
  const id = field('Feed id', input({ maxlength: '64', pattern: '[a-z0-9][a-z0-9-]{0,63}', autocomplete: 'off', spellcheck: 'false' }),
    'Optional: lowercase letters, digits and dashes (it appears in the page address). Left empty, one is made up.');
  const status = field('Status', select([['live', 'Live'], ['scheduled', 'Scheduled (announced, not started)'], ['ended', 'Ended']]));
  const general = errorSlot(uid('create-error'));
  const errors = new FormErrors(general)
    .add('title', title.control, title.error)
    .add('id', id.control, id.error)
    .add('status', status.control, status.error);
  const create = button('Create feed', { class: 'primary', type: 'submit' });
  const form = h('form', { class: 'panel', 'aria-labelledby': 'create-title', novalidate: true },
    h('h2', { id: 'create-title' }, 'New feed'), title.row, id.row, status.row, h('div', { class: 'actions' }, create), general);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.clear();
    const t = title.control.value.trim();
    if (t === '') return errors.say('title', 'Give the feed a title.');
    const chosen = id.control.value.trim();
    void api.createFeed({
      title: t,
      ...(chosen !== '' ? { id: chosen } : {}),
      status: STATUSES.find((s) => s === status.control.value) ?? 'live',
    }).then((feed) => opened(feed.id), (err: unknown) => errors.show(err));
  });
  return form;
}

/** The feeds screen: index and "New feed". `opened` is called with a created feed's id. */
export function createFeedsView(api: Api, opened: (id: string) => void): HTMLElement {
  const list = h('ol', { class: 'feeds' });
  const empty = h('p', { class: 'hint', hidden: true }, 'No feeds yet: create the first one below.');
  const more = button('Load more feeds');
  more.hidden = true;
  const error = errorSlot(uid('feeds-error'));
  const status = statusLine();
  let cursor: string | null = null;

  const load = async (): Promise<void> => {
    say(error, null);
    status.textContent = 'Loading feeds…';
    try {
      const page = await api.listFeeds(cursor);
      list.append(...page.feeds.map(feedItem));
      cursor = page.nextCursor;
      more.hidden = cursor === null;
      empty.hidden = list.children.length > 0;
      status.textContent = '';
    } catch (err) {
      status.textContent = '';
      say(error, messageOf(err));
      if (!(err instanceof ApiError)) report(err);
    }
  };
  more.addEventListener('click', () => void load());
  void load();
  return h('div', { class: 'screen feeds-screen' },
    h('section', { class: 'panel', 'aria-labelledby': 'feeds-title' }, h('h1', { id: 'feeds-title' }, 'Feeds'), status, empty, list, more, error),
    createForm(api, opened));
}

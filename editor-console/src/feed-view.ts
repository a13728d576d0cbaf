/**
 * One feed's screen: its header (title, coverage, connection), the composer with its
 * preview, the entries, and the coverage, summary and scheduled panels. Built once the
 * feed's first snapshot is in; follows the feed live for as long as it is open.
 */
import type { LiveClient } from '../../client-sdk/src/client';
import type { Api } from './api';
import { createComposer, type Composer } from './composer';
import { coverageText, createCoverageView, createSummaryView } from './coverage-view';
import { errorSlot, h, say, uid } from './dom';
import { createEntriesView } from './entries-view';
import { messageOf, report } from './form-errors';
import { ApiError } from './http';
import { openFeed } from './live';
import { createScheduledView } from './scheduled-view';

export interface FeedView {
  readonly element: HTMLElement;
  destroy(): void;
}

export function createFeedView(api: Api, client: LiveClient, feedId: string): FeedView {
  const live = openFeed(client, api, feedId);
  const { state } = live;
  const title = h('h1', { id: 'feed-title' }, feedId);
  const coverage = h('p', { class: 'coverage' });
  coverage.setAttribute('role', 'status');
  const problem = errorSlot(uid('feed-error'));
  const loading = h('p', { class: 'hint' }, 'Loading the feed…');
  const body = h('div', { class: 'feed-body' });
  const element = h('div', { class: 'screen feed-screen' },
    h('header', { class: 'feed-head' }, title, coverage, problem), loading, body);
  const failed = (err: unknown): void => {
    say(problem, `Could not reload the feed: ${messageOf(err)} Live updates go on.`);
    if (!(err instanceof ApiError)) report(err);
  };
  const parts: Array<{ destroy(): void }> = [];
  let composer: Composer | null = null;

  const build = (): void => {
    const deps = { api, live, failed };
    const scheduled = createScheduledView(api, live);
    composer = createComposer({ api, live, scheduled: () => void scheduled.reload(), failed });
    const c = composer;
    const entries = createEntriesView({ api, live, failed, edit: (entry) => void c.edit(entry).catch(report) });
    const coverageForm = createCoverageView(deps);
    const summaryForm = createSummaryView(deps);
    parts.push(composer, entries, coverageForm, summaryForm, scheduled);
    body.append(
      h('div', { class: 'main-column' }, composer.element, entries.element),
      h('div', { class: 'side-column' }, coverageForm.element, summaryForm.element, scheduled.element),
    );
    void scheduled.reload();
  };

  const show = (): void => {
    const feed = state.feed;
    if (feed === null) return;
    title.textContent = feed.title;
    coverage.textContent = coverageText(feed);
    document.title = `${feed.title} · Liveline editor`;
    if (composer === null) {
      loading.remove();
      build();
    }
  };
  const offs = [
    state.onChange(show),
    live.subscription.on('state', (s) => {
      if (s === 'closed' && state.feed === null) loading.replaceChildren(`There is no feed "${feedId}". `, h('a', { href: '#/feeds' }, 'Back to the feeds'));
    }),
    client.on('error', (err) => {
      if (err.feed === feedId && err.code === 'feed_not_found' && state.feed !== null) say(problem, 'This feed no longer exists.');
    }),
  ];
  show();
  return {
    element,
    destroy() {
      for (const off of offs) off();
      for (const p of parts) p.destroy();
      live.close();
    },
  };
}

/**
 * The feed's coverage state and the "What to know" summary: two small forms over the feed
 * (see feed-form.ts for how they save and resolve conflicts).
 */
import { button, field, input, select } from './dom';
import { feedForm, type FeedFormDeps } from './feed-form';
import type { Feed, FeedStatus } from './parse';
import { richText } from './rich-text';
import { fromLocalInput, toLocalInput, when } from './time';

const STATUSES: readonly FeedStatus[] = ['scheduled', 'live', 'ended'];
const STATUS_LABELS: Readonly<Record<FeedStatus, string>> = { scheduled: 'Scheduled', live: 'Live', ended: 'Ended' };

/** "Live since 20:01", "Scheduled: starts 3 Nov 2026, 20:00", "Ended at 23:10". */
export function coverageText(f: Feed): string {
  if (f.status === 'live') return f.coverageStartedAt === null ? 'Live' : `Live since ${when(f.coverageStartedAt)}`;
  if (f.status === 'ended') return f.coverageEndedAt === null ? 'Ended' : `Ended at ${when(f.coverageEndedAt)}`;
  return f.startsAt === null ? 'Scheduled (no start time announced)' : `Scheduled: starts ${when(f.startsAt)}`;
}

interface Coverage {
  readonly status: FeedStatus;
  /** With its offset, or null. */
  readonly startsAt: string | null;
}

export function createCoverageView(deps: FeedFormDeps) {
  const status = field('Status', select([['scheduled', 'Scheduled (announced, not started)'], ['live', 'Live'], ['ended', 'Ended']]));
  const startsAt = field('Starts at', input({ type: 'datetime-local' }), 'Your local time. Readers see "Live coverage begins at …" while the feed is scheduled.');
  const read = (f: Feed): Coverage => ({ status: f.status, startsAt: f.startsAt });
  return feedForm<Coverage>(deps, {
    what: 'the coverage status',
    saveLabel: 'Save status',
    rows: [status.row, startsAt.row],
    fields: [['status', status.control, status.error], ['startsAt', startsAt.control, startsAt.error]],
    read,
    value: () => ({ status: STATUSES.find((x) => x === status.control.value) ?? 'scheduled', startsAt: fromLocalInput(startsAt.control.value) }),
    show(v) {
      status.control.value = v.status;
      startsAt.control.value = toLocalInput(v.startsAt);
    },
    patch: (v) => ({ status: v.status, startsAt: v.startsAt }),
    equal: (a, b) => a.status === b.status && (a.startsAt === null ? b.startsAt === null : b.startsAt !== null && Date.parse(a.startsAt) === Date.parse(b.startsAt)),
    parts: (v) => [['Status', STATUS_LABELS[v.status]], ['Starts at', v.startsAt === null ? '' : when(v.startsAt)]],
  }, 'coverage-title', 'Coverage');
}

export function createSummaryView(deps: FeedFormDeps) {
  const summary = richText('Summary', 'The "What to know" box readers see at the top of the feed. Use List for bullet points.');
  const form = feedForm<string | null>(deps, {
    what: 'the summary',
    saveLabel: 'Save summary',
    rows: [summary.row],
    fields: [['summary', summary.editable, summary.error]],
    read: (f) => f.summary,
    value: () => summary.html() || null,
    show: (v) => summary.setHtml(v ?? ''),
    patch: (v) => ({ summary: v }),
    equal: (a, b) => a === b,
    parts: (v) => [['What to know', v ?? '', 'html']],
  }, 'summary-title', 'What to know');
  const remove = button('Remove summary');
  remove.addEventListener('click', () => void form.submit({ value: null }));
  form.actions.append(remove);
  return form;
}

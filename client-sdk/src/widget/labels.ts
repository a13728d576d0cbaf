/**
 * Every string the widget shows, in English by default. Pass `labels` to mount() to
 * translate some or all of them; times and relative times follow `locale`.
 */
export interface WidgetLabels {
  /** The badge while the coverage is live. */
  live: string;
  /**
   * The status line of scheduled coverage that has a start time: `time` is the clock time
   * (the reader's time zone, `locale`'s format), `date` its day when not today, else null.
   */
  coverageBegins: (time: string, date: string | null) => string;
  /** The status line of scheduled coverage without a start time (or once that time has passed). */
  coverageNotStarted: string;
  /** The status line of ended coverage. */
  coverageEnded: string;
  /** The toggle of ended coverage that shows entries oldest first (aria-pressed="true" while it does). */
  oldestFirst: string;
  /** Heading of the pinned summary block. */
  summary: string;
  /** Heading of the pinned entries area. */
  pinned: string;
  /** Heading of the key-events list, and the tag on a key-event entry. */
  keyEvents: string;
  keyEvent: string;
  /** Before the author names: "By" → "By Ana Ruiz, Tom Li". */
  by: string;
  /** Before the time of the last correction: "Updated" → "Updated 21:14". */
  updated: string;
  /** Before each correction note: "Correction" → "Correction, 21:14: An earlier version misstated …". */
  correction: string;
  /** Text of each entry's permalink anchor (#entry-ID). */
  permalink: string;
  /** Relative time under a minute. */
  justNow: string;
  /** The "N new updates" button and the screen-reader announcement. */
  newUpdates: (count: number) => string;
  /** The pause toggle (aria-pressed="true" while new entries are held back). */
  pause: string;
  loadOlder: string;
  loading: string;
  loadFailed: string;
  empty: string;
  connecting: string;
  reconnecting: string;
  /** The feed does not exist. */
  unavailable: string;
}

export const DEFAULT_LABELS: Readonly<WidgetLabels> = {
  live: 'LIVE',
  coverageBegins: (time, date) => `Live coverage begins ${date ? `on ${date} ` : ''}at ${time}`,
  coverageNotStarted: 'Live coverage has not started yet',
  coverageEnded: 'This live coverage has ended',
  oldestFirst: 'Oldest first',
  summary: 'What to know',
  pinned: 'Pinned',
  keyEvents: 'Key events',
  keyEvent: 'Key event',
  by: 'By',
  updated: 'Updated',
  correction: 'Correction',
  permalink: 'Link',
  justNow: 'Just now',
  newUpdates: (n) => (n === 1 ? '1 new update' : `${n} new updates`),
  pause: 'Pause live updates',
  loadOlder: 'Load older updates',
  loading: 'Loading…',
  loadFailed: 'Could not load older updates. Try again',
  empty: 'No updates yet.',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  unavailable: 'This live blog is not available.',
};

/**
 * Times on server-rendered pages. The server doesn't know the reader's time zone, so it
 * writes UTC and says so ("20:15 UTC"); next to an entry's clock it puts the date, since a
 * page is read (and cached) long after it was rendered. The widget, taking the page over,
 * rewrites every time in the reader's zone before the page is first painted.
 */
import type { WidgetLabels } from '../../client-sdk/src/widget/labels';
import type { TimeFormats } from '../../client-sdk/src/widget/markup';

const UTC = { timeZone: 'UTC', timeZoneName: 'short' } as const;
const clockFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', ...UTC });
const fullFmt = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', ...UTC });
const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const dayFmt = new Intl.DateTimeFormat('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/**
 * UTC times for `labels`. Nothing depends on the time of rendering, so a page is the same for
 * as long as its feed is: a scheduled start is announced with its day even once it has passed.
 */
export function utcFormats(labels: WidgetLabels): TimeFormats {
  const at = (iso: string): Date => new Date(iso);
  return {
    clock: (iso) => clockFmt.format(at(iso)),
    full: (iso) => fullFmt.format(at(iso)),
    ago: (iso) => dateFmt.format(at(iso)),
    begins: (iso) => (iso === null ? labels.coverageNotStarted : labels.coverageBegins(clockFmt.format(at(iso)), dayFmt.format(at(iso)))),
  };
}

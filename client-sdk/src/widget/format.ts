/** Pure helpers for the widget: times, the script's base URL. */
import type { WidgetLabels } from './labels';
import type { TimeFormats } from './markup';

export { excerpt } from './markup';

/**
 * "Just now", "5 minutes ago", "2 hours ago", "yesterday": how long before `nowMs` the ISO
 * time `iso` was, in whole units, rounded down. Future times (clock skew) count as now.
 */
export function relativeTime(rtf: Intl.RelativeTimeFormat, iso: string, nowMs: number, justNow: string): string {
  const minutes = Math.floor((nowMs - Date.parse(iso)) / 60_000);
  if (!(minutes > 0)) return justNow;
  if (minutes < 60) return rtf.format(-minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  return hours < 24 ? rtf.format(-hours, 'hour') : rtf.format(-Math.floor(hours / 24), 'day');
}

/** Times as the reader reads them: their time zone, `locale`'s format (the browser's when undefined). */
export function readerFormats(locale: string | string[] | undefined, L: WidgetLabels): TimeFormats {
  const clockFmt = new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' });
  const fullFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' });
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const clock = (iso: string): string => clockFmt.format(new Date(iso));
  return {
    clock,
    full: (iso) => fullFmt.format(new Date(iso)),
    ago: (iso) => relativeTime(rtf, iso, Date.now(), L.justNow),
    // "Live coverage begins at 20:00" (with the day when not today), or that it has not started.
    begins(iso) {
      const at = new Date(iso ?? '');
      const now = new Date();
      if (!(at.getTime() > now.getTime())) return L.coverageNotStarted; // none, or late: no time in the past
      const day = new Intl.DateTimeFormat(locale, {
        weekday: 'long', day: 'numeric', month: 'long', year: at.getFullYear() !== now.getFullYear() ? 'numeric' : undefined,
      });
      return L.coverageBegins(clockFmt.format(at), at.toDateString() === now.toDateString() ? null : day.format(at));
    },
  };
}

/**
 * The Liveline server a bundle was loaded from: `https://live.example.com/news/sdk/liveline.js`
 * → `https://live.example.com/news` (the base path before /sdk/ is kept); any other script
 * URL → its origin. '' when there is no usable URL.
 */
export function serverFromScript(src: string | undefined): string {
  let u: URL;
  try {
    u = new URL(src ?? '');
  } catch {
    return '';
  }
  if (!/^https?:$/.test(u.protocol)) return '';
  const m = /^(.*)\/sdk\/[^/]*$/.exec(u.pathname);
  return u.origin + (m ? m[1] : '');
}

/**
 * Times between the API (ISO 8601) and people: a `datetime-local` input holds the editor's
 * wall-clock time without a zone, and the API wants a time with its offset.
 */

const pad = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-03T19:00:00Z` → `2026-11-03T20:00` in the browser's zone (for a datetime-local input); '' for null. */
export function toLocalInput(iso: string | null): string {
  if (iso === null) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * A datetime-local value (`2026-11-03T20:00`, seconds optional) → `2026-11-03T20:00:00+01:00`,
 * with the offset the browser's zone has at that moment (so a date across a DST change gets
 * its own). null when the value is empty or not a time.
 */
export function fromLocalInput(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value);
  if (m === null) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const local = new Date(y, mo - 1, d, h, mi, s);
  if (Number.isNaN(local.getTime())) return null;
  const offset = -local.getTimezoneOffset(); // minutes east of UTC
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const clockFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** "20:14", or "3 Nov 2026, 20:14" when not today. */
export function when(iso: string): string {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? clockFmt.format(d) : fullFmt.format(d);
}

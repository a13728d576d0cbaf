/** Pure helpers for the widget: times, excerpts, the script's base URL. */

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

/** The first `words` words of `text` (whitespace collapsed), with "…" when cut. */
export function excerpt(text: string, words = 12): string {
  const all = text.trim().split(/\s+/);
  return all.slice(0, words).join(' ') + (all.length > words ? '…' : '');
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

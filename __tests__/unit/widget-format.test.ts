import { excerpt, relativeTime, serverFromScript } from '../../client-sdk/src/widget/format';

describe('widget formatting helpers', () => {
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const now = Date.parse('2026-05-01T12:00:00Z');
  const ago = (ms: number): string => relativeTime(rtf, new Date(now - ms).toISOString(), now, 'Just now');

  it('says how long ago, in whole minutes, hours, then days', () => {
    expect(ago(0)).toBe('Just now');
    expect(ago(59_999)).toBe('Just now');
    expect(ago(-5 * 60_000)).toBe('Just now'); // a clock ahead of the reader's
    expect(ago(60_000)).toBe('1 minute ago');
    expect(ago(5 * 60_000 + 59_000)).toBe('5 minutes ago');
    expect(ago(60 * 60_000)).toBe('1 hour ago');
    expect(ago(23 * 3_600_000 + 59 * 60_000)).toBe('23 hours ago');
    expect(ago(24 * 3_600_000)).toBe('yesterday');
    expect(ago(3 * 24 * 3_600_000)).toBe('3 days ago');
    expect(relativeTime(new Intl.RelativeTimeFormat('de', { numeric: 'auto' }), new Date(now - 120_000).toISOString(), now, 'Gerade eben')).toBe('vor 2 Minuten');
  });

  it('cuts a text to its first words', () => {
    expect(excerpt('  Polls   close\nat eight ')).toBe('Polls close at eight');
    expect(excerpt('one two three four', 3)).toBe('one two three…');
    expect(excerpt('')).toBe('');
  });

  it('finds the server a bundle was loaded from', () => {
    expect(serverFromScript('https://live.example.com/sdk/liveline.js')).toBe('https://live.example.com');
    expect(serverFromScript('https://news.example.com:8443/live/sdk/liveline.js?v=3')).toBe('https://news.example.com:8443/live');
    expect(serverFromScript('https://cdn.example.com/assets/liveline.min.js')).toBe('https://cdn.example.com');
    expect(serverFromScript('')).toBe('');
    expect(serverFromScript(undefined)).toBe('');
    expect(serverFromScript('data:text/javascript,1')).toBe('');
  });
});

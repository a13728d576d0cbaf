/**
 * The widget's own markup for a snapshot, rendered on the server (client-sdk/src/widget/
 * markup.ts, the same functions the widget renders with), in its root element and with the
 * snapshot embedded, so that the widget script takes it over in place (see served.ts there).
 */
import { DEFAULT_LABELS } from '../../client-sdk/src/widget/labels';
import { DATA_CLASS, MARKUP_VERSION, widgetHtml } from '../../client-sdk/src/widget/markup';
import type { FeedSnapshot } from '../domain/types';
import { esc, scriptJson } from './html';
import { utcFormats } from './server-formats';

/**
 * `<div class="liveline" data-liveline-feed="ID">`, the embedded snapshot, then the widget
 * showing it; `titleTag` h1 on a page of its own, h2 inside someone else's.
 */
export function widgetRoot(snapshot: FeedSnapshot, titleTag: 'h1' | 'h2'): string {
  const data = scriptJson({ v: MARKUP_VERSION, snapshot });
  return (
    `<div class="liveline" data-liveline-feed="${esc(snapshot.feed.id)}">` +
    `<script type="application/json" class="${DATA_CLASS}">${data}</script>` +
    widgetHtml(snapshot, DEFAULT_LABELS, utcFormats(DEFAULT_LABELS), { titleTag }) +
    '</div>'
  );
}

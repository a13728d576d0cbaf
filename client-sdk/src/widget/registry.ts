/** Which widget an element shows, and which server a widget uses by default. */
import { serverFromScript } from './format';
import type { WidgetHandle } from './options';

// Captured while this bundle's <script> runs: afterwards document.currentScript is another script or null
// (and it is null in an ES module).
const SCRIPT_SERVER =
  typeof document === 'undefined' ? '' : serverFromScript((document.currentScript as HTMLScriptElement | null)?.src);

/** The server a widget uses when not told otherwise: where this bundle's <script src> came from, else the page's origin. */
export const ownServer = (): string => SCRIPT_SERVER || location.origin;

// On the element itself, under a registered symbol: a second copy of the bundle on the page
// (two embeds, two <script> tags) sees the widget the first one mounted and leaves it alone.
const WIDGET: unique symbol = Symbol.for('liveline.widget');
type Host = Element & { [WIDGET]?: WidgetHandle };

/** The widget `element` shows, if any (auto-mount skips such elements). */
export function widgetOf(element: Element): WidgetHandle | undefined {
  return (element as Host)[WIDGET];
}

/** Records (or, with undefined, forgets) the widget `element` shows. */
export function setWidget(element: Element, handle: WidgetHandle | undefined): void {
  if (handle) (element as Host)[WIDGET] = handle;
  else delete (element as Host)[WIDGET];
}

/**
 * The drop-in live-blog widget: `Liveline.mount(element, { feed })`, and auto-mounting of
 * every `<div data-liveline-feed="ID" [data-liveline-url="https://…"]>` once the DOM is
 * ready, so a page needs one <script src="…/sdk/liveline.js"> and one element.
 */
import { isMounted, mount } from './mount';

export { mount } from './mount';
export type { MountOptions, WidgetHandle } from './mount';
export type { WidgetLabels } from './labels';

/** Mounts the widget on every element with data-liveline-feed that doesn't show one yet. */
function autoMount(): void {
  document.querySelectorAll<HTMLElement>('[data-liveline-feed]').forEach((el) => {
    if (isMounted(el)) return;
    try {
      mount(el, { feed: el.dataset.livelineFeed ?? '', url: el.dataset.livelineUrl || undefined });
    } catch (error) {
      // One bad element (e.g. an invalid feed id) must not stop the others nor the bundle.
      setTimeout(() => {
        throw error;
      });
    }
  });
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoMount);
  else autoMount();
}

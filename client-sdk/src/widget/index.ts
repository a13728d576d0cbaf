/**
 * The drop-in live-blog widget: `Liveline.mount(element, { feed })`, and auto-mounting of
 * every `<div data-liveline-feed="ID" [data-liveline-url="https://…"]>` once the DOM is
 * ready, so a page needs one <script src="…/sdk/liveline.js"> and one element.
 *
 * The widget inserts HTML its server sends, so a server is chosen only by code, never by
 * markup alone: an attribute is easier to inject into a page (a CMS field, an HTML snippet)
 * than a script. Auto-mount therefore takes `data-liveline-url` only when it is on the
 * origin this bundle was loaded from, or on an origin the page allowed in code with
 * `Liveline.allowServers([...])` or `window.LivelineConfig = { servers: [...] }`. Otherwise
 * the attribute is ignored, as if it were absent: the widget shows the feed from the
 * script's own server, and console.warn says why and how to allow the other one.
 * `Liveline.mount(el, { url })` is code, so its url is always used.
 *
 * Timing: auto-mount runs at DOMContentLoaded, or, when the document is already parsed
 * (a deferred or module script), right after the bundle has been evaluated (a microtask),
 * so a module that imports liveline.mjs can allow servers first. `LivelineConfig` is read
 * when auto-mount runs. allowServers() called later still works: widgets that had to ignore
 * their data-liveline-url and now may use it are mounted again on that server.
 *
 * An element the server rendered (the public page `/feeds/:feedId`, the embed) already holds
 * the widget's markup and the snapshot it shows: mount() takes it over in place, in the
 * same task as auto-mount, so with the page's render-blocking deferred <script> nothing is
 * painted before it (see served.ts).
 */
import { endpoints } from '../protocol';
import { mount, type WidgetHandle } from './mount';
import { ownServer, widgetOf } from './registry';

export { mount } from './mount';
/** The widget's stylesheet (what mount() injects unless `styles: false`), for pages that supply it themselves. */
export { WIDGET_CSS as widgetCss } from './styles';
export type { MountOptions, WidgetHandle } from './options';
export type { WidgetLabels } from './labels';

/** What a page may set before the script: `window.LivelineConfig = { servers: ['https://live.example.com'] }`. */
interface LivelineConfig {
  servers?: unknown;
}

/** Origins allowed in code, besides the script's own. */
const allowed = new Set<string>();
/** Auto-mounted widgets that ignored their data-liveline-url, to mount again if it is allowed later. */
const refused = new Map<HTMLElement, WidgetHandle>();

const originOf = (url: string): string => new URL(endpoints(url).http).origin;
const trusted = (url: string): boolean => {
  const origin = originOf(url);
  return origin === originOf(ownServer()) || allowed.has(origin);
};
const later = (error: unknown): void => {
  setTimeout(() => {
    throw error;
  });
};

/**
 * Lets auto-mounted widgets use these servers from `data-liveline-url` (see above): absolute
 * base URLs or origins, compared by origin (scheme, host, port). Throws TypeError for
 * anything but an array of absolute http(s) URLs.
 */
export function allowServers(servers: string[]): void {
  if (!Array.isArray(servers) || !servers.every((s) => typeof s === 'string' && /^https?:\/\//i.test(s))) {
    throw new TypeError(`Liveline.allowServers: pass an array of absolute http(s) URLs, got ${JSON.stringify(servers)}`);
  }
  servers.map(originOf).forEach((origin) => allowed.add(origin)); // all checked before any is added
  refused.forEach((handle, el) => {
    const url = el.dataset.livelineUrl;
    if (widgetOf(el) !== handle) refused.delete(el); // destroyed or replaced by the page
    else if (url && trusted(url)) {
      refused.delete(el);
      try {
        mount(el, { feed: el.dataset.livelineFeed ?? '', url });
      } catch (error) {
        later(error);
      }
    }
  });
}

/** Mounts the widget on every element with data-liveline-feed that doesn't show one yet. */
function autoMount(): void {
  const config = (window as { LivelineConfig?: LivelineConfig }).LivelineConfig;
  if (config?.servers) {
    try {
      allowServers(config.servers as string[]);
    } catch (error) {
      later(error);
    }
  }
  document.querySelectorAll<HTMLElement>('[data-liveline-feed]').forEach((el) => {
    if (widgetOf(el)) return;
    const feed = el.dataset.livelineFeed ?? '';
    const url = el.dataset.livelineUrl || undefined;
    try {
      if (url === undefined || trusted(url)) {
        mount(el, { feed, url });
        return;
      }
      const origin = originOf(url);
      console.warn(
        `Liveline: ignoring data-liveline-url="${url}" for feed "${feed}": a widget takes its server from markup only on ` +
          `its script's origin (${originOf(ownServer())}), so that injected markup can't point it elsewhere. ` +
          `Showing "${feed}" from ${ownServer()} instead. To use ${origin}, allow it in code: ` +
          `Liveline.allowServers(['${origin}']) (at any time), or window.LivelineConfig = { servers: ['${origin}'] } before the script.`,
      );
      refused.set(el, mount(el, { feed }));
    } catch (error) {
      // One bad element (e.g. an invalid feed id) must not stop the others nor the bundle.
      later(error);
    }
  });
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', autoMount);
  else void Promise.resolve().then(autoMount);
}

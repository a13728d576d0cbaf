import type { LiveClient } from '../client';
import type { Subscription } from '../subscription';
import type { WidgetLabels } from './labels';

export interface MountOptions {
  /** The feed to show (its id). Required. */
  feed: string;
  /**
   * The Liveline server's base URL. Default: the server the <script src> of this bundle
   * points at (…/sdk/liveline.js), else the page's own origin. Also used for "Load older".
   * Given here it is trusted (it is code); auto-mount's `data-liveline-url` is not, see allowServers().
   */
  url?: string;
  /**
   * Show the feed through this client (connected by mount() if it isn't; left connected by
   * destroy()). It must not be subscribed to the feed already. Default: a new LiveClient.
   */
  client?: LiveClient;
  /** Entries per "Load older" page, 1–100. Default 20 (the snapshot brings the newest 20). */
  pageSize?: number;
  /** Locale(s) for clock and relative times (BCP 47). Default: the browser's. */
  locale?: string | string[];
  /** Visible strings to replace; English by default. (Server-rendered markup is English: with labels it is rendered afresh.) */
  labels?: Partial<WidgetLabels>;
  /**
   * Inject the widget's stylesheet (one `<style id="liveline-style">` per document). Default
   * true. false: the host page supplies the CSS itself (`Liveline.widgetCss`, e.g. as a file
   * its Content-Security-Policy allows without `style-src 'unsafe-inline'`).
   */
  styles?: boolean;
}

export interface WidgetHandle {
  readonly client: LiveClient;
  readonly subscription: Subscription;
  /**
   * Unsubscribes (and disconnects the client mount() created), removes every listener and
   * timer, restores the element's original content and the document title. Idempotent.
   */
  destroy(): void;
}

/**
 * The pages' stylesheets and their Content-Security-Policy: no inline script at all (the
 * JSON-LD and the embedded snapshot are data blocks, which CSP doesn't run), the widget's
 * script from the Liveline server only, each stylesheet allowed by its hash.
 */
import { createHash } from 'node:crypto';
import { WIDGET_CSS } from '../../client-sdk/src/widget/styles';

/** The page around the widget. */
export const PAGE_CSS =
  'body{margin:0;background:#fff;color:#1a1a1a;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}' +
  '.ll-page{max-width:46rem;margin:0 auto;padding:1rem 1rem 3rem}.ll-missing{margin:3rem 0}';

/** Without JavaScript the widget's buttons would do nothing: they are not shown. */
export const NOSCRIPT_CSS = '.liveline .ll-btn{display:none!important}';

export { WIDGET_CSS };

const hash = (css: string): string => `'sha256-${createHash('sha256').update(css, 'utf8').digest('base64')}'`;
const STYLE_SRC = [WIDGET_CSS, PAGE_CSS, NOSCRIPT_CSS].map(hash).join(' ');

/**
 * The policy of a page whose widget talks to `server` (its absolute base URL), or to the
 * page's own origin when null.
 */
export function contentSecurityPolicy(server: string | null): string {
  let self = "'self'";
  let connect = "'self'";
  if (server !== null) {
    const origin = new URL(server).origin;
    self = origin;
    connect = `${origin} ${origin.replace(/^http/, 'ws')}`;
  }
  return [
    "default-src 'none'",
    `script-src ${self}`,
    `style-src ${STYLE_SRC}`,
    'img-src https: http:',
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

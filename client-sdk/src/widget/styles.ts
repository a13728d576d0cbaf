/**
 * The widget's stylesheet, injected once per document (a <style id="liveline-style"> in
 * <head>) and scoped under the `.liveline` class that mount() puts on its element. No
 * external CSS, no framework. A page themes it by setting these custom properties on the
 * element or any ancestor (defaults in brackets):
 *
 *   --liveline-font         font-family of the whole widget             [inherit]
 *   --liveline-text         text colour                                 [inherit]
 *   --liveline-bg           widget background                           [transparent]
 *   --liveline-muted        secondary text: times, authors, description [#5f6368]
 *   --liveline-accent       LIVE badge, headings, key events, buttons   [#c70000]
 *   --liveline-on-accent    text on the accent colour                   [#fff]
 *   --liveline-border       rules between entries, button borders       [#dcdcdc]
 *   --liveline-panel        background of the summary, pinned area and key events [#f4f4f1]
 *   --liveline-highlight    flash behind a newly arrived entry          [#fff2b3]
 *   --liveline-radius       corner radius                               [4px]
 *   --liveline-top          height of a fixed site header: where the "N new updates"
 *                           button sticks and where a permalink scrolls to [0px]
 *
 * Under `prefers-reduced-motion: reduce` nothing animates (no flash, no pulsing badge)
 * and scrolling is instant.
 */
export const WIDGET_CSS = `.liveline{font-family:var(--liveline-font,inherit);color:var(--liveline-text,inherit);background:var(--liveline-bg,transparent);line-height:1.5}
.liveline *{box-sizing:border-box}
.liveline [hidden]{display:none!important}
.liveline h1,.liveline h2,.liveline h3{line-height:1.25;margin:0}
.ll-meta,.ll-when,.ll-foot{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .75rem;font-size:.8125rem;color:var(--liveline-muted,#5f6368)}
.ll-badge{font-weight:700;letter-spacing:.06em;padding:.1em .55em;border-radius:var(--liveline-radius,4px);background:var(--liveline-accent,#c70000);color:var(--liveline-on-accent,#fff)}
.ll-notice{font-weight:700;color:var(--liveline-text,inherit)}
.ll-live:before{content:"";display:inline-block;width:.5em;height:.5em;margin-right:.45em;border-radius:50%;background:currentColor;vertical-align:.05em;animation:ll-pulse 2s infinite}
.ll-btn{font:inherit;font-size:.8125rem;cursor:pointer;color:inherit;background:transparent;border:1px solid var(--liveline-border,#dcdcdc);border-radius:var(--liveline-radius,4px);padding:.2rem .7rem}
.ll-btn:hover{border-color:currentColor}
.ll-pause,.ll-order{margin-left:auto}
.ll-btn[aria-pressed=true]{background:var(--liveline-accent,#c70000);border-color:var(--liveline-accent,#c70000);color:var(--liveline-on-accent,#fff)}
.ll-title{font-size:1.75rem;margin:.4rem 0 .25rem!important}
.ll-desc{margin:0 0 1rem;color:var(--liveline-muted,#5f6368)}
.ll-box{margin:0 0 1rem;padding:.75rem 1rem;border-radius:var(--liveline-radius,4px);background:var(--liveline-panel,#f4f4f1)}
.ll-h{font-size:.8125rem;text-transform:uppercase;letter-spacing:.06em;color:var(--liveline-accent,#c70000);margin-bottom:.25rem!important}
.ll-html>:first-child{margin-top:0}.ll-html>:last-child{margin-bottom:0}
.ll-html img{max-width:100%;height:auto}
.ll-keys ol{list-style:none;margin:0;padding:0}
.ll-keys li{padding:.2rem 0 .2rem .75rem;border-left:2px solid var(--liveline-accent,#c70000)}
.ll-keys a{color:inherit;text-decoration:none}.ll-keys a:hover{text-decoration:underline}
.ll-keys time{font-weight:700;margin-right:.5em}
.ll-bar{position:sticky;top:var(--liveline-top,0px);height:0;z-index:2;text-align:center}
.ll-more{font:inherit;font-weight:700;font-size:.875rem;cursor:pointer;margin-top:.5rem;padding:.45rem 1.1rem;border:0;border-radius:2rem;background:var(--liveline-accent,#c70000);color:var(--liveline-on-accent,#fff);box-shadow:0 2px 8px rgba(0,0,0,.25)}
.ll-more:before{content:"\\2191  "}
.ll-entry{padding:1rem 0;border-top:1px solid var(--liveline-border,#dcdcdc);scroll-margin-top:var(--liveline-top,0px)}
.ll-box .ll-entry{padding:.75rem 0}
.ll-box .ll-entry:first-of-type{border-top:0;padding-top:.25rem}
.ll-clock{font-weight:700;color:var(--liveline-text,inherit)}
.ll-upd{font-style:italic}.ll-corr{font-size:.9em;font-style:italic;margin:.4em 0}
.ll-tag{font-weight:700;color:var(--liveline-accent,#c70000)}
.ll-hl{font-size:1.25rem;margin:.35rem 0 .25rem!important}
.ll-by{margin:.25rem 0;font-size:.875rem;color:var(--liveline-muted,#5f6368)}
.ll-link{color:inherit;margin-left:auto}
.ll-older{display:block;width:100%;margin-top:1rem;padding:.6rem}
.ll-bar+.ll-older{margin:0 0 1rem}
.ll-empty{color:var(--liveline-muted,#5f6368)}
.ll-list[aria-busy=true]{opacity:.5;transition:opacity .2s}
.ll-new{animation:ll-flash 3s ease-out}
@keyframes ll-flash{from{background:var(--liveline-highlight,#fff2b3);box-shadow:0 0 0 .5rem var(--liveline-highlight,#fff2b3)}}
@keyframes ll-pulse{50%{opacity:.25}}
.ll-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (prefers-reduced-motion:reduce){.liveline *,.liveline :before{animation:none!important;scroll-behavior:auto!important}}`;

/** Adds the stylesheet to `doc` unless it is there already. */
export function injectStyles(doc: Document): void {
  if (doc.getElementById('liveline-style')) return;
  const style = doc.createElement('style');
  style.id = 'liveline-style';
  style.textContent = WIDGET_CSS;
  doc.head.appendChild(style);
}

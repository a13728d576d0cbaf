/**
 * The server's HTML allowlist (server/domain/sanitize.ts), mirrored for the browser: what the
 * console shows of an entry body or a summary (the preview of a draft, an entry, the other
 * editor's version in a conflict) is what readers will get, and nothing the server would drop
 * ever reaches the console's DOM. Parsed in an inert document, copied element by element.
 */

const TAGS: ReadonlySet<string> = new Set([
  'p', 'br', 'hr', 'b', 'strong', 'i', 'em', 'u', 's', 'small', 'sub', 'sup', 'mark',
  'a', 'ul', 'ol', 'li', 'blockquote', 'q', 'cite', 'code', 'pre', 'h3', 'h4',
  'figure', 'figcaption', 'img', 'span',
]);
/** Dropped with everything inside them. */
const DROPPED: ReadonlySet<string> = new Set(['script', 'style', 'textarea', 'option', 'noscript', 'template', 'iframe', 'object', 'svg', 'math', 'head', 'title']);
const ATTRIBUTES: Readonly<Record<string, readonly string[]>> = { a: ['href', 'title'], img: ['src', 'alt', 'width', 'height'], blockquote: ['cite'] };
const URLS: Readonly<Record<string, RegExp>> = { href: /^(https?:\/\/|mailto:|#)/i, src: /^https?:\/\//i, cite: /^(https?:\/\/|mailto:)/i };

function copy(from: Node, to: Node): void {
  for (const node of Array.from(from.childNodes)) {
    if (node.nodeType === Node.TEXT_NODE) {
      to.appendChild(document.createTextNode(node.textContent ?? ''));
      continue;
    }
    if (node.nodeType !== Node.ELEMENT_NODE) continue; // comments, processing instructions
    const source = node as Element;
    const tag = source.localName;
    if (DROPPED.has(tag)) continue;
    if (!TAGS.has(tag)) {
      copy(source, to); // the tag goes, its content stays
      continue;
    }
    const el = document.createElement(tag);
    for (const name of ATTRIBUTES[tag] ?? []) {
      const value = source.getAttribute(name);
      const rule = URLS[name];
      if (value !== null && (rule === undefined || rule.test(value.trim()))) el.setAttribute(name, value);
    }
    if (tag === 'a') el.setAttribute('rel', 'noopener noreferrer nofollow');
    copy(source, el);
    to.appendChild(el);
  }
}

const parse = (html: string): HTMLElement => new DOMParser().parseFromString(`<!doctype html><body>${html}`, 'text/html').body;

/** The allowed part of `html`, as nodes of this document. */
export function sanitize(html: string): DocumentFragment {
  const out = document.createDocumentFragment();
  copy(parse(html), out);
  return out;
}

/** The allowed part of `html`, as HTML. */
export function sanitizeHtml(html: string): string {
  const box = document.createElement('div');
  box.append(sanitize(html));
  return box.innerHTML;
}

/** The visible text of `html`, whitespace collapsed. */
export function textOf(html: string): string {
  return (parse(html).textContent ?? '').replace(/\s+/g, ' ').trim();
}

/** Whether `html` shows something: visible text or an image (as the server decides whether a body has content). */
export function hasContent(html: string): boolean {
  const body = parse(html);
  return (body.textContent ?? '').replace(/[\s\u200b-\u200d\u2060\ufeff]/g, '') !== '' || body.querySelector('img[src]') !== null;
}

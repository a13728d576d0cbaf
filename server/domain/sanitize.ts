/**
 * Entry bodies and feed summaries are HTML written by editors and inserted as HTML into
 * readers' pages, so they pass through an allowlist sanitiser (sanitize-html, which parses
 * with htmlparser2 rather than matching patterns): only the tags and attributes below
 * survive, links may only be http(s) or mailto, and script/style content is dropped whole.
 */
import sanitizeHtml from 'sanitize-html';

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'hr', 'b', 'strong', 'i', 'em', 'u', 's', 'small', 'sub', 'sup', 'mark',
    'a', 'ul', 'ol', 'li', 'blockquote', 'q', 'cite', 'code', 'pre', 'h3', 'h4',
    'figure', 'figcaption', 'img', 'span',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    blockquote: ['cite'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'template', 'iframe', 'object', 'svg', 'math'],
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...onlyAbsolute(attribs, 'href', /^(https?:\/\/|mailto:|#)/i), rel: 'noopener noreferrer nofollow' } }),
    // Bodies are shown on other sites' pages, where a relative image URL means nothing.
    img: (tagName, attribs) => ({ tagName, attribs: onlyAbsolute(attribs, 'src', /^https?:\/\//i) }),
  },
};

function onlyAbsolute(attribs: sanitizeHtml.Attributes, name: string, allowed: RegExp): sanitizeHtml.Attributes {
  const value = attribs[name];
  if (value === undefined || allowed.test(value.trim())) return attribs;
  const { [name]: _dropped, ...rest } = attribs;
  return rest;
}

/** Returns HTML that is safe to insert into a page. Never throws. */
export function sanitizeBody(html: string): string {
  return sanitizeHtml(html, OPTIONS).trim();
}

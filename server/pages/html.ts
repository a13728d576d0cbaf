/** Escaping for the pages' HTML: text and attributes, and JSON inside a <script> data block. */
export { esc } from '../../client-sdk/src/widget/markup';

/**
 * JSON for a `<script type="application/json">` or `application/ld+json` block. Inside a
 * script element only `</script` or `<!--` could end it early; `<` is written as `\u003c`
 * (still the same JSON), `>` and `&` likewise, and U+2028/U+2029 escaped for old parsers.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

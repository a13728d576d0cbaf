/**
 * The public live-blog page `/feeds/:feedId`: a complete HTML document of the feed as it
 * stands, readable without JavaScript, with its canonical URL, Open Graph and Twitter card
 * tags and schema.org JSON-LD. The widget's script (render-blocking, deferred: it runs once
 * the document is parsed and before the first paint) takes the markup over in place.
 */
import { excerpt, plainText } from '../../client-sdk/src/widget/markup';
import type { FeedSnapshot } from '../domain/types';
import { esc, scriptJson } from './html';
import { liveBlogPosting, type Publisher } from './live-blog-jsonld';
import { NOSCRIPT_CSS, PAGE_CSS, WIDGET_CSS } from './page-security';
import { widgetRoot } from './widget-root';

export interface LivePageInput {
  readonly snapshot: FeedSnapshot;
  /** The page's canonical URL. */
  readonly url: string;
  /** The widget bundle's URL (absolute, or a path on this origin). */
  readonly script: string;
  /** The newest change the page reflects (ISO). */
  readonly modified: string;
  readonly publisher: Publisher;
}

/** The feed's description for sharing: its own, else the start of its summary, else its title. */
function shareText(snapshot: FeedSnapshot): string {
  const { description, summary, title } = snapshot.feed;
  return description || (summary !== null ? excerpt(plainText(summary), 40) : '') || title;
}

const meta = (attr: 'name' | 'property', key: string, content: string): string => `<meta ${attr}="${key}" content="${esc(content)}">`;

export function livePage(input: LivePageInput): string {
  const { snapshot, url, publisher } = input;
  const { feed } = snapshot;
  const description = shareText(snapshot);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(feed.title)}</title>
${meta('name', 'description', description)}
<link rel="canonical" href="${esc(url)}">
${meta('property', 'og:type', 'article')}
${meta('property', 'og:title', feed.title)}
${meta('property', 'og:description', description)}
${meta('property', 'og:url', url)}
${meta('property', 'og:site_name', publisher.name)}
${meta('property', 'article:published_time', feed.createdAt)}
${meta('property', 'article:modified_time', input.modified)}
${meta('name', 'twitter:card', 'summary')}
${meta('name', 'twitter:title', feed.title)}
${meta('name', 'twitter:description', description)}
<style id="liveline-style">${WIDGET_CSS}</style>
<style>${PAGE_CSS}</style>
<noscript><style>${NOSCRIPT_CSS}</style></noscript>
<script type="application/ld+json">${scriptJson(liveBlogPosting(snapshot, url, input.modified, publisher))}</script>
<script src="${esc(input.script)}" defer blocking="render"></script>
</head>
<body>
<main class="ll-page">
${widgetRoot(snapshot, 'h1')}
</main>
</body>
</html>
`;
}

/**
 * The embed: the same markup as a fragment for a CMS page, with the stylesheet (so it reads
 * right before the script runs, and nothing moves when it does) and the widget's script.
 */
export function embedFragment(snapshot: FeedSnapshot, script: string): string {
  return `<style id="liveline-style">${WIDGET_CSS}</style>
${widgetRoot(snapshot, 'h2')}
<script src="${esc(script)}" defer></script>
`;
}

/** What an unknown feed's address shows: a page, or for the embed a fragment. */
export function notFoundHtml(feedId: string, fragment: boolean): string {
  const body = `<p class="ll-missing">There is no live blog "${esc(feedId)}" here.</p>`;
  if (fragment) return `${body}\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Live blog not found</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main class="ll-page">
<h1>Live blog not found</h1>
${body}
</main>
</body>
</html>
`;
}

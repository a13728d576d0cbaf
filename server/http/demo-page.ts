/**
 * The embedded demo: the drop-in widget showing one feed (one element with
 * data-liveline-feed, mounted by /sdk/liveline.js), with the curl line to post to it. The
 * editor token is never put in the page; the terminal prints it.
 */
export function demoPage(feedId: string): string {
  // Inside <script>, "</" must not appear literally: JSON.stringify keeps it, so escape it.
  const js = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');
  const attr = (v: string): string => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Liveline demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  details { margin-bottom: 2rem; font-size: .9rem; color: #444; }
  summary { cursor: pointer; font-weight: 600; }
  pre { background: #f4f4f4; padding: .75rem; overflow-x: auto; font-size: .8rem; white-space: pre-wrap; }
</style>
</head>
<body>
<details open>
  <summary>Post an entry</summary>
  <p>Use the editor token printed in the terminal where you started the server:</p>
  <pre id="curl"></pre>
</details>
<main data-liveline-feed="${attr(feedId)}"><p>Loading live updates…</p></main>
<script src="/sdk/liveline.js"></script>
<script>
document.getElementById('curl').textContent = ${js(curlLine(feedId, 'ORIGIN'))}.replace('ORIGIN', location.origin);
</script>
</body>
</html>
`;
}

/** The shell command that posts an entry to `feedId` on the server at `origin`. */
export function curlLine(feedId: string, origin: string): string {
  const body = JSON.stringify({ headline: 'Polls close', body: '<p>First results expected within the hour.</p>' });
  return [
    `curl -X POST ${origin}/v1/feeds/${feedId}/entries \\`,
    `  -H "Authorization: Bearer $LIVELINE_TOKEN" -H 'Content-Type: application/json' \\`,
    `  -d '${body}'`,
  ].join('\n');
}

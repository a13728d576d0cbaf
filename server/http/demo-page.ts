/**
 * The embedded demo: a live view of one feed built on the SDK, with the curl line to post
 * to it. The editor token is never put in the page; the terminal prints it.
 */
export function demoPage(feedId: string): string {
  // Inside <script>, "</" must not appear literally: JSON.stringify keeps it, so escape it.
  const js = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Liveline demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1a1a1a; }
  header h1 { margin-bottom: .25rem; }
  .badge { display: inline-block; font-size: .75rem; font-weight: 700; padding: .1rem .5rem; border-radius: 3px; background: #c00; color: #fff; vertical-align: middle; }
  .badge.ended { background: #666; }
  #state { color: #666; font-size: .85rem; }
  pre { background: #f4f4f4; padding: .75rem; overflow-x: auto; font-size: .8rem; white-space: pre-wrap; }
  article { border-top: 1px solid #ddd; padding: .75rem 0; }
  article.pinned { background: #fff8e1; padding: .75rem; }
  article time, .updated { color: #666; font-size: .85rem; margin-right: .5rem; }
  article h2 { font-size: 1.15rem; margin: .25rem 0; }
</style>
</head>
<body>
<header>
  <h1 id="title">Liveline demo</h1>
  <span id="status" class="badge">LIVE</span> <span id="state">connecting…</span>
  <p id="description"></p>
</header>
<details open>
  <summary>Post an entry</summary>
  <p>Use the editor token printed in the terminal where you started the server:</p>
  <pre id="curl"></pre>
</details>
<main id="entries" aria-live="polite"></main>
<script src="/sdk/liveline.js"></script>
<script>
(function () {
  var feedId = ${js(feedId)};
  var origin = location.origin;
  document.getElementById('curl').textContent = ${js(curlLine(feedId, 'ORIGIN'))}.replace('ORIGIN', origin);
  var list = document.getElementById('entries');
  function render(entry) {
    var el = document.getElementById('entry-' + entry.id) || document.createElement('article');
    el.id = 'entry-' + entry.id;
    el.className = entry.pinned ? 'pinned' : '';
    el.textContent = '';
    var time = document.createElement('time');
    time.dateTime = entry.publishedAt;
    time.textContent = new Date(entry.publishedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    el.appendChild(time);
    if (entry.updatedAt !== entry.publishedAt) {
      var upd = document.createElement('span');
      upd.className = 'updated';
      upd.textContent = 'Updated ' + new Date(entry.updatedAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      el.appendChild(upd);
    }
    if (entry.headline) { var h = document.createElement('h2'); h.textContent = entry.headline; el.appendChild(h); }
    var body = document.createElement('div');
    body.innerHTML = entry.body; // sanitised by the server
    el.appendChild(body);
    return el;
  }
  function showFeed(feed) {
    document.getElementById('title').textContent = feed.title;
    document.getElementById('description').textContent = feed.description;
    var badge = document.getElementById('status');
    badge.textContent = feed.status.toUpperCase();
    badge.className = 'badge ' + feed.status;
  }
  var client = new Liveline.LiveClient({ url: origin });
  client.on('state', function (s) { document.getElementById('state').textContent = s; });
  var sub = client.subscribe(feedId);
  sub.on('snapshot', function (snap) {
    showFeed(snap.feed);
    list.textContent = '';
    snap.entries.forEach(function (e) { list.appendChild(render(e)); });
  });
  sub.on('entry.created', function (e) { list.insertBefore(render(e), list.firstChild); });
  sub.on('entry.updated', function (e) { render(e); });
  sub.on('entry.deleted', function (d) { var el = document.getElementById('entry-' + d.id); if (el) el.remove(); });
  sub.on('feed.updated', showFeed);
  client.connect();
})();
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

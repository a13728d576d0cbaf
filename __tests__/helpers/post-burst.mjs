#!/usr/bin/env node
// An editor posting a burst of entries from a process of its own, so that the requests keep
// coming while the node's process is busy: CONCURRENCY requests in flight until COUNT have
// been answered. Headlines are "burst 1" … "burst COUNT"; bodies BODY_BYTES long. Prints one
// JSON line `{"created":…,"failed":…}`. Loopback only; ends within 60 s whatever happens.
//
//   node post-burst.mjs URL TOKEN FEED COUNT CONCURRENCY [BODY_BYTES]
const [url, token, feed, countArg, concurrencyArg, bodyBytesArg = '100'] = process.argv.slice(2);
if (new URL(url).hostname !== '127.0.0.1') throw new Error(`loopback only: ${url}`);
setTimeout(() => process.exit(3), 60_000).unref();

const count = Number(countArg);
const body = `<p>${'x'.repeat(Number(bodyBytesArg))}</p>`;
let next = 1;
let created = 0;
let failed = 0;

async function worker() {
  while (next <= count) {
    const i = next++;
    const res = await fetch(`${url}/v1/feeds/${feed}/entries`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ headline: `burst ${i}`, body }),
    });
    await res.arrayBuffer();
    if (res.status === 201) created += 1;
    else failed += 1;
  }
}

await Promise.all(Array.from({ length: Number(concurrencyArg) }, worker));
process.stdout.write(`${JSON.stringify({ created, failed })}\n`);

#!/usr/bin/env node
// Many WebSocket readers of one feed, in a process of their own so that reading what they
// get doesn't cost the process that measures the node. Each checks that it gets every seq
// once, in order. Prints one JSON line `{"ready":N}` once all are subscribed, then, for every
// line read on stdin, `{"events":…,"perReader":{min,max},"outOfOrder":…,"closed":…}`.
// Exits when stdin ends, or after MAX_MS at the latest. Loopback only.
//
//   node many-readers.mjs URL FEED COUNT [MAX_MS]
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const [url, feed, countArg, maxMsArg = '60000'] = process.argv.slice(2);
const count = Number(countArg);
if (new URL(url).hostname !== '127.0.0.1') throw new Error(`loopback only: ${url}`);
setTimeout(() => process.exit(3), Number(maxMsArg)).unref();

const cursor = new Int32Array(count).fill(-1);
const got = new Int32Array(count);
let outOfOrder = 0;
let closed = 0;
let ready = 0;

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', feed })));
    ws.on('error', reject);
    ws.on('close', () => {
      closed += 1;
    });
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'subscribed') {
        cursor[i] = frame.seq;
        resolve();
      } else if (frame.type === 'event') {
        if (frame.seq !== cursor[i] + 1) outOfOrder += 1;
        cursor[i] = frame.seq;
        got[i] += 1;
      }
    });
  });
}

for (let i = 0; i < count; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => open(i + k)));
  ready = i + Math.min(200, count - i);
}
process.stdout.write(`${JSON.stringify({ ready })}\n`);

createInterface({ input: process.stdin }).on('line', () => {
  let events = 0;
  let min = Infinity;
  let max = 0;
  for (const n of got) {
    events += n;
    min = Math.min(min, n);
    max = Math.max(max, n);
  }
  process.stdout.write(`${JSON.stringify({ events, perReader: { min, max }, outOfOrder, closed })}\n`);
}).on('close', () => process.exit(0));

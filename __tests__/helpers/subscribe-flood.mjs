#!/usr/bin/env node
// An abusive reader, in a process of its own so its CPU isn't charged to the readers the
// test measures: it holds CONNECTIONS WebSockets to the node and floods each with
// subscribe frames carrying old cursors — BURST frames at once, then PER_SECOND, written
// as raw pre-masked frames so the flood costs the attacker almost nothing. Sent at the
// node's own budgets, nothing is cut off and every frame makes the node work; sent faster,
// the node closes the connection and the attacker reconnects at once. Bounded in time
// (DURATION_MS) and count; loopback only. Prints one JSON line: what it sent and got.
//
//   node subscribe-flood.mjs URL '["feed-a"]' MAX_SEQ CONNECTIONS DURATION_MS LOCAL_ADDRESS BURST PER_SECOND
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';

const [url, feedsJson, maxSeqArg, connectionsArg, durationArg, localAddress = '127.0.0.1', burstArg = '200', perSecondArg = '10000'] = process.argv.slice(2);
const burst = Number(burstArg);
const perTick = Math.max(1, Math.round(Number(perSecondArg) / 20)); // written every 50 ms
const feeds = JSON.parse(feedsJson);
const maxSeq = Number(maxSeqArg);
const connections = Number(connectionsArg);
const until = Date.now() + Number(durationArg);
const { hostname, port } = new URL(url);
if (hostname !== '127.0.0.1' || !localAddress.startsWith('127.')) throw new Error(`loopback only: ${url} from ${localAddress}`);

/** A masked client text frame (payloads under 126 bytes). */
function frame(text) {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]))]);
}

// Cursors spread evenly over [0, MAX_SEQ): some too old to replay, the rest as old as allowed.
let n = 0;
const subscribes = (count) => Buffer.concat(Array.from({ length: count }, () => {
  n += 1;
  return frame(JSON.stringify({ type: 'subscribe', feed: feeds[n % feeds.length], since: (n * 37) % maxSeq }));
}));
const FIRST = subscribes(burst);
const NEXT = Array.from({ length: 64 }, () => subscribes(perTick));
const stats = { framesSent: 0, opened: 0, refused: 0, closed: 0, answers: {} };

function connection() {
  if (Date.now() >= until) return Promise.resolve();
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port), localAddress });
    let head = '';
    let upgraded = false;
    let timer = null;
    let ticks = 0;
    const flood = () => {
      if (socket.destroyed || Date.now() >= until) return;
      socket.write(ticks === 0 ? FIRST : NEXT[ticks % NEXT.length]);
      stats.framesSent += ticks === 0 ? burst : perTick;
      ticks += 1;
      timer = setTimeout(flood, 50);
    };
    socket.on('connect', () => socket.write([
      'GET /v1/ws HTTP/1.1', `Host: ${hostname}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '',
    ].join('\r\n')));
    socket.on('data', (chunk) => {
      if (upgraded) {
        // Count answers roughly by their type; the attacker doesn't care about framing.
        for (const m of chunk.toString('latin1').matchAll(/"type":"(\w+)"/g)) stats.answers[m[1]] = (stats.answers[m[1]] ?? 0) + 1;
        // A close frame from the node (0x88; the JSON it sends otherwise is ASCII): leave, come back at once.
        if (chunk.includes(0x88)) socket.destroy();
        return;
      }
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      if (head.startsWith('HTTP/1.1 101')) {
        upgraded = true;
        stats.opened += 1;
        flood();
      } else {
        stats.refused += 1;
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      stats.closed += 1;
      // Come back at once, as an attacker would; the node's admission decides.
      setTimeout(() => resolve(connection()), 5);
    });
    setTimeout(() => socket.destroy(), Math.max(0, until - Date.now())).unref();
  });
}

await Promise.all(Array.from({ length: connections }, () => connection()));
process.stdout.write(`${JSON.stringify(stats)}\n`);

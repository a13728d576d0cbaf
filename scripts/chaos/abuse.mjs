// Abusive clients, none of them recorded as readers: a reconnect storm through the balancer,
// a reader that never reads, and frame and subscribe floods straight at the nodes from another
// loopback address (127.0.0.2), so that per-address budgets fall on them, not on our readers.
import WebSocket from 'ws';
import { sleep } from './feed-log.mjs';

const ABUSER = '127.0.0.2';
const wsUrl = (base) => `${base.replace(/^http/, 'ws')}/v1/ws`;

/** Opens `url`; resolves the socket once open, or null on failure (bounded). */
function connect(url, options = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    const timer = setTimeout(() => { ws.terminate(); resolve(null); }, 3000);
    ws.once('open', () => { clearTimeout(timer); resolve(ws); });
    ws.on('error', () => { clearTimeout(timer); resolve(null); });
  });
}

/** 50 sockets at a time connect, subscribe and vanish, until `ms` is up. */
export async function reconnectStorm(base, ms) {
  const until = Date.now() + ms;
  let opened = 0;
  let refused = 0;
  while (Date.now() < until) {
    const batch = await Promise.all(Array.from({ length: 50 }, () => connect(wsUrl(base))));
    for (const ws of batch) {
      if (ws === null) { refused++; continue; }
      opened++;
      ws.send(JSON.stringify({ type: 'subscribe', feed: 'feed-1', since: 0 }));
      ws.terminate();
    }
    await sleep(50);
  }
  return { note: `${opened} storm connections, ${refused} refused`, stats: { connections: opened + refused, refused } };
}

/** A reader subscribed to every feed from seq 0 that never reads; dropped after `ms`. */
export async function neverReading(base, feeds, ms) {
  const ws = await connect(wsUrl(base));
  if (ws === null) return { note: 'could not connect', stats: { connections: 1, refused: 1 } };
  let closedBy = null;
  ws.on('close', (code) => { closedBy = code; });
  for (const feed of feeds) ws.send(JSON.stringify({ type: 'subscribe', feed, since: 0 }));
  ws._socket.pause();
  await sleep(ms);
  const open = ws.readyState === WebSocket.OPEN;
  ws.terminate();
  return { note: `held its socket unread${open ? '' : `; the server closed it (${closedBy})`}`, stats: { connections: 1, refused: 0, closedByServer: open ? 0 : 1 } };
}

/** One socket per node sending frames as fast as it can (bad JSON, unknown types) for `ms`. */
export async function frameFlood(urls, ms) {
  const tried = await Promise.all(urls.map((u) => connect(wsUrl(u), { localAddress: ABUSER })));
  const sockets = tried.filter((s) => s !== null);
  const closes = [];
  let answered = 0;
  for (const ws of sockets) {
    ws.on('close', (code) => closes.push(code));
    ws.on('message', () => { answered++; });
  }
  const until = Date.now() + ms;
  let sent = 0;
  while (Date.now() < until && sockets.some((s) => s.readyState === WebSocket.OPEN)) {
    for (const ws of sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      for (let i = 0; i < 50; i++, sent++) ws.send(i % 2 === 0 ? '{not json' : JSON.stringify({ type: 'shout', n: i }));
    }
    await sleep(5);
  }
  for (const ws of sockets) ws.terminate();
  return {
    note: `${sent} frames from ${sockets.length} socket(s), ${answered} answered; closed with [${closes.join(', ')}]`,
    stats: { connections: tried.length, refused: tried.length - sockets.length, framesSent: sent, framesAnswered: answered, closedByServer: closes.length },
  };
}

/** Subscribe/unsubscribe churn with old cursors, and unknown feeds, for `ms`. */
export async function subscribeFlood(urls, feeds, ms) {
  const tried = await Promise.all(urls.flatMap((u) => [1, 2, 3].map(() => connect(wsUrl(u), { localAddress: ABUSER }))));
  const sockets = tried.filter((s) => s !== null);
  const errors = new Map();
  let answered = 0;
  let closed = 0;
  for (const ws of sockets) {
    ws.on('close', () => { closed++; });
    ws.on('message', (d) => {
      answered++;
      const f = JSON.parse(d.toString());
      if (f.type === 'error' || f.type === 'reset') errors.set(f.code ?? f.reason, (errors.get(f.code ?? f.reason) ?? 0) + 1);
    });
  }
  const until = Date.now() + ms;
  let sent = 0;
  for (let n = 0; Date.now() < until && sockets.some((s) => s.readyState === WebSocket.OPEN); n++) {
    for (const ws of sockets) {
      if (ws.readyState !== WebSocket.OPEN) continue;
      const feed = n % 5 === 0 ? `nope-${n}` : feeds[n % feeds.length];
      ws.send(JSON.stringify({ type: 'subscribe', feed, since: n % 7 }));
      ws.send(JSON.stringify({ type: 'unsubscribe', feed }));
      sent += 2;
    }
    await sleep(2);
  }
  const closedByServer = closed;
  for (const ws of sockets) ws.terminate();
  return {
    note: `${sent} frames from ${sockets.length} socket(s), ${answered} answered; refusals ${JSON.stringify(Object.fromEntries(errors))}`,
    stats: { connections: tried.length, refused: tried.length - sockets.length, framesSent: sent, framesAnswered: answered, refusals: Object.fromEntries(errors), closedByServer },
  };
}

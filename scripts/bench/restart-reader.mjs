// The readers of one restart worker (restart-worker.mjs): per-reader state and the protocol. Readers start on node A
// first. When A goes away (SIGTERM: close 1012) each reader reconnects to node B after the SDK's
// full-jitter backoff, random in [0, min(20 s, 0.5 s x 2^attempt)), attempt reset on `subscribed`,
// and resumes from its cursor: {"type":"subscribe","feed","since","epoch"}. As the SDK does, it
// answers `error` frames `unavailable`/`rate_limited` with a backoff and a new subscribe, drops
// duplicates by seq, resubscribes from its cursor on a gap, and reloads the snapshot on `reset`.
// Every anomaly is counted. Times are wall-clock ms (performance.timeOrigin + now()), the parent's
// clock too.
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { RawWebSocket } from './wsclient.mjs';

export const nowMs = () => performance.timeOrigin + performance.now();
export const A = 0;
const B = 1;
const STALL_MS = 30_000; // a socket without `subscribed` this long is given up on (and retried)

export let cfg = null; // {feed, epoch, baseSeq, entries, urls: [wsA, wsB], httpA, httpB, count, first, batch, localAddresses}
export let E = 0;
let armed = false; // the parent is about to SIGTERM node A: A's closes from now on are the restart
export let closing = false;
let targetSeq = Infinity;
export let readersDone = 0;
export let sockets; export let opened; export let lastSeq; export let connectsToB;
export let closeAt; export let lastSubAt; export let bConnAt; export let done; export let recvAt;
let node; let served; let connAttempt; let subAttempt;
let eventPrefix; let epochPart;

/** Allocates the state of `c.count` readers. */
export function init(c) {
  cfg = c;
  const n = c.count;
  E = c.entries;
  sockets = new Array(n);
  node = new Uint8Array(n);
  opened = new Uint8Array(n);
  served = new Uint8Array(n);
  done = new Uint8Array(n);
  lastSeq = new Int32Array(n).fill(c.baseSeq);
  connAttempt = new Int32Array(n);
  subAttempt = new Int32Array(n);
  connectsToB = new Int32Array(n);
  closeAt = new Float64Array(n).fill(NaN);
  lastSubAt = new Float64Array(n).fill(NaN);
  bConnAt = new Float64Array(n).fill(NaN);
  recvAt = new Float64Array(n * E).fill(NaN);
  eventPrefix = Buffer.from(`{"type":"event","feed":${JSON.stringify(c.feed)},"seq":`);
  epochPart = Buffer.from(`,"epoch":${JSON.stringify(c.epoch)}`);
}

export const arm = () => { armed = true; };
export const stopReconnecting = () => { closing = true; };
export function setTarget(seq) {
  targetSeq = seq;
  for (let i = 0; i < sockets.length; i++) if (opened[i] === 1) checkDone(i);
}

export const st = {
  frames: 0, duplicates: 0, gaps: 0, epochMismatch: 0, extra: 0, resets: 0, unavailableFrames: 0, rateLimitedFrames: 0,
  errorFrames: 0, unexpected: 0, badFrames: 0, subscribesToB: 0, closesBeforeRestart: 0, closesNot1012: 0, closeCodes: {},
  failedAttempts: 0, failedReasons: {}, dropsOnB: 0, samples: {},
};
const bump = (o, k) => { o[k] = (o[k] ?? 0) + 1; };
const sample = (k, s) => { st.samples[k] ??= s.slice(0, 240); };

function readInt(buf, at) {
  let v = 0;
  let j = at;
  for (; j < buf.length && buf[j] >= 0x30 && buf[j] <= 0x39; j++) v = v * 10 + (buf[j] - 0x30);
  return [j === at ? NaN : v, j];
}

/** Full-jitter backoff with the SDK's defaults. */
const delay = (attempt) => Math.random() * Math.min(20_000, 500 * 2 ** attempt);

function sendSubscribe(i, ws) {
  if (ws.closed || !ws.open) return;
  if (node[i] === B) st.subscribesToB += 1;
  ws.send(`{"type":"subscribe","feed":${JSON.stringify(cfg.feed)},"since":${lastSeq[i]},"epoch":${JSON.stringify(cfg.epoch)}}`);
}

function checkDone(i) {
  if (done[i] === 1 || node[i] !== B || served[i] !== 1 || lastSeq[i] < targetSeq) return;
  done[i] = 1;
  readersDone += 1;
}

function undone(i) {
  if (done[i] === 0) return;
  done[i] = 0;
  readersDone -= 1;
}

function onEvent(i, ws, seq, epochOk) {
  st.frames += 1;
  if (!epochOk) {
    st.epochMismatch += 1;
    return;
  }
  if (seq <= lastSeq[i]) {
    st.duplicates += 1; // the server promises none; the SDK would drop it
    return;
  }
  if (seq > lastSeq[i] + 1) {
    // a gap: never deliver out of order; as the SDK, ask the server to fill it from the cursor
    st.gaps += 1;
    if (served[i] === 1) sendSubscribe(i, ws);
    return;
  }
  lastSeq[i] = seq;
  const k = seq - cfg.baseSeq;
  if (k < 1 || k > E) st.extra += 1;
  else recvAt[i * E + k - 1] = nowMs();
  checkDone(i);
}

function onFrame(i, ws, data) {
  if (sockets[i] !== ws) return;
  if (data.length > eventPrefix.length && data.compare(eventPrefix, 0, eventPrefix.length, 0, eventPrefix.length) === 0) {
    const [seq, after] = readInt(data, eventPrefix.length);
    if (Number.isInteger(seq)) {
      onEvent(i, ws, seq, data.length >= after + epochPart.length && data.compare(epochPart, 0, epochPart.length, after, after + epochPart.length) === 0);
      return;
    }
  }
  let f;
  try {
    f = JSON.parse(data.toString());
  } catch {
    st.badFrames += 1;
    return;
  }
  if (f.feed !== cfg.feed) {
    st.unexpected += 1;
    sample('unexpected', data.toString());
  } else if (f.type === 'event' && Number.isInteger(f.seq)) {
    onEvent(i, ws, f.seq, f.epoch === cfg.epoch);
  } else if (f.type === 'subscribed') {
    if (f.epoch !== cfg.epoch) st.epochMismatch += 1;
    served[i] = 1;
    ws.everServed = true;
    connAttempt[i] = 0;
    subAttempt[i] = 0;
    if (node[i] === A && ws.onServed) ws.onServed();
    if (node[i] === B) lastSubAt[i] = nowMs();
    checkDone(i);
  } else if (f.type === 'reset') {
    // never expected (the cursor is well inside the history): reload the snapshot, as the SDK
    st.resets += 1;
    sample('reset', data.toString());
    served[i] = 0;
    undone(i);
    fetch(`${node[i] === B ? cfg.httpB : cfg.httpA}/v1/feeds/${cfg.feed}`, { signal: AbortSignal.timeout(10_000) })
      .then((r) => r.json())
      .then((snap) => {
        if (sockets[i] !== ws) return;
        lastSeq[i] = snap.seq;
        sendSubscribe(i, ws);
      }, (err) => sample('resetReload', String(err)));
  } else if (f.type === 'error' && (f.code === 'unavailable' || f.code === 'rate_limited')) {
    if (f.code === 'unavailable') st.unavailableFrames += 1;
    else st.rateLimitedFrames += 1;
    sample(f.code, data.toString());
    served[i] = 0;
    undone(i);
    setTimeout(() => {
      if (sockets[i] === ws && !closing) sendSubscribe(i, ws);
    }, delay(subAttempt[i]++));
  } else {
    st.errorFrames += 1;
    sample('errorFrame', data.toString());
  }
}

function onClose(i, ws, code, reason) {
  if (sockets[i] !== ws) return;
  clearTimeout(ws.stall);
  const wasServed = served[i] === 1;
  sockets[i] = undefined;
  served[i] = 0;
  undone(i);
  if (closing) return;
  if (opened[i] !== 1) {
    ws.onFail?.(new Error(`closed (${code} ${reason}) before subscribing${ws.lastError ? `: ${ws.lastError}` : ''}`));
    return;
  }
  if (node[i] === A) {
    if (!armed) {
      st.closesBeforeRestart += 1;
      sample('closeBeforeRestart', `reader ${cfg.first + i}: close ${code} ${reason}`);
    } else {
      if (Number.isNaN(closeAt[i])) closeAt[i] = nowMs();
      bump(st.closeCodes, code);
      if (code !== 1012) {
        st.closesNot1012 += 1;
        sample('closeNot1012', `reader ${cfg.first + i}: close ${code} ${reason}${ws.lastError ? `: ${ws.lastError}` : ''}`);
      }
    }
  } else if (wasServed) {
    st.dropsOnB += 1;
    sample('dropOnB', `reader ${cfg.first + i}: close ${code} ${reason}${ws.lastError ? `: ${ws.lastError}` : ''}`);
  } else {
    st.failedAttempts += 1;
    const why = ws.lastError ? String(ws.lastError).slice(0, 80) : `close ${code}`;
    bump(st.failedReasons, why);
    sample('failedAttempt', `reader ${cfg.first + i}: ${why}`);
  }
  // As the SDK: reconnect after a full-jitter backoff; the balancer would pick node B, the only
  // node left (before the restart, back to node A), and resume from the cursor.
  const to = armed ? B : A;
  setTimeout(() => {
    if (!closing) connect(i, to);
  }, delay(connAttempt[i]++));
}

export function connect(i, to) {
  node[i] = to;
  served[i] = 0;
  if (to === B) {
    connectsToB[i] += 1;
    bConnAt[i] = nowMs();
  }
  const ws = new RawWebSocket(cfg.urls[to], { localAddress: cfg.localAddresses[(cfg.first + i) % cfg.localAddresses.length], timeoutMs: 15_000 });
  sockets[i] = ws;
  ws.everServed = false;
  ws.stall = setTimeout(() => {
    if (sockets[i] === ws && !ws.everServed) {
      ws.lastError = `no \`subscribed\` within ${STALL_MS / 1000} s`;
      ws.terminate();
    }
  }, STALL_MS);
  ws.on('open', () => sendSubscribe(i, ws));
  ws.on('message', (data) => onFrame(i, ws, data));
  ws.on('error', (err) => {
    ws.lastError ??= err.code ?? err.message;
  });
  ws.on('close', (code, reason) => onClose(i, ws, code, String(reason)));
  return ws;
}


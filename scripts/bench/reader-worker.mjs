// Load-generator child process: holds a share of the readers (WebSocket connections), checks
// every delivery (lost / duplicated / out of order) and records publish-to-receive latency.
// Driven by its parent over IPC: connect, progress, finish, close.
//
// Each delivery has an id (which post it is, 1..M) and an order key:
//  - Liveline: id = seq - the seq in the reader's `subscribed` frame; key = seq.
//  - Nchan (subprotocol ws+meta.nchan): id = the `seq` the publisher put in the JSON body;
//    key = Nchan's message id `time:tag`, which Nchan assigns in the order it stores messages.
// The send time (`performance.timeOrigin + performance.now()` in the publisher) is in the entry's
// headline `t:<ms>` (Liveline) or the body's `"t":<ms>` (Nchan).
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { newHistogram, record, toJSON } from './histogram.mjs';
import { RawWebSocket } from './wsclient.mjs';

const T0 = performance.timeOrigin;
const nowMs = () => T0 + performance.now();

let cfg = null;
let sockets = [];
let base; // Liveline: seq in `subscribed`, per reader
let lastKey; // last order key per reader
let distinct; // ids received once, per reader
let seen; // per reader, a byte per id
const st = {
  frames: 0, duplicates: 0, outOfOrder: 0, extra: 0, badFrames: 0, unexpected: 0, unexpectedSample: null,
  noTimestamp: 0, closes: 0, closeSample: null, firstAt: null, lastAt: null, frameBytes: null,
};
const hist = newHistogram();
let closing = false;
let eventPrefix = null;
const HEADLINE_KEY = Buffer.from('"headline":"t:');
const T_KEY = Buffer.from('"t":');
const SEQ_KEY = Buffer.from('{"seq":');
const ID_PREFIX = Buffer.from('id: ');

function readInt(buf, at) {
  let n = 0;
  let j = at;
  for (; j < buf.length && buf[j] >= 0x30 && buf[j] <= 0x39; j++) n = n * 10 + (buf[j] - 0x30);
  return j === at ? NaN : n;
}

/** A decimal number starting at `at`, up to the first byte that can't be part of one. */
function readNumber(buf, at) {
  let j = at;
  while (j < buf.length && ((buf[j] >= 0x30 && buf[j] <= 0x39) || buf[j] === 0x2e)) j++;
  return j === at ? NaN : Number(buf.toString('latin1', at, j));
}

function onDelivery(i, id, key, sent, now, bytes) {
  st.frames += 1;
  st.frameBytes ??= bytes;
  st.firstAt ??= now;
  st.lastAt = now;
  if (!(id >= 1 && id <= cfg.maxIds)) {
    st.extra += 1;
    return;
  }
  const row = seen[i];
  if (row[id] === 1) {
    st.duplicates += 1;
    return;
  }
  row[id] = 1;
  distinct[i] += 1;
  if (key <= lastKey[i]) st.outOfOrder += 1;
  else lastKey[i] = key;
  if (Number.isFinite(sent)) record(hist, now - sent);
  else st.noTimestamp += 1;
}

function unexpectedFrame(data) {
  st.unexpected += 1;
  st.unexpectedSample ??= data.toString().slice(0, 200);
}

function onLivelineFrame(i, data, subscribed) {
  const now = nowMs();
  if (data.length > eventPrefix.length && data.compare(eventPrefix, 0, eventPrefix.length, 0, eventPrefix.length) === 0) {
    const seq = readInt(data, eventPrefix.length);
    const h = data.indexOf(HEADLINE_KEY);
    const sent = h < 0 ? NaN : readNumber(data, h + HEADLINE_KEY.length);
    if (Number.isInteger(seq)) {
      onDelivery(i, seq - base[i], seq, sent, now, data.length);
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
  if (f.type === 'event' && f.feed === cfg.feed && Number.isInteger(f.seq)) {
    const h = f.data?.headline;
    onDelivery(i, f.seq - base[i], f.seq, typeof h === 'string' && h.startsWith('t:') ? Number(h.slice(2)) : NaN, now, data.length);
  } else if (f.type === 'subscribed' && f.feed === cfg.feed && base[i] === -1) {
    base[i] = f.seq;
    lastKey[i] = f.seq;
    subscribed();
  } else {
    unexpectedFrame(data);
  }
}

function onNchanFrame(i, data) {
  const now = nowMs();
  if (data.length < ID_PREFIX.length || data.compare(ID_PREFIX, 0, ID_PREFIX.length, 0, ID_PREFIX.length) !== 0) {
    unexpectedFrame(data);
    return;
  }
  let j = ID_PREFIX.length;
  const time = readInt(data, j);
  while (j < data.length && data[j] !== 0x3a) j++; // ':'
  const tag = readInt(data, j + 1);
  const body = data.indexOf(SEQ_KEY, j);
  const id = body < 0 ? NaN : readInt(data, body + SEQ_KEY.length);
  const t = body < 0 ? -1 : data.indexOf(T_KEY, body);
  const sent = t < 0 ? NaN : readNumber(data, t + T_KEY.length);
  if (!Number.isInteger(time) || !Number.isInteger(tag) || !Number.isInteger(id)) {
    st.badFrames += 1;
    return;
  }
  onDelivery(i, id, time * 1e6 + tag, sent, now, data.length);
}

function openOne(i) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(() => settle(new Error('not subscribed within 20 s')), 20_000);
    const url = cfg.urls[i % cfg.urls.length];
    const localAddress = cfg.localAddresses[i % cfg.localAddresses.length];
    const protocol = cfg.protocol === 'nchan' ? 'ws+meta.nchan' : undefined;
    const ws = new RawWebSocket(url, { protocol, localAddress, timeoutMs: 20_000 });
    sockets[i] = ws;
    if (cfg.protocol === 'nchan') {
      ws.on('message', (data) => onNchanFrame(i, data));
      ws.on('open', () => settle(ws.protocol === protocol ? undefined : new Error(`subprotocol ${ws.protocol}, not ${protocol}`)));
    } else {
      ws.on('message', (data) => onLivelineFrame(i, data, () => settle()));
      ws.on('open', () => ws.send(cfg.subscribe));
    }
    ws.on('error', (err) => settle(err));
    ws.on('close', (code, reason) => {
      if (closing) return;
      if (settled) {
        st.closes += 1;
        st.closeSample ??= `reader ${cfg.first + i}: close ${code} ${reason.toString().slice(0, 100)}`;
      }
      settle(new Error(`closed (${code}) before subscribing`));
    });
  });
}

async function connect() {
  const n = cfg.count;
  sockets = new Array(n);
  base = new Float64Array(n).fill(-1);
  lastKey = new Float64Array(n).fill(-Infinity);
  distinct = new Int32Array(n);
  seen = Array.from({ length: n }, () => new Uint8Array(cfg.maxIds + 1));
  eventPrefix = Buffer.from(`{"type":"event","feed":${JSON.stringify(cfg.feed)},"seq":`);
  const started = performance.now();
  let opened = 0;
  let failures = 0;
  let sample = null;
  for (let start = 0; start < n; start += cfg.batch) {
    const jobs = [];
    for (let i = start; i < Math.min(n, start + cfg.batch); i++) jobs.push(openOne(i));
    const results = await Promise.allSettled(jobs);
    results.forEach((r, k) => {
      if (r.status === 'fulfilled') opened += 1;
      else {
        failures += 1;
        sample ??= `reader ${cfg.first + start + k}: ${r.reason?.message ?? r.reason}`;
        sockets[start + k]?.terminate();
        sockets[start + k] = undefined;
      }
    });
  }
  return { opened, failures, sample, ms: performance.now() - started };
}

function progress() {
  let total = 0;
  for (let i = 0; i < distinct.length; i++) total += distinct[i];
  return { distinct: total, frames: st.frames, lastAt: st.lastAt };
}

/** Final figures once `posts` posts were acknowledged: what each open reader still lacks is lost. */
function finish(posts) {
  let lost = 0;
  let readersIncomplete = 0;
  let opened = 0;
  for (let i = 0; i < sockets.length; i++) {
    if (sockets[i] === undefined) continue;
    opened += 1;
    let got = 0;
    const row = seen[i];
    for (let id = 1; id <= Math.min(posts, cfg.maxIds); id++) got += row[id];
    if (got < posts) {
      lost += posts - got;
      readersIncomplete += 1;
    }
  }
  return { ...progress(), ...st, opened, lost, readersIncomplete, hist: toJSON(hist) };
}

async function closeAll() {
  closing = true;
  const open = sockets.filter((ws) => ws !== undefined && !ws.closed);
  const gone = Promise.all(open.map((ws) => new Promise((resolve) => ws.once('close', resolve))));
  for (const ws of open) ws.terminate();
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

process.on('message', (msg) => {
  const reply = (ev, body) => process.send({ ev, id: msg.id, ...body });
  const fail = (err) => reply('error', { message: String(err?.stack ?? err) });
  try {
    switch (msg.cmd) {
      case 'connect':
        cfg = msg.cfg;
        connect().then((r) => reply('connected', r), fail);
        break;
      case 'progress': reply('progress', progress()); break;
      case 'finish': reply('result', finish(msg.posts)); break;
      case 'close':
        closeAll().then(() => {
          reply('closed', {});
          process.disconnect();
        }, fail);
        break;
      default: fail(new Error(`unknown command ${msg.cmd}`));
    }
  } catch (err) {
    fail(err);
  }
});
process.on('disconnect', () => {
  closing = true;
  setTimeout(() => process.exit(0), 100).unref();
  for (const ws of sockets) ws?.terminate();
});

// Load-generator child for `--restart` (restart-run.mjs): holds a share of the readers (their
// protocol: restart-reader.mjs). Driven over IPC: connect (subscribe them all on node A), arm (node
// A is about to get SIGTERM), target (the final seq), progress, finish (per-reader rows), close.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import {
  A, E, arm, bConnAt, cfg, closeAt, connect, connectsToB, done, init, lastSubAt, opened, readersDone, recvAt,
  setTarget, sockets, st, stopReconnecting,
} from './restart-reader.mjs';

function openOne(i) {
  return new Promise((resolve, reject) => {
    const ws = connect(i, A);
    const timer = setTimeout(() => ws.onFail(new Error('no `subscribed` within 20 s')), 20_000);
    ws.onServed = () => {
      clearTimeout(timer);
      ws.onServed = null;
      ws.onFail = null;
      opened[i] = 1; // from now on the reader reconnects by itself
      resolve();
    };
    ws.onFail = (err) => {
      clearTimeout(timer);
      ws.onServed = null;
      ws.onFail = null;
      sockets[i] = undefined;
      clearTimeout(ws.stall);
      ws.terminate();
      reject(err);
    };
  });
}

async function connectAll(c) {
  init(c);
  const n = cfg.count;
  const started = performance.now();
  let ok = 0;
  let failures = 0;
  let failSample = null;
  for (let start = 0; start < n; start += cfg.batch) {
    const jobs = [];
    for (let i = start; i < Math.min(n, start + cfg.batch); i++) jobs.push(openOne(i));
    for (const r of await Promise.allSettled(jobs)) {
      if (r.status === 'fulfilled') ok += 1;
      else {
        failures += 1;
        failSample ??= String(r.reason?.message ?? r.reason);
      }
    }
  }
  return { opened: ok, failures, sample: failSample, ms: performance.now() - started };
}

/** Per reader (opened ones only): A's close, the subscribe on B that held, and when it had seq `final`. */
function finish(final) {
  const k = final - cfg.baseSeq;
  const rows = { closeAt: [], lastSubAt: [], bConnAt: [], doneAt: [], connectsToB: [] };
  let missing = 0;
  let readersIncomplete = 0;
  let openedCount = 0;
  for (let i = 0; i < sockets.length; i++) {
    if (opened[i] !== 1) continue;
    openedCount += 1;
    let got = 0;
    for (let j = 0; j < Math.min(k, E); j++) if (!Number.isNaN(recvAt[i * E + j])) got += 1;
    missing += Math.max(0, Math.min(k, E) - got);
    const has = k >= 1 && k <= E ? recvAt[i * E + k - 1] : NaN;
    const ok = done[i] === 1 && !Number.isNaN(has) && !Number.isNaN(lastSubAt[i]);
    if (!ok) readersIncomplete += 1;
    const nul = (x) => (Number.isNaN(x) ? null : Math.round(x * 10) / 10);
    rows.closeAt.push(nul(closeAt[i]));
    rows.lastSubAt.push(nul(lastSubAt[i]));
    rows.bConnAt.push(nul(bConnAt[i]));
    rows.doneAt.push(ok ? nul(Math.max(has, lastSubAt[i])) : null);
    rows.connectsToB.push(connectsToB[i]);
  }
  return { ...st, opened: openedCount, readersDone, missing, readersIncomplete, rows };
}

async function closeAll() {
  stopReconnecting();
  const open = sockets.filter((ws) => ws !== undefined && !ws.closed);
  const gone = Promise.all(open.map((ws) => new Promise((resolve) => ws.once('close', resolve))));
  for (const ws of open) ws.terminate();
  await Promise.race([gone, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

process.on('message', (msg) => {
  const reply = (ev, body = {}) => process.send({ ev, id: msg.id, ...body });
  const fail = (err) => reply('error', { message: String(err?.stack ?? err) });
  try {
    switch (msg.cmd) {
      case 'connect':
        connectAll(msg.cfg).then((r) => reply('connected', r), fail);
        break;
      case 'arm': arm(); reply('armed'); break;
      case 'target': setTarget(msg.seq); reply('target'); break;
      case 'progress': reply('progress', { readersDone, frames: st.frames }); break;
      case 'finish': reply('result', finish(msg.final)); break;
      case 'close':
        closeAll().then(() => {
          reply('closed');
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
  stopReconnecting();
  setTimeout(() => process.exit(0), 100).unref();
  for (const ws of sockets ?? []) ws?.terminate();
});

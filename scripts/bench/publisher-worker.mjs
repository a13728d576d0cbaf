// Load-generator child process that publishes: POSTs at a fixed rate for a fixed time over
// one keep-alive agent with bounded concurrency. A post whose slot is not free on time goes out
// as soon as one is (the schedule slips, it is never skipped) until the time is up, so under
// overload the achieved post rate falls below the offered one. Driven over IPC: `publish`.
//
// Liveline: POST /v1/feeds/:feedId/entries {headline: "t:<send ms>", body: "<p>filler</p>"}.
// Nchan:    POST /pub/:channel {"seq":N,"t":<send ms>,"pad":"…"} (seq assigned in send order).
// With `urls` (several Liveline nodes), post N goes to urls[(N - 1) % urls.length], as a balancer would.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { newHistogram, record, summary } from './histogram.mjs';

const T0 = performance.timeOrigin;
const nowMs = () => T0 + performance.now();

/**
 * @param {{protocol: 'liveline'|'nchan', url: string, urls?: string[], token?: string, bodyHtml?: string, pad?: string,
 *          rate: number, seconds: number, concurrency: number, timeoutMs: number}} c
 */
async function publish(c) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: c.concurrency });
  const urls = (c.urls ?? [c.url]).map((u) => new URL(u));
  const headers = { 'content-type': 'application/json' };
  if (c.token) headers.authorization = `Bearer ${c.token}`;
  const st = { sent: 0, ok: 0, errors: 0, retries: 0, errorSample: null, firstAt: null, lastAt: null, lastAckAt: null };
  const http2xx = newHistogram();
  const body = (seq, t) => (c.protocol === 'nchan'
    ? `{"seq":${seq},"t":${t.toFixed(3)},"pad":"${c.pad}"}`
    : JSON.stringify({ headline: `t:${t.toFixed(3)}`, body: c.bodyHtml }));

  let inflight = 0;
  let wake = null;
  const post = (seq) => new Promise((resolve) => {
    const t = nowMs();
    st.firstAt ??= t;
    st.lastAt = t;
    const payload = body(seq, t);
    const started = performance.now();
    const url = urls[(seq - 1) % urls.length];
    const send = (retried) => {
      const req = http.request({
        host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: retried ? false : agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(payload) }, timeout: c.timeoutMs,
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          if (text.length < 300) text += d;
        });
        res.on('end', () => {
          if (res.statusCode >= 200 && res.statusCode < 300) {
            st.ok += 1;
            record(http2xx, performance.now() - started);
            st.lastAckAt = nowMs();
          } else {
            st.errors += 1;
            st.errorSample ??= `post ${seq}: HTTP ${res.statusCode} ${text.slice(0, 200)}`;
          }
          resolve();
        });
        res.on('error', (err) => {
          st.errors += 1;
          st.errorSample ??= `post ${seq}: ${err.message}`;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${c.timeoutMs} ms`)));
      req.on('error', (err) => {
        // Node's keep-alive race: the server closed an idle socket just as this request went out on
        // it, so nothing reached the server; retry once on a new connection (a duplicate would still fail
        // the run: readers would get one seq more than the posts acknowledged).
        if (!retried && req.reusedSocket && err.code === 'ECONNRESET') {
          st.retries += 1;
          send(true);
          return;
        }
        st.errors += 1;
        st.errorSample ??= `post ${seq}: ${err.message}`;
        resolve();
      });
      req.end(payload);
    };
    send(false);
  });

  const total = Math.max(1, Math.round(c.rate * c.seconds));
  const intervalMs = 1000 / c.rate;
  const start = performance.now();
  const endAt = start + c.seconds * 1000;
  const pending = new Set();
  while (st.sent < total) {
    const now = performance.now();
    if (now >= endAt && st.sent > 0) break;
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    while (st.sent < due && inflight < c.concurrency) {
      st.sent += 1;
      inflight += 1;
      const p = post(st.sent).then(() => {
        inflight -= 1;
        pending.delete(p);
        if (wake !== null) wake();
      });
      pending.add(p);
    }
    if (st.sent >= total) break;
    if (st.sent < due) {
      // every slot is busy: wait for one to come free
      await new Promise((resolve) => {
        wake = () => {
          wake = null;
          resolve();
        };
      });
    } else {
      const wait = start + st.sent * intervalMs - performance.now();
      if (wait > 0) await sleep(Math.max(1, Math.min(wait, endAt - performance.now())));
    }
  }
  await Promise.all(pending);
  agent.destroy();
  const windowMs = st.lastAt !== null && st.firstAt !== null ? st.lastAt - st.firstAt : null;
  return {
    ...st,
    offered: total,
    achievedRate: windowMs ? Math.round(((st.sent - 1) * 1000 * 10) / windowMs) / 10 : null,
    httpMs: summary(http2xx),
  };
}

process.on('message', (msg) => {
  if (msg.cmd !== 'publish') {
    process.send({ ev: 'error', id: msg.id, message: `unknown command ${msg.cmd}` });
    return;
  }
  publish(msg.cfg).then(
    (r) => process.send({ ev: 'published', id: msg.id, ...r }, () => process.disconnect()),
    (err) => process.send({ ev: 'error', id: msg.id, message: String(err?.stack ?? err) }, () => process.disconnect()),
  );
});

// A raw WebSocket reader through the balancer, following every feed from seq 0 like a careful
// page: on any close it reconnects (jittered backoff) and resubscribes from its cursor; told
// `reset`, it reloads the whole feed and resubscribes from it; told `unavailable` or
// `rate_limited` for a feed, it subscribes again from its cursor after a pause.
import WebSocket from 'ws';
import { FeedLog, readAll, sleep } from './feed-log.mjs';

export class WsReader {
  /** @param {string} name @param {string} base http://… @param {string[]} feeds */
  constructor(name, base, feeds) {
    this.name = name;
    this.kind = 'websocket';
    this.base = base;
    this.logs = new Map(feeds.map((f) => [f, new FeedLog(f)]));
    for (const log of this.logs.values()) log.startFromZero('subscribed from seq 0');
    this.reloading = new Set();
    this.stopped = false;
    this.problem = null;
    this.connects = 0;
    this.closes = [];
    this.ws = null;
    this.open();
  }

  open() {
    if (this.stopped) return;
    this.connects++;
    const ws = new WebSocket(`${this.base.replace(/^http/, 'ws')}/v1/ws`);
    this.ws = ws;
    ws.on('open', () => { for (const log of this.logs.values()) if (!this.reloading.has(log.feed)) this.subscribe(log); });
    ws.on('message', (data) => this.onFrame(JSON.parse(data.toString())));
    ws.on('error', () => {});
    ws.on('close', (code) => {
      if (this.stopped) return;
      this.closes.push(code);
      if (code >= 4500 && code <= 4999) {
        this.problem = `closed with ${code}, which says not to reconnect`;
        return;
      }
      setTimeout(() => this.open(), 50 + Math.random() * 250);
    });
  }

  subscribe(log) {
    const epoch = log.epoch;
    this.send({ type: 'subscribe', feed: log.feed, since: log.position, ...(epoch !== null ? { epoch } : {}) });
  }

  send(frame) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  onFrame(frame) {
    const log = typeof frame.feed === 'string' ? this.logs.get(frame.feed) : undefined;
    if (log === undefined || this.reloading.has(log.feed)) return;
    if (frame.type === 'event') log.deliver(Number(frame.seq), String(frame.epoch), String(frame.event), frame.data);
    else if (frame.type === 'reset') void this.reload(log, String(frame.reason));
    else if (frame.type === 'error' && (frame.code === 'unavailable' || frame.code === 'rate_limited')) {
      setTimeout(() => this.subscribe(log), 200 + Math.random() * 300);
    } else if (frame.type === 'error') this.problem ??= `error frame ${JSON.stringify(frame)}`;
  }

  async reload(log, reason) {
    this.reloading.add(log.feed);
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const { snapshot, entries } = await readAll(this.base, log.feed);
        log.startFromSnapshot(`reset (${reason}), reloaded at seq ${snapshot.seq}`, snapshot, entries, true);
        break;
      } catch {
        await sleep(Math.min(1000, 100 * 2 ** attempt));
      }
    }
    this.reloading.delete(log.feed);
    this.subscribe(log);
  }

  /** Drops its connection (it reconnects and resumes by itself). */
  drop() { this.ws?.terminate(); }

  /** Stops reading from its socket for `ms` (the server's buffers fill), then reads again. */
  async stall(ms) {
    const socket = this.ws?._socket;
    socket?.pause();
    await sleep(ms);
    socket?.resume();
  }

  close() {
    this.stopped = true;
    this.ws?.terminate();
  }
}

// The SDK as a page runs it (the built ES module, client-sdk/dist/liveline.mjs, with `ws` as its
// WebSocket), one LiveClient following every feed through the balancer. Each `snapshot` it
// emits (the initial one, or a reload after `reset`) starts a segment; its snapshots ask for
// 100 entries (a page that shows the whole feed), so its view is the whole feed.
import WebSocket from 'ws';
import { LiveClient } from '../../client-sdk/dist/liveline.mjs';
import { FeedLog } from './feed-log.mjs';

/** fetch, with `limit=100` on snapshot requests. */
const wideFetch = (url, init) => {
  const u = new URL(url);
  if (/^\/v1\/feeds\/[^/]+$/.test(u.pathname)) u.searchParams.set('limit', '100');
  return fetch(u, init);
};

export class SdkReader {
  /** @param {string} name @param {string} base @param {string[]} feeds */
  constructor(name, base, feeds) {
    this.name = name;
    this.kind = 'sdk';
    this.logs = new Map();
    this.errors = [];
    this.subs = [];
    this.client = new LiveClient({ url: base, WebSocket, fetch: wideFetch, minReconnectDelayMs: 50, maxReconnectDelayMs: 1000 });
    this.client.on('error', (err) => this.errors.push(`${err.code}: ${err.message}`));
    for (const feed of feeds) {
      const log = new FeedLog(feed);
      this.logs.set(feed, log);
      const sub = this.client.subscribe(feed);
      this.subs.push(sub);
      sub.on('snapshot', (snapshot, reason) => log.startFromSnapshot(`${reason} snapshot at seq ${snapshot.seq}`, snapshot));
      sub.on('event', (e) => log.deliver(e.seq, e.epoch, e.type, e.data));
    }
    this.client.connect();
  }

  get connects() { return null; }

  get problem() {
    const closed = this.subs.filter((s) => s.state === 'closed');
    return closed.length > 0 ? `${closed.length} subscription(s) closed (errors: ${this.errors.slice(-3).join('; ')})` : null;
  }

  close() { this.client.disconnect(); }
}

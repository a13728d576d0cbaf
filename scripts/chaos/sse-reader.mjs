// A Server-Sent Events reader through the balancer: one stream per feed, from seq 0. When a
// stream ends or fails it opens another from its cursor (`since` + `epoch`); after a `reset`
// frame it reloads the whole feed first.
import { FeedLog, readAll, sleep } from './feed-log.mjs';

export class SseReader {
  /** @param {string} name @param {string} base @param {string[]} feeds */
  constructor(name, base, feeds) {
    this.name = name;
    this.kind = 'sse';
    this.base = base;
    this.logs = new Map(feeds.map((f) => [f, new FeedLog(f)]));
    this.stopped = false;
    this.problem = null;
    this.connects = 0;
    this.aborts = new Set();
    for (const log of this.logs.values()) {
      log.startFromZero('stream from seq 0');
      void this.follow(log);
    }
  }

  async follow(log) {
    for (let failures = 0; !this.stopped;) {
      const outcome = await this.stream(log).catch(() => 'failed');
      if (this.stopped) return;
      if (outcome.startsWith('reset')) await this.reload(log, outcome.slice(6));
      failures = outcome === 'failed' ? failures + 1 : 0;
      await sleep(Math.min(1000, 50 * 2 ** Math.min(failures, 5)) + Math.random() * 100);
    }
  }

  /** One stream until it ends: resolves 'ended', 'failed' or 'reset REASON'. */
  async stream(log) {
    const ctl = new AbortController();
    this.aborts.add(ctl);
    try {
      this.connects++;
      const epoch = log.epoch;
      const url = `${this.base}/v1/feeds/${log.feed}/stream?since=${log.position}${epoch !== null ? `&epoch=${encodeURIComponent(epoch)}` : ''}`;
      const res = await fetch(url, { signal: ctl.signal, headers: { accept: 'text/event-stream' } });
      if (res.status !== 200 || res.body === null) {
        await res.arrayBuffer().catch(() => null);
        return 'failed';
      }
      const decoder = new TextDecoder();
      let buf = '';
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk, { stream: true });
        let cut;
        while ((cut = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          if (data === '') continue;
          const frame = JSON.parse(data);
          if (frame.type === 'event') log.deliver(Number(frame.seq), String(frame.epoch), String(frame.event), frame.data);
          else if (frame.type === 'reset') return `reset ${frame.reason}`;
          else if (frame.type === 'error') return 'failed';
        }
      }
      return 'ended';
    } finally {
      this.aborts.delete(ctl);
      ctl.abort();
    }
  }

  async reload(log, reason) {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const { snapshot, entries } = await readAll(this.base, log.feed);
        log.startFromSnapshot(`reset (${reason}), reloaded at seq ${snapshot.seq}`, snapshot, entries, true);
        return;
      } catch {
        await sleep(Math.min(1000, 100 * 2 ** attempt));
      }
    }
  }

  /** Drops every stream (each reopens from its cursor). */
  drop() { for (const ctl of this.aborts) ctl.abort(); }

  close() {
    this.stopped = true;
    this.drop();
  }
}

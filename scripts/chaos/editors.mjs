// Editors through the balancer: each creates, corrects and deletes its own entries (a seeded
// choice), retrying every change on 5xx, 429, timeouts and network errors (a create with the
// same Idempotency-Key) until acknowledged. A change never acknowledged, or whose retry was
// answered 404 after a failed attempt, is recorded as uncertain: it may have landed.
import { between, pick, prng } from './prng.mjs';
import { sleep } from './feed-log.mjs';

/** Live entries one editor keeps per feed at most (so every snapshot holds the whole feed). */
const CAP = 6;

export class Editors {
  constructor({ base, token, feeds, count, seed, runId }) {
    Object.assign(this, { base, token, feeds, runId });
    /** @type {import('./checker.mjs').Ack[]} */
    this.acknowledged = [];
    /** @type {import('./checker.mjs').Uncertain[]} */
    this.uncertain = [];
    this.failures = new Map();
    this.attempts = 0;
    this.stopping = false;
    this.lastAckAt = 0;
    this.loops = Array.from({ length: count }, (_, i) => this.loop(i, prng(seed * 31 + i + 1)));
  }

  async stop() {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  async loop(editor, rnd) {
    /** @type {Map<string, Array<{id: string, revision: number, headline: string}>>} */
    const mine = new Map(this.feeds.map((f) => [f, []]));
    for (let n = 1; !this.stopping; n++) {
      const feed = pick(rnd, this.feeds);
      const live = mine.get(feed);
      const roll = rnd();
      const op = live.length >= CAP ? 'delete' : live.length === 0 || roll < 0.55 ? 'create' : roll < 0.85 ? 'update' : 'delete';
      const target = live.length > 0 ? live[between(rnd, 0, live.length - 1)] : null;
      if (op === 'create') {
        const headline = `${this.runId} e${editor} n${n}`;
        const r = await this.change(editor, feed, 'create', null, 'POST', `/v1/feeds/${feed}/entries`, { headline, body: `<p>${headline}</p>` }, `${this.runId}-e${editor}-${n}`);
        if (r !== null) live.push({ id: r.entry.id, revision: r.entry.revision ?? 1, headline });
      } else {
        const headline = `${target.headline} v${target.revision + 1}`;
        const r = op === 'update'
          ? await this.change(editor, feed, 'update', target.id, 'PATCH', `/v1/feeds/${feed}/entries/${target.id}`, { headline })
          : await this.change(editor, feed, 'delete', target.id, 'DELETE', `/v1/feeds/${feed}/entries/${target.id}`);
        if (r !== null && op === 'update') Object.assign(target, { revision: r.entry.revision ?? target.revision + 1, headline });
        // Deleted, or its state unknown after an uncertain change: this editor leaves it alone.
        if (op === 'delete' || r === null) live.splice(live.indexOf(target), 1);
      }
      await sleep(between(rnd, 20, 80));
    }
  }

  /** One change, retried until acknowledged (its answer) or given up (null, recorded as uncertain). */
  async change(editor, feed, op, entryId, method, path, body, key) {
    const deadline = Date.now() + 30_000;
    for (let attempt = 1; ; attempt++) {
      this.attempts++;
      const sentAt = Date.now();
      const r = await this.request(method, path, body, key);
      if (r.status === 200 || r.status === 201) {
        const id = op === 'delete' ? entryId : r.body.entry.id;
        const revision = op === 'delete' ? null : (r.body.entry.revision ?? null);
        const headline = op === 'delete' ? null : r.body.entry.headline;
        this.acknowledged.push({ feed, entryId: id, seq: r.body.seq, op, headline, revision, editor, attempts: attempt, sentAt, at: Date.now() });
        this.lastAckAt = Date.now();
        return r.body;
      }
      this.failures.set(r.kind, (this.failures.get(r.kind) ?? 0) + 1);
      const retryable = r.status === 0 || r.status >= 500 || r.status === 429;
      if (!retryable || this.stopping || Date.now() > deadline) {
        if (entryId !== null && (attempt > 1 || retryable)) this.uncertain.push({ feed, entryId, op });
        else if (!retryable) this.failures.set(`refused ${r.kind}`, (this.failures.get(`refused ${r.kind}`) ?? 0) + 1);
        return null;
      }
      await sleep(Math.min(400, 25 * 2 ** Math.min(attempt - 1, 4)));
    }
  }

  async request(method, path, body, key) {
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(4000),
      });
      const text = await res.text();
      const parsed = text === '' ? null : JSON.parse(text);
      return { status: res.status, body: parsed, kind: `${res.status} ${parsed?.error?.code ?? ''}`.trim() };
    } catch (err) {
      const kind = err.name === 'TimeoutError' ? 'timeout' : `network ${err.cause?.code ?? err.message}`;
      return { status: 0, body: null, kind };
    }
  }
}

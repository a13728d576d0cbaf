import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { Broadcast, type BatchReceiver } from '../../server/gateway/broadcast';
import { Batch, Delivery, wsTextFrame } from '../../server/gateway/delivery';
import { FanOutScheduler } from '../../server/gateway/fan-out';

const event = (seq: number): Delivery => new Delivery(seq, Buffer.from(JSON.stringify({ type: 'event', seq })), Date.now());
const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A reader that records the seqs of each batch it is handed, optionally taking `costMs` of CPU per write. */
class Recorder implements BatchReceiver {
  readonly batches: number[][] = [];
  constructor(private readonly costMs = 0) {}
  deliver(batch: Batch): void {
    const until = performance.now() + this.costMs;
    while (performance.now() < until); // stands in for a write that costs CPU
    this.batches.push(batch.events.map((d) => d.seq));
  }
  get seqs(): number[] {
    return this.batches.flat();
  }
}

/** `ws`'s own framing, for comparison (Sender.frame is public API of the ws package, though @types/ws omits it). */
function wsFrame(payload: Buffer): Buffer {
  const sender: unknown = Reflect.get(WebSocket, 'Sender');
  const frame: unknown = typeof sender === 'function' ? Reflect.get(sender, 'frame') : undefined;
  if (typeof frame !== 'function') throw new Error('ws.Sender.frame is missing');
  const parts: unknown = frame(payload, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false });
  if (!Array.isArray(parts) || !parts.every((p) => Buffer.isBuffer(p))) throw new Error('unexpected Sender.frame result');
  return Buffer.concat(parts as Buffer[]);
}

describe('framing once', () => {
  it.each([0, 1, 125, 126, 65_535, 65_536, 70_000])('a %i-byte payload is framed exactly as ws frames it', (length) => {
    const payload = Buffer.alloc(length, 'x');
    expect(wsTextFrame(payload).equals(wsFrame(payload))).toBe(true);
  });

  it('a batch is its events\' frames back to back, and SSE messages likewise', () => {
    const batch = new Batch([event(3), event(4), event(5)]);
    expect(batch.ws.equals(Buffer.concat(batch.events.map((d) => d.frame)))).toBe(true);
    expect(batch.sse.toString()).toBe('id: 3\ndata: {"type":"event","seq":3}\n\nid: 4\ndata: {"type":"event","seq":4}\n\nid: 5\ndata: {"type":"event","seq":5}\n\n');
    expect(batch.after(2)).toBe(batch);
    expect(batch.after(3)?.events.map((d) => d.seq)).toEqual([4, 5]);
    expect(batch.after(5)).toBeNull();
  });
});

describe('fan-out schedule', () => {
  it('writes an event to an idle feed at once, before anything else runs', () => {
    const scheduler = new FanOutScheduler({ sliceMs: 5 });
    const members = new Set([new Recorder(), new Recorder()]);
    const broadcast = new Broadcast(members);
    broadcast.push(event(1));
    scheduler.wake(broadcast);
    for (const m of members) expect(m.batches).toEqual([[1]]);
  });

  it('under load, events that queue up while the loop is busy go out together, in order, each once', async () => {
    const scheduler = new FanOutScheduler({ sliceMs: 5 });
    const reader = new Recorder();
    const broadcast = new Broadcast(new Set([reader]));
    for (let seq = 1; seq <= 5; seq++) {
      broadcast.push(event(seq));
      scheduler.wake(broadcast);
    }
    expect(reader.batches).toEqual([[1]]); // the first at once; the rest wait for the loop's turn
    await nextTick();
    expect(reader.batches).toEqual([[1], [2, 3, 4, 5]]);
    await nextTick();
    broadcast.push(event(6));
    scheduler.wake(broadcast);
    expect(reader.batches).toEqual([[1], [2, 3, 4, 5], [6]]); // idle again: at once
  });

  it('fans one event out to many readers in slices, letting the loop run in between', async () => {
    const sliced: number[] = [];
    const scheduler = new FanOutScheduler({ sliceMs: 5, observe: (s) => sliced.push(s * 1000) });
    const readers = Array.from({ length: 200 }, () => new Recorder(0.1)); // 20 ms of writing in all
    const broadcast = new Broadcast(new Set(readers));
    let loopRan = false;
    setImmediate(() => {
      loopRan = true;
    });
    broadcast.push(event(1));
    scheduler.wake(broadcast);
    expect(loopRan).toBe(false);
    expect(readers.filter((r) => r.seqs.length > 0).length).toBeLessThan(200);
    while (readers.some((r) => r.seqs.length === 0)) await nextTick();
    expect(loopRan).toBe(true);
    for (const r of readers) expect(r.seqs).toEqual([1]);
    expect(sliced.length).toBeGreaterThanOrEqual(4);
    // Wall-clock slices: a busy machine can stretch one by descheduling this process, so the typical one is checked.
    expect(sliced.sort((a, b) => a - b)[Math.floor(sliced.length / 2)]).toBeLessThan(10);
  });

  it('shares each slice between busy feeds, round-robin', async () => {
    const scheduler = new FanOutScheduler({ sliceMs: 5 });
    const big = Array.from({ length: 200 }, () => new Recorder(0.1));
    const small = new Recorder();
    const bigFeed = new Broadcast(new Set(big));
    const smallFeed = new Broadcast(new Set([small]));
    bigFeed.push(event(1));
    scheduler.wake(bigFeed); // takes this iteration's slice
    smallFeed.push(event(1));
    scheduler.wake(smallFeed);
    expect(small.seqs).toEqual([]);
    await nextTick(); // the big feed had the first turn …
    await nextTick(); // … the small one goes first in the next
    expect(small.seqs).toEqual([1]);
    expect(big.some((r) => r.seqs.length === 0)).toBe(true); // long before the big feed is done
  });

  it('a reader that joins during a sliced batch gets it; one that leaves is skipped; clear() drops what is unwritten', async () => {
    const scheduler = new FanOutScheduler({ sliceMs: 2 });
    const members = new Set<Recorder>(Array.from({ length: 100 }, () => new Recorder(0.1)));
    const leaving = [...members][99] as Recorder;
    const broadcast = new Broadcast(members);
    broadcast.push(event(1));
    scheduler.wake(broadcast);
    const joiner = new Recorder();
    members.add(joiner);
    members.delete(leaving);
    while (joiner.seqs.length === 0) await nextTick();
    expect(leaving.seqs).toEqual([]);
    for (const m of [...members]) if (m !== joiner) members.delete(m);
    await nextTick();
    await nextTick(); // idle again
    broadcast.push(event(2));
    scheduler.wake(broadcast);
    broadcast.push(event(3));
    scheduler.wake(broadcast);
    broadcast.clear();
    scheduler.cancel(broadcast);
    await nextTick();
    await nextTick();
    expect(joiner.seqs).toEqual([1, 2]);
  });
});

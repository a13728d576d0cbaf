import type { Socket } from 'node:net';
import { kernelSendQueues, type SendQueueReader } from './kernel-send-queue';

interface Watched {
  readonly socket: Socket;
  readonly onStall: () => void;
  /** Bytes the peer had acknowledged at the last progress. */
  acked: number;
  progressAt: number;
}

/**
 * Finds readers whose connection drains nothing: data waits (in Node's buffer or the
 * kernel's send queue) and not one more byte reached the peer for `stallMs`. Such a
 * reader holds server memory and a connection slot for nothing; `onStall` closes it.
 * Checks run on `check()` (the gateway's heartbeat); the kernel is asked only about
 * sockets with bytes not yet known to be acknowledged and no progress seen for half the
 * timeout, so a node with healthy SSE readers reads /proc/net/tcp about once per half
 * timeout, not at every check.
 */
export class StallWatch {
  private readonly watched = new Set<Watched>();
  private checking = false;

  constructor(private readonly stallMs: number, private readonly sendQueues: SendQueueReader = kernelSendQueues) {}

  /** Watches `socket` until the returned function is called. */
  watch(socket: Socket, onStall: () => void, now = Date.now()): () => void {
    const w: Watched = { socket, onStall, acked: socket.bytesWritten - socket.writableLength, progressAt: now };
    this.watched.add(w);
    return () => {
      this.watched.delete(w);
    };
  }

  get size(): number {
    return this.watched.size;
  }

  /** One round of checks; overlapping calls are skipped. Never rejects. */
  async check(now = Date.now()): Promise<void> {
    if (this.checking || this.watched.size === 0) return;
    this.checking = true;
    try {
      const unsure: Watched[] = [];
      for (const w of this.watched) {
        const dispatched = w.socket.bytesWritten - w.socket.writableLength;
        if (w.socket.writableLength === 0 && dispatched === w.acked) w.progressAt = now; // nothing waits
        else if (now - w.progressAt >= this.stallMs / 2) unsure.push(w); // not seen draining lately: ask
      }
      if (unsure.length === 0) return;
      const queues = await this.sendQueues(unsure.map((w) => w.socket)).catch(() => null);
      for (const w of unsure) {
        if (!this.watched.has(w)) continue;
        const userland = w.socket.writableLength;
        const kernel = queues?.get(w.socket) ?? 0;
        const acked = w.socket.bytesWritten - userland - kernel;
        if (acked > w.acked || userland + kernel === 0) {
          w.acked = acked;
          w.progressAt = now;
        } else if (now - w.progressAt >= this.stallMs) {
          this.watched.delete(w);
          w.onStall();
        }
      }
    } finally {
      this.checking = false;
    }
  }
}

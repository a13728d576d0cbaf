import type { FeedEvent } from '../domain/types';
import { toEventFrame } from './protocol';

/**
 * One event, serialised once as an `event` frame: the same bytes go to every WebSocket
 * reader, and the same SSE message (made on first use) to every SSE reader.
 */
export class Delivery {
  private sseBytes: Buffer | null = null;

  constructor(readonly seq: number, readonly bytes: Buffer) {}

  /** The event as a Server-Sent Events message whose `id:` is the seq. */
  get sse(): Buffer {
    this.sseBytes ??= Buffer.concat([Buffer.from(`id: ${this.seq}\ndata: `), this.bytes, Buffer.from('\n\n')]);
    return this.sseBytes;
  }
}

export function serializeEvent(e: FeedEvent): Delivery {
  return new Delivery(e.seq, Buffer.from(JSON.stringify(toEventFrame(e))));
}


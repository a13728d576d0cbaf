import type { FeedEvent } from '../domain/types';
import { toEventFrame } from './protocol';

/** RFC 6455 §5.2: FIN + opcode 1 (text). Server frames are never masked. */
const FIN_TEXT = 0x81;

/** `payload` as one complete, unmasked WebSocket text frame: header and payload in one buffer. */
export function wsTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN_TEXT;
  if (headerLength === 2) frame[1] = length;
  else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length % 2 ** 32, 6);
  }
  payload.copy(frame, headerLength);
  return frame;
}

/**
 * One event, serialised and framed once per node: the same WebSocket frame goes to every
 * WebSocket reader, and the same SSE message (made on first use) to every SSE reader.
 */
export class Delivery {
  /** The event as one WebSocket text frame. */
  readonly frame: Buffer;
  private readonly jsonLength: number;
  private sseBytes: Buffer | null = null;

  /** `committedAt`: when the store committed the event, ms since the epoch. */
  constructor(readonly seq: number, json: Buffer, readonly committedAt: number) {
    this.frame = wsTextFrame(json);
    this.jsonLength = json.length;
  }

  /** The event as a Server-Sent Events message whose `id:` is the seq. */
  get sse(): Buffer {
    this.sseBytes ??= Buffer.concat([Buffer.from(`id: ${this.seq}\ndata: `), this.frame.subarray(this.frame.length - this.jsonLength), Buffer.from('\n\n')]);
    return this.sseBytes;
  }
}

export function serializeEvent(e: FeedEvent): Delivery {
  return new Delivery(e.seq, Buffer.from(JSON.stringify(toEventFrame(e))), Date.parse(e.at));
}

/**
 * Consecutive events (seq `first` … `last`, no gaps) written to a reader in one write:
 * their frames (or SSE messages) concatenated once, whoever the batch goes to.
 */
export class Batch {
  private wsBytes: Buffer | null = null;
  private sseBytes: Buffer | null = null;

  /** `events` must be non-empty and consecutive. */
  constructor(readonly events: readonly Delivery[]) {}

  get first(): number {
    return (this.events[0] as Delivery).seq;
  }

  get last(): number {
    return (this.events[this.events.length - 1] as Delivery).seq;
  }

  get size(): number {
    return this.events.length;
  }

  /** Every event's WebSocket frame, in order, in one buffer. */
  get ws(): Buffer {
    this.wsBytes ??= this.events.length === 1 ? (this.events[0] as Delivery).frame : Buffer.concat(this.events.map((d) => d.frame));
    return this.wsBytes;
  }

  /** Every event's SSE message, in order, in one buffer. */
  get sse(): Buffer {
    this.sseBytes ??= this.events.length === 1 ? (this.events[0] as Delivery).sse : Buffer.concat(this.events.map((d) => d.sse));
    return this.sseBytes;
  }

  /** The events after `seq` (a reader that already has the earlier ones); null when none are. */
  after(seq: number): Batch | null {
    if (seq < this.first) return this;
    if (seq >= this.last) return null;
    return new Batch(this.events.slice(seq + 1 - this.first));
  }
}

import type { ServerResponse } from 'node:http';
import type { Metrics } from '../metrics';
import type { ServerFrame } from './protocol';
import { ReaderSubscription, type FeedAccess } from './reader-subscription';

/** The `retry:` sent with a reset: a day. */
const RESET_RETRY_MS = 86_400_000;

/** A comment line: keeps proxies from closing an idle stream. */
const PING = Buffer.from(': ping\n\n');

export interface SseStreamOptions {
  /** Bytes queued for a reader before the stream is ended (the reader resumes with Last-Event-ID). */
  readonly maxBufferedBytes: number;
  readonly metrics: Metrics;
}

/**
 * One reader on Server-Sent Events: the fallback for networks that refuse WebSocket
 * upgrades. One feed per stream; the same frames as the WebSocket, as `data:` lines, with
 * each event's seq as its `id:` so the browser's automatic reconnect resumes exactly
 * (Last-Event-ID). A `reset` or `error` frame ends the stream.
 */
export class SseStream {
  private readonly subscription: ReaderSubscription;
  private closed = false;
  private readonly goneListeners: Array<() => void> = [];

  constructor(private readonly res: ServerResponse, feed: string, address: string, access: FeedAccess, private readonly options: SseStreamOptions) {
    this.subscription = new ReaderSubscription(feed, {
      transport: 'sse',
      address,
      events: (batch) => {
        if (this.write(batch.sse)) options.metrics.delivered.sse += batch.size;
      },
      frame: (f) => this.frame(f),
      ended: () => this.close(),
    }, access);
    res.on('close', () => this.close());
  }

  /** Sends the headers and starts delivery after `since` (absent: from now on). */
  start(since: number | undefined, epoch: string | undefined, retryMs: number): void {
    this.res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx: don't buffer the stream
    });
    this.write(Buffer.from(`retry: ${retryMs}\n\n`));
    void this.subscription.start(since, epoch);
  }

  /** Ends the stream. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.stop();
    this.res.end();
    for (const listener of this.goneListeners.splice(0)) listener();
  }

  /** Drops the connection without a goodbye: nothing more can reach a reader that doesn't read. */
  abort(): void {
    this.res.destroy();
    this.close();
  }

  /** A comment line, sent by the gateway's heartbeat sweep (one timer per node, not per stream). */
  ping(): void {
    this.write(PING);
  }

  onGone(listener: () => void): void {
    if (this.closed) listener();
    else this.goneListeners.push(listener);
  }

  private frame(f: ServerFrame): void {
    // After a reset, reconnecting with the same cursor can only be reset again: tell a plain
    // EventSource not to come back soon (the page must reload the snapshot; the SDK does).
    if (f.type === 'reset') this.write(Buffer.from(`retry: ${RESET_RETRY_MS}\n\n`));
    this.write(Buffer.from(`data: ${JSON.stringify(f)}\n\n`));
    if (f.type === 'reset' || f.type === 'error') this.close();
  }

  /** Writes `bytes` unless the stream has ended (or is ended now, for a reader too slow); true when written. */
  private write(bytes: Buffer): boolean {
    if (this.closed) return false;
    if (this.res.writableLength > this.options.maxBufferedBytes) {
      this.options.metrics.slowReaders.inc({ transport: 'sse' });
      this.abort(); // too slow: let it reconnect and resume rather than buffer without bound
      return false;
    }
    this.res.write(bytes);
    return true;
  }
}

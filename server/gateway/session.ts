import type { Counter } from 'prom-client';
import type WebSocket from 'ws';
import type { Metrics } from '../metrics';
import { CloseCode, parseClientFrame, type ClientFrame, type ProtocolErrorCode, type ServerFrame } from './protocol';
import { ReaderSubscription, type FeedAccess, type SubscriptionSink } from './reader-subscription';

export interface SessionDeps {
  readonly access: FeedAccess;
  /** Bytes queued for a reader before it is cut off as a slow reader. */
  readonly maxBufferedBytes: number;
  /** How long a slow reader's close handshake may take before the socket is destroyed, ms. */
  readonly closeTimeoutMs: number;
  /** A connection that subscribes to nothing for this long is closed with IDLE, ms. */
  readonly idleHandshakeMs: number;
  readonly maxSubscriptions: number;
  readonly metrics: Metrics;
}

/**
 * One reader's WebSocket: parses its frames, holds its subscriptions (several feeds on
 * one connection), and guards the server against it: a reader whose send buffer passes
 * the cap is cut off with SLOW_READER rather than allowed to grow memory.
 */
export class Session {
  private readonly subscriptions = new Map<string, ReaderSubscription>();
  private closing = false;
  private terminateTimer: NodeJS.Timeout | null = null;
  private readonly goneListeners: Array<() => void> = [];
  private readonly delivered: Counter.Internal;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly sink: SubscriptionSink = {
    transport: 'websocket',
    event: (d) => {
      this.sendBytes(d.bytes);
      this.delivered.inc();
    },
    frame: (f) => this.sendFrame(f),
    ended: (sub) => {
      if (this.subscriptions.get(sub.feed) === sub) this.subscriptions.delete(sub.feed);
      this.armIdleTimer();
    },
  };
  /** Cleared at each ping, set by any pong or frame from the reader. */
  alive = true;

  constructor(private readonly ws: WebSocket, private readonly deps: SessionDeps) {
    this.delivered = deps.metrics.eventsDelivered.labels('websocket');
    this.armIdleTimer();
    ws.on('message', (data, isBinary) => {
      this.alive = true;
      if (isBinary) this.sendError('bad_frame', 'frames must be JSON text');
      else this.onText(data.toString());
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => {
      if (this.terminateTimer !== null) clearTimeout(this.terminateTimer);
      if (this.idleTimer !== null) clearTimeout(this.idleTimer);
      this.closing = true;
      for (const sub of this.subscriptions.values()) sub.stop();
      this.subscriptions.clear();
      for (const listener of this.goneListeners.splice(0)) listener();
    });
    ws.on('error', (err) => deps.access.onError(err, 'reader socket'));
  }

  /** Closes the connection with `code`; the socket is destroyed if the handshake stalls. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.ws.close(code, reason);
    this.terminateTimer = setTimeout(() => this.ws.terminate(), this.deps.closeTimeoutMs);
    this.terminateTimer.unref();
  }

  /** Calls `listener` once the connection has closed (at once if it already has). */
  onGone(listener: () => void): void {
    if (this.ws.readyState === this.ws.CLOSED) listener();
    else this.goneListeners.push(listener);
  }

  terminate(): void {
    this.ws.terminate();
  }

  ping(): void {
    this.ws.ping();
  }

  private sendBytes(bytes: Buffer): void {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.deps.maxBufferedBytes) {
      this.deps.metrics.slowReaders.inc({ transport: 'websocket' });
      this.close(CloseCode.SLOW_READER, 'reader too slow; reconnect and resume');
      return;
    }
    this.ws.send(bytes, { binary: false });
  }

  private sendFrame(frame: ServerFrame): void {
    this.sendBytes(Buffer.from(JSON.stringify(frame)));
  }

  private sendError(code: ProtocolErrorCode, message: string): void {
    this.sendFrame({ type: 'error', code, message });
  }

  private onText(text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.sendError(parsed.code, parsed.message);
      return;
    }
    const frame = parsed.frame;
    this.drop(frame.feed); // subscribing again restarts delivery from the new cursor
    if (frame.type === 'unsubscribe') {
      this.sendFrame({ type: 'unsubscribed', feed: frame.feed });
      this.armIdleTimer();
      return;
    }
    if (this.subscriptions.size >= this.deps.maxSubscriptions) {
      this.deps.metrics.refused.inc({ limit: 'subscriptions_per_connection' });
      this.sendFrame({
        type: 'error', code: 'too_many_subscriptions', feed: frame.feed,
        message: `at most ${this.deps.maxSubscriptions} feeds per connection; unsubscribe from one first`,
      });
      return;
    }
    this.subscribe(frame);
  }

  /** Closes the connection if it holds no subscription for idleHandshakeMs (it can reconnect). */
  private armIdleTimer(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.subscriptions.size > 0 || this.closing) return;
    this.idleTimer = setTimeout(() => {
      if (this.subscriptions.size === 0) this.close(CloseCode.IDLE, 'no subscription; reconnect when you need one');
    }, this.deps.idleHandshakeMs);
    this.idleTimer.unref();
  }

  private subscribe(frame: Extract<ClientFrame, { type: 'subscribe' }>): void {
    const sub = new ReaderSubscription(frame.feed, this.sink, this.deps.access);
    this.subscriptions.set(frame.feed, sub);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    void sub.start(frame.since, frame.epoch);
  }

  private drop(feed: string): void {
    this.subscriptions.get(feed)?.stop();
    this.subscriptions.delete(feed);
  }
}

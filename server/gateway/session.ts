import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import type { Batch } from './delivery';
import type { Metrics } from '../metrics';
import { TokenBucket, type BucketRate } from '../token-bucket';
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
  /** Frames a reader may send per second (LIVELINE_FRAMES_PER_SECOND); bursts of FRAME_BURST_SECONDS times that. */
  readonly framesPerSecond: number;
  /** Subscribe frames per minute (LIVELINE_SUBSCRIBES_PER_MINUTE), all of which may come at once. */
  readonly subscribesPerMinute: number;
  /** The two budgets' rates, from sessionRates(): one pair for all sessions. */
  readonly rates: SessionRates;
  readonly metrics: Metrics;
  /** The connection has closed (called once): its owner forgets it and frees its address's slot. */
  readonly closed: (session: Session) => void;
}

export interface SessionRates {
  readonly frames: BucketRate;
  readonly subscribes: BucketRate;
}

/** The budgets' rates for framesPerSecond and subscribesPerMinute (see SessionDeps). */
export function sessionRates(framesPerSecond: number, subscribesPerMinute: number): SessionRates {
  return {
    frames: { perSecond: framesPerSecond, capacity: framesPerSecond * FRAME_BURST_SECONDS },
    subscribes: { perSecond: subscribesPerMinute / 60, capacity: subscribesPerMinute },
  };
}

/**
 * The server's WebSocket: it knows its session, so the listeners on every socket are the
 * same four functions rather than closures of their own (memory per idle reader).
 */
export class ReaderSocket extends WebSocket {
  session: Session | null = null;
}

const sessionOf = (ws: WebSocket): Session | null => (ws instanceof ReaderSocket ? ws.session : null);
function onSocketMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  sessionOf(this)?.received(data, isBinary);
}
function onSocketPong(this: WebSocket, data: Buffer): void {
  sessionOf(this)?.ponged(data);
}
function onSocketClose(this: WebSocket): void {
  sessionOf(this)?.socketClosed();
}
function onSocketError(this: WebSocket, err: Error): void {
  sessionOf(this)?.socketError(err);
}

/** RFC 6455 §5.5.2: FIN + opcode 9 (ping), unmasked, an 8-byte payload. */
const PING_HEADER = Buffer.from([0x89, 8]);
const PING_FRAME_BYTES = PING_HEADER.length + 8;

declare const pingFrameBrand: unique symbol;
/** A whole ping frame from PingFrames (not a bare payload). */
export type PingFrame = Buffer & { readonly [pingFrameBrand]: true };

/**
 * Ping frames for one heartbeat round, each with a fresh random 8-byte payload, drawn at
 * once for the whole round and handed out one by one.
 */
export class PingFrames {
  private readonly frames: Buffer;
  private used = 0;

  constructor(count: number) {
    this.frames = randomBytes(PING_FRAME_BYTES * Math.max(1, count));
    for (let at = 0; at < this.frames.length; at += PING_FRAME_BYTES) PING_HEADER.copy(this.frames, at);
  }

  /** The next unused frame (a fresh draw once the round's have run out: readers that connected during it). */
  next(): PingFrame {
    const at = PING_FRAME_BYTES * this.used;
    if (at >= this.frames.length) return new PingFrames(1).next();
    this.used += 1;
    return this.frames.subarray(at, at + PING_FRAME_BYTES) as PingFrame;
  }
}

/** A quiet reader may send this many seconds' worth of frames at once (an SDK resubscribing to every feed after a reconnect). */
const FRAME_BURST_SECONDS = 5;
/** Frames dropped (since the budget was last full) before the connection is closed with TOO_MANY_FRAMES. */
const DROPPED_FRAMES_BEFORE_CLOSE = 10;

/**
 * One reader's WebSocket: parses its frames, holds its subscriptions (several feeds on
 * one connection), and bounds what the reader can make the server do: frames per second
 * and subscribes per minute (token buckets; beyond them an error frame, and for a flood
 * of frames a close), feeds per connection, and bytes queued for it (a reader whose send
 * buffer passes the cap is cut off with SLOW_READER rather than allowed to grow memory).
 * Liveness is a pong carrying the payload of *our* last ping: a reader that doesn't read
 * can't echo it, however many pongs of its own it sends.
 */
export class Session implements SubscriptionSink {
  private readonly subscriptions = new Map<string, ReaderSubscription>();
  private closing = false;
  private terminateTimer: NodeJS.Timeout | null = null;
  /** Who waits for the close (a draining gateway); made only when someone does. */
  private goneListeners: Array<() => void> | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly frameBudget: TokenBucket;
  private readonly subscribeBudget: TokenBucket;
  /** Frames dropped since the budget was last full: the error frame goes with the first, the close after DROPPED_FRAMES_BEFORE_CLOSE. */
  private dropped = 0;
  /** The payload of our ping not yet answered, and when it went out. */
  private ping: { readonly nonce: Buffer; readonly at: number } | null = null;

  /**
   * `socket` is the connection `ws` speaks on: events, framed once for every reader, are
   * written to it directly (whole frames, between `ws`'s own, which it writes synchronously
   * too: this server never compresses). `deps` is shared by every session of a gateway:
   * what a session keeps for itself is what an idle reader costs.
   */
  constructor(private readonly ws: ReaderSocket, private readonly socket: Duplex, readonly address: string, private readonly deps: SessionDeps) {
    this.frameBudget = new TokenBucket(deps.rates.frames);
    this.subscribeBudget = new TokenBucket(deps.rates.subscribes);
    this.armIdleTimer();
    ws.session = this;
    ws.on('message', onSocketMessage);
    ws.on('pong', onSocketPong);
    ws.on('close', onSocketClose);
    ws.on('error', onSocketError);
  }

  /** A pong: the reader is alive if it carries our last ping's payload. (Called by the socket's listener.) */
  ponged(data: Buffer): void {
    if (this.ping !== null && data.equals(this.ping.nonce)) this.ping = null;
  }

  /** The connection has closed. (Called by the socket's listener.) */
  socketClosed(): void {
    if (this.terminateTimer !== null) clearTimeout(this.terminateTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.closing = true;
    for (const sub of this.subscriptions.values()) sub.stop();
    this.subscriptions.clear();
    this.ws.session = null;
    this.deps.closed(this);
    for (const listener of this.goneListeners ?? []) listener();
    this.goneListeners = null;
  }

  /** (Called by the socket's listener.) */
  socketError(err: Error): void {
    this.deps.access.onError(err, 'reader socket');
  }

  /** Closes the connection with `code`; the socket is destroyed if the handshake stalls. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    // Nothing more will be sent: no subscription goes on working for this reader.
    for (const sub of this.subscriptions.values()) sub.stop();
    this.subscriptions.clear();
    this.ws.close(code, reason);
    this.terminateTimer = setTimeout(() => this.ws.terminate(), this.deps.closeTimeoutMs);
    this.terminateTimer.unref();
  }

  /** Calls `listener` once the connection has closed (at once if it already has). */
  onGone(listener: () => void): void {
    if (this.ws.readyState === this.ws.CLOSED) listener();
    else (this.goneListeners ??= []).push(listener);
  }

  /** Drops the connection without a goodbye (a reader that doesn't read can't get one). */
  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  /**
   * One heartbeat: pings with a fresh random payload (this session's alone) when the last
   * ping was answered, and says `stalled` when it has waited `stallMs` or more for the
   * answer (the reader has not read what we sent before it: it is gone, or it doesn't read).
   * `pingFrame` is the whole ping frame (from PingFrames), written as it is.
   */
  heartbeat(stallMs: number, now = Date.now(), pingFrame?: PingFrame): 'ok' | 'stalled' {
    if (this.closing) return 'ok'; // going anyway (and counted once)
    if (this.ping !== null) return now - this.ping.at >= stallMs ? 'stalled' : 'ok';
    if (this.ws.readyState !== this.ws.OPEN) return 'ok';
    const frame = pingFrame ?? new PingFrames(1).next();
    this.ping = { nonce: frame.subarray(PING_HEADER.length), at: now };
    this.socket.write(frame);
    return 'ok';
  }

  get transport(): 'websocket' {
    return 'websocket';
  }

  /** The hot path: a few checks, then one write of bytes shared with every other reader. */
  events(batch: Batch): void {
    if (!this.writable()) return;
    this.socket.write(batch.ws);
    this.deps.metrics.delivered.websocket += batch.size;
  }

  frame(frame: ServerFrame): void {
    if (this.writable()) this.ws.send(JSON.stringify(frame));
  }

  /** A subscription ended by itself (a reset or a failure). */
  ended(sub: ReaderSubscription): void {
    if (this.subscriptions.get(sub.feed) === sub) this.subscriptions.delete(sub.feed);
    this.armIdleTimer();
  }

  /** Whether more may be sent; a reader whose queue passed the cap is cut off instead. */
  private writable(): boolean {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return false;
    if (this.socket.writableLength <= this.deps.maxBufferedBytes) return true;
    this.deps.metrics.slowReaders.inc({ transport: 'websocket' });
    this.close(CloseCode.SLOW_READER, 'reader too slow; reconnect and resume');
    return false;
  }

  private sendError(code: ProtocolErrorCode, message: string, feed?: string): void {
    this.frame({ type: 'error', code, message, ...(feed === undefined ? {} : { feed }) });
  }

  /** A frame from the reader. (Called by the socket's listener.) */
  received(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closing) return;
    // The budget is checked before any parsing: a flood costs a counter, not JSON work.
    const now = Date.now();
    if (this.dropped > 0 && this.frameBudget.full(now)) this.dropped = 0; // it calmed down: a clean slate
    if (!this.frameBudget.take(now)) {
      this.deps.metrics.refused.inc({ limit: 'frames' });
      this.dropped += 1;
      if (this.dropped === 1) {
        this.sendError('rate_limited', `more than ${this.deps.framesPerSecond} frames per second: frames are being dropped; slow down or be disconnected`);
      } else if (this.dropped > DROPPED_FRAMES_BEFORE_CLOSE) {
        this.close(CloseCode.TOO_MANY_FRAMES, 'too many frames; reconnect later');
      }
      return;
    }
    if (isBinary) this.sendError('bad_frame', 'frames must be JSON text');
    else this.onText(data.toString());
  }

  private onText(text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.sendError(parsed.code, parsed.message);
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'unsubscribe') {
      this.drop(frame.feed);
      this.frame({ type: 'unsubscribed', feed: frame.feed });
      this.armIdleTimer();
      return;
    }
    if (!this.subscribeBudget.take()) {
      this.deps.metrics.refused.inc({ limit: 'subscribes' });
      this.sendError('rate_limited', `more than ${this.deps.subscribesPerMinute} subscribes per minute on this connection; try again shortly`, frame.feed);
      return;
    }
    this.drop(frame.feed); // subscribing again restarts delivery from the new cursor
    if (this.subscriptions.size >= this.deps.maxSubscriptions) {
      this.deps.metrics.refused.inc({ limit: 'subscriptions_per_connection' });
      this.sendError('too_many_subscriptions', `at most ${this.deps.maxSubscriptions} feeds per connection; unsubscribe from one first`, frame.feed);
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
    const sub = new ReaderSubscription(frame.feed, this, this.deps.access);
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

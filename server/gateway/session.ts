import type WebSocket from 'ws';
import { isAppError } from '../errors';
import type { FeedStore } from '../store/feed-store';
import { serializeEvent, type Delivery, type FeedHub, type HubMember } from './feed-hub';
import {
  CloseCode, parseClientFrame, type ClientFrame, type ProtocolErrorCode, type ResetReason, type ServerFrame,
} from './protocol';

export interface SessionDeps {
  readonly store: FeedStore;
  /** Joins `member` to the feed's hub and resolves once the hub is active. */
  readonly join: (feedId: string, member: HubMember) => Promise<FeedHub>;
  readonly leave: (feedId: string, member: HubMember) => void;
  /** Bytes queued for a reader before it is cut off as a slow reader. */
  readonly maxBufferedBytes: number;
  /** How long a slow reader's close handshake may take before the socket is destroyed, ms. */
  readonly closeTimeoutMs: number;
  readonly onError: (err: unknown, context: string) => void;
}

/** Store reads one subscribe may make while live events keep arriving before it gives up. */
const MAX_CATCH_UP_READS = 5;

type SubscriptionState = 'catching-up' | 'live' | 'ended';

/** One feed on one reader connection. Delivers each seq once, in order. */
class ReaderSubscription implements HubMember {
  state: SubscriptionState = 'catching-up';
  cursor = -1;
  private readonly buffered: Delivery[] = [];

  constructor(readonly feed: string, private readonly session: Session) {}

  deliver(d: Delivery): void {
    if (this.state === 'catching-up') this.buffered.push(d);
    else if (this.state === 'live') this.send(d);
  }

  reset(reason: ResetReason): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.session.ended(this, reason);
  }

  /** Sends `d` if it is the next seq; earlier seqs are duplicates. Returns false on a gap. */
  send(d: Delivery): boolean {
    if (d.seq <= this.cursor) return true;
    if (d.seq !== this.cursor + 1) return false;
    this.cursor = d.seq;
    this.session.sendBytes(d.bytes);
    return true;
  }

  /**
   * Hands over the live events buffered while catching up and goes live, if they continue
   * from the cursor up to `hubSeq`; returns false when events are still missing.
   */
  flush(hubSeq: number): boolean {
    while (this.buffered.length > 0) {
      if (!this.send(this.buffered[0] as Delivery)) return false;
      this.buffered.shift();
    }
    if (this.cursor < hubSeq) return false;
    this.state = 'live';
    return true;
  }
}

/**
 * One reader connection: parses its frames, holds its subscriptions, and guards the
 * server against it (a reader whose send buffer passes the cap is cut off with
 * SLOW_READER rather than allowed to grow memory).
 */
export class Session {
  private readonly subscriptions = new Map<string, ReaderSubscription>();
  private closing = false;
  private terminateTimer: NodeJS.Timeout | null = null;
  private readonly goneListeners: Array<() => void> = [];
  /** Cleared at each ping, set by any pong or frame from the reader. */
  alive = true;

  constructor(private readonly ws: WebSocket, private readonly deps: SessionDeps) {
    ws.on('message', (data, isBinary) => {
      this.alive = true;
      if (isBinary) this.sendFrame({ type: 'error', code: 'bad_frame', message: 'frames must be JSON text' });
      else this.onText(data.toString());
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => {
      if (this.terminateTimer !== null) clearTimeout(this.terminateTimer);
      this.cleanup();
      for (const listener of this.goneListeners.splice(0)) listener();
    });
    ws.on('error', (err) => deps.onError(err, 'reader socket'));
  }

  /** Closes the connection with `code`; the session cleans up when the socket closes. */
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

  sendBytes(bytes: Buffer): void {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.deps.maxBufferedBytes) {
      this.close(CloseCode.SLOW_READER, 'reader too slow; reconnect and resume');
      return;
    }
    this.ws.send(bytes, { binary: false });
  }

  /** A subscription ended by its hub (history replaced): tell the reader to reload. */
  ended(sub: ReaderSubscription, reason: ResetReason): void {
    if (this.subscriptions.get(sub.feed) === sub) this.subscriptions.delete(sub.feed);
    this.sendFrame({ type: 'reset', feed: sub.feed, reason });
  }

  private sendFrame(frame: ServerFrame): void {
    this.sendBytes(Buffer.from(JSON.stringify(frame)));
  }

  private sendError(code: ProtocolErrorCode, message: string, feed?: string): void {
    this.sendFrame({ type: 'error', code, message, ...(feed !== undefined ? { feed } : {}) });
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
      this.sendFrame({ type: 'unsubscribed', feed: frame.feed });
      return;
    }
    this.subscribe(frame).catch((err: unknown) => this.deps.onError(err, `subscribe ${frame.feed}`));
  }

  private async subscribe(frame: Extract<ClientFrame, { type: 'subscribe' }>): Promise<void> {
    const { feed } = frame;
    this.drop(feed); // subscribing again restarts delivery from the new cursor
    const sub = new ReaderSubscription(feed, this);
    this.subscriptions.set(feed, sub);
    const current = (): boolean => this.subscriptions.get(feed) === sub && sub.state !== 'ended';

    let hub: FeedHub;
    try {
      hub = await this.deps.join(feed, sub);
    } catch (err) {
      if (!current()) return; // superseded by a newer subscribe or an unsubscribe
      this.subscriptions.delete(feed);
      if (isAppError(err) && err.code === 'feed_not_found') this.sendError('feed_not_found', err.message, feed);
      else this.failSubscription(err, feed);
      return;
    }
    if (!current()) return;
    const since = frame.since ?? hub.lastSeq;
    this.sendFrame({ type: 'subscribed', feed, seq: hub.lastSeq, epoch: hub.epoch });
    if (frame.epoch !== undefined && frame.epoch !== hub.epoch) {
      sub.reset('epoch_changed');
      this.deps.leave(feed, sub);
      return;
    }
    sub.cursor = since;
    for (const d of hub.recentSince(since) ?? []) sub.send(d);
    // A cursor ahead of this node may just be ahead of the broker; only the store can tell.
    let askStore = since > hub.lastSeq;
    for (let reads = 0; current(); reads++) {
      if (!askStore && sub.flush(hub.lastSeq)) return;
      askStore = false;
      try {
        if (reads === MAX_CATCH_UP_READS) throw new Error(`feed ${feed}: store and hub disagree after ${reads} reads`);
        const result = await this.deps.store.eventsSince(feed, sub.cursor, hub.epoch);
        if (!current()) return;
        if (result === null || result.kind === 'reset') {
          sub.reset(result === null ? 'epoch_changed' : result.reason);
          this.deps.leave(feed, sub);
          return;
        }
        for (const e of result.events) sub.send(serializeEvent(e));
      } catch (err) {
        this.drop(feed);
        this.failSubscription(err, feed);
        return;
      }
    }
  }

  private failSubscription(err: unknown, feed: string): void {
    this.deps.onError(err, `subscribe ${feed}`);
    this.sendError('unavailable', 'could not subscribe right now; try again', feed);
  }

  private drop(feed: string): void {
    const sub = this.subscriptions.get(feed);
    if (sub === undefined) return;
    this.subscriptions.delete(feed);
    sub.state = 'ended';
    this.deps.leave(feed, sub);
  }

  private cleanup(): void {
    this.closing = true;
    for (const feed of [...this.subscriptions.keys()]) this.drop(feed);
  }
}

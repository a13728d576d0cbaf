/**
 * The SSE fallback, shaped like a WebSocket so the client's state machine, resume and
 * dedupe stay exactly the same: each `subscribe` frame opens one EventSource on
 * `/v1/feeds/:feed/stream?since=&epoch=`, whose messages are the same JSON frames as on
 * the WebSocket. Any stream error closes this "socket" (and its EventSources, so the
 * browser doesn't retry on its own): the client then reports the drop and reconnects
 * with its own backoff from each cursor, exactly as after a WebSocket drop.
 *
 * An EventSource follows redirects by itself, so each message's `origin` is checked: a
 * stream answered by another origin than the configured server's is never delivered; it is
 * reported (LiveError 'untrusted_origin' on the client) and this "socket" closes, as after a
 * stream error.
 */
import type { WebSocketConstructor, WebSocketLike } from './protocol';

/** The part of the browser's EventSource the SDK uses. */
export interface EventSourceLike {
  readonly readyState: number;
  onmessage: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  close(): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

export function sseSockets(http: string, ES: EventSourceConstructor): WebSocketConstructor {
  const origin = new URL(http).origin;
  return class SseSocket implements WebSocketLike {
    readyState = 0;
    onopen: ((event: never) => void) | null = null;
    onmessage: ((event: never) => void) | null = null;
    onclose: ((event: never) => void) | null = null;
    onerror: ((event: never) => void) | null = null;
    private readonly streams = new Map<string, EventSourceLike>();

    constructor() {
      // Nothing to handshake: "open" at once, but after the caller has set its handlers.
      setTimeout(() => {
        if (this.readyState !== 0) return;
        this.readyState = 1;
        this.emit(this.onopen, {});
      }, 0);
    }

    send(data: string): void {
      const frame = JSON.parse(data) as { type: string; feed: string; since?: number; epoch?: string };
      this.streams.get(frame.feed)?.close();
      this.streams.delete(frame.feed);
      if (frame.type !== 'subscribe') return;
      const query = [
        frame.since === undefined ? '' : `since=${frame.since}`,
        frame.epoch === undefined ? '' : `epoch=${encodeURIComponent(frame.epoch)}`,
      ].filter(Boolean).join('&');
      const es = new ES(`${http}/v1/feeds/${frame.feed}/stream${query ? `?${query}` : ''}`);
      this.streams.set(frame.feed, es);
      es.onmessage = ((event: { data?: unknown; origin?: unknown }) => {
        if (this.streams.get(frame.feed) !== es) return;
        if (typeof event.origin === 'string' && event.origin && event.origin !== origin) {
          // Reported through the client's error path, as a server error frame would be.
          const message = `stream answered by ${event.origin}; only ${origin} is trusted`;
          this.emit(this.onmessage, { data: JSON.stringify({ type: 'error', code: 'untrusted_origin', feed: frame.feed, message }) });
          return this.close(1006);
        }
        // The server ends the stream after a reset or an error; don't let the browser reopen it.
        if (typeof event.data === 'string' && /^\{"type":"(reset|error)"/.test(event.data)) {
          es.close();
          this.streams.delete(frame.feed);
        }
        this.emit(this.onmessage, { data: event.data });
      }) as (event: never) => void;
      es.onerror = (() => {
        if (this.streams.get(frame.feed) === es) this.close(1006);
      }) as (event: never) => void;
    }

    close(code = 1000): void {
      if (this.readyState === 3) return;
      this.readyState = 3;
      for (const es of this.streams.values()) es.close();
      this.streams.clear();
      setTimeout(() => this.emit(this.onclose, { code, reason: '' }), 0);
    }

    private emit(handler: ((event: never) => void) | null, event: object): void {
      (handler as ((event: object) => void) | null)?.(event);
    }
  };
}

import { createBackoff } from './backoff';
import { Emitter } from './emitter';
import { LiveError } from './errors';
import { endpoints, FEED_ID, OPEN, parseServerFrame, type WebSocketConstructor, type WebSocketLike } from './protocol';
import { loadSnapshot, type FetchLike } from './snapshot';
import { sseSockets, type EventSourceConstructor } from './sse-socket';
import { Subscription, type SubscribeOptions, type SubscriptionHost } from './subscription';

/**
 * - `disconnected` not trying: before connect(), after disconnect(), or after the server
 *   closed with a do-not-reconnect code (4500–4999)
 * - `connecting`   opening a socket, or waiting (backoff) to open the next one
 * - `connected`    the socket is open
 */
export type ClientState = 'disconnected' | 'connecting' | 'connected';

export interface LiveClientOptions {
  /** The server's base URL (http: or https:); a base path is kept. The socket is ws(s)://…/v1/ws. */
  url: string;
  /** WebSocket implementation. Default globalThis.WebSocket; in Node pass `require('ws')`. */
  WebSocket?: WebSocketConstructor;
  /** fetch implementation, for snapshots. Default globalThis.fetch. */
  fetch?: FetchLike;
  /** Backoff window of the first retry (reconnects and snapshot reloads), in ms. Default 500. */
  minReconnectDelayMs?: number;
  /** Largest backoff window, in ms. Default 20000. */
  maxReconnectDelayMs?: number;
  /** Randomness for the backoff jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  /** EventSource implementation for the SSE fallback. Default globalThis.EventSource (none in Node). */
  EventSource?: EventSourceConstructor;
}

/** WebSockets in a row that must fail to open before the client switches to SSE. */
const WS_FAILURES_BEFORE_SSE = 2;

export interface ClientEvents {
  state: [state: ClientState];
  error: [error: LiveError];
}

/**
 * One connection to a Liveline server, carrying any number of feed subscriptions. The
 * constructor does no I/O; connect() starts it. On any close it didn't ask for, it reconnects
 * after a full-jitter backoff delay (the attempt counter resets once a socket opens) and every
 * subscription resumes from its cursor, unless the server closed with 4500–4999 ("do not
 * reconnect"): then it goes `disconnected` and reports LiveError('closed_by_server').
 */
export class LiveClient extends Emitter<ClientEvents> {
  private s: ClientState = 'disconnected';
  private readonly ws: string;
  private WS: WebSocketConstructor;
  /** The WebSocket implementation, when there is one (SSE-only environments have none). */
  private readonly webSocket: WebSocketConstructor | undefined;
  /** The SSE fallback, when EventSource exists. */
  private readonly sse: WebSocketConstructor | undefined;
  private kind: 'websocket' | 'sse' = 'websocket';
  /** Sockets in a row that closed without ever opening. */
  private unopened = 0;
  private readonly delay: (attempt: number) => number;
  private readonly subs = new Map<string, Subscription>();
  private readonly host: SubscriptionHost;
  private readonly http: string;
  private readonly fetchFn: FetchLike;
  /** Between connect() and disconnect(). */
  private active = false;
  private socket: WebSocketLike | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LiveClientOptions) {
    super();
    const { http, ws } = endpoints(options.url);
    const ES = options.EventSource ?? (typeof EventSource === 'function' ? EventSource : undefined);
    this.sse = ES && sseSockets(http, ES);
    const WS = options.WebSocket ?? globalThis.WebSocket ?? this.sse;
    if (typeof WS !== 'function') {
      throw new TypeError('LiveClient: no WebSocket implementation; pass options.WebSocket (in Node: require("ws"))');
    }
    if (WS === this.sse) this.kind = 'sse';
    const fetchFn: FetchLike | undefined =
      options.fetch ?? (typeof fetch === 'function' ? (url, init) => fetch(url, init) : undefined);
    if (!fetchFn) throw new TypeError('LiveClient: no fetch implementation; pass options.fetch');
    this.http = http;
    this.fetchFn = fetchFn;
    for (const key of ['minReconnectDelayMs', 'maxReconnectDelayMs'] as const) {
      const v = options[key];
      if (v !== undefined && !(v >= 0 && v < Infinity)) throw new TypeError(`LiveClient: ${key} must be a number ≥ 0`);
    }
    this.ws = ws;
    this.WS = WS;
    this.webSocket = WS === this.sse ? undefined : WS;
    this.delay = createBackoff({
      baseMs: options.minReconnectDelayMs,
      maxMs: options.maxReconnectDelayMs,
      random: options.random,
    });
    this.host = {
      send: (frame) => {
        const open = this.socket?.readyState === OPEN;
        if (open) this.socket?.send(JSON.stringify(frame));
        return open;
      },
      load: (feed, fresh) => loadSnapshot(fetchFn, http, feed, fresh),
      report: (error) => this.emit('error', error),
      delay: this.delay,
      active: () => this.active,
      remove: (sub) => {
        if (this.subs.get(sub.feed) === sub) this.subs.delete(sub.feed);
      },
    };
  }

  get state(): ClientState {
    return this.s;
  }

  /** `websocket`, or `sse` once WebSockets failed to open (or don't exist) and EventSource does. */
  get transport(): 'websocket' | 'sse' {
    return this.kind;
  }

  /** Starts connecting (and loading pending snapshots). Does nothing if already started. */
  connect(): void {
    if (this.active) return;
    this.active = true;
    if (typeof window !== 'undefined') window.addEventListener('online', this.online);
    this.open();
    for (const sub of this.subs.values()) sub._resume();
  }

  /**
   * Closes the socket and stops reconnecting and loading; no callbacks fire until the next
   * connect(). Subscriptions and their cursors are kept, so connect() resumes them.
   */
  disconnect(): void {
    const socket = this.socket;
    this.stop();
    socket?.close(1000);
  }

  /**
   * Subscribes to a feed. Without `since`, the snapshot is loaded first ('snapshot' event),
   * then live events follow from its cursor. With `since` (and ideally its `epoch`) no
   * snapshot is loaded; delivery resumes after that seq. With `snapshot` (one the page shows
   * already) neither: delivery resumes after its seq.
   * Throws TypeError for a bad feed id or cursor, and if the feed is already subscribed on
   * this client (reuse that Subscription, or unsubscribe() it first).
   */
  subscribe(feed: string, options: SubscribeOptions = {}): Subscription {
    const { since, epoch, snapshot } = options;
    if (typeof feed !== 'string' || !FEED_ID.test(feed)) throw new TypeError(`LiveClient: invalid feed id ${JSON.stringify(feed)}`);
    if (this.subs.has(feed)) throw new TypeError(`LiveClient: already subscribed to "${feed}"`);
    if (since !== undefined && !(Number.isSafeInteger(since) && since >= 0)) {
      throw new TypeError('LiveClient: since must be an integer ≥ 0');
    }
    if (epoch !== undefined && (since === undefined || typeof epoch !== 'string' || epoch === '')) {
      throw new TypeError('LiveClient: epoch must be a non-empty string, given together with since');
    }
    if (snapshot !== undefined && (since !== undefined || !Number.isSafeInteger(snapshot?.seq) || typeof snapshot.epoch !== 'string' || !Array.isArray(snapshot.entries))) {
      throw new TypeError('LiveClient: snapshot must be a feed snapshot (seq, epoch, entries), without since');
    }
    const sub = new Subscription(feed, { since, epoch, snapshot }, this.host);
    this.subs.set(feed, sub);
    sub._resume();
    return sub;
  }

  private open(): void {
    this.timer = undefined;
    let socket: WebSocketLike;
    try {
      socket = new this.WS(this.ws);
    } catch (cause) {
      this.emit('error', new LiveError('connect_failed', `cannot open ${this.ws}`, { cause }));
      this.retry();
      return;
    }
    this.socket = socket;
    // Events of a socket we no longer hold (after disconnect()) are ignored.
    let opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.unopened = 0;
      this.setState('connected');
      for (const sub of this.subs.values()) sub._open();
    };
    socket.onmessage = (event: { data?: unknown }) => {
      if (this.socket === socket) this.receive(event.data);
    };
    socket.onclose = (event: { code?: number; reason?: string }) => {
      if (this.socket !== socket) return;
      if (!opened && ++this.unopened >= WS_FAILURES_BEFORE_SSE && this.sse && this.kind === 'websocket') this.considerSse();
      // After an SSE drop, try WebSocket again first: the refusal that sent us to SSE
      // (a proxy, or the server's limits) may be gone.
      if (this.kind === 'sse' && this.webSocket) {
        this.WS = this.webSocket;
        this.kind = 'websocket';
        this.unopened = 0;
      }
      this.closed(event.code ?? 1006, event.reason ?? '');
    };
    // Always set (ws throws on an unhandled 'error'); a close event follows every error.
    socket.onerror = () => undefined;
    this.setState('connecting');
  }

  /**
   * WebSockets keep failing to open. If the server answers plain HTTP meanwhile, something
   * between us refuses upgrades (a proxy): switch to SSE, keeping every cursor. If it
   * doesn't answer, the server is simply down (a restart): stay on WebSocket.
   */
  private considerSse(): void {
    // Like every request of the SDK, to the configured server only: a redirect is no answer.
    this.fetchFn(`${this.http}/healthz`, { redirect: 'manual' }).then(
      (res) => {
        // Only if WebSockets still fail: one may have opened while we asked.
        if (!res.ok || !this.sse || this.kind !== 'websocket' || this.unopened < WS_FAILURES_BEFORE_SSE) return;
        this.WS = this.sse;
        this.kind = 'sse';
      },
      () => undefined, // unreachable: the next WebSocket attempt will tell more
    );
  }

  private receive(data: unknown): void {
    const frame = parseServerFrame(data);
    if (frame instanceof LiveError) return this.emit('error', frame);
    if (!frame) return;
    if (frame.type === 'error') {
      this.emit('error', new LiveError(frame.code, frame.message, frame.feed === undefined ? {} : { feed: frame.feed }));
    } else if (frame.type === 'subscribed') {
      // The backoff starts over only once the server really serves us, not on a bare open
      // (a server, or an SSE "socket", may open and fail right after).
      this.attempt = 0;
    }
    if (frame.feed !== undefined) this.subs.get(frame.feed)?._frame(frame);
  }

  private closed(code: number, reason: string): void {
    this.socket = undefined;
    for (const sub of this.subs.values()) sub._drop();
    if (code >= 4500 && code <= 4999) {
      this.stop();
      this.emit('error', new LiveError('closed_by_server', `server closed the connection: ${code} ${reason}`.trim()));
    } else {
      this.retry();
    }
  }

  private retry(): void {
    // A listener may have called disconnect() while this close was being handled.
    if (!this.active) return;
    this.timer = setTimeout(() => this.open(), this.delay(this.attempt++));
    this.setState('connecting');
  }

  private readonly online = (): void => {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.open();
  };

  private stop(): void {
    this.active = false;
    this.socket = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (typeof window !== 'undefined') window.removeEventListener('online', this.online);
    for (const sub of this.subs.values()) sub._pause();
    this.setState('disconnected');
  }

  /** Every state change happens here. */
  private setState(next: ClientState): void {
    if (next === this.s) return;
    this.s = next;
    this.emit('state', next);
  }
}

/**
 * Test doubles for the client SDK: a controllable fake WebSocket (records what the client
 * sends; the test opens, closes and pushes server frames) and a fake fetch serving snapshots.
 */
import { LiveClient } from '../../client-sdk/src';
import type { ClientState, Entry, FeedSnapshot, FetchLike, LiveClientOptions, LiveError } from '../../client-sdk/src';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

type Frame = Record<string, unknown>;

export class FakeSocket {
  readyState = CONNECTING;
  /** Raw text frames the client sent, in order. */
  readonly sent: string[] = [];
  /** Set when the client called close(). */
  closedByClient: { code: number | undefined } | undefined;
  onopen: ((event: object) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((event: object) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== OPEN) throw new Error('InvalidStateError: send() on a socket that is not open');
    this.sent.push(data);
  }

  close(code?: number): void {
    if (this.readyState === CLOSED) return;
    this.closedByClient = { code };
    this.readyState = CLOSED;
    // Like a browser, the close event follows asynchronously.
    void Promise.resolve().then(() => this.onclose?.({ code: code ?? 1005, reason: '', wasClean: true }));
  }

  // ---- driven by the test (the "server" side) ----

  /** The connection opens. */
  open(): void {
    this.readyState = OPEN;
    this.onopen?.({});
  }

  /** The server sends a frame (an object is JSON-encoded; a string or binary goes as is). */
  push(frame: Frame | string | Uint8Array): void {
    this.onmessage?.({ data: typeof frame === 'object' && !(frame instanceof Uint8Array) ? JSON.stringify(frame) : frame });
  }

  /** The server (or the network) closes the connection. */
  serverClose(code = 1006, reason = ''): void {
    this.readyState = CLOSED;
    this.onerror?.({});
    this.onclose?.({ code, reason, wasClean: code !== 1006 });
  }

  /** Sent frames, parsed. */
  frames(): Frame[] {
    return this.sent.map((text) => JSON.parse(text) as Frame);
  }

  /** Sent frames of one type, parsed. */
  framesOf(type: string): Frame[] {
    return this.frames().filter((f) => f.type === type);
  }
}

/** A WebSocket constructor whose instances are recorded in `sockets`. */
export function createFakeWebSocket(): {
  WebSocket: new (url: string) => FakeSocket;
  sockets: FakeSocket[];
  last(): FakeSocket;
} {
  const sockets: FakeSocket[] = [];
  class WebSocket extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket,
    sockets,
    last() {
      const socket = sockets[sockets.length - 1];
      if (!socket) throw new Error('no socket was opened');
      return socket;
    },
  };
}

export type FakeReply = { status: number; body?: unknown } | Error;

/**
 * A fetch whose replies come from `handler` (a reply, a promise of one for a held response,
 * or an Error for a network failure). Requested URLs are recorded in `calls`.
 */
export function createFakeFetch(handler: (url: string) => FakeReply | Promise<FakeReply>): {
  fetch: FetchLike;
  calls: string[];
  setHandler(next: (url: string) => FakeReply | Promise<FakeReply>): void;
} {
  const calls: string[] = [];
  let current = handler;
  const fetch: FetchLike = async (url) => {
    calls.push(url);
    const reply = await current(url);
    if (reply instanceof Error) throw reply;
    return {
      ok: reply.status >= 200 && reply.status < 300,
      status: reply.status,
      json: async () => reply.body,
    };
  };
  return { fetch, calls, setHandler: (next) => (current = next) };
}

export function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export function entry(id: string, over: Partial<Entry> = {}): Entry {
  return {
    id,
    feedId: 'election',
    headline: null,
    body: `<p>${id}</p>`,
    authors: ['Ana'],
    tags: [],
    pinned: false,
    keyEvent: false,
    publishedAt: '2024-11-05T20:00:00.000Z',
    updatedAt: '2024-11-05T20:00:00.000Z',
    revision: 1,
    corrections: [],
    ...over,
  };
}

export function snapshot(seq: number, epoch = 'e1', feed = 'election', entries: Entry[] = []): FeedSnapshot {
  return {
    feed: {
      id: feed,
      title: 'Live updates: election night',
      description: '',
      status: 'live',
      summary: null,
      createdAt: '2024-11-05T18:00:00.000Z',
      updatedAt: '2024-11-05T18:00:00.000Z',
      startsAt: null,
      coverageStartedAt: '2024-11-05T18:00:00.000Z',
      coverageEndedAt: null,
      revision: 1,
    },
    entries,
    nextBefore: null,
    seq,
    epoch,
  };
}

/** A server `event` frame carrying entry.created for entry `e{seq}`. */
export function created(seq: number, epoch = 'e1', feed = 'election'): Frame {
  return { type: 'event', feed, seq, epoch, event: 'entry.created', data: entry(`e${seq}`) };
}

/**
 * A LiveClient wired to a fake WebSocket and a fake fetch (serving `snapshot(10)` unless the
 * test changes the handler), with its 'state' and 'error' events recorded.
 */
export function setupClient(options: Partial<LiveClientOptions> = {}): {
  client: LiveClient;
  ws: ReturnType<typeof createFakeWebSocket>;
  http: ReturnType<typeof createFakeFetch>;
  states: ClientState[];
  errors: LiveError[];
} {
  const ws = createFakeWebSocket();
  const http = createFakeFetch(() => ({ status: 200, body: snapshot(10) }));
  const client = new LiveClient({
    url: 'http://localhost:8080',
    WebSocket: ws.WebSocket,
    fetch: http.fetch,
    random: () => 0.5,
    ...options,
  });
  const states: ClientState[] = [];
  const errors: LiveError[] = [];
  client.on('state', (s) => states.push(s));
  client.on('error', (e) => errors.push(e));
  return { client, ws, http, states, errors };
}

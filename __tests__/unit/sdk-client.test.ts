import { LiveClient, LiveError } from '../../client-sdk/src';
import { created, createFakeFetch, createFakeWebSocket, deferred, type FakeReply, setupClient, snapshot } from '../helpers/fake-websocket';

const flush = (): Promise<void> => jest.advanceTimersByTimeAsync(0);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('LiveClient construction', () => {
  it('does no I/O and starts disconnected', () => {
    const { client, ws, http, states } = setupClient();
    expect(client.state).toBe('disconnected');
    expect(ws.sockets).toHaveLength(0);
    expect(http.calls).toHaveLength(0);
    expect(states).toEqual([]);
  });

  it('derives the WebSocket and snapshot URLs from the base URL, keeping a base path', async () => {
    const ws = createFakeWebSocket();
    const http = createFakeFetch(() => ({ status: 200, body: snapshot(1) }));
    const plain = new LiveClient({ url: 'http://localhost:8080', WebSocket: ws.WebSocket, fetch: http.fetch });
    const based = new LiveClient({ url: 'https://news.example.com/live/', WebSocket: ws.WebSocket, fetch: http.fetch });
    plain.connect();
    based.connect();
    based.subscribe('election');
    await flush();
    expect(ws.sockets.map((s) => s.url)).toEqual(['ws://localhost:8080/v1/ws', 'wss://news.example.com/live/v1/ws']);
    expect(http.calls).toEqual(['https://news.example.com/live/v1/feeds/election']);
    plain.disconnect();
    based.disconnect();
  });

  it('rejects a bad URL or missing implementations with TypeError', () => {
    const { WebSocket } = createFakeWebSocket();
    const { fetch } = createFakeFetch(() => ({ status: 500 }));
    expect(() => new LiveClient({ url: 'not a url', WebSocket, fetch })).toThrow(TypeError);
    expect(() => new LiveClient({ url: 'ftp://example.com', WebSocket, fetch })).toThrow(TypeError);
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
    Object.defineProperty(globalThis, 'WebSocket', { value: undefined, configurable: true });
    try {
      expect(() => new LiveClient({ url: 'http://example.com', fetch })).toThrow(/WebSocket/);
    } finally {
      if (saved) Object.defineProperty(globalThis, 'WebSocket', saved);
      else Reflect.deleteProperty(globalThis, 'WebSocket');
    }
    expect(() => new LiveClient({ url: 'http://example.com', WebSocket, fetch, minReconnectDelayMs: -1 })).toThrow(TypeError);
  });
});

describe('connect() and disconnect()', () => {
  it('connect() twice opens one socket; states go connecting → connected', () => {
    const { client, ws, states } = setupClient();
    client.connect();
    client.connect();
    expect(ws.sockets).toHaveLength(1);
    expect(client.state).toBe('connecting');
    ws.last().open();
    client.connect();
    expect(ws.sockets).toHaveLength(1);
    expect(states).toEqual(['connecting', 'connected']);
    expect(client.state).toBe('connected');
  });

  it('disconnect() closes the socket, stops reconnecting, and is safe to repeat', async () => {
    const { client, ws, states } = setupClient();
    client.connect();
    const socket = ws.last();
    socket.open();
    client.disconnect();
    client.disconnect();
    expect(socket.closedByClient).toEqual({ code: 1000 });
    expect(client.state).toBe('disconnected');
    await jest.runAllTimersAsync();
    expect(ws.sockets).toHaveLength(1);
    expect(states).toEqual(['connecting', 'connected', 'disconnected']);
  });

  it('disconnect() while waiting to reconnect cancels the reconnect', async () => {
    const { client, ws } = setupClient();
    client.connect();
    ws.last().serverClose(1006);
    expect(client.state).toBe('connecting');
    client.disconnect();
    await jest.runAllTimersAsync();
    expect(ws.sockets).toHaveLength(1);
    expect(client.state).toBe('disconnected');
  });

  it('fires no subscription callbacks after disconnect(), and connect() resumes from the kept cursor', async () => {
    const { client, ws, http } = setupClient();
    const held = deferred<FakeReply>();
    http.setHandler(() => held.promise);
    client.connect();
    const sub = client.subscribe('election');
    const snapshots: number[] = [];
    sub.on('snapshot', (s) => snapshots.push(s.seq));
    client.disconnect();
    held.resolve({ status: 200, body: snapshot(10) });
    await flush();
    expect(snapshots).toEqual([]);

    http.setHandler(() => ({ status: 200, body: snapshot(12) }));
    client.connect();
    await flush();
    expect(snapshots).toEqual([12]);
    const socket = ws.last();
    socket.open();
    socket.push(created(13));
    expect(sub.seq).toBe(13);

    client.disconnect();
    expect([sub.seq, sub.state]).toEqual([13, 'subscribing']);
    client.connect();
    ws.last().open();
    expect(ws.last().frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 13, epoch: 'e1' }]);
  });

  it('reports connect_failed and retries when the WebSocket constructor throws', async () => {
    let throws = true;
    const fake = createFakeWebSocket();
    class Flaky extends fake.WebSocket {
      constructor(url: string) {
        if (throws) throw new SyntaxError('blocked');
        super(url);
      }
    }
    const { client, errors } = setupClient({ WebSocket: Flaky });
    client.connect();
    expect(errors.map((e) => e.code)).toEqual(['connect_failed']);
    expect(client.state).toBe('connecting');
    throws = false;
    await jest.advanceTimersByTimeAsync(250);
    expect(fake.sockets).toHaveLength(1);
  });
});

describe('reconnecting', () => {
  it('resumes every subscription from its last seq after a reconnect', async () => {
    const { client, ws, states } = setupClient();
    client.connect();
    const first = ws.last();
    first.open();
    const sub = client.subscribe('election');
    const other = client.subscribe('sports', { since: 4, epoch: 'x' });
    const seqs: number[] = [];
    sub.on('event', (e) => seqs.push(e.seq));
    await flush();
    first.push({ type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' });
    first.push(created(11));
    first.push(created(12));
    expect(sub.state).toBe('live');

    first.serverClose(1006);
    expect(client.state).toBe('connecting');
    expect(sub.state).toBe('subscribing');
    await jest.advanceTimersByTimeAsync(250);
    const second = ws.last();
    expect(second).not.toBe(first);
    second.open();
    expect(second.frames()).toEqual([
      { type: 'subscribe', feed: 'election', since: 12, epoch: 'e1' },
      { type: 'subscribe', feed: 'sports', since: 4, epoch: 'x' },
    ]);
    second.push({ type: 'subscribed', feed: 'election', seq: 13, epoch: 'e1' });
    second.push(created(12));
    second.push(created(13));
    expect(seqs).toEqual([11, 12, 13]);
    expect(other.seq).toBe(4);
    expect(states).toEqual(['connecting', 'connected', 'connecting', 'connected']);
  });

  it('after 1012 (server restart) reconnects within the full-jitter bound of the first window', async () => {
    const { client, ws } = setupClient({ random: Math.random });
    client.connect();
    ws.last().open();
    ws.last().serverClose(1012, 'restarting');
    expect(client.state).toBe('connecting');
    expect(ws.sockets).toHaveLength(1); // never synchronously
    await jest.advanceTimersByTimeAsync(500);
    expect(ws.sockets).toHaveLength(2);
  });

  it('waits exactly the jittered delay, growing per failed attempt and resetting once the server serves again', async () => {
    const { client, ws } = setupClient({ random: () => 0.99 });
    client.connect();
    ws.last().open();
    ws.last().serverClose(1012);
    await jest.advanceTimersByTimeAsync(494);
    expect(ws.sockets).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1); // 0.99 × 500
    expect(ws.sockets).toHaveLength(2);

    ws.last().serverClose(1006); // failed attempt: the window doubles
    await jest.advanceTimersByTimeAsync(989);
    expect(ws.sockets).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1); // 0.99 × 1000
    expect(ws.sockets).toHaveLength(3);

    ws.last().open(); // an open alone doesn't reset the counter (a server may open and fail at once) …
    ws.last().push({ type: 'subscribed', feed: 'election', seq: 0, epoch: 'e1' }); // … being served does
    ws.last().serverClose(4008); // slow reader: reconnect normally
    await jest.advanceTimersByTimeAsync(495);
    expect(ws.sockets).toHaveLength(4);
  });

  it('after 4429 (too many frames) reconnects with backoff, and a bare open does not reset the backoff', async () => {
    const { client, ws, errors } = setupClient({ random: () => 0.99 });
    client.connect();
    ws.last().open();
    ws.last().serverClose(4429, 'too many frames');
    expect(client.state).toBe('connecting');
    await jest.advanceTimersByTimeAsync(494);
    expect(ws.sockets).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1); // 0.99 × 500
    expect(ws.sockets).toHaveLength(2);

    ws.last().open(); // opened, but never served a subscription …
    ws.last().serverClose(4429, 'too many frames'); // … so the window doubles
    await jest.advanceTimersByTimeAsync(989);
    expect(ws.sockets).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(1); // 0.99 × 1000
    expect(ws.sockets).toHaveLength(3);

    ws.last().open();
    ws.last().serverClose(4429);
    await jest.advanceTimersByTimeAsync(1979);
    expect(ws.sockets).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1); // 0.99 × 2000
    expect(ws.sockets).toHaveLength(4);
    expect(errors).toEqual([]); // transient: nothing to report, just reconnect
  });

  it('respects custom delay bounds', async () => {
    const { client, ws } = setupClient({ random: () => 0.9, minReconnectDelayMs: 100, maxReconnectDelayMs: 150 });
    client.connect();
    for (const expected of [90, 135, 135]) {
      const before = ws.sockets.length;
      ws.last().serverClose(1006);
      await jest.advanceTimersByTimeAsync(expected - 1);
      expect(ws.sockets).toHaveLength(before);
      await jest.advanceTimersByTimeAsync(1);
      expect(ws.sockets).toHaveLength(before + 1);
    }
  });

  it.each([4500, 4999])('after close %i goes disconnected, reports closed_by_server, and stops', async (code) => {
    const { client, ws, errors, states } = setupClient();
    client.connect();
    ws.last().open();
    ws.last().serverClose(code, 'go away');
    expect(client.state).toBe('disconnected');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(LiveError);
    expect(errors[0]?.code).toBe('closed_by_server');
    expect(errors[0]?.message).toContain(String(code));
    await jest.runAllTimersAsync();
    expect(ws.sockets).toHaveLength(1);
    expect(states).toEqual(['connecting', 'connected', 'disconnected']);

    client.connect(); // an explicit connect() tries again
    expect(ws.sockets).toHaveLength(2);
  });

  it('reconnects at once on the window "online" event while waiting', async () => {
    const win = new EventTarget();
    Object.defineProperty(globalThis, 'window', { value: win, configurable: true });
    try {
      const { client, ws } = setupClient();
      client.connect();
      ws.last().serverClose(1006);
      expect(ws.sockets).toHaveLength(1);
      win.dispatchEvent(new Event('online'));
      expect(ws.sockets).toHaveLength(2);
      win.dispatchEvent(new Event('online')); // already connecting: nothing more
      await jest.runOnlyPendingTimersAsync();
      expect(ws.sockets).toHaveLength(2);

      client.disconnect();
      win.dispatchEvent(new Event('online')); // listener removed
      expect(ws.sockets).toHaveLength(2);
    } finally {
      Reflect.deleteProperty(globalThis, 'window');
    }
  });

  it('does not reconnect when a state listener disconnects during a close', async () => {
    const { client, ws } = setupClient();
    client.connect();
    ws.last().open();
    const sub = client.subscribe('election', { since: 1 });
    sub.on('state', (s) => {
      if (s === 'subscribing') client.disconnect();
    });
    ws.last().push({ type: 'subscribed', feed: 'election', seq: 1, epoch: 'e1' });
    ws.last().serverClose(1006);
    await jest.runAllTimersAsync();
    expect(ws.sockets).toHaveLength(1);
    expect(client.state).toBe('disconnected');
  });
});

/**
 * The SDK in Node with the real `ws` package and the global fetch, against a small stand-in
 * server on a loopback port speaking the documented protocol (no server/ code involved).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { LiveClient, type ClientState, type LiveEvent, type Subscription, type SubscriptionEvents } from '../../client-sdk/src';
import { created, snapshot } from '../helpers/fake-websocket';

type Frame = Record<string, unknown>;

/** A one-feed stand-in server: snapshot over HTTP, subscribe/replay/live over /v1/ws. */
function startServer(): Promise<{
  url: string;
  received: Frame[];
  publish(): void;
  restartAll(): void;
  close(): Promise<void>;
}> {
  const log: Frame[] = [created(1), created(2)];
  const received: Frame[] = [];
  const live = new Set<WebSocket>();
  const http: Server = createServer((req, res) => {
    if (req.url === '/v1/feeds/election') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(snapshot(log.length)));
    } else {
      res.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({ server: http, path: '/v1/ws' });
  wss.on('connection', (socket) => {
    socket.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as Frame;
      received.push(frame);
      if (frame.type !== 'subscribe') return;
      socket.send(JSON.stringify({ type: 'subscribed', feed: 'election', seq: log.length, epoch: 'e1' }));
      for (const event of log.slice(Number(frame.since ?? log.length))) socket.send(JSON.stringify(event));
      live.add(socket);
    });
    socket.on('close', () => live.delete(socket));
  });
  return new Promise((resolve) => {
    http.listen(0, '127.0.0.1', () => {
      const { port } = http.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        received,
        publish() {
          const event = created(log.length + 1);
          log.push(event);
          for (const socket of live) socket.send(JSON.stringify(event));
        },
        restartAll() {
          for (const socket of wss.clients) socket.close(1012, 'restart');
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of wss.clients) socket.terminate();
            wss.close(() => http.close(() => done()));
          }),
      });
    });
  });
}

/** Resolves with the arguments of the next `event` on `sub`, or rejects after `timeoutMs`. */
function next<K extends keyof SubscriptionEvents>(sub: Subscription, event: K, timeoutMs = 3000): Promise<SubscriptionEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no "${String(event)}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const stop = sub.on(event, (...args) => {
      clearTimeout(timer);
      stop();
      resolve(args);
    });
  });
}

function nextState(client: LiveClient, wanted: ClientState, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`client never became ${wanted}`));
    }, timeoutMs);
    const stop = client.on('state', (state) => {
      if (state !== wanted) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

describe('LiveClient with ws in Node', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let client: LiveClient | undefined;

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    client?.disconnect();
    await server.close();
  });

  it('loads the snapshot, goes live, and resumes after a server restart without loss or duplicates', async () => {
    client = new LiveClient({ url: server.url, WebSocket, minReconnectDelayMs: 20 });
    const sub = client.subscribe('election');
    const seqs: number[] = [];
    sub.on('event', (e: LiveEvent) => seqs.push(e.seq));
    const firstSnapshot = next(sub, 'snapshot');
    client.connect();
    const [snap, reason] = await firstSnapshot;
    expect([snap.seq, reason]).toEqual([2, 'initial']);

    if (sub.state !== 'live') await next(sub, 'state');
    expect(sub.state).toBe('live');
    const third = next(sub, 'entry.created');
    server.publish();
    expect((await third)[0].id).toBe('e3');

    const reconnecting = nextState(client, 'connecting');
    server.restartAll();
    await reconnecting;
    server.publish(); // published while the reader is away
    const fourth = next(sub, 'entry.created');
    await nextState(client, 'connected');
    expect((await fourth)[1].seq).toBe(4);

    const subscribes = server.received.filter((f) => f.type === 'subscribe');
    expect(subscribes).toEqual([
      { type: 'subscribe', feed: 'election', since: 2, epoch: 'e1' },
      { type: 'subscribe', feed: 'election', since: 3, epoch: 'e1' },
    ]);
    expect(seqs).toEqual([3, 4]);
  });

  it('disconnect() while the handshake is in progress neither throws nor reconnects', async () => {
    client = new LiveClient({ url: server.url, WebSocket, minReconnectDelayMs: 1 });
    client.connect();
    client.disconnect();
    expect(client.state).toBe('disconnected');
    // The aborted handshake reports an error on the ws socket on the next tick; it must be handled.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.state).toBe('disconnected');
  });
});

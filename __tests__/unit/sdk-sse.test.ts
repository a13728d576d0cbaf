import type { EventSourceLike } from '../../client-sdk/src';
import { created, setupClient } from '../helpers/fake-websocket';

const flush = (): Promise<void> => jest.advanceTimersByTimeAsync(0);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** A controllable EventSource: the test pushes messages and fails streams. */
class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  readyState = 0;
  onmessage: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;

  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }

  push(frame: object): void {
    (this.onmessage as ((e: { data: string }) => void) | null)?.({ data: JSON.stringify(frame) });
  }

  /** A message as a browser delivers it, with the origin of the stream's final URL (after redirects). */
  pushFrom(origin: string, frame: object): void {
    (this.onmessage as ((e: { data: string; origin: string }) => void) | null)?.({ data: JSON.stringify(frame), origin });
  }

  /** What the browser does on an HTTP error: gives up on the stream. */
  fail(): void {
    this.readyState = 2;
    (this.onerror as ((e: object) => void) | null)?.({});
  }

  close(): void {
    this.readyState = 2;
  }
}

/** The next `times` WebSockets close without opening, each after its backoff delay. */
async function refuseUpgrades(ws: ReturnType<typeof setupClient>['ws'], times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    ws.last().serverClose(1006);
    await jest.advanceTimersByTimeAsync(20_000);
  }
}

describe('SSE fallback', () => {
  beforeEach(() => {
    FakeEventSource.all = [];
  });

  it('switches to SSE after two WebSockets fail to open, and resumes from the cursor', async () => {
    const { client, ws } = setupClient({ EventSource: FakeEventSource });
    const sub = client.subscribe('election');
    const seqs: number[] = [];
    sub.on('event', (e) => seqs.push(e.seq));
    client.connect();
    await flush(); // snapshot(10) loaded: cursor 10
    expect(client.transport).toBe('websocket');

    await refuseUpgrades(ws, 2); // a proxy refuses the upgrade, twice

    expect(client.transport).toBe('sse');
    expect(client.state).toBe('connected');
    const es = FakeEventSource.all[0] as FakeEventSource;
    expect(es.url).toBe('http://localhost:8080/v1/feeds/election/stream?since=10&epoch=e1');
    es.push({ type: 'subscribed', feed: 'election', seq: 11, epoch: 'e1' });
    es.push(created(11));
    es.push(created(11)); // a duplicate after the browser's own reconnect is dropped
    es.push(created(12));
    expect(seqs).toEqual([11, 12]);
    expect(sub.state).toBe('live');
  });

  it('stays on WebSocket while the server is simply down (HTTP fails too), as during a restart', async () => {
    const { client, ws, http } = setupClient({ EventSource: FakeEventSource });
    client.subscribe('election');
    client.connect();
    await flush();
    http.setHandler(() => new Error('connection refused'));
    await refuseUpgrades(ws, 4);
    expect(client.transport).toBe('websocket');
    expect(FakeEventSource.all).toEqual([]);
  });

  it('reports the drop and reconnects from the cursor when a stream fails', async () => {
    const { client, ws } = setupClient({ EventSource: FakeEventSource });
    const sub = client.subscribe('election');
    client.connect();
    await flush();
    await refuseUpgrades(ws, 2);
    const first = FakeEventSource.all[0] as FakeEventSource;
    first.push({ type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' });
    first.push(created(11));
    first.fail(); // e.g. a 503 while the node restarts
    await flush();
    expect(client.state).toBe('connecting');
    await jest.advanceTimersByTimeAsync(20_000);
    // After an SSE drop the client tries WebSocket first: whatever refused it may be gone.
    expect(client.transport).toBe('websocket');
    ws.last().open();
    await flush();
    expect(ws.last().frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 11, epoch: 'e1' }]);
    expect(sub.seq).toBe(11);
    expect(FakeEventSource.all).toHaveLength(1);
  });

  it('delivers nothing from a stream answered by another origin (a redirect): reports untrusted_origin, closes, reconnects', async () => {
    const { client, ws, errors } = setupClient({ EventSource: FakeEventSource });
    const sub = client.subscribe('election');
    const seqs: number[] = [];
    sub.on('event', (e) => seqs.push(e.seq));
    client.connect();
    await flush();
    await refuseUpgrades(ws, 2);
    const es = FakeEventSource.all[0] as FakeEventSource;
    es.pushFrom('http://localhost:8080', { type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' });
    es.pushFrom('http://localhost:8080', created(11)); // the configured server: delivered
    expect(seqs).toEqual([11]);

    es.pushFrom('https://evil.example', created(12));
    es.pushFrom('https://evil.example', created(13));
    expect(seqs).toEqual([11]);
    expect(sub.seq).toBe(11);
    expect(errors.map((e) => [e.code, e.feed])).toEqual([['untrusted_origin', 'election']]);
    expect(errors[0]?.message).toContain('https://evil.example');
    expect(es.readyState).toBe(2); // closed: the browser won't reopen it
    await flush();
    expect(client.state).toBe('connecting'); // and the client reconnects from its cursor, with backoff
    await jest.advanceTimersByTimeAsync(20_000);
    ws.last().open();
    expect(ws.last().frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 11, epoch: 'e1' }]);
  });

  it('closes a stream that delivered a reset, so the browser does not reopen it', async () => {
    const { client, ws, http } = setupClient({ EventSource: FakeEventSource });
    const sub = client.subscribe('election');
    client.connect();
    await flush();
    await refuseUpgrades(ws, 2);
    const es = FakeEventSource.all[0] as FakeEventSource;
    const resets: string[] = [];
    sub.on('reset', (r) => resets.push(r));
    http.setHandler(() => ({ status: 200, body: { feed: { id: 'election' }, entries: [], nextBefore: null, seq: 3, epoch: 'e2' } }));
    es.push({ type: 'reset', feed: 'election', reason: 'history_expired' });
    expect(es.readyState).toBe(2);
    await flush();
    expect(resets).toEqual(['history_expired']);
    expect((FakeEventSource.all[1] as FakeEventSource).url).toContain('since=3&epoch=e2');
  });
});

/**
 * The SDK keeps its own copy of the wire shapes; these tests tie it to the server's
 * definitions so the two cannot drift apart unnoticed.
 */
import type { Entry, Feed, FeedEventType, FeedSnapshot } from '../../client-sdk/src';
import type * as Server from '../../server/domain/types';
import { CloseCode, parseClientFrame } from '../../server/gateway/protocol';
import { created, setupClient, snapshot } from '../helpers/fake-websocket';

// Compile-time: what the server puts on the wire is what the SDK types describe.
const serverSnapshot = (s: Server.FeedSnapshot): FeedSnapshot => s;
const serverFeed = (f: Server.Feed): Feed => f;
const serverEntry = (e: Server.Entry): Entry => e;
const serverEventType = (t: Server.FeedEventType): FeedEventType => t;
const sdkEventType = (t: FeedEventType): Server.FeedEventType => t;

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('SDK ↔ server contract', () => {
  it('uses the server domain types', () => {
    expect([serverSnapshot, serverFeed, serverEntry, serverEventType, sdkEventType]).toHaveLength(5);
  });

  it('every frame the SDK sends is accepted by the server parser', async () => {
    const { client, ws, http } = setupClient();
    client.connect();
    const socket = ws.last();
    socket.open();
    const a = client.subscribe('election');
    client.subscribe('sports-2024', { since: 0 });
    client.subscribe('weather', { since: 7, epoch: 'Zx81_k' });
    await jest.advanceTimersByTimeAsync(0);
    socket.push({ type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' });
    socket.push(created(12)); // gap → resubscribe
    http.setHandler(() => ({ status: 200, body: snapshot(1, 'e9') }));
    socket.push({ type: 'reset', feed: 'election', reason: 'epoch_changed' });
    await jest.advanceTimersByTimeAsync(0);
    a.unsubscribe();

    expect(socket.framesOf('subscribe')).toHaveLength(5);
    expect(socket.framesOf('unsubscribe')).toHaveLength(1);
    for (const text of socket.sent) {
      const parsed = parseClientFrame(text);
      expect(parsed).toEqual({ ok: true, frame: JSON.parse(text) });
    }
  });

  it('follows the documented close-code rules', async () => {
    const reconnects = async (code: number): Promise<boolean> => {
      const { client, ws } = setupClient();
      client.connect();
      ws.last().open();
      ws.last().serverClose(code);
      await jest.advanceTimersByTimeAsync(20000);
      client.disconnect();
      return ws.sockets.length > 1;
    };
    expect(await reconnects(CloseCode.SERVICE_RESTART)).toBe(true);
    expect(await reconnects(CloseCode.SLOW_READER)).toBe(true);
    expect(await reconnects(CloseCode.MESSAGE_TOO_BIG)).toBe(true);
    expect(await reconnects(CloseCode.PROTOCOL_VIOLATION)).toBe(false);
  });
});

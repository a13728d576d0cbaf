import type { Entry, FeedSnapshot, LiveEvent, Subscription, SubscriptionState } from '../../client-sdk/src';
import { created, deferred, entry, type FakeReply, type FakeSocket, setupClient, snapshot } from '../helpers/fake-websocket';

const flush = (): Promise<void> => jest.advanceTimersByTimeAsync(0);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** A client connected to an open fake socket. */
type Connected = ReturnType<typeof setupClient> & { socket: FakeSocket };

async function connected(options: Parameters<typeof setupClient>[0] = {}): Promise<Connected> {
  const t = setupClient(options);
  t.client.connect();
  const socket = t.ws.last();
  socket.open();
  await flush();
  return { ...t, socket };
}

/** Records what a page would see from a subscription. */
function record(sub: Subscription): {
  log: string[];
  snapshots: Array<[FeedSnapshot, string]>;
  events: LiveEvent[];
  states: SubscriptionState[];
} {
  const log: string[] = [];
  const snapshots: Array<[FeedSnapshot, string]> = [];
  const events: LiveEvent[] = [];
  const states: SubscriptionState[] = [];
  sub.on('snapshot', (s, reason) => {
    snapshots.push([s, reason]);
    log.push(`snapshot:${reason}:${s.seq}`);
  });
  sub.on('entry.created', (e, ev) => log.push(`created:${e.id}:${ev.seq}`));
  sub.on('entry.updated', (e, ev) => log.push(`updated:${e.id}:${ev.seq}`));
  sub.on('entry.deleted', ({ id }, ev) => log.push(`deleted:${id}:${ev.seq}`));
  sub.on('feed.updated', (f, ev) => log.push(`feed:${f.title}:${ev.seq}`));
  sub.on('event', (ev) => {
    events.push(ev);
    log.push(`event:${ev.seq}`);
  });
  sub.on('reset', (reason) => log.push(`reset:${reason}`));
  sub.on('state', (s) => states.push(s));
  return { log, snapshots, events, states };
}

describe('subscribing without a cursor', () => {
  it('loads the snapshot, emits it, and only then subscribes from its cursor', async () => {
    const { client, socket, http } = await connected();
    const held = deferred<FakeReply>();
    http.setHandler(() => held.promise);
    const sub = client.subscribe('election');
    const seen = record(sub);
    let framesAtSnapshot = -1;
    sub.on('snapshot', () => (framesAtSnapshot = socket.sent.length));

    await flush();
    expect(sub.state).toBe('loading');
    expect(http.calls).toEqual(['http://localhost:8080/v1/feeds/election']);
    expect(socket.framesOf('subscribe')).toEqual([]);

    held.resolve({ status: 200, body: snapshot(10, 'e1', 'election', [entry('a')]) });
    await flush();
    expect(seen.log).toEqual(['snapshot:initial:10']);
    expect(seen.snapshots[0]?.[0].entries.map((e: Entry) => e.id)).toEqual(['a']);
    expect(framesAtSnapshot).toBe(0);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 10, epoch: 'e1' }]);
    expect([sub.seq, sub.epoch, sub.state]).toEqual([10, 'e1', 'subscribing']);

    socket.push({ type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' });
    expect(sub.state).toBe('live');
    expect(seen.states).toEqual(['subscribing', 'live']);
  });

  it('does no I/O before connect(); connect() loads the snapshot and opens the socket', async () => {
    const { client, ws, http } = setupClient();
    const sub = client.subscribe('election');
    await flush();
    expect(http.calls).toEqual([]);
    expect(ws.sockets).toEqual([]);
    expect(sub.state).toBe('loading');

    client.connect();
    await flush();
    expect(http.calls).toHaveLength(1);
    const socket = ws.last();
    socket.open();
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 10, epoch: 'e1' }]);
  });

  it('reports snapshot_failed and retries after the backoff delay', async () => {
    const { client, http, errors, socket } = await connected({ random: () => 0.5 });
    http.setHandler(() => ({ status: 503 }));
    const seen = record(client.subscribe('election'));
    await flush();
    expect(errors.map((e) => [e.code, e.feed])).toEqual([['snapshot_failed', 'election']]);
    expect(errors[0]).toBeInstanceOf(Error);

    http.setHandler(() => new TypeError('network down'));
    await jest.advanceTimersByTimeAsync(249); // first window 500 ms × 0.5
    expect(http.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(http.calls).toHaveLength(2);
    expect(errors.map((e) => e.code)).toEqual(['snapshot_failed', 'snapshot_failed']);

    http.setHandler(() => ({ status: 200, body: snapshot(3) }));
    await jest.advanceTimersByTimeAsync(500); // second window 1000 ms × 0.5
    expect(seen.log).toEqual(['snapshot:initial:3']);
    expect(socket.framesOf('subscribe')).toEqual([{ type: 'subscribe', feed: 'election', since: 3, epoch: 'e1' }]);
  });

  it('treats a malformed snapshot body as snapshot_failed', async () => {
    const { client, http, errors } = await connected();
    http.setHandler(() => ({ status: 200, body: { hello: 'world' } }));
    client.subscribe('election');
    await flush();
    expect(errors.map((e) => e.code)).toEqual(['snapshot_failed']);
  });

  it('closes the subscription when the feed does not exist (HTTP 404), without retrying', async () => {
    const { client, http, errors } = await connected();
    http.setHandler(() => ({ status: 404, body: { error: { code: 'feed_not_found', message: 'no' } } }));
    const sub = client.subscribe('nope');
    await flush();
    await jest.runOnlyPendingTimersAsync();
    expect(errors.map((e) => [e.code, e.feed])).toEqual([['feed_not_found', 'nope']]);
    expect(sub.state).toBe('closed');
    expect(http.calls).toHaveLength(1);
  });

  it('still subscribes when a snapshot listener throws, and rethrows that error asynchronously', async () => {
    const { client, socket } = await connected();
    const sub = client.subscribe('election');
    sub.on('snapshot', () => {
      throw new Error('render failed');
    });
    await expect(flush()).rejects.toThrow('render failed');
    expect(socket.framesOf('subscribe')).toHaveLength(1);
  });
});

describe('subscribing from a cursor', () => {
  it('loads no snapshot and subscribes from since/epoch', async () => {
    const { client, socket, http } = await connected();
    const sub = client.subscribe('election', { since: 42, epoch: 'e7' });
    await flush();
    expect(http.calls).toEqual([]);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 42, epoch: 'e7' }]);
    expect([sub.seq, sub.epoch, sub.state]).toEqual([42, 'e7', 'subscribing']);
  });

  it('takes the epoch from `subscribed` when it had none, and resumes with it', async () => {
    const { client, socket, ws } = await connected();
    const sub = client.subscribe('election', { since: 5 });
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 5 }]);
    socket.push({ type: 'subscribed', feed: 'election', seq: 9, epoch: 'e3' });
    expect([sub.seq, sub.epoch, sub.state]).toEqual([5, 'e3', 'live']);

    socket.serverClose(1006);
    await jest.advanceTimersByTimeAsync(500);
    ws.last().open();
    expect(ws.last().frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 5, epoch: 'e3' }]);
  });

  it('rejects misuse with TypeError', () => {
    const { client } = setupClient();
    client.subscribe('election');
    expect(() => client.subscribe('election')).toThrow(TypeError);
    expect(() => client.subscribe('Not A Feed')).toThrow(TypeError);
    expect(() => client.subscribe('other', { since: -1 })).toThrow(TypeError);
    expect(() => client.subscribe('other', { since: 1.5 })).toThrow(TypeError);
    expect(() => client.subscribe('other', { epoch: 'e1' })).toThrow(TypeError);
  });
});

describe('delivery', () => {
  async function live(): Promise<Connected & { seen: ReturnType<typeof record>; sub: Subscription }> {
    const t = await connected();
    const sub = t.client.subscribe('election');
    const seen = record(sub);
    await flush();
    t.socket.push({ type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' });
    seen.log.length = 0;
    t.socket.sent.length = 0;
    return { ...t, sub, seen };
  }

  it('delivers each event type to its typed listener, then to "event", and advances the cursor', async () => {
    const { socket, sub, seen } = await live();
    socket.push(created(11));
    socket.push({ type: 'event', feed: 'election', seq: 12, epoch: 'e1', event: 'entry.updated', data: entry('e11', { pinned: true }) });
    socket.push({ type: 'event', feed: 'election', seq: 13, epoch: 'e1', event: 'entry.deleted', data: { id: 'e11' } });
    socket.push({ type: 'event', feed: 'election', seq: 14, epoch: 'e1', event: 'feed.updated', data: { ...snapshot(0).feed, title: 'Results' } });
    expect(seen.log).toEqual([
      'created:e11:11', 'event:11',
      'updated:e11:12', 'event:12',
      'deleted:e11:13', 'event:13',
      'feed:Results:14', 'event:14',
    ]);
    expect(seen.events[0]).toEqual({ feed: 'election', seq: 11, epoch: 'e1', type: 'entry.created', data: entry('e11') });
    expect(sub.seq).toBe(14);
  });

  it('drops duplicates (seq ≤ cursor)', async () => {
    const { socket, sub, seen } = await live();
    socket.push(created(9));
    socket.push(created(10));
    socket.push(created(11));
    socket.push(created(11));
    expect(seen.log).toEqual(['created:e11:11', 'event:11']);
    expect(sub.seq).toBe(11);
  });

  it('on a gap, delivers nothing out of order and resubscribes once from the cursor', async () => {
    const { socket, sub, seen } = await live();
    socket.push(created(11));
    socket.push(created(13));
    socket.push(created(14));
    expect(seen.log).toEqual(['created:e11:11', 'event:11']);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 11, epoch: 'e1' }]);
    expect(sub.state).toBe('subscribing');

    socket.push({ type: 'subscribed', feed: 'election', seq: 14, epoch: 'e1' });
    for (const seq of [12, 13, 14, 13]) socket.push(created(seq));
    expect(seen.events.map((e) => e.seq)).toEqual([11, 12, 13, 14]);
    expect([sub.seq, sub.state]).toEqual([14, 'live']);
  });

  it('skips event types it does not know while keeping the cursor dense', async () => {
    const { socket, sub, seen } = await live();
    socket.push({ type: 'event', feed: 'election', seq: 11, epoch: 'e1', event: 'entry.reacted', data: {} });
    socket.push(created(12));
    expect(seen.log).toEqual(['created:e12:12', 'event:12']);
    expect(sub.seq).toBe(12);
  });

  it('on a reset frame: tells the page, reloads the snapshot, resubscribes from the new cursor', async () => {
    const { socket, sub, seen, http } = await live();
    const held = deferred<FakeReply>();
    http.setHandler(() => held.promise);
    socket.push({ type: 'reset', feed: 'election', reason: 'history_expired' });
    expect(seen.log).toEqual(['reset:history_expired']);
    expect([sub.seq, sub.state]).toEqual([undefined, 'loading']);

    socket.push(created(11)); // anything before the new snapshot is not delivered
    held.resolve({ status: 200, body: snapshot(500, 'e2') });
    await flush();
    expect(seen.log).toEqual(['reset:history_expired', 'snapshot:reset:500']);
    expect(http.calls).toHaveLength(2);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 500, epoch: 'e2' }]);

    socket.push({ type: 'subscribed', feed: 'election', seq: 500, epoch: 'e2' });
    socket.push(created(501, 'e2'));
    expect(seen.log.slice(2)).toEqual(['created:e501:501', 'event:501']);
  });

  it('treats an event from another epoch as a reset', async () => {
    const { socket, sub, seen, http } = await live();
    http.setHandler(() => ({ status: 200, body: snapshot(3, 'e2') }));
    socket.push(created(11, 'e2'));
    await flush();
    expect(seen.log).toEqual(['reset:epoch_changed', 'snapshot:reset:3']);
    expect([sub.seq, sub.epoch]).toEqual([3, 'e2']);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 3, epoch: 'e2' }]);
  });

  it('on feed_not_found for a feed it never saw: reports it and closes the subscription', async () => {
    const { client, socket, errors } = await connected();
    const sub = client.subscribe('election', { since: 3 });
    socket.push({ type: 'error', code: 'feed_not_found', message: 'no such feed', feed: 'election' });
    expect(errors.map((e) => [e.code, e.feed, e.message])).toEqual([['feed_not_found', 'election', 'no such feed']]);
    expect(sub.state).toBe('closed');
    expect(() => client.subscribe('election', { since: 1 })).not.toThrow();
  });

  it('on feed_not_found for a feed it had (the store lost it): resets and reloads until the feed is back', async () => {
    const { socket, sub, seen, http } = await live();
    http.setHandler(() => ({ status: 404, body: { error: { code: 'feed_not_found', message: 'no' } } }));
    socket.push({ type: 'error', code: 'feed_not_found', message: 'no such feed', feed: 'election' });
    await flush();
    expect(seen.log).toEqual(['reset:feed_not_found']);
    expect(sub.state).toBe('loading');

    http.setHandler(() => ({ status: 200, body: snapshot(1, 'e9') }));
    await jest.advanceTimersByTimeAsync(20_000);
    expect(seen.log).toEqual(['reset:feed_not_found', 'snapshot:reset:1']);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 1, epoch: 'e9' }]);
  });

  it('on unavailable: reports it and subscribes again after the backoff delay', async () => {
    const { socket, sub, errors } = await live();
    socket.push({ type: 'error', code: 'unavailable', message: 'store down', feed: 'election' });
    expect(errors.map((e) => e.code)).toEqual(['unavailable']);
    expect(sub.state).toBe('subscribing');
    await jest.advanceTimersByTimeAsync(249);
    expect(socket.frames()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 10, epoch: 'e1' }]);
  });

  it('on rate_limited (subscribe frames beyond the connection\'s budget): subscribes again after a growing backoff delay', async () => {
    const { socket, sub, errors } = await live();
    const limited = { type: 'error', code: 'rate_limited', message: 'too many subscribe frames', feed: 'election' };
    socket.push(limited);
    expect(errors.map((e) => [e.code, e.feed])).toEqual([['rate_limited', 'election']]);
    expect(sub.state).toBe('subscribing');
    await jest.advanceTimersByTimeAsync(249); // first window 500 ms × 0.5
    expect(socket.frames()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 10, epoch: 'e1' }]);

    socket.sent.length = 0;
    socket.push(limited); // still over budget: the window doubles
    await jest.advanceTimersByTimeAsync(499);
    expect(socket.frames()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.frames()).toHaveLength(1);

    socket.push({ type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' }); // served: the backoff starts over
    expect(sub.state).toBe('live');
    socket.sent.length = 0;
    socket.push(limited);
    await jest.advanceTimersByTimeAsync(250);
    expect(socket.frames()).toHaveLength(1);
    expect(errors.map((e) => e.code)).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
  });

  it.each(['history_expired', 'too_far_behind', 'some_future_reason'])('treats every reset reason alike (%s): reload the snapshot', async (reason) => {
    const { socket, sub, seen, http } = await live();
    http.setHandler(() => ({ status: 200, body: snapshot(40, 'e1') }));
    socket.push({ type: 'reset', feed: 'election', reason });
    await flush();
    expect(seen.log).toEqual([`reset:${reason}`, 'snapshot:reset:40']);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 40, epoch: 'e1' }]);
    expect(sub.state).toBe('subscribing');
  });

  it('unsubscribe() sends unsubscribe, stops delivery and frees the feed id', async () => {
    const { client, socket, sub, seen } = await live();
    sub.unsubscribe();
    sub.unsubscribe();
    expect(socket.frames()).toEqual([{ type: 'unsubscribe', feed: 'election' }]);
    expect(sub.state).toBe('closed');
    socket.push({ type: 'unsubscribed', feed: 'election' });
    socket.push(created(11));
    expect(seen.log).toEqual([]);
    expect(() => client.subscribe('election', { since: 11 })).not.toThrow();
  });
});

describe('frames the SDK cannot use', () => {
  it('reports error frames without a feed, and unreadable frames as protocol_error', async () => {
    const { socket, errors } = await connected();
    socket.push({ type: 'error', code: 'bad_frame', message: 'frame is not valid JSON' });
    socket.push('not json');
    socket.push('[1,2]');
    socket.push({ type: 'event', feed: 'election', seq: 'x' });
    socket.push({ type: 'error' });
    expect(errors.map((e) => e.code)).toEqual(['bad_frame', 'protocol_error', 'protocol_error', 'protocol_error', 'server_error']);
  });

  it('ignores frame types it does not know, and decodes binary text frames', async () => {
    const { client, socket, errors } = await connected();
    const sub = client.subscribe('election', { since: 1, epoch: 'e1' });
    const seen = record(sub);
    socket.push({ type: 'welcome', version: 2 });
    socket.push(new TextEncoder().encode(JSON.stringify(created(2))));
    expect(errors).toEqual([]);
    expect(seen.log).toEqual(['created:e2:2', 'event:2']);
  });
});

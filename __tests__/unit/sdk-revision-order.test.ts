/**
 * "Two rapid edits whose events reach a reader in the wrong order never leave that reader on
 * the older revision", for the SDK alone, against a fake server: whatever order the copies
 * of an entry arrive in (events with increasing seqs, a reloaded snapshot, a page the app
 * loads itself), what the app is given never goes back to a lower revision.
 */
import type { Entry, FeedSnapshot, Subscription } from '../../client-sdk/src';
import { entry, type FakeSocket, setupClient, snapshot } from '../helpers/fake-websocket';

const flush = (): Promise<void> => jest.advanceTimersByTimeAsync(0);

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/**
 * What an app built on the SDK shows: entries by id, rebuilt from each snapshot and changed
 * by each event, plus every revision it was handed for each entry, in order.
 */
function view(sub: Subscription): { entries: Map<string, Entry>; revisions: Map<string, number[]>; updates: number[] } {
  const entries = new Map<string, Entry>();
  const revisions = new Map<string, number[]>();
  const updates: number[] = [];
  const take = (e: Entry): void => {
    entries.set(e.id, e);
    revisions.set(e.id, [...(revisions.get(e.id) ?? []), e.revision ?? 0]);
  };
  sub.on('snapshot', (s: FeedSnapshot) => {
    entries.clear();
    s.entries.forEach(take);
  });
  sub.on('entry.created', take);
  sub.on('entry.updated', (e, ev) => {
    updates.push(ev.seq);
    take(e);
  });
  sub.on('entry.deleted', ({ id }) => entries.delete(id));
  return { entries, revisions, updates };
}

/** An `entry.updated` frame carrying entry `id` at `revision`, with a headline that names it. */
function updated(seq: number, id: string, revision: number, over: Partial<Entry> = {}, epoch = 'e1'): Record<string, unknown> {
  return {
    type: 'event', feed: 'election', seq, epoch, event: 'entry.updated',
    data: entry(id, { revision, headline: `${id} revision ${revision}`, body: `<p>${id} text of revision ${revision}</p>`, ...over }),
  };
}

/** A subscription that is live at seq 10 with entry `a` at revision 1 from its snapshot. */
async function live(): Promise<ReturnType<typeof setupClient> & { socket: FakeSocket; sub: Subscription; seen: ReturnType<typeof view> }> {
  const t = setupClient();
  t.http.setHandler(() => ({ status: 200, body: snapshot(10, 'e1', 'election', [entry('a', { headline: 'a revision 1' })]) }));
  t.client.connect();
  const socket = t.ws.last();
  socket.open();
  const sub = t.client.subscribe('election');
  const seen = view(sub);
  await flush();
  socket.push({ type: 'subscribed', feed: 'election', seq: 10, epoch: 'e1' });
  expect(sub.state).toBe('live');
  return { ...t, socket, sub, seen };
}

describe('the SDK never takes a reader back to an older revision', () => {
  it('entry.updated revision 3 then revision 2 (increasing seqs): the app keeps revision 3 and is not given the stale copy', async () => {
    const { socket, sub, seen } = await live();
    const events: number[] = [];
    sub.on('event', (e) => events.push(e.seq));

    socket.push(updated(11, 'a', 3));
    socket.push(updated(12, 'a', 2));

    expect(seen.entries.get('a')).toMatchObject({ revision: 3, headline: 'a revision 3', body: '<p>a text of revision 3</p>' });
    expect(seen.revisions.get('a')).toEqual([1, 3]);
    expect(seen.updates).toEqual([11]); // the stale update was not emitted…
    expect(events).toEqual([11]); // …not even as a generic 'event'
    expect(sub.seq).toBe(12); // but the cursor moved past it: it is not asked for again

    // Later changes still come through: a higher revision, and a change that keeps the revision (a pin).
    socket.push(updated(13, 'a', 3, { pinned: true }));
    socket.push(updated(14, 'a', 4));
    expect(seen.revisions.get('a')).toEqual([1, 3, 3, 4]);
    expect(seen.entries.get('a')).toMatchObject({ revision: 4, pinned: false });
    expect(events).toEqual([11, 13, 14]);
  });

  it('skips an entry.created that arrives after a newer revision of the same entry', async () => {
    const { socket, seen } = await live();
    socket.push(updated(11, 'b', 2));
    socket.push({ type: 'event', feed: 'election', seq: 12, epoch: 'e1', event: 'entry.created', data: entry('b', { headline: 'b revision 1' }) });
    expect(seen.entries.get('b')).toMatchObject({ revision: 2, headline: 'b revision 2' });
    expect(seen.revisions.get('b')).toEqual([2]);
  });

  it('never brings back a deleted entry with a late update', async () => {
    const { socket, seen, sub } = await live();
    socket.push({ type: 'event', feed: 'election', seq: 11, epoch: 'e1', event: 'entry.deleted', data: { id: 'a' } });
    socket.push(updated(12, 'a', 5));
    expect(seen.entries.has('a')).toBe(false);
    expect(seen.updates).toEqual([]);
    expect(sub.seq).toBe(12);
  });

  it('a reloaded snapshot that carries a stale copy: the app is given the newer copy it already had, and no deleted entry', async () => {
    const { socket, sub, seen, http } = await live();
    socket.push(updated(11, 'a', 3));
    socket.push({ type: 'event', feed: 'election', seq: 12, epoch: 'e1', event: 'entry.created', data: entry('c', { headline: 'c revision 1' }) });
    socket.push({ type: 'event', feed: 'election', seq: 13, epoch: 'e1', event: 'entry.deleted', data: { id: 'c' } });
    socket.sent.length = 0;

    // The reload is answered from an older read: `a` at revision 2, `c` not yet deleted.
    http.setHandler(() => ({
      status: 200,
      body: snapshot(11, 'e1', 'election', [entry('c', { headline: 'c revision 1' }), entry('a', { revision: 2, headline: 'a revision 2' })]),
    }));
    socket.push({ type: 'reset', feed: 'election', reason: 'history_expired' });
    await flush();

    expect(seen.entries.get('a')).toMatchObject({ revision: 3, headline: 'a revision 3' });
    expect(seen.entries.has('c')).toBe(false);
    expect(seen.revisions.get('a')).toEqual([1, 3, 3]);
    // Delivery resumes from the snapshot's cursor, so the changes after it are replayed: the
    // one at the revision the app holds is applied again, nothing goes backwards.
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 11, epoch: 'e1' }]);
    socket.push({ type: 'subscribed', feed: 'election', seq: 13, epoch: 'e1' });
    socket.push({ type: 'event', feed: 'election', seq: 12, epoch: 'e1', event: 'entry.created', data: entry('c', { headline: 'c revision 1' }) });
    socket.push({ type: 'event', feed: 'election', seq: 13, epoch: 'e1', event: 'entry.deleted', data: { id: 'c' } });
    expect(seen.entries.has('c')).toBe(false);
    expect(sub.seq).toBe(13);
    expect(seen.entries.get('a')?.revision).toBe(3);
  });

  it('at an equal revision the reloaded snapshot wins (a pin changed while the reader was away is not undone)', async () => {
    const { socket, seen, http } = await live();
    socket.push(updated(11, 'a', 2, { pinned: true }));
    http.setHandler(() => ({ status: 200, body: snapshot(40, 'e1', 'election', [entry('a', { revision: 2, headline: 'a revision 2', pinned: false })]) }));
    socket.push({ type: 'reset', feed: 'election', reason: 'too_far_behind' });
    await flush();
    expect(seen.entries.get('a')).toMatchObject({ revision: 2, pinned: false });
  });

  it('a snapshot of another epoch (a history that was replaced) is taken as it is', async () => {
    const { socket, seen, http } = await live();
    socket.push(updated(11, 'a', 3));
    http.setHandler(() => ({ status: 200, body: snapshot(2, 'e2', 'election', [entry('a', { revision: 1, headline: 'a restored' })]) }));
    socket.push(updated(12, 'a', 4, {}, 'e2')); // another epoch: a reset
    await flush();
    expect(seen.entries.get('a')).toMatchObject({ revision: 1, headline: 'a restored' });
  });

  it('latest(): an entry the app loaded itself (an older page) is given as the newest copy delivered, or null once deleted', async () => {
    const { socket, sub } = await live();
    socket.push(updated(11, 'old', 3));
    socket.push({ type: 'event', feed: 'election', seq: 12, epoch: 'e1', event: 'entry.deleted', data: { id: 'gone' } });

    const stale = entry('old', { revision: 2, headline: 'old revision 2' });
    expect(sub.latest(stale)).toMatchObject({ revision: 3, headline: 'old revision 3' });
    const newer = entry('old', { revision: 4, headline: 'old revision 4' });
    expect(sub.latest(newer)).toBe(newer);
    expect(sub.latest(entry('gone'))).toBeNull();
    const unknown = entry('never-seen');
    expect(sub.latest(unknown)).toBe(unknown);
  });

  it('subscribe({ snapshot }): starts from a snapshot the page already shows (server-rendered): nothing loaded, its entries count as delivered', async () => {
    const t = setupClient();
    t.client.connect();
    const socket = t.ws.last();
    socket.open();
    const shown = snapshot(20, 'e1', 'election', [entry('a', { revision: 3, headline: 'a revision 3' })]);
    const sub = t.client.subscribe('election', { snapshot: shown });
    const seen = view(sub);
    const snapshots: unknown[] = [];
    sub.on('snapshot', (s) => snapshots.push(s));
    await flush();
    expect(t.http.calls).toEqual([]);
    expect(socket.frames()).toEqual([{ type: 'subscribe', feed: 'election', since: 20, epoch: 'e1' }]);
    socket.push({ type: 'subscribed', feed: 'election', seq: 22, epoch: 'e1' });
    expect(sub.state).toBe('live');
    // A late copy older than the page's is skipped; a newer one is delivered; an older page defers to both.
    socket.push(updated(21, 'a', 2));
    expect(seen.updates).toEqual([]);
    expect(sub.latest(entry('a', { revision: 1 }))).toMatchObject({ revision: 3, headline: 'a revision 3' });
    socket.push(updated(22, 'a', 4));
    expect(seen.entries.get('a')).toMatchObject({ revision: 4 });
    expect(snapshots).toEqual([]);
    expect(() => t.client.subscribe('other', { snapshot: { seq: 'x' } as unknown as FeedSnapshot })).toThrow(TypeError);
    expect(() => t.client.subscribe('other', { snapshot: shown, since: 3 })).toThrow(TypeError);
  });
});

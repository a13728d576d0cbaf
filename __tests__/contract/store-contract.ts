/**
 * The FeedStore contract, run against every implementation (socket.io's testSuite
 * pattern): `describeStore('memory', factory)`; the Redis store runs the same suite.
 */
import type { Broker } from '../../server/broker/broker';
import type { FeedEvent } from '../../server/domain/types';
import { parseEntryPatch, parseNewEntry, parseNewFeed } from '../../server/domain/validate';
import { AppError } from '../../server/errors';
import { DEFAULT_MAX_PINNED_PER_FEED } from '../../server/store/feed-state';
import type { FeedHead, FeedStore } from '../../server/store/feed-store';

export interface StoreUnderTest {
  readonly store: FeedStore;
  /** The broker the store publishes committed events to. */
  readonly broker: Broker;
  close(): Promise<void>;
}

export type StoreFactory = (options: { historySize: number }) => Promise<StoreUnderTest>;

const ctx = { actor: 'desk' };
const feedInput = (id: string) => parseNewFeed({ id, title: `Live: ${id}` });
const entryInput = (headline: string, extra: Record<string, unknown> = {}) => parseNewEntry({ headline, body: `<p>${headline}</p>`, ...extra });

async function rejectsWith(promise: Promise<unknown>, code: string, details?: Record<string, unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(AppError);
  await expect(promise).rejects.toMatchObject({ code, ...(details !== undefined ? { details } : {}) });
}

/** Collects the heads the broker announces for a feed. */
async function listen(broker: Broker, feed: string) {
  const heads: FeedHead[] = [];
  let wake: (() => void) | null = null;
  const sub = await broker.subscribe(feed, {
    announce: (h) => {
      heads.push(h);
      wake?.();
    },
    resync: () => undefined,
  });
  return {
    heads,
    sub,
    async waitFor(count: number, timeoutMs = 3000): Promise<FeedHead[]> {
      return (await this.waitUntil((h) => h.length >= count, timeoutMs, `${count} announcements`)).slice(0, count);
    },
    /** Every announcement so far, once `done` holds for them. */
    async waitUntil(done: (heads: readonly FeedHead[]) => boolean, timeoutMs = 3000, what = 'the announcements expected'): Promise<FeedHead[]> {
      const deadline = Date.now() + timeoutMs;
      while (!done(heads)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`waited for ${what}; got ${JSON.stringify(heads)}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
      return [...heads];
    },
  };
}

export function describeStore(name: string, factory: StoreFactory): void {
  describe(`FeedStore contract: ${name}`, () => {
    let t: StoreUnderTest;
    let store: FeedStore;
    let n = 0;
    let feed: string;

    beforeEach(async () => {
      t = await factory({ historySize: 5 });
      store = t.store;
      n += 1;
      feed = `feed-${Date.now().toString(36)}-${n}`;
      await store.createFeed(feedInput(feed), ctx);
    });
    afterEach(() => t.close());

    it('creates a feed at seq 0 with an epoch, and refuses a duplicate id', async () => {
      const head = await store.head(feed);
      expect(head).toEqual({ seq: 0, epoch: expect.any(String) });
      expect(await store.getFeed(feed)).toMatchObject({ id: feed, title: `Live: ${feed}`, status: 'live', coverageStartedAt: expect.any(String) });
      await rejectsWith(store.createFeed(feedInput(feed), ctx), 'feed_exists');
      expect(await store.head(feed)).toEqual(head);
    });

    it('gives every change the next seq, logs it with the actor and announces it, in order', async () => {
      const l = await listen(t.broker, feed);
      const { entry, seq } = await store.createEntry(feed, entryInput('one'), ctx);
      expect(seq).toBe(1);
      const edited = await store.updateEntry(feed, entry.id, { body: '<p>corrected</p>' }, ctx);
      expect(edited).toMatchObject({ seq: 2, entry: { id: entry.id, body: '<p>corrected</p>', headline: 'one' } });
      expect((await store.updateFeed(feed, { status: 'ended' }, ctx)).seq).toBe(3);
      expect((await store.deleteEntry(feed, entry.id, ctx)).seq).toBe(4);

      const { epoch } = (await store.head(feed)) ?? { epoch: '' };
      expect(await l.waitFor(4)).toEqual([1, 2, 3, 4].map((seq) => ({ seq, epoch })));
      const logged = await store.eventsSince(feed, 0, epoch);
      const events: readonly FeedEvent[] = logged?.kind === 'events' ? logged.events : [];
      expect(events.map((e) => [e.seq, e.type, e.epoch, e.actor])).toEqual([
        [1, 'entry.created', epoch, 'desk'],
        [2, 'entry.updated', epoch, 'desk'],
        [3, 'feed.updated', epoch, 'desk'],
        [4, 'entry.deleted', epoch, 'desk'],
      ]);
      expect(events[3]?.data).toEqual({ id: entry.id });
      await l.sub.unsubscribe();
    });

    it('moves updatedAt on a correction but not on a pin', async () => {
      const { entry } = await store.createEntry(feed, entryInput('pin me'), ctx);
      const pinned = await store.updateEntry(feed, entry.id, { pinned: true, keyEvent: true }, ctx);
      expect(pinned.entry).toMatchObject({ pinned: true, keyEvent: true, updatedAt: entry.updatedAt });
      await new Promise<void>((resolve) => setImmediate(resolve)); // let the clock move on
      const corrected = await store.updateEntry(feed, entry.id, { headline: 'pinned' }, ctx);
      expect(Date.parse(corrected.entry.updatedAt)).toBeGreaterThanOrEqual(Date.parse(entry.updatedAt));
      expect(corrected.entry.pinned).toBe(true);
    });

    it('counts revisions: 1 when created, +1 per change of content, not for a pin; corrections kept with theirs', async () => {
      const { entry } = await store.createEntry(feed, entryInput('count'), ctx);
      expect(entry).toMatchObject({ revision: 1, corrections: [] });
      const pinned = await store.updateEntry(feed, entry.id, parseEntryPatch({ pinned: true }), ctx);
      expect(pinned.entry.revision).toBe(1);
      const fixed = await store.updateEntry(feed, entry.id, parseEntryPatch({ headline: 'counted', correction: 'An earlier version misstated the count.' }), ctx);
      expect(fixed.entry).toMatchObject({ revision: 2, headline: 'counted', corrections: [{ revision: 2, at: fixed.entry.updatedAt, note: 'An earlier version misstated the count.' }] });
      const again = await store.updateEntry(feed, entry.id, parseEntryPatch({ body: '<p>recounted</p>' }), ctx);
      expect(again.entry).toMatchObject({ revision: 3, corrections: [{ revision: 2 }] });
      const head = await store.head(feed);
      const logged = await store.eventsSince(feed, 0, head?.epoch);
      const revisions = logged?.kind === 'events' ? logged.events.map((e) => (e.type === 'entry.updated' || e.type === 'entry.created' ? e.data.revision : null)) : [];
      expect(revisions).toEqual([1, 1, 2, 3]); // events carry the revision
      const f1 = await store.getFeed(feed);
      expect(f1?.revision).toBe(1);
      expect((await store.updateFeed(feed, { title: 'Renamed' }, ctx)).feed.revision).toBe(2);
    });

    it('refuses a change from a stale revision (If-Match) with revision_conflict carrying the current version, and writes nothing', async () => {
      const { entry } = await store.createEntry(feed, entryInput('race'), ctx);
      const first = await store.updateEntry(feed, entry.id, parseEntryPatch({ headline: 'first editor' }), ctx, 1);
      expect(first.entry.revision).toBe(2);
      const head = await store.head(feed);
      await rejectsWith(store.updateEntry(feed, entry.id, parseEntryPatch({ headline: 'second editor' }), ctx, 1), 'revision_conflict', {
        entry: expect.objectContaining({ id: entry.id, revision: 2, headline: 'first editor' }),
      });
      await rejectsWith(store.deleteEntry(feed, entry.id, ctx, 1), 'revision_conflict');
      await rejectsWith(store.updateFeed(feed, { title: 'stale' }, ctx, 7), 'revision_conflict', { feed: expect.objectContaining({ revision: 1 }) });
      expect(await store.head(feed)).toEqual(head);
      expect((await store.snapshot(feed, 10))?.entries[0]).toMatchObject({ headline: 'first editor', revision: 2 });
      // The right revision goes through; without If-Match the last write wins.
      expect((await store.updateEntry(feed, entry.id, parseEntryPatch({ headline: 'merged' }), ctx, 2)).entry.revision).toBe(3);
      expect((await store.updateEntry(feed, entry.id, parseEntryPatch({ headline: 'blind' }), ctx)).entry.revision).toBe(4);
      expect((await store.deleteEntry(feed, entry.id, ctx, 4)).seq).toBe((head?.seq ?? 0) + 3);
    });

    it('keeps every version of an entry with who saved it and when, one per revision, gone with the entry', async () => {
      const { entry } = await store.createEntry(feed, entryInput('v1'), { actor: 'ana' });
      await store.updateEntry(feed, entry.id, parseEntryPatch({ pinned: true }), { actor: 'tom' }); // no new version
      const v2 = await store.updateEntry(feed, entry.id, parseEntryPatch({ headline: 'v2', correction: 'Misnamed.' }), { actor: 'tom' });
      await store.updateEntry(feed, entry.id, parseEntryPatch({ tags: ['count'] }), { actor: 'ana' });
      const versions = await store.revisions(feed, entry.id);
      expect(versions).toEqual([
        { revision: 1, at: entry.publishedAt, actor: 'ana', headline: 'v1', body: '<p>v1</p>', authors: [], tags: [], correction: null },
        { revision: 2, at: v2.entry.updatedAt, actor: 'tom', headline: 'v2', body: '<p>v1</p>', authors: [], tags: [], correction: 'Misnamed.' },
        expect.objectContaining({ revision: 3, actor: 'ana', headline: 'v2', tags: ['count'], correction: null }),
      ]);
      await rejectsWith(store.revisions(feed, 'nope'), 'entry_not_found');
      await rejectsWith(store.revisions('no-such-feed', entry.id), 'feed_not_found');
      await store.deleteEntry(feed, entry.id, ctx);
      await rejectsWith(store.revisions(feed, entry.id), 'entry_not_found');
    });

    it('lets exactly one of two concurrent edits from the same revision through', async () => {
      const { entry } = await store.createEntry(feed, entryInput('both'), ctx);
      const results = await Promise.allSettled(['a', 'b'].map((who) => store.updateEntry(feed, entry.id, parseEntryPatch({ headline: `editor ${who}` }), ctx, 1)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r) => r.status === 'rejected');
      expect(refused?.status === 'rejected' ? refused.reason : null).toMatchObject({ code: 'revision_conflict' });
      expect((await store.head(feed))?.seq).toBe(2);
    });

    it('keeps seq dense under concurrent writes', async () => {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => store.createEntry(feed, entryInput(`e${i}`), ctx)));
      expect(results.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await store.head(feed))?.seq).toBe(40);
    });

    it('reports unknown feeds and entries, and changes nothing', async () => {
      await rejectsWith(store.createEntry('no-such-feed', entryInput('x'), ctx), 'feed_not_found');
      await rejectsWith(store.updateFeed('no-such-feed', { title: 'x' }, ctx), 'feed_not_found');
      await rejectsWith(store.updateEntry(feed, 'nope', { pinned: true }, ctx), 'entry_not_found');
      await rejectsWith(store.deleteEntry(feed, 'nope', ctx), 'entry_not_found');
      expect(await store.getFeed('no-such-feed')).toBeNull();
      expect(await store.snapshot('no-such-feed', 10)).toBeNull();
      expect(await store.eventsSince('no-such-feed', 0)).toBeNull();
      expect((await store.head(feed))?.seq).toBe(0);

      const { entry } = await store.createEntry(feed, entryInput('gone'), ctx);
      await store.deleteEntry(feed, entry.id, ctx);
      await rejectsWith(store.deleteEntry(feed, entry.id, ctx), 'entry_not_found');
      expect((await store.head(feed))?.seq).toBe(2);
    });

    it('snapshots pinned entries first, then the newest, and pages through older ones', async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 6; i++) ids.push((await store.createEntry(feed, entryInput(`e${i}`), ctx)).entry.id);
      await store.updateEntry(feed, ids[1] as string, { pinned: true }, ctx);
      await store.deleteEntry(feed, ids[4] as string, ctx);

      const snap = await store.snapshot(feed, 2);
      expect(snap?.entries.map((e) => e.headline)).toEqual(['e2', 'e6', 'e4']);
      expect(snap?.seq).toBe(8);
      const page = await store.listEntries(feed, snap?.nextBefore ?? null, 2);
      expect(page?.entries.map((e) => e.headline)).toEqual(['e3', 'e1']);
      expect(page?.nextBefore).toBeNull();
      expect((await store.listEntries(feed, null, 10))?.entries.map((e) => e.headline)).toEqual(['e6', 'e4', 'e3', 'e1']);
      await rejectsWith(store.listEntries(feed, 'not-a-cursor', 2), 'invalid_cursor');
    });

    it('returns the events after a cursor inside the history window', async () => {
      for (let i = 1; i <= 4; i++) await store.createEntry(feed, entryInput(`e${i}`), ctx);
      const head = await store.head(feed);
      const result = await store.eventsSince(feed, 1, head?.epoch);
      expect(result?.kind).toBe('events');
      if (result?.kind !== 'events') return;
      expect(result.events.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(result.head).toEqual(head);
      const none = await store.eventsSince(feed, 4);
      expect(none).toMatchObject({ kind: 'events', events: [] });
      const firstTwo = await store.eventsSince(feed, 0, head?.epoch, 2);
      expect(firstTwo?.kind === 'events' && firstTwo.events.map((e) => e.seq)).toEqual([1, 2]);
      expect(firstTwo?.head).toEqual(head); // says that more remain
    });

    it('answers a cursor outside the window, from another epoch or ahead with a reset', async () => {
      for (let i = 1; i <= 8; i++) await store.createEntry(feed, entryInput(`e${i}`), ctx); // window: 5
      expect(await store.eventsSince(feed, 2)).toMatchObject({ kind: 'reset', reason: 'history_expired' });
      const edge = await store.eventsSince(feed, 3);
      expect(edge?.kind === 'events' && edge.events.map((e) => e.seq)).toEqual([4, 5, 6, 7, 8]);
      expect(await store.eventsSince(feed, 3, 'other-epoch')).toMatchObject({ kind: 'reset', reason: 'epoch_changed' });
      expect(await store.eventsSince(feed, 9)).toMatchObject({ kind: 'reset', reason: 'cursor_ahead' });
    });

    it('replays an idempotent create and refuses the key with another request', async () => {
      const l = await listen(t.broker, feed);
      const idem = { key: 'abc', fingerprint: 'f1' };
      const first = await store.createEntry(feed, entryInput('once'), ctx, idem);
      const again = await store.createEntry(feed, entryInput('once'), ctx, idem);
      expect(first.replayed).toBe(false);
      expect(again).toEqual({ ...first, replayed: true });
      await rejectsWith(store.createEntry(feed, entryInput('other'), ctx, { key: 'abc', fingerprint: 'f2' }), 'idempotency_key_reused');
      const parallel = await Promise.all(Array.from({ length: 10 }, () => store.createEntry(feed, entryInput('p'), ctx, { key: 'par', fingerprint: 'p' })));
      expect(new Set(parallel.map((r) => r.entry.id)).size).toBe(1);
      expect((await store.head(feed))?.seq).toBe(2);
      // A replay may announce the head again (the node that made the change could have died
      // before announcing it): a hint, never a new event.
      const announced = await l.waitUntil((heads) => heads.some((h) => h.seq === 2));
      expect([...new Set(announced.map((e) => e.seq))]).toEqual([1, 2]);
      await l.sub.unsubscribe();
    });

    it('scopes idempotency keys to one feed', async () => {
      const other = `${feed}-b`;
      await store.createFeed(feedInput(other), ctx);
      const idem = { key: 'same', fingerprint: 'f' };
      const a = await store.createEntry(feed, entryInput('x'), ctx, idem);
      const b = await store.createEntry(other, entryInput('x'), ctx, idem);
      expect(b.replayed).toBe(false);
      expect(b.entry.id).not.toBe(a.entry.id);
    });

    // Stores built from a factory run with the default cap (the factories pass only historySize).
    const CAP = DEFAULT_MAX_PINNED_PER_FEED;

    it(`caps pinned entries at ${CAP} per feed; a refused pin writes nothing, announces nothing, uses no seq`, async () => {
      const l = await listen(t.broker, feed);
      const ids: string[] = [];
      for (let i = 0; i < CAP; i++) {
        const pin = i % 2 === 0; // some pinned when created, some pinned by an edit
        const { entry } = await store.createEntry(feed, entryInput(`pinned ${i}`, { pinned: pin }), ctx);
        if (!pin) await store.updateEntry(feed, entry.id, { pinned: true }, ctx);
        ids.push(entry.id);
      }
      const { entry: loose } = await store.createEntry(feed, entryInput('not pinned'), ctx);
      const head = await store.head(feed);
      const full = { field: 'pinned', limit: CAP };

      await rejectsWith(store.createEntry(feed, entryInput('one too many', { pinned: true }), ctx), 'too_many_pinned', full);
      await rejectsWith(store.createEntry(feed, entryInput('one too many', { pinned: true }), ctx, { key: 'k1', fingerprint: 'f' }), 'too_many_pinned');
      await rejectsWith(store.updateEntry(feed, loose.id, { pinned: true }, ctx), 'too_many_pinned', full);
      await expect(store.updateEntry(feed, loose.id, { pinned: true, headline: 'x' }, ctx)).rejects.toThrow(`this feed already has ${CAP} pinned entries; unpin one first`);
      expect(await store.head(feed)).toEqual(head);
      const snap = await store.snapshot(feed, 10);
      expect(snap?.entries.filter((e) => e.pinned).map((e) => e.id).sort()).toEqual([...ids].sort());
      expect(snap?.entries.find((e) => e.id === loose.id)).toMatchObject({ pinned: false, headline: 'not pinned' });

      // An entry that is already pinned may still be edited (and "pinned" again); unpinning is always allowed.
      const seq0 = head?.seq ?? 0;
      expect((await store.updateEntry(feed, ids[0] as string, { headline: 'corrected', pinned: true }, ctx)).seq).toBe(seq0 + 1);
      expect((await store.updateEntry(feed, ids[1] as string, { pinned: false }, ctx)).seq).toBe(seq0 + 2);
      expect((await store.updateEntry(feed, loose.id, { pinned: true }, ctx)).entry.pinned).toBe(true);
      await rejectsWith(store.updateEntry(feed, ids[1] as string, { pinned: true }, ctx), 'too_many_pinned');
      // Deleting a pinned entry frees its place too.
      await store.deleteEntry(feed, ids[2] as string, ctx);
      const created = await store.createEntry(feed, entryInput('pinned at last', { pinned: true }), ctx);
      expect(created).toMatchObject({ seq: seq0 + 5, entry: { pinned: true } });

      const announced = (await l.waitFor(seq0 + 5)).map((h) => h.seq);
      expect(announced).toEqual(Array.from({ length: seq0 + 5 }, (_, i) => i + 1));
      const logged = await store.eventsSince(feed, seq0);
      expect(logged?.kind === 'events' && logged.events.map((e) => e.type)).toEqual(['entry.updated', 'entry.updated', 'entry.updated', 'entry.deleted', 'entry.created']);
      await l.sub.unsubscribe();
    });

    it('replays an idempotent pinned create even when the feed is full since', async () => {
      const idem = { key: 'pin-once', fingerprint: 'p' };
      const first = await store.createEntry(feed, entryInput('first pin', { pinned: true }), ctx, idem);
      for (let i = 1; i < CAP; i++) await store.createEntry(feed, entryInput(`p${i}`, { pinned: true }), ctx);
      expect(await store.createEntry(feed, entryInput('first pin', { pinned: true }), ctx, idem)).toEqual({ ...first, replayed: true });
      expect((await store.head(feed))?.seq).toBe(CAP);
    });

    it('never exceeds the pinned cap under concurrent pins', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 2 * CAP; i++) ids.push((await store.createEntry(feed, entryInput(`e${i}`), ctx)).entry.id);
      const pins = await Promise.allSettled(ids.map((id) => store.updateEntry(feed, id, { pinned: true }, ctx)));
      const refused = pins.filter((p) => p.status === 'rejected').map((p) => (p.reason as AppError).code);
      expect(pins.filter((p) => p.status === 'fulfilled')).toHaveLength(CAP);
      expect(refused).toEqual(Array.from({ length: CAP }, () => 'too_many_pinned'));
      const pinnedOnly = await store.snapshot(feed, 0);
      expect(pinnedOnly?.entries.map((e) => e.pinned)).toEqual(Array.from({ length: CAP }, () => true));
      expect(pinnedOnly?.nextBefore).toBeNull();
      expect(await store.listEntries(feed, null, 0)).toEqual({ entries: [], nextBefore: null });
      expect((await store.head(feed))?.seq).toBe(3 * CAP);

      const other = `${feed}-c`;
      await store.createFeed(feedInput(other), ctx);
      const creates = await Promise.allSettled(Array.from({ length: 2 * CAP }, (_, i) => store.createEntry(other, entryInput(`c${i}`, { pinned: true }), ctx)));
      expect(creates.filter((p) => p.status === 'fulfilled')).toHaveLength(CAP);
      expect((await store.snapshot(other, 1))?.entries.filter((e) => e.pinned)).toHaveLength(CAP);
      expect((await store.head(other))?.seq).toBe(CAP);
    });

    it('refuses a patch that would leave an entry with neither headline nor visible body', async () => {
      const { entry: titled } = await store.createEntry(feed, parseNewEntry({ headline: 'Only a headline' }), ctx);
      const { entry: bodied } = await store.createEntry(feed, parseNewEntry({ body: '<p>Only a body</p>' }), ctx);
      const head = await store.head(feed);

      await rejectsWith(store.updateEntry(feed, titled.id, parseEntryPatch({ headline: null }), ctx), 'validation_failed', { field: 'headline' });
      await rejectsWith(store.updateEntry(feed, titled.id, parseEntryPatch({ headline: '  ', pinned: true }), ctx), 'validation_failed', { field: 'headline' });
      await rejectsWith(store.updateEntry(feed, bodied.id, parseEntryPatch({ body: '' }), ctx), 'validation_failed', { field: 'body' });
      await rejectsWith(store.updateEntry(feed, bodied.id, parseEntryPatch({ body: '<p>&nbsp;</p><br>' }), ctx), 'validation_failed', { field: 'body' });
      await rejectsWith(store.updateEntry(feed, bodied.id, parseEntryPatch({ body: '<script>alert(1)</script>' }), ctx), 'validation_failed', { field: 'body' });
      expect(await store.head(feed)).toEqual(head);
      const snap = await store.snapshot(feed, 10);
      expect(snap?.entries.map((e) => [e.headline, e.body, e.pinned])).toEqual([[null, '<p>Only a body</p>', false], ['Only a headline', '', false]]);

      // Swapping one for the other in the same patch is fine, and so is emptying the other one.
      const swapped = await store.updateEntry(feed, titled.id, parseEntryPatch({ headline: null, body: '<p>Now a body</p>' }), ctx);
      expect(swapped.entry).toMatchObject({ headline: null, body: '<p>Now a body</p>' });
      expect((await store.updateEntry(feed, bodied.id, parseEntryPatch({ headline: 'Now titled', body: '' }), ctx)).entry).toMatchObject({ headline: 'Now titled', body: '' });
      expect((await store.head(feed))?.seq).toBe((head?.seq ?? 0) + 2);
    });

    /** Calls publishDue (twice at once, as two nodes would) until `count` entries went out in all. */
    async function publishUntil(count: number, timeoutMs = 5000): Promise<number> {
      const deadline = Date.now() + timeoutMs;
      let total = 0;
      while (total < count) {
        if (Date.now() > deadline) throw new Error(`published ${total} of ${count} scheduled entries`);
        const [a, b] = await Promise.all([store.publishDue(), store.publishDue()]);
        total += a + b;
        if (total < count) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return total;
    }

    it('keeps a scheduled entry out of every read until its time, then publishes it exactly once as entry.created', async () => {
      const before = await store.head(feed);
      const publishAt = new Date(Date.now() + 600).toISOString();
      const result = await store.scheduleEntry(feed, entryInput('At the hour', { pinned: true }), publishAt, { actor: 'night-desk', requestId: 'r1' });
      if (!('scheduled' in result)) throw new Error('expected it to be scheduled');
      const { scheduled } = result;
      expect(scheduled).toMatchObject({ feedId: feed, publishAt, headline: 'At the hour', revision: 1, actor: 'night-desk' });
      expect(await store.listScheduled(feed)).toEqual([scheduled]);
      expect(await store.publishDue()).toBe(0);
      expect(await store.head(feed)).toEqual(before);
      expect((await store.snapshot(feed, 20))?.entries.map((e) => e.id)).not.toContain(scheduled.id);
      expect((await store.listEntries(feed, null, 20))?.entries).toEqual([]);

      expect(await publishUntil(1)).toBe(1);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(publishAt) - 50); // Redis's clock and ours may differ by a few ms
      expect(await store.publishDue()).toBe(0);
      const events = await store.eventsSince(feed, before?.seq ?? 0);
      if (events?.kind !== 'events') throw new Error('expected events');
      expect(events.events.map((e) => [e.type, e.actor, e.type === 'entry.created' ? e.data.id : null])).toEqual([['entry.created', 'night-desk', scheduled.id]]);
      expect((await store.snapshot(feed, 20))?.entries).toEqual([expect.objectContaining({ id: scheduled.id, headline: 'At the hour', pinned: true, revision: 1 })]);
      expect(await store.listScheduled(feed)).toEqual([]);
      await rejectsWith(store.cancelScheduled(feed, scheduled.id, ctx), 'scheduled_entry_not_found');
    });

    it('publishes a publishAt already past at once; reschedules and cancels, refusing a stale If-Match and writing nothing then', async () => {
      const past = await store.scheduleEntry(feed, entryInput('Already due'), new Date(Date.now() - 60_000).toISOString(), ctx);
      expect(past).toMatchObject({ entry: { headline: 'Already due' }, seq: 1, replayed: false });

      const later = (at: number): string => new Date(Date.now() + at).toISOString();
      const a = await store.scheduleEntry(feed, entryInput('Second'), later(3_600_000), ctx);
      const b = await store.scheduleEntry(feed, entryInput('First'), later(1_800_000), ctx);
      if (!('scheduled' in a) || !('scheduled' in b)) throw new Error('expected both to be scheduled');
      expect((await store.listScheduled(feed)).map((s) => s.headline)).toEqual(['First', 'Second']);

      const moved = await store.updateScheduled(feed, a.scheduled.id, { publishAt: later(60_000), headline: 'Now first' }, { actor: 'editor-2' }, 1);
      expect(moved).toMatchObject({ revision: 2, headline: 'Now first', actor: 'editor-2' });
      expect((await store.listScheduled(feed)).map((s) => s.headline)).toEqual(['Now first', 'First']);
      await rejectsWith(store.updateScheduled(feed, a.scheduled.id, { headline: 'Stale' }, ctx, 1), 'revision_conflict', { scheduled: moved });
      await rejectsWith(store.cancelScheduled(feed, a.scheduled.id, ctx, 1), 'revision_conflict');
      await rejectsWith(store.updateScheduled(feed, b.scheduled.id, { body: '' , headline: null }, ctx), 'validation_failed');
      expect(await store.listScheduled(feed)).toEqual([moved, b.scheduled]);

      await store.cancelScheduled(feed, a.scheduled.id, ctx, 2);
      expect(await store.listScheduled(feed)).toEqual([b.scheduled]);
      await rejectsWith(store.cancelScheduled(feed, a.scheduled.id, ctx), 'scheduled_entry_not_found');
      await rejectsWith(store.updateScheduled(feed, 'nope', { headline: 'x' }, ctx), 'scheduled_entry_not_found');
      await rejectsWith(store.listScheduled('no-such-feed'), 'feed_not_found');
      await rejectsWith(store.scheduleEntry('no-such-feed', entryInput('x'), later(60_000), ctx), 'feed_not_found');
      expect((await store.head(feed))?.seq).toBe(1);
    });

    it('replays an idempotent schedule, also once the entry has gone out', async () => {
      const key = { key: 'sched-1', fingerprint: 'f1' };
      const publishAt = new Date(Date.now() + 300).toISOString();
      const first = await store.scheduleEntry(feed, entryInput('Once'), publishAt, ctx, key);
      expect(await store.scheduleEntry(feed, entryInput('Once'), publishAt, ctx, key)).toEqual({ ...first, replayed: true });
      await rejectsWith(store.scheduleEntry(feed, entryInput('Other'), publishAt, ctx, { key: 'sched-1', fingerprint: 'f2' }), 'idempotency_key_reused');
      await publishUntil(1);
      expect(await store.scheduleEntry(feed, entryInput('Once'), publishAt, ctx, key)).toEqual({ ...first, replayed: true });
      expect((await store.snapshot(feed, 20))?.entries).toHaveLength(1);
    });

    it('audits every change in order: editor, request, action, entry, seq and revisions; pages newest first', async () => {
      const as = (actor: string, requestId: string) => ({ actor, requestId });
      const { entry } = await store.createEntry(feed, entryInput('One'), as('ana', 'q1'));
      await store.updateEntry(feed, entry.id, parseEntryPatch({ headline: 'One, corrected', correction: 'Fixed.' }), as('ben', 'q2'));
      await store.updateEntry(feed, entry.id, parseEntryPatch({ pinned: true }), as('ana', 'q3'));
      await store.updateFeed(feed, { status: 'ended' }, as('ben', 'q4'));
      const s = await store.scheduleEntry(feed, entryInput('Later'), new Date(Date.now() + 3_600_000).toISOString(), as('cy', 'q5'));
      if (!('scheduled' in s)) throw new Error('expected it to be scheduled');
      await store.cancelScheduled(feed, s.scheduled.id, as('cy', 'q6'));
      await store.deleteEntry(feed, entry.id, as('ana', 'q7'));

      const page1 = await store.audit(feed, null, 4);
      const page2 = await store.audit(feed, page1.nextBefore, 4);
      expect(page2.nextBefore).toBeNull();
      const all = [...page1.records, ...page2.records].reverse();
      expect(all.map((r) => [r.action, r.actor, r.requestId, r.entryId, r.seq, r.revisionBefore, r.revisionAfter])).toEqual([
        ['feed.created', 'desk', null, null, null, null, 1],
        ['entry.created', 'ana', 'q1', entry.id, 1, null, 1],
        ['entry.updated', 'ben', 'q2', entry.id, 2, 1, 2],
        ['entry.updated', 'ana', 'q3', entry.id, 3, 2, 2],
        ['feed.updated', 'ben', 'q4', null, 4, 1, 2],
        ['entry.scheduled', 'cy', 'q5', s.scheduled.id, null, null, 1],
        ['scheduled.cancelled', 'cy', 'q6', s.scheduled.id, null, 1, null],
        ['entry.deleted', 'ana', 'q7', entry.id, 5, 2, null],
      ]);
      for (const r of all) expect(Date.parse(r.at)).not.toBeNaN();
      await rejectsWith(store.audit('no-such-feed', null, 10), 'feed_not_found');
      await rejectsWith(store.audit(feed, 'x', 10), 'invalid_cursor');
    });

    it('lists feeds most recently changed first, with entry counts, in pages', async () => {
      const other = `${feed}-b`;
      await store.createFeed(feedInput(other), ctx);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await store.createEntry(feed, entryInput('Newest change'), ctx);
      const first = await store.listFeeds(null, 1);
      expect(first.feeds).toEqual([expect.objectContaining({ id: feed, title: `Live: ${feed}`, status: 'live', revision: 1, entryCount: 1 })]);
      const second = await store.listFeeds(first.nextCursor, 1);
      expect(second).toEqual({ feeds: [expect.objectContaining({ id: other, entryCount: 0 })], nextCursor: null });
      expect(Date.parse(first.feeds[0]?.lastChangeAt ?? '')).toBeGreaterThan(Date.parse(second.feeds[0]?.lastChangeAt ?? ''));
      await rejectsWith(store.listFeeds('not-a-cursor', 1), 'invalid_cursor');
    });

    it('closes idempotently', async () => {
      await t.close();
      await t.close();
    });
  });
}

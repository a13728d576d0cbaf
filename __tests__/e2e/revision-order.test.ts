/**
 * "Two rapid edits whose events reach a reader in the wrong order never leave that reader on
 * the older revision", against the real server, with the reordering injected at the broker:
 * the announcement of the first edit is held back and delivered only after the second's.
 * Announcements are hints ({seq, epoch}); the hub reads events from the store in seq order,
 * so readers still get revision 2 then 3, and end on 3. Checked for a raw WebSocket reader
 * (every frame) and an SDK reader (what its page is handed).
 */
import type { RunningApp } from '../../server/app';
import { createMemoryBackend, type Backend } from '../../server/backend';
import type { Entry, LiveEvent } from '../../client-sdk/src';
import { type Frame, TestReader } from '../helpers/reader';
import { reorderAnnouncements } from '../helpers/reordering-broker';
import { SdkReader } from '../helpers/sdk-reader';
import { api, startTestApp } from '../helpers/test-app';

/** The revision of an entry event frame (raw WebSocket) or SDK event. */
const revisionOf = (data: unknown): number => (data as Entry).revision ?? 0;

/** An SDK reader's page: entries by id, rebuilt from snapshots and changed by events; every revision handed to it, per entry. */
function pageOf(reader: SdkReader): { entries: Map<string, Entry>; revisions: Map<string, number[]> } {
  const entries = new Map<string, Entry>();
  const revisions = new Map<string, number[]>();
  const take = (e: Entry): void => {
    entries.set(e.id, e);
    revisions.set(e.id, [...(revisions.get(e.id) ?? []), e.revision ?? 0]);
  };
  reader.sub.on('snapshot', (s) => {
    entries.clear();
    s.entries.forEach(take);
  });
  reader.sub.on('entry.created', take);
  reader.sub.on('entry.updated', take);
  reader.sub.on('entry.deleted', ({ id }) => entries.delete(id));
  return { entries, revisions };
}

const nonDecreasing = (xs: number[]): boolean => xs.every((x, i) => i === 0 || x >= (xs[i - 1] as number));

describe('readers never go back to an older revision when the broker reorders announcements', () => {
  let app: RunningApp | null = null;
  let backend: Backend | null = null;
  let raw: TestReader | null = null;
  let sdk: SdkReader | null = null;

  afterEach(async () => {
    sdk?.close();
    sdk = null;
    await raw?.close();
    raw = null;
    await app?.close();
    app = null;
    await backend?.close();
    backend = null;
  });

  async function start(feed: string): Promise<{ http: ReturnType<typeof api>; reorder: ReturnType<typeof reorderAnnouncements>; heard: number[] }> {
    backend = createMemoryBackend({ historySize: 1000 }, (err) => {
      throw err;
    });
    const reorder = reorderAnnouncements(backend.broker);
    app = await startTestApp({}, { backend });
    const http = api(app);
    await http.createFeed(feed);
    // Another subscriber of the broker, to see the order announcements really arrive in.
    const heard: number[] = [];
    await backend.broker.subscribe(feed, { announce: (head) => heard.push(head.seq), resync: () => undefined });
    return { http, reorder, heard };
  }

  /** A raw reader subscribed to `feed` (resolves with the feed's head seq) and a live SDK reader with its page. */
  async function readers(feed: string): Promise<{ head: number; page: ReturnType<typeof pageOf> }> {
    if (!app) throw new Error('start() first');
    raw = await TestReader.connect(app.url);
    const subscribed: Frame = await raw.subscribe(feed);
    sdk = new SdkReader(app.url, feed);
    const page = pageOf(sdk);
    await sdk.live();
    return { head: subscribed.seq as number, page };
  }

  it('two rapid edits announced in the wrong order: both readers see revision 2 then 3 and end on 3', async () => {
    const { http, reorder, heard } = await start('reorder');
    const { entry } = await http.postEntry('reorder', 'Turnout 61%');
    const { head, page } = await readers('reorder');
    expect(page.entries.get(entry.id)).toMatchObject({ revision: 1, headline: 'Turnout 61%' });

    reorder.hold();
    const second = await http.patch(`/v1/feeds/reorder/entries/${entry.id}`, { headline: 'Turnout 62%', body: '<p>Second count.</p>' });
    const third = await http.patch(`/v1/feeds/reorder/entries/${entry.id}`, { headline: 'Turnout 63%', body: '<p>Third count.</p>' });
    expect([second.status, third.status]).toEqual([200, 200]);
    // A fence: once readers have this, everything about the two edits has reached them.
    await http.postEntry('reorder', 'Marker');

    // The broker really delivered them out of order…
    expect(reorder.order.slice(-3)).toEqual([head + 2, head + 1, head + 3]);
    // …and the raw reader still got every event once, in seq order, revisions rising.
    const frames = await raw!.events('reorder', 3);
    expect(frames.map((f) => f.seq)).toEqual([head + 1, head + 2, head + 3]);
    expect(frames.map((f) => f.event)).toEqual(['entry.updated', 'entry.updated', 'entry.created']);
    expect(frames.slice(0, 2).map((f) => revisionOf(f.data))).toEqual([2, 3]);
    expect(frames[1]?.data).toMatchObject({ id: entry.id, revision: 3, headline: 'Turnout 63%', body: '<p>Third count.</p>' });
    expect(raw!.pending().filter((f) => f.type === 'event')).toEqual([]);
    expect(heard.slice(-3)).toEqual([head + 2, head + 1, head + 3]);

    await sdk!.until(() => sdk!.seqs.includes(head + 3), 'the marker');
    expect(sdk!.seqs).toEqual([head + 1, head + 2, head + 3]);
    const revisions = page.revisions.get(entry.id) ?? [];
    expect(revisions).toEqual([1, 2, 3]);
    expect(page.entries.get(entry.id)).toMatchObject({ revision: 3, headline: 'Turnout 63%', body: '<p>Third count.</p>' });
  });

  it('rounds of concurrent edits, each round\'s first announcement held back: readers end on the store\'s newest revision, never going back', async () => {
    const { http, reorder } = await start('rounds');
    const { entry } = await http.postEntry('rounds', 'Count 0');
    const { page } = await readers('rounds');
    const rawRevisions: number[] = [];
    const sdkRevisions: number[] = [];
    sdk!.sub.on('event', (e: LiveEvent) => {
      if (e.type === 'entry.updated') sdkRevisions.push(revisionOf(e.data));
    });

    const rounds = 5;
    for (let round = 1; round <= rounds; round++) {
      reorder.hold();
      const results = await Promise.all([1, 2].map((k) => http.patch(`/v1/feeds/rounds/entries/${entry.id}`, { headline: `Count ${round}.${k}` })));
      expect(results.map((r) => r.status)).toEqual([200, 200]);
      for (const f of await raw!.events('rounds', 2)) rawRevisions.push(revisionOf(f.data));
    }
    const stored = (await http.get('/v1/feeds/rounds')).body as { entries: Entry[] };
    const newest = stored.entries.find((e) => e.id === entry.id);
    expect(newest?.revision).toBe(1 + 2 * rounds);

    await sdk!.until(() => page.entries.get(entry.id)?.revision === newest?.revision, 'the newest revision');
    expect(page.entries.get(entry.id)?.headline).toBe(newest?.headline);
    expect(nonDecreasing(rawRevisions)).toBe(true);
    expect(rawRevisions.at(-1)).toBe(newest?.revision);
    expect(nonDecreasing(sdkRevisions)).toBe(true);
    expect(nonDecreasing(page.revisions.get(entry.id) ?? [])).toBe(true);
    expect(reorder.order).toHaveLength(2 * rounds + 1);
    expect(reorder.order).not.toEqual([...reorder.order].sort((a, b) => a - b)); // it did reorder
  });
});

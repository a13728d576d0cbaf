/**
 * Keeps a FeedState current: the feed's live subscription through the SDK (so every other
 * editor's change appears here as it does for readers), and, after this console's own
 * writes, a snapshot fetched past every cache, because readers' reads may be served from a
 * cache for a few seconds.
 */
import { LiveClient, type ClientState } from '../../client-sdk/src/client';
import type { Subscription } from '../../client-sdk/src/subscription';
import type { Api } from './api';
import { FeedState } from './feed-state';

export interface LiveFeed {
  readonly state: FeedState;
  /** The SDK's subscription: `state` says whether it is live, `closed` when the feed does not exist. */
  readonly subscription: Subscription;
  /** Reloads the feed past every cache; resolves once the state holds it. */
  refresh(): Promise<void>;
  /** Loads the next older page of entries. */
  loadOlder(): Promise<void>;
  /** Called when a scheduled entry went out (an entry appeared that this console did not write). */
  onCreated(listener: (id: string) => void): () => void;
  close(): void;
}

/** The console's one connection; it carries the open feed. */
export function createLiveClient(base: string): LiveClient {
  return new LiveClient({ url: base });
}

/** What the connection indicator says. */
export const CONNECTION_TEXT: Readonly<Record<ClientState, string>> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  disconnected: 'Offline',
};

export function openFeed(client: LiveClient, api: Api, feedId: string): LiveFeed {
  const state = new FeedState(feedId);
  const created = new Set<(id: string) => void>();
  const sub: Subscription = client.subscribe(feedId);
  const offs = [
    sub.on('snapshot', (snap) => state.putSnapshot(snap)),
    sub.on('entry.created', (entry, event) => {
      state.putEntry(entry, event.seq);
      for (const l of created) l(entry.id);
    }),
    sub.on('entry.updated', (entry, event) => state.putEntry(entry, event.seq)),
    sub.on('entry.deleted', ({ id }, event) => state.deleteEntry(id, event.seq)),
    sub.on('feed.updated', (feed, event) => state.putFeed(feed, event.seq)),
  ];
  client.connect();

  let refreshing: Promise<void> | null = null;
  let again = false;
  const refresh = async (): Promise<void> => {
    // One reload at a time; a request made meanwhile runs once more after it, with what it missed.
    if (refreshing !== null) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        do {
          again = false;
          state.putSnapshot(await api.freshSnapshot(feedId));
        } while (again);
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  };

  return {
    state,
    subscription: sub,
    refresh,
    async loadOlder() {
      if (state.nextBefore === null) return;
      const seq = state.seq;
      const page = await api.olderEntries(feedId, state.nextBefore);
      state.putOlder(page.entries, page.nextBefore, seq);
    },
    onCreated(listener) {
      created.add(listener);
      return () => created.delete(listener);
    },
    close() {
      for (const off of offs) off();
      sub.unsubscribe();
    },
  };
}

/** Runs `refresh` after a write without making the write wait for it; a failed reload goes to `failed` (live updates go on). */
export function refreshSoon(feed: LiveFeed, failed: (err: unknown) => void): void {
  feed.refresh().catch(failed);
}

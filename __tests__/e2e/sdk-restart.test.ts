import WebSocket from 'ws';
import type { RunningApp } from '../../server/app';
import { createMemoryBackend } from '../../server/backend';
import { loadConfig } from '../../server/config';
import { startApp } from '../../server/app';
import { parseNewEntry } from '../../server/domain/validate';
import { LiveClient, type LiveEvent } from '../../client-sdk/src';
import { api, EDITOR_TOKEN, UNLIMITED } from '../helpers/test-app';

/** Resolves when `check()` holds, re-checking after each call of the returned `poke`. */
function until(check: () => boolean, timeoutMs = 10_000, what = 'condition') {
  let poke: () => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    poke = () => {
      if (check()) {
        clearTimeout(timer);
        resolve();
      }
    };
    poke();
  });
  return { done, poke: () => poke() };
}

describe('the SDK in Node across a server restart on the same port', () => {
  const config = (port: number) => loadConfig({ ...UNLIMITED, PORT: String(port), LIVELINE_EDITOR_TOKENS: `desk:${EDITOR_TOKEN}`, LIVELINE_DRAIN_MS: '0' });
  let app: RunningApp | null = null;
  let client: LiveClient | null = null;

  afterEach(async () => {
    client?.disconnect();
    await app?.close();
  });

  it('resumes from its last seq and ends with every entry exactly once, in order', async () => {
    const backend = createMemoryBackend({ historySize: 1000 }, (err) => { throw err; });
    app = await startApp(config(0), { backend, demo: false });
    const port = app.port;
    await api(app).createFeed('restart');

    const seen: LiveEvent[] = [];
    const states: string[] = [];
    const waiter = { poke: () => undefined as void };
    client = new LiveClient({ url: app.url, WebSocket, minReconnectDelayMs: 20, maxReconnectDelayMs: 200 });
    client.on('state', (s) => states.push(s));
    const sub = client.subscribe('restart');
    sub.on('event', (e) => {
      seen.push(e);
      waiter.poke();
    });
    client.connect();
    const live = until(() => sub.state === 'live', 5000, 'live');
    sub.on('state', live.poke);
    await live.done;

    for (let i = 1; i <= 5; i++) await api(app).postEntry('restart', `before ${i}`);
    const first = until(() => seen.length === 5, 5000, '5 events');
    waiter.poke = first.poke;
    await first.done;

    await app.close(); // readers get 1012 and start reconnecting into a closed port
    app = null;
    // Written while no server is up (as another node would, on the shared store).
    for (let i = 6; i <= 8; i++) await backend.store.createEntry('restart', parseNewEntry({ headline: `while down ${i}` }), { actor: 'desk' });

    app = await startApp(config(port), { backend, demo: false });
    for (let i = 9; i <= 10; i++) await api(app).postEntry('restart', `after ${i}`);

    const all = until(() => seen.length >= 10, 10_000, '10 events');
    waiter.poke = all.poke;
    await all.done;
    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen.map((e) => (e.data as { headline: string }).headline)).toEqual([
      'before 1', 'before 2', 'before 3', 'before 4', 'before 5', 'while down 6', 'while down 7', 'while down 8', 'after 9', 'after 10',
    ]);
    expect(states.filter((s) => s === 'connected').length).toBeGreaterThanOrEqual(2);
    await backend.close();
  });

  it('after a restart that lost the history (embedded mode), resets and reloads the snapshot', async () => {
    app = await startApp(config(0), { demo: true });
    const port = app.port;
    await api(app).postEntry('demo', 'from the first run');

    const snapshots: Array<{ reason: string; headlines: string[] }> = [];
    const resets: string[] = [];
    client = new LiveClient({ url: app.url, WebSocket, minReconnectDelayMs: 20, maxReconnectDelayMs: 200 });
    const sub = client.subscribe('demo');
    const progress = until(() => sub.state === 'live', 5000, 'live');
    sub.on('state', progress.poke);
    sub.on('reset', (reason) => resets.push(reason));
    sub.on('snapshot', (snap, reason) => snapshots.push({ reason, headlines: snap.entries.map((e) => e.headline ?? '') }));
    client.connect();
    await progress.done;
    expect(snapshots).toEqual([{ reason: 'initial', headlines: ['from the first run', 'Welcome to Liveline'] }]);

    await app.close();
    app = await startApp(config(port), { demo: true }); // a new, empty memory store
    const reloaded = until(() => snapshots.length === 2 && sub.state === 'live', 10_000, 'reload');
    sub.on('state', reloaded.poke);
    await reloaded.done;
    expect(resets).toEqual(['epoch_changed']);
    expect(snapshots[1]).toEqual({ reason: 'reset', headlines: ['Welcome to Liveline'] });
  });
});

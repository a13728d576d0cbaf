import type { RunningApp } from '../../server/app';
import { TestReader } from '../helpers/reader';
import { blindPongWebSocket, stalledSseReader, type StalledClient } from '../helpers/stalling-clients';
import { api, metricValue, startTestApp, waitForMetric } from '../helpers/test-app';

const STALL_MS = 1000;
/** Checks run every third of the stall timeout: a stalled reader is closed within this. */
const DEADLINE_MS = STALL_MS + STALL_MS / 3;
/** Scheduling slack on a shared CI machine. */
const SLACK_MS = 1500;

/** Resolves once `reader` has been pinged `count` times (its ws library answers each). */
function pings(reader: TestReader, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`only ${seen} pings`)), count * STALL_MS);
    reader.ws.on('ping', () => {
      if (++seen < count) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('dead and stalled readers go', () => {
  jest.setTimeout(30_000);
  let app: RunningApp;
  const clients: StalledClient[] = [];
  const readers: TestReader[] = [];

  beforeEach(async () => {
    app = await startTestApp({ LIVELINE_STALL_TIMEOUT_MS: String(STALL_MS) });
    await api(app).createFeed('night');
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await app.close();
  });

  it('closes a WebSocket that answers with pongs of its own but never reads ours, and counts it', async () => {
    const good = await TestReader.connect(app.url);
    readers.push(good);
    await good.subscribe('night');
    const bad = await blindPongWebSocket(app.url, 'night', 100);
    clients.push(bad);
    await waitForMetric(app, 'liveline_subscriptions{transport="websocket"}', (v) => v === 2);

    const stoppedReading = Date.now();
    await api(app).postEntry('night', 'data waits for it');
    await waitForMetric(app, 'liveline_stalled_readers_total{transport="websocket"}', (v) => v === 1, DEADLINE_MS + SLACK_MS);
    await bad.gone;
    expect(Date.now() - stoppedReading).toBeLessThan(DEADLINE_MS + SLACK_MS);
    expect(await metricValue(app, 'liveline_connections{transport="websocket"}')).toBe(1);

    // The reader that reads (and answers our pings) is untouched, across several stall periods.
    const more = api(app);
    for (let i = 1; i <= 3; i++) {
      await more.postEntry('night', `still here ${i}`);
      await good.next((f) => f.type === 'event' && (f.data as { headline?: string }).headline === `still here ${i}`);
    }
    await pings(good, 6); // pings come every third of the stall timeout: two stall periods pass
    expect(good.closeCode).toBeNull();
    expect(await metricValue(app, 'liveline_stalled_readers_total{transport="websocket"}')).toBe(1);
  });

  it("closes an SSE stream that stops reading once the kernel's buffers are full, and counts it", async () => {
    const bad = await stalledSseReader(app.url, 'night');
    clients.push(bad);
    const good = await TestReader.connect(app.url);
    readers.push(good);
    await good.subscribe('night');
    await waitForMetric(app, 'liveline_subscriptions{transport="sse"}', (v) => v === 1);

    // ~800 KB: more than the peer's receive window and our send buffer take, less than the
    // 1 MiB of Node's own buffer that would trip the slow-reader cap instead.
    const body = `<p>${'x'.repeat(40_000)}</p>`;
    const editor = api(app);
    for (let i = 0; i < 20; i++) await editor.postEntry('night', `big ${i}`, { body });
    await good.events('night', 20);
    const posted = Date.now();
    await waitForMetric(app, 'liveline_stalled_readers_total{transport="sse"}', (v) => v === 1, DEADLINE_MS + SLACK_MS + 2000);
    expect(Date.now() - posted).toBeLessThan(DEADLINE_MS + SLACK_MS + 2000);
    bad.socket.resume(); // read what was sent before the server hung up: then the end of it
    await bad.gone;
    expect(await metricValue(app, 'liveline_connections{transport="sse"}')).toBe(0);
    expect(await metricValue(app, 'liveline_slow_readers_disconnected_total{transport="sse"}')).toBe(0);
    expect(good.closeCode).toBeNull();
  });

  it('leaves an idle SSE reader alone: nothing waits, nothing stalls', async () => {
    await app.close();
    app = await startTestApp({ LIVELINE_STALL_TIMEOUT_MS: String(STALL_MS) }, { gateway: { sseHeartbeatMs: STALL_MS } });
    await api(app).createFeed('night');
    const res = await fetch(`${app.url}/v1/feeds/night/stream`);
    const reader = res.body?.getReader();
    // Three comment heartbeats, one per stall timeout: the stream lives through two full periods.
    let text = '';
    while ((text.match(/: ping/g) ?? []).length < 3) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) throw new Error(`stream ended: ${text}`);
      text += Buffer.from(chunk.value).toString();
    }
    expect(await metricValue(app, 'liveline_connections{transport="sse"}')).toBe(1);
    expect(await metricValue(app, 'liveline_stalled_readers_total{transport="sse"}')).toBe(0);
    await reader?.cancel();
  });
});

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { RunningApp } from '../../server/app';
import { TestReader } from '../helpers/reader';
import { EDITOR_TOKEN, api, metricValue, startTestApp } from '../helpers/test-app';

/** Events posted at once: they commit faster than one write per event could go out. */
const BURST = 300;

const seqs = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Posts COUNT entries from another process, `concurrency` at a time, while this one may be busy. */
function postBurst(app: RunningApp, feed: string, count: number, concurrency: number, bodyBytes = 100): Promise<unknown> {
  const child = spawn(process.execPath, [path.join(__dirname, '../helpers/post-burst.mjs'), app.url, EDITOR_TOKEN, feed, String(count), String(concurrency), String(bodyBytes)]);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`post-burst exited with ${code}`))));
  });
}

/**
 * Keeps this process (the node, in these tests) busy: the loop is held 20 ms of every 25,
 * as a big fan-out or a long GC would, so requests and events arrive while it can't run.
 * Returns the function that stops it.
 */
function keepBusy(): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + 20;
    while (performance.now() < until); // CPU work standing in for other work on the node
  }, 5);
  return () => clearInterval(timer);
}

describe('fan-out: batches and slices', () => {
  let app: RunningApp;
  afterEach(async () => {
    await app.close();
  });

  it('a burst goes out in batches, and every reader sees each event once, in order, whenever it joined', async () => {
    app = await startTestApp();
    const http = api(app);
    await http.createFeed('burst');
    const readers = await Promise.all([0, 1, 2].map(() => TestReader.connect(app.url)));
    for (const r of readers) await r.subscribe('burst');
    const idle = keepBusy();
    const posted = postBurst(app, 'burst', BURST, 20);
    // One more reader joins in the middle of it, resuming from seq 100.
    const first = readers[0] as TestReader;
    const firstHalf = await first.events('burst', 150, 20_000);
    const late = await TestReader.connect(app.url);
    await late.subscribe('burst', { since: 100 });
    expect(await posted).toEqual({ created: BURST, failed: 0 });
    idle();

    const rest = await first.events('burst', BURST - 150);
    expect([...firstHalf, ...rest].map((f) => f.seq)).toEqual(seqs(BURST));
    for (const r of readers.slice(1)) expect((await r.events('burst', BURST)).map((f) => f.seq)).toEqual(seqs(BURST));
    expect((await late.events('burst', BURST - 100)).map((f) => f.seq)).toEqual(seqs(BURST - 100, 101));
    // Nothing more arrives: no duplicates behind the last one.
    await http.postEntry('burst', 'last');
    for (const r of [...readers, late]) expect((await r.events('burst', 1)).map((f) => f.seq)).toEqual([BURST + 1]);

    const batches = await metricValue(app, 'liveline_fanout_batch_events_count');
    const events = await metricValue(app, 'liveline_fanout_batch_events_sum');
    expect(events).toBe(BURST + 1);
    expect(batches).toBeLessThan(events); // some writes carried several events
    expect(await metricValue(app, 'liveline_events_delivered_total{transport="websocket"}')).toBe(3 * (BURST + 1) + (BURST + 1 - 100));
    for (const r of [...readers, late]) await r.close();
  });

  it('a reader that stops reading in the middle of batches is still cut off at the cap (4008); the others get everything', async () => {
    app = await startTestApp({}, { gateway: { maxBufferedBytes: 64 * 1024 } });
    const http = api(app);
    await http.createFeed('flood');
    const slow = await TestReader.connect(app.url);
    await slow.subscribe('flood');
    const healthy = await TestReader.connect(app.url);
    await healthy.subscribe('flood');
    slow.ws.pause();
    const big = `<p>${'x'.repeat(45_000)}</p>`;
    const idle = keepBusy();
    expect(await postBurst(app, 'flood', BURST, 20, big.length)).toEqual({ created: BURST, failed: 0 });
    idle();
    expect((await healthy.events('flood', BURST, 20_000)).map((f) => f.seq)).toEqual(seqs(BURST));
    slow.ws.resume();
    expect(await slow.waitClosed()).toBe(4008);
    expect(await metricValue(app, 'liveline_fanout_batch_events_count')).toBeLessThan(BURST);
    await healthy.close();
  });

  describe('one event to a big feed', () => {
    const READERS = 4000;
    let readersProcess: ChildProcessWithoutNullStreams | null = null;
    afterEach(() => {
      readersProcess?.stdin.end(); // it exits by itself when its stdin ends
      readersProcess = null;
    });

    it('is written in slices: the event loop keeps serving POSTs to other feeds meanwhile', async () => {
      app = await startTestApp();
      const http = api(app);
      await http.createFeed('big');
      await http.createFeed('small');
      const child = spawn(process.execPath, [path.join(__dirname, '../helpers/many-readers.mjs'), app.url, 'big', String(READERS), '60000']);
      readersProcess = child;
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const nextLine = async (): Promise<Record<string, unknown>> => {
        const line = await lines.next();
        if (line.done === true) throw new Error('the readers process ended');
        return JSON.parse(line.value) as Record<string, unknown>;
      };
      expect(await nextLine()).toEqual({ ready: READERS });

      const slicesBefore = await metricValue(app, 'liveline_fanout_slice_seconds_count');
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      // ~80 MB to write in all: at one write per reader, well over one slice's worth.
      await http.postEntry('big', 'results are in', { body: `<p>${'x'.repeat(20_000)}</p>` });
      const postMs: number[] = [];
      let report: Record<string, unknown> = {};
      for (let i = 0; i < 200; i++) {
        const started = performance.now();
        await http.postEntry('small', `meanwhile ${i}`);
        postMs.push(performance.now() - started);
        child.stdin.write('report\n');
        report = await nextLine();
        if (report.events === READERS) break;
      }
      loop.disable();

      expect(report).toEqual({ events: READERS, perReader: { min: 1, max: 1 }, outOfOrder: 0, closed: 0 });
      // The one event took several slices, and none of them held the loop for long.
      expect((await metricValue(app, 'liveline_fanout_slice_seconds_count')) - slicesBefore).toBeGreaterThan(2);
      expect(loop.max / 1e6).toBeLessThan(50);
      expect(Math.max(...postMs)).toBeLessThan(100);
    }, 60_000);
  });
});

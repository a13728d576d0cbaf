import { spawn, type ChildProcess } from 'node:child_process';
import type { RunningApp } from '../../server/app';
import { range } from '../helpers/sdk-reader';
import { api, startTestApp } from '../helpers/test-app';

/** curl -N on a stream, collecting what it prints; resolves `until` when `pattern` appeared. */
function curl(args: string[]): { child: ChildProcess; output: () => string; until(pattern: RegExp, timeoutMs?: number): Promise<string>; exited: Promise<number | null> } {
  const child = spawn('curl', ['-sN', '--max-time', '20', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const listeners: Array<() => void> = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    until: (pattern, timeoutMs = 5000) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in:\n${out}`)), timeoutMs);
      const check = (): void => {
        if (!pattern.test(out)) return;
        clearTimeout(timer);
        resolve(out);
      };
      listeners.push(check);
      check();
    }),
  };
}

/** The `id:`s of the event messages in an SSE transcript. */
const ids = (text: string): number[] => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));

describe('Server-Sent Events fallback at /v1/feeds/:feedId/stream', () => {
  let app: RunningApp;
  let http: ReturnType<typeof api>;
  const curls: ChildProcess[] = [];

  beforeEach(async () => {
    app = await startTestApp({ LIVELINE_HISTORY_SIZE: '10' }, { gateway: { sseHeartbeatMs: 100 } });
    http = api(app);
    await http.createFeed('sse');
  });

  afterEach(async () => {
    for (const c of curls.splice(0)) c.kill();
    await app.close();
  });

  it('resumes after Last-Event-ID with curl, then streams live events with id = seq, and heartbeats', async () => {
    for (let i = 1; i <= 5; i++) await http.postEntry('sse', `entry ${i}`);
    const c = curl(['-H', 'Last-Event-ID: 2', `${app.url}/v1/feeds/sse/stream`]);
    curls.push(c.child);
    await c.until(/^id: 5$/m);
    expect(c.output()).toMatch(/^retry: \d+$/m);
    expect(c.output()).toContain('data: {"type":"subscribed","feed":"sse","seq":5');
    expect(ids(c.output())).toEqual([3, 4, 5]);

    await http.postEntry('sse', 'live 6');
    await c.until(/^id: 6$/m);
    const message = /id: 6\ndata: (.*)\n\n/.exec(c.output())?.[1] ?? '';
    expect(JSON.parse(message)).toMatchObject({ type: 'event', feed: 'sse', seq: 6, event: 'entry.created', data: { headline: 'live 6' } });
    await c.until(/^: ping$/m);
    expect(ids(c.output())).toEqual([3, 4, 5, 6]);
  });

  it('answers a cursor outside the history with a reset frame and ends the stream', async () => {
    for (let i = 1; i <= 15; i++) await http.postEntry('sse', `entry ${i}`);
    const c = curl([`${app.url}/v1/feeds/sse/stream?since=1`]);
    curls.push(c.child);
    expect(await c.exited).toBe(0);
    expect(c.output()).toContain('retry: 86400000\n\ndata: {"type":"reset","feed":"sse","reason":"history_expired"}');
    expect(ids(c.output())).toEqual([]);
  });

  it('refuses an unknown feed with 404 and a bad cursor with 400, as JSON', async () => {
    expect((await http.get('/v1/feeds/nowhere/stream')).status).toBe(404);
    const bad = await http.get('/v1/feeds/sse/stream', { 'Last-Event-ID': 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'invalid_cursor' } });
  });

  it('ends its streams when the server closes (readers reconnect with Last-Event-ID)', async () => {
    await http.postEntry('sse', 'one');
    const c = curl([`${app.url}/v1/feeds/sse/stream?since=0`]);
    curls.push(c.child);
    await c.until(/^id: 1$/m);
    await app.close(); // afterEach's close() is then a no-op: close() is idempotent
    expect(await c.exited).toBe(0);
  });

  it('delivers 100 posted entries in order to several SSE readers', async () => {
    const readers = range(3).map(() => curl([`${app.url}/v1/feeds/sse/stream?since=0`]));
    curls.push(...readers.map((r) => r.child));
    await Promise.all(readers.map((r) => r.until(/"type":"subscribed"/)));
    await Promise.all(range(100).map((i) => http.postEntry('sse', `burst ${i}`)));
    for (const r of readers) {
      await r.until(/^id: 100$/m);
      expect(ids(r.output())).toEqual(range(100));
    }
  });
});

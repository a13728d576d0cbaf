import WebSocket from 'ws';
import { NodeProcess } from '../helpers/node-process';
import { TestRedis } from '../helpers/redis-server';
import { range, SdkReader } from '../helpers/sdk-reader';
import { TcpBalancer } from '../helpers/tcp-balancer';
import { UNLIMITED } from '../helpers/test-app';

const TOKEN = 'drain-editor-token-0123456789abcdef';
// Long enough that the readers' own process (500 SDK clients reconnecting in this one) can't
// bunch the close events it records into one tenth of the window by being busy for a moment.
const DRAIN_MS = 5000;
const READERS = 500;

async function post(base: string, headline: string): Promise<void> {
  const res = await fetch(`${base}/v1/feeds/deploy/entries`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ headline }),
  });
  if (res.status !== 201) throw new Error(`post: ${res.status}`);
}

describe('a graceful deploy: SIGTERM with 500 readers connected', () => {
  jest.setTimeout(90_000);

  it('sends readers away with 1012 spread over the drain window; they resume on the other node missing nothing; the node exits in time', async () => {
    const redis = await TestRedis.start();
    const env = { ...UNLIMITED, REDIS_URL: redis.url, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}`, LIVELINE_DRAIN_MS: String(DRAIN_MS) };
    const [leaving, staying] = await Promise.all([NodeProcess.start(env), NodeProcess.start(env)]) as [NodeProcess, NodeProcess];
    const port = (n: NodeProcess): number => Number(new URL(n.url).port);
    let backends = [port(leaving)];
    const balancer = await TcpBalancer.start(() => backends);
    const closes: Array<{ code: number; at: number }> = [];
    /** The ws client, recording how and when each socket was closed by the server. */
    class RecordingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        this.on('close', (code: number) => closes.push({ code, at: Date.now() }));
      }
    }
    const sdks: SdkReader[] = [];
    try {
      await fetch(`${staying.url}/v1/feeds`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ id: 'deploy', title: 'Deploy' }),
      });
      for (let i = 0; i < READERS; i++) {
        sdks.push(new SdkReader(balancer.url, 'deploy', { WebSocket: RecordingWebSocket, minReconnectDelayMs: 50, maxReconnectDelayMs: 500 }));
      }
      await Promise.all(sdks.map((s) => s.live()));
      for (let i = 1; i <= 5; i++) await post(staying.url, `before ${i}`);

      backends = [port(staying)]; // the balancer sends new connections to the other node
      const started = Date.now();
      const exited = new Promise<number | null>((resolve) => leaving.child.once('exit', (code) => resolve(code)));
      leaving.child.kill('SIGTERM');
      for (let i = 6; i <= 15; i++) await post(staying.url, `during ${i}`);
      const code = await exited;
      const took = Date.now() - started;
      for (let i = 16; i <= 20; i++) await post(staying.url, `after ${i}`);

      expect(code).toBe(0);
      expect(took).toBeLessThan(DRAIN_MS + 5000);
      expect(closes).toHaveLength(READERS);
      expect(new Set(closes.map((c) => c.code))).toEqual(new Set([1012]));
      // Spread, not a thundering herd: over most of the window, no tenth of it with more than a fifth of the readers.
      const times = closes.map((c) => c.at - started);
      expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(DRAIN_MS * 0.6);
      const slices = new Map<number, number>();
      for (const t of times) slices.set(Math.floor(t / (DRAIN_MS / 10)), (slices.get(Math.floor(t / (DRAIN_MS / 10))) ?? 0) + 1);
      expect(Math.max(...slices.values())).toBeLessThan(READERS / 5);

      for (const s of sdks) {
        await s.until(() => s.events.length >= 20, '20 events', 20_000);
        expect(s.seqs).toEqual(range(20));
      }
    } finally {
      for (const s of sdks) s.close();
      await balancer.close();
      await Promise.all([leaving.stop('SIGKILL'), staying.stop()]);
      await redis.destroy();
    }
  });
});

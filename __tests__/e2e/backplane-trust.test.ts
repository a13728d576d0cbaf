import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { RunningApp } from '../../server/app';
import { NodeProcess } from '../helpers/node-process';
import { TestReader, type Frame } from '../helpers/reader';
import { TestRedis } from '../helpers/redis-server';
import { api, metricValue, startTestApp, waitForMetric } from '../helpers/test-app';

const ROOT = join(__dirname, '..', '..');
const TOKEN = 'backplane-editor-token-0123456789abcdef';

/** Runs the built server with `env` until it exits; resolves with its code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/server/index.js'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', PORT: '0', LIVELINE_METRICS_PORT: '0', ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('a trusted backplane', () => {
  jest.setTimeout(30_000);

  it('refuses production mode without editor tokens, saying what to set', async () => {
    const { code, output } = await runToExit({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(code).toBe(2);
    expect(output).toMatch(/LIVELINE_EDITOR_TOKENS: required in production mode \(REDIS_URL is set\)/);
    expect(output).toContain('LIVELINE_EDITOR_TOKENS=desk:$(openssl rand -hex 24)');
  });

  it('warns at start-up when Redis takes connections without a password, and not when it authenticates', async () => {
    const open = await TestRedis.start();
    const locked = await TestRedis.start({ password: 'hunter2-but-longer' });
    const nodes: NodeProcess[] = [];
    try {
      nodes.push(await NodeProcess.start({ REDIS_URL: open.url, LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` }));
      nodes.push(await NodeProcess.start({ REDIS_URL: locked.url, REDIS_PASSWORD: 'hunter2-but-longer', LIVELINE_EDITOR_TOKENS: `desk:${TOKEN}` }));
      const [unprotected, protectedNode] = nodes as [NodeProcess, NodeProcess];
      expect(unprotected.output()).toMatch(/WARNING: Redis is used without a password.*REDIS_PASSWORD/);
      expect(protectedNode.output()).not.toMatch(/without a password/);
      expect(protectedNode.output()).not.toContain('hunter2');
      expect((await fetch(`${protectedNode.url}/readyz`)).status).toBe(200);
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
      await Promise.all([open.destroy(), locked.destroy()]);
    }
  });

  describe('messages on Redis pub/sub', () => {
    let redis: TestRedis;
    let forger: Redis;
    let app: RunningApp;
    const readers: TestReader[] = [];

    beforeAll(async () => {
      redis = await TestRedis.start();
      forger = redis.client();
      app = await startTestApp({ REDIS_URL: redis.url });
    });
    afterAll(async () => {
      await Promise.all(readers.map((r) => r.close()));
      await app.close();
      forger.disconnect();
      await redis.destroy();
    });

    it('never reach a reader: readers get what the store holds, whatever is published', async () => {
      const editor = api(app);
      await editor.createFeed('forged');
      await editor.postEntry('forged', 'real one');
      const reader = await TestReader.connect(app.url);
      readers.push(reader);
      const subscribed = await reader.subscribe('forged');
      const { seq, epoch } = subscribed as Frame & { seq: number; epoch: string };
      const channel = 'll:{forged}:channel';
      const forgedEntry = {
        id: 'evil', feedId: 'forged', headline: 'FORGED', body: '<p>forged</p>', authors: [], tags: [], pinned: true, keyEvent: false,
        publishedAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
      };
      const rejectedBefore = await metricValue(app, 'liveline_broker_messages_rejected_total');
      // A whole forged event with the next seq, announcements of seqs that don't exist, another
      // epoch, and garbage.
      await forger.publish(channel, JSON.stringify({ feed: 'forged', seq: seq + 1, epoch, type: 'entry.created', data: forgedEntry, at: new Date().toISOString(), actor: 'x' }));
      await forger.publish(channel, JSON.stringify({ seq: seq + 1, epoch }));
      await forger.publish(channel, JSON.stringify({ seq: seq + 50, epoch }));
      await forger.publish(channel, JSON.stringify({ seq: seq + 1, epoch: 'another-epoch' }));
      await forger.publish(channel, 'not json at all');
      await forger.publish(channel, JSON.stringify({ seq: -1, epoch }));
      await waitForMetric(app, 'liveline_broker_messages_rejected_total', (v) => v >= rejectedBefore + 2);

      // The next real change is delivered with its own content and the next seq, once.
      const real = await editor.postEntry('forged', 'real two');
      expect(real.seq).toBe(seq + 1);
      const [event] = await reader.events('forged', 1);
      expect(event).toMatchObject({ seq: seq + 1, epoch, event: 'entry.created', data: { id: real.entry.id, headline: 'real two' } });
      await editor.postEntry('forged', 'real three');
      expect((await reader.events('forged', 1))[0]).toMatchObject({ seq: seq + 2, data: { headline: 'real three' } });
      expect(JSON.stringify(reader.pending())).not.toContain('FORGED');
      expect(reader.pending().filter((f) => f.type === 'reset')).toEqual([]);

      // And the store's record is untouched: the snapshot has no forged entry.
      const snapshot = (await editor.get('/v1/feeds/forged')).body as { entries: Array<{ headline: string }>; seq: number };
      expect(snapshot.entries.map((e) => e.headline)).toEqual(['real three', 'real two', 'real one']);
      expect(snapshot.seq).toBe(seq + 2);
    });
  });
});

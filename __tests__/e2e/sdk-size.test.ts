import { gzipSync } from 'node:zlib';
import type { RunningApp } from '../../server/app';
import { startTestApp } from '../helpers/test-app';

/**
 * The size budgets, measured on the files the server serves, gzipped as a CDN would
 * (level 9): the SDK alone ≤ 5 KB, the SDK with the widget ≤ 15 KB.
 */
describe('size budgets of the served SDK', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const gzipped = async (path: string): Promise<number> => {
    const res = await fetch(`${app.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    return gzipSync(Buffer.from(await res.arrayBuffer()), { level: 9 }).length;
  };

  it('serves the SDK alone in at most 5 KB gzipped', async () => {
    expect(await gzipped('/sdk/liveline-core.js')).toBeLessThanOrEqual(5 * 1024);
  });

  it('serves the SDK with the widget in at most 15 KB gzipped, as a script and as a module', async () => {
    expect(await gzipped('/sdk/liveline.js')).toBeLessThanOrEqual(15 * 1024);
    expect(await gzipped('/sdk/liveline.mjs')).toBeLessThanOrEqual(15 * 1024);
  });
});

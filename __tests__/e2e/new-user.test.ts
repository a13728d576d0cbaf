import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { TestReader } from '../helpers/reader';

const ROOT = join(__dirname, '..', '..');

/** Collects a child's stdout and resolves when `pattern` has appeared. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output so far:\n${out}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}; output:\n${out}`));
    });
  });
}

describe('as a new user meets it: the built server, started with no configuration', () => {
  let server: ChildProcess;
  let reader: TestReader | null = null;

  beforeAll(() => {
    // Only what a fresh shell has: no LIVELINE_* variables, no REDIS_URL.
    server = spawn(process.execPath, ['dist/server/index.js'], {
      cwd: ROOT,
      // Free ports rather than 8080 and 9464, which a user's own `npm start` may hold meanwhile.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: '0', LIVELINE_METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  });

  afterAll(async () => {
    await reader?.close();
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('prints the URL and a token, and the printed curl line reaches a connected reader', async () => {
    const curlLine = /-d '\{.*\}'\n/;
    const printed = await waitForOutput(server, curlLine);
    // Up to the end of the curl line: a log line may come in the same chunk of output.
    const end = curlLine.exec(printed);
    const out = printed.slice(0, (end?.index ?? 0) + (end?.[0].length ?? 0));
    const url = /Liveline is running at (http:\/\/\S+)/.exec(out)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toMatch(/Editor token \(generated for this run/);
    expect(out).toContain('Nothing is kept across restarts');

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/sdk/liveline.js"></script>');
    const sdk = await fetch(`${url}/sdk/liveline.js`);
    expect(sdk.status).toBe(200);
    expect(await sdk.text()).toContain('Liveline');

    reader = await TestReader.connect(url as string);
    await reader.subscribe('demo');

    // The two lines a user copies: `export LIVELINE_TOKEN=…` and the curl command.
    const commands = out.slice(out.indexOf('export LIVELINE_TOKEN='));
    const curl = spawnSync('bash', ['-c', commands], { encoding: 'utf8' });
    expect(curl.status).toBe(0);
    expect(JSON.parse(curl.stdout)).toMatchObject({ entry: { headline: 'Polls close' }, seq: expect.any(Number) });

    expect(await reader.next((f) => f.type === 'event')).toMatchObject({
      feed: 'demo', event: 'entry.created', data: { headline: 'Polls close', body: '<p>First results expected within the hour.</p>' },
    });
  });

  it('exits cleanly on SIGTERM, telling readers to reconnect', async () => {
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const closed = reader?.waitClosed();
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await closed).toBe(1012);
  });

  it('refuses to start on bad configuration, naming every bad key', () => {
    const result = spawnSync(process.execPath, ['dist/server/index.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', LIVELINE_HISTORY_SIZE: '0' },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('LIVELINE_HISTORY_SIZE');
  });
});

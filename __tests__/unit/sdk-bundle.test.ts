/**
 * The built SDK as a page gets it: scripts/build-sdk.mjs must succeed (it enforces the size
 * budget), the IIFE must define the global `Liveline` when run as a classic <script>, and the
 * ES module must export the same names.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { createFakeFetch, createFakeWebSocket } from '../helpers/fake-websocket';

const root = path.resolve(__dirname, '..', '..');
// Built into a temporary directory so that other suites reading client-sdk/dist are not disturbed.
const dist = mkdtempSync(path.join(tmpdir(), 'liveline-sdk-'));

interface LivelineGlobal {
  LiveClient: new (options: object) => { connect(): void; disconnect(): void; readonly state: string };
  LiveError: new (code: string, message: string) => Error & { code: string };
}

describe('built SDK', () => {
  let output = '';
  beforeAll(() => {
    output = execFileSync(process.execPath, [path.join(root, 'scripts', 'build-sdk.mjs'), '--outdir', dist], { encoding: 'utf8' });
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  it('prints the size and gzipped size of each file', () => {
    expect(output).toMatch(/liveline\.js\s+[\d.]+ KB\s+\(gzip [\d.]+ KB\)/);
    expect(output).toMatch(/liveline\.mjs\s+[\d.]+ KB\s+\(gzip [\d.]+ KB\)/);
  });

  it('works from a <script> tag as the global Liveline', () => {
    const ws = createFakeWebSocket();
    const http = createFakeFetch(() => ({ status: 500 }));
    const page: Record<string, unknown> = { WebSocket: ws.WebSocket, fetch: http.fetch, setTimeout, clearTimeout, URL, TextDecoder };
    vm.createContext(page);
    vm.runInContext(readFileSync(path.join(dist, 'liveline.js'), 'utf8'), page);
    const { LiveClient, LiveError } = page.Liveline as LivelineGlobal;
    const client = new LiveClient({ url: 'https://news.example.com' });
    client.connect();
    expect(ws.last().url).toBe('wss://news.example.com/v1/ws');
    expect(client.state).toBe('connecting');
    client.disconnect();
    expect(new LiveError('x', 'y').code).toBe('x');
  });

  it('exports the same names as an ES module', () => {
    const url = pathToFileURL(path.join(dist, 'liveline.mjs')).href;
    const names = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); console.log(Object.keys(m).sort().join(','))`],
      { encoding: 'utf8' },
    ).trim();
    expect(names).toBe('LiveClient,LiveError,allowServers,mount,widgetCss');
  });
});

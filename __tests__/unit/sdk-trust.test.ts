/**
 * The SDK inserts HTML from its server's answers, so it takes them only from the configured
 * server: a snapshot that redirects (anywhere) or that was answered from another origin is
 * refused with LiveError('untrusted_origin') and never emitted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LiveClient, LiveError, type FetchLike } from '../../client-sdk/src';
import { getJson, loadSnapshot } from '../../client-sdk/src/snapshot';
import { createFakeWebSocket, snapshot } from '../helpers/fake-websocket';

type Reply = Awaited<ReturnType<FetchLike>>;

/** A fetch answering every request with `reply`, recording each call's URL and init. */
function fakeFetch(reply: Partial<Reply>): { fetch: FetchLike; inits: Array<Parameters<FetchLike>[1]> } {
  const inits: Array<Parameters<FetchLike>[1]> = [];
  const fetch: FetchLike = async (_url, init) => {
    inits.push(init);
    return { ok: false, status: 200, json: async () => snapshot(7), ...reply };
  };
  return { fetch, inits };
}

const refusal = (promise: Promise<unknown>): Promise<LiveError> =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(LiveError);
      return error as LiveError;
    },
  );

describe('snapshot answers from elsewhere (fake fetch)', () => {
  const base = 'https://live.example.com/news';

  it('asks fetch not to follow redirects, and takes an answer from the configured server', async () => {
    const { fetch, inits } = fakeFetch({ ok: true, url: `${base}/v1/feeds/election`, type: 'cors' });
    await expect(loadSnapshot(fetch, base, 'election')).resolves.toMatchObject({ seq: 7 });
    expect(inits).toEqual([{ headers: { accept: 'application/json' }, redirect: 'manual' }]);
    // A response without url/type (a minimal fetch, older test fakes) still fits.
    await expect(loadSnapshot(fakeFetch({ ok: true }).fetch, base, 'election')).resolves.toMatchObject({ seq: 7 });
  });

  it.each([
    ['a browser\'s opaque redirect', { type: 'opaqueredirect', status: 0, url: `${base}/v1/feeds/election` }],
    ['Node\'s manual redirect (302)', { status: 302 }],
    ['a 307', { status: 307 }],
    ['an answer from another origin (a fetch that followed a redirect anyway)', { ok: true, url: 'https://evil.example/v1/feeds/election' }],
    ['an answer from a look-alike host', { ok: true, url: 'https://live.example.com.evil.example/news/v1/feeds/election' }],
  ])('refuses %s with untrusted_origin', async (_, reply) => {
    const error = await refusal(loadSnapshot(fakeFetch(reply).fetch, base, 'election'));
    expect([error.code, error.feed]).toEqual(['untrusted_origin', 'election']);
    expect(error.message).toContain('https://live.example.com');
  });

  it('takes a same-origin answer whatever its path, and a 304 is no redirect', async () => {
    await expect(getJson(fakeFetch({ ok: true, url: 'https://live.example.com/other' }).fetch, `${base}/x`, 'f')).resolves.toBeDefined();
    await expect(getJson(fakeFetch({ status: 304 }).fetch, `${base}/x`, 'f')).resolves.toBeDefined();
  });
});

describe('snapshot redirects with Node\'s real fetch', () => {
  let target: Server;
  let redirector: Server;
  let targetRequests = 0;
  const urlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const listen = (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> =>
    new Promise((resolve) => {
      const server = createServer(handler);
      server.listen(0, '127.0.0.1', () => resolve(server));
    });

  beforeAll(async () => {
    target = await listen((_req, res) => {
      targetRequests++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(snapshot(99, 'evil', 'election')));
    });
    redirector = await listen((req, res) => {
      res.writeHead(302, { location: `${urlOf(target)}${req.url ?? '/'}` });
      res.end();
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => target.close(resolve));
    await new Promise((resolve) => redirector.close(resolve));
  });

  it('is refused: the client reports untrusted_origin, emits no snapshot, and the other server gets no request', async () => {
    const ws = createFakeWebSocket();
    const client = new LiveClient({ url: urlOf(redirector), WebSocket: ws.WebSocket, minReconnectDelayMs: 60_000 });
    const errors: LiveError[] = [];
    const snapshots: number[] = [];
    const reported = new Promise<void>((resolve) =>
      client.on('error', (e) => {
        errors.push(e);
        resolve();
      }),
    );
    const sub = client.subscribe('election');
    sub.on('snapshot', (s) => snapshots.push(s.seq));
    client.connect();
    await reported;
    client.disconnect(); // also cancels the retry
    expect(errors.map((e) => [e.code, e.feed])).toEqual([['untrusted_origin', 'election']]);
    expect(snapshots).toEqual([]);
    expect(sub.state).toBe('loading');
    expect(targetRequests).toBe(0);
  });
});

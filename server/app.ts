/**
 * The composition root: the one place that builds the store, broker, gateway and HTTP
 * API from a Config and wires them together. Returns a running app with one idempotent
 * close().
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createBackend, type Backend } from './backend';
import type { Config, EditorToken } from './config';
import { parseNewEntry, parseNewFeed } from './domain/validate';
import { WsGateway, type GatewayOptions } from './gateway/ws-gateway';
import { editorRoutes } from './http/editor-routes';
import { errorHandler, notFound } from './http/error-handler';
import { healthRoutes } from './http/health-routes';
import { readerRoutes } from './http/reader-routes';
import { sseRoutes } from './http/sse-routes';
import { staticRoutes } from './http/static-routes';
import { errorFields, silentLogger, type Logger } from './log';
import { SDK_DIST_DIR } from './paths';
import type { FeedStore } from './store/feed-store';

export const DEMO_FEED_ID = 'demo';

export interface AppOptions {
  readonly log?: Logger;
  /** Gateway tunables (tests shorten them); see GatewayOptions for defaults. */
  readonly gateway?: Partial<Pick<GatewayOptions, 'heartbeatMs' | 'sseHeartbeatMs' | 'maxBufferedBytes' | 'recentSize' | 'closeTimeoutMs' | 'maxPayload'>>;
  /** Create the demo feed and serve the demo page at `/`. Default: only on the embedded in-memory backend. */
  readonly demo?: boolean;
  /**
   * Use this store and broker instead of building them from the config; the app then
   * leaves them open on close(). Lets a test restart the server over the same data, as a
   * production node restarts over the same Redis.
   */
  readonly backend?: Backend;
  /** Upper bound for close(), ms. Default 10 000. */
  readonly shutdownTimeoutMs?: number;
}

export interface RunningApp {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly port: number;
  /** The configured editor tokens, or the one generated at start-up. */
  readonly editorTokens: readonly EditorToken[];
  /** True when no token was configured and one was generated. */
  readonly tokenGenerated: boolean;
  readonly demoFeedId: string | null;
  /** Which store and broker this node runs on. */
  readonly backendKind: Backend['kind'];
  /** Stops accepting, tells readers to reconnect elsewhere (1012), releases everything. Idempotent. */
  close(): Promise<void>;
}

export async function startApp(config: Readonly<Config>, options: AppOptions = {}): Promise<RunningApp> {
  const log = options.log ?? silentLogger;
  const onError = (err: unknown, context: string): void => log.error(context, errorFields(err));

  const backend = options.backend ?? (await createBackend(config, onError));
  const { store, broker } = backend;
  const gateway = new WsGateway({ store, broker, allowedOrigins: config.allowedOrigins, onError, ...options.gateway });

  const tokenGenerated = config.editorTokens.length === 0;
  const editorTokens = tokenGenerated ? [{ name: 'editor', token: randomBytes(24).toString('base64url') }] : config.editorTokens;
  const demoFeedId = (options.demo ?? backend.kind === 'memory') ? DEMO_FEED_ID : null;
  if (demoFeedId !== null && (await store.head(demoFeedId)) === null) await createDemoFeed(store, demoFeedId);

  let state: 'running' | 'closing' = 'running';
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(healthRoutes(async () => state === 'running' && (await backend.isReady())));
  app.use(staticRoutes(SDK_DIST_DIR, demoFeedId));
  app.use(readerRoutes(store, config.allowedOrigins));
  app.use(sseRoutes(gateway, store, config.allowedOrigins));
  app.use(editorRoutes(store, editorTokens));
  app.use(notFound);
  app.use(errorHandler(log));

  const server = createServer(app);
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  try {
    await listen(server, config.port, config.host);
  } catch (err) {
    await gateway.close();
    if (options.backend === undefined) await backend.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | null = null;
  const runClose = async (): Promise<void> => {
    state = 'closing';
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    const timeout = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? 10_000);
    try {
      await gateway.close();
      server.closeIdleConnections();
      await stopped;
    } finally {
      clearTimeout(timeout);
      if (options.backend === undefined) await backend.close();
    }
  };

  return {
    url: `http://${host}:${port}`,
    port,
    editorTokens,
    tokenGenerated,
    demoFeedId,
    backendKind: backend.kind,
    close: () => (closing ??= runClose()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function createDemoFeed(store: FeedStore, id: string): Promise<void> {
  const ctx = { actor: 'liveline' };
  await store.createFeed(parseNewFeed({
    id,
    title: 'Live updates: Liveline demo',
    description: 'Post an entry with the curl line below and watch it appear here, in every open tab.',
    status: 'live',
    summary: '<ul><li>Entries appear within a fraction of a second.</li><li>Edits, pins and deletions show up too.</li></ul>',
  }), ctx);
  await store.createEntry(id, parseNewEntry({
    headline: 'Welcome to Liveline',
    body: '<p>This page is a live blog. Open it in two tabs, post an entry, and both update at once.</p>',
    authors: ['Liveline'],
  }), ctx);
}

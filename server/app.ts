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
import { openApiRoutes } from './http/openapi';
import { startMetricsServer, type MetricsServer } from './http/metrics-server';
import { readerBudget } from './http/reader-budget';
import { readerRoutes } from './http/reader-routes';
import { sseRoutes } from './http/sse-routes';
import { staticRoutes } from './http/static-routes';
import { requestLog } from './http/request-log';
import { errorFields, silentLogger, type Logger } from './log';
import { createMetrics, type Metrics } from './metrics';
import { ReadinessMonitor, type ReadinessOptions } from './readiness';
import { CONSOLE_DIST_DIR, SDK_DIST_DIR } from './paths';
import { pageRoutes } from './pages/page-routes';
import { editorConsoleRoutes } from './http/console-routes';
import { ScheduledPublisher } from './scheduling/scheduled-publisher';
import type { FeedStore } from './store/feed-store';

export const DEMO_FEED_ID = 'demo';

export interface AppOptions {
  readonly log?: Logger;
  /** Gateway tunables (tests shorten them); see GatewayOptions for defaults. */
  readonly gateway?: Partial<Pick<GatewayOptions, 'heartbeatMs' | 'sseHeartbeatMs' | 'maxBufferedBytes' | 'hubLingerMs' | 'closeTimeoutMs' | 'maxPayload' | 'headCheckMs'>>;
  /** Create the demo feed and serve the demo page at `/`. Default: only on the embedded in-memory backend. */
  readonly demo?: boolean;
  /**
   * Use this store and broker instead of building them from the config; the app then
   * leaves them open on close(). Lets a test restart the server over the same data, as a
   * production node restarts over the same Redis.
   */
  readonly backend?: Backend;
  /** Readiness checks (probe through the broker) timing. */
  readonly readiness?: ReadinessOptions;
  /** After the drain window, how long close() waits for the last connections before cutting them, ms. Default 5000. */
  readonly shutdownGraceMs?: number;
}

export interface RunningApp {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly port: number;
  /** Where Prometheus scrapes this node: its own listener, never the public port. */
  readonly metricsUrl: string;
  /** The configured editor tokens, or the one generated at start-up. */
  readonly editorTokens: readonly EditorToken[];
  /** True when no token was configured and one was generated. */
  readonly tokenGenerated: boolean;
  readonly demoFeedId: string | null;
  /** Which store and broker this node runs on. */
  readonly backendKind: Backend['kind'];
  /** When a change counts as acknowledged on this backend (Redis only), for the banner. */
  readonly durability: string | null;
  readonly metrics: Metrics;
  /**
   * Graceful shutdown: /readyz turns 503, no new connections, readers are sent away
   * (1012) spread over LIVELINE_DRAIN_MS, in-flight writes finish, Redis is closed; bounded
   * by the drain window plus the grace period. Idempotent.
   */
  close(): Promise<void>;
}

export async function startApp(config: Readonly<Config>, options: AppOptions = {}): Promise<RunningApp> {
  const log = options.log ?? silentLogger;
  const onError = throttledErrorLog(log);
  const metrics = createMetrics();

  const backend = options.backend ?? (await createBackend(config, onError, metrics));
  const { store, broker } = backend;
  const readiness = new ReadinessMonitor(backend, metrics, onError, options.readiness);
  const gateway = new WsGateway({
    store,
    broker,
    metrics,
    allowedOrigins: config.allowedOrigins,
    admission: {
      maxConnections: config.limits.maxConnections,
      maxPerAddress: config.limits.maxConnectionsPerIp,
      perAddressPerSecond: config.limits.connectionsPerIpPerSecond,
      trustProxy: config.trustProxy,
    },
    maxSubscriptionsPerConnection: config.limits.maxSubscriptionsPerConnection,
    framesPerSecond: config.limits.framesPerSecond,
    subscribesPerMinute: config.limits.subscribesPerMinute,
    resumeLimit: config.limits.maxResumeEvents,
    replayEventsPerAddressPerSecond: config.limits.replayEventsPerIpPerSecond,
    stallTimeoutMs: config.limits.stallTimeoutMs,
    idleHandshakeMs: config.limits.idleHandshakeMs,
    onError,
    ...options.gateway,
  });

  const tokenGenerated = config.editorTokens.length === 0;
  const editorTokens = tokenGenerated ? [{ name: 'editor', token: randomBytes(24).toString('base64url') }] : config.editorTokens;
  const demoFeedId = (options.demo ?? backend.kind === 'memory') ? DEMO_FEED_ID : null;
  // What was built so far is released if start-up fails from here on.
  let metricsServer: MetricsServer | null = null;
  const scheduledPublisher = new ScheduledPublisher(store, {
    onError,
    published: (count) => metrics.eventsPublished.inc({ type: 'entry.created' }, count),
  });
  const abandon = async (err: unknown): Promise<never> => {
    readiness.stop();
    await scheduledPublisher.close();
    await metricsServer?.close();
    await gateway.close();
    if (options.backend === undefined) await backend.close();
    throw err;
  };
  try {
    if (demoFeedId !== null && (await store.head(demoFeedId)) === null) await createDemoFeed(store, demoFeedId);
    await readiness.start();
    scheduledPublisher.start();
  } catch (err) {
    await abandon(err);
  }

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.use(requestLog(log, metrics));
  app.use(healthRoutes(() => readiness.ready));
  app.use(staticRoutes(SDK_DIST_DIR, demoFeedId));
  const budget = readerBudget(config.limits.readerRequestsPerIpPerSecond, config.trustProxy, metrics);
  app.use(readerRoutes(store, config.allowedOrigins, budget, config.limits.maxResumeEvents, config.cache));
  app.use(sseRoutes(gateway, config.allowedOrigins, budget));
  app.use(pageRoutes({ store, pages: config.pages, cache: config.cache, budget }));
  app.use(editorConsoleRoutes(CONSOLE_DIST_DIR));
  app.use(editorRoutes({
    store,
    tokens: editorTokens,
    rateLimiter: backend.rateLimiter,
    metrics,
    authFailuresPerMinute: config.limits.authFailuresPerMinute,
    trustProxy: config.trustProxy,
  }));
  app.use(openApiRoutes(config.allowedOrigins));
  app.use(notFound);
  app.use(errorHandler(log));

  // Node checks the headers timeout on this interval (default 30 s): check often enough to honour it.
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, config.limits.headersTimeoutMs) }, app);
  server.headersTimeout = config.limits.headersTimeoutMs;
  server.requestTimeout = Math.max(config.limits.headersTimeoutMs, 30_000);
  server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
  try {
    await listen(server, config.port, config.host);
    metricsServer = await startMetricsServer(metrics.registry, config.metricsHost, config.metricsPort, onError);
  } catch (err) {
    server.close();
    await abandon(err);
  }
  const metricsUrl = (metricsServer as MetricsServer).url;
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;

  let closing: Promise<void> | null = null;
  const runClose = async (): Promise<void> => {
    readiness.stop(); // /readyz answers 503 from now on, so balancers stop sending readers here
    const stopped = new Promise<void>((resolve) => server.close(() => resolve())); // accept nothing new
    const hardStop = setTimeout(() => server.closeAllConnections(), config.drainMs + (options.shutdownGraceMs ?? 5000));
    try {
      await gateway.close(config.drainMs); // readers leave spread over the drain window
      server.closeIdleConnections(); // in-flight requests (writes) finish first
      await stopped;
    } finally {
      clearTimeout(hardStop);
      await scheduledPublisher.close(); // entries due from now on go out from the other nodes
      await metricsServer?.close();
      if (options.backend === undefined) await backend.close();
    }
  };

  return {
    url: `http://${host}:${port}`,
    port,
    metricsUrl,
    editorTokens,
    tokenGenerated,
    demoFeedId,
    backendKind: backend.kind,
    durability: backend.durability ?? null,
    metrics,
    close: () => (closing ??= runClose()),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // A node restart sends thousands of readers to the others at once: a deep accept queue
    // (the kernel caps it at net.core.somaxconn) keeps them from timing out in SYN retries.
    server.listen({ port, host, backlog: 4096 }, () => {
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
    description: 'Post an entry with the curl line on this page and watch it appear here, in every open tab.',
    status: 'live',
    summary: '<ul><li>Entries appear within a fraction of a second.</li><li>Edits, pins and deletions show up too.</li></ul>',
  }), ctx);
  await store.createEntry(id, parseNewEntry({
    headline: 'Welcome to Liveline',
    body: '<p>This page is a live blog. Open it in two tabs, post an entry, and both update at once.</p>',
    authors: ['Liveline'],
  }), ctx);
}

/**
 * Errors are logged at most once per second per context (e.g. per feed), with a count of
 * those left out: a failure that hits ten thousand readers at once is one line, not a flood.
 * What a client's own bad bytes cause (a WebSocket frame that breaks the protocol: `ws`'s
 * WS_ERR_* codes) is logged at warn: anyone can cause it at will, and it is not ours to fix.
 */
function throttledErrorLog(log: Logger): (err: unknown, context: string) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (err, context) => {
    const now = Date.now();
    const entry = last.get(context);
    if (entry !== undefined && now - entry.at < 1000) {
      entry.suppressed += 1;
      return;
    }
    if (last.size > 10_000) last.clear();
    last.set(context, { at: now, suppressed: 0 });
    const fields = { ...errorFields(err), ...(entry?.suppressed ? { suppressedSinceLast: entry.suppressed } : {}) };
    if (isClientProtocolError(err)) log.warn(context, fields);
    else log.error(context, fields);
  };
}

function isClientProtocolError(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('WS_ERR_');
}

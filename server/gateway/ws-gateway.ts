import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type Server } from 'ws';
import type { Broker } from '../broker/broker';
import type { Metrics } from '../metrics';
import type { FeedStore } from '../store/feed-store';
import { AppError } from '../errors';
import { Admission, isRefusal, type Admitted, type AdmissionOptions, type Refusal } from './admission';
import { FanOutScheduler, Sweep } from './fan-out';
import { FeedHub, type HubMember } from './feed-hub';
import { KnownFeeds } from './known-feeds';
import { CloseCode } from './protocol';
import type { FeedAccess } from './reader-subscription';
import { PingFrames, ReaderSocket, Session, sessionRates, type SessionDeps } from './session';
import { SseStream } from './sse-stream';
import { StallWatch } from './stall-watch';
import { Turns } from './turns';
import { KeyedBuckets } from '../token-bucket';

export const WS_PATH = '/v1/ws';

/**
 * Longest stretch of writing to readers before the event loop gets a turn, ms: one event
 * to 20,000 readers is written in a few slices, with requests and pings served between.
 */
const FAN_OUT_SLICE_MS = 5;
/**
 * Longest stretch of subscribe work (joining, replaying) before the loop gets a turn, ms:
 * short, so that a flood of replays barely delays other readers' events (resume-flood test:
 * their p99 within 2x of unloaded; with 5 ms it went to 2.2-2.5x), long enough for several
 * light resumes per iteration in a herd.
 */
const TURN_SLICE_MS = 1;

export interface GatewayOptions {
  readonly store: FeedStore;
  readonly broker: Broker;
  readonly metrics: Metrics;
  /** Origins allowed to open a WebSocket; null allows any. Requests without Origin (non-browsers) are allowed. */
  readonly allowedOrigins: readonly string[] | null;
  readonly admission: AdmissionOptions;
  /** Feeds one WebSocket may hold. */
  readonly maxSubscriptionsPerConnection: number;
  /** Frames one WebSocket may send per second (bursts of five seconds' worth). */
  readonly framesPerSecond: number;
  /** Subscribe frames one WebSocket may send per minute. */
  readonly subscribesPerMinute: number;
  /** Events one resume may replay, and the events each feed keeps in memory. */
  readonly resumeLimit: number;
  /** Events resumes may replay to one address per second (bursts of ten times that). */
  readonly replayEventsPerAddressPerSecond: number;
  /**
   * A reader whose connection drains nothing for this long while data waits (SSE: Node's
   * buffer or the kernel's send queue; WebSocket: our ping unanswered) is closed, ms.
   */
  readonly stallTimeoutMs: number;
  /** A WebSocket holding no subscription for this long is closed (IDLE), ms. */
  readonly idleHandshakeMs: number;
  /** Interval of pings and stall checks, ms. Default a third of stallTimeoutMs. */
  readonly heartbeatMs?: number;
  /** Interval of SSE comment heartbeats, ms. Default 15 000. */
  readonly sseHeartbeatMs?: number;
  /**
   * A hub with readers that hasn't read the store for this long reads its head, ms. Default
   * 5000: the most a change whose announcement was lost waits when its feed goes quiet.
   */
  readonly headCheckMs?: number;
  /** Send-buffer cap per reader, bytes, before it is closed with SLOW_READER. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Largest frame a reader may send, bytes (larger: close 1009). Default 4096. */
  readonly maxPayload?: number;
  /** How long a feed's hub stays subscribed after its last reader left, ms. Default 30 000. */
  readonly hubLingerMs?: number;
  /** How long a close handshake may take before the socket is destroyed, ms. Default 5000. */
  readonly closeTimeoutMs?: number;
  readonly onError: (err: unknown, context: string) => void;
}

type GatewayState = 'running' | 'draining' | 'closed';

/**
 * The reader side of a node: accepts WebSocket upgrades on WS_PATH and SSE streams
 * (checking Origin and the protective limits), holds a Session per WebSocket, an SseStream
 * per SSE reader and a FeedHub per feed with local readers, and pings for dead peers. On
 * close() it stops accepting and sends its readers away spread over a drain window, so
 * they reconnect to other nodes gradually rather than all at once.
 */
export class WsGateway {
  private state: GatewayState = 'running';
  private readonly wss: Server<typeof ReaderSocket>;
  private readonly sessions = new Set<Session>();
  private readonly streams = new Set<SseStream>();
  private readonly hubs = new Map<string, FeedHub>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly sseHeartbeat: NodeJS.Timeout;
  private readonly headCheck: NodeJS.Timeout;
  private readonly admission: Admission;
  private readonly knownFeeds: KnownFeeds;
  private readonly stalls: StallWatch;
  private closePromise: Promise<void> | null = null;
  private readonly access: FeedAccess;
  private readonly fanOut: FanOutScheduler;
  private readonly sessionDeps: SessionDeps;
  /** The heartbeat round in progress: a round that hasn't finished (a saturated node) isn't doubled up. */
  private pingRound: Sweep<Session> | null = null;
  private readonly onUpgradeSocketError = (err: unknown): void => this.options.onError(err, 'upgrade socket');

  constructor(private readonly options: GatewayOptions) {
    const replayRate = options.replayEventsPerAddressPerSecond;
    const replayBudget = new KeyedBuckets({ perSecond: replayRate, capacity: Math.max(10 * replayRate, options.resumeLimit) });
    const turns = new Turns(TURN_SLICE_MS);
    this.access = {
      join: (feed, member) => this.join(feed, member),
      leave: (feed, member) => this.leave(feed, member),
      onError: options.onError,
      metrics: options.metrics,
      resumeLimit: options.resumeLimit,
      turn: (address) => turns.next(address),
      chargeReplay: (address, events) => {
        if (replayBudget.take(address, Date.now(), events)) return true;
        options.metrics.refused.inc({ limit: 'replay_events' });
        return false;
      },
    };
    this.fanOut = new FanOutScheduler({ sliceMs: FAN_OUT_SLICE_MS, observe: (seconds) => options.metrics.fanOutSlice.observe(seconds) });
    this.admission = new Admission(options.admission);
    this.sessionDeps = {
      access: this.access,
      maxBufferedBytes: options.maxBufferedBytes ?? 1024 * 1024,
      closeTimeoutMs: options.closeTimeoutMs ?? 5000,
      idleHandshakeMs: options.idleHandshakeMs,
      maxSubscriptions: options.maxSubscriptionsPerConnection,
      framesPerSecond: options.framesPerSecond,
      subscribesPerMinute: options.subscribesPerMinute,
      rates: sessionRates(options.framesPerSecond, options.subscribesPerMinute),
      metrics: options.metrics,
      closed: (session) => {
        this.sessions.delete(session);
        this.admission.release(session.address);
        options.metrics.connections.dec({ transport: 'websocket' });
      },
    };
    this.knownFeeds = new KnownFeeds(options.store, options.metrics);
    this.stalls = new StallWatch(options.stallTimeoutMs);
    this.wss = new WebSocketServer<typeof ReaderSocket>({
      WebSocket: ReaderSocket,
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxPayload ?? 4096,
    });
    this.heartbeat = setInterval(() => this.checkAlive(), options.heartbeatMs ?? Math.max(100, Math.floor(options.stallTimeoutMs / 3)));
    this.heartbeat.unref();
    this.sseHeartbeat = setInterval(() => this.fanOut.wake(new Sweep(this.streams, (s) => s.ping())), options.sseHeartbeatMs ?? 15_000);
    const headCheckMs = options.headCheckMs ?? 5000;
    // Every fifth of the period, the hubs quiet for a whole period: their reads spread out.
    this.headCheck = setInterval(() => {
      for (const hub of this.hubs.values()) hub.checkHead(headCheckMs);
    }, Math.max(10, Math.floor(headCheckMs / 5)));
    this.sseHeartbeat.unref();
  }

  /** Readers connected, over WebSocket and SSE. */
  get connectionCount(): number {
    return this.sessions.size + this.streams.size;
  }

  /** Whether `feedId` exists: known when this node serves it, else one shared (and, when missing, remembered) store read. */
  async feedExists(feedId: string): Promise<boolean> {
    const hub = this.hubs.get(feedId);
    if (hub !== undefined && !hub.closed) return true;
    return this.knownFeeds.exists(feedId);
  }

  /** Handles an HTTP upgrade request for any path; answers non-WS_PATH requests with 404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', this.onUpgradeSocketError);
    // Only the path matters; parsing the whole URL could throw on hostile input.
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== WS_PATH) return refuse(socket, 404, 'route_not_found', 'no WebSocket endpoint here; use /v1/ws');
    if (this.state !== 'running') return refuse(socket, 503, 'unavailable', 'server restarting; reconnect');
    const origin = req.headers.origin;
    const allowed = this.options.allowedOrigins;
    if (origin !== undefined && allowed !== null && !allowed.includes(origin)) {
      return refuse(socket, 403, 'forbidden_origin', `origin ${origin} may not connect`);
    }
    const admitted = this.admit(req);
    if (isRefusal(admitted)) return refuse(socket, admitted.status, admitted.code, admitted.message);
    // Counted from the handshake on, whether or not it completes: a session, once there is
    // one, releases the slot itself, and the socket keeps nothing of ours (memory per reader).
    const { address } = admitted;
    const release = (): void => this.admission.release(address);
    socket.once('close', release);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      socket.off('error', this.onUpgradeSocketError); // ws handles the socket's errors from now on
      if (this.accept(ws, socket, address)) socket.off('close', release);
    });
  }

  /**
   * Serves one SSE reader of `feed` on `res` (an HTTP response not yet started), after
   * `since` when given. Answers 503 while draining and the limits' refusals.
   */
  openStream(req: IncomingMessage, res: ServerResponse, feed: string, since: number | undefined, epoch: string | undefined): void {
    if (req.socket.destroyed || res.destroyed) return; // the reader left while the route was checking the feed
    const admitted: Admitted | Refusal = this.state !== 'running'
      ? { status: 503, code: 'unavailable', limit: 'draining', message: 'server restarting; reconnect' }
      : this.admit(req);
    if (isRefusal(admitted)) {
      res.writeHead(admitted.status, { 'Content-Type': 'application/json', 'Retry-After': '1' });
      res.end(JSON.stringify({ error: { code: admitted.code, message: admitted.message } }));
      return;
    }
    const stream = new SseStream(res, feed, admitted.address, this.access, {
      maxBufferedBytes: this.options.maxBufferedBytes ?? 1024 * 1024,
      metrics: this.options.metrics,
    });
    this.streams.add(stream);
    this.options.metrics.connections.inc({ transport: 'sse' });
    const unwatch = this.stalls.watch(req.socket, () => {
      this.options.metrics.stalledReaders.inc({ transport: 'sse' });
      stream.abort();
    });
    stream.onGone(() => {
      unwatch();
      this.admission.release(admitted.address);
      this.streams.delete(stream);
      this.options.metrics.connections.dec({ transport: 'sse' });
    });
    // Spread the browsers' automatic reconnects after a restart over a few seconds.
    stream.start(since, epoch, 1000 + Math.floor(Math.random() * 4000));
  }

  /**
   * Stops accepting readers, then sends the connected ones away spread evenly over
   * `drainMs` (WebSocket: SERVICE_RESTART; SSE: end of stream) and waits for them to go,
   * bounded by drainMs + the close timeout. Idempotent.
   */
  close(drainMs = 0): Promise<void> {
    this.closePromise ??= this.runClose(drainMs);
    return this.closePromise;
  }

  private async runClose(drainMs: number): Promise<void> {
    this.state = 'draining';
    clearInterval(this.heartbeat);
    clearInterval(this.sseHeartbeat);
    clearInterval(this.headCheck);
    const readers: Array<{ close(): void; gone: Promise<void> }> = [
      ...[...this.sessions].map((s) => ({ close: () => s.close(CloseCode.SERVICE_RESTART, 'server restarting; reconnect'), gone: new Promise<void>((r) => s.onGone(r)) })),
      ...[...this.streams].map((s) => ({ close: () => s.close(), gone: new Promise<void>((r) => s.onGone(r)) })),
    ];
    shuffle(readers);
    const timers = readers.map((reader, i) => setTimeout(reader.close, readers.length > 1 ? (i * drainMs) / (readers.length - 1) : 0));
    await Promise.all(readers.map((r) => r.gone));
    timers.forEach(clearTimeout);
    await Promise.all([...this.hubs.values()].map((h) => h.close()));
    this.hubs.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.state = 'closed';
  }

  private admit(req: IncomingMessage): Admitted | Refusal {
    const result = this.admission.admit(req, this.connectionCount);
    if (isRefusal(result)) this.options.metrics.refused.inc({ limit: result.limit });
    return result;
  }

  /** Starts a session on an upgraded connection; false when the node is draining (the connection is closed). */
  private accept(ws: ReaderSocket, socket: Duplex, address: string): boolean {
    if (this.state !== 'running') {
      ws.on('error', this.onUpgradeSocketError); // a bad frame during the goodbye must not go unhandled
      ws.close(CloseCode.SERVICE_RESTART, 'server restarting; reconnect');
      return false;
    }
    this.sessions.add(new Session(ws, socket, address, this.sessionDeps));
    this.options.metrics.connections.inc({ transport: 'websocket' });
    return true;
  }

  private async join(feedId: string, member: HubMember): Promise<FeedHub> {
    let hub = this.hubs.get(feedId);
    if (hub === undefined || hub.closed) {
      // A hub (a broker subscription) only for a feed that exists: made-up names cost a cached read.
      if (!(await this.knownFeeds.exists(feedId))) throw new AppError('feed_not_found', `no feed "${feedId}"`);
      hub = this.hubs.get(feedId);
    }
    if (hub === undefined || hub.closed) {
      hub = new FeedHub(feedId, {
        store: this.options.store,
        broker: this.options.broker,
        recentSize: this.options.resumeLimit,
        lingerMs: this.options.hubLingerMs ?? 30_000,
        onError: this.options.onError,
        onIdle: (h) => this.closeIdleHub(h),
        metrics: this.options.metrics,
        fanOut: this.fanOut,
      });
      this.hubs.set(feedId, hub);
      this.options.metrics.feedsServed.inc();
      const started = hub;
      void started.whenClosed.then(() => this.options.metrics.feedsServed.dec());
    }
    hub.add(member);
    try {
      await hub.ready;
    } catch (err) {
      // A hub that failed to start is never reused: the next reader gets a fresh try.
      if (this.hubs.get(feedId) === hub) this.hubs.delete(feedId);
      throw err;
    }
    return hub;
  }

  private leave(feedId: string, member: HubMember): void {
    this.hubs.get(feedId)?.remove(member);
  }

  /** A feed without local readers for the linger time is unsubscribed from the broker. */
  private closeIdleHub(hub: FeedHub): void {
    if (hub.size > 0) return;
    if (this.hubs.get(hub.feedId) === hub) this.hubs.delete(hub.feedId);
    hub.close().catch((err: unknown) => this.options.onError(err, `closing feed ${hub.feedId}`));
  }

  /** One heartbeat round: pings every WebSocket (in slices, like any fan-out) and checks SSE streams for stalls. */
  private checkAlive(): void {
    const now = Date.now();
    void this.stalls.check(now);
    if (this.pingRound !== null && !this.pingRound.done) return;
    const frames = new PingFrames(this.sessions.size);
    this.pingRound = new Sweep(this.sessions, (s) => {
      if (s.heartbeat(this.options.stallTimeoutMs, Date.now(), frames.next()) === 'stalled') {
        this.options.metrics.stalledReaders.inc({ transport: 'websocket' });
        s.terminate();
      }
    });
    this.fanOut.wake(this.pingRound);
  }
}

/** Answers an upgrade request with a JSON error, as the HTTP API would. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] ?? 'Error';
  const retry = status === 429 || status === 503 ? 'Retry-After: 1\r\n' : '';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n${retry}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

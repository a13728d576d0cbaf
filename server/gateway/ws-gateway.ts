import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Broker } from '../broker/broker';
import type { FeedStore } from '../store/feed-store';
import { FeedHub, type HubMember } from './feed-hub';
import { CloseCode } from './protocol';
import type { FeedAccess } from './reader-subscription';
import { Session } from './session';
import { SseStream } from './sse-stream';

export const WS_PATH = '/v1/ws';

export interface GatewayOptions {
  readonly store: FeedStore;
  readonly broker: Broker;
  /** Origins allowed to open a WebSocket; null allows any. Requests without Origin (non-browsers) are allowed. */
  readonly allowedOrigins: readonly string[] | null;
  /** Interval between pings, ms; a reader that missed the previous pong is terminated. Default 30 000. */
  readonly heartbeatMs?: number;
  /** Interval of SSE comment heartbeats, ms. Default 15 000. */
  readonly sseHeartbeatMs?: number;
  /** Send-buffer cap per reader, bytes, before it is closed with SLOW_READER. Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Largest frame a reader may send, bytes (larger: close 1009). Default 4096. */
  readonly maxPayload?: number;
  /** Serialised events kept per feed to serve resumes without a store read. Default 256. */
  readonly recentSize?: number;
  /** How long a close handshake may take before the socket is destroyed, ms. Default 5000. */
  readonly closeTimeoutMs?: number;
  readonly onError: (err: unknown, context: string) => void;
}

type GatewayState = 'running' | 'closing' | 'closed';

/**
 * The reader side of a node: accepts WebSocket upgrades on WS_PATH (checking the Origin)
 * and SSE streams, holds a Session per WebSocket, an SseStream per SSE reader and a FeedHub
 * per feed with local readers, pings for dead peers, and on close() sends every reader
 * away (WebSocket: SERVICE_RESTART) so it resumes elsewhere.
 */
export class WsGateway {
  private state: GatewayState = 'running';
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<Session>();
  private readonly streams = new Set<SseStream>();
  private readonly hubs = new Map<string, FeedHub>();
  private readonly heartbeat: NodeJS.Timeout;
  private closePromise: Promise<void> | null = null;
  private readonly access: FeedAccess;

  constructor(private readonly options: GatewayOptions) {
    this.access = {
      store: options.store,
      join: (feed, member) => this.join(feed, member),
      leave: (feed, member) => this.leave(feed, member),
      onError: options.onError,
    };
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: options.maxPayload ?? 4096,
    });
    this.heartbeat = setInterval(() => this.checkAlive(), options.heartbeatMs ?? 30_000);
    this.heartbeat.unref();
  }

  /** Readers connected, over WebSocket and SSE. */
  get connectionCount(): number {
    return this.sessions.size + this.streams.size;
  }

  /**
   * Serves one SSE reader of `feed` on `res` (an HTTP response not yet started), after
   * `since` when given. While the gateway is closing, answers 503.
   */
  openStream(res: ServerResponse, feed: string, since: number | undefined, epoch: string | undefined): void {
    if (this.state !== 'running') {
      res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' });
      res.end(JSON.stringify({ error: { code: 'unavailable', message: 'server restarting; reconnect' } }));
      return;
    }
    const stream = new SseStream(res, feed, this.access, {
      heartbeatMs: this.options.sseHeartbeatMs ?? 15_000,
      maxBufferedBytes: this.options.maxBufferedBytes ?? 1024 * 1024,
    });
    this.streams.add(stream);
    stream.onGone(() => this.streams.delete(stream));
    // Spread the browsers' automatic reconnects after a restart over a few seconds.
    stream.start(since, epoch, 1000 + Math.floor(Math.random() * 4000));
  }

  /** Handles an HTTP upgrade request for any path; answers non-WS_PATH requests with 404. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.options.onError(err, 'upgrade socket'));
    // Only the path matters; parsing the whole URL could throw on hostile input.
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (this.state !== 'running') return refuse(socket, 503, 'Service Unavailable');
    const origin = req.headers.origin;
    const allowed = this.options.allowedOrigins;
    if (origin !== undefined && allowed !== null && !allowed.includes(origin)) return refuse(socket, 403, 'Forbidden');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  /** Stops accepting, asks every reader to reconnect elsewhere, and waits (bounded) for them to go. Idempotent. */
  close(): Promise<void> {
    this.closePromise ??= this.runClose();
    return this.closePromise;
  }

  private async runClose(): Promise<void> {
    this.state = 'closing';
    clearInterval(this.heartbeat);
    const gone = [...this.sessions].map((s) => new Promise<void>((resolve) => s.onGone(resolve)));
    for (const s of this.sessions) s.close(CloseCode.SERVICE_RESTART, 'server restarting; reconnect');
    for (const s of this.streams) s.close(); // SSE readers reconnect by themselves, with Last-Event-ID
    await Promise.all(gone);
    await Promise.all([...this.hubs.values()].map((h) => h.close()));
    this.hubs.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.state = 'closed';
  }

  private accept(ws: WebSocket): void {
    if (this.state !== 'running') {
      ws.close(CloseCode.SERVICE_RESTART, 'server restarting; reconnect');
      return;
    }
    const session = new Session(ws, {
      access: this.access,
      maxBufferedBytes: this.options.maxBufferedBytes ?? 1024 * 1024,
      closeTimeoutMs: this.options.closeTimeoutMs ?? 5000,
    });
    this.sessions.add(session);
    session.onGone(() => this.sessions.delete(session));
  }

  private async join(feedId: string, member: HubMember): Promise<FeedHub> {
    let hub = this.hubs.get(feedId);
    if (hub === undefined || hub.closed) {
      hub = new FeedHub(feedId, {
        store: this.options.store,
        broker: this.options.broker,
        recentSize: this.options.recentSize ?? 256,
        onError: this.options.onError,
        onEmpty: (h) => this.closeHubIfEmpty(h),
      });
      this.hubs.set(feedId, hub);
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
    const hub = this.hubs.get(feedId);
    if (hub === undefined) return;
    hub.remove(member);
    this.closeHubIfEmpty(hub);
  }

  /** A feed with no local readers is unsubscribed from the broker. */
  private closeHubIfEmpty(hub: FeedHub): void {
    if (hub.size > 0) return;
    if (this.hubs.get(hub.feedId) === hub) this.hubs.delete(hub.feedId);
    hub.close().catch((err: unknown) => this.options.onError(err, `closing feed ${hub.feedId}`));
  }

  private checkAlive(): void {
    for (const s of this.sessions) {
      if (!s.alive) {
        s.terminate();
        continue;
      }
      s.alive = false;
      s.ping();
    }
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

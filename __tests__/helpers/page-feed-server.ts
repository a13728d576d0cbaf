import type { Page, WebSocketRoute } from 'playwright-core';
import type { Entry, FeedSnapshot } from '../../client-sdk/src';

export interface EntryPage {
  entries: Entry[];
  nextBefore: string | null;
}

/**
 * A fake Liveline server for one feed inside a Playwright page's network, for browser tests
 * that need what a real server would not do (events out of order, stale or endless pages).
 * It answers GET /v1/feeds/FEED with `snapshot`, GET …/entries?before=&limit= with
 * `olderPage(before, limit)`, and the page's WebSocket to /v1/ws with `subscribed` (at the
 * head of its log) plus the logged events after the reader's cursor. The page itself and the
 * SDK bundle still come from a real server (see widget.test.ts for why).
 */
export class PageFeedServer {
  snapshot: FeedSnapshot;
  olderPage: (before: string, limit: number) => EntryPage = () => ({ entries: [], nextBefore: null });
  /** Subscribe frames received, in order. */
  readonly subscribes: Array<Record<string, unknown>> = [];
  /** `before` and `limit` of every older-page request, in order. */
  readonly pageRequests: Array<{ before: string; limit: number }> = [];
  private readonly log: Array<Record<string, unknown>> = [];
  private readonly sockets = new Set<WebSocketRoute>();

  constructor(readonly feed: string, initial: FeedSnapshot) {
    this.snapshot = initial;
  }

  /** The seq of the newest logged event (the snapshot's when none). */
  get head(): number {
    return this.log.length ? (this.log[this.log.length - 1]?.seq as number) : this.snapshot.seq;
  }

  async install(page: Page): Promise<void> {
    const path = `/v1/feeds/${this.feed}`;
    await page.route((url) => url.pathname === path || url.pathname === `${path}/entries`, (route) => {
      const url = new URL(route.request().url());
      let body: unknown = this.snapshot;
      if (url.pathname !== path) {
        const request = { before: url.searchParams.get('before') ?? '', limit: Number(url.searchParams.get('limit')) };
        this.pageRequests.push(request);
        body = this.olderPage(request.before, request.limit);
      }
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    });
    await page.routeWebSocket((url) => url.pathname === '/v1/ws', (ws) => {
      this.sockets.add(ws);
      ws.onClose(() => this.sockets.delete(ws));
      ws.onMessage((message) => {
        const frame = JSON.parse(String(message)) as Record<string, unknown>;
        if (frame.type !== 'subscribe') return;
        this.subscribes.push(frame);
        ws.send(JSON.stringify({ type: 'subscribed', feed: this.feed, seq: this.head, epoch: this.snapshot.epoch }));
        for (const e of this.log) if ((e.seq as number) > (frame.since as number)) ws.send(JSON.stringify(e));
      });
    });
  }

  /** Appends an event to the feed's log (the next seq) and sends it to every connected reader. */
  emit(event: string, data: object): void {
    const frame = { type: 'event', feed: this.feed, seq: this.head + 1, epoch: this.snapshot.epoch, event, data };
    this.log.push(frame);
    for (const ws of this.sockets) ws.send(JSON.stringify(frame));
  }

  /** Sends a frame that is not logged (a reset). */
  send(frame: object): void {
    for (const ws of this.sockets) ws.send(JSON.stringify(frame));
  }
}

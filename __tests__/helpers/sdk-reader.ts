import WebSocket from 'ws';
import { LiveClient, type FeedSnapshot, type FetchLike, type LiveEvent, type Subscription, type WebSocketConstructor } from '../../client-sdk/src';

/** An SDK reader in Node, recording what its page would see. */
export class SdkReader {
  readonly events: LiveEvent[] = [];
  readonly snapshots: Array<{ snapshot: FeedSnapshot; reason: string }> = [];
  readonly resets: string[] = [];
  readonly client: LiveClient;
  readonly sub: Subscription;
  private waiters: Array<() => void> = [];

  constructor(
    url: string, feed: string,
    options: { WebSocket?: WebSocketConstructor; minReconnectDelayMs?: number; maxReconnectDelayMs?: number; fetch?: FetchLike } = {},
  ) {
    this.client = new LiveClient({ url, WebSocket, minReconnectDelayMs: 20, maxReconnectDelayMs: 300, ...options });
    this.sub = this.client.subscribe(feed);
    this.sub.on('event', (e) => {
      this.events.push(e);
      this.wake();
    });
    this.sub.on('snapshot', (snapshot, reason) => {
      this.snapshots.push({ snapshot, reason });
      this.wake();
    });
    this.sub.on('reset', (reason) => this.resets.push(reason));
    this.sub.on('state', () => this.wake());
    this.client.connect();
  }

  get seqs(): number[] {
    return this.events.map((e) => e.seq);
  }

  /** Resolves when `check()` holds, re-checked on every event, snapshot and state change. */
  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; seqs ${JSON.stringify(this.seqs)}, state ${this.sub.state}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  live(): Promise<void> {
    return this.until(() => this.sub.state === 'live', 'live');
  }

  close(): void {
    this.client.disconnect();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** 1..n */
export const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);

import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type: string };

/** A real `ws` reader that queues every frame so tests can await them in order. */
export class TestReader {
  private readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  closeCode: number | null = null;
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.closeCode = code;
        this.wake();
        resolve(code);
      });
    });
  }

  /** `localAddress`: connect from this loopback address (127.0.0.2 is another client as far as the server can tell). */
  static async connect(baseUrl: string, options: { origin?: string; localAddress?: string; headers?: Record<string, string> } = {}): Promise<TestReader> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`, {
      ...(options.origin !== undefined ? { origin: options.origin } : {}),
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.headers !== undefined ? { headers: options.headers } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new TestReader(ws);
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Subscribes and waits for the `subscribed` answer. */
  async subscribe(feed: string, cursor: { since?: number; epoch?: string } = {}): Promise<Frame> {
    this.send({ type: 'subscribe', feed, ...cursor });
    return this.next((f) => f.type === 'subscribed' && f.feed === feed);
  }

  /** The next frame (matching `predicate`, skipping others), or a timeout error. */
  async next(predicate: (f: Frame) => boolean = () => true, timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(predicate);
      if (i >= 0) return this.frames.splice(i, 1)[0] as Frame;
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode}) while waiting for a frame`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; have ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next `count` event frames of `feed`. */
  async events(feed: string, count: number, timeoutMs = 5000): Promise<Frame[]> {
    const out: Frame[] = [];
    for (let i = 0; i < count; i++) out.push(await this.next((f) => f.type === 'event' && f.feed === feed, timeoutMs));
    return out;
  }

  /** Frames received and not yet consumed. */
  pending(): readonly Frame[] {
    return this.frames;
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }

  waitClosed(): Promise<number> {
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

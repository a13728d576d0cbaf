import type { IncomingMessage } from 'node:http';

export interface AdmissionOptions {
  /** Readers (WebSocket + SSE) this node holds at most. */
  readonly maxConnections: number;
  /** New reader connections per client address per second; bursts of twice that are allowed. */
  readonly perIpPerSecond: number;
  /** Take the client address from X-Forwarded-For (set only behind a trusted load balancer). */
  readonly trustProxy: boolean;
}

export type Refusal = { readonly status: 429 | 503; readonly code: 'rate_limited' | 'overloaded'; readonly limit: string; readonly message: string };

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets idle this long are forgotten, ms. */
const FORGET_AFTER_MS = 60_000;

/**
 * Decides whether a new reader connection may open: under the node's connection cap, and
 * within its address's rate (a token bucket per address). Refusals name the limit.
 */
export class Admission {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = Date.now();

  constructor(private readonly options: AdmissionOptions) {}

  check(req: IncomingMessage, openConnections: number, now = Date.now()): Refusal | null {
    if (openConnections >= this.options.maxConnections) {
      return { status: 503, code: 'overloaded', limit: 'connections', message: 'this node holds its maximum of readers; try again shortly' };
    }
    const rate = this.options.perIpPerSecond;
    const key = this.clientAddress(req);
    const bucket = this.buckets.get(key) ?? { tokens: 2 * rate, at: now };
    bucket.tokens = Math.min(2 * rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    this.sweep(now);
    if (bucket.tokens < 1) {
      return { status: 429, code: 'rate_limited', limit: 'connections_per_ip', message: 'too many new connections from this address; slow down' };
    }
    bucket.tokens -= 1;
    return null;
  }

  private clientAddress(req: IncomingMessage): string {
    if (this.options.trustProxy) {
      // The rightmost entry is the one our balancer appended; anything left of it came
      // from the client and could be forged to dodge (or to exhaust someone else's) limit.
      const forwarded = req.headers['x-forwarded-for'];
      const last = (Array.isArray(forwarded) ? forwarded[forwarded.length - 1] : forwarded)?.split(',').pop()?.trim();
      if (last) return last;
    }
    return req.socket.remoteAddress ?? 'unknown';
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < FORGET_AFTER_MS) return;
    this.lastSweep = now;
    for (const [key, b] of this.buckets) if (now - b.at > FORGET_AFTER_MS) this.buckets.delete(key);
  }
}

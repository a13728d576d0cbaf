import type { IncomingMessage } from 'node:http';
import { clientKey } from '../client-address';
import { KeyedBuckets } from '../token-bucket';

export interface AdmissionOptions {
  /** Readers (WebSocket + SSE) this node holds at most. */
  readonly maxConnections: number;
  /** Readers one client address may hold open at once. */
  readonly maxPerAddress: number;
  /** New reader connections per client address per second; bursts of twice that are allowed. */
  readonly perAddressPerSecond: number;
  /** Take the client address from X-Forwarded-For (set only behind a trusted load balancer). */
  readonly trustProxy: boolean;
}

/** Which limit refused a connection: the `limit` label of liveline_refused_total. */
export type ConnectionLimit = 'connections' | 'connections_per_ip' | 'concurrent_per_ip' | 'draining';

export type Refusal = {
  readonly status: 429 | 503;
  readonly code: 'rate_limited' | 'overloaded' | 'too_many_connections' | 'unavailable';
  readonly limit: ConnectionLimit;
  readonly message: string;
};

/** A connection let in: its owner calls Admission.release(address) exactly once when it is gone. */
export interface Admitted {
  readonly address: string;
}

/**
 * Decides whether a new reader connection may open: under the node's connection cap,
 * under its address's cap of connections held at once, and within its address's rate of
 * new connections. Counting the connections held per address (not only the rate) is what
 * keeps one address from holding every reader slot of the node by opening them slowly.
 */
export class Admission {
  private readonly rate: KeyedBuckets;
  private readonly open = new Map<string, number>();

  constructor(private readonly options: AdmissionOptions) {
    this.rate = new KeyedBuckets({ perSecond: options.perAddressPerSecond, capacity: 2 * options.perAddressPerSecond });
  }

  admit(req: IncomingMessage, openConnections: number, now = Date.now()): Admitted | Refusal {
    if (openConnections >= this.options.maxConnections) {
      return { status: 503, code: 'overloaded', limit: 'connections', message: 'this node holds its maximum of readers; try again shortly' };
    }
    const address = clientKey(req, this.options.trustProxy);
    const held = this.open.get(address) ?? 0;
    if (held >= this.options.maxPerAddress) {
      return {
        status: 429, code: 'too_many_connections', limit: 'concurrent_per_ip',
        message: `this address holds ${held} reader connections, the most one address may; close one first`,
      };
    }
    if (!this.rate.take(address, now)) {
      return { status: 429, code: 'rate_limited', limit: 'connections_per_ip', message: 'too many new connections from this address; slow down' };
    }
    this.open.set(address, held + 1);
    return { address };
  }

  /** A connection admitted for `address` is gone. Call exactly once per admission. */
  release(address: string): void {
    const left = (this.open.get(address) ?? 1) - 1;
    if (left > 0) this.open.set(address, left);
    else this.open.delete(address);
  }
}

export function isRefusal(result: Admitted | Refusal): result is Refusal {
  return 'status' in result;
}

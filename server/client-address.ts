/**
 * Who a request comes from, for the per-address limits. Behind a trusted balancer that is
 * the address it appended to X-Forwarded-For; otherwise the socket's peer. IPv6 clients
 * are counted per /64 (one subscriber line usually holds a whole /64, so per-address
 * counting would let one home hold millions of "addresses").
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import { ipv6Groups } from './ip-address';

/** The client's address as the limits count it: an IPv4 address, or an IPv6 /64 (`2001:db8:1:2::/64`). */
export function clientKey(req: IncomingMessage, trustProxy: boolean): string {
  return addressKey(peerAddress(req, trustProxy));
}

function peerAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    // The rightmost entry is the one our balancer appended; anything left of it came from
    // the client and could be forged to dodge (or to exhaust someone else's) limit.
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded[forwarded.length - 1] : forwarded)?.split(',').pop()?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}

/** Normalises an address for counting: IPv4-mapped IPv6 → IPv4, IPv6 → its /64; anything else as is. */
export function addressKey(address: string): string {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(bare)) return bare;
  const groups = ipv6Groups(bare);
  if (groups === null) return bare.slice(0, 64);
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

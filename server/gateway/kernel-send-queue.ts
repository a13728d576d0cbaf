/**
 * How many bytes of a TCP socket's output the peer has not acknowledged yet, as the
 * kernel counts them (`tx_queue` in /proc/net/tcp and /proc/net/tcp6). Node shows only
 * its own buffer; a reader that stops reading first fills the kernel's buffers, which can
 * hold megabytes before Node's own buffer grows at all. Linux only: elsewhere the answer
 * is null and callers fall back to Node's buffer.
 */
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { endianness } from 'node:os';
import { ipv4Bytes, ipv6Groups } from '../ip-address';

export type SendQueueReader = (sockets: readonly Socket[]) => Promise<Map<Socket, number> | null>;

/** Unacknowledged bytes per socket; a socket the kernel no longer lists is absent. Null off Linux. */
export const kernelSendQueues: SendQueueReader = async (sockets) => {
  const wanted = new Map<string, Socket>();
  const files = new Set<string>();
  for (const socket of sockets) {
    const key = socketKey(socket);
    if (key === null) continue;
    wanted.set(key.id, socket);
    files.add(key.v6 ? '/proc/net/tcp6' : '/proc/net/tcp');
  }
  const queues = new Map<Socket, number>();
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'latin1');
    } catch {
      return null; // not Linux (or /proc not mounted): the caller counts Node's buffer only
    }
    for (const [id, txQueue] of parseTcpTable(text, wanted)) {
      const socket = wanted.get(id);
      if (socket !== undefined) queues.set(socket, txQueue);
    }
  }
  return queues;
};

/**
 * The rows of a /proc/net/tcp{,6} table as [id, tx_queue], where the id is
 * `localPort remoteAddressHex:remotePort` in the table's own spelling; only the rows whose
 * id `wanted` holds, when given. The table lists every socket of the host, so this is a
 * scan by offsets (no splitting, no regular expressions), about a millisecond per few
 * thousand rows.
 */
export function parseTcpTable(text: string, wanted?: ReadonlyMap<string, unknown>): Array<[string, number]> {
  const rows: Array<[string, number]> = [];
  let at = text.indexOf('\n') + 1; // past the header
  while (at > 0 && at < text.length) {
    const end = text.indexOf('\n', at);
    const lineEnd = end < 0 ? text.length : end;
    // "  sl: LOCAL:PORT REMOTE:PORT ST TX:RX …" — addresses are fixed-width hex.
    const local = text.indexOf(': ', at) + 2;
    const localEnd = text.indexOf(' ', local);
    const remoteEnd = text.indexOf(' ', localEnd + 1);
    if (local > 1 && localEnd > local && remoteEnd > localEnd && remoteEnd < lineEnd) {
      const localPort = parseInt(text.slice(text.lastIndexOf(':', localEnd) + 1, localEnd), 16);
      const id = `${localPort} ${text.slice(localEnd + 1, remoteEnd)}`; // the kernel prints upper-case hex
      if (wanted === undefined || wanted.has(id)) {
        const queues = remoteEnd + 4; // past " ST "
        const txQueue = parseInt(text.slice(queues, text.indexOf(':', queues)), 16);
        if (!Number.isNaN(localPort) && !Number.isNaN(txQueue)) rows.push([id, txQueue]);
      }
    }
    at = end < 0 ? text.length : end + 1;
  }
  return rows;
}

/** How /proc spells this socket's row id, and which table lists it. */
export function socketKey(socket: Pick<Socket, 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort'>): { id: string; v6: boolean } | null {
  const { localAddress, localPort, remoteAddress, remotePort } = socket;
  if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return null;
  const v6 = localAddress.includes(':');
  const hex = v6 ? ipv6Hex(remoteAddress) : ipv4Hex(remoteAddress);
  if (hex === null) return null;
  return { id: `${localPort} ${hex}:${remotePort.toString(16).toUpperCase().padStart(4, '0')}`, v6 };
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** The kernel prints each 32-bit word of an address as a number in host byte order. */
function wordHex(bytes: readonly number[]): string {
  const ordered = LITTLE_ENDIAN ? [...bytes].reverse() : bytes;
  return ordered.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

function ipv4Hex(address: string): string | null {
  const bytes = ipv4Bytes(address.replace(/^::ffff:/i, ''));
  return bytes === null ? null : wordHex(bytes);
}

function ipv6Hex(address: string): string | null {
  const groups = ipv6Groups(address);
  if (groups === null) return null;
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  let out = '';
  for (let i = 0; i < 16; i += 4) out += wordHex(bytes.slice(i, i + 4));
  return out;
}

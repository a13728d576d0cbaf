/**
 * Raw TCP exchanges on loopback: the test writes the request bytes itself, so no client
 * library normalises, re-encodes or completes them (paths like "/./x" or "/%6dx", a
 * lowercase method, an absolute-form target, HTTP/1.0 without Host, Redis commands).
 */
import { connect } from 'node:net';

/**
 * Connects to 127.0.0.1:`port`, writes `bytes`, and collects what comes back until
 * `done(received)` holds or the peer closes. Rejects on a socket error before anything
 * arrived, or after `timeoutMs` without either.
 */
export function tcpExchange(port: number, bytes: string | Buffer, done: (received: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (err !== null) reject(err);
      else resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(() => finish(new Error(`no complete answer from 127.0.0.1:${port} within ${timeoutMs} ms to ${JSON.stringify(bytes.toString().slice(0, 200))}; got ${JSON.stringify(Buffer.concat(chunks).toString().slice(0, 200))}`)), timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (done(Buffer.concat(chunks))) finish(null);
    });
    socket.on('end', () => finish(null));
    socket.on('close', () => finish(null));
    socket.on('error', (err) => finish(chunks.length > 0 ? null : err));
  });
}

export interface RawHttpResponse {
  /** From the status line; null when the answer is not HTTP at all. */
  readonly status: number | null;
  readonly statusLine: string;
  /** Header names lower-cased; a repeated header keeps its last value. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Everything the server sent, headers included. */
  readonly raw: string;
}

/** Whether `received` holds one whole HTTP response (by Content-Length, or a chunked body's last chunk). */
function responseComplete(received: Buffer): boolean {
  const text = received.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = text.slice(0, end).toLowerCase();
  const length = /^content-length:\s*(\d+)\s*$/m.exec(head)?.[1];
  if (length !== undefined) return received.length - (end + 4) >= Number(length);
  if (/^transfer-encoding:.*chunked/m.test(head)) return text.endsWith('\r\n0\r\n\r\n') || text.slice(end + 4).startsWith('0\r\n\r\n');
  return false; // read until the server closes
}

/** Sends `request` exactly as given to 127.0.0.1:`port` and parses the one response. */
export async function rawHttp(port: number, request: string, timeoutMs = 5000): Promise<RawHttpResponse> {
  const raw = (await tcpExchange(port, Buffer.from(request, 'latin1'), responseComplete, timeoutMs)).toString('latin1');
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = (end < 0 ? raw : raw.slice(0, end)).split('\r\n');
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1];
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: status === undefined ? null : Number(status), statusLine, headers, body: end < 0 ? '' : raw.slice(end + 4), raw };
}

/** A Redis command in RESP, each argument a bulk string. */
export function respCommand(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends `commands` (RESP) to the Redis on 127.0.0.1:`port` in one write and returns the
 * first `replies` reply lines (simple replies: "+OK", "-NOAUTH …", "+PONG").
 */
export async function redisReplies(port: number, commands: string, replies: number, timeoutMs = 5000): Promise<string[]> {
  const countLines = (b: Buffer): number => b.toString().split('\r\n').length - 1;
  const received = await tcpExchange(port, commands, (b) => countLines(b) >= replies, timeoutMs);
  return received.toString().split('\r\n').slice(0, replies);
}

/**
 * Readers that misbehave at the TCP level, as an attacker's would: they connect, ask for
 * a stream and then never read a byte more (the kernel's buffers fill), while — for the
 * WebSocket one — sending pongs of their own so that a server trusting any pong would
 * think them alive.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface StalledClient {
  readonly socket: Socket;
  /** Resolves when the server has ended the connection (reset or FIN seen by a write). */
  readonly gone: Promise<void>;
  destroy(): void;
}

function open(url: string, request: (host: string) => string): Promise<{ socket: Socket; head: string; gone: Promise<void> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const gone = new Promise<void>((done) => {
      socket.once('close', () => done());
      socket.once('error', () => done());
    });
    const timer = setTimeout(() => reject(new Error(`no response headers from ${url}`)), 5000);
    socket.on('connect', () => socket.write(request(`${hostname}:${port}`)));
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.pause(); // from here on: never read again
      resolve({ socket, head: received.slice(0, end), gone });
    };
    socket.on('data', onData);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** GET an SSE stream, read its response headers, then stop reading. */
export async function stalledSseReader(baseUrl: string, feed: string): Promise<StalledClient> {
  const { socket, head, gone } = await open(baseUrl, (host) => `GET /v1/feeds/${feed}/stream HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`);
  if (!head.startsWith('HTTP/1.1 200')) throw new Error(`stream refused: ${head}`);
  return { socket, gone, destroy: () => socket.destroy() };
}

/** A client frame (clients must mask): `opcode` 0x1 text, 0xA pong. */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] as number)));
  if (payload.length >= 126) throw new Error('small frames only');
  return Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | payload.length]), mask, masked]);
}

export interface BlindPongClient extends StalledClient {
  /** Stops sending pongs. */
  stopPongs(): void;
}

/**
 * Opens a WebSocket, subscribes to `feed`, then never reads again but sends an unsolicited
 * pong (random payload) every `pongEveryMs`: it "answers pings" without reading them.
 */
export async function blindPongWebSocket(baseUrl: string, feed: string, pongEveryMs: number): Promise<BlindPongClient> {
  const key = randomBytes(16).toString('base64');
  const { socket, head, gone } = await open(baseUrl, (host) => [
    'GET /v1/ws HTTP/1.1', `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', '', '',
  ].join('\r\n'));
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head}`);
  socket.write(clientFrame(0x1, Buffer.from(JSON.stringify({ type: 'subscribe', feed }))));
  const pongs = setInterval(() => {
    if (!socket.destroyed) socket.write(clientFrame(0xa, randomBytes(8)));
  }, pongEveryMs);
  void gone.then(() => clearInterval(pongs));
  return {
    socket,
    gone,
    stopPongs: () => clearInterval(pongs),
    destroy: () => {
      clearInterval(pongs);
      socket.destroy();
    },
  };
}

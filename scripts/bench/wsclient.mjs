// A minimal WebSocket client on a raw TCP socket, for the load generator: the `ws` package
// costs about as much CPU per received frame as the server spends sending it, which would make
// the generator what the benchmark measures. This one parses frames in place from each read
// (no stream reads, one shared read buffer, no copy of unfragmented frames), answers pings, and sends masked
// text frames. Enough for Liveline's and Nchan's servers; not a general client.
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';

const MASK = Buffer.alloc(4); // an all-zero mask: masking is required, its value is not checked
/** One read buffer for every socket of the process: `onread` hands reads over synchronously. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

function frame(opcode, payload) {
  const len = payload.length;
  const head = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  MASK.copy(out, head - 4);
  payload.copy(out, head); // XOR with a zero mask leaves the bytes as they are
  return out;
}

/**
 * Emits 'open', 'message' (Buffer, valid only during the call), 'close' (code, reason), 'error'.
 */
export class RawWebSocket extends EventEmitter {
  /** @param {string} url ws://host:port/path  @param {{protocol?: string, localAddress?: string, timeoutMs?: number}} o */
  constructor(url, o = {}) {
    super();
    const u = new URL(url);
    this.protocol = null;
    this.open = false;
    this.closed = false;
    this.pending = null;
    this.fragments = null;
    // `onread` skips the stream machinery (and an allocation) per read: most of a reader's cost.
    this.socket = net.connect({
      host: u.hostname, port: Number(u.port), localAddress: o.localAddress,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => this.onData(buf.subarray(0, n)) },
    });
    this.socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    this.socket.once('connect', () => {
      this.socket.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${o.protocol ? `Sec-WebSocket-Protocol: ${o.protocol}\r\n` : ''}\r\n`);
    });
    this.timer = setTimeout(() => this.fail(new Error(`no handshake within ${o.timeoutMs ?? 20_000} ms`)), o.timeoutMs ?? 20_000);
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.finish(1006, 'connection lost'));
  }

  fail(err) {
    if (this.closed) return;
    this.emit('error', err);
    this.socket.destroy();
  }

  finish(code, reason) {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.emit('close', code, reason);
  }

  send(text) {
    this.socket.write(frame(0x1, Buffer.from(text)));
  }

  terminate() {
    this.socket.destroy();
  }

  onData(chunk) {
    let buf = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    if (!this.open) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = Buffer.from(buf);
        return;
      }
      const head = buf.toString('latin1', 0, end);
      if (!/^HTTP\/1\.1 101 /.test(head)) {
        this.fail(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
        return;
      }
      this.protocol = /\r\nsec-websocket-protocol:\s*([^\r]+)/i.exec(head)?.[1] ?? null;
      this.open = true;
      clearTimeout(this.timer);
      this.emit('open');
      buf = buf.subarray(end + 4);
    }
    let at = 0;
    while (buf.length - at >= 2) {
      const b0 = buf[at];
      let len = buf[at + 1] & 0x7f;
      let head = 2;
      if (len === 126) {
        if (buf.length - at < 4) break;
        len = buf.readUInt16BE(at + 2);
        head = 4;
      } else if (len === 127) {
        if (buf.length - at < 10) break;
        len = Number(buf.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (buf.length - at < head + len) break;
      this.onFrame(b0 & 0x80, b0 & 0x0f, buf.subarray(at + head, at + head + len));
      at += head + len;
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at)); // own copy: the chunk is reused
  }

  onFrame(fin, opcode, payload) {
    if (opcode === 0x9) {
      this.socket.write(frame(0xa, payload));
      return;
    }
    if (opcode === 0xa) return;
    if (opcode === 0x8) {
      const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      if (!this.socket.destroyed) this.socket.end(frame(0x8, payload.subarray(0, 2)));
      this.finish(code, payload.toString('utf8', 2));
      return;
    }
    if (opcode === 0x0 || !fin) {
      this.fragments = [...(this.fragments ?? []), Buffer.from(payload)];
      if (fin) {
        const whole = Buffer.concat(this.fragments);
        this.fragments = null;
        this.emit('message', whole);
      }
      return;
    }
    this.emit('message', payload);
  }
}

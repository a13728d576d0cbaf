/**
 * The reader side of the WebSocket protocol at /v1/ws (see server/gateway/protocol.ts):
 * the endpoints derived from the base URL, the frames, and a parser for server frames that
 * never throws.
 */
import { LiveError } from './errors';

/**
 * The part of a WebSocket the SDK uses. Both the browser's WebSocket and the `ws` package
 * fit it. Handler parameters are `never` so that either implementation's event types are
 * accepted; the SDK reads the few fields it needs defensively.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** WebSocket readyState of an open socket. */
export const OPEN = 1;

/** Feed ids as the server accepts them. */
export const FEED_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

export type ClientFrame =
  | { type: 'subscribe'; feed: string; since?: number; epoch?: string }
  | { type: 'unsubscribe'; feed: string };

export type ServerFrame =
  | { type: 'subscribed'; feed: string; seq: number; epoch: string }
  | { type: 'event'; feed: string; seq: number; epoch: string; event: string; data: object }
  | { type: 'unsubscribed'; feed: string }
  | { type: 'reset'; feed: string; reason: string }
  | { type: 'error'; feed: string | undefined; code: string; message: string };

/**
 * `http://host:8080/base/` → `{ http: 'http://host:8080/base', ws: 'ws://host:8080/base/v1/ws' }`.
 * Throws TypeError for anything but an absolute (or, in a page, relative) http(s) URL.
 */
export function endpoints(url: string): { http: string; ws: string } {
  let u: URL;
  try {
    u = new URL(url, typeof location === 'undefined' ? undefined : location.href);
  } catch (cause) {
    throw new TypeError(`LiveClient: invalid url ${JSON.stringify(url)}`, { cause });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new TypeError(`LiveClient: url must be http: or https:, got ${JSON.stringify(url)}`);
  }
  const http = u.origin + u.pathname.replace(/\/+$/, '');
  return { http, ws: http.replace(/^http/, 'ws') + '/v1/ws' };
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isText = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses one message from the server. Returns the frame, a LiveError('protocol_error') for
 * something unreadable, or undefined for a well-formed frame of a type this SDK doesn't know
 * (newer servers may add some; they are ignored).
 */
export function parseServerFrame(data: unknown): ServerFrame | LiveError | undefined {
  const text = isText(data)
    ? data
    : data instanceof ArrayBuffer || ArrayBuffer.isView(data)
      ? new TextDecoder().decode(data)
      : undefined;
  let v: unknown;
  try {
    v = text === undefined ? undefined : JSON.parse(text);
  } catch (cause) {
    return new LiveError('protocol_error', 'frame is not valid JSON', { cause });
  }
  if (!isObject(v)) return new LiveError('protocol_error', 'frame is not a JSON object');
  const { type, feed, seq, epoch } = v;
  if (type === 'error') {
    return {
      type,
      feed: isText(feed) ? feed : undefined,
      code: isText(v.code) ? v.code : 'server_error',
      message: isText(v.message) ? v.message : 'server error',
    };
  }
  if (type !== 'subscribed' && type !== 'event' && type !== 'unsubscribed' && type !== 'reset') return undefined;
  if (isText(feed)) {
    if (type === 'unsubscribed') return { type, feed };
    if (type === 'reset') return { type, feed, reason: isText(v.reason) ? v.reason : 'reset' };
    if (isSeq(seq) && isText(epoch)) {
      if (type === 'subscribed') return { type, feed, seq, epoch };
      if (isText(v.event) && isObject(v.data)) return { type, feed, seq, epoch, event: v.event, data: v.data };
    }
  }
  return new LiveError('protocol_error', `malformed "${type}" frame`, isText(feed) ? { feed } : {});
}

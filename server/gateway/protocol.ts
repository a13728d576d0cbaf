/**
 * The reader WebSocket protocol at `/v1/ws`: JSON text frames in both directions.
 *
 * reader → server
 *   {"type":"subscribe","feed":"ID","since":SEQ?,"epoch":"E"?}
 *      Start (or restart) delivery of a feed. Without `since` delivery starts after the
 *      feed's latest event. With `since` the server first sends every event after SEQ,
 *      then live events: in seq order, no gaps, no duplicates. If the cursor can't be
 *      served (older than the history window, from another epoch, or ahead of the feed)
 *      the server answers `reset` instead.
 *   {"type":"unsubscribe","feed":"ID"}
 *
 * server → reader
 *   {"type":"subscribed","feed","seq","epoch"}   seq = the feed's latest at that moment
 *   {"type":"event","feed","seq","epoch","event","data"}
 *   {"type":"unsubscribed","feed"}
 *   {"type":"reset","feed","reason"}             reload the snapshot, then subscribe again
 *      reason: history_expired | epoch_changed | cursor_ahead | too_far_behind
 *   {"type":"error","code","message","feed"?}    the connection stays open
 */

import type { FeedEvent } from '../domain/types';

export type ClientFrame =
  | { readonly type: 'subscribe'; readonly feed: string; readonly since?: number; readonly epoch?: string }
  | { readonly type: 'unsubscribe'; readonly feed: string };

/**
 * Why a cursor can't be served: older than the store's history, from another epoch, ahead
 * of the feed, or further behind than one resume replays (LIVELINE_MAX_RESUME_EVENTS).
 */
export type ResetReason = 'history_expired' | 'epoch_changed' | 'cursor_ahead' | 'too_far_behind';

export type ServerFrame =
  | { type: 'subscribed'; feed: string; seq: number; epoch: string }
  | { type: 'unsubscribed'; feed: string }
  | { type: 'reset'; feed: string; reason: ResetReason }
  | { type: 'error'; code: ProtocolErrorCode; message: string; feed?: string };

/** Codes in `error` frames. The connection stays open after each. */
export type ProtocolErrorCode =
  | 'bad_frame' // not JSON, not an object, or a binary frame
  | 'unknown_type' // `type` is not one we know
  | 'invalid_field' // a known type with a missing or malformed field
  | 'feed_not_found'
  | 'too_many_subscriptions' // over LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION; unsubscribe first
  | 'rate_limited' // over LIVELINE_FRAMES_PER_SECOND (the frame was dropped) or LIVELINE_SUBSCRIBES_PER_MINUTE (with `feed`: subscribe again later)
  | 'unavailable'; // the store could not be reached; try again later

/**
 * Close codes the server uses. Rule for clients: 1000–1015 and 4000–4499 mean
 * "reconnect (with backoff) and resume from your cursor"; 4500–4999 mean "do not
 * reconnect: something is wrong with this client".
 */
export const CloseCode = {
  /** Server is shutting down or restarting; reconnect after a jittered delay. */
  SERVICE_RESTART: 1012,
  /** Frame larger than the server's maxPayload (sent by ws itself). Do not resend it. */
  MESSAGE_TOO_BIG: 1009,
  /** The connection subscribed to nothing for LIVELINE_IDLE_HANDSHAKE_MS. Reconnect when needed. */
  IDLE: 4002,
  /** The reader fell too far behind (send buffer over the cap). Reconnect and resume. */
  SLOW_READER: 4008,
  /** The reader kept sending frames over LIVELINE_FRAMES_PER_SECOND after being told. Reconnect with backoff. */
  TOO_MANY_FRAMES: 4429,
  /** Reserved: the client keeps breaking the protocol. Do not reconnect. */
  PROTOCOL_VIOLATION: 4500,
} as const;

export const FEED_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export type ParseResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly code: ProtocolErrorCode; readonly message: string };

/** Parses one text frame from a reader. Never throws. */
export function parseClientFrame(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad_frame', 'frame is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('bad_frame', 'frame must be a JSON object');
  }
  const obj = value as Record<string, unknown>;
  const { type, feed } = obj;
  if (type !== 'subscribe' && type !== 'unsubscribe') {
    return fail('unknown_type', `unknown frame type ${JSON.stringify(type ?? null)}`);
  }
  if (typeof feed !== 'string' || !FEED_ID_PATTERN.test(feed)) {
    return fail('invalid_field', '"feed" must be a feed id');
  }
  if (type === 'unsubscribe') return { ok: true, frame: { type, feed } };

  const { since, epoch } = obj;
  if (since !== undefined && since !== null && !(Number.isSafeInteger(since) && (since as number) >= 0)) {
    return fail('invalid_field', '"since" must be a non-negative integer');
  }
  if (epoch !== undefined && epoch !== null && (typeof epoch !== 'string' || epoch.length === 0 || epoch.length > 64)) {
    return fail('invalid_field', '"epoch" must be a non-empty string');
  }
  return {
    ok: true,
    frame: {
      type,
      feed,
      ...(typeof since === 'number' ? { since } : {}),
      ...(typeof epoch === 'string' ? { epoch } : {}),
    },
  };
}

function fail(code: ProtocolErrorCode, message: string): ParseResult {
  return { ok: false, code, message };
}

/** The reader-facing form of an event: the `event` frame, also used in HTTP responses. */
export interface EventFrame {
  readonly type: 'event';
  readonly feed: string;
  readonly seq: number;
  readonly epoch: string;
  readonly event: FeedEvent['type'];
  readonly data: FeedEvent['data'];
}

export function toEventFrame(e: FeedEvent): EventFrame {
  return { type: 'event', feed: e.feed, seq: e.seq, epoch: e.epoch, event: e.type, data: e.data };
}

/**
 * Live delivery: Server-Sent Events (server/http/sse-routes.ts) and the WebSocket upgrade
 * (server/gateway/ws-gateway.ts, handled on the HTTP server's `upgrade`, not by express).
 */
import { WS_PATH } from '../../gateway/ws-gateway';
import { CloseCode } from '../../gateway/protocol';
import { answer, publicOperation, READER_HEADERS } from './builders';
import { cacheControl, sinceParam } from './components';
import { errors } from './errors';
import { EXAMPLE_ENTRY, EXAMPLE_EPOCH } from './examples';
import { parameterRef } from './refs';
import type { Paths } from './types';

const SSE_EXAMPLE = [
  'retry: 2500',
  '',
  `data: {"type":"subscribed","feed":"election-night","seq":7,"epoch":"${EXAMPLE_EPOCH}"}`,
  '',
  `id: 8`,
  `data: ${JSON.stringify({ type: 'event', feed: 'election-night', seq: 8, epoch: EXAMPLE_EPOCH, event: 'entry.created', data: EXAMPLE_ENTRY })}`,
  '',
  ': ping',
  '',
  '',
].join('\n');

const CLOSE_CODES = [
  { code: 1009, meaning: 'a frame over the 4 KiB limit', reconnect: 'no point resending that frame' },
  { code: CloseCode.SERVICE_RESTART, meaning: 'server restarting or shutting down', reconnect: 'yes, after a jittered delay; resume from your cursor' },
  { code: CloseCode.IDLE, meaning: 'subscribed to nothing for LIVELINE_IDLE_HANDSHAKE_MS', reconnect: 'yes, when you need a feed' },
  { code: CloseCode.SLOW_READER, meaning: 'reader too slow: its send buffer passed 1 MiB', reconnect: 'yes; resume from your cursor' },
  { code: CloseCode.TOO_MANY_FRAMES, meaning: 'kept sending frames over LIVELINE_FRAMES_PER_SECOND after the rate_limited error', reconnect: 'yes, with backoff' },
  { code: '4000-4499', meaning: 'other transient conditions', reconnect: 'yes' },
  { code: '4500-4999', meaning: 'this client is doing something wrong', reconnect: 'no' },
] as const;

export const REALTIME_PATHS: Paths = {
  '/v1/feeds/{feedId}/stream': {
    get: publicOperation('Realtime', {
      operationId: 'streamFeed',
      summary: 'Server-Sent Events: the WebSocket\'s frames for one feed',
      description: 'For networks that refuse WebSocket upgrades. Each frame of `ServerFrame` is one `data:` line; an event\'s `id:` is its seq, so a browser\'s `EventSource` resumes exactly (`Last-Event-ID`). Without a cursor, delivery starts from now. `: ping` comments every 15 s. A `reset` or `error` frame ends the stream (after a `reset`, `retry:` is a day: reload the snapshot). Counts as a reader connection (per node and per address limits) and one unit of the reader budget.',
      parameters: [
        parameterRef('feedId'),
        sinceParam(false, 'Resume after this seq (ignored when `Last-Event-ID` is sent).'),
        parameterRef('epoch'),
        parameterRef('lastEventId'),
      ],
      responses: {
        200: answer('The stream; it stays open.', {
          'text/event-stream': {
            schema: { type: 'string', description: 'Server-Sent Events whose `data:` lines are JSON `ServerFrame`s (#/components/schemas/ServerFrame).' },
            example: SSE_EXAMPLE,
          },
        }, { ...READER_HEADERS, 'Cache-Control': cacheControl('no-cache, no-transform', 'a live stream.') }),
        ...errors('bad_request', 'invalid_cursor', 'forbidden_origin', 'feed_not_found', 'rate_limited', 'too_many_connections', 'unavailable', 'overloaded'),
      },
    }),
  },
  [WS_PATH]: {
    get: {
      ...publicOperation('Realtime', {
        operationId: 'openWebSocket',
        summary: 'The reader WebSocket: live events for any number of feeds on one connection',
        description: [
          'An HTTP/1.1 upgrade (`Connection: Upgrade`, `Upgrade: websocket`); answered on the server\'s upgrade path, before any route. JSON text frames: the reader sends `ClientFrame`s (subscribe, unsubscribe; at most 4 KiB each), the server sends `ServerFrame`s. Per feed, events arrive in seq order without gaps or duplicates; subscribe with the `seq`/`epoch` of a snapshot or of the last event you had.',
          'Limits: `LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION` feeds, `LIVELINE_FRAMES_PER_SECOND` frames, `LIVELINE_SUBSCRIBES_PER_MINUTE` subscribes (refused with `error` frames). The server pings every third of `LIVELINE_STALL_TIMEOUT_MS`; a reader that doesn\'t echo the payload is dropped.',
          `Close codes: ${CLOSE_CODES.map((c) => `\`${c.code}\` ${c.meaning} (reconnect: ${c.reconnect})`).join('; ')}. Rule: reconnect with backoff on 1000-1015 and 4000-4499, stop on 4500-4999.`,
          'Refusals come before the upgrade, as a JSON error body (`Retry-After: 1` with 429 and 503, and no `X-Request-Id`). A GET without the upgrade reaches the routes and is `404 route_not_found`.',
        ].join('\n\n'),
        parameters: [
          { name: 'Upgrade', in: 'header', required: true, description: 'Must be `websocket`.', schema: { const: 'websocket' } },
          { name: 'Origin', in: 'header', description: 'Browsers send it; it must be in `LIVELINE_ALLOWED_ORIGINS` (when set). Non-browser clients send none and are allowed.', schema: { type: 'string' }, example: 'https://news.example.com' },
        ],
        responses: {
          101: {
            description: 'Switching Protocols: the WebSocket is open.',
            headers: { Upgrade: { description: 'The protocol switched to.', schema: { const: 'websocket' } } },
          },
          ...errors('forbidden_origin', 'route_not_found', 'rate_limited', 'too_many_connections', 'unavailable', 'overloaded'),
        },
      }),
      'x-websocket': {
        clientFrames: '#/components/schemas/ClientFrame',
        serverFrames: '#/components/schemas/ServerFrame',
        closeCodes: CLOSE_CODES.map((c) => ({ ...c })),
      },
    },
  },
};

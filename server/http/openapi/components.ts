/**
 * Shared parameters, response headers and the editors' security scheme.
 */
import { FEED_ID_PATTERN } from '../../gateway/protocol';
import { EXAMPLE_ENTRY, EXAMPLE_EPOCH } from './examples';
import type { HeaderName, ParameterName } from './refs';
import type { Header, Parameter, SecurityScheme } from './types';

/** The scheme editor operations name in `security`. */
export const EDITOR_SECURITY = 'editorToken';

export const SECURITY_SCHEMES: { readonly [EDITOR_SECURITY]: SecurityScheme } = {
  [EDITOR_SECURITY]: {
    type: 'http',
    scheme: 'bearer',
    description: 'An editor token from `LIVELINE_EDITOR_TOKENS` (`name:token`; the name is recorded with each change), or the one the embedded default prints at start-up. Missing, malformed or wrong: `401 unauthorized`; too many failures from one address: `429 too_many_auth_failures`.',
  },
};

export const PARAMETERS: Readonly<Record<ParameterName, Parameter>> = {
  feedId: {
    name: 'feedId',
    in: 'path',
    required: true,
    description: 'The feed. An id that can\'t exist is simply `404 feed_not_found`.',
    schema: { type: 'string', pattern: FEED_ID_PATTERN.source },
    example: 'election-night',
  },
  entryId: {
    name: 'entryId',
    in: 'path',
    required: true,
    description: 'The entry (scheduled or published, as the path says). An id that can\'t exist is simply not found.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' },
    example: EXAMPLE_ENTRY.id,
  },
  epoch: {
    name: 'epoch',
    in: 'query',
    description: 'The epoch the cursor (`since`) belongs to, from a snapshot or a frame; a cursor from another history of the feed is answered with `reset` (`epoch_changed`).',
    schema: { type: 'string', minLength: 1 },
    example: EXAMPLE_EPOCH,
  },
  ifMatch: {
    name: 'If-Match',
    in: 'header',
    description: 'The revision this edit is based on, as an `ETag` gave it (`"3"`; `3` and `W/"3"` are accepted). If it has moved on: `412 revision_conflict` with the current version, and nothing changes. `*` or absent: no precondition (the last write wins). Malformed: `400 bad_request`.',
    schema: { type: 'string' },
    example: '"2"',
  },
  ifNoneMatch: {
    name: 'If-None-Match',
    in: 'header',
    description: 'An `ETag` from an earlier answer (several, comma-separated, weak or not, or `*`): `304` when the answer would be the same.',
    schema: { type: 'string' },
    example: `"${EXAMPLE_EPOCH}-7-20"`,
  },
  idempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    description: '1-200 printable ASCII characters. The same key with the same entry (per feed, for 24 hours) answers with the original response plus `Idempotent-Replayed: true` and creates nothing; with a different entry: `422 idempotency_key_reused`. Malformed: `400 validation_failed` (`field: "Idempotency-Key"`). Retrying a write whose answer was lost with the same key is always safe.',
    schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,200}$' },
    example: 'desk-7f3a9c-polls-close',
  },
  lastEventId: {
    name: 'Last-Event-ID',
    in: 'header',
    description: 'What a browser\'s `EventSource` sends when it reconnects: the seq of the last event it got. Takes precedence over `since`.',
    schema: { type: 'string', pattern: '^\\d{1,16}$' },
    example: '7',
  },
  requestId: {
    name: 'X-Request-Id',
    in: 'header',
    description: 'Your id for this request (1-64 of `A-Za-z0-9._-`), echoed back and logged; otherwise the server makes one.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
    example: 'desk-4f1c2a',
  },
};

export const HEADERS: Readonly<Record<HeaderName, Header>> = {
  ETag: {
    description: 'The version of what was written or read. For a feed or an entry (or a scheduled entry), its revision (`"3"`): send it back as `If-Match`.',
    schema: { type: 'string' },
    example: '"2"',
  },
  Location: { description: 'Where the new resource is.', schema: { type: 'string' }, example: '/v1/feeds/election-night' },
  RetryAfter: { description: 'Seconds to wait before trying again (sent with limit refusals).', schema: { type: 'integer', minimum: 0 }, example: 12 },
  RequestId: { description: 'The request\'s id (yours when you sent a sane `X-Request-Id`): quote it when asking about a request; the audit log records it with each change.', schema: { type: 'string' }, example: 'zJ47dKzSnR51' },
  IdempotentReplayed: { description: '`true` when this answer replays an earlier request with the same `Idempotency-Key`: nothing was written this time.', schema: { const: 'true' } },
  WwwAuthenticate: { description: 'The scheme to use.', schema: { type: 'string' }, example: 'Bearer realm="liveline"' },
  AllowOrigin: { description: 'CORS: `*` when any origin is allowed (`LIVELINE_ALLOWED_ORIGINS` unset), else the request\'s `Origin` when it is in the allowlist (absent otherwise).', schema: { type: 'string' }, example: '*' },
  AllowAnyOrigin: { description: 'CORS: readable from any page.', schema: { const: '*' } },
  VaryOrigin: { description: 'With an origin allowlist every answer depends on `Origin`: a cache must never hand one origin\'s answer to another.', schema: { const: 'Origin' } },
};

/** A `Cache-Control` response header with a fixed value. */
export const cacheControl = (value: string, why: string): Header => ({ description: `\`${value}\`: ${why}`, schema: { const: value } });

/** `limit` query parameter: 1-100 rows. */
export const limitParam = (fallback: number, what: string): Parameter => ({
  name: 'limit',
  in: 'query',
  description: `How many ${what} (1-100). Out of range or not an integer: \`400 validation_failed\` (\`field: "limit"\`).`,
  schema: { type: 'integer', minimum: 1, maximum: 100, default: fallback },
});

/** An opaque paging cursor given back by an earlier page. */
export const cursorParam = (name: string, from: string, description: string): Parameter => ({
  name,
  in: 'query',
  description: `${description} Pass the previous page's \`${from}\`; anything else is \`400 invalid_cursor\`.`,
  schema: { type: 'string' },
});

/** `since` query parameter: a seq cursor. */
export const sinceParam = (required: boolean, description: string): Parameter => ({
  name: 'since',
  in: 'query',
  required,
  description: `${description} Not a non-negative integer: \`400 invalid_cursor\`.`,
  schema: { type: 'integer', minimum: 0 },
  example: 7,
});

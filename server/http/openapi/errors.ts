/**
 * Every error code (server/errors.ts) with when it happens and an example body, and the
 * helpers that turn a route's codes into its 4xx/5xx responses. The catalog is keyed by
 * `ErrorCode`, so a code added to the server without documentation here fails to compile;
 * statuses come from the server's own table.
 */
import { ERROR_STATUS, type ErrorCode } from '../../errors';
import { EXAMPLE_ENTRY, EXAMPLE_EPOCH, EXAMPLE_FEED, EXAMPLE_SCHEDULED } from './examples';
import { headerRef, schemaRef, type HeaderName } from './refs';
import type { Example, JsonValue, Reference, Response, Responses, Schema } from './types';

interface ErrorDoc {
  readonly when: string;
  readonly message: string;
  /** Fields sent next to code and message. */
  readonly details?: { readonly [field: string]: JsonValue };
}

export const ERROR_CATALOG: { readonly [C in ErrorCode]: ErrorDoc } = {
  bad_request: { when: 'the request itself is malformed (bad percent-encoding in the path, a malformed `If-Match`)', message: 'If-Match must name one revision, as the ETag gave it (e.g. "3")', details: { field: 'If-Match' } },
  invalid_json: { when: 'the body is not valid JSON', message: 'the body is not valid JSON' },
  validation_failed: { when: 'a field is missing, of the wrong type, too long, or unknown (`field` names it), or an entry would have neither a headline nor a visible body', message: 'title: must not be empty', details: { field: 'title' } },
  invalid_cursor: { when: '`since`, `epoch`, `before` or `cursor` is malformed', message: '"before" must be a cursor from nextBefore' },
  unauthorized: { when: 'missing or wrong editor token', message: 'an editor token is required: Authorization: Bearer <token>' },
  forbidden_origin: { when: 'the `Origin` is not in `LIVELINE_ALLOWED_ORIGINS`', message: 'origin https://elsewhere.example may not read this server' },
  route_not_found: { when: 'no such route (routes match exactly: case-sensitively, without a trailing slash)', message: 'no route for GET /v1/feed' },
  feed_not_found: { when: 'no such feed', message: 'no feed "nope"' },
  entry_not_found: { when: 'no such entry in the feed', message: 'no entry "nope" in feed "election-night"' },
  scheduled_entry_not_found: { when: 'no such scheduled entry: never scheduled, already published, or cancelled', message: 'no scheduled entry "Wq3xB8kPz_1d" in feed "election-night"' },
  feed_exists: { when: 'a feed with that id exists', message: 'feed "election-night" already exists' },
  too_many_pinned: { when: 'the feed already holds `LIVELINE_MAX_PINNED_PER_FEED` pinned entries (`limit`); unpin one first', message: 'this feed already has 5 pinned entries; unpin one first', details: { field: 'pinned', limit: 5 } },
  reset: { when: 'the cursor is outside the retained history, from another epoch, ahead of the feed, or more than `LIVELINE_MAX_RESUME_EVENTS` behind: reload the snapshot', message: 'this cursor is outside what can be replayed: reload the snapshot', details: { reason: 'too_far_behind', seq: 812, epoch: EXAMPLE_EPOCH } },
  payload_too_large: { when: 'the body is over 256 KiB', message: 'the body is larger than the limit' },
  unsupported_media_type: { when: 'the body is not sent as `application/json` (UTF-8)', message: 'send the body as Content-Type: application/json' },
  revision_conflict: { when: '`If-Match` named a revision that has been moved past; the answer carries the current version', message: 'this entry is at revision 2, not 1: someone else changed it; merge and retry with If-Match: "2"', details: { entry: EXAMPLE_ENTRY } },
  idempotency_key_reused: { when: 'the `Idempotency-Key` was used with a different request', message: 'this Idempotency-Key was used with a different entry' },
  rate_limited: { when: 'over a rate: an editor\'s writes per minute, or one address\'s reader requests or new connections per second; see `Retry-After`', message: 'too many writes from this editor; retry in 12 s' },
  too_many_connections: { when: 'this address already holds `LIVELINE_MAX_CONNECTIONS_PER_IP` reader connections', message: 'this address holds too many reader connections; close one first' },
  too_many_auth_failures: { when: 'too many failed editor authentications from this address; see `Retry-After` (even a right token waits)', message: 'too many failed editor authentications from this address; retry in 12 s' },
  internal: { when: 'a bug; details are logged, not returned', message: 'internal error' },
  unavailable: { when: 'the store can\'t be reached right now, or the node is shutting down; retry (with the same `Idempotency-Key`)', message: 'the store is unavailable; retry' },
  overloaded: { when: 'this node holds its maximum of readers (`LIVELINE_MAX_CONNECTIONS`); retry (a balancer picks another node)', message: 'this node holds its maximum of readers; try again shortly' },
};

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

/** Codes every editor request may get from authentication. */
export const EDITOR_AUTH_ERRORS = ['unauthorized', 'too_many_auth_failures'] as const;
/** …and every write: the editor's writes per minute, the store. */
export const EDITOR_WRITE_ERRORS = [...EDITOR_AUTH_ERRORS, 'rate_limited', 'unavailable'] as const;
/** …and every JSON body. */
export const JSON_BODY_ERRORS = ['invalid_json', 'validation_failed', 'payload_too_large', 'unsupported_media_type'] as const;

/** `ErrorCode` and `Error`, for components.schemas. */
export const ERROR_SCHEMAS: { readonly ErrorCode: Schema; readonly Error: Schema } = {
  ErrorCode: {
    enum: ERROR_CODES,
    description: ERROR_CODES.map((code) => `- \`${code}\` (${ERROR_STATUS[code]}): ${ERROR_CATALOG[code].when}`).join('\n'),
  },
  Error: {
    type: 'object',
    description: 'Every error: `{"error":{"code","message"}}`, sometimes with more fields.',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: schemaRef('ErrorCode'),
          message: { type: 'string', description: 'For people; may change. Match on `code`.' },
          field: { type: 'string', description: 'The field or header at fault (`validation_failed`, `too_many_pinned`, `bad_request`).' },
          limit: { type: 'integer', description: '`too_many_pinned`: the feed\'s cap.' },
          reason: { ...schemaRef('ResetReason'), description: '`reset`: why the cursor can\'t be served.' },
          seq: { type: 'integer', minimum: 0, description: '`reset`: the feed\'s latest seq.' },
          epoch: { type: 'string', description: '`reset`: the feed\'s epoch.' },
          entry: { ...schemaRef('Entry'), description: '`revision_conflict` on an entry: its current version.' },
          feed: { ...schemaRef('Feed'), description: '`revision_conflict` on a feed: its current version.' },
          scheduled: { ...schemaRef('ScheduledEntry'), description: '`revision_conflict` on a scheduled entry: its current version.' },
        },
      },
    },
    examples: [{ error: { code: 'feed_not_found', message: 'no feed "nope"' } }],
  },
};

const example = (code: ErrorCode, override?: Pick<ErrorDoc, 'message' | 'details'>): Example => {
  const { message, details } = override ?? ERROR_CATALOG[code];
  return { summary: ERROR_CATALOG[code].when, value: { error: { code, message, ...details } } };
};

const CONFLICTS = {
  entry: { entry: EXAMPLE_ENTRY },
  feed: { feed: EXAMPLE_FEED },
  scheduled: { scheduled: EXAMPLE_SCHEDULED },
} as const;

type ConflictKind = keyof typeof CONFLICTS;

function conflictExample(kind: ConflictKind): Example {
  const current = CONFLICTS[kind];
  const { revision } = Object.values(current)[0] as { readonly revision: number };
  const what = kind === 'scheduled' ? 'scheduled entry' : kind;
  return example('revision_conflict', {
    message: `this ${what} is at revision ${revision}, not ${revision - 1}: someone else changed it; merge and retry with If-Match: "${revision}"`,
    details: current,
  });
}

const exampleName = (code: ErrorCode): string => `error.${code}`;
const conflictName = (kind: ConflictKind): string => `error.revision_conflict.${kind}`;
const exampleRef = (name: string): Reference => ({ $ref: `#/components/examples/${name}` });

/** One example body per error code (and per kind of revision conflict), for components.examples. */
export const ERROR_EXAMPLES: Readonly<Record<string, Example>> = {
  ...Object.fromEntries(ERROR_CODES.filter((c) => c !== 'revision_conflict').map((code) => [exampleName(code), example(code)])),
  ...Object.fromEntries((Object.keys(CONFLICTS) as ConflictKind[]).map((kind) => [conflictName(kind), conflictExample(kind)])),
};

const HEADERS_BY_STATUS: Readonly<Record<number, Readonly<Record<string, HeaderName>>>> = {
  401: { 'WWW-Authenticate': 'WwwAuthenticate' },
  429: { 'Retry-After': 'RetryAfter' },
  503: { 'Retry-After': 'RetryAfter' },
};

function errorResponse(status: number, description: string, errorSchema: Schema, examples: Readonly<Record<string, Reference>>): Response {
  const headers: Record<string, Reference> = { 'X-Request-Id': headerRef('RequestId') };
  for (const [header, name] of Object.entries(HEADERS_BY_STATUS[status] ?? {})) headers[header] = headerRef(name);
  return {
    description,
    headers,
    content: {
      'application/json': {
        schema: { allOf: [schemaRef('Error'), { type: 'object', properties: { error: errorSchema } }] },
        examples,
      },
    },
  };
}

/**
 * The error responses of an operation, one per status, each naming its codes; `internal`
 * (500) is added to every operation. `revision_conflict` goes through `conflict()`.
 */
export function errors(...codes: readonly Exclude<ErrorCode, 'revision_conflict'>[]): Responses {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, 'internal' as const]) {
    const status = ERROR_STATUS[code];
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const responses: Record<string, Response> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = errorResponse(
      status,
      list.map((code) => `\`${code}\`: ${ERROR_CATALOG[code].when}.`).join(' '),
      { type: 'object', properties: { code: { enum: list } } },
      Object.fromEntries(list.map((code) => [code, exampleRef(exampleName(code))])),
    );
  }
  return responses;
}

/** 412 `revision_conflict` carrying the current `entry`, `feed` or `scheduled` entry. */
export function conflict(kind: ConflictKind): Responses {
  return {
    [String(ERROR_STATUS.revision_conflict)]: errorResponse(
      ERROR_STATUS.revision_conflict,
      `\`revision_conflict\`: \`If-Match\` named a revision that has been moved past; \`${kind}\` is the current version: merge and retry with its revision. Nothing changed.`,
      { type: 'object', required: [kind], properties: { code: { const: 'revision_conflict' } } },
      { revision_conflict: exampleRef(conflictName(kind)) },
    ),
  };
}

/**
 * Every error a client can be told about, in one catalog: a stable machine-readable code
 * and its HTTP status. Handlers throw `AppError`; one error handler turns it into
 * `{"error":{"code","message"}}`. Anything else is a bug and becomes a 500 that hides
 * its details.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden_origin: 403,
  route_not_found: 404,
  feed_not_found: 404,
  entry_not_found: 404,
  scheduled_entry_not_found: 404,
  feed_exists: 409,
  too_many_pinned: 409,
  reset: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  revision_conflict: 412,
  idempotency_key_reused: 422,
  rate_limited: 429,
  too_many_connections: 429,
  too_many_auth_failures: 429,
  internal: 500,
  unavailable: 503,
  overloaded: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra machine-readable fields sent alongside code and message (e.g. the invalid field). */
    readonly details?: Readonly<Record<string, unknown>>,
    /** The underlying failure, for logs; never sent to clients. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AppError';
    this.status = ERROR_STATUS[code];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

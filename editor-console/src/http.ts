/**
 * One request to the Liveline API as an editor: bearer token, JSON in and out, and every
 * failure turned into an ApiError that says in words what went wrong (and, for validation
 * errors, which field; for conflicts, the current version).
 */
import { obj } from './parse';

export class ApiError extends Error {
  constructor(
    /** HTTP status, 0 when the server could not be reached. */
    readonly status: number,
    /** The API's error code (`validation_failed`, `revision_conflict` …), or `network` / `bad_answer`. */
    readonly code: string,
    message: string,
    /** The field at fault, as the API names it (`headline`, `authors[0]`, `publishAt` …). */
    readonly field: string | null = null,
    /** The error body (a 412 carries the current `entry`, `feed` or `scheduled` in it). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Request {
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly body?: unknown;
  /** A revision this write is based on: sent as `If-Match: "N"`. */
  readonly ifMatch?: number;
  readonly idempotencyKey?: string;
  /** Needs no token (reader routes). */
  readonly anonymous?: boolean;
}

const sentence = (s: string): string => {
  const t = s.trim();
  return t === '' ? t : t[0]?.toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
};

/** What a person should read for an error body. */
function describe(status: number, code: string, message: string, field: string | null, retryAfter: string | null): string {
  const wait = retryAfter !== null ? ` Try again in ${retryAfter} s.` : '';
  switch (code) {
    case 'unauthorized':
      return 'This editor token was not accepted. Check it and try again.';
    case 'too_many_auth_failures':
      return `Too many failed sign-ins from this address.${wait}`;
    case 'rate_limited':
      return `Too many changes in a short time.${wait}`;
    case 'unavailable':
    case 'overloaded':
      return `The server can't take this right now.${wait || ' Try again in a moment.'}`;
    case 'internal':
      return 'Something went wrong on the server. Try again; if it keeps failing, tell the Liveline team.';
    default: {
      // "headline: must be at most 300 characters": the field is shown by where the message is.
      const text = field !== null && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
      return sentence(text || `The server answered ${status}`);
    }
  }
}

/**
 * Calls the API at `base` (`https://live.example.com/`), as the editor holding `token`;
 * `unauthorized` hears of every 401 to a request that carried the token (it was revoked).
 */
export function createHttp(base: string, token: () => string | null, unauthorized: () => void = () => undefined) {
  return async function request(path: string, req: Request = {}): Promise<unknown> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const t = token();
    if (!req.anonymous && t !== null) headers.Authorization = `Bearer ${t}`;
    if (req.body !== undefined) headers['Content-Type'] = 'application/json';
    if (req.ifMatch !== undefined) headers['If-Match'] = `"${req.ifMatch}"`;
    if (req.idempotencyKey !== undefined) headers['Idempotency-Key'] = req.idempotencyKey;
    let res: Response;
    try {
      res = await fetch(new URL(path.replace(/^\//, ''), base).href, {
        method: req.method ?? 'GET',
        headers,
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        // Editors must see the server's state, never a cached copy of a reader read.
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
      });
    } catch (cause) {
      throw new ApiError(0, 'network', `Could not reach the server (${cause instanceof Error ? cause.message : String(cause)}). Check the connection and try again.`);
    }
    const text = await res.text();
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        throw new ApiError(res.status, 'bad_answer', `The server answered ${res.status} with something that is not JSON.`);
      }
    }
    if (res.ok) return body;
    if (res.status === 401 && headers.Authorization !== undefined) unauthorized();
    const error = typeof body === 'object' && body !== null && 'error' in body ? obj(body.error, 'error') : {};
    const code = typeof error.code === 'string' ? error.code : `http_${res.status}`;
    const field = typeof error.field === 'string' ? error.field : null;
    const message = typeof error.message === 'string' ? error.message : '';
    throw new ApiError(res.status, code, describe(res.status, code, message, field, res.headers.get('retry-after')), field, error);
  };
}

export type Http = ReturnType<typeof createHttp>;

/** A random token for an Idempotency-Key (works outside secure contexts too, unlike randomUUID). */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

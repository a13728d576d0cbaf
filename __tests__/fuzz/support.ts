/**
 * Shared pieces of the property-based fuzzers (fast-check) that run against a real,
 * in-process app: seeds that can be replayed, a counter of unhandled rejections, a
 * keep-alive HTTP client that sends paths and headers exactly as given, the documented
 * routes read from the OpenAPI document, and the check every error answer must pass.
 */
import http from 'node:http';
import fc from 'fast-check';
import { ERROR_STATUS } from '../../server/errors';
import type { Logger } from '../../server/log';
import { openApiDocument } from '../../server/http/openapi';

/** Cases each property runs: the floor the fuzzing issue asks for. */
export const FUZZ_RUNS = 10_000;

/**
 * The seed of one property: `FUZZ_SEED` replays a run (a failure prints the seed and the
 * path fast-check reports), else a fixed one per property so CI is deterministic.
 */
export function fuzzSeed(fixed: number): number {
  const raw = process.env.FUZZ_SEED;
  if (raw === undefined || raw === '') return fixed;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${JSON.stringify(raw)}`);
  return n;
}

/** One line in the test output: "fuzz <name>: N cases, …". */
export function report(name: string, fields: Readonly<Record<string, string | number>>): void {
  const rest = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(', ');
  process.stdout.write(`fuzz ${name}: ${rest}\n`);
}

/**
 * The process itself. Jest gives each test file a copy of `process` whose events never
 * fire (its own listener on the real one fails the running test instead); a function of
 * the host realm, such as `setTimeout`, leads back to the real one.
 */
export function hostProcess(): NodeJS.Process {
  const HostFunction = setTimeout.constructor as FunctionConstructor;
  const real = HostFunction('return process')() as NodeJS.Process;
  if (typeof real?.on !== 'function' || real.pid !== process.pid) throw new Error('cannot reach the host process');
  return real;
}

/** Counts the process's unhandled promise rejections while installed (jest also fails the test on one). */
export class RejectionCounter {
  readonly reasons: unknown[] = [];
  private readonly host = hostProcess();
  private readonly listener = (reason: unknown): void => {
    this.reasons.push(reason);
  };

  install(): void {
    this.host.on('unhandledRejection', this.listener);
  }

  uninstall(): void {
    this.host.off('unhandledRejection', this.listener);
  }

  /** Whether the listener is on the process that really emits the event. */
  installed(): boolean {
    return this.host.listeners('unhandledRejection').includes(this.listener);
  }
}

/** A logger that keeps what the app logs at error level (a 500 logs "request failed"). */
export function recordingLogger(): Logger & { readonly errors: Array<{ msg: string; fields: unknown }> } {
  const errors: Array<{ msg: string; fields: unknown }> = [];
  return {
    errors,
    info: () => undefined,
    warn: () => undefined,
    error: (msg, fields) => {
      errors.push({ msg, fields });
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

export interface RawRequest {
  readonly method: string;
  /** Sent as written (already percent-encoded where it needs to be). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** For a stream (SSE): resolve after the first chunk of the body, then drop the connection. */
  readonly firstChunkOnly?: boolean;
  readonly timeoutMs?: number;
}

/** A keep-alive HTTP/1.1 client for one app; no normalising of paths or headers. */
export class RawClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(private readonly port: number) {}

  request(r: RawRequest): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...(r.headers ?? {}) };
      if (r.body !== undefined) headers['Content-Length'] = Buffer.byteLength(r.body);
      const own = r.firstChunkOnly === true || headers.Upgrade !== undefined; // a stream or a handshake: a connection of its own
      const req = http.request({ host: '127.0.0.1', port: this.port, method: r.method, path: r.path, headers, agent: own ? false : this.agent });
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer within ${r.timeoutMs ?? 10_000} ms to ${r.method} ${r.path}`));
      }, r.timeoutMs ?? 10_000);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      // A WebSocket handshake that succeeded: that is all the test wanted to know.
      req.on('upgrade', (res, socket) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '' });
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        const done = (): void => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') });
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (r.firstChunkOnly === true && (res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
            done();
            res.destroy();
            req.destroy();
          }
        });
        res.on('end', done);
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      req.end(r.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export type ErrorCheck = { readonly ok: true; readonly code: string | null } | { readonly ok: false; readonly why: string };

/**
 * What every answer must be: never a 5xx, and a 4xx carries `{"error":{"code","message"}}`
 * with a code from the catalog whose status is the one sent (or, where the document says
 * so for `route`, is an HTML page: a public page's 404).
 */
export function checkAnswer(res: RawResponse, route?: DocumentedRoute): ErrorCheck {
  if (res.status >= 500) return { ok: false, why: `status ${res.status}: ${res.text.slice(0, 300)}` };
  if (res.status < 400) return { ok: true, code: null };
  if (route?.htmlErrors.has(res.status) === true && (res.headers['content-type'] ?? '').startsWith('text/html')) return { ok: true, code: null };
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch (err) {
    return { ok: false, why: `status ${res.status} with a body that is not JSON (${String(err)}): ${JSON.stringify(res.text.slice(0, 200))}` };
  }
  const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  if (typeof error !== 'object' || error === null || !('code' in error) || !('message' in error)) {
    return { ok: false, why: `status ${res.status} without {error:{code,message}}: ${res.text.slice(0, 200)}` };
  }
  const { code, message } = error;
  if (typeof code !== 'string' || !(code in ERROR_STATUS)) return { ok: false, why: `error code ${JSON.stringify(code)} is not in the catalog` };
  if (typeof message !== 'string' || message === '') return { ok: false, why: `error ${code} without a message` };
  const expected = ERROR_STATUS[code as keyof typeof ERROR_STATUS];
  if (expected !== res.status) return { ok: false, why: `error ${code} sent with ${res.status}, the catalog says ${expected}` };
  return { ok: true, code };
}

export interface DocumentedRoute {
  /** GET, POST, … */
  readonly method: string;
  /** The OpenAPI path: /v1/feeds/{feedId}/entries */
  readonly path: string;
  readonly queryParams: readonly string[];
  readonly headerParams: readonly string[];
  /** Enumerated values of path parameters ({file}), by name. */
  readonly pathEnums: Readonly<Record<string, readonly string[]>>;
  readonly hasBody: boolean;
  readonly editor: boolean;
  /** Error statuses the document says are answered with an HTML page (a public page's 404), not JSON. */
  readonly htmlErrors: ReadonlySet<number>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A parameter of an operation, `$ref`s to the shared ones resolved. */
function resolveParameter(p: unknown): Record<string, unknown> | null {
  if (!isRecord(p)) return null;
  const ref = p.$ref;
  if (typeof ref !== 'string') return p;
  const name = ref.replace('#/components/parameters/', '');
  const shared: unknown = (openApiDocument.components.parameters as Readonly<Record<string, unknown>>)[name];
  return isRecord(shared) ? shared : null;
}

/** Every operation the OpenAPI document describes, so a new route is fuzzed without editing the fuzzers. */
export function documentedRoutes(): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  for (const [path, item] of Object.entries(openApiDocument.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const op: unknown = (item as Readonly<Record<string, unknown>>)[method];
      if (!isRecord(op)) continue;
      const params = (Array.isArray(op.parameters) ? op.parameters : []).map(resolveParameter).filter((p): p is Record<string, unknown> => p !== null);
      const named = (where: string): string[] => params.filter((p) => p.in === where && typeof p.name === 'string').map((p) => p.name as string);
      const pathEnums: Record<string, readonly string[]> = {};
      for (const p of params) {
        const schema = p.schema;
        if (p.in === 'path' && typeof p.name === 'string' && isRecord(schema) && Array.isArray(schema.enum)) pathEnums[p.name] = schema.enum.map(String);
      }
      routes.push({
        method: method.toUpperCase(),
        path,
        queryParams: named('query'),
        headerParams: named('header'),
        pathEnums,
        hasBody: op.requestBody !== undefined,
        htmlErrors: new Set(Object.entries(isRecord(op.responses) ? op.responses : {})
          .filter(([status, r]) => Number(status) >= 400 && isRecord(r) && isRecord(r.content) && 'text/html' in r.content)
          .map(([status]) => Number(status))),
        editor: Array.isArray(op.security) && op.security.length > 0,
      });
    }
  }
  return routes;
}

/** Strings that look like numbers, ids, dates or cursors but aren't quite, and arbitrary ones. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '', ' ', 'NaN', 'Infinity', '-Infinity', '-1', '0', '1', '01', '1e3', '1e309', '0x10', '1.5', '-0', '9007199254740993', '99999999999999999999',
      'null', 'undefined', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype', '\u0000', '\ud800', '%', '%zz', 'ｆｅｅｄ', ' fuzz-fixed', 'FUZZ-FIXED',
      '2026-13-45T25:61:00Z', '2026-12-24T18:00:00', '2026-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '1970-01-01T00:00:00Z',
      '2099-01-01T00:00:00Z', 'yesterday', '<script>alert(1)</script>', '<p></p>', '<img src=x onerror=alert(1)>', '&nbsp;', '\u200b', 'a'.repeat(65), 'x'.repeat(5001),
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,63}$/) },
  { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) },
);

/** A JSON value of the wrong kind for most fields: numbers huge and negative, nesting, nulls. */
export const oddJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 60, arbitrary: oddString },
  { weight: 40, arbitrary: fc.integer() },
  { weight: 40, arbitrary: fc.constantFrom(0, -1, 1, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e308, -1e308, 1.5, Number.MIN_VALUE) },
  { weight: 20, arbitrary: fc.double({ noNaN: true }) },
  { weight: 20, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 20, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  // Rare and big: near and over the 256 KiB body limit.
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 * 1024 }).map((n) => 'h'.repeat(n)) },
);

/** Percent-encodes every byte of `s` (UTF-8) that is not unreserved; lone surrogates become U+FFFD. */
export function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

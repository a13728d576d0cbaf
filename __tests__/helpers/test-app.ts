import { startApp, type AppOptions, type RunningApp } from '../../server/app';
import { loadConfig } from '../../server/config';

export const EDITOR_TOKEN = 'test-editor-token-0123456789abcdef';

/** Limits lifted for tests that post and connect a lot from one address (the limit tests set their own). */
export const UNLIMITED = {
  LIVELINE_EDITOR_WRITES_PER_MINUTE: '1000000',
  LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '100000',
  LIVELINE_MAX_CONNECTIONS_PER_IP: '100000',
  LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '100000',
  LIVELINE_AUTH_FAILURES_PER_MINUTE: '100000',
  LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND: '100000000',
  // Tests run side by side: each node's metrics listener takes a free port.
  LIVELINE_METRICS_PORT: '0',
} as const;

/** Starts the embedded app on a free loopback port with a known editor token. */
export async function startTestApp(env: Record<string, string> = {}, options: AppOptions = {}): Promise<RunningApp> {
  // No drain window and no write or connection-rate limits unless a test asks for them,
  // and quick readiness checks.
  const config = loadConfig({ ...UNLIMITED, PORT: '0', HOST: '127.0.0.1', LIVELINE_EDITOR_TOKENS: `desk:${EDITOR_TOKEN}`, LIVELINE_DRAIN_MS: '0', ...env });
  return startApp(config, { demo: false, readiness: { intervalMs: 100, probeTimeoutMs: 500 }, ...options });
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** A small HTTP client for the API, authenticated as the test editor unless told otherwise. */
export function api(app: RunningApp, token: string | null = EDITOR_TOKEN) {
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> => {
    const res = await fetch(`${app.url}${path}`, {
      method,
      headers: {
        ...(token !== null ? { Authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as unknown) };
  };
  return {
    call,
    get: (path: string, headers?: Record<string, string>) => call('GET', path, undefined, headers),
    post: (path: string, body: unknown, headers?: Record<string, string>) => call('POST', path, body, headers),
    patch: (path: string, body: unknown) => call('PATCH', path, body),
    delete: (path: string) => call('DELETE', path),
    createFeed: async (id: string, extra: Record<string, unknown> = {}) => {
      const res = await call('POST', '/v1/feeds', { id, title: `Live updates: ${id}`, ...extra });
      if (res.status !== 201) throw new Error(`createFeed ${id}: ${res.status} ${JSON.stringify(res.body)}`);
      return res;
    },
    postEntry: async (feed: string, headline: string, extra: Record<string, unknown> = {}) => {
      const res = await call('POST', `/v1/feeds/${feed}/entries`, { headline, body: `<p>${headline}</p>`, ...extra });
      if (res.status !== 201) throw new Error(`postEntry ${feed}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { entry: { id: string; headline: string }; seq: number };
    },
  };
}

/**
 * Resolves when GET /readyz answers `status`: a bounded poll, since readiness is the
 * node's verdict about an outside system (Redis) and has no event a test can wait on.
 */
export async function readyz(app: RunningApp, status: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${app.url}/readyz`);
    if (res.status === status) return;
    if (Date.now() > deadline) throw new Error(`/readyz stayed ${res.status}, expected ${status}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}

/** The value of one Prometheus sample from the app's metrics listener (0 when absent). */
export async function metricValue(app: RunningApp, sample: string): Promise<number> {
  const text = await (await fetch(app.metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

/**
 * Resolves with the sample's value once `until(value)` holds: a bounded poll, for what
 * the server counts with no event a test can wait on (a reader it closed, a read it made).
 */
export async function waitForMetric(app: RunningApp, sample: string, until: (value: number) => boolean, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await metricValue(app, sample);
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`${sample} stayed ${value}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Configuration, read once from the environment by `loadConfig`. Nothing else in the
 * server reads `process.env`. Every bad value is reported at once, in one error.
 */
import { isIP } from 'node:net';

export interface EditorToken {
  /** Recorded with every change the token makes, as the actor. */
  readonly name: string;
  readonly token: string;
}

export interface Config {
  /** `PORT`, default 8080; 0 picks a free port. */
  readonly port: number;
  /** `HOST`, default 127.0.0.1 (set 0.0.0.0 to listen on every interface, e.g. in a container). */
  readonly host: string;
  /** `REDIS_URL`; null selects the embedded in-memory store and broker. */
  readonly redisUrl: string | null;
  /** `LIVELINE_REDIS_PREFIX`, default `ll`: the first part of every Redis key and channel. */
  readonly redisPrefix: string;
  /** `LIVELINE_EDITOR_TOKENS` (`name:token,name:token`); empty means "generate one at start-up". */
  readonly editorTokens: readonly EditorToken[];
  /** `LIVELINE_ALLOWED_ORIGINS` (comma-separated origins, or `*`); null allows any Origin. */
  readonly allowedOrigins: readonly string[] | null;
  /** `LIVELINE_HISTORY_SIZE`, default 1000: events kept per feed for resume. */
  readonly historySize: number;
  /** `LIVELINE_DRAIN_MS`, default 10 000: on shutdown, readers are sent away spread over this window. */
  readonly drainMs: number;
  /** `LIVELINE_TRUST_PROXY` (`1`/`0`), default 0: take the client address from X-Forwarded-For (behind a load balancer). */
  readonly trustProxy: boolean;
  /** `LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
  readonly limits: Limits;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Protective limits; each refusal is documented in the README with its code. */
export interface Limits {
  /** `LIVELINE_MAX_CONNECTIONS`, default 20 000: readers (WebSocket + SSE) per node; beyond, 503 `overloaded`. */
  readonly maxConnections: number;
  /** `LIVELINE_CONNECTIONS_PER_IP_PER_SECOND`, default 100 (bursts of twice that): new reader connections per client address (many readers share one behind carrier NAT); beyond, 429 `rate_limited`. */
  readonly connectionsPerIpPerSecond: number;
  /** `LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION`, default 50: feeds on one WebSocket; beyond, error frame `too_many_subscriptions`. */
  readonly maxSubscriptionsPerConnection: number;
  /** `LIVELINE_EDITOR_WRITES_PER_MINUTE`, default 300: writes per editor token per minute (across all nodes on Redis); beyond, 429 `rate_limited`. */
  readonly editorWritesPerMinute: number;
  /** `LIVELINE_HEADERS_TIMEOUT_MS`, default 10 000: time for a client to send its request headers (slow-loris guard). */
  readonly headersTimeoutMs: number;
  /** `LIVELINE_IDLE_HANDSHAKE_MS`, default 30 000: a WebSocket that subscribes to nothing for this long is closed (4002). */
  readonly idleHandshakeMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const MIN_TOKEN_LENGTH = 16;

export function loadConfig(env: Readonly<Record<string, string | undefined>>): Readonly<Config> {
  const problems: string[] = [];
  const value = (key: string): string | undefined => {
    const raw = env[key]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };

  const port = parseIntIn(value('PORT'), 8080, 0, 65535, 'PORT', problems);
  const host = value('HOST') ?? '127.0.0.1';
  if (isIP(host) === 0 && host !== 'localhost') problems.push(`HOST: "${host}" is not an IP address or localhost`);

  const redisUrl = value('REDIS_URL') ?? null;
  if (redisUrl !== null && !isRedisUrl(redisUrl)) problems.push('REDIS_URL: must be a URL like redis://host:6379 or rediss://host:6380');
  const redisPrefix = value('LIVELINE_REDIS_PREFIX') ?? 'll';
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(redisPrefix)) problems.push('LIVELINE_REDIS_PREFIX: 1-32 characters of letters, digits, _ . -');

  const editorTokens = parseTokens(value('LIVELINE_EDITOR_TOKENS'), problems);
  const allowedOrigins = parseOrigins(value('LIVELINE_ALLOWED_ORIGINS'), problems);
  const historySize = parseIntIn(value('LIVELINE_HISTORY_SIZE'), 1000, 10, 1_000_000, 'LIVELINE_HISTORY_SIZE', problems);
  const drainMs = parseIntIn(value('LIVELINE_DRAIN_MS'), 10_000, 0, 600_000, 'LIVELINE_DRAIN_MS', problems);
  const trustProxy = parseBool(value('LIVELINE_TRUST_PROXY'), 'LIVELINE_TRUST_PROXY', problems);
  const logLevel = value('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
  const int = (key: string, fallback: number, min: number, max: number): number => parseIntIn(value(key), fallback, min, max, key, problems);
  const limits: Limits = Object.freeze({
    maxConnections: int('LIVELINE_MAX_CONNECTIONS', 20_000, 1, 10_000_000),
    connectionsPerIpPerSecond: int('LIVELINE_CONNECTIONS_PER_IP_PER_SECOND', 100, 1, 1_000_000),
    maxSubscriptionsPerConnection: int('LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION', 50, 1, 10_000),
    editorWritesPerMinute: int('LIVELINE_EDITOR_WRITES_PER_MINUTE', 300, 1, 1_000_000),
    headersTimeoutMs: int('LIVELINE_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    idleHandshakeMs: int('LIVELINE_IDLE_HANDSHAKE_MS', 30_000, 100, 3_600_000),
  });

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    port, host, redisUrl, redisPrefix, editorTokens, allowedOrigins, historySize, drainMs, trustProxy, logLevel: logLevel as LogLevel, limits,
  });
}

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];

function parseBool(raw: string | undefined, key: string, problems: string[]): boolean {
  if (raw === undefined || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  problems.push(`${key}: must be 1 or 0`);
  return false;
}

function isRedisUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The URL with any password replaced, for logs and the start-up banner. */
export function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

function parseIntIn(raw: string | undefined, fallback: number, min: number, max: number, key: string, problems: string[]): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
    problems.push(`${key}: "${raw}" must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

function parseTokens(raw: string | undefined, problems: string[]): readonly EditorToken[] {
  if (raw === undefined) return Object.freeze([]);
  const tokens: EditorToken[] = [];
  const names = new Set<string>();
  for (const [i, pair] of raw.split(',').entries()) {
    const at = pair.indexOf(':');
    const name = pair.slice(0, at).trim();
    const token = pair.slice(at + 1).trim();
    if (at < 0 || !TOKEN_NAME.test(name)) {
      problems.push(`LIVELINE_EDITOR_TOKENS: item ${i + 1} must be name:token with a name of letters, digits, _ . -`);
    } else if (token.length < MIN_TOKEN_LENGTH || /[\s,]/.test(token)) {
      problems.push(`LIVELINE_EDITOR_TOKENS: the token for "${name}" must be at least ${MIN_TOKEN_LENGTH} characters without spaces`);
    } else if (names.has(name)) {
      problems.push(`LIVELINE_EDITOR_TOKENS: the name "${name}" appears twice`);
    } else {
      names.add(name);
      tokens.push(Object.freeze({ name, token }));
    }
  }
  return Object.freeze(tokens);
}

function parseOrigins(raw: string | undefined, problems: string[]): readonly string[] | null {
  if (raw === undefined || raw === '*') return null;
  const origins: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    let origin: string | null = null;
    try {
      origin = new URL(item).origin;
    } catch {
      origin = null;
    }
    if (origin === null || origin === 'null' || origin !== item.replace(/\/$/, '')) {
      problems.push(`LIVELINE_ALLOWED_ORIGINS: "${item}" is not an origin like https://news.example.com`);
    } else {
      origins.push(origin);
    }
  }
  return Object.freeze(origins);
}

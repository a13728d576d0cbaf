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
  /**
   * `REDIS_CLUSTER_NODES` (`host:port,host:port`): seed nodes of a Redis Cluster, used
   * instead of REDIS_URL (the two are mutually exclusive); null when unset.
   */
  readonly redisClusterNodes: readonly RedisNode[] | null;
  /**
   * `REDIS_SENTINELS` (`host:port,host:port`) with `REDIS_SENTINEL_NAME`: Redis Sentinel
   * tells which server is the primary of that name, and again after a failover. Exclusive
   * with REDIS_URL and REDIS_CLUSTER_NODES; null when unset.
   */
  readonly redisSentinels: { readonly nodes: readonly RedisNode[]; readonly name: string } | null;
  /**
   * `LIVELINE_REDIS_MIN_REPLICAS`: replicas that must confirm a write (Redis WAIT) before it
   * is announced to readers and acknowledged; when they don't within
   * LIVELINE_REDIS_WAIT_TIMEOUT_MS the write answers 503 `unavailable` (retry with the same
   * Idempotency-Key). null (unset): 1 when the primary/masters have replicas at start-up, else 0.
   */
  readonly redisMinReplicas: number | null;
  /** `LIVELINE_REDIS_WAIT_TIMEOUT_MS`, default 1000: how long a write waits for its replicas. */
  readonly redisWaitTimeoutMs: number;
  /** `REDIS_PASSWORD`: used when REDIS_URL carries none (keeps the secret out of the URL), for every Cluster node, and for the Sentinel's primary and replicas. */
  readonly redisPassword: string | null;
  /** `LIVELINE_REDIS_PREFIX`, default `ll`: the first part of every Redis key and channel. */
  readonly redisPrefix: string;
  /** `LIVELINE_EDITOR_TOKENS` (`name:token,name:token`); empty means "generate one at start-up". */
  readonly editorTokens: readonly EditorToken[];
  /** `LIVELINE_ALLOWED_ORIGINS` (comma-separated origins, or `*`); null allows any Origin. LIVELINE_PUBLIC_URL's origin is always on it. */
  readonly allowedOrigins: readonly string[] | null;
  /** `LIVELINE_HISTORY_SIZE`, default 1000: events kept per feed for resume. */
  readonly historySize: number;
  /** `LIVELINE_DRAIN_MS`, default 10 000: on shutdown, readers are sent away spread over this window. */
  readonly drainMs: number;
  /** `LIVELINE_TRUST_PROXY` (`1`/`0`), default 0: take the client address from X-Forwarded-For (behind a load balancer). */
  readonly trustProxy: boolean;
  /** `LIVELINE_METRICS_PORT`, default 9464: Prometheus `/metrics` listens here, never on the public port; 0 picks a free port. */
  readonly metricsPort: number;
  /** `LIVELINE_METRICS_HOST`, default HOST: the address the metrics listener binds. */
  readonly metricsHost: string;
  /** `LOG_LEVEL`, default `info`. */
  readonly logLevel: LogLevel;
  readonly limits: Limits;
  readonly pages: PagesConfig;
  readonly cache: CacheConfig;
}

/** The public live-blog pages (`/feeds/:feedId`, `…/embed`). */
export interface PagesConfig {
  /**
   * `LIVELINE_PUBLIC_URL` (e.g. `https://live.example.com`), default none: the base of every
   * canonical and shared URL the pages print. Set it in production: without it the request's
   * own scheme and Host are used, which a cache in front would then store for everyone.
   */
  readonly publicUrl: string | null;
  /** `LIVELINE_PUBLISHER_NAME`, default `Liveline`: schema.org `publisher.name` and `og:site_name`. */
  readonly publisherName: string;
  /** `LIVELINE_PUBLISHER_LOGO_URL`, default none: schema.org `publisher.logo` (an absolute https URL). */
  readonly publisherLogoUrl: string | null;
}

/** How long shared caches (a CDN, nginx `proxy_cache`) may keep readers' reads. */
export interface CacheConfig {
  /** `LIVELINE_CACHE_MAX_AGE_S`, default 5: `max-age` of snapshots, entry pages, the public page and the embed. 0: revalidate every time. */
  readonly maxAgeSeconds: number;
  /** `LIVELINE_CACHE_STALE_WHILE_REVALIDATE_S`, default 30: `stale-while-revalidate`: a cache may answer from a stale copy this long while it refetches. */
  readonly staleWhileRevalidateSeconds: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * Protective limits; each refusal is documented in the README with its code and counted
 * in `liveline_refused_total{limit}`. "Per address" means per client address (the one the
 * balancer reports with LIVELINE_TRUST_PROXY), IPv6 counted per /64.
 */
export interface Limits {
  /** `LIVELINE_MAX_CONNECTIONS`, default 20 000: readers (WebSocket + SSE) per node; beyond, 503 `overloaded`. */
  readonly maxConnections: number;
  /** `LIVELINE_MAX_CONNECTIONS_PER_IP`, default 200: readers held open at once per address (many readers share one behind carrier NAT); beyond, 429 `too_many_connections`. */
  readonly maxConnectionsPerIp: number;
  /** `LIVELINE_CONNECTIONS_PER_IP_PER_SECOND`, default 100 (bursts of twice that): new reader connections per address; beyond, 429 `rate_limited`. */
  readonly connectionsPerIpPerSecond: number;
  /** `LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND`, default 50 (bursts of twice that): snapshot, entries, events and stream requests per address; beyond, 429 `rate_limited`. */
  readonly readerRequestsPerIpPerSecond: number;
  /** `LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION`, default 50: feeds on one WebSocket; beyond, error frame `too_many_subscriptions`. */
  readonly maxSubscriptionsPerConnection: number;
  /** `LIVELINE_FRAMES_PER_SECOND`, default 20 (bursts of 100): frames a reader may send on one WebSocket; beyond, error frame `rate_limited`, then close 4429. */
  readonly framesPerSecond: number;
  /** `LIVELINE_SUBSCRIBES_PER_MINUTE`, default 120 (all at once if need be): subscribe frames per WebSocket; beyond, error frame `rate_limited` for that feed. */
  readonly subscribesPerMinute: number;
  /** `LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND`, default 1000 (bursts of ten times that): events resumes may replay to one address's readers; beyond, the subscribe is answered with error frame `rate_limited` (subscribe again later). */
  readonly replayEventsPerIpPerSecond: number;
  /** `LIVELINE_MAX_RESUME_EVENTS`, default 256: events one resume may replay; a reader further behind gets `reset` (`too_far_behind`) and reloads the snapshot. Also the events each feed keeps in memory. */
  readonly maxResumeEvents: number;
  /** `LIVELINE_STALL_TIMEOUT_MS`, default 30 000: a reader whose connection drains nothing this long while data waits (or leaves our ping unanswered) is closed. */
  readonly stallTimeoutMs: number;
  /** `LIVELINE_EDITOR_WRITES_PER_MINUTE`, default 300: writes per editor token per minute (across all nodes on Redis); beyond, 429 `rate_limited`. */
  readonly editorWritesPerMinute: number;
  /** `LIVELINE_AUTH_FAILURES_PER_MINUTE`, default 5: failed editor authentications per address per minute per node (a bucket refilling at that rate); once used up, 429 `too_many_auth_failures` for every editor request from it, even with the right token, until the bucket refills. */
  readonly authFailuresPerMinute: number;
  /** `LIVELINE_MAX_PINNED_PER_FEED`, default 5: pinned entries per feed; pinning one more is refused with 409 `too_many_pinned`. */
  readonly maxPinnedPerFeed: number;
  /** `LIVELINE_HEADERS_TIMEOUT_MS`, default 10 000: time for a client to send its request headers (slow-loris guard). */
  readonly headersTimeoutMs: number;
  /** `LIVELINE_IDLE_HANDSHAKE_MS`, default 30 000: a WebSocket that subscribes to nothing for this long is closed (4002). */
  readonly idleHandshakeMs: number;
}

/** One Redis Cluster seed node, or one Sentinel. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const TOKEN_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Editor tokens shorter than this are refused: 32 random characters can't be guessed online. */
export const MIN_TOKEN_LENGTH = 32;

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
  const redisClusterNodes = parseNodes('REDIS_CLUSTER_NODES', value('REDIS_CLUSTER_NODES'), problems);
  const sentinelNodes = parseNodes('REDIS_SENTINELS', value('REDIS_SENTINELS'), problems);
  const sentinelName = value('REDIS_SENTINEL_NAME') ?? null;
  if ((sentinelNodes === null) !== (sentinelName === null)) problems.push('REDIS_SENTINELS and REDIS_SENTINEL_NAME: set both (the Sentinels, and the name they know the primary by, e.g. mymaster) or neither');
  const redisSentinels = sentinelNodes !== null && sentinelName !== null ? Object.freeze({ nodes: sentinelNodes, name: sentinelName }) : null;
  const given: ReadonlyArray<readonly [string, boolean]> = [['REDIS_URL', redisUrl !== null], ['REDIS_CLUSTER_NODES', redisClusterNodes !== null], ['REDIS_SENTINELS', sentinelNodes !== null]];
  const targets = given.filter(([, set]) => set).map(([key]) => key);
  if (targets.length > 1) {
    problems.push(`${targets.join(' and ')}: set only one (a single Redis, the seed nodes of a Redis Cluster, or the Sentinels of a primary with replicas)`);
  }
  const production = targets.length > 0;
  const redisPassword = value('REDIS_PASSWORD') ?? null;
  if (redisPassword !== null && !production) problems.push('REDIS_PASSWORD: set only together with REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS');
  const minReplicasRaw = value('LIVELINE_REDIS_MIN_REPLICAS');
  const redisMinReplicas = minReplicasRaw === undefined ? null : parseIntIn(minReplicasRaw, 0, 0, 16, 'LIVELINE_REDIS_MIN_REPLICAS', problems);
  const redisWaitTimeoutMs = parseIntIn(value('LIVELINE_REDIS_WAIT_TIMEOUT_MS'), 1000, 10, 60_000, 'LIVELINE_REDIS_WAIT_TIMEOUT_MS', problems);
  const redisPrefix = value('LIVELINE_REDIS_PREFIX') ?? 'll';
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(redisPrefix)) problems.push('LIVELINE_REDIS_PREFIX: 1-32 characters of letters, digits, _ . -');

  const editorTokens = parseTokens(value('LIVELINE_EDITOR_TOKENS'), problems);
  if (production && value('LIVELINE_EDITOR_TOKENS') === undefined) {
    // A generated token is printed to the console: fine for trying Liveline out, not for a
    // fleet of nodes that must all accept the same editors.
    problems.push(`LIVELINE_EDITOR_TOKENS: required in production mode (${targets[0] ?? ''} is set): name:token pairs, `
      + `tokens of at least ${MIN_TOKEN_LENGTH} characters, e.g. LIVELINE_EDITOR_TOKENS=desk:$(openssl rand -hex 24)`);
  }
  const allowedOrigins = parseOrigins(value('LIVELINE_ALLOWED_ORIGINS'), problems);
  const historySize = parseIntIn(value('LIVELINE_HISTORY_SIZE'), 1000, 10, 1_000_000, 'LIVELINE_HISTORY_SIZE', problems);
  const drainMs = parseIntIn(value('LIVELINE_DRAIN_MS'), 10_000, 0, 600_000, 'LIVELINE_DRAIN_MS', problems);
  const trustProxy = parseBool(value('LIVELINE_TRUST_PROXY'), 'LIVELINE_TRUST_PROXY', problems);
  const metricsPort = parseIntIn(value('LIVELINE_METRICS_PORT'), 9464, 0, 65535, 'LIVELINE_METRICS_PORT', problems);
  if (metricsPort !== 0 && metricsPort === port) problems.push('LIVELINE_METRICS_PORT: must differ from PORT (metrics are never served on the public port)');
  const metricsHost = value('LIVELINE_METRICS_HOST') ?? host;
  if (metricsHost !== host && isIP(metricsHost) === 0 && metricsHost !== 'localhost') problems.push(`LIVELINE_METRICS_HOST: "${metricsHost}" is not an IP address or localhost`);
  const logLevel = value('LOG_LEVEL') ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);
  const int = (key: string, fallback: number, min: number, max: number): number => parseIntIn(value(key), fallback, min, max, key, problems);
  const limits: Limits = Object.freeze({
    maxConnections: int('LIVELINE_MAX_CONNECTIONS', 20_000, 1, 10_000_000),
    maxConnectionsPerIp: int('LIVELINE_MAX_CONNECTIONS_PER_IP', 200, 1, 10_000_000),
    connectionsPerIpPerSecond: int('LIVELINE_CONNECTIONS_PER_IP_PER_SECOND', 100, 1, 1_000_000),
    readerRequestsPerIpPerSecond: int('LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND', 50, 1, 1_000_000),
    maxSubscriptionsPerConnection: int('LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION', 50, 1, 10_000),
    framesPerSecond: int('LIVELINE_FRAMES_PER_SECOND', 20, 1, 100_000),
    subscribesPerMinute: int('LIVELINE_SUBSCRIBES_PER_MINUTE', 120, 1, 1_000_000),
    replayEventsPerIpPerSecond: int('LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND', 1000, 1, 100_000_000),
    maxResumeEvents: int('LIVELINE_MAX_RESUME_EVENTS', 256, 1, 100_000),
    stallTimeoutMs: int('LIVELINE_STALL_TIMEOUT_MS', 30_000, 300, 3_600_000),
    editorWritesPerMinute: int('LIVELINE_EDITOR_WRITES_PER_MINUTE', 300, 1, 1_000_000),
    authFailuresPerMinute: int('LIVELINE_AUTH_FAILURES_PER_MINUTE', 5, 1, 1_000_000),
    maxPinnedPerFeed: int('LIVELINE_MAX_PINNED_PER_FEED', 5, 0, 1000),
    headersTimeoutMs: int('LIVELINE_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
    idleHandshakeMs: int('LIVELINE_IDLE_HANDSHAKE_MS', 30_000, 100, 3_600_000),
  });

  const publicUrl = value('LIVELINE_PUBLIC_URL') ?? null;
  if (publicUrl !== null && !isHttpBase(publicUrl)) problems.push('LIVELINE_PUBLIC_URL: must be an http(s) URL without query or fragment, e.g. https://live.example.com');
  const publisherLogoUrl = value('LIVELINE_PUBLISHER_LOGO_URL') ?? null;
  if (publisherLogoUrl !== null && !isHttpBase(publisherLogoUrl)) problems.push('LIVELINE_PUBLISHER_LOGO_URL: must be an absolute http(s) URL');
  const pages = Object.freeze({
    publicUrl: publicUrl?.replace(/\/+$/, '') ?? null,
    publisherName: value('LIVELINE_PUBLISHER_NAME') ?? 'Liveline',
    publisherLogoUrl,
  });
  const cache = Object.freeze({
    maxAgeSeconds: parseIntIn(value('LIVELINE_CACHE_MAX_AGE_S'), 5, 0, 86_400, 'LIVELINE_CACHE_MAX_AGE_S', problems),
    staleWhileRevalidateSeconds: parseIntIn(value('LIVELINE_CACHE_STALE_WHILE_REVALIDATE_S'), 30, 0, 86_400, 'LIVELINE_CACHE_STALE_WHILE_REVALIDATE_S', problems),
  });

  if (problems.length > 0) throw new ConfigError(problems);
  // The public pages connect back to this server: its own origin is always allowed.
  const ownOrigin = pages.publicUrl === null ? null : new URL(pages.publicUrl).origin;
  const origins = allowedOrigins === null || ownOrigin === null || allowedOrigins.includes(ownOrigin) ? allowedOrigins : [...allowedOrigins, ownOrigin];
  return Object.freeze({
    port, host, redisUrl, redisClusterNodes, redisSentinels, redisMinReplicas, redisWaitTimeoutMs, redisPassword, redisPrefix, editorTokens, allowedOrigins: origins, historySize, drainMs, trustProxy, metricsPort, metricsHost,
    logLevel: logLevel as LogLevel, limits, pages, cache,
  });
}

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error', 'silent'];

function parseBool(raw: string | undefined, key: string, problems: string[]): boolean {
  if (raw === undefined || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  problems.push(`${key}: must be 1 or 0`);
  return false;
}

function isHttpBase(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && url.search === '' && url.hash === '' && url.username === '';
  } catch {
    return false;
  }
}

function isRedisUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Whether Redis connections authenticate (a password in REDIS_URL or REDIS_PASSWORD). */
export function redisAuthenticates(config: Pick<Config, 'redisUrl' | 'redisPassword'> & Partial<Pick<Config, 'redisClusterNodes' | 'redisSentinels'>>): boolean {
  if ((config.redisClusterNodes ?? null) !== null || (config.redisSentinels ?? null) !== null) return config.redisPassword !== null;
  if (config.redisUrl === null) return false;
  return config.redisPassword !== null || new URL(config.redisUrl).password !== '';
}

/** The URL with any password replaced, for logs and the start-up banner. */
export function redactUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/** `host:port,host:port` (an IPv6 host in brackets: `[::1]:7000`); null when unset. */
function parseNodes(key: string, raw: string | undefined, problems: string[]): readonly RedisNode[] | null {
  if (raw === undefined) return null;
  const nodes: RedisNode[] = [];
  for (const [i, item] of raw.split(',').map((s) => s.trim()).entries()) {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(item);
    const host = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    if (host === undefined || (match?.[1] !== undefined && isIP(host) !== 6) || !Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`${key}: item ${i + 1} ("${item}") must be host:port, e.g. redis-1.internal:6379`);
    } else {
      nodes.push(Object.freeze({ host, port }));
    }
  }
  return Object.freeze(nodes);
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

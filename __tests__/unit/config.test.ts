import { ConfigError, loadConfig, redactUrl, redisAuthenticates } from '../../server/config';

describe('loadConfig', () => {
  it('defaults to the embedded single node on 127.0.0.1:8080', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 8080, host: '127.0.0.1', redisUrl: null, redisClusterNodes: null, redisSentinels: null, redisMinReplicas: null, redisWaitTimeoutMs: 1000, redisPassword: null, redisPrefix: 'll', editorTokens: [], allowedOrigins: null, historySize: 1000,
      drainMs: 10_000, trustProxy: false, metricsPort: 9464, metricsHost: '127.0.0.1', logLevel: 'info',
      limits: {
        maxConnections: 20_000, maxConnectionsPerIp: 200, connectionsPerIpPerSecond: 100, readerRequestsPerIpPerSecond: 50,
        maxSubscriptionsPerConnection: 50, framesPerSecond: 20, subscribesPerMinute: 120, replayEventsPerIpPerSecond: 1000, maxResumeEvents: 256, stallTimeoutMs: 30_000,
        editorWritesPerMinute: 300, authFailuresPerMinute: 5, maxPinnedPerFeed: 5, headersTimeoutMs: 10_000, idleHandshakeMs: 30_000,
      },
      pages: { publicUrl: null, publisherName: 'Liveline', publisherLogoUrl: null },
      cache: { maxAgeSeconds: 5, staleWhileRevalidateSeconds: 30 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads REDIS_CLUSTER_NODES as seed nodes, refuses a bad item, and refuses it together with REDIS_URL', () => {
    const tokens = `desk:${'a'.repeat(32)}`;
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000, 10.0.0.2:7001,[::1]:7002', LIVELINE_EDITOR_TOKENS: tokens, REDIS_PASSWORD: 'pw' })).toMatchObject({
      redisUrl: null, redisPassword: 'pw', redisClusterNodes: [{ host: 'redis-1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }],
    });
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000,redis-2', LIVELINE_EDITOR_TOKENS: tokens })).toThrow(/REDIS_CLUSTER_NODES: item 2/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:70000', LIVELINE_EDITOR_TOKENS: tokens })).toThrow(/REDIS_CLUSTER_NODES: item 1/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000', REDIS_URL: 'redis://r:6379', LIVELINE_EDITOR_TOKENS: tokens }))
      .toThrow(/REDIS_URL and REDIS_CLUSTER_NODES: set only one/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'redis-1:7000' })).toThrow(/LIVELINE_EDITOR_TOKENS: required in production mode \(REDIS_CLUSTER_NODES is set\)/);
  });

  it('reads REDIS_SENTINELS with REDIS_SENTINEL_NAME, the replicas to wait for and how long, and refuses what does not fit', () => {
    const tokens = `desk:${'a'.repeat(32)}`;
    expect(loadConfig({
      REDIS_SENTINELS: 's1:26379,10.0.0.3:26380', REDIS_SENTINEL_NAME: 'mymaster', LIVELINE_EDITOR_TOKENS: tokens,
      LIVELINE_REDIS_MIN_REPLICAS: '2', LIVELINE_REDIS_WAIT_TIMEOUT_MS: '250',
    })).toMatchObject({
      redisUrl: null, redisClusterNodes: null, redisMinReplicas: 2, redisWaitTimeoutMs: 250,
      redisSentinels: { name: 'mymaster', nodes: [{ host: 's1', port: 26379 }, { host: '10.0.0.3', port: 26380 }] },
    });
    expect(() => loadConfig({ REDIS_SENTINELS: 's1:26379', LIVELINE_EDITOR_TOKENS: tokens })).toThrow(/REDIS_SENTINELS and REDIS_SENTINEL_NAME: set both/);
    expect(() => loadConfig({ REDIS_SENTINEL_NAME: 'mymaster', LIVELINE_EDITOR_TOKENS: tokens })).toThrow(/REDIS_SENTINELS and REDIS_SENTINEL_NAME: set both/);
    expect(() => loadConfig({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'm', LIVELINE_EDITOR_TOKENS: tokens })).toThrow(/REDIS_SENTINELS: item 1/);
    expect(() => loadConfig({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://r:6379', LIVELINE_EDITOR_TOKENS: tokens }))
      .toThrow(/REDIS_URL and REDIS_SENTINELS: set only one/);
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379', LIVELINE_EDITOR_TOKENS: tokens, LIVELINE_REDIS_MIN_REPLICAS: 'one' })).toThrow(/LIVELINE_REDIS_MIN_REPLICAS/);
    expect(() => loadConfig({ REDIS_URL: 'redis://r:6379', LIVELINE_EDITOR_TOKENS: tokens, LIVELINE_REDIS_WAIT_TIMEOUT_MS: '0' })).toThrow(/LIVELINE_REDIS_WAIT_TIMEOUT_MS/);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      LIVELINE_EDITOR_TOKENS: 'alice:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bob:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
      LIVELINE_ALLOWED_ORIGINS: 'https://news.example.com, http://localhost:3000',
      LIVELINE_HISTORY_SIZE: '50',
      REDIS_URL: 'redis://:secret@redis.internal:6380/0',
      LIVELINE_REDIS_PREFIX: 'news',
      LIVELINE_DRAIN_MS: '2500',
      LIVELINE_TRUST_PROXY: '1',
      LOG_LEVEL: 'warn',
      LIVELINE_MAX_CONNECTIONS: '500',
      LIVELINE_CONNECTIONS_PER_IP_PER_SECOND: '5',
      LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION: '3',
      LIVELINE_EDITOR_WRITES_PER_MINUTE: '60',
      LIVELINE_HEADERS_TIMEOUT_MS: '4000',
      LIVELINE_IDLE_HANDSHAKE_MS: '1500',
      LIVELINE_MAX_CONNECTIONS_PER_IP: '7',
      LIVELINE_READER_REQUESTS_PER_IP_PER_SECOND: '8',
      LIVELINE_FRAMES_PER_SECOND: '9',
      LIVELINE_SUBSCRIBES_PER_MINUTE: '10',
      LIVELINE_MAX_RESUME_EVENTS: '11',
      LIVELINE_REPLAY_EVENTS_PER_IP_PER_SECOND: '15',
      LIVELINE_STALL_TIMEOUT_MS: '1200',
      LIVELINE_AUTH_FAILURES_PER_MINUTE: '13',
      LIVELINE_MAX_PINNED_PER_FEED: '14',
      LIVELINE_METRICS_PORT: '9100',
      LIVELINE_METRICS_HOST: '10.0.0.5',
      REDIS_PASSWORD: 'pw',
      LIVELINE_PUBLIC_URL: 'https://live.example.com/',
      LIVELINE_PUBLISHER_NAME: 'The Daily Example',
      LIVELINE_PUBLISHER_LOGO_URL: 'https://cdn.example.com/logo.png',
      LIVELINE_CACHE_MAX_AGE_S: '3',
      LIVELINE_CACHE_STALE_WHILE_REVALIDATE_S: '40',
    });
    expect(config).toMatchObject({
      pages: { publicUrl: 'https://live.example.com', publisherName: 'The Daily Example', publisherLogoUrl: 'https://cdn.example.com/logo.png' },
      cache: { maxAgeSeconds: 3, staleWhileRevalidateSeconds: 40 },
      redisUrl: 'redis://:secret@redis.internal:6380/0',
      redisPrefix: 'news',
      drainMs: 2500,
      trustProxy: true,
      logLevel: 'warn',
      limits: {
        maxConnections: 500, connectionsPerIpPerSecond: 5, maxSubscriptionsPerConnection: 3,
        editorWritesPerMinute: 60, headersTimeoutMs: 4000, idleHandshakeMs: 1500,
        maxConnectionsPerIp: 7, readerRequestsPerIpPerSecond: 8, framesPerSecond: 9, subscribesPerMinute: 10,
        maxResumeEvents: 11, replayEventsPerIpPerSecond: 15, stallTimeoutMs: 1200, authFailuresPerMinute: 13, maxPinnedPerFeed: 14,
      },
      metricsPort: 9100,
      metricsHost: '10.0.0.5',
      redisPassword: 'pw',
      port: 9000,
      host: '0.0.0.0',
      editorTokens: [{ name: 'alice', token: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }, { name: 'bob', token: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' }],
      // The public pages' own origin joins the allowlist: they connect back to this server.
      allowedOrigins: ['https://news.example.com', 'http://localhost:3000', 'https://live.example.com'],
      historySize: 50,
    });
  });

  it('refuses a public URL or logo that is not an absolute http(s) URL, and a cache age out of range', () => {
    expect(() => loadConfig({ LIVELINE_PUBLIC_URL: 'live.example.com' })).toThrow(/LIVELINE_PUBLIC_URL/);
    expect(() => loadConfig({ LIVELINE_PUBLIC_URL: 'https://live.example.com/?x=1' })).toThrow(/LIVELINE_PUBLIC_URL/);
    expect(() => loadConfig({ LIVELINE_PUBLISHER_LOGO_URL: 'javascript:alert(1)' })).toThrow(/LIVELINE_PUBLISHER_LOGO_URL/);
    expect(() => loadConfig({ LIVELINE_CACHE_MAX_AGE_S: '-1' })).toThrow(/LIVELINE_CACHE_MAX_AGE_S/);
  });

  it('treats * and empty values as the defaults', () => {
    expect(loadConfig({ LIVELINE_ALLOWED_ORIGINS: '*', PORT: '' })).toMatchObject({ allowedOrigins: null, port: 8080 });
  });

  it('names every bad key in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: '80a',
        HOST: 'not a host',
        LIVELINE_EDITOR_TOKENS: 'alice:short,nocolon',
        LIVELINE_ALLOWED_ORIGINS: 'news.example.com',
        LIVELINE_HISTORY_SIZE: '-5',
        REDIS_URL: 'localhost:6379',
        LIVELINE_REDIS_PREFIX: 'has space',
        LIVELINE_TRUST_PROXY: 'yes',
        LIVELINE_MAX_CONNECTIONS: '0',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const key of ['PORT', 'HOST', 'LIVELINE_EDITOR_TOKENS', 'LIVELINE_ALLOWED_ORIGINS', 'LIVELINE_HISTORY_SIZE', 'REDIS_URL', 'LIVELINE_REDIS_PREFIX', 'LIVELINE_TRUST_PROXY', 'LIVELINE_MAX_CONNECTIONS']) {
      expect(problems).toContain(key);
    }
    expect((error as ConfigError).problems).toHaveLength(10);
    expect((error as Error).message).toContain('invalid configuration');
  });

  it('never shows a Redis password in what it prints', () => {
    expect(redactUrl('redis://user:hunter2@redis:6379/0')).toBe('redis://user:***@redis:6379/0');
    expect(redactUrl('redis://redis:6379')).toBe('redis://redis:6379');
  });

  it('refuses duplicate token names and out-of-range ports', () => {
    expect(() => loadConfig({ LIVELINE_EDITOR_TOKENS: 'a:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,a:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' })).toThrow(/appears twice/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });

  it('refuses editor tokens shorter than 32 characters', () => {
    expect(() => loadConfig({ LIVELINE_EDITOR_TOKENS: `desk:${'x'.repeat(31)}` })).toThrow(/at least 32 characters/);
    expect(loadConfig({ LIVELINE_EDITOR_TOKENS: `desk:${'x'.repeat(32)}` }).editorTokens).toHaveLength(1);
  });

  it('refuses production mode without editor tokens, saying what to set', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/LIVELINE_EDITOR_TOKENS: required in production mode.*openssl rand -hex 24/s);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', LIVELINE_EDITOR_TOKENS: `desk:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` }).redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('never serves metrics on the public port', () => {
    expect(() => loadConfig({ PORT: '9000', LIVELINE_METRICS_PORT: '9000' })).toThrow(/LIVELINE_METRICS_PORT: must differ from PORT/);
    expect(loadConfig({ HOST: '0.0.0.0' }).metricsHost).toBe('0.0.0.0');
  });

  it('knows whether Redis connections authenticate', () => {
    const tokens = `desk:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`;
    expect(redisAuthenticates(loadConfig({ REDIS_URL: 'redis://r:6379', LIVELINE_EDITOR_TOKENS: tokens }))).toBe(false);
    expect(redisAuthenticates(loadConfig({ REDIS_URL: 'redis://:pw@r:6379', LIVELINE_EDITOR_TOKENS: tokens }))).toBe(true);
    expect(redisAuthenticates(loadConfig({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'pw', LIVELINE_EDITOR_TOKENS: tokens }))).toBe(true);
  });
});

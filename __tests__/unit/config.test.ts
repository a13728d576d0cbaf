import { ConfigError, loadConfig, redactUrl } from '../../server/config';

describe('loadConfig', () => {
  it('defaults to the embedded single node on 127.0.0.1:8080', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 8080, host: '127.0.0.1', redisUrl: null, redisPrefix: 'll', editorTokens: [], allowedOrigins: null, historySize: 1000,
      drainMs: 10_000, trustProxy: false, logLevel: 'info',
      limits: {
        maxConnections: 20_000, connectionsPerIpPerSecond: 100, maxSubscriptionsPerConnection: 50,
        editorWritesPerMinute: 300, headersTimeoutMs: 10_000, idleHandshakeMs: 30_000,
      },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      LIVELINE_EDITOR_TOKENS: 'alice:aaaaaaaaaaaaaaaaaaaa, bob:bbbbbbbbbbbbbbbbbbbb',
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
    });
    expect(config).toMatchObject({
      redisUrl: 'redis://:secret@redis.internal:6380/0',
      redisPrefix: 'news',
      drainMs: 2500,
      trustProxy: true,
      logLevel: 'warn',
      limits: {
        maxConnections: 500, connectionsPerIpPerSecond: 5, maxSubscriptionsPerConnection: 3,
        editorWritesPerMinute: 60, headersTimeoutMs: 4000, idleHandshakeMs: 1500,
      },
      port: 9000,
      host: '0.0.0.0',
      editorTokens: [{ name: 'alice', token: 'aaaaaaaaaaaaaaaaaaaa' }, { name: 'bob', token: 'bbbbbbbbbbbbbbbbbbbb' }],
      allowedOrigins: ['https://news.example.com', 'http://localhost:3000'],
      historySize: 50,
    });
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
    expect(() => loadConfig({ LIVELINE_EDITOR_TOKENS: 'a:aaaaaaaaaaaaaaaaaaaa,a:bbbbbbbbbbbbbbbbbbbb' })).toThrow(/appears twice/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT/);
  });
});

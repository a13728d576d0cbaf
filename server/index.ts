/**
 * Process entry: load the config, start the app, print how to use it, and close it on
 * SIGTERM/SIGINT (a second signal exits at once).
 */
import { startApp } from './app';
import { ConfigError, loadConfig, redactUrl, redisAuthenticates, type Config, type RedisNode } from './config';
import { curlLine } from './http/demo-page';
import { createLogger, errorFields } from './log';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`liveline: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const app = await startApp(config, { log });

  const lines = [
    '',
    `Liveline is running at ${app.url}`,
    `Mode: ${modeLine(config)}`,
  ];
  if (app.durability !== null) lines.push(`Durability: ${app.durability}.`);
  lines.push(`Metrics (Prometheus; keep this port private): ${app.metricsUrl}`);
  if (app.backendKind === 'redis' && !redisAuthenticates(config)) {
    const warning = 'Redis is used without a password: anyone who can reach it can change feeds and forge pub/sub messages. Set REDIS_PASSWORD (and requirepass on Redis).';
    lines.push(`WARNING: ${warning}`);
    log.warn('redis without a password', { hint: warning });
  }
  if (app.demoFeedId !== null) lines.push(`Demo page: ${app.url}/  (the public live blog: ${app.url}/feeds/${app.demoFeedId})`);
  lines.push(`Editor console: ${app.url}/editor`);
  if (app.tokenGenerated) {
    const token = app.editorTokens[0]?.token ?? '';
    lines.push(
      `Editor token (generated for this run; set LIVELINE_EDITOR_TOKENS to choose your own): ${token}`,
      '',
      'Post an entry:',
      `export LIVELINE_TOKEN=${token}`,
    );
  } else {
    lines.push('', 'Post an entry (LIVELINE_TOKEN = one of the tokens in LIVELINE_EDITOR_TOKENS):');
  }
  lines.push(curlLine(app.demoFeedId ?? 'FEED_ID', app.url));
  process.stdout.write(`${lines.join('\n')}\n\n`);
  log.info('listening', { url: app.url });

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(1); // a second signal: stop now
    log.info('shutting down', { signal, drainMs: config.drainMs });
    // close() bounds itself; this is the last resort if something hangs anyway.
    setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.drainMs + 10_000).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', errorFields(err));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function modeLine(config: Config): string {
  const nodes = (list: readonly RedisNode[]): string => list.map((n) => `${n.host}:${n.port}`).join(',');
  const prefix = `key prefix "${config.redisPrefix}"`;
  if (config.redisClusterNodes !== null) return `production (Redis Cluster store and sharded pub/sub, seed nodes ${nodes(config.redisClusterNodes)}, ${prefix}).`;
  if (config.redisSentinels !== null) {
    return `production (Redis store and pub/sub on primary "${config.redisSentinels.name}" of Sentinels ${nodes(config.redisSentinels.nodes)}, ${prefix}).`;
  }
  if (config.redisUrl !== null) return `production (Redis store and pub/sub at ${redactUrl(config.redisUrl)}, ${prefix}).`;
  return 'embedded (in-memory store and broker, single node). Nothing is kept across restarts.';
}

main().catch((err: unknown) => {
  process.stderr.write(`liveline: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});

/**
 * Structured logs: one JSON object per line (pino). Never pass a token or a secret in
 * `fields`; as a second guard, fields named like credentials are redacted.
 */
import pino from 'pino';
import type { LogLevel } from './config';

export interface Logger {
  info(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(msg: string, fields?: Readonly<Record<string, unknown>>): void;
  error(msg: string, fields?: Readonly<Record<string, unknown>>): void;
}

const REDACT = ['authorization', 'token', 'password', '*.authorization', '*.token', '*.password', 'headers.authorization', 'req.headers.authorization'];

/** A pino logger writing JSON lines to `destination` (default stdout). */
export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const log = pino({ level, base: { service: 'liveline' }, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
  return {
    info: (msg, fields) => log.info(fields ?? {}, msg),
    warn: (msg, fields) => log.warn(fields ?? {}, msg),
    error: (msg, fields) => log.error(fields ?? {}, msg),
  };
}

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The fields worth logging about an unexpected error. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { err: { name: err.name, message: err.message, stack: err.stack } };
  return { err: String(err) };
}

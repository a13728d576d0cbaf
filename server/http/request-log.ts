import type { RequestHandler } from 'express';
import { nanoid } from 'nanoid';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Gives every request an id (the caller's X-Request-Id when sane, else a new one), echoes
 * it, and on completion logs one line and counts the request by route pattern (never the
 * raw path, so feed ids don't explode the metric) and status. Headers and bodies are not
 * logged: they carry tokens and editorial drafts.
 */
export function requestLog(log: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given !== undefined && REQUEST_ID.test(given) ? given : nanoid(12);
    res.set('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = typeof req.route?.path === 'string' ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const fields = { reqId: id, method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 };
      if (QUIET_ROUTES.has(route)) return; // balancers probe these every second
      if (res.statusCode >= 500) log.error('request', fields);
      else log.info('request', fields);
    });
    next();
  };
}

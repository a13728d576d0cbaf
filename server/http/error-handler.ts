import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError } from '../errors';
import { errorFields, type Logger } from '../log';

/** body-parser reports its failures as errors with a `type`; map the ones a client causes. */
const BODY_ERRORS: Readonly<Record<string, () => AppError>> = {
  'entity.parse.failed': () => new AppError('invalid_json', 'the body is not valid JSON'),
  'entity.too.large': () => new AppError('payload_too_large', 'the body is larger than the limit'),
  'encoding.unsupported': () => new AppError('unsupported_media_type', 'unsupported content encoding'),
  'charset.unsupported': () => new AppError('unsupported_media_type', 'the body must be UTF-8 JSON'),
  'request.aborted': () => new AppError('invalid_json', 'the request was aborted'),
};

function toAppError(err: unknown): AppError | null {
  if (isAppError(err)) return err;
  if (typeof err !== 'object' || err === null) return null;
  if ('type' in err && typeof err.type === 'string') {
    const known = BODY_ERRORS[err.type];
    if (known !== undefined) return known();
  }
  // Other errors Express and body-parser raise for a client's mistake (a malformed
  // percent-encoding in the path, a corrupt gzip body) carry a 4xx status.
  const status = 'status' in err ? err.status : 'statusCode' in err ? err.statusCode : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return BODY_ERRORS['entity.too.large']?.() ?? null;
    if (status === 415) return new AppError('unsupported_media_type', 'unsupported request body');
    return new AppError('bad_request', 'the request is malformed');
  }
  return null;
}

export const notFound: RequestHandler = (req) => {
  throw new AppError('route_not_found', `no route for ${req.method} ${req.path}`);
};

/** The one place errors become responses. Unknown errors are logged and answered with a bare 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const appError = toAppError(err) ?? new AppError('internal', 'internal error');
    if (appError.code === 'internal') log.error('request failed', { method: req.method, path: req.path, ...errorFields(err) });
    res.status(appError.status).json({ error: { code: appError.code, message: appError.message, ...appError.details } });
  };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { EditorToken } from '../config';
import { AppError } from '../errors';
import type { AuthThrottle } from './auth-throttle';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Editors authenticate with `Authorization: Bearer <token>`. Tokens are compared as
 * SHA-256 digests with timingSafeEqual, against every configured token, so neither the
 * length nor the position of a match shows in the response time. Sets `res.locals.actor`.
 *
 * `throttle` goes first: an address that has failed too often is refused (429
 * `too_many_auth_failures`) before its token is compared; every missing, malformed or
 * wrong token counts as a failure of its address.
 */
export function requireEditor(tokens: readonly EditorToken[], throttle: AuthThrottle): RequestHandler {
  const known = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  return (req, res, next) => {
    const address = throttle.admit(req, res);
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    let actor: string | null = null;
    if (match !== null) {
      const given = digest(match[1] as string);
      for (const k of known) if (timingSafeEqual(given, k.digest)) actor = k.name;
    }
    if (actor === null) {
      throttle.failed(address);
      res.set('WWW-Authenticate', 'Bearer realm="liveline"');
      throw new AppError('unauthorized', match === null ? 'an editor token is required: Authorization: Bearer <token>' : 'the editor token is not valid');
    }
    res.locals.actor = actor;
    next();
  };
}

export function actorOf(locals: Record<string, unknown>): string {
  const actor = locals.actor;
  if (typeof actor !== 'string') throw new TypeError('requireEditor must run before this handler');
  return actor;
}

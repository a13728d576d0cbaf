import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { EditorToken } from '../config';
import { AppError } from '../errors';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Editors authenticate with `Authorization: Bearer <token>`. Tokens are compared as
 * SHA-256 digests with timingSafeEqual, against every configured token, so neither the
 * length nor the position of a match shows in the response time. Sets `res.locals.actor`.
 */
export function requireEditor(tokens: readonly EditorToken[]): RequestHandler {
  const known = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    let actor: string | null = null;
    if (match !== null) {
      const given = digest(match[1] as string);
      for (const k of known) if (timingSafeEqual(given, k.digest)) actor = k.name;
    }
    if (actor === null) {
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

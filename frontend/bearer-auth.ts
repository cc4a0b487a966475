import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../core/errors/index.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Requires `Authorization: Bearer <token>`. Compares digests in constant time so the check leaks
 * neither the token nor its length.
 */
export function bearerAuth(token: string): RequestHandler {
  if (token === '') throw new Error('bearerAuth: an empty token would let anyone in');
  const expected = digest(token);
  return (req, _res, next) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m && timingSafeEqual(digest(m[1] as string), expected)) {
      next();
      return;
    }
    next(
      new AppError(
        'UNAUTHORIZED',
        m ? 'the bearer token is not valid' : 'send Authorization: Bearer <token>',
      ),
    );
  };
}

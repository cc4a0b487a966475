import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../core/errors/index.js';

/** The realm named in `WWW-Authenticate` challenges (RFC 6750). */
export const AUTH_REALM = 'rswarm';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Requires `Authorization: Bearer <token>`. Compares digests in constant time so the check leaks
 * neither the token nor its length. A refusal carries the RFC 6750 challenge,
 * `WWW-Authenticate: Bearer realm="rswarm"`, with `error="invalid_token"` when a token was sent.
 */
export function bearerAuth(token: string): RequestHandler {
  if (token === '') throw new Error('bearerAuth: an empty token would let anyone in');
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m && timingSafeEqual(digest(m[1] as string), expected)) {
      next();
      return;
    }
    res.setHeader(
      'WWW-Authenticate',
      m ? `Bearer realm="${AUTH_REALM}", error="invalid_token"` : `Bearer realm="${AUTH_REALM}"`,
    );
    next(
      new AppError(
        'UNAUTHORIZED',
        m ? 'the bearer token is not valid' : 'send Authorization: Bearer <token>',
      ),
    );
  };
}

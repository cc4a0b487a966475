import { timingSafeEqual, createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { AppError } from '../core/errors/index.js';

/** The realm named in `WWW-Authenticate` challenges (RFC 6750). */
export const AUTH_REALM = 'rswarm';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * Requires `Authorization: Bearer <token>`. Compares digests in constant time so the check leaks
 * neither the token nor its length. A refusal carries the RFC 6750 challenge,
 * `WWW-Authenticate: Bearer realm="rswarm"`, with `error="invalid_token"` when a token was sent;
 * `onFailure` hears of each refusal (the failed-authentication limit counts them).
 */
export function bearerAuth(token: string, onFailure?: (req: Request) => void): RequestHandler {
  if (token === '') throw new Error('bearerAuth: an empty token would let anyone in');
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m && timingSafeEqual(digest(m[1] as string), expected)) {
      next();
      return;
    }
    onFailure?.(req);
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

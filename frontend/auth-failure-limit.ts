import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../core/errors/index.js';

/** How many failed authentications a client address may make per window (config `http.authFailures`). */
export interface AuthFailureLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/**
 * Counts failed authentications (401 answers) per client address in a fixed window; past `limit`,
 * every secured request from that address gets 429 `TOO_MANY_AUTH_FAILURES` with Retry-After
 * until the window ends — a valid token included, or the answer would tell a guesser when it
 * guessed right. Other answers (2xx, 404, 429…) are not counted. Mount it before the bearer check.
 */
export function authFailureLimit(options: AuthFailureLimit): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    // Every request is counted when it arrives and uncounted when its answer is not a 401.
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    standardHeaders: false,
    legacyHeaders: false,
    handler: (req, res, next) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 1;
      res.setHeader('Retry-After', String(seconds));
      next(
        new AppError(
          'TOO_MANY_AUTH_FAILURES',
          `more than ${options.limit} failed authentications from this address; retry in ${seconds} s`,
        ),
      );
    },
  });
}

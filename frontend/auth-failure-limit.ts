import type { Request, RequestHandler } from 'express';
import { MemoryStore, ipKeyGenerator } from 'express-rate-limit';
import { AppError } from '../core/errors/index.js';

/** How many failed authentications a client address may make per window (config `http.authFailures`). */
export interface AuthFailureLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** The limit's two halves: a check mounted before the bearer check, and the count of failures. */
export interface AuthFailureGuard {
  /** Refuses a client address past its limit with 429 `TOO_MANY_AUTH_FAILURES` and Retry-After. */
  readonly check: RequestHandler;
  /** Counts one failed authentication of the request's client address. */
  readonly recordFailure: (req: Request) => void;
}

/** The client address as the key: IPv4 as is, IPv6 by /56 (one host usually holds a whole /64). */
const keyOf = (req: Request): string => ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? '', 56);

/**
 * Counts failed authentications (and only those: requests in flight or answered otherwise are
 * never counted, so a busy client with the right token is never limited) per client address in a
 * fixed window, in express-rate-limit's memory store. Past `limit`, every secured request from
 * that address gets 429 until the window ends — with a valid token too, or the answer would tell
 * a guesser when it guessed right.
 */
export function authFailureGuard(options: AuthFailureLimit): AuthFailureGuard {
  const store = new MemoryStore();
  store.init({ windowMs: options.windowMs } as Parameters<MemoryStore['init']>[0]);
  return {
    check: (req, res, next) => {
      store.get(keyOf(req)).then((info) => {
        if (!info || info.totalHits < options.limit) {
          next();
          return;
        }
        const seconds = Math.max(1, Math.ceil(((info.resetTime?.getTime() ?? 0) - Date.now()) / 1000));
        res.setHeader('Retry-After', String(seconds));
        next(
          new AppError(
            'TOO_MANY_AUTH_FAILURES',
            `${info.totalHits} failed authentications from this address; retry in ${seconds} s`,
          ),
        );
      }, next);
    },
    recordFailure: (req) => {
      void store.increment(keyOf(req));
    },
  };
}

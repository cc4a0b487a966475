import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { addressInNetworks, parseCidr, LOOPBACK_CIDRS, type Cidr } from '../core/security/cidr.js';

/** The operations of the original RESTfulSwarm FrontEnd (`/RESTfulSwarm/FE/...`). */
export const COMPAT_OPERATIONS: ReadonlySet<string> = new Set(['compatSubmitJob', 'compatSwitchScheduler']);

/** Config `compat`: anonymous access to the original routes. */
export interface CompatAccess {
  readonly allowAnonymous: boolean;
  /** CIDRs trusted besides loopback. */
  readonly anonymousNetworks: readonly string[];
}

/**
 * Where a request comes from: the socket's peer. No proxy header (X-Forwarded-For) is believed —
 * the configuration has no notion of a trusted proxy, and a header any client can write must not
 * open a route.
 */
export const socketPeer = (req: Request): string | undefined => req.socket.remoteAddress;

/** Runs `chain` like express would run those handlers one after another. */
function runChain(chain: readonly RequestHandler[], req: Request, res: Response, next: NextFunction): void {
  const step = (i: number) => (err?: unknown) => {
    if (err !== undefined && err !== null) {
      next(err);
      return;
    }
    const handler = chain[i];
    if (!handler) {
      next();
      return;
    }
    try {
      void handler(req, res, step(i + 1));
    } catch (e) {
      next(e);
    }
  };
  step(0)();
}

/**
 * The authentication of a compatibility route: `guard` (the failed-authentication limit, then
 * the bearer check), except for a request that sends no `Authorization` header from loopback or
 * a trusted network while `allowAnonymous` is on — the original's clients send no token. A
 * request that does send a token is checked as anywhere else, wherever it comes from.
 */
export function compatAuth(
  access: CompatAccess,
  guard: readonly RequestHandler[],
  peer: (req: Request) => string | undefined = socketPeer,
): RequestHandler {
  if (!access.allowAnonymous) return (req, res, next) => runChain(guard, req, res, next);
  const networks: Cidr[] = [...LOOPBACK_CIDRS, ...access.anonymousNetworks].map((text) => {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`compat.anonymousNetworks: "${text}" is not a network`);
    return cidr;
  });
  return (req, res, next) => {
    if (req.headers.authorization === undefined && addressInNetworks(peer(req), networks)) {
      next();
      return;
    }
    runChain(guard, req, res, next);
  };
}

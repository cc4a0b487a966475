/**
 * The small HTTP pieces of the gateway's request path: parsing `/<service>/<rest>`, the bearer
 * check, and error answers in the API's shape (`{ error: { code, status, message } }`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, type ErrorCode } from '../core/errors/index.js';
import { secretsEqual } from '../core/security/index.js';
import { hasBody } from './proxy.js';

/** The realm named in `WWW-Authenticate` challenges, the API's (RFC 6750). */
export const GATEWAY_AUTH_REALM = 'rswarm';

/** A service name is a DNS label; anything else cannot name a service, so no lookup is made. */
const SERVICE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The request target split for routing. */
export interface GatewayTarget {
  readonly service: string;
  /** `/<rest>` with the query string, as the replica sees it. */
  readonly upstreamPath: string;
}

/**
 * Splits `/<service>/<rest>?<query>`; `/<service>` alone becomes `/`. Undefined for a target
 * that is not origin-form or whose first segment is not a service name.
 */
export function parseTarget(url: string | undefined): GatewayTarget | undefined {
  if (!url?.startsWith('/')) return undefined;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const slash = path.indexOf('/', 1);
  const service = slash < 0 ? path.slice(1) : path.slice(1, slash);
  if (!SERVICE_NAME.test(service)) return undefined;
  const rest = slash < 0 ? '/' : path.slice(slash);
  return { service, upstreamPath: rest + query };
}

/** The outcome of checking `Authorization: Bearer <token>`. */
export type BearerCheck = 'ok' | 'missing' | 'invalid';

/** Checks the bearer token in constant time (digests compared, so neither content nor length leaks). */
export function checkBearer(req: IncomingMessage, token: string): BearerCheck {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (!m) return 'missing';
  return secretsEqual(m[1] as string, token) ? 'ok' : 'invalid';
}

/** Extra headers of an error answer. */
export interface ErrorExtras {
  readonly retryAfterSeconds?: number;
  readonly challenge?: BearerCheck;
}

/**
 * Answers with a catalogue error. A request whose body was not read to its end gets
 * `Connection: close`, so the gateway does not read (and discard) an unauthorised or unroutable
 * upload to keep the connection.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  code: ErrorCode,
  message: string,
  extras: ErrorExtras = {},
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(new AppError(code, message).toBody());
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  if (extras.retryAfterSeconds !== undefined) headers['retry-after'] = Math.ceil(extras.retryAfterSeconds);
  if (extras.challenge !== undefined && extras.challenge !== 'ok') {
    headers['www-authenticate'] =
      extras.challenge === 'invalid'
        ? `Bearer realm="${GATEWAY_AUTH_REALM}", error="invalid_token"`
        : `Bearer realm="${GATEWAY_AUTH_REALM}"`;
  }
  if (!req.readableEnded && hasBody(req)) headers['connection'] = 'close';
  res.writeHead(new AppError(code).status, headers);
  res.end(body);
}

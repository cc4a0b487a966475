/**
 * One request relayed to one replica, streamed both ways (docs/design/services.md, request path
 * step 6): the client's body is piped to the replica and the replica's response piped back, so
 * neither is ever held whole in memory and backpressure reaches both ends.
 */
import { request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { TrackedReplica } from './service-pool.js';

/**
 * Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus `expect`: the
 * gateway's own server has already answered `100-continue`.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** How a relay ended. */
export type ForwardOutcome =
  /** The replica's response reached the client (`complete` false: cut mid-stream by either side). */
  | { readonly kind: 'responded'; readonly complete: boolean }
  /** No response byte came: nothing was written to the client, so it may be retried or answered 502. */
  | { readonly kind: 'connect-failed'; readonly error: NodeJS.ErrnoException; readonly reusedSocket: boolean }
  /** The client went away before the response started; the upstream request was aborted. */
  | { readonly kind: 'client-aborted' };

/** True when the request carries a body (so a failed relay has consumed part of it). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** `headers` without the hop-by-hop ones and those the `Connection` header names. */
function endToEnd(headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const named = new Set(
    String(headers['connection'] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  }
  return out;
}

/** What the replica is told about the original request. */
export interface ForwardContext {
  /** `/<rest>?query`: the path the replica sees. */
  readonly path: string;
  /** `/<service>`, sent as `X-Forwarded-Prefix` so the replica can build links back. */
  readonly prefix: string;
  /** Drop `Authorization`: it holds the API token, which a replica must never see. */
  readonly stripAuthorization: boolean;
  /** A monotonic clock in ms. */
  readonly now: () => number;
  /** Told the time to response headers, measured from the end of the request body. */
  readonly onHeaders: (latencyMs: number) => void;
}

/** Relays `req` to `replica` and its response to `res`; resolves when the exchange is over. */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  replica: TrackedReplica,
  ctx: ForwardContext,
): Promise<ForwardOutcome> {
  const headers = endToEnd(req.headers);
  delete headers['host']; // the replica sees its own address; the original is X-Forwarded-Host
  if (ctx.stripAuthorization) delete headers['authorization'];
  // Keep the client's framing: node frames a body without Content-Length as chunked only when told.
  if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${client}` : client;
  headers['x-forwarded-proto'] = 'http';
  if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
  headers['x-forwarded-prefix'] = ctx.prefix;

  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: ForwardOutcome): void => {
      if (settled) return;
      settled = true;
      res.off('close', onClientClose);
      resolve(o);
    };
    const start = ctx.now();
    // Latency counts from the end of the upload: a 20 MB body must not make a replica look slow.
    let sentAt = start;
    let responded = false;
    const up = request({
      host: replica.host,
      port: replica.port,
      method: req.method,
      path: ctx.path,
      headers,
      agent: replica.agent,
    });
    const onClientClose = (): void => {
      if (res.writableFinished) return;
      up.destroy(); // the client is gone: stop the replica's work and free the socket
      if (responded) settle({ kind: 'responded', complete: false });
      else settle({ kind: 'client-aborted' });
    };
    res.on('close', onClientClose);
    up.on('finish', () => {
      sentAt = ctx.now();
    });
    up.on('response', (upRes) => {
      responded = true;
      ctx.onHeaders(ctx.now() - Math.max(sentAt, start));
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, endToEnd(upRes.headers));
      upRes.pipe(res);
      // A replica dying mid-body: the status is already sent, so the only honest signal is a cut.
      upRes.on('error', () => res.destroy());
      upRes.on('aborted', () => res.destroy());
      res.on('finish', () => settle({ kind: 'responded', complete: true }));
    });
    up.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      if (responded) {
        res.destroy();
        settle({ kind: 'responded', complete: false });
        return;
      }
      req.unpipe(up);
      settle({ kind: 'connect-failed', error, reusedSocket: up.reusedSocket });
    });
    if (hasBody(req)) req.pipe(up);
    else up.end();
  });
}

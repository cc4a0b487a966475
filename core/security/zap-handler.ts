import { Router } from 'zeromq';
import { componentLogger, type Logger } from '../log/logger.js';
import { z85Encode } from './z85.js';

/** A ZAP verdict on one client key: admitted as `userId`, or refused with a reason. */
export type ZapVerdict =
  { readonly ok: true; readonly userId: string } | { readonly ok: false; readonly reason: string };

/** Decides on one CurveZMQ client key (Z85) connecting to a socket of one ZAP domain. */
export type ZapPolicy = (publicKey: string) => ZapVerdict;

/** libzmq asks the handler bound here, in the same context (RFC 27). */
const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
const ZAP_VERSION = '1.0';
/** Rebinding after a close waits up to REBIND_ATTEMPTS × REBIND_DELAY_MS. */
const REBIND_ATTEMPTS = 50;
const REBIND_DELAY_MS = 20;

/**
 * The process's ZAP handler (ZeroMQ RFC 27): a ROUTER bound at `inproc://zeromq.zap.01` in the
 * default zeromq context that answers every CurveZMQ handshake of a socket with a `zapDomain`.
 * One per context, so it is shared: each server socket registers a policy under its own domain
 * and a handshake on an unknown domain, or with another mechanism than CURVE, is refused.
 *
 * zeromq.js hands the `User-Id` of an answer to no one (no message metadata), so the verdict only
 * admits or refuses the connection; which principal a message comes from is settled by its
 * routing id (see routing-proof.ts).
 */
export class ZapHandler {
  private static shared: Promise<ZapHandler> | undefined;
  private readonly policies = new Map<string, ZapPolicy>();
  private readonly loop: Promise<void>;

  private constructor(
    private readonly router: Router,
    private readonly logger: Logger,
  ) {
    this.loop = this.serve();
  }

  /**
   * Registers `policy` for `domain` with the process's handler, binding it first when needed.
   * @returns a function that unregisters it; the handler closes with its last domain
   */
  static async register(domain: string, policy: ZapPolicy, logger: Logger): Promise<() => Promise<void>> {
    ZapHandler.shared ??= (async () => {
      const router = new Router({ linger: 0 });
      // A handler closed a moment ago may still hold the endpoint: libzmq unbinds in the background.
      for (let attempt = 0; ; attempt++) {
        try {
          await router.bind(ZAP_ENDPOINT);
          break;
        } catch (err) {
          if ((err as { code?: string }).code !== 'EADDRINUSE' || attempt >= REBIND_ATTEMPTS) {
            router.close();
            ZapHandler.shared = undefined;
            throw err;
          }
          await new Promise((resolve) => setTimeout(resolve, REBIND_DELAY_MS));
        }
      }
      return new ZapHandler(router, componentLogger(logger, 'zap'));
    })();
    const handler = await ZapHandler.shared;
    if (handler.policies.has(domain)) throw new Error(`ZAP domain ${domain} is registered twice`);
    handler.policies.set(domain, policy);
    return async () => {
      handler.policies.delete(domain);
      if (handler.policies.size > 0 || ZapHandler.shared === undefined) return;
      ZapHandler.shared = undefined;
      handler.router.close();
      await handler.loop;
    };
  }

  private async serve(): Promise<void> {
    try {
      for await (const frames of this.router) {
        // [peer, delimiter, version, request id, domain, address, identity, mechanism, credentials...]
        const [peer, , version, requestId, domain, , , mechanism, key] = frames;
        if (!peer || !requestId) continue;
        const verdict = this.decide(
          version?.toString() ?? '',
          domain?.toString() ?? '',
          mechanism?.toString() ?? '',
          key,
        );
        const code = verdict.ok ? '200' : '400';
        const text = verdict.ok ? 'OK' : verdict.reason;
        const userId = verdict.ok ? verdict.userId : '';
        await this.router.send([peer, '', ZAP_VERSION, requestId, code, text, userId, '']);
      }
    } catch (err) {
      if (!this.router.closed) this.logger.error({ err }, 'ZAP handler stopped');
    }
  }

  private decide(version: string, domain: string, mechanism: string, key: Buffer | undefined): ZapVerdict {
    if (version !== ZAP_VERSION) return { ok: false, reason: 'unsupported ZAP version' };
    const policy = this.policies.get(domain);
    if (!policy) return { ok: false, reason: 'unknown domain' };
    if (mechanism !== 'CURVE' || key?.length !== 32) return { ok: false, reason: 'CURVE required' };
    const publicKey = z85Encode(key);
    const verdict = policy(publicKey);
    // The public key is not a secret; logging it lets an operator find the key to enrol or revoke.
    if (!verdict.ok) this.logger.warn({ domain, publicKey, reason: verdict.reason }, 'connection refused');
    return verdict;
  }
}

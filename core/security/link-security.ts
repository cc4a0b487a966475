import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import type { CurveKeyPair } from './key-files.js';
import type { Keyring } from './keyring.js';
import { claimedPrincipal, provenRoutingId, verifyRoutingId } from './routing-proof.js';
import { ZapHandler, type ZapVerdict } from './zap-handler.js';

/**
 * Largest message a GlobalManager accepts, in bytes. Its biggest honest input is one dispatch of
 * a leader cycle (thousands of assignments with their environments); anything larger is refused by
 * libzmq before it is buffered whole.
 */
export const MAX_MANAGER_MESSAGE_BYTES = 32 * 1024 * 1024;
/** Largest message Discovery accepts: one report, at most a few kilobytes. */
export const MAX_DISCOVERY_MESSAGE_BYTES = 1024 * 1024;
/** Largest message a worker accepts: a `sync` carries its whole desired set. */
export const MAX_WORKER_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Control-plane principals start with this; worker ids cannot (letters, digits, `._-`). */
const CONTROL_PREFIX = '@';

/** Who sent a message, as the routing proof establishes it. */
export type LinkIdentity =
  | { readonly kind: 'worker'; readonly workerId: string }
  | { readonly kind: 'control'; readonly name: string };

/** What a server end of the worker link (GlobalManager, Discovery) is secured with. */
export interface ServerLinkSecurity {
  /** The control plane's key pair: the server key workers know, and the control peers' client key. */
  readonly keyPair: CurveKeyPair;
  /** Public keys of control-plane peers (JobManager dispatch, FrontEnd commands). */
  readonly controlPublicKeys: readonly string[];
  /** Enrolled worker keys. */
  readonly keyring: Keyring;
}

/** What a client end (a worker, a control peer) is secured with. */
export interface ClientLinkSecurity {
  readonly keyPair: CurveKeyPair;
  /** The control plane's public key (Z85). */
  readonly serverPublicKey: string;
}

/** Socket options of a CurveZMQ client with `security`, connecting as `principal`. */
export function clientSocketOptions(
  security: ClientLinkSecurity,
  principal: string,
): { curveServerKey: string; curvePublicKey: string; curveSecretKey: string; routingId: string } {
  return {
    curveServerKey: security.serverPublicKey,
    curvePublicKey: security.keyPair.publicKey,
    curveSecretKey: security.keyPair.secretKey,
    routingId: provenRoutingId(principal, security.keyPair, security.serverPublicKey),
  };
}

/** The principal of a control-plane peer (`role` such as `dispatch`), unique per connection. */
export function controlPrincipal(role: string): string {
  return `${CONTROL_PREFIX}${role}-${randomUUID()}`;
}

/** Most routing ids remembered; past it the cache starts over (rogue peers cannot grow it). */
const MAX_CACHED_IDS = 50_000;

/**
 * The server side of the authenticated worker link: CurveZMQ socket options, a ZAP policy
 * ({@link admit}), and who each routing id is. Revoked keys are refused at the handshake.
 */
export class LinkGuard {
  private readonly cache = new Map<string, LinkIdentity | null>();
  private cachedGeneration = -1;

  private constructor(
    readonly security: ServerLinkSecurity,
    private readonly zapDomain: string,
    private readonly release: () => Promise<void>,
  ) {}

  /** Registers a ZAP domain for one server socket. */
  static async create(
    security: ServerLinkSecurity,
    role: 'manager' | 'enrolment' | 'discovery' | 'bench',
    logger: Logger,
  ): Promise<LinkGuard> {
    const domain = `rswarm-${role}-${randomUUID()}`;
    const release = await ZapHandler.register(
      domain,
      (key) => admit(security, key, role === 'enrolment' || role === 'bench'),
      logger,
    );
    return new LinkGuard(security, domain, release);
  }

  /** Options of the server socket this guard protects. */
  socketOptions(maxMessageSize: number): {
    curveServer: true;
    curvePublicKey: string;
    curveSecretKey: string;
    zapDomain: string;
    maxMessageSize: number;
  } {
    return {
      curveServer: true,
      curvePublicKey: this.security.keyPair.publicKey,
      curveSecretKey: this.security.keyPair.secretKey,
      zapDomain: this.zapDomain,
      maxMessageSize,
    };
  }

  /** Who `routingId` is, or undefined when it carries no valid proof for an enrolled key. */
  identify(routingId: Buffer): LinkIdentity | undefined {
    // Another process may have changed the keyring since: the GlobalManager enrolled a worker
    // (for Discovery), an operator revoked one (`rswarm keys revoke`). At most one stat a second.
    this.security.keyring.refresh();
    return this.lookup(routingId.toString('utf8')) ?? undefined;
  }

  /** True when `routingId` proves `workerId` with the secret key of `publicKey` (enrolment). */
  proves(routingId: Buffer, workerId: string, publicKey: string): boolean {
    const id = routingId.toString('utf8');
    return claimedPrincipal(id) === workerId && verifyRoutingId(id, this.security.keyPair, publicKey);
  }

  /** Unregisters the ZAP domain. */
  close(): Promise<void> {
    return this.release();
  }

  private lookup(id: string): LinkIdentity | null {
    const keyring = this.security.keyring;
    if (this.cachedGeneration !== keyring.generation || this.cache.size > MAX_CACHED_IDS) {
      this.cache.clear();
      this.cachedGeneration = keyring.generation;
    }
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const found = this.verify(id);
    this.cache.set(id, found);
    return found;
  }

  private verify(id: string): LinkIdentity | null {
    const principal = claimedPrincipal(id);
    if (principal === undefined) return null;
    const server = this.security.keyPair;
    if (principal.startsWith(CONTROL_PREFIX)) {
      const ok = this.security.controlPublicKeys.some((k) => verifyRoutingId(id, server, k));
      return ok ? { kind: 'control', name: principal.slice(CONTROL_PREFIX.length) } : null;
    }
    const key = this.security.keyring.keyOf(principal);
    return key !== undefined && verifyRoutingId(id, server, key)
      ? { kind: 'worker', workerId: principal }
      : null;
  }
}

/**
 * The ZAP policy: revoked keys are refused; control and enrolled keys are admitted as who they
 * are. Unknown keys are admitted (as `enrolling`) only on the GlobalManager's enrolment socket,
 * which does nothing but enrol; the GlobalManager's main socket and Discovery refuse them. That
 * matters because zeromq.js does not say which key sent a message: a connection is trusted by the
 * routing proof it carries, and a copied proof would be usable with any key a socket admits. A
 * worker therefore enrols first, then connects its other sockets (libzmq does not retry a
 * refused handshake), and an unknown key rereads the keyring file first, since the enrolment
 * socket may have enrolled it a moment ago, possibly in another process.
 */
function admit(security: ServerLinkSecurity, publicKey: string, enrolment: boolean): ZapVerdict {
  const keyring = security.keyring;
  keyring.refresh();
  if (keyring.isRevoked(publicKey)) return { ok: false, reason: 'revoked key' };
  if (security.controlPublicKeys.includes(publicKey)) return { ok: true, userId: 'control' };
  let worker = keyring.workerOf(publicKey);
  if (worker === undefined && !enrolment) {
    keyring.refresh(true);
    worker = keyring.workerOf(publicKey);
  }
  if (worker !== undefined) return { ok: true, userId: `worker:${worker}` };
  return enrolment ? { ok: true, userId: 'enrolling' } : { ok: false, reason: 'key not enrolled' };
}

import { createHmac, createPrivateKey, createPublicKey, diffieHellman, timingSafeEqual } from 'node:crypto';
import type { CurveKeyPair } from './key-files.js';
import { z85Decode } from './z85.js';

/**
 * Routing proofs bind a ZeroMQ routing id to a CurveZMQ key.
 *
 * Why: the ZAP handler learns the client's public key, but zeromq.js exposes neither the
 * `User-Id` the handler answers nor any other message metadata (libzmq's `zmq_msg_gets`), so a
 * ROUTER cannot tell which key sent a message. The routing id is what it does see. A client
 * therefore connects with the routing id `<principal>~<proof>`, where the proof is an HMAC of the
 * principal keyed by the X25519 shared secret of its key and the server's key. Only the holder of
 * the principal's secret key (or the server) can compute it, and it travels only inside the
 * CurveZMQ handshake, encrypted to the server; the server recomputes it from the principal's
 * registered public key. Another client, even one with a valid key of its own, cannot claim the
 * routing id, so it cannot take over a worker's connection (`handover`) or speak for it.
 */
const PROOF_LABEL = 'rswarm-routing-proof-v1\0';
const SEPARATOR = '~';
/** A proof is 32 bytes of HMAC-SHA-256 in base64url. */
const PROOF_LENGTH = 43;

function x25519Secret(ownSecretKey: string, ownPublicKey: string, peerPublicKey: string): Buffer {
  const privateKey = createPrivateKey({
    key: {
      kty: 'OKP',
      crv: 'X25519',
      d: z85Decode(ownSecretKey).toString('base64url'),
      x: z85Decode(ownPublicKey).toString('base64url'),
    },
    format: 'jwk',
  });
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: z85Decode(peerPublicKey).toString('base64url') },
    format: 'jwk',
  });
  return diffieHellman({ privateKey, publicKey });
}

function proofOf(principal: string, own: CurveKeyPair, peerPublicKey: string): string {
  const shared = x25519Secret(own.secretKey, own.publicKey, peerPublicKey);
  return createHmac('sha256', shared)
    .update(PROOF_LABEL + principal, 'utf8')
    .digest('base64url');
}

/**
 * The routing id a client with key pair `own` uses for `principal` at the server whose public key
 * is `serverPublicKey`. It is a credential: never log it.
 */
export function provenRoutingId(principal: string, own: CurveKeyPair, serverPublicKey: string): string {
  return `${principal}${SEPARATOR}${proofOf(principal, own, serverPublicKey)}`;
}

/** The principal a routing id claims (no check), or undefined when it has no proof part. */
export function claimedPrincipal(routingId: string): string | undefined {
  const at = routingId.lastIndexOf(SEPARATOR);
  if (at <= 0 || routingId.length - at - 1 !== PROOF_LENGTH) return undefined;
  return routingId.slice(0, at);
}

/**
 * True when `routingId` carries a valid proof for its principal made with the secret key of
 * `clientPublicKey`; checked with the server's key pair, in constant time.
 */
export function verifyRoutingId(routingId: string, server: CurveKeyPair, clientPublicKey: string): boolean {
  const principal = claimedPrincipal(routingId);
  if (principal === undefined) return false;
  let expected: string;
  try {
    expected = proofOf(principal, server, clientPublicKey);
  } catch {
    return false;
  }
  const got = Buffer.from(routingId.slice(routingId.length - PROOF_LENGTH), 'utf8');
  const want = Buffer.from(expected, 'utf8');
  return got.length === want.length && timingSafeEqual(got, want);
}

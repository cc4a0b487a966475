import type { Join, Message } from '../core/protocol/index.js';
import { claimedPrincipal, secretsEqual, type LinkIdentity } from '../core/security/index.js';

// Who may say what on the GlobalManager's link. Pure decisions: the GlobalManager logs and
// answers the refusals, so these stay testable without a socket.

/** How a peer is named in logs: its principal, never its routing proof. */
export function peerName(identity: Buffer): string {
  const id = identity.toString('utf8');
  return claimedPrincipal(id) ?? id.slice(0, 140);
}

/**
 * Who may send what on a secured link: only control-plane peers dispatch and command; a worker
 * heartbeats and answers commands only as itself; anyone may ask to join ({@link joinRefusal}
 * decides).
 * @param who the peer the link guard identified, if any
 */
export function messageAuthorized(who: LinkIdentity | undefined, m: Message): boolean {
  switch (m.type) {
    case 'join':
      return true;
    case 'heartbeat':
    case 'pong':
    case 'commandResult':
      return who?.kind === 'worker' && who.workerId === m.workerId;
    case 'dispatch':
    case 'command':
    case 'latencyQuery':
      return who?.kind === 'control';
    default:
      return false;
  }
}

/**
 * Why a join may not go on, or undefined when it may. Secured link: a worker known by its key
 * joins without the token; a new key is enrolled once, with the join token and a routing id
 * proven with that key (at the enrolment desk); a key or id that belongs to someone else, or a
 * revoked key, is refused. Plaintext link: the token (empty accepts any, tests only).
 * @param secured whether the link is secured (a link guard identifies peers)
 */
export function joinRefusal(
  secured: boolean,
  who: LinkIdentity | undefined,
  m: Join,
  joinToken: string,
): string | undefined {
  if (!secured) {
    const tokenOk = joinToken === '' || secretsEqual(m.joinToken, joinToken);
    return tokenOk ? undefined : 'join token refused';
  }
  // Only enrolled and control keys complete a handshake here (ZAP); enrolment has its own socket.
  if (who) return who.kind === 'worker' && who.workerId === m.workerId ? undefined : 'identity mismatch';
  return 'routing id not proven for an enrolled key: enrol at the enrolment endpoint first';
}

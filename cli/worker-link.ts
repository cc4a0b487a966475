import type { Config } from '../core/config/index.js';
import { workerJoinToken, workerLinkKeys, type ClientLinkSecurity } from '../core/security/index.js';

/**
 * What a worker started from the configuration presents on the link: the join token (configured,
 * else the control plane's token file in `cluster.keysDir` on a shared host) and, with
 * `cluster.linkSecurity: curve`, its key pair (`<keysDir>/worker-<id>.key`, generated when
 * missing), the control plane's public key and where to enrol (`cluster.enrolEndpoint`).
 */
export function workerLinkOptions(
  config: Config,
  workerId: string,
): { joinToken: string; security?: ClientLinkSecurity; enrolEndpoint?: string } {
  const cl = config.cluster;
  if (cl.linkSecurity === 'plaintext') return { joinToken: cl.joinToken };
  return {
    joinToken: workerJoinToken(cl.keysDir, cl.joinToken),
    security: workerLinkKeys(cl.keysDir, workerId, cl.controlPlanePublicKey),
    enrolEndpoint: cl.enrolEndpoint,
  };
}

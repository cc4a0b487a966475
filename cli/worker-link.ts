import type { Config } from '../core/config/index.js';
import {
  workerClusterId,
  workerJoinToken,
  workerLinkKeys,
  type ClientLinkSecurity,
} from '../core/security/index.js';

/**
 * What a worker started from the configuration presents on the link: the join token (configured,
 * else the control plane's token file in `cluster.keysDir` on a shared host) and, with
 * `cluster.linkSecurity: curve`, its key pair (`<keysDir>/worker-<id>.key`, generated when
 * missing), the control plane's public key and where to enrol (`cluster.enrolEndpoint`); and the
 * cluster id the way it gets the public key: `cluster.id`, else `<keysDir>/cluster-id`, else none.
 */
export function workerLinkOptions(
  config: Config,
  workerId: string,
): { joinToken: string; clusterId: string; security?: ClientLinkSecurity; enrolEndpoint?: string } {
  const cl = config.cluster;
  const clusterId = workerClusterId(cl.keysDir, cl.id);
  if (cl.linkSecurity === 'plaintext') return { joinToken: cl.joinToken, clusterId };
  return {
    clusterId,
    joinToken: workerJoinToken(cl.keysDir, cl.joinToken),
    security: workerLinkKeys(cl.keysDir, workerId, cl.controlPlanePublicKey),
    enrolEndpoint: cl.enrolEndpoint,
  };
}

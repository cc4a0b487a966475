import type Docker from 'dockerode';
import type { Logger } from '../../core/log/logger.js';
import { LABELS } from '../../core/model/index.js';
import type { ClusterScope } from './cluster-scope.js';
import { engineMessage } from './docker-errors.js';

/**
 * Removes the cluster's job networks that nothing uses any more: no endpoint attached, no
 * container of the job left in the cluster (of any worker on this engine), and not `busy` (a
 * creation in flight in this agent). Covers what removing a job's last container cannot: an agent
 * that died or closed between removing that container and its network. Each leaked bridge holds
 * one of the engine's address pools (about 30 by default), so leaks end in every job failing to
 * start. Another agent's task that loses its network to this sweep between network and container
 * creation is recreated on a fresh one (createAndStart). Best effort: errors are logged, never
 * thrown.
 * @returns how many networks were removed
 */
export async function sweepUnusedJobNetworks(
  docker: Docker,
  scope: ClusterScope,
  logger: Logger,
  busy: (job: string) => boolean,
): Promise<number> {
  const clusterFilter = scope.clusterId ? [`${LABELS.cluster}=${scope.clusterId}`] : [];
  let removed = 0;
  try {
    const nets = (await docker.listNetworks({ filters: { label: [LABELS.job, ...clusterFilter] } })) as {
      Id: string;
      Name: string;
      Labels?: Record<string, string> | null;
    }[];
    for (const n of nets) {
      const job = n.Labels?.[LABELS.job];
      // The cluster check beside the filter: a filter cannot ask for a label to be absent.
      if (job === undefined || !scope.ownsCluster(n.Labels) || busy(job)) continue;
      const net = docker.getNetwork(n.Id);
      const info = (await net.inspect()) as { Containers?: Record<string, unknown> | null };
      if (Object.keys(info.Containers ?? {}).length > 0) continue;
      const left = await docker.listContainers({
        all: true,
        filters: { label: [`${LABELS.job}=${job}`, ...clusterFilter] },
      });
      if (left.some((c) => scope.ownsCluster(c.Labels))) continue;
      // Refused when an endpoint attached meanwhile, 404 when gone: keep going either way.
      if (
        await net.remove().then(
          () => true,
          () => false,
        )
      ) {
        removed++;
        logger.info({ network: n.Name, job }, 'removed an unused job network');
      }
    }
  } catch (err) {
    logger.warn({ err: engineMessage(err) }, 'sweeping unused job networks failed');
  }
  return removed;
}

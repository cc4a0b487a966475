import type Docker from 'dockerode';
import type { ContainerHardening } from '../../core/config/index.js';
import type { Logger } from '../../core/log/logger.js';
import type { TaskAssignment } from '../../core/protocol/index.js';
import type { ClusterScope } from './cluster-scope.js';
import { withHardening } from './container-hardening.js';
import { containerSpecOf } from './container-spec.js';
import { engineMessage, ignoringAlreadyDone } from './docker-errors.js';
import type { JobNetworks } from './job-networks.js';
import { resolveVolumes } from './volume-paths.js';

/** Times a start is tried when the job network vanishes under it (see createAndStart). */
const NETWORK_RACE_RETRIES = 3;

/** What creating a task's container needs of the Docker runtime (passed in: no import back). */
export interface CreateContext {
  readonly docker: Docker;
  readonly networks: JobNetworks;
  readonly scope: ClusterScope;
  readonly hardening: ContainerHardening;
  readonly workerId: string;
  /** Host directories volumes may resolve into (see resolveVolumes). */
  readonly volumeAllowList: readonly string[];
  readonly logger: Logger;
}

/**
 * Creates and starts the container on the job network. Another agent on the same engine may
 * remove that network between `ensure` and the start (its last container of the job ended, e.g.
 * the previous attempt): the engine then answers "network … not found", and the network is
 * ensured again and the container recreated, a bounded number of times.
 * @param name the engine name to create the container under (see adoptExisting)
 */
export async function createAndStart(ctx: CreateContext, a: TaskAssignment, name: string): Promise<void> {
  // Resolved here, right before the create, and bound by real path (see resolveVolumes).
  const volumes = await resolveVolumes(a.volumes, ctx.volumeAllowList);
  for (let attempt = 1; ; attempt++) {
    const networkRef = a.network ? await ctx.networks.ensure(a.network, a.job) : undefined;
    let container: Docker.Container | undefined;
    try {
      const spec = containerSpecOf({ ...a, volumes }, ctx.workerId, networkRef, {
        clusterId: ctx.scope.clusterId,
        name,
      });
      container = await ctx.docker.createContainer(withHardening(spec, ctx.hardening));
      await container.start();
      return;
    } catch (err) {
      if (
        !a.network ||
        attempt >= NETWORK_RACE_RETRIES ||
        !/network .* not found/i.test(engineMessage(err))
      ) {
        // No container was made to hold the network, so no removal will ever release it.
        if (!container && networkRef) await ctx.networks.releaseIfUnused(networkRef, a.job);
        throw err;
      }
      ctx.logger.info(
        { job: a.job, task: a.task, network: a.network.name },
        'job network vanished; retrying',
      );
      if (container) await ignoringAlreadyDone(() => (container as Docker.Container).remove({ force: true }));
    }
  }
}

import type Docker from 'dockerode';
import { LABELS } from '../../core/model/index.js';
import { removeContainerIfPresent } from './services.js';

/**
 * Removes every container of these workers (their `rswarm.worker` label) on the shared engine and
 * then those containers' job networks (same job and cluster labels). A test that closes its
 * workers before they removed their containers also left the networks they would have released:
 * each one holds one of the engine's address pools, so a suite that leaks them fails on its
 * next run with "could not find an available, non-overlapping IPv4 address pool".
 */
export async function removeWorkerLeftovers(docker: Docker, workerIds: readonly string[]): Promise<void> {
  const jobs = new Map<string, string | undefined>();
  for (const workerId of workerIds) {
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.worker}=${workerId}`] },
    });
    for (const info of left) {
      const job = info.Labels[LABELS.job];
      if (job !== undefined) jobs.set(job, info.Labels[LABELS.cluster]);
      await removeContainerIfPresent(docker.getContainer(info.Id));
    }
  }
  for (const [job, cluster] of jobs)
    await removeNetworks(docker, [
      `${LABELS.job}=${job}`,
      ...(cluster ? [`${LABELS.cluster}=${cluster}`] : []),
    ]);
}

/**
 * Removes every container, then every network, labelled with one of these cluster ids: what a
 * test with its own fresh cluster ids made on the shared engine, whichever worker made it.
 */
export async function removeClusterLeftovers(docker: Docker, clusterIds: readonly string[]): Promise<void> {
  for (const id of clusterIds) {
    const filters = { label: [`${LABELS.cluster}=${id}`] };
    for (const info of await docker.listContainers({ all: true, filters }))
      await removeContainerIfPresent(docker.getContainer(info.Id));
    await removeNetworks(docker, filters.label);
  }
}

/**
 * Removes the networks with all these labels; one that is gone, or still in use by another
 * test's container, is left to its owner.
 */
async function removeNetworks(docker: Docker, label: readonly string[]): Promise<void> {
  for (const n of (await docker.listNetworks({ filters: { label: [...label] } })) as { Id: string }[])
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => undefined);
}

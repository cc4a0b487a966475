import type { JobSpec } from '../job/job-model.js';

/**
 * The Docker container name of one attempt of a task. Original-format jobs keep the client's
 * `container_name` (its scripts look containers up by it); native tasks are prefixed with the
 * job. Later attempts get `-a<N>` so an old container on a returning worker cannot clash.
 */
export function containerNameOf(
  job: Pick<JobSpec, 'name' | 'format'>,
  task: string,
  attempt: number,
): string {
  const base = job.format === 'original' ? task : `${job.name}_${task}`;
  return attempt === 0 ? base : `${base}-a${attempt}`;
}

/**
 * The labels that tie a container to its job, task, attempt, worker and cluster; job networks
 * carry `job` and `cluster`. `cluster` is the cluster id (core/security/cluster-id.ts): worker ids
 * repeat across clusters sharing one engine, the pair does not.
 */
export const LABELS = Object.freeze({
  job: 'rswarm.job',
  task: 'rswarm.task',
  attempt: 'rswarm.attempt',
  worker: 'rswarm.worker',
  cluster: 'rswarm.cluster',
});

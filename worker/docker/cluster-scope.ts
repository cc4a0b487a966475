import { LABELS } from '../../core/model/index.js';

/**
 * What one worker may touch on a Docker engine that other workers and other clusters share:
 * containers and networks labelled with its cluster id (`rswarm.cluster`) and, for containers,
 * its worker id (`rswarm.worker`). Worker ids repeat across clusters (every all-in-one has a
 * `local-1`), so the worker id alone is not enough. A worker without a cluster id (none
 * configured or kept, see core/security/cluster-id.ts) touches only objects without the cluster
 * label; a worker with one never touches them (containers made before cluster ids existed).
 */
export class ClusterScope {
  constructor(
    readonly workerId: string,
    /** "" when the worker has no cluster id. */
    readonly clusterId: string,
  ) {}

  /** The labels every container and network this worker creates carries (the cluster's). */
  clusterLabels(): Record<string, string> {
    return this.clusterId ? { [LABELS.cluster]: this.clusterId } : {};
  }

  /** Engine label filters for this worker's containers, plus `extra` (`key=value` each). */
  containerFilters(...extra: string[]): string[] {
    return [
      `${LABELS.worker}=${this.workerId}`,
      ...(this.clusterId ? [`${LABELS.cluster}=${this.clusterId}`] : []),
      ...extra,
    ];
  }

  /**
   * True when `labels` are of this worker's cluster. Needed beside the engine filters: a filter
   * cannot ask for a label to be absent.
   */
  ownsCluster(labels: Readonly<Record<string, string>> | null | undefined): boolean {
    return (labels?.[LABELS.cluster] ?? '') === this.clusterId;
  }

  /** True when `labels` are of this worker (its cluster and its worker id). */
  ownsContainer(labels: Readonly<Record<string, string>> | null | undefined): boolean {
    return this.ownsCluster(labels) && labels?.[LABELS.worker] === this.workerId;
  }

  /**
   * The engine name to use when `name` is held by another cluster's container or network (names
   * are per engine; jobs of the same name in two clusters): `<name>.<cluster id>`, or `<name>.local`
   * for a worker without one. Job networks give the task its plain name as a DNS alias.
   */
  ownName(name: string): string {
    return `${name}.${this.clusterId || 'local'}`;
  }
}
